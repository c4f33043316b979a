//! Windows BMP: 1/4/8-bit palette (uncompressed, RLE4, RLE8), 16/24/32-bit
//! (uncompressed and bit fields), core (OS/2) and info headers of every size.
//! Written by hand: the format is small and this keeps every length checked.

use super::{check_dimensions, luma, GrayImage, ImageError, ImageFormat};

const FORMAT: ImageFormat = ImageFormat::Bmp;
const FILE_HEADER: usize = 14;

const BI_RGB: u32 = 0;
const BI_RLE8: u32 = 1;
const BI_RLE4: u32 = 2;
const BI_BITFIELDS: u32 = 3;
const BI_ALPHABITFIELDS: u32 = 6;

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}
fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

struct Header {
    width: u32,
    height: u32,
    top_down: bool,
    bits: u16,
    compression: u32,
    data_offset: usize,
    /// Grey value of each palette entry (bit depths up to 8).
    palette: Vec<u8>,
    /// Red, green, blue masks for 16- and 32-bit pixels.
    masks: [u32; 3],
}

pub(super) fn decode(bytes: &[u8]) -> Result<GrayImage, ImageError> {
    let header = parse_header(bytes)?;
    let grey = match header.compression {
        BI_RLE8 | BI_RLE4 => decode_rle(bytes, &header)?,
        _ => decode_rows(bytes, &header)?,
    };
    GrayImage::new(header.width, header.height, grey)
}

fn parse_header(bytes: &[u8]) -> Result<Header, ImageError> {
    if bytes.len() < FILE_HEADER + 4 {
        return Err(ImageError::truncated(
            FORMAT,
            format!("{} bytes is shorter than the file header", bytes.len()),
        ));
    }
    let data_offset = u32_at(bytes, 10) as usize;
    let dib_size = u32_at(bytes, 14) as usize;
    if !matches!(dib_size, 12 | 16 | 40 | 52 | 56 | 64 | 108 | 124) {
        return Err(ImageError::invalid(
            FORMAT,
            format!("unknown DIB header size {dib_size}"),
        ));
    }
    if bytes.len() < FILE_HEADER + dib_size {
        return Err(ImageError::truncated(
            FORMAT,
            format!(
                "{dib_size}-byte DIB header but the file has {} bytes",
                bytes.len()
            ),
        ));
    }
    let d = FILE_HEADER;
    let (width, height_signed, planes, bits, compression) = if dib_size == 12 {
        let w = u16_at(bytes, d + 4) as i64;
        let h = u16_at(bytes, d + 6) as i64;
        (w, h, u16_at(bytes, d + 8), u16_at(bytes, d + 10), BI_RGB)
    } else {
        let w = u32_at(bytes, d + 4) as i32 as i64;
        let h = u32_at(bytes, d + 8) as i32 as i64;
        let compression = if dib_size >= 20 {
            u32_at(bytes, d + 16)
        } else {
            BI_RGB
        };
        (
            w,
            h,
            u16_at(bytes, d + 12),
            u16_at(bytes, d + 14),
            compression,
        )
    };
    if width <= 0 {
        return Err(ImageError::invalid(
            FORMAT,
            format!("width {width} is not positive"),
        ));
    }
    let top_down = height_signed < 0;
    let height = height_signed.unsigned_abs();
    check_dimensions(FORMAT, width as u64, height)?;
    if planes != 1 {
        return Err(ImageError::invalid(
            FORMAT,
            format!("{planes} colour planes (must be 1)"),
        ));
    }
    let compression_ok = match compression {
        BI_RGB => matches!(bits, 1 | 4 | 8 | 16 | 24 | 32),
        BI_RLE8 => bits == 8,
        BI_RLE4 => bits == 4,
        BI_BITFIELDS | BI_ALPHABITFIELDS => matches!(bits, 16 | 32),
        4 | 5 => {
            return Err(ImageError::unsupported(
                FORMAT,
                "embedded JPEG or PNG data (compression 4 or 5)",
            ))
        }
        other => {
            return Err(ImageError::invalid(
                FORMAT,
                format!("unknown compression {other}"),
            ))
        }
    };
    if !compression_ok {
        return Err(ImageError::invalid(
            FORMAT,
            format!("compression {compression} with {bits} bits per pixel"),
        ));
    }
    if top_down && matches!(compression, BI_RLE8 | BI_RLE4) {
        return Err(ImageError::invalid(FORMAT, "RLE image stored top-down"));
    }

    let masks = match (compression, bits) {
        (BI_BITFIELDS | BI_ALPHABITFIELDS, _) => {
            // Masks sit inside v3+ headers, or right after a 40-byte one.
            let at = if dib_size >= 52 { d + 40 } else { d + dib_size };
            if bytes.len() < at + 12 {
                return Err(ImageError::truncated(
                    FORMAT,
                    "file ends inside the bit-field masks",
                ));
            }
            [
                u32_at(bytes, at),
                u32_at(bytes, at + 4),
                u32_at(bytes, at + 8),
            ]
        }
        (_, 16) => [0x7c00, 0x03e0, 0x001f],
        _ => [0x00ff_0000, 0x0000_ff00, 0x0000_00ff],
    };

    let palette = if bits <= 8 {
        read_palette(bytes, dib_size, bits)?
    } else {
        Vec::new()
    };
    Ok(Header {
        width: width as u32,
        height: height as u32,
        top_down,
        bits,
        compression,
        data_offset,
        palette,
        masks,
    })
}

