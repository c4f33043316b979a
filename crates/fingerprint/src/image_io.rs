//! Greyscale fingerprint images in: PNG, BMP, TIFF (including palette and
//! LZW TIFFs), PGM/PPM, WSQ and raw 8-bit, plus resampling to the engine's
//! 500 ppi working resolution and PNG output for stage dumps.
//!
//! The format is detected from the first bytes, never from the file name.
//! Colour inputs are converted to grey (ITU-R BT.601 luma); alpha is
//! composited onto white, the background colour of a fingerprint card.
//! Every decoder checks the declared size against [`MAX_DIMENSION`] before it
//! allocates anything, and a bad or truncated file gives an [`ImageError`]
//! naming the defect, never a panic.
//!
//! ```no_run
//! use scomm_fingerprint::image_io;
//! // FVC2002 DB2 was scanned at 569 dpi: load it and bring it to 500 ppi.
//! let image = image_io::load_image_500ppi("DB2_B/101_1.tif", 569.0)?;
//! assert_eq!(image.pixels.len(), (image.width * image.height) as usize);
//! # Ok::<(), image_io::ImageError>(())
//! ```

mod bmp;
mod png_codec;
mod pnm;
mod resample;
mod tiff_codec;

use std::fmt;
use std::path::{Path, PathBuf};

pub use resample::{resample, resample_to_500ppi, MAX_DPI, MIN_DPI};

/// Largest width or height accepted from any header (pixels).
pub const MAX_DIMENSION: u32 = 10_000;

/// An 8-bit greyscale image, row-major, 0 = black, 255 = white.
#[derive(Clone, PartialEq, Eq)]
pub struct GrayImage {
    pub width: u32,
    pub height: u32,
    /// `width * height` bytes, row after row from the top.
    pub pixels: Vec<u8>,
}

impl GrayImage {
    /// Wraps pixels; errors when `pixels.len() != width * height` or a side
    /// is zero or above [`MAX_DIMENSION`].
    pub fn new(width: u32, height: u32, pixels: Vec<u8>) -> Result<Self, ImageError> {
        let image = GrayImage {
            width,
            height,
            pixels,
        };
        image.validate()?;
        Ok(image)
    }

    /// Checks that the public fields agree (pixel count, size limits).
    pub fn validate(&self) -> Result<(), ImageError> {
        check_dimensions(ImageFormat::Raw, self.width, self.height)?;
        let expected = self.width as usize * self.height as usize;
        if self.pixels.len() != expected {
            return Err(ImageError::RawSizeMismatch {
                width: self.width,
                height: self.height,
                expected,
                actual: self.pixels.len(),
            });
        }
        Ok(())
    }

    /// An image of one grey level (for tests and canvases).
    pub fn filled(width: u32, height: u32, value: u8) -> Self {
        GrayImage {
            width,
            height,
            pixels: vec![value; width as usize * height as usize],
        }
    }

    /// Pixel at (x, y); `None` outside the image.
    pub fn get(&self, x: u32, y: u32) -> Option<u8> {
        if x < self.width && y < self.height {
            Some(self.pixels[y as usize * self.width as usize + x as usize])
        } else {
            None
        }
    }

    /// One row of pixels. Panics if `y >= height` (a caller bug, not input).
    pub fn row(&self, y: u32) -> &[u8] {
        let w = self.width as usize;
        &self.pixels[y as usize * w..(y as usize + 1) * w]
    }
}

impl fmt::Debug for GrayImage {
    // Printing megabytes of pixels helps no one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GrayImage({}x{})", self.width, self.height)
    }
}

/// The container formats `decode_image` recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Bmp,
    Tiff,
    /// PGM (P2, P5) and PPM (P3, P6).
    Pnm,
    /// FBI WSQ, decoded by `scomm-nist`.
    Wsq,
    /// Headerless 8-bit grey with caller-given size.
    Raw,
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageFormat::Png => "PNG",
            ImageFormat::Bmp => "BMP",
            ImageFormat::Tiff => "TIFF",
            ImageFormat::Pnm => "PGM/PPM",
            ImageFormat::Wsq => "WSQ",
            ImageFormat::Raw => "raw",
        })
    }
}

