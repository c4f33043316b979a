//! PNG through the `png` crate: any bit depth and colour type in, 8-bit grey out.

use super::{
    check_data_can_fit, check_dimensions, luma, over_white, GrayImage, ImageError, ImageFormat,
};
use std::io::Cursor;

const FORMAT: ImageFormat = ImageFormat::Png;

pub(super) fn decode(bytes: &[u8]) -> Result<GrayImage, ImageError> {
    // The decoder's own allocation budget backs up the dimension check below
    // (RGBA at the largest accepted size, plus slack for its buffers).
    let limits = png::Limits {
        bytes: (super::MAX_DIMENSION as usize).pow(2) * 4 + (1 << 20),
    };
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(bytes), limits);
    // Palette -> RGB, grey below 8 bits -> 8 bits, 16 bits -> 8 bits.
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(map_error)?;
    let (width, height, bits_per_pixel) = {
        let info = reader.info();
        let bits = info.color_type.samples() as u64 * info.bit_depth as u8 as u64;
        (info.width, info.height, bits)
    };
    check_dimensions(FORMAT, width, height)?;
    // Deflate expands at most 1032:1; allow for zlib and filter bytes.
    check_data_can_fit(FORMAT, width, height, bits_per_pixel, bytes.len(), 1100)?;
    let (color, depth) = reader.output_color_type();
    if depth != png::BitDepth::Eight {
        return Err(ImageError::unsupported(
            FORMAT,
            format!("output bit depth {depth:?} after normalisation"),
        ));
    }
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| ImageError::invalid(FORMAT, "image size overflows"))?;
    let mut buffer = vec![0u8; size];
    let frame = reader.next_frame(&mut buffer).map_err(map_error)?;
    buffer.truncate(frame.buffer_size());
    let line = frame.line_size;
    let channels = color.samples();
    let (w, h) = (width as usize, height as usize);
    if line < w * channels || buffer.len() < line * h {
        return Err(ImageError::invalid(
            FORMAT,
            "decoded frame is smaller than its header says",
        ));
    }
    let mut pixels = Vec::with_capacity(w * h);
    for row in buffer.chunks_exact(line).take(h) {
        let row = &row[..w * channels];
        match color {
            png::ColorType::Grayscale => pixels.extend_from_slice(row),
            png::ColorType::GrayscaleAlpha => {
                pixels.extend(row.chunks_exact(2).map(|p| over_white(p[0], p[1])))
            }
            png::ColorType::Rgb => {
                pixels.extend(row.chunks_exact(3).map(|p| luma(p[0], p[1], p[2])))
            }
            png::ColorType::Rgba => pixels.extend(
                row.chunks_exact(4)
                    .map(|p| over_white(luma(p[0], p[1], p[2]), p[3])),
            ),
            png::ColorType::Indexed => {
                return Err(ImageError::invalid(FORMAT, "palette was not expanded"))
            }
        }
    }
    GrayImage::new(width, height, pixels)
}

fn map_error(error: png::DecodingError) -> ImageError {
    match error {
        png::DecodingError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ImageError::truncated(FORMAT, "file ends before the image data does")
        }
        png::DecodingError::LimitsExceeded => {
            ImageError::invalid(FORMAT, "image needs more memory than the decoding limit")
        }
        png::DecodingError::Format(e) => ImageError::invalid(FORMAT, e.to_string()),
        other => ImageError::invalid(FORMAT, other.to_string()),
    }
}

pub(super) fn encode(image: &GrayImage) -> Result<Vec<u8>, ImageError> {
    // The fields are public, so a caller can hand in an inconsistent image.
    image.validate()?;
    let mut out = Vec::new();
    let failed = |e: png::EncodingError| ImageError::invalid(FORMAT, format!("cannot encode: {e}"));
    {
        let mut encoder = png::Encoder::new(&mut out, image.width, image.height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        // Stage dumps are written often and read by people: favour speed.
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header().map_err(failed)?;
        writer.write_image_data(&image.pixels).map_err(failed)?;
    }
    Ok(out)
}
