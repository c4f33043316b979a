//! Finger minutiae records: ISO/IEC 19794-2:2005, ANSI INCITS 378-2004 and
//! ANSI INCITS 378-2009 (version "030", as NIST libbiomeval's "ANSI2007").
//!
//! Layouts (big-endian), as read and written here:
//!
//! | field | ISO 2005 | ANSI 2004 | ANSI 2009 |
//! |---|---|---|---|
//! | format id, version | "FMR\0" " 20\0" | "FMR\0" " 20\0" | "FMR\0" "030\0" |
//! | record length | 4 | 2, or 0x0000 + 4 | 4 |
//! | CBEFF product id | - | 4 | 4 |
//! | capture equipment (4-bit compliance, 12-bit id) | 2 | 2 | 2 |
//! | image width, height, x/y resolution (px/cm) | 2 each, in header | 2 each, in header | 2 each, per view |
//! | finger views, reserved | 1, 1 | 1, 1 | 1, 1 |
//!
//! Each view: finger position (1), view number (high 4 bits) and impression
//! type (low 4 bits) in one byte (ANSI 2009: one byte each), finger quality
//! (1), [ANSI 2009: quality algorithm id (4), image size and resolution (8)],
//! minutia count (1), then 6 bytes per minutia: type (2 bits: 01 ending,
//! 10 bifurcation, 00 other) and x (14 bits); 2 reserved bits and y
//! (14 bits); angle (1); quality (1, 0 = not reported, up to 100). Then the
//! extended data length (2) and blocks of type (2), length (2, counting
//! the 4 header bytes) and data.

use super::profile_block::{profile_blocks, profile_of};
use super::{FormatError, TemplateFormat};
use crate::{Minutia, MinutiaKind, Profile, Template, TEMPLATE_PPI};
use std::f32::consts::TAU;
use std::fmt;

mod write;

/// Resolution written on export: 500 ppi in pixels per centimetre.
pub const EXPORT_RESOLUTION_PPCM: u16 = 197;

const MAGIC: &[u8; 4] = b"FMR\0";
const VERSION_2004: &[u8; 4] = b" 20\0";
const VERSION_2009: &[u8; 4] = b"030\0";
const MINUTIA_BYTES: usize = 6;
const MAX_COORDINATE: u16 = 0x3fff;

/// Which standard a record follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FmrStandard {
    Iso19794_2_2005,
    Ansi378_2004,
    Ansi378_2009,
}

impl FmrStandard {
    fn format(self) -> TemplateFormat {
        match self {
            FmrStandard::Iso19794_2_2005 => TemplateFormat::Iso19794_2_2005,
            FmrStandard::Ansi378_2004 => TemplateFormat::Ansi378_2004,
            FmrStandard::Ansi378_2009 => TemplateFormat::Ansi378_2009,
        }
    }

    fn is_iso(self) -> bool {
        self == FmrStandard::Iso19794_2_2005
    }

    /// Angle units per full turn: 256 (ISO, 1.40625°) or 180 (ANSI, 2°).
    pub fn angle_units_per_turn(self) -> u16 {
        if self.is_iso() {
            256
        } else {
            180
        }
    }
}

impl fmt::Display for FmrStandard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FmrStandard::Iso19794_2_2005 => "ISO/IEC 19794-2:2005 record",
            FmrStandard::Ansi378_2004 => "ANSI INCITS 378-2004 record",
            FmrStandard::Ansi378_2009 => "ANSI INCITS 378-2009 record",
        })
    }
}

/// A whole finger minutiae record, fields as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct FingerMinutiaeRecord {
    pub standard: FmrStandard,
    /// ANSI only (owner in the high 16 bits, type in the low); 0 for ISO.
    pub cbeff_product_id: u32,
    /// Capture equipment compliance (4 bits).
    pub equipment_compliance: u8,
    /// Capture equipment id (12 bits).
    pub equipment_id: u16,
    /// At least one view.
    pub views: Vec<FingerView>,
    /// Bytes inside the record length after the last view. Tolerated because
    /// NIST's own ANSI 378-2004 sample (libbiomeval `fmr.ansi2004`) has 2,
    /// from a core/delta block whose length field excludes them; kept so a
    /// record writes back byte-identical. Empty in records written here.
    pub trailing_data: Vec<u8>,
    /// Defects the reader tolerated, each naming what is wrong (malformed
    /// extended data, bytes after the last view). Not written by `to_bytes`.
    pub warnings: Vec<String>,
}

