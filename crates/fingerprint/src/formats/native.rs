//! The engine's native template format, version 1 (little-endian):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic "SCMT" |
//! | 4 | 1 | version (1) |
//! | 5 | 1 | flags: bit 0 set for the accurate profile (both skeletons' minutiae); the others 0 |
//! | 6 | 2 | image width at 500 ppi |
//! | 8 | 2 | image height at 500 ppi |
//! | 10 | 2 | resolution in ppi (500) |
//! | 12 | 2 | minutia count n |
//! | 14 | 7 n | minutiae: x (2), y (2), direction and kind (2), quality (1) |
//! | 14 + 7 n | 4 | CRC-32 (IEEE) of all bytes before it |
//!
//! Direction and kind share 16 bits: the low 14 hold the direction in units
//! of 2π/16384 (0.022°, finer than any extractor resolves), the high 2 the
//! kind (0 ending, 1 bifurcation, 2 other). 18 + 7 n bytes: a 60-minutia
//! template takes 438 bytes, and up to 143 minutiae fit in 1 KiB. The
//! checksum catches storage corruption; a newer version is refused by name,
//! and so is a flag this reader does not know (readers from before the
//! profile flag refuse accurate templates rather than misread them as fast).

use super::{FormatError, TemplateFormat};
use crate::{Minutia, MinutiaKind, Profile, Template, TEMPLATE_PPI};
use std::f32::consts::TAU;

/// First four bytes of every native template.
pub const NATIVE_MAGIC: &[u8; 4] = b"SCMT";
/// The version this code writes (and the newest it reads).
pub const NATIVE_VERSION: u8 = 1;

const HEADER: usize = 14;
const MINUTIA: usize = 7;
const CHECKSUM: usize = 4;
const DIRECTION_UNITS: f32 = 16384.0;
/// Flags bit: the template is of the accurate profile.
const FLAG_ACCURATE: u8 = 1;
const FORMAT: TemplateFormat = TemplateFormat::Native;

/// Encodes a template; fails only on a template the format cannot hold
/// (more than 65535 minutiae, a non-finite direction, quality above 100).
pub fn encode_native(template: &Template) -> Result<Vec<u8>, FormatError> {
    let count = u16::try_from(template.minutiae.len()).map_err(|_| {
        FormatError::export(
            FORMAT,
            format!("{} minutiae (at most 65535)", template.minutiae.len()),
        )
    })?;
    let mut out = Vec::with_capacity(HEADER + MINUTIA * count as usize + CHECKSUM);
    out.extend_from_slice(NATIVE_MAGIC);
    out.push(NATIVE_VERSION);
    out.push(match template.profile {
        Profile::Fast => 0,
        Profile::Accurate => FLAG_ACCURATE,
    });
    for v in [template.width, template.height, TEMPLATE_PPI, count] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for (i, m) in template.minutiae.iter().enumerate() {
        if !m.direction.is_finite() {
            return Err(FormatError::export(
                FORMAT,
                format!("minutia {} has direction {}", i + 1, m.direction),
            ));
        }
        if m.quality > 100 {
            return Err(FormatError::export(
                FORMAT,
                format!("minutia {} has quality {} (0-100)", i + 1, m.quality),
            ));
        }
        let units = (m.direction.rem_euclid(TAU) / TAU * DIRECTION_UNITS).round() as u32
            % DIRECTION_UNITS as u32;
        let kind: u16 = match m.kind {
            MinutiaKind::Ending => 0,
            MinutiaKind::Bifurcation => 1,
            MinutiaKind::Other => 2,
        };
        out.extend_from_slice(&m.x.to_le_bytes());
        out.extend_from_slice(&m.y.to_le_bytes());
        out.extend_from_slice(&((kind << 14) | units as u16).to_le_bytes());
        out.push(m.quality);
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// Decodes a native template, checking length, version and checksum.
pub fn decode_native(bytes: &[u8]) -> Result<Template, FormatError> {
    if bytes.len() < HEADER + CHECKSUM {
        return Err(FormatError::truncated(
            FORMAT,
            format!(
                "{} bytes, fewer than the {} of an empty template",
                bytes.len(),
                HEADER + CHECKSUM
            ),
        ));
    }
    if &bytes[..4] != NATIVE_MAGIC {
        return Err(FormatError::invalid(
            FORMAT,
            format!("magic {:02x?} is not \"SCMT\"", &bytes[..4]),
        ));
    }
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    let version = bytes[4];
    if version != NATIVE_VERSION {
        return Err(FormatError::unsupported(
            FORMAT,
            format!("version {version} (this reader knows version {NATIVE_VERSION})"),
        ));
    }
    let flags = bytes[5];
    if flags & !FLAG_ACCURATE != 0 {
        return Err(FormatError::invalid(
            FORMAT,
            format!("reserved flags 0x{:02x} are not 0", flags & !FLAG_ACCURATE),
        ));
    }
    let profile = if flags & FLAG_ACCURATE != 0 {
        Profile::Accurate
    } else {
        Profile::Fast
    };
    let (width, height, ppi, count) = (u16_at(6), u16_at(8), u16_at(10), u16_at(12) as usize);
    let expected = HEADER + MINUTIA * count + CHECKSUM;
    if bytes.len() != expected {
        return Err(FormatError::truncated(
            FORMAT,
            format!(
                "{count} minutiae need {expected} bytes but the template has {}",
                bytes.len()
            ),
        ));
    }
    let body = expected - CHECKSUM;
    let stored = u32::from_le_bytes([
        bytes[body],
        bytes[body + 1],
        bytes[body + 2],
        bytes[body + 3],
    ]);
    let computed = crc32fast::hash(&bytes[..body]);
    if stored != computed {
        return Err(FormatError::invalid(
            FORMAT,
            format!("checksum 0x{stored:08x} stored but the content gives 0x{computed:08x}: the template is corrupt"),
        ));
    }
    if ppi != TEMPLATE_PPI {
        return Err(FormatError::unsupported(
            FORMAT,
            format!("resolution {ppi} ppi (templates are at {TEMPLATE_PPI})"),
        ));
    }
    let mut minutiae = Vec::with_capacity(count);
    for (i, m) in bytes[HEADER..body].chunks_exact(MINUTIA).enumerate() {
        let packed = u16::from_le_bytes([m[4], m[5]]);
        let kind = match packed >> 14 {
            0 => MinutiaKind::Ending,
            1 => MinutiaKind::Bifurcation,
            2 => MinutiaKind::Other,
            _ => {
                return Err(FormatError::invalid(
                    FORMAT,
                    format!("minutia {}: kind 3 is not defined", i + 1),
                ))
            }
        };
        let quality = m[6];
        if quality > 100 {
            return Err(FormatError::invalid(
                FORMAT,
                format!("minutia {}: quality {quality} (0-100)", i + 1),
            ));
        }
        minutiae.push(Minutia {
            x: u16::from_le_bytes([m[0], m[1]]),
            y: u16::from_le_bytes([m[2], m[3]]),
            direction: (packed & 0x3fff) as f32 * TAU / DIRECTION_UNITS,
            kind,
            quality,
        });
    }
    Ok(Template {
        width,
        height,
        minutiae,
        profile,
    })
}
