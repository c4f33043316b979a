//! Stage 5: contextual enhancement. An oriented, frequency-tuned filter,
//! applied as two 1-D passes (a separable Gabor filter):
//! 1. smoothing along the ridge (a Gaussian along the local orientation),
//!    which bridges small breaks and averages out pores and noise;
//! 2. a band-pass across the ridge (a zero-mean cosine with a Gaussian
//!    envelope at the local ridge period), which restores the ridge profile.
//!
//! Taps sit on whole pixels; each tap's weight uses that pixel's exact
//! along/across position, so the filter stays phase-correct at any angle.

use std::f32::consts::PI;
use std::sync::OnceLock;

use super::frequency::{MAX_PERIOD, MIN_PERIOD};
use super::grid::{Bilinear, Grid};
use super::orientation::OrientationField;
use super::segment::BLOCK;

const ORIENTATIONS: usize = 24;
const PERIOD_STEP: f32 = 0.5;
const PERIODS: usize = ((MAX_PERIOD - MIN_PERIOD) / PERIOD_STEP) as usize + 1;
/// Along-ridge smoothing: Gaussian sigma and half-length in pixels.
const ALONG_SIGMA: f32 = 4.5;
const ALONG_RADIUS: isize = 9;
/// How far a tap may sit off its line before its weight fades (pixels).
const OFF_LINE_SIGMA: f32 = 0.7;
/// Across-ridge envelope sigma as a fraction of the ridge period.
const ACROSS_SIGMA_PER_PERIOD: f32 = 0.42;

struct Tap {
    offset: (i16, i16),
    weight: f32,
}

struct Bank {
    along: Vec<Vec<Tap>>,
    /// Indexed by orientation * PERIODS + period bin.
    across: Vec<Vec<Tap>>,
}

fn line_taps(angle: f32, radius: isize, weight: impl Fn(f32, f32) -> f32) -> Vec<Tap> {
    let (dx, dy) = (angle.cos(), angle.sin());
    let mut taps: Vec<Tap> = Vec::new();
    for k in -radius..=radius {
        let ox = (k as f32 * dx).round() as i16;
        let oy = (k as f32 * dy).round() as i16;
        if taps.iter().any(|t| t.offset == (ox, oy)) {
            continue;
        }
        // Position of the rounded tap along and across the line.
        let along = ox as f32 * dx + oy as f32 * dy;
        let off = -(ox as f32) * dy + oy as f32 * dx;
        let w = weight(along, off) * (-(off * off) / (2.0 * OFF_LINE_SIGMA * OFF_LINE_SIGMA)).exp();
        taps.push(Tap {
            offset: (ox, oy),
            weight: w,
        });
    }
    taps
}

fn bank() -> &'static Bank {
    static BANK: OnceLock<Bank> = OnceLock::new();
    BANK.get_or_init(|| {
        let mut along = Vec::new();
        let mut across = Vec::new();
        for o in 0..ORIENTATIONS {
            let theta = o as f32 * PI / ORIENTATIONS as f32;
            let mut taps = line_taps(theta, ALONG_RADIUS, |t, _| {
                (-(t * t) / (2.0 * ALONG_SIGMA * ALONG_SIGMA)).exp()
            });
            let sum: f32 = taps.iter().map(|t| t.weight).sum();
            taps.iter_mut().for_each(|t| t.weight /= sum);
            along.push(taps);
            for p in 0..PERIODS {
                let period = MIN_PERIOD + p as f32 * PERIOD_STEP;
                let sigma = ACROSS_SIGMA_PER_PERIOD * period;
                let radius = (2.0 * sigma).ceil() as isize;
                let envelope = |t: f32| (-(t * t) / (2.0 * sigma * sigma)).exp();
                let mut taps = line_taps(theta + PI / 2.0, radius, |t, _| {
                    envelope(t) * (2.0 * PI * t / period).cos()
                });
                let envelopes = line_taps(theta + PI / 2.0, radius, |t, _| envelope(t));
                // Remove the DC response: flat regions must give zero.
                let dc: f32 = taps.iter().map(|t| t.weight).sum::<f32>()
                    / envelopes.iter().map(|t| t.weight).sum::<f32>();
                for (t, e) in taps.iter_mut().zip(&envelopes) {
                    t.weight -= dc * e.weight;
                }
                let norm: f32 = taps.iter().map(|t| t.weight.abs()).sum();
                taps.iter_mut().for_each(|t| t.weight /= norm);
                across.push(taps);
            }
        }
        Bank { along, across }
    })
}

/// Taps as flat offsets for one image width, with the largest reach.
struct FlatKernel {
    offsets: Vec<isize>,
    weights: Vec<f32>,
    reach: usize,
}