/// One finger view, with the image size and resolution that apply to it
/// (from the record header in 2004/2005 records).
#[derive(Clone, Debug, PartialEq)]
pub struct FingerView {
    /// 0 = unknown, 1-10 = right thumb .. left little.
    pub finger_position: u8,
    pub view_number: u8,
    pub impression_type: u8,
    /// 0-100.
    pub finger_quality: u8,
    /// ANSI 2009 only: quality algorithm vendor and id.
    pub quality_algorithm: u32,
    pub image_width: u16,
    pub image_height: u16,
    pub x_resolution_ppcm: u16,
    pub y_resolution_ppcm: u16,
    pub minutiae: Vec<RecordMinutia>,
    pub extended_data: Vec<ExtendedDataBlock>,
    /// The standard the angles are in (copied from the record).
    pub standard: FmrStandard,
}

/// A minutia as stored: pixels at the record's resolution, angle in the
/// standard's units (see [`FmrStandard::angle_units_per_turn`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordMinutia {
    pub kind: MinutiaKind,
    pub x: u16,
    pub y: u16,
    pub angle: u8,
    pub quality: u8,
}

/// An extended data block (ridge counts 0x0001, cores and deltas 0x0002,
/// vendor data 0x0100 and above, such as this engine's
/// [`PROFILE_BLOCK_TYPE`](super::PROFILE_BLOCK_TYPE)), kept as bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtendedDataBlock {
    pub type_id: u16,
    pub data: Vec<u8>,
}

/// Tells the record's standard from its header, or `None` if the bytes do
/// not start with "FMR\0" and a known version.
///
/// ISO 2005 and ANSI 2004 share format id and version; they differ in the
/// length field: ISO has 4 bytes, ANSI 2 (or 0x0000 then 4 when the record
/// exceeds 65535 bytes). The reading whose length matches the file (allowing
/// zero padding) wins; when neither does (a damaged file), the layout that
/// could hold a valid length decides, so the error names the right standard.
pub(super) fn detect_standard(bytes: &[u8]) -> Option<FmrStandard> {
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        return None;
    }
    match &bytes[4..8] {
        v if v == VERSION_2009 => Some(FmrStandard::Ansi378_2009),
        v if v == VERSION_2004 => {
            if bytes.len() < 14 {
                return Some(FmrStandard::Iso19794_2_2005);
            }
            let be16 = |at: usize| u16::from_be_bytes([bytes[at], bytes[at + 1]]);
            let be32 = |at: usize| {
                u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
            };
            let iso_length = be32(8) as usize;
            let ansi_length = match be16(8) {
                0 => be32(10) as usize,
                short => short as usize,
            };
            let fits = |length: usize| {
                length <= bytes.len() && bytes[length.min(bytes.len())..].iter().all(|&b| b == 0)
            };
            match (
                fits(iso_length) && iso_length >= 24,
                fits(ansi_length) && ansi_length >= 26,
            ) {
                (true, false) => Some(FmrStandard::Iso19794_2_2005),
                (false, true) => Some(FmrStandard::Ansi378_2004),
                // Neither (or, absurdly, both): an ANSI short length is at
                // least 26, where an ISO record would need 1.7 MB to put a
                // value that large in bytes 8-9. A damaged long-form ANSI
                // record (rare) is reported as ISO.
                _ => {
                    if be16(8) >= 26 {
                        Some(FmrStandard::Ansi378_2004)
                    } else {
                        Some(FmrStandard::Iso19794_2_2005)
                    }
                }
            }
        }
        _ => None,
    }
}