/// Why an image could not be loaded. Every variant names the defect. The
/// operating system's reason for a failed read or write is in the message,
/// not chained as a source, so that error reports that print the chain
/// (anyhow's `{:#}`) say it once.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
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
    #[error("unrecognised image format (first bytes {first_bytes}); expected PNG, BMP, TIFF, PGM or WSQ, or raw 8-bit with a given width and height")]
    UnknownFormat { first_bytes: String },
    #[error("{format} image is truncated: {detail}")]
    Truncated { format: ImageFormat, detail: String },
    #[error("invalid {format} image: {detail}")]
    Invalid { format: ImageFormat, detail: String },
    #[error("unsupported {format} image: {detail}")]
    Unsupported { format: ImageFormat, detail: String },
    #[error("{format} image of {width}x{height} pixels exceeds the limit of {max}x{max}", max = MAX_DIMENSION)]
    TooLarge {
        format: ImageFormat,
        width: u64,
        height: u64,
    },
    #[error("{format} image has a zero dimension ({width}x{height})")]
    Empty {
        format: ImageFormat,
        width: u64,
        height: u64,
    },
    #[error("raw image of {width}x{height} needs {expected} bytes but has {actual}")]
    RawSizeMismatch {
        width: u32,
        height: u32,
        expected: usize,
        actual: usize,
    },
    #[error("resolution {0} dpi is outside the supported range {MIN_DPI}-{MAX_DPI}")]
    BadResolution(f32),
}

impl ImageError {
    pub(crate) fn invalid(format: ImageFormat, detail: impl Into<String>) -> Self {
        ImageError::Invalid {
            format,
            detail: detail.into(),
        }
    }
    pub(crate) fn truncated(format: ImageFormat, detail: impl Into<String>) -> Self {
        ImageError::Truncated {
            format,
            detail: detail.into(),
        }
    }
    pub(crate) fn unsupported(format: ImageFormat, detail: impl Into<String>) -> Self {
        ImageError::Unsupported {
            format,
            detail: detail.into(),
        }
    }
}

/// Rejects empty images and sides above [`MAX_DIMENSION`] before any
/// allocation sized by a header.
pub(crate) fn check_dimensions(
    format: ImageFormat,
    width: impl Into<u64>,
    height: impl Into<u64>,
) -> Result<(), ImageError> {
    let (width, height) = (width.into(), height.into());
    if width == 0 || height == 0 {
        return Err(ImageError::Empty {
            format,
            width,
            height,
        });
    }
    if width > MAX_DIMENSION as u64 || height > MAX_DIMENSION as u64 {
        return Err(ImageError::TooLarge {
            format,
            width,
            height,
        });
    }
    Ok(())
}

/// Rejects a header whose pixel data could not fit in the file even at the
/// best ratio the format's compression achieves (`max_ratio`: deflate
/// reaches 1032:1, TIFF LZW about 2730:1), so a few hundred bytes cannot
/// make a decoder reserve hundreds of megabytes.
pub(crate) fn check_data_can_fit(
    format: ImageFormat,
    width: u32,
    height: u32,
    bits_per_pixel: u64,
    file_length: usize,
    max_ratio: u64,
) -> Result<(), ImageError> {
    let raw = (width as u64 * bits_per_pixel).div_ceil(8) * height as u64;
    if raw > file_length as u64 * max_ratio {
        return Err(ImageError::invalid(
            format,
            format!(
                "header declares {width}x{height} pixels ({raw} bytes of pixel data), more than a {file_length}-byte file can hold at {max_ratio}:1 compression"
            ),
        ));
    }
    Ok(())
}

/// Which format the first bytes announce, if any (raw has no signature).
pub fn detect_format(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.starts_with(b"BM") {
        Some(ImageFormat::Bmp)
    } else if bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*")
        || bytes.starts_with(b"II+\0")
        || bytes.starts_with(b"MM\0+")
    {
        Some(ImageFormat::Tiff)
    } else if bytes.starts_with(&[0xff, 0xa0]) {
        Some(ImageFormat::Wsq)
    } else if bytes.len() >= 2 && bytes[0] == b'P' && matches!(bytes[1], b'2' | b'3' | b'5' | b'6')
    {
        Some(ImageFormat::Pnm)
    } else {
        None
    }
}

