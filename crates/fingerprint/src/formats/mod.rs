//! Template formats: the engine's compact native binary format, and
//! interchange with ISO/IEC 19794-2:2005 and ANSI INCITS 378 finger minutiae
//! records (2004, and the 2009 revision with per-view headers, version "030").
//!
//! ```no_run
//! use scomm_fingerprint::formats::{self, TemplateFormat};
//! let bytes = std::fs::read("101_1.iso")?;
//! let template = formats::decode_template(&bytes)?; // any supported format
//! let ansi = formats::encode_template(&template, TemplateFormat::Ansi378_2004)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Conventions
//!
//! Templates ([`Template`]) are at 500 ppi, origin top-left, y down, and a
//! minutia direction is in radians counter-clockwise from the positive x axis
//! as seen on screen. Both standards use that same convention and differ only
//! in the unit of the angle byte:
//!
//! - ISO/IEC 19794-2:2005: 1.40625° (360/256), values 0-255;
//! - ANSI INCITS 378: 2°, values 0-179.
//!
//! Import rescales coordinates from the record's resolution (pixels per
//! centimetre) to 500 ppi; records at 196-197 px/cm (the standard's encoding
//! of 500 ppi) are taken as exactly 500 ppi, so their coordinates are kept.
//! Export writes 197 px/cm and the template's coordinates unchanged.
//!
//! A template of the accurate profile is exported with a vendor-defined
//! extended data block ([`PROFILE_BLOCK_TYPE`]) that says so, and read back
//! as accurate; every other record is read as the fast profile.

mod fmr;
mod native;
mod profile_block;

use crate::Template;
use std::fmt;
use std::path::{Path, PathBuf};

pub use fmr::{
    parse_fmr, parse_fmr_as, ExtendedDataBlock, FingerMinutiaeRecord, FingerView, FmrStandard,
    RecordMinutia, EXPORT_RESOLUTION_PPCM,
};
pub use native::{decode_native, encode_native, NATIVE_MAGIC, NATIVE_VERSION};
pub use profile_block::{PROFILE_BLOCK_PREFIX, PROFILE_BLOCK_TYPE};

/// Every template encoding this module reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TemplateFormat {
    /// The engine's own format (see [`encode_native`]).
    Native,
    /// ISO/IEC 19794-2:2005 finger minutiae record (version " 20").
    Iso19794_2_2005,
    /// ANSI INCITS 378-2004 finger minutiae record (version " 20").
    Ansi378_2004,
    /// ANSI INCITS 378-2009 finger minutiae record (version "030").
    Ansi378_2009,
}

impl TemplateFormat {
    /// Parses a user-facing name: `native`, `iso`, `ansi` (378-2004) or `ansi2009`.
    pub fn from_name(name: &str) -> Option<TemplateFormat> {
        match name.to_ascii_lowercase().as_str() {
            "native" => Some(TemplateFormat::Native),
            "iso" | "iso19794-2" | "iso2005" => Some(TemplateFormat::Iso19794_2_2005),
            "ansi" | "ansi378" | "ansi2004" => Some(TemplateFormat::Ansi378_2004),
            "ansi2009" | "ansi2007" => Some(TemplateFormat::Ansi378_2009),
            _ => None,
        }
    }

    fn standard(self) -> Option<FmrStandard> {
        match self {
            TemplateFormat::Native => None,
            TemplateFormat::Iso19794_2_2005 => Some(FmrStandard::Iso19794_2_2005),
            TemplateFormat::Ansi378_2004 => Some(FmrStandard::Ansi378_2004),
            TemplateFormat::Ansi378_2009 => Some(FmrStandard::Ansi378_2009),
        }
    }
}

impl fmt::Display for TemplateFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.standard() {
            None => f.write_str("native template"),
            Some(standard) => standard.fmt(f),
        }
    }
}