/// Parses a record, telling the standard from its header.
pub fn parse_fmr(bytes: &[u8]) -> Result<FingerMinutiaeRecord, FormatError> {
    let standard = detect_standard(bytes).ok_or_else(|| {
        let format = TemplateFormat::Iso19794_2_2005;
        if bytes.len() < 8 {
            FormatError::truncated(format, format!("{} bytes cannot hold the format identifier and version", bytes.len()))
        } else if &bytes[..4] != MAGIC {
            FormatError::invalid(format, format!("format identifier {:02x?} is not \"FMR\\0\"", &bytes[..4]))
        } else {
            FormatError::unsupported(
                format,
                format!(
                    "version {:?} (known: \" 20\" for ISO 19794-2:2005 / ANSI 378-2004, \"030\" for ANSI 378-2009)",
                    String::from_utf8_lossy(&bytes[4..7])
                ),
            )
        }
    })?;
    parse_fmr_as(bytes, standard)
}

/// Parses a record known to follow `standard`.
pub fn parse_fmr_as(
    bytes: &[u8],
    standard: FmrStandard,
) -> Result<FingerMinutiaeRecord, FormatError> {
    Parser::new(bytes, standard).record()
}

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
    standard: FmrStandard,
    /// Where the parser is ("finger view 2: "), prefixed to every error.
    context: String,
    warnings: Vec<String>,
}

impl<'a> Parser<'a> {
    fn new(bytes: &'a [u8], standard: FmrStandard) -> Self {
        Parser {
            bytes,
            at: 0,
            standard,
            context: String::new(),
            warnings: Vec::new(),
        }
    }

    fn invalid(&self, detail: impl Into<String>) -> FormatError {
        FormatError::invalid(
            self.standard.format(),
            format!("{}{}", self.context, detail.into()),
        )
    }

    fn truncated(&self, detail: impl Into<String>) -> FormatError {
        FormatError::truncated(
            self.standard.format(),
            format!("{}{}", self.context, detail.into()),
        )
    }

