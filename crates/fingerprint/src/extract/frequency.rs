//! Stage 4: ridge frequency, stored as the ridge period in pixels per block.
//!
//! For each block a signature is taken across the ridges (averaging along
//! them) and its period is the lag of the first autocorrelation peak. Blocks
//! without a clear peak take the coherence-weighted average of their
//! neighbours, so every foreground block ends with a plausible period.

use super::grid::{gaussian_blur, Grid};
use super::orientation::OrientationField;
use super::segment::BLOCK;

/// Ridge periods outside this range (pixels at 500 ppi) are not ridges.
pub const MIN_PERIOD: f32 = 5.0;
pub const MAX_PERIOD: f32 = 15.0;
/// The usual adult ridge period at 500 ppi, used where nothing is measurable.
pub const DEFAULT_PERIOD: f32 = 9.0;

/// Half-length of the signature across the ridges, in pixels.
const ACROSS: isize = 16;
/// Half-width of the window along the ridges, in pixels (sampled every 2).
const ALONG: isize = 7;
/// Smoothing of the measured periods, in blocks (28 px, about three ridge
/// periods). The ridge period changes slowly across a finger, while single
/// measurements fail in patches (dots and breaks of dry prints, creases,
/// a multiple of the period picked): at 1.5 blocks such a patch kept its
/// wrong period and the band-pass there, tuned to it, broke the ridges
/// (FVC2002 DB4 EER 6.07 -> 3.57 %).
const SMOOTH_SIGMA: f32 = 3.5;

pub fn ridge_period(image: &Grid<f32>, field: &OrientationField, mask: &Grid<bool>) -> Grid<f32> {
    let (bw, bh) = (mask.width, mask.height);
    let mut period = Grid::new(bw, bh);
    let mut weight = Grid::new(bw, bh);
    let mut signature = [0f32; (2 * ACROSS) as usize];
    for by in 0..bh {
        for bx in 0..bw {
            if !mask.get(bx, by) {
                continue;
            }
            let theta = field.block_angle(bx, by);
            let (along_x, along_y) = (theta.cos(), theta.sin());
            let (across_x, across_y) = (-along_y, along_x);
            let cx = (bx * BLOCK) as f32 + (BLOCK as f32 - 1.0) / 2.0;
            let cy = (by * BLOCK) as f32 + (BLOCK as f32 - 1.0) / 2.0;
            for (i, s) in signature.iter_mut().enumerate() {
                let t = i as f32 - ACROSS as f32 + 0.5;
                let mut acc = 0.0;
                let mut n = 0.0;
                for a in (-ALONG..=ALONG).step_by(2) {
                    let x = nearest(cx + t * across_x + a as f32 * along_x);
                    let y = nearest(cy + t * across_y + a as f32 * along_y);
                    if x >= 0 && y >= 0 && (x as usize) < image.width && (y as usize) < image.height
                    {
                        acc += image.get(x as usize, y as usize);
                        n += 1.0;
                    }
                }
                *s = if n > 0.0 { acc / n } else { f32::NAN };
            }
            if let Some((p, strength)) = signature_period(&signature) {
                period.set(bx, by, p * strength);
                weight.set(bx, by, strength);
            }
        }
    }
    // Weighted smoothing fills the gaps and removes outliers.
    let num = gaussian_blur(&period, SMOOTH_SIGMA);
    let den = gaussian_blur(&weight, SMOOTH_SIGMA);
    let measured: Vec<f32> = weight
        .data
        .iter()
        .zip(&period.data)
        .filter(|(w, _)| **w > 0.0)
        .map(|(w, p)| p / w)
        .collect();
    let fallback = median(measured).unwrap_or(DEFAULT_PERIOD);
    let mut out = Grid::filled(bw, bh, fallback);
    for i in 0..out.data.len() {
        if den.data[i] > 0.05 {
            out.data[i] = (num.data[i] / den.data[i]).clamp(MIN_PERIOD, MAX_PERIOD);
        }
    }
    out
}

/// Nearest whole pixel: `floor(v + 0.5)` without a libm call (the
/// signatures take a quarter of a million samples per image).
#[inline]
fn nearest(v: f32) -> isize {
    let t = v + 0.5;
    let i = t as isize;
    if (i as f32) > t {
        i - 1
    } else {
        i
    }
}

fn median(mut values: Vec<f32>) -> Option<f32> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    Some(values[values.len() / 2])
}

/// Period of a signature and the strength of its periodicity (0..1), from
/// the first autocorrelation maximum within the plausible range.
fn signature_period(signature: &[f32]) -> Option<(f32, f32)> {
    if signature.iter().any(|v| v.is_nan()) {
        return None;
    }
    let n = signature.len();
    let mean = signature.iter().sum::<f32>() / n as f32;
    let centred: Vec<f32> = signature.iter().map(|v| v - mean).collect();
    let r0: f32 = centred.iter().map(|v| v * v).sum();
    if r0 <= 1e-3 {
        return None;
    }
    let max_lag = (MAX_PERIOD.ceil() as usize + 1).min(n - 2);
    let min_lag = MIN_PERIOD.floor() as usize - 1;
    let r: Vec<f32> = (0..=max_lag + 1)
        .map(|lag| {
            let s: f32 = (0..n - lag).map(|i| centred[i] * centred[i + lag]).sum();
            s / (n - lag) as f32 * n as f32 / r0
        })
        .collect();
    // The first strong peak: a multiple of the period can score as high.
    let peaks: Vec<usize> = (min_lag.max(1)..=max_lag)
        .filter(|&lag| r[lag] > r[lag - 1] && r[lag] >= r[lag + 1])
        .collect();
    let highest = peaks.iter().map(|&l| r[l]).fold(f32::MIN, f32::max);
    let lag = *peaks.iter().find(|&&l| r[l] >= 0.8 * highest)?;
    let value = r[lag];
    if value < 0.2 {
        return None;
    }
    // Parabolic refinement of the peak position.
    let (a, b, c) = (r[lag - 1], r[lag], r[lag + 1]);
    let denom = a - 2.0 * b + c;
    let offset = if denom.abs() > 1e-6 {
        0.5 * (a - c) / denom
    } else {
        0.0
    };
    let p = lag as f32 + offset.clamp(-0.5, 0.5);
    if !(MIN_PERIOD..=MAX_PERIOD).contains(&p) {
        return None;
    }
    Some((p, value.min(1.0)))
}