fn read_palette(bytes: &[u8], dib_size: usize, bits: u16) -> Result<Vec<u8>, ImageError> {
    let max_entries = 1usize << bits;
    let (entry_size, declared) = if dib_size == 12 {
        (3, 0)
    } else if dib_size >= 36 {
        (4, u32_at(bytes, FILE_HEADER + 32) as usize)
    } else {
        (4, 0)
    };
    if declared > max_entries {
        return Err(ImageError::invalid(
            FORMAT,
            format!("{declared} palette entries for {bits}-bit pixels (at most {max_entries})"),
        ));
    }
    let entries = if declared == 0 { max_entries } else { declared };
    let start = FILE_HEADER + dib_size;
    let end = start + entries * entry_size;
    if bytes.len() < end {
        return Err(ImageError::truncated(
            FORMAT,
            format!(
                "{entries}-entry palette ends at byte {end} but the file has {} bytes",
                bytes.len()
            ),
        ));
    }
    Ok(bytes[start..end]
        .chunks_exact(entry_size)
        .map(|bgr| luma(bgr[2], bgr[1], bgr[0]))
        .collect())
}

fn palette_grey(header: &Header, index: usize) -> Result<u8, ImageError> {
    header.palette.get(index).copied().ok_or_else(|| {
        ImageError::invalid(
            FORMAT,
            format!(
                "pixel index {index} beyond the {}-entry palette",
                header.palette.len()
            ),
        )
    })
}

/// One channel of a bit-field pixel, scaled to 0..=255.
fn channel(pixel: u32, mask: u32) -> u8 {
    if mask == 0 {
        return 0;
    }
    let shift = mask.trailing_zeros();
    let max = (mask >> shift) as u64;
    let value = ((pixel & mask) >> shift) as u64;
    ((value * 255 + max / 2) / max) as u8
}

