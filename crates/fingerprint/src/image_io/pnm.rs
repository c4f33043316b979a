//! Netpbm greymaps and pixmaps: PGM (P5 binary, P2 ASCII) and PPM (P6, P3),
//! any maxval from 1 to 65535 (two bytes per sample above 255, big-endian).

use super::{check_dimensions, luma, GrayImage, ImageError, ImageFormat};

const FORMAT: ImageFormat = ImageFormat::Pnm;

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    /// Skips whitespace and `#` comments (to the end of their line).
    fn skip_separators(&mut self) {
        while let Some(&b) = self.bytes.get(self.at) {
            if b == b'#' {
                while let Some(&c) = self.bytes.get(self.at) {
                    self.at += 1;
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                }
            } else if b.is_ascii_whitespace() {
                self.at += 1;
            } else {
                break;
            }
        }
    }

    /// Reads one unsigned decimal number, `what` naming it in errors.
    fn number(&mut self, what: &str) -> Result<u32, ImageError> {
        self.skip_separators();
        let start = self.at;
        let mut value: u64 = 0;
        while let Some(&b) = self.bytes.get(self.at) {
            if !b.is_ascii_digit() {
                break;
            }
            value = value * 10 + (b - b'0') as u64;
            if value > u32::MAX as u64 {
                return Err(ImageError::invalid(FORMAT, format!("{what} is too large")));
            }
            self.at += 1;
        }
        if self.at == start {
            return Err(match self.bytes.get(self.at) {
                None => ImageError::truncated(FORMAT, format!("file ends before the {what}")),
                Some(&b) => ImageError::invalid(
                    FORMAT,
                    format!(
                        "expected the {what} but found byte 0x{b:02x} at offset {}",
                        self.at
                    ),
                ),
            });
        }
        Ok(value as u32)
    }
}

pub(super) fn decode(bytes: &[u8]) -> Result<GrayImage, ImageError> {
    let (binary, channels) = match &bytes[..2] {
        b"P5" => (true, 1),
        b"P6" => (true, 3),
        b"P2" => (false, 1),
        b"P3" => (false, 3),
        _ => {
            return Err(ImageError::invalid(
                FORMAT,
                "magic number is not P2, P3, P5 or P6",
            ))
        }
    };
    let mut cursor = Cursor { bytes, at: 2 };
    let width = cursor.number("width")?;
    let height = cursor.number("height")?;
    check_dimensions(FORMAT, width, height)?;
    let maxval = cursor.number("maximum value")?;
    if maxval == 0 || maxval > 65535 {
        return Err(ImageError::invalid(
            FORMAT,
            format!("maximum value {maxval} outside 1-65535"),
        ));
    }
    let samples = width as usize * height as usize * channels;
    let values = if binary {
        // Exactly one whitespace byte separates the header from the raster.
        match bytes.get(cursor.at) {
            Some(b) if b.is_ascii_whitespace() => cursor.at += 1,
            Some(b) => {
                return Err(ImageError::invalid(
                    FORMAT,
                    format!("byte 0x{b:02x} after the maximum value instead of whitespace"),
                ))
            }
            None => return Err(ImageError::truncated(FORMAT, "file ends after the header")),
        }
        read_binary(&bytes[cursor.at..], samples, maxval)?
    } else {
        read_ascii(&mut cursor, samples)?
    };
    if let Some(v) = values.iter().find(|&&v| v > maxval) {
        return Err(ImageError::invalid(
            FORMAT,
            format!("sample {v} exceeds the maximum value {maxval}"),
        ));
    }
    let scale = |v: u32| ((v as u64 * 255 + maxval as u64 / 2) / maxval as u64) as u8;
    let pixels = if channels == 1 {
        values.into_iter().map(scale).collect()
    } else {
        values
            .chunks_exact(3)
            .map(|p| luma(scale(p[0]), scale(p[1]), scale(p[2])))
            .collect()
    };
    GrayImage::new(width, height, pixels)
}

fn read_binary(raster: &[u8], samples: usize, maxval: u32) -> Result<Vec<u32>, ImageError> {
    let size = if maxval > 255 { 2 } else { 1 };
    let needed = samples * size;
    if raster.len() < needed {
        return Err(ImageError::truncated(
            FORMAT,
            format!("raster needs {needed} bytes but {} remain", raster.len()),
        ));
    }
    Ok(if size == 1 {
        raster[..needed].iter().map(|&b| b as u32).collect()
    } else {
        raster[..needed]
            .chunks_exact(2)
            .map(|p| u16::from_be_bytes([p[0], p[1]]) as u32)
            .collect()
    })
}

fn read_ascii(cursor: &mut Cursor<'_>, samples: usize) -> Result<Vec<u32>, ImageError> {
    // Each ASCII sample takes at least two bytes: reject a short file before
    // reserving memory for the samples it claims.
    let remaining = cursor.bytes.len() - cursor.at;
    if remaining / 2 + 1 < samples {
        return Err(ImageError::truncated(
            FORMAT,
            format!("{samples} ASCII samples cannot fit in the {remaining} bytes left"),
        ));
    }
    let mut values = Vec::with_capacity(samples);
    for _ in 0..samples {
        values.push(cursor.number("sample")?);
    }
    Ok(values)
}
