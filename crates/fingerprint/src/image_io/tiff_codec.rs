//! TIFF: grey, RGB(A) and palette images, first page only.
//!
//! Grey and RGB go through the `tiff` crate's decoder. It rejects palette
//! images (photometric interpretation 3), which is how the Neurotechnology
//! CrossMatch sample set is stored, so those are decoded here: tags read with
//! the `tiff` crate, each strip decompressed (none, LZW through `weezl`,
//! PackBits), predictor undone, and indices mapped through the colour map.

use super::{
    check_data_can_fit, check_dimensions, luma, over_white, GrayImage, ImageError, ImageFormat,
};
use std::io::Cursor;
use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;
use tiff::ColorType;

const FORMAT: ImageFormat = ImageFormat::Tiff;
const PHOTOMETRIC_PALETTE: u16 = 3;

type TiffDecoder<'a> = Decoder<Cursor<&'a [u8]>>;

pub(super) fn decode(bytes: &[u8]) -> Result<GrayImage, ImageError> {
    let mut limits = Limits::default();
    // Room for the largest accepted image in 16-bit RGBA, nothing more.
    limits.decoding_buffer_size = 256 << 20;
    let mut decoder = Decoder::new(Cursor::new(bytes))
        .map_err(map_error)?
        .with_limits(limits);
    let (width, height) = decoder.dimensions().map_err(map_error)?;
    check_dimensions(FORMAT, width, height)?;
    let photometric: Option<u16> = decoder
        .find_tag_unsigned(Tag::PhotometricInterpretation)
        .map_err(map_error)?;
    // Bits per pixel: all samples' bits (palette indices count as one sample).
    let bits: Vec<u64> = decoder
        .find_tag_unsigned_vec(Tag::BitsPerSample)
        .map_err(map_error)?
        .unwrap_or_else(|| vec![1]);
    let samples: u64 = decoder
        .find_tag_unsigned(Tag::SamplesPerPixel)
        .map_err(map_error)?
        .unwrap_or(1);
    let bits_per_pixel = bits.first().copied().unwrap_or(1).max(1) * samples.max(1);
    // LZW, the best-compressing codec read here, expands about 2730:1 at most.
    check_data_can_fit(FORMAT, width, height, bits_per_pixel, bytes.len(), 4096)?;
    let pixels = if photometric == Some(PHOTOMETRIC_PALETTE) {
        decode_palette(&mut decoder, bytes, width, height)?
    } else {
        let color = decoder.colortype().map_err(map_error)?;
        let image = decoder.read_image().map_err(map_error)?;
        to_grey(color, image, width as usize, height as usize)?
    };
    GrayImage::new(width, height, pixels)
}

fn map_error(error: tiff::TiffError) -> ImageError {
    match error {
        tiff::TiffError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ImageError::truncated(FORMAT, "file ends inside a directory or strip")
        }
        tiff::TiffError::UnsupportedError(e) => ImageError::unsupported(FORMAT, e.to_string()),
        tiff::TiffError::LimitsExceeded => {
            ImageError::invalid(FORMAT, "image needs more memory than the decoding limit")
        }
        other => ImageError::invalid(FORMAT, other.to_string()),
    }
}

