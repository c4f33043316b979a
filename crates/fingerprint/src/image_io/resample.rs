//! Resolution normalisation: the engine works at 500 ppi, scanners do not
//! all scan at 500 dpi (FVC2002 DB2: 569 dpi).
//!
//! Separable resampling with a triangle (bilinear) kernel whose support
//! widens with the reduction factor, so shrinking averages every source
//! pixel instead of skipping some (plain bilinear aliases ridges when
//! shrinking by more than 2).

use super::{check_dimensions, GrayImage, ImageError, ImageFormat};
use crate::TEMPLATE_PPI;

/// Lowest scan resolution accepted (ppi): below it ridges are not resolved.
pub const MIN_DPI: f32 = 100.0;
/// Highest scan resolution accepted (ppi).
pub const MAX_DPI: f32 = 5000.0;

/// Resamples an image scanned at `dpi` to 500 ppi. Within 1 dpi of 500 the
/// image is returned unchanged (a 0.2% scale change is below a pixel on a
/// fingerprint and resampling would only blur it).
pub fn resample_to_500ppi(image: &GrayImage, dpi: f32) -> Result<GrayImage, ImageError> {
    if !(MIN_DPI..=MAX_DPI).contains(&dpi) {
        return Err(ImageError::BadResolution(dpi));
    }
    let target = TEMPLATE_PPI as f32;
    if (dpi - target).abs() < 1.0 {
        return Ok(image.clone());
    }
    let scale = target as f64 / dpi as f64;
    let width = ((image.width as f64 * scale).round() as u32).max(1);
    let height = ((image.height as f64 * scale).round() as u32).max(1);
    resample(image, width, height)
}

/// Resamples to `width` x `height` with an antialiased bilinear filter.
pub fn resample(image: &GrayImage, width: u32, height: u32) -> Result<GrayImage, ImageError> {
    check_dimensions(ImageFormat::Raw, width, height)?;
    image.validate()?;
    let source = image;
    if (width, height) == (source.width, source.height) {
        return Ok(source.clone());
    }
    let (sw, sh) = (source.width as usize, source.height as usize);
    let (dw, dh) = (width as usize, height as usize);
    let columns = Taps::new(sw, dw);
    let rows = Taps::new(sh, dh);

    // Horizontal pass into floats, then vertical pass with rounding.
    let mut across = vec![0f32; sh * dw];
    for (src_row, out_row) in source
        .pixels
        .chunks_exact(sw)
        .zip(across.chunks_exact_mut(dw))
    {
        for (x, out) in out_row.iter_mut().enumerate() {
            let (first, weights) = columns.get(x);
            *out = weights
                .iter()
                .zip(&src_row[first..first + weights.len()])
                .map(|(w, &p)| w * p as f32)
                .sum();
        }
    }
    let mut pixels = vec![0u8; dw * dh];
    let mut accumulator = vec![0f32; dw];
    for (y, out_row) in pixels.chunks_exact_mut(dw).enumerate() {
        let (first, weights) = rows.get(y);
        accumulator.fill(0.0);
        for (k, w) in weights.iter().enumerate() {
            let src = &across[(first + k) * dw..(first + k + 1) * dw];
            for (acc, &v) in accumulator.iter_mut().zip(src) {
                *acc += w * v;
            }
        }
        for (out, &acc) in out_row.iter_mut().zip(&accumulator) {
            *out = acc.round().clamp(0.0, 255.0) as u8;
        }
    }
    GrayImage::new(width, height, pixels)
}

/// Normalised filter weights for every output position along one axis.
struct Taps {
    /// (first source index, start in `weights`, count) per output position.
    spans: Vec<(usize, usize, usize)>,
    weights: Vec<f32>,
}

impl Taps {
    fn new(source: usize, target: usize) -> Taps {
        let scale = target as f64 / source as f64;
        // Kernel radius in source pixels: 1 when enlarging, 1/scale when shrinking.
        let support = (1.0 / scale).max(1.0);
        let mut spans = Vec::with_capacity(target);
        let mut weights = Vec::new();
        for i in 0..target {
            let center = (i as f64 + 0.5) / scale;
            let lo = ((center - support).floor().max(0.0)) as usize;
            let hi = ((center + support).ceil() as usize).min(source);
            let start = weights.len();
            let mut total = 0.0;
            for j in lo..hi {
                let distance = ((j as f64 + 0.5) - center).abs() / support;
                let w = (1.0 - distance).max(0.0);
                weights.push(w);
                total += w;
            }
            if total <= 0.0 {
                // Cannot happen for positive sizes; keep the nearest pixel.
                weights.truncate(start);
                let nearest = (center.floor() as usize).min(source - 1);
                spans.push((nearest, start, 1));
                weights.push(1.0);
                continue;
            }
            for w in &mut weights[start..] {
                *w /= total;
            }
            spans.push((lo, start, hi - lo));
        }
        Taps {
            spans,
            weights: weights.into_iter().map(|w| w as f32).collect(),
        }
    }

    fn get(&self, i: usize) -> (usize, &[f32]) {
        let (first, start, count) = self.spans[i];
        (first, &self.weights[start..start + count])
    }
}