fn flatten(taps: &[Tap], width: usize) -> FlatKernel {
    FlatKernel {
        offsets: taps
            .iter()
            .map(|t| t.offset.1 as isize * width as isize + t.offset.0 as isize)
            .collect(),
        weights: taps.iter().map(|t| t.weight).collect(),
        reach: taps
            .iter()
            .map(|t| t.offset.0.unsigned_abs().max(t.offset.1.unsigned_abs()) as usize)
            .max()
            .unwrap_or(0),
    }
}

fn apply(source: &Grid<f32>, taps: &[Tap], kernel: &FlatKernel, x: usize, y: usize) -> f32 {
    let (w, h) = (source.width, source.height);
    let r = kernel.reach;
    if x >= r && y >= r && x + r < w && y + r < h {
        let centre = (y * w + x) as isize;
        let mut acc = 0.0;
        for (o, wt) in kernel.offsets.iter().zip(&kernel.weights) {
            acc += wt * source.data[(centre + o) as usize];
        }
        return acc;
    }
    let mut acc = 0.0;
    for t in taps {
        let sx = (x as isize + t.offset.0 as isize).clamp(0, w as isize - 1);
        let sy = (y as isize + t.offset.1 as isize).clamp(0, h as isize - 1);
        acc += t.weight * source.data[sy as usize * w + sx as usize];
    }
    acc
}

/// atan2 to within about 0.005 rad, several times faster than the libm one
/// (the angle is only used to pick one of 24 filters).
fn fast_atan2(y: f32, x: f32) -> f32 {
    let (ax, ay) = (x.abs(), y.abs());
    if ax == 0.0 && ay == 0.0 {
        return 0.0;
    }
    let (a, swap) = if ay > ax {
        (ax / ay, true)
    } else {
        (ay / ax, false)
    };
    let s = a * a;
    let mut r = ((-0.046_496_474 * s + 0.159_314_22) * s - 0.327_622_77) * s * a + a;
    if swap {
        r = PI / 2.0 - r;
    }
    if x < 0.0 {
        r = PI - r;
    }
    if y < 0.0 {
        -r
    } else {
        r
    }
}

/// Enhanced image: positive on ridges, negative in valleys, 0 outside the
/// region (`region` is the block mask the filter runs on).
pub fn enhance(
    image: &Grid<f32>,
    field: &OrientationField,
    period: &Grid<f32>,
    region: &Grid<bool>,
) -> Grid<f32> {
    let bank = bank();
    let (w, h) = (image.width, image.height);
    let mut kernel_of = Grid::<u16>::new(w, h);
    let half = (BLOCK as f32 - 1.0) / 2.0;
    // Each pixel's place in the block grids, worked out once per column
    // and once per row (the same bits as sampling at (bx, by)).
    let block_columns = |grid: &Grid<f32>| -> Vec<Bilinear> {
        (0..w)
            .map(|x| Bilinear::new((x as f32 - half) / BLOCK as f32, grid.width))
            .collect()
    };
    let (sin_columns, cos_columns, period_columns) = (
        block_columns(&field.sin2),
        block_columns(&field.cos2),
        block_columns(period),
    );
    for y in 0..h {
        let by = (y as f32 - half) / BLOCK as f32;
        let [sin_row, cos_row, period_row] =
            [&field.sin2, &field.cos2, period].map(|g| Bilinear::new(by, g.height));
        let columns = sin_columns.iter().zip(&cos_columns).zip(&period_columns);
        for (x, ((sin_column, cos_column), period_column)) in columns.enumerate() {
            if !region.get(x / BLOCK, y / BLOCK) {
                continue;
            }
            let theta = 0.5
                * fast_atan2(
                    field.sin2.sample_at(sin_column, &sin_row),
                    field.cos2.sample_at(cos_column, &cos_row),
                );
            // Nearest filter by adding 0.5 and truncating (both values are
            // non-negative; `round` is a libm call per pixel).
            let theta = if theta < 0.0 { theta + PI } else { theta };
            let o = (theta / PI * ORIENTATIONS as f32 + 0.5) as usize % ORIENTATIONS;
            let p = period.sample_at(period_column, &period_row);
            let pb = (((p - MIN_PERIOD) / PERIOD_STEP).max(0.0) + 0.5).min((PERIODS - 1) as f32)
                as usize;
            kernel_of.set(x, y, (o * PERIODS + pb) as u16);
        }
    }
    let (along, across) = bank.passes(w);
    let smoothed = filter_pass(image, region, &kernel_of, &along);
    filter_pass(&smoothed, region, &kernel_of, &across)
}

/// One of the filter's two passes: its kernels (as taps, and flattened for
/// the image's width), and which of them a pixel's entry in the kernel grid
/// (orientation * PERIODS + period) picks.
struct Pass<'a, P: Fn(u16) -> usize> {
    pick: P,
    taps: &'a [Vec<Tap>],
    kernels: Vec<FlatKernel>,
}