/// Converts the `tiff` crate's decoded samples to 8-bit grey.
fn to_grey(
    color: ColorType,
    image: DecodingResult,
    w: usize,
    h: usize,
) -> Result<Vec<u8>, ImageError> {
    let n = w * h;
    let short = |have: usize, want: usize| {
        ImageError::truncated(FORMAT, format!("decoded {have} samples, expected {want}"))
    };
    let to8 = |v: u16| ((v as u32 + 128) / 257) as u8;
    match (color, image) {
        (ColorType::Gray(8), DecodingResult::U8(v)) => {
            if v.len() < n {
                return Err(short(v.len(), n));
            }
            Ok(v[..n].to_vec())
        }
        (ColorType::Gray(bits @ (1 | 2 | 4)), DecodingResult::U8(v)) => unpack_grey(&v, bits, w, h),
        (ColorType::Gray(16), DecodingResult::U16(v)) => {
            if v.len() < n {
                return Err(short(v.len(), n));
            }
            Ok(v[..n].iter().map(|&s| to8(s)).collect())
        }
        (ColorType::GrayA(8), DecodingResult::U8(v)) => {
            samples_to_grey(&v, 2, n, |p| over_white(p[0], p[1]))
        }
        (ColorType::GrayA(16), DecodingResult::U16(v)) => {
            samples_to_grey(&v, 2, n, |p| over_white(to8(p[0]), to8(p[1])))
        }
        (ColorType::RGB(8), DecodingResult::U8(v)) => {
            samples_to_grey(&v, 3, n, |p| luma(p[0], p[1], p[2]))
        }
        (ColorType::RGB(16), DecodingResult::U16(v)) => {
            samples_to_grey(&v, 3, n, |p| luma(to8(p[0]), to8(p[1]), to8(p[2])))
        }
        (ColorType::RGBA(8), DecodingResult::U8(v)) => {
            samples_to_grey(&v, 4, n, |p| over_white(luma(p[0], p[1], p[2]), p[3]))
        }
        (ColorType::RGBA(16), DecodingResult::U16(v)) => samples_to_grey(&v, 4, n, |p| {
            over_white(luma(to8(p[0]), to8(p[1]), to8(p[2])), to8(p[3]))
        }),
        (color, _) => Err(ImageError::unsupported(
            FORMAT,
            format!("colour type {color:?} (grey, RGB, RGBA and palette are supported)"),
        )),
    }
}

fn samples_to_grey<T: Copy>(
    samples: &[T],
    channels: usize,
    n: usize,
    f: impl Fn(&[T]) -> u8,
) -> Result<Vec<u8>, ImageError> {
    if samples.len() < n * channels {
        return Err(ImageError::truncated(
            FORMAT,
            format!(
                "decoded {} samples, expected {}",
                samples.len(),
                n * channels
            ),
        ));
    }
    Ok(samples.chunks_exact(channels).take(n).map(f).collect())
}

/// Grey below 8 bits: the decoder may return rows packed to bytes.
fn unpack_grey(v: &[u8], bits: u8, w: usize, h: usize) -> Result<Vec<u8>, ImageError> {
    let bits = bits as usize;
    let max = (1u32 << bits) - 1;
    if v.len() == w * h {
        // Already one sample per byte.
        return Ok(v
            .iter()
            .map(|&s| ((s as u32).min(max) * 255 / max) as u8)
            .collect());
    }
    let row_bytes = (w * bits).div_ceil(8);
    if v.len() < row_bytes * h {
        return Err(ImageError::truncated(
            FORMAT,
            format!("decoded {} bytes, expected {}", v.len(), row_bytes * h),
        ));
    }
    let mut out = Vec::with_capacity(w * h);
    for row in v.chunks_exact(row_bytes).take(h) {
        out.extend(
            (0..w)
                .map(|x| sample_at(row, x, bits) * 255 / max)
                .map(|s| s as u8),
        );
    }
    Ok(out)
}

/// The `x`-th `bits`-wide sample of a packed row (most significant bits first).
fn sample_at(row: &[u8], x: usize, bits: usize) -> u32 {
    if bits == 8 {
        return row[x] as u32;
    }
    let bit = x * bits;
    let shift = 8 - bits - bit % 8;
    ((row[bit / 8] >> shift) as u32) & ((1 << bits) - 1)
}

fn tag_or(decoder: &mut TiffDecoder<'_>, tag: Tag, default: u64) -> Result<u64, ImageError> {
    Ok(decoder
        .find_tag_unsigned::<u64>(tag)
        .map_err(map_error)?
        .unwrap_or(default))
}

