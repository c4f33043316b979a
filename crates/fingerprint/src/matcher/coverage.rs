//! The area a template's minutiae cover: every point within
//! [`OVERLAP_REACH`] of one of them, as a bitmap of small cells computed
//! once per template, so that a comparison tells which minutiae of the
//! other finger lie in the area both impressions show with one lookup per
//! minutia instead of a search over all pairs.

/// How close a minutia must come to the other finger's minutiae to count
/// as inside the area both impressions show (pixels at 500 ppi).
pub const OVERLAP_REACH: f32 = 35.0;
/// Cell side in pixels: a point's distance is judged from its cell's centre,
/// so the reach is exact to within half a cell diagonal (3.5 px).
const CELL: f32 = 5.0;

#[derive(Clone, Debug, Default)]
pub struct Coverage {
    x0: f32,
    y0: f32,
    width: usize,
    height: usize,
    bits: Vec<u64>,
}

impl Coverage {
    pub fn new(points: impl Iterator<Item = (f32, f32)> + Clone) -> Self {
        let (mut x0, mut y0) = (f32::INFINITY, f32::INFINITY);
        let (mut x1, mut y1) = (f32::NEG_INFINITY, f32::NEG_INFINITY);
        for (x, y) in points.clone() {
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
        if x0 > x1 {
            return Coverage::default();
        }
        let (x0, y0) = (x0 - OVERLAP_REACH, y0 - OVERLAP_REACH);
        let width = ((x1 + OVERLAP_REACH - x0) / CELL) as usize + 1;
        let height = ((y1 + OVERLAP_REACH - y0) / CELL) as usize + 1;
        let mut cover = Coverage {
            x0,
            y0,
            width,
            height,
            bits: vec![0; (width * height).div_ceil(64)],
        };
        let reach2 = OVERLAP_REACH * OVERLAP_REACH;
        for (x, y) in points {
            // Row by row: the cells whose centres lie within the reach form
            // one run per row.
            let (gy0, gy1) = (
                ((y - OVERLAP_REACH - y0) / CELL - 0.5).ceil().max(0.0) as usize,
                (((y + OVERLAP_REACH - y0) / CELL - 0.5).floor() as usize).min(height - 1),
            );
            for gy in gy0..=gy1 {
                let dy = y0 + (gy as f32 + 0.5) * CELL - y;
                let half = (reach2 - dy * dy).max(0.0).sqrt();
                let gx0 = ((x - half - x0) / CELL - 0.5).ceil().max(0.0) as usize;
                let gx1 = (((x + half - x0) / CELL - 0.5).floor().max(-1.0) + 1.0) as usize;
                for gx in gx0..gx1.min(width) {
                    let i = gy * width + gx;
                    cover.bits[i / 64] |= 1 << (i % 64);
                }
            }
        }
        cover
    }

    /// Whether (x, y) lies within the reach of one of the points.
    #[inline]
    pub fn contains(&self, x: f32, y: f32) -> bool {
        let (gx, gy) = ((x - self.x0) / CELL, (y - self.y0) / CELL);
        if !(gx >= 0.0 && gy >= 0.0) {
            return false;
        }
        let (gx, gy) = (gx as usize, gy as usize);
        if gx >= self.width || gy >= self.height {
            return false;
        }
        let i = gy * self.width + gx;
        self.bits[i / 64] >> (i % 64) & 1 == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_the_reach_around_each_point_and_nothing_far() {
        let points = [(100.0, -50.0), (300.0, -200.0)];
        let c = Coverage::new(points.iter().copied());
        assert!(c.contains(100.0, -50.0));
        assert!(c.contains(100.0 + OVERLAP_REACH - 4.0, -50.0));
        assert!(!c.contains(100.0 + OVERLAP_REACH + 4.0, -50.0));
        assert!(!c.contains(200.0, -125.0));
        assert!(c.contains(300.0, -200.0 - OVERLAP_REACH + 4.0));
        assert!(!c.contains(-1000.0, 1000.0));
        assert!(!Coverage::new(std::iter::empty()).contains(0.0, 0.0));
    }
}