/// Decodes an encoded image (PNG, BMP, TIFF, PGM/PPM, WSQ) to 8-bit grey.
pub fn decode_image(bytes: &[u8]) -> Result<GrayImage, ImageError> {
    match detect_format(bytes) {
        Some(ImageFormat::Png) => png_codec::decode(bytes),
        Some(ImageFormat::Bmp) => bmp::decode(bytes),
        Some(ImageFormat::Tiff) => tiff_codec::decode(bytes),
        Some(ImageFormat::Pnm) => pnm::decode(bytes),
        Some(ImageFormat::Wsq) => decode_wsq(bytes),
        Some(ImageFormat::Raw) | None => Err(ImageError::UnknownFormat {
            first_bytes: hex_prefix(bytes),
        }),
    }
}

/// WSQ through `scomm-nist`, whose decoder checks the frame header against
/// a pixel limit before allocating: ours, further bounded by the file size
/// (WSQ stays far below 4096:1; fingerprints are coded at 0.75 bpp, ~11:1).
fn decode_wsq(bytes: &[u8]) -> Result<GrayImage, ImageError> {
    let limit = (MAX_DIMENSION as usize * MAX_DIMENSION as usize).min(bytes.len() * 4096);
    let image = scomm_nist::wsq::decode_with_limit(bytes, limit)
        .map_err(|e| ImageError::invalid(ImageFormat::Wsq, e.to_string()))?;
    check_dimensions(ImageFormat::Wsq, image.width, image.height)?;
    GrayImage::new(image.width, image.height, image.pixels)
}

/// Reads and decodes an image file; the format comes from its first bytes.
pub fn load_image(path: impl AsRef<Path>) -> Result<GrayImage, ImageError> {
    decode_image(&read_file(path.as_ref())?)
}

/// Loads an image scanned at `dpi` and resamples it to 500 ppi.
pub fn load_image_500ppi(path: impl AsRef<Path>, dpi: f32) -> Result<GrayImage, ImageError> {
    resample_to_500ppi(&load_image(path)?, dpi)
}

/// Wraps headerless 8-bit grey bytes of a caller-given size.
pub fn decode_raw(bytes: &[u8], width: u32, height: u32) -> Result<GrayImage, ImageError> {
    check_dimensions(ImageFormat::Raw, width, height)?;
    GrayImage::new(width, height, bytes.to_vec())
}

/// Reads a headerless 8-bit grey file of a caller-given size.
pub fn load_raw(path: impl AsRef<Path>, width: u32, height: u32) -> Result<GrayImage, ImageError> {
    // The size is checked before the file is read.
    check_dimensions(ImageFormat::Raw, width, height)?;
    decode_raw(&read_file(path.as_ref())?, width, height)
}

/// Encodes as an 8-bit greyscale PNG.
pub fn encode_png(image: &GrayImage) -> Result<Vec<u8>, ImageError> {
    png_codec::encode(image)
}

/// Writes an 8-bit greyscale PNG (used for the extraction stage dumps).
pub fn save_png(image: &GrayImage, path: impl AsRef<Path>) -> Result<(), ImageError> {
    let path = path.as_ref();
    std::fs::write(path, encode_png(image)?).map_err(|error| ImageError::Write {
        path: path.to_path_buf(),
        error,
    })
}

fn read_file(path: &Path) -> Result<Vec<u8>, ImageError> {
    std::fs::read(path).map_err(|error| ImageError::Io {
        path: path.to_path_buf(),
        error,
    })
}

fn hex_prefix(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "none: the file is empty".to_string();
    }
    let shown: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
    shown.join(" ")
}

/// BT.601 luma of an 8-bit RGB triple, rounded.
#[inline]
pub(crate) fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((299 * r as u32 + 587 * g as u32 + 114 * b as u32 + 500) / 1000) as u8
}

/// Grey value `g` with opacity `a` over a white background, rounded.
#[inline]
pub(crate) fn over_white(g: u8, a: u8) -> u8 {
    ((g as u32 * a as u32 + 255 * (255 - a as u32) + 127) / 255) as u8
}

#[cfg(test)]
mod tests;