impl Bank {
    /// The along-ridge pass (its kernel by orientation) and the
    /// across-ridge one (by orientation and period), for images `width`
    /// pixels wide.
    fn passes(
        &self,
        width: usize,
    ) -> (
        Pass<'_, impl Fn(u16) -> usize>,
        Pass<'_, impl Fn(u16) -> usize>,
    ) {
        let flat = |taps: &[Vec<Tap>]| taps.iter().map(|t| flatten(t, width)).collect();
        (
            Pass {
                pick: |k| k as usize / PERIODS,
                taps: &self.along,
                kernels: flat(&self.along),
            },
            Pass {
                pick: |k| k as usize,
                taps: &self.across,
                kernels: flat(&self.across),
            },
        )
    }
}

/// Pixels a filter pass takes at once where they share a kernel.
const RUN: usize = 8;

/// One pass of the filter: every pixel of the region gets `source` under
/// its own kernel (the pass's pick of its entry in `kernel_of`), zero
/// elsewhere.
/// Where [`RUN`] pixels in a row share a kernel and lie inside its reach
/// (most of a print: the kernel follows the slowly turning ridge flow),
/// they are summed together, tap by tap: each pixel's sum is the same as
/// alone, term for term and in the same order (the same bits), but the
/// compiler can use vector registers for the eight.
fn filter_pass<P: Fn(u16) -> usize>(
    source: &Grid<f32>,
    region: &Grid<bool>,
    kernel_of: &Grid<u16>,
    pass: &Pass<P>,
) -> Grid<f32> {
    let Pass {
        pick,
        taps,
        kernels,
    } = pass;
    let (w, h) = (source.width, source.height);
    let mut out = Grid::new(w, h);
    for y in 0..h {
        let row = &kernel_of.data[y * w..(y + 1) * w];
        let mut x = 0;
        while x < w {
            if !region.get(x / BLOCK, y / BLOCK) {
                x += 1;
                continue;
            }
            let k = pick(row[x]);
            let kernel = &kernels[k];
            let r = kernel.reach;
            let together = x >= r
                && y >= r
                && y + r < h
                && x + RUN - 1 + r < w
                && (1..RUN)
                    .all(|l| region.get((x + l) / BLOCK, y / BLOCK) && pick(row[x + l]) == k);
            if !together {
                out.set(x, y, apply(source, &taps[k], kernel, x, y));
                x += 1;
                continue;
            }
            let centre = y * w + x;
            let mut sums = [0.0f32; RUN];
            for (o, wt) in kernel.offsets.iter().zip(&kernel.weights) {
                let start = (centre as isize + o) as usize;
                let pixels: &[f32; RUN] = source.data[start..start + RUN].try_into().unwrap();
                for (sum, &p) in sums.iter_mut().zip(pixels) {
                    *sum += wt * p;
                }
            }
            out.data[centre..centre + RUN].copy_from_slice(&sums);
            x += RUN;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `filter_pass` as first written: one pixel at a time through `apply`.
    fn filter_pass_by_pixel<P: Fn(u16) -> usize>(
        source: &Grid<f32>,
        region: &Grid<bool>,
        kernel_of: &Grid<u16>,
        pass: &Pass<P>,
    ) -> Grid<f32> {
        let mut out = Grid::new(source.width, source.height);
        for y in 0..source.height {
            for x in 0..source.width {
                if region.get(x / BLOCK, y / BLOCK) {
                    let k = (pass.pick)(kernel_of.get(x, y));
                    out.set(x, y, apply(source, &pass.taps[k], &pass.kernels[k], x, y));
                }
            }
        }
        out
    }

    #[test]
    fn runs_of_pixels_filter_to_the_bits_of_single_ones() {
        let bank = bank();
        let mut rng = crate::test_rng::XorShift(0x94d0_49bb_1331_11eb);
        for (w, h) in [(7, 5), (45, 38), (130, 97)] {
            let image = Grid {
                width: w,
                height: h,
                data: (0..w * h).map(|_| rng.unit() * 255.0).collect(),
            };
            let (bw, bh) = (w.div_ceil(BLOCK), h.div_ceil(BLOCK));
            let region = Grid {
                width: bw,
                height: bh,
                data: (0..bw * bh).map(|_| rng.below(5) != 0).collect(),
            };
            // Runs of one kernel, broken at random, as a slowly turning
            // flow gives them.
            let mut kernel = 0u16;
            let kernel_of = Grid {
                width: w,
                height: h,
                data: (0..w * h)
                    .map(|_| {
                        if rng.below(12) == 0 {
                            kernel = rng.below((ORIENTATIONS * PERIODS) as u64) as u16;
                        }
                        kernel
                    })
                    .collect(),
            };
            let (along, across) = bank.passes(w);
            assert_eq!(
                filter_pass(&image, &region, &kernel_of, &along),
                filter_pass_by_pixel(&image, &region, &kernel_of, &along),
                "{w}x{h} along"
            );
            assert_eq!(
                filter_pass(&image, &region, &kernel_of, &across),
                filter_pass_by_pixel(&image, &region, &kernel_of, &across),
                "{w}x{h} across"
            );
        }
    }
}
