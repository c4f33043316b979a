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
    /// One bit per cell, row by row (empty when the points are kept instead).
    bits: Vec<u64>,
    /// Without a bitmap ([`Coverage::points`]): each point and its first and
    /// last row of cells.
    points: Vec<(f32, f32, usize, usize)>,
}

impl Coverage {
    /// The bitmap: worth building for a template compared many times.
    pub fn new(points: impl Iterator<Item = (f32, f32)> + Clone) -> Self {
        let mut cover = Self::frame(points.clone());
        if cover.width == 0 {
            return cover;
        }
        cover.bits = vec![0; (cover.width * cover.height).div_ceil(64)];
        for (x, y) in points {
            let (gy0, gy1) = cover.rows(y);
            for gy in gy0..=gy1 {
                for gx in cover.columns(x, y, gy) {
                    let i = gy * cover.width + gx;
                    cover.bits[i / 64] |= 1 << (i % 64);
                }
            }
        }
        cover
    }

    /// The same area as [`Coverage::new`], cell for cell, kept as the
    /// points: a lookup then tests each point, which is cheaper than the
    /// bitmap for a template compared once (a 1:N candidate looks up only
    /// the probe's few dozen minutiae).
    pub fn points(points: impl Iterator<Item = (f32, f32)> + Clone) -> Self {
        let mut cover = Self::frame(points.clone());
        if cover.width == 0 {
            return cover;
        }
        cover.points = points
            .map(|(x, y)| {
                let (gy0, gy1) = cover.rows(y);
                (x, y, gy0, gy1)
            })
            .collect();
        cover
    }

    /// Whether this holds points rather than a bitmap.
    pub fn is_points(&self) -> bool {
        !self.points.is_empty()
    }

    /// The grid: the points' bounding box grown by the reach (empty for no
    /// points).
    fn frame(points: impl Iterator<Item = (f32, f32)>) -> Self {
        let (mut x0, mut y0) = (f32::INFINITY, f32::INFINITY);
        let (mut x1, mut y1) = (f32::NEG_INFINITY, f32::NEG_INFINITY);
        for (x, y) in points {
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
        if x0 > x1 {
            return Coverage::default();
        }
        let (x0, y0) = (x0 - OVERLAP_REACH, y0 - OVERLAP_REACH);
        Coverage {
            x0,
            y0,
            width: ((x1 + OVERLAP_REACH - x0) / CELL) as usize + 1,
            height: ((y1 + OVERLAP_REACH - y0) / CELL) as usize + 1,
            ..Coverage::default()
        }
    }

    /// First and last row whose cell centres a point at height y reaches
    /// (none when the first is past the last).
    fn rows(&self, y: f32) -> (usize, usize) {
        (
            ((y - OVERLAP_REACH - self.y0) / CELL - 0.5).ceil().max(0.0) as usize,
            (((y + OVERLAP_REACH - self.y0) / CELL - 0.5).floor() as usize).min(self.height - 1),
        )
    }

    /// The cells of row gy whose centres lie within the reach of (x, y):
    /// one run, since the reach is a disc.
    fn columns(&self, x: f32, y: f32, gy: usize) -> std::ops::Range<usize> {
        let dy = self.y0 + (gy as f32 + 0.5) * CELL - y;
        let half = (OVERLAP_REACH * OVERLAP_REACH - dy * dy).max(0.0).sqrt();
        let gx0 = ((x - half - self.x0) / CELL - 0.5).ceil().max(0.0) as usize;
        let gx1 = (((x + half - self.x0) / CELL - 0.5).floor().max(-1.0) + 1.0) as usize;
        gx0..gx1.min(self.width)
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
        if self.points.is_empty() {
            let i = gy * self.width + gx;
            return self.bits[i / 64] >> (i % 64) & 1 == 1;
        }
        // The same cells `new` would set, asked of each point in turn. A
        // cell is set when its centre is within the reach; the squared
        // distance settles that at once unless the centre lies within a
        // hair of the reach's edge, where the exact rows and columns of
        // `new` decide (their rounding is far smaller than the hair).
        const HAIR: f32 = 0.5;
        let (near, far) = (
            OVERLAP_REACH * OVERLAP_REACH - HAIR,
            OVERLAP_REACH * OVERLAP_REACH + HAIR,
        );
        let (cx, cy) = (
            self.x0 + (gx as f32 + 0.5) * CELL,
            self.y0 + (gy as f32 + 0.5) * CELL,
        );
        self.points.iter().any(|&(px, py, gy0, gy1)| {
            let d2 = (cx - px) * (cx - px) + (cy - py) * (cy - py);
            d2 <= near
                || (d2 < far && (gy0..=gy1).contains(&gy) && self.columns(px, py, gy).contains(&gx))
        })
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
        assert!(!Coverage::points(std::iter::empty()).contains(0.0, 0.0));
    }

    #[test]
    fn points_cover_exactly_the_cells_of_the_bitmap() {
        // Pseudo-random point sets, every cell of the grid and beyond asked
        // at its centre and near its corners.
        let mut rng = crate::test_rng::XorShift(0x2545_f491_4f6c_dd1d);
        let mut next = |range: f32| rng.unit() * range;
        for n in [1, 2, 7, 40, 3, 12, 25, 60, 5, 33, 40, 40, 80, 17] {
            let points: Vec<(f32, f32)> = (0..n).map(|_| (next(400.0), -next(400.0))).collect();
            let (bitmap, kept) = (
                Coverage::new(points.iter().copied()),
                Coverage::points(points.iter().copied()),
            );
            assert!(kept.is_points() && !bitmap.is_points());
            let mut inside = 0;
            for gy in -3..(bitmap.height as i32 + 3) {
                for gx in -3..(bitmap.width as i32 + 3) {
                    for (fx, fy) in [(0.5, 0.5), (0.01, 0.01), (0.99, 0.99), (0.0, 0.0)] {
                        let x = bitmap.x0 + (gx as f32 + fx) * CELL;
                        let y = bitmap.y0 + (gy as f32 + fy) * CELL;
                        assert_eq!(bitmap.contains(x, y), kept.contains(x, y), "{x} {y}");
                        inside += bitmap.contains(x, y) as usize;
                    }
                }
            }
            assert!(inside > 0);
        }
    }
}