fn decode_palette(
    decoder: &mut TiffDecoder<'_>,
    bytes: &[u8],
    width: u32,
    height: u32,
) -> Result<Vec<u8>, ImageError> {
    let bits = tag_or(decoder, Tag::BitsPerSample, 1)?;
    if !matches!(bits, 1 | 2 | 4 | 8) {
        return Err(ImageError::unsupported(
            FORMAT,
            format!("{bits}-bit palette indices"),
        ));
    }
    let bits = bits as usize;
    let samples = tag_or(decoder, Tag::SamplesPerPixel, 1)?;
    if samples != 1 {
        return Err(ImageError::invalid(
            FORMAT,
            format!("palette image with {samples} samples per pixel"),
        ));
    }
    let compression = tag_or(decoder, Tag::Compression, 1)?;
    let predictor = tag_or(decoder, Tag::Predictor, 1)?;
    if predictor != 1 && !(predictor == 2 && bits == 8) {
        return Err(ImageError::unsupported(
            FORMAT,
            format!("predictor {predictor} with {bits}-bit palette indices"),
        ));
    }
    if tag_or(decoder, Tag::FillOrder, 1)? != 1 {
        return Err(ImageError::unsupported(
            FORMAT,
            "fill order 2 (least significant bit first)",
        ));
    }
    if decoder
        .find_tag(Tag::TileWidth)
        .map_err(map_error)?
        .is_some()
    {
        return Err(ImageError::unsupported(FORMAT, "tiled palette image"));
    }
    let grey_of_index = palette_lut(decoder, bits)?;

    let (w, h) = (width as usize, height as usize);
    let rows_per_strip =
        (tag_or(decoder, Tag::RowsPerStrip, u32::MAX as u64)? as usize).clamp(1, h);
    let offsets = strip_tag(decoder, Tag::StripOffsets)?;
    let counts = strip_tag(decoder, Tag::StripByteCounts)?;
    let strips = h.div_ceil(rows_per_strip);
    if offsets.len() < strips || counts.len() < strips {
        return Err(ImageError::invalid(
            FORMAT,
            format!(
                "{h} rows in strips of {rows_per_strip} need {strips} strips but the file lists {} offsets and {} byte counts",
                offsets.len(),
                counts.len()
            ),
        ));
    }
    let row_bytes = (w * bits).div_ceil(8);
    let mut indices = vec![0u8; row_bytes * h];
    for (strip, out) in indices.chunks_mut(rows_per_strip * row_bytes).enumerate() {
        let (offset, count) = (offsets[strip], counts[strip]);
        let input = offset
            .checked_add(count)
            .and_then(|end| bytes.get(offset as usize..end as usize))
            .ok_or_else(|| {
                ImageError::truncated(
                    FORMAT,
                    format!(
                        "strip {strip} spans bytes {offset}..{} but the file has {} bytes",
                        offset.saturating_add(count),
                        bytes.len()
                    ),
                )
            })?;
        match compression {
            1 => copy_exact(input, out, strip)?,
            5 => lzw_decode(input, out, strip)?,
            32773 => packbits_decode(input, out, strip)?,
            other => {
                return Err(ImageError::unsupported(
                    FORMAT,
                    format!(
                    "compression {other} in a palette image (none, LZW and PackBits are supported)"
                ),
                ))
            }
        }
        if predictor == 2 {
            for row in out.chunks_exact_mut(row_bytes) {
                for x in 1..row.len() {
                    row[x] = row[x].wrapping_add(row[x - 1]);
                }
            }
        }
    }
    if bits == 8 {
        // One index per byte (the common case): map in place.
        for index in &mut indices {
            *index = grey_of_index[*index as usize];
        }
        return Ok(indices);
    }
    let mut pixels = Vec::with_capacity(w * h);
    for row in indices.chunks_exact(row_bytes) {
        pixels.extend((0..w).map(|x| grey_of_index[sample_at(row, x, bits) as usize]));
    }
    Ok(pixels)
}

fn strip_tag(decoder: &mut TiffDecoder<'_>, tag: Tag) -> Result<Vec<u64>, ImageError> {
    decoder
        .find_tag_unsigned_vec::<u64>(tag)
        .map_err(map_error)?
        .ok_or_else(|| ImageError::invalid(FORMAT, format!("missing {tag:?} tag")))
}