/// Why a template could not be read or written. Each names the defect (an
/// I/O failure's reason in the message, not chained as a source, as
/// [`crate::image_io::ImageError`] does).
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("cannot read {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot write {path}: {error}")]
    Write {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("unrecognised template format (first bytes {first_bytes}); expected a native template ('SCMT') or a finger minutiae record ('FMR\\0')")]
    UnknownFormat { first_bytes: String },
    #[error("{format}: {detail}")]
    Truncated {
        format: TemplateFormat,
        detail: String,
    },
    #[error("{format}: {detail}")]
    Invalid {
        format: TemplateFormat,
        detail: String,
    },
    #[error("{format}: unsupported: {detail}")]
    Unsupported {
        format: TemplateFormat,
        detail: String,
    },
    #[error("cannot export as {format}: {detail}")]
    Export {
        format: TemplateFormat,
        detail: String,
    },
}

impl FormatError {
    pub(crate) fn truncated(format: TemplateFormat, detail: impl Into<String>) -> Self {
        FormatError::Truncated {
            format,
            detail: detail.into(),
        }
    }
    pub(crate) fn invalid(format: TemplateFormat, detail: impl Into<String>) -> Self {
        FormatError::Invalid {
            format,
            detail: detail.into(),
        }
    }
    pub(crate) fn unsupported(format: TemplateFormat, detail: impl Into<String>) -> Self {
        FormatError::Unsupported {
            format,
            detail: detail.into(),
        }
    }
    pub(crate) fn export(format: TemplateFormat, detail: impl Into<String>) -> Self {
        FormatError::Export {
            format,
            detail: detail.into(),
        }
    }
}

/// Which format the bytes are in, from their first bytes (and, to tell the
/// ISO and ANSI " 20" records apart, their length fields).
pub fn detect_template_format(bytes: &[u8]) -> Option<TemplateFormat> {
    if bytes.starts_with(NATIVE_MAGIC) {
        return Some(TemplateFormat::Native);
    }
    fmr::detect_standard(bytes).map(|s| match s {
        FmrStandard::Iso19794_2_2005 => TemplateFormat::Iso19794_2_2005,
        FmrStandard::Ansi378_2004 => TemplateFormat::Ansi378_2004,
        FmrStandard::Ansi378_2009 => TemplateFormat::Ansi378_2009,
    })
}

/// Decodes a template in any supported format. For a minutiae record with
/// several finger views this is the first view; use [`parse_fmr`] for all.
pub fn decode_template(bytes: &[u8]) -> Result<Template, FormatError> {
    match detect_template_format(bytes) {
        Some(TemplateFormat::Native) => decode_native(bytes),
        // Records of unknown version go to the parser too, which names it.
        // A parsed record always has at least one view.
        _ if bytes.starts_with(b"FMR\0") => parse_fmr(bytes).map(|r| r.views[0].to_template()),
        _ => Err(FormatError::UnknownFormat {
            first_bytes: hex_prefix(bytes),
        }),
    }
}

/// Encodes a template; minutiae records get one finger view with position 0
/// (unknown finger) — build a [`FingerMinutiaeRecord`] to set more.
pub fn encode_template(
    template: &Template,
    format: TemplateFormat,
) -> Result<Vec<u8>, FormatError> {
    match format.standard() {
        None => encode_native(template),
        Some(standard) => FingerMinutiaeRecord::from_template(template, standard)?.to_bytes(),
    }
}

/// Reads and decodes a template file (format from its content).
pub fn load_template(path: impl AsRef<Path>) -> Result<Template, FormatError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|error| FormatError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    decode_template(&bytes)
}

/// Encodes and writes a template file.
pub fn save_template(
    template: &Template,
    format: TemplateFormat,
    path: impl AsRef<Path>,
) -> Result<(), FormatError> {
    let path = path.as_ref();
    std::fs::write(path, encode_template(template, format)?).map_err(|error| FormatError::Write {
        path: path.to_path_buf(),
        error,
    })
}

fn hex_prefix(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "none: the input is empty".to_string();
    }
    let shown: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
    shown.join(" ")
}

#[cfg(test)]
mod tests;