fn decode_rows(bytes: &[u8], header: &Header) -> Result<Vec<u8>, ImageError> {
    let (w, h) = (header.width as usize, header.height as usize);
    let stride = (w * header.bits as usize).div_ceil(32) * 4;
    let needed = stride * h;
    let end = header
        .data_offset
        .checked_add(needed)
        .filter(|&e| e <= bytes.len());
    let Some(end) = end else {
        return Err(ImageError::truncated(
            FORMAT,
            format!(
                "pixel data needs {needed} bytes from offset {} but the file has {} bytes",
                header.data_offset,
                bytes.len()
            ),
        ));
    };
    let data = &bytes[header.data_offset..end];
    let mut grey = vec![0u8; w * h];
    for (stored_row, src) in data.chunks_exact(stride).enumerate() {
        let y = if header.top_down {
            stored_row
        } else {
            h - 1 - stored_row
        };
        let dst = &mut grey[y * w..(y + 1) * w];
        match header.bits {
            1 | 4 | 8 => {
                let bits = header.bits as usize;
                let per_byte = 8 / bits;
                let mask: u8 = if bits == 8 { 0xff } else { (1u8 << bits) - 1 };
                for (x, out) in dst.iter_mut().enumerate() {
                    let byte = src[x / per_byte];
                    let shift = 8 - bits * (x % per_byte + 1);
                    *out = palette_grey(header, ((byte >> shift) & mask) as usize)?;
                }
            }
            24 => {
                for (out, bgr) in dst.iter_mut().zip(src.chunks_exact(3)) {
                    *out = luma(bgr[2], bgr[1], bgr[0]);
                }
            }
            16 | 32 => {
                let size = header.bits as usize / 8;
                let [r, g, b] = header.masks;
                for (out, p) in dst.iter_mut().zip(src.chunks_exact(size)) {
                    let pixel = if size == 2 {
                        u16::from_le_bytes([p[0], p[1]]) as u32
                    } else {
                        u32::from_le_bytes([p[0], p[1], p[2], p[3]])
                    };
                    *out = luma(channel(pixel, r), channel(pixel, g), channel(pixel, b));
                }
            }
            other => {
                return Err(ImageError::invalid(
                    FORMAT,
                    format!("{other} bits per pixel"),
                ));
            }
        }
    }
    Ok(grey)
}

/// Run-length encoded 4- and 8-bit images (always stored bottom-up).
/// Pixels the stream skips (delta escapes, early end) take palette entry 0.
fn decode_rle(bytes: &[u8], header: &Header) -> Result<Vec<u8>, ImageError> {
    let (w, h) = (header.width as usize, header.height as usize);
    let four_bit = header.compression == BI_RLE4;
    let data = bytes.get(header.data_offset..).ok_or_else(|| {
        ImageError::truncated(
            FORMAT,
            format!(
                "pixel data offset {} beyond the file's {} bytes",
                header.data_offset,
                bytes.len()
            ),
        )
    })?;
    // A run or a delta escape covers many pixels per byte pair; bound the
    // canvas by the stream length before allocating it.
    super::check_data_can_fit(FORMAT, header.width, header.height, 8, data.len(), 4096)?;
    let background = palette_grey(header, 0)?;
    let mut grey = vec![background; w * h];
    let (mut x, mut row) = (0usize, 0usize); // row counts from the bottom
    let mut i = 0usize;
    let truncated =
        || ImageError::truncated(FORMAT, "RLE stream ends without an end-of-bitmap mark");
    let mut put = |x: usize, row: usize, index: usize| -> Result<(), ImageError> {
        if x < w && row < h {
            grey[(h - 1 - row) * w + x] = palette_grey(header, index)?;
        }
        Ok(())
    };
    loop {
        let (&count, &value) = match (data.get(i), data.get(i + 1)) {
            (Some(c), Some(v)) => (c, v),
            _ => return Err(truncated()),
        };
        i += 2;
        if count > 0 {
            for k in 0..count as usize {
                let index = if four_bit {
                    if k % 2 == 0 {
                        value >> 4
                    } else {
                        value & 0x0f
                    }
                } else {
                    value
                };
                put(x, row, index as usize)?;
                x += 1;
            }
            continue;
        }
        match value {
            0 => {
                x = 0;
                row += 1;
            }
            1 => break,
            2 => {
                let (&dx, &dy) = match (data.get(i), data.get(i + 1)) {
                    (Some(a), Some(b)) => (a, b),
                    _ => return Err(truncated()),
                };
                i += 2;
                x += dx as usize;
                row += dy as usize;
            }
            n => {
                let n = n as usize;
                let stored = if four_bit { n.div_ceil(2) } else { n };
                let run = data.get(i..i + stored).ok_or_else(truncated)?;
                for k in 0..n {
                    let index = if four_bit {
                        let byte = run[k / 2];
                        if k % 2 == 0 {
                            byte >> 4
                        } else {
                            byte & 0x0f
                        }
                    } else {
                        run[k]
                    };
                    put(x, row, index as usize)?;
                    x += 1;
                }
                // Absolute runs are padded to a 16-bit boundary.
                i += stored + stored % 2;
            }
        }
        if row >= h {
            // Past the top row: nothing more can be drawn.
            break;
        }
    }
    Ok(grey)
}