/// Grey value of every palette index. Colour maps hold 16-bit values; some
/// writers store 8-bit values instead, detected (as libtiff does) by no
/// entry exceeding 255.
fn palette_lut(decoder: &mut TiffDecoder<'_>, bits: usize) -> Result<Vec<u8>, ImageError> {
    let map: Vec<u16> = decoder
        .find_tag_unsigned_vec::<u16>(Tag::ColorMap)
        .map_err(map_error)?
        .ok_or_else(|| ImageError::invalid(FORMAT, "palette image without a ColorMap tag"))?;
    let entries = 1usize << bits;
    if map.len() != 3 * entries {
        return Err(ImageError::invalid(
            FORMAT,
            format!(
                "ColorMap has {} values, {bits}-bit indices need {}",
                map.len(),
                3 * entries
            ),
        ));
    }
    let eight_bit = map.iter().all(|&v| v < 256);
    let to8 = |v: u16| if eight_bit { v as u8 } else { (v >> 8) as u8 };
    let (r, rest) = map.split_at(entries);
    let (g, b) = rest.split_at(entries);
    let mut lut: Vec<u8> = (0..entries)
        .map(|i| luma(to8(r[i]), to8(g[i]), to8(b[i])))
        .collect();
    // Indices above the map cannot occur for these bit depths, but keep the
    // lookup table total so no index can fall outside it.
    lut.resize(256, 0);
    Ok(lut)
}

fn strip_size_error(strip: usize, got: usize, want: usize) -> ImageError {
    ImageError::truncated(
        FORMAT,
        format!("strip {strip} holds {got} bytes of pixels, expected {want}"),
    )
}

fn copy_exact(input: &[u8], out: &mut [u8], strip: usize) -> Result<(), ImageError> {
    if input.len() < out.len() {
        return Err(strip_size_error(strip, input.len(), out.len()));
    }
    out.copy_from_slice(&input[..out.len()]);
    Ok(())
}

/// TIFF LZW (MSB first, early code-width change), or the pre-TIFF-6 variant
/// (LSB first), recognised as libtiff does by its first two bytes.
fn lzw_decode(input: &[u8], out: &mut [u8], strip: usize) -> Result<(), ImageError> {
    let old_style = input.len() >= 2 && input[0] == 0 && input[1] & 1 == 1;
    let mut lzw = if old_style {
        weezl::decode::Decoder::new(weezl::BitOrder::Lsb, 8)
    } else {
        weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
    };
    let (mut read, mut written) = (0usize, 0usize);
    while written < out.len() {
        let result = lzw.decode_bytes(&input[read..], &mut out[written..]);
        read += result.consumed_in;
        written += result.consumed_out;
        if result.consumed_in == 0 && result.consumed_out == 0 {
            break;
        }
        match result.status {
            Ok(weezl::LzwStatus::Ok) => {}
            Ok(weezl::LzwStatus::Done) | Ok(weezl::LzwStatus::NoProgress) => break,
            Err(e) => {
                return Err(ImageError::invalid(
                    FORMAT,
                    format!("strip {strip}: LZW data is corrupt ({e})"),
                ))
            }
        }
    }
    if written < out.len() {
        return Err(strip_size_error(strip, written, out.len()));
    }
    Ok(())
}

fn packbits_decode(input: &[u8], out: &mut [u8], strip: usize) -> Result<(), ImageError> {
    let (mut read, mut written) = (0usize, 0usize);
    while written < out.len() && read < input.len() {
        let n = input[read] as i8;
        read += 1;
        if n >= 0 {
            let len = (n as usize + 1).min(out.len() - written);
            let Some(literal) = input.get(read..read + len) else {
                break;
            };
            out[written..written + len].copy_from_slice(literal);
            read += n as usize + 1;
            written += len;
        } else if n != -128 {
            let Some(&value) = input.get(read) else {
                break;
            };
            read += 1;
            let len = (1 - n as isize) as usize;
            let len = len.min(out.len() - written);
            out[written..written + len].fill(value);
            written += len;
        }
    }
    if written < out.len() {
        return Err(strip_size_error(strip, written, out.len()));
    }
    Ok(())
}
