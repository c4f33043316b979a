//! Ridge clarity per block: how much of the image the enhanced ridge
//! pattern explains there. The correlation, over a 3x3-block window,
//! between the input (ridges bright) and the enhanced image: near 1 where
//! the print is a clean oriented wave, low where pores printed as dots,
//! dirt, scars or smudges carry much of the image's energy and the filter
//! had to invent the ridges. Orientation coherence alone misses this: a
//! dotted print's few strong ridges can keep a block coherent.

use super::grid::Grid;
use super::segment::BLOCK;

/// Clarity in [0, 1] per block (0 outside `mask`).
pub fn ridge_clarity(image: &Grid<f32>, enhanced: &Grid<f32>, mask: &Grid<bool>) -> Grid<f32> {
    let (bw, bh) = (mask.width, mask.height);
    // Per-block sums: a, a^2, b, b^2, ab, n.
    let mut sums = vec![[0.0f64; 6]; bw * bh];
    for y in 0..image.height {
        for x in 0..image.width {
            let (a, b) = (image.get(x, y) as f64, enhanced.get(x, y) as f64);
            let s = &mut sums[(y / BLOCK) * bw + x / BLOCK];
            s[0] += a;
            s[1] += a * a;
            s[2] += b;
            s[3] += b * b;
            s[4] += a * b;
            s[5] += 1.0;
        }
    }
    let mut out = Grid::new(bw, bh);
    for by in 0..bh {
        for bx in 0..bw {
            if !mask.get(bx, by) {
                continue;
            }
            let mut t = [0.0f64; 6];
            for ny in by.saturating_sub(1)..(by + 2).min(bh) {
                for nx in bx.saturating_sub(1)..(bx + 2).min(bw) {
                    if mask.get(nx, ny) {
                        for (acc, v) in t.iter_mut().zip(&sums[ny * bw + nx]) {
                            *acc += v;
                        }
                    }
                }
            }
            let n = t[5];
            let cov = t[4] - t[0] * t[2] / n;
            let va = t[1] - t[0] * t[0] / n;
            let vb = t[3] - t[2] * t[2] / n;
            let r = if va > 0.0 && vb > 0.0 {
                cov / (va * vb).sqrt()
            } else {
                0.0
            };
            out.set(bx, by, r.clamp(0.0, 1.0) as f32);
        }
    }
    out
}