    /// Takes `n` bytes of `what`; the record length was checked against the
    /// file, so running out here means a count inside the record is wrong.
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], FormatError> {
        match self.bytes.get(self.at..self.at + n) {
            Some(slice) => {
                self.at += n;
                Ok(slice)
            }
            None => Err(self.truncated(format!(
                "{what} needs {n} bytes at offset {} but the record ends at {}",
                self.at,
                self.bytes.len()
            ))),
        }
    }
    fn u8(&mut self, what: &str) -> Result<u8, FormatError> {
        Ok(self.take(1, what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<u16, FormatError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self, what: &str) -> Result<u32, FormatError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn header_size(&self) -> usize {
        match self.standard {
            FmrStandard::Iso19794_2_2005 => 24,
            FmrStandard::Ansi378_2004 => 26,
            FmrStandard::Ansi378_2009 => 20,
        }
    }

    fn record(mut self) -> Result<FingerMinutiaeRecord, FormatError> {
        let header_size = self.header_size();
        if self.bytes.len() < header_size {
            return Err(self.truncated(format!(
                "file has {} bytes, fewer than the {header_size}-byte record header",
                self.bytes.len()
            )));
        }
        self.at = 8;
        let record_length = match self.standard {
            FmrStandard::Ansi378_2004 => match self.u16("record length")? {
                0 => self.u32("long record length")? as usize,
                short => short as usize,
            },
            _ => self.u32("record length")? as usize,
        };
        self.check_record_length(record_length)?;
        // From here on the record is exactly `record_length` bytes.
        self.bytes = &self.bytes[..record_length];

        let cbeff_product_id = if self.standard.is_iso() {
            0
        } else {
            self.u32("CBEFF product identifier")?
        };
        let equipment = self.u16("capture equipment")?;
        let image = if self.standard == FmrStandard::Ansi378_2009 {
            None
        } else {
            Some(self.image_fields()?)
        };
        let view_count = self.u8("number of finger views")?;
        let _reserved = self.u8("reserved byte")?;
        if view_count == 0 {
            return Err(self.invalid("record declares 0 finger views"));
        }
        let mut views = Vec::with_capacity(view_count as usize);
        for index in 1..=view_count {
            self.context = format!("finger view {index}: ");
            views.push(self.view(image)?);
        }
        self.context.clear();
        let trailing_data = self.bytes[self.at..].to_vec();
        if !trailing_data.is_empty() {
            self.warn(format!(
                "{} bytes after the last finger view inside the record length {record_length}; kept",
                trailing_data.len()
            ));
        }
        Ok(FingerMinutiaeRecord {
            standard: self.standard,
            cbeff_product_id,
            equipment_compliance: (equipment >> 12) as u8,
            equipment_id: equipment & 0x0fff,
            views,
            trailing_data,
            warnings: self.warnings,
        })
    }

    /// The header's record length must match the file. Zero bytes after the
    /// record are accepted as padding (SDKs writing into fixed-size buffers
    /// produce them, e.g. the SourceAFIS test templates).
    fn check_record_length(&self, record_length: usize) -> Result<(), FormatError> {
        let file_length = self.bytes.len();
        if record_length < self.header_size() {
            return Err(self.invalid(format!(
                "record length {record_length} in header is shorter than the {}-byte record header",
                self.header_size()
            )));
        }
        if record_length > file_length {
            return Err(self.truncated(format!(
                "record length {record_length} in header but file has {file_length} bytes"
            )));
        }
        if record_length < file_length && self.bytes[record_length..].iter().any(|&b| b != 0) {
            return Err(self.invalid(format!(
                "record length {record_length} in header but file has {file_length} bytes (the extra bytes are not zero padding)"
            )));
        }
        Ok(())
    }

    /// Width, height, x and y resolution, each 2 bytes.
    fn image_fields(&mut self) -> Result<[u16; 4], FormatError> {
        let fields = [
            self.u16("image width")?,
            self.u16("image height")?,
            self.u16("x resolution")?,
            self.u16("y resolution")?,
        ];
        if fields[2] == 0 || fields[3] == 0 {
            return Err(self.invalid(format!(
                "resolution {}x{} pixels/cm (must not be 0)",
                fields[2], fields[3]
            )));
        }
        Ok(fields)
    }

    fn view(&mut self, header_image: Option<[u16; 4]>) -> Result<FingerView, FormatError> {
        let finger_position = self.u8("finger position")?;
        let (view_number, impression_type) = if self.standard == FmrStandard::Ansi378_2009 {
            (self.u8("view number")?, self.u8("impression type")?)
        } else {
            let b = self.u8("view number and impression type")?;
            (b >> 4, b & 0x0f)
        };
        let finger_quality = self.u8("finger quality")?;
        let (quality_algorithm, image) = match header_image {
            Some(image) => (0, image),
            None => (self.u32("quality algorithm id")?, self.image_fields()?),
        };
        if finger_position > 10 && self.standard != FmrStandard::Ansi378_2009 {
            return Err(self.invalid(format!("finger position {finger_position} (must be 0-10)")));
        }
        if finger_quality > 100 {
            return Err(self.invalid(format!("finger quality {finger_quality} (must be 0-100)")));
        }
        let count = self.u8("number of minutiae")? as usize;
        let remaining = self.bytes.len() - self.at;
        if remaining < count * MINUTIA_BYTES + 2 {
            return Err(self.truncated(format!(
                "{count} minutiae declared ({} bytes plus 2 for the extended data length) but only {remaining} bytes remain in the record",
                count * MINUTIA_BYTES
            )));
        }
        let mut minutiae = Vec::with_capacity(count);
        for n in 1..=count {
            minutiae.push(self.minutia(n)?);
        }
        let extended_data = self.extended_data()?;
        profile_of(&extended_data).map_err(|detail| self.invalid(detail))?;
        Ok(FingerView {
            finger_position,
            view_number,
            impression_type,
            finger_quality,
            quality_algorithm,
            image_width: image[0],
            image_height: image[1],
            x_resolution_ppcm: image[2],
            y_resolution_ppcm: image[3],
            minutiae,
            extended_data,
            standard: self.standard,
        })
    }

    fn minutia(&mut self, n: usize) -> Result<RecordMinutia, FormatError> {
        let b = self.take(MINUTIA_BYTES, "minutia")?;
        let type_and_x = u16::from_be_bytes([b[0], b[1]]);
        // The top two bits of the y field are reserved; readers ignore them.
        let y = u16::from_be_bytes([b[2], b[3]]) & MAX_COORDINATE;
        let (angle, quality) = (b[4], b[5]);
        let kind = match type_and_x >> 14 {
            0 => MinutiaKind::Other,
            1 => MinutiaKind::Ending,
            2 => MinutiaKind::Bifurcation,
            _ => return Err(self.invalid(format!("minutia {n}: type bits 11 are reserved"))),
        };
        if !self.standard.is_iso() && angle >= 180 {
            return Err(self.invalid(format!(
                "minutia {n}: angle {angle} out of range 0-179 (units of 2 degrees)"
            )));
        }
        if quality > 100 {
            return Err(self.invalid(format!("minutia {n}: quality {quality} (must be 0-100)")));
        }
        Ok(RecordMinutia {
            kind,
            x: type_and_x & MAX_COORDINATE,
            y,
            angle,
            quality,
        })
    }

    /// Extended data is auxiliary (ridge counts, cores, deltas, vendor
    /// data): a malformed block structure inside the record is a warning,
    /// and the bytes are kept as far as they go. NIST's libbiomeval samples
    /// need this (their core/delta blocks disagree with their lengths).
    fn extended_data(&mut self) -> Result<Vec<ExtendedDataBlock>, FormatError> {
        let declared = self.u16("extended data length")? as usize;
        let remaining = self.bytes.len() - self.at;
        let length = if declared > remaining {
            self.warn(format!(
                "extended data length {declared} but only {remaining} bytes remain in the record; read {remaining}"
            ));
            remaining
        } else {
            declared
        };
        let end = self.at + length;
        let mut blocks = Vec::new();
        while self.at < end {
            let left = end - self.at;
            if left < 4 {
                self.warn(format!(
                    "{left} bytes of extended data left, too few for a block header; ignored"
                ));
                self.at = end;
                break;
            }
            let type_id = self.u16("extended data type")?;
            let block_length = self.u16("extended data block length")? as usize;
            let data_length = if block_length < 4 || block_length > left {
                self.warn(format!(
                    "extended data block {} (type 0x{type_id:04x}) claims {block_length} bytes but {left} remain in the extended data; kept {left}",
                    blocks.len() + 1
                ));
                left - 4
            } else {
                block_length - 4
            };
            let data = self.take(data_length, "extended data block")?.to_vec();
            blocks.push(ExtendedDataBlock { type_id, data });
        }
        Ok(blocks)
    }

    fn warn(&mut self, detail: String) {
        self.warnings.push(format!("{}{}", self.context, detail));
    }
}

/// Scale from a resolution in pixels/cm to the engine's 500 ppi; 1 for the
/// standard's encodings of 500 ppi (196.85 px/cm rounds to 197; 196 also
/// occurs), so their coordinates are kept exactly.
fn scale_to_template(ppcm: u16) -> f64 {
    let ppi = ppcm as f64 * 2.54;
    if (ppi - TEMPLATE_PPI as f64).abs() <= 3.0 {
        1.0
    } else {
        TEMPLATE_PPI as f64 / ppi
    }
}

fn scaled(value: u16, scale: f64) -> u16 {
    (value as f64 * scale).round().min(u16::MAX as f64) as u16
}

impl FingerView {
    /// The extraction profile the view's minutiae come from: the one its
    /// [`PROFILE_BLOCK_TYPE`](super::PROFILE_BLOCK_TYPE) block names, fast
    /// without one. Records parsed here have been checked; an error names a
    /// defective block of a view built by hand.
    pub fn profile(&self) -> Result<Profile, String> {
        profile_of(&self.extended_data)
    }

    /// The view as an engine template: coordinates at 500 ppi, direction in
    /// radians (counter-clockwise, see [`crate::Minutia`]), the profile
    /// from [`FingerView::profile`] (fast for a view built by hand whose
    /// profile block is defective: [`FingerMinutiaeRecord::to_bytes`]
    /// refuses to write one).
    pub fn to_template(&self) -> Template {
        let (sx, sy) = (
            scale_to_template(self.x_resolution_ppcm),
            scale_to_template(self.y_resolution_ppcm),
        );
        let units = self.standard.angle_units_per_turn() as f32;
        Template {
            width: scaled(self.image_width, sx),
            height: scaled(self.image_height, sy),
            minutiae: self
                .minutiae
                .iter()
                .map(|m| Minutia {
                    x: scaled(m.x, sx),
                    y: scaled(m.y, sy),
                    direction: m.angle as f32 * TAU / units,
                    kind: m.kind,
                    quality: m.quality,
                })
                .collect(),
            profile: self.profile().unwrap_or_default(),
        }
    }
}
