//! Stage 6: binarisation and thinning. Ridges are where the enhanced image
//! is positive; specks of ridge and pin-holes in ridges smaller than a few
//! pixels are cleaned away, then ridges are thinned to one-pixel-wide,
//! 8-connected lines by topology-preserving directional peeling.

use super::grid::Grid;
use super::segment::{label_regions, BLOCK};

/// Connected ridge or valley specks below this many pixels are noise.
const MIN_SPECK_PIXELS: usize = 24;

pub fn binarise(enhanced: &Grid<f32>, mask: &Grid<bool>) -> Grid<bool> {
    let mut ridges = Grid::filled(enhanced.width, enhanced.height, false);
    for y in 0..enhanced.height {
        for x in 0..enhanced.width {
            if mask.get(x / BLOCK, y / BLOCK) && enhanced.get(x, y) > 0.0 {
                ridges.set(x, y, true);
            }
        }
    }
    for value in [true, false] {
        let (labels, sizes) = label_regions(&ridges, value);
        for (r, &l) in ridges.data.iter_mut().zip(&labels.data) {
            if l != 0 && sizes[l as usize] < MIN_SPECK_PIXELS {
                *r = !value;
            }
        }
    }
    ridges
}

/// The 8 neighbours in ring order starting east, going towards +y (down).
pub const RING: [(isize, isize); 8] = [
    (1, 0),
    (1, 1),
    (0, 1),
    (-1, 1),
    (-1, 0),
    (-1, -1),
    (0, -1),
    (1, -1),
];

/// Bit mask of the 8-neighbourhood (bit i = RING[i]); outside counts as 0.
#[inline]
pub fn neighbourhood(grid: &Grid<bool>, x: usize, y: usize) -> u8 {
    let w = grid.width;
    if x > 0 && y > 0 && x + 1 < w && y + 1 < grid.height {
        // Inside: three rows read directly.
        return neighbourhood_inside(&grid.data, w, y * w + x);
    }
    let mut bits = 0u8;
    for (i, (dx, dy)) in RING.iter().enumerate() {
        let (nx, ny) = (x as isize + dx, y as isize + dy);
        if nx >= 0
            && ny >= 0
            && (nx as usize) < grid.width
            && (ny as usize) < grid.height
            && grid.get(nx as usize, ny as usize)
        {
            bits |= 1 << i;
        }
    }
    bits
}

/// Yokoi's 8-connectivity number: 1 means removing the centre pixel keeps
/// the topology of both ridge and background.
fn connectivity_8(bits: u8) -> u32 {
    let b = |i: usize| 1 - ((bits >> (i % 8)) & 1) as u32; // background indicator
    [0, 2, 4, 6]
        .iter()
        .map(|&k| b(k) - b(k) * b(k + 1) * b(k + 2))
        .sum()
}

/// Crossing number: half the number of ridge/background changes around the ring.
pub fn crossing_number(bits: u8) -> u32 {
    (0..8)
        .filter(|&i| ((bits >> i) & 1) != ((bits >> ((i + 1) % 8)) & 1))
        .count() as u32
        / 2
}

/// For each peeling direction (E, S, W, N) and 8-neighbourhood: may the
/// pixel go? Open on that side, not a line end, and simple.
fn deletable_tables() -> [[bool; 256]; 4] {
    let mut deletable = [[false; 256]; 4];
    for (d, table) in deletable.iter_mut().enumerate() {
        let facing = [0usize, 2, 4, 6][d];
        for (bits, entry) in table.iter_mut().enumerate() {
            let bits = bits as u8;
            let open_side = (bits >> facing) & 1 == 0;
            *entry = open_side && bits.count_ones() >= 2 && connectivity_8(bits) == 1;
        }
    }
    deletable
}

/// Thin ridges to one-pixel lines. Each pass peels border pixels facing one
/// direction (E, S, W, N) that are simple (removal changes no topology) and
/// not line ends, until nothing changes.
pub fn thin(ridges: &Grid<bool>) -> Grid<bool> {
    // Built once: thinning runs once or twice per image.
    static DELETABLE: std::sync::OnceLock<[[bool; 256]; 4]> = std::sync::OnceLock::new();
    let deletable = DELETABLE.get_or_init(deletable_tables);
    // Worked on a copy with a one-pixel frame of background, so that every
    // pixel's neighbourhood is eight direct reads at fixed offsets (no
    // border test, no division to find its row): the frame reads as the
    // outside does in `neighbourhood`, and row-major order, in which the
    // pixels are visited, is the same.
    let (w, h) = (ridges.width, ridges.height);
    let framed_width = w + 2;
    let mut framed = vec![false; framed_width * (h + 2)];
    for y in 0..h {
        let row = (y + 1) * framed_width + 1;
        framed[row..row + w].copy_from_slice(&ridges.data[y * w..(y + 1) * w]);
    }
    let mut candidates: Vec<u32> = (0..framed.len() as u32)
        .filter(|&i| framed[i as usize])
        .collect();
    let mut marked = Vec::new();
    loop {
        let mut changed = false;
        for table in deletable {
            // Mark on the image as it was before this pass (so a pass peels
            // one layer, not a whole ridge), then delete each marked pixel
            // only if it is still removable (so topology is kept).
            marked.clear();
            for &i in &candidates {
                let i = i as usize;
                if framed[i] && table[neighbourhood_inside(&framed, framed_width, i) as usize] {
                    marked.push(i);
                }
            }
            for &i in &marked {
                if table[neighbourhood_inside(&framed, framed_width, i) as usize] {
                    framed[i] = false;
                    changed = true;
                }
            }
        }
        candidates.retain(|&i| framed[i as usize]);
        if !changed {
            let mut skeleton = Grid::filled(w, h, false);
            for y in 0..h {
                let row = (y + 1) * framed_width + 1;
                skeleton.data[y * w..(y + 1) * w].copy_from_slice(&framed[row..row + w]);
            }
            return skeleton;
        }
    }
}

/// [`neighbourhood`] of pixel `i` of a row-major grid `width` wide, which
/// must not lie on the grid's border.
#[inline]
fn neighbourhood_inside(d: &[bool], width: usize, i: usize) -> u8 {
    let (up, down) = (i - width, i + width);
    d[i + 1] as u8
        | (d[down + 1] as u8) << 1
        | (d[down] as u8) << 2
        | (d[down - 1] as u8) << 3
        | (d[i - 1] as u8) << 4
        | (d[up - 1] as u8) << 5
        | (d[up] as u8) << 6
        | (d[up + 1] as u8) << 7
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `thin` as first written: on the grid itself, each neighbourhood
    /// through `neighbourhood` (border tests, row by division).
    fn thin_reference(ridges: &Grid<bool>) -> Grid<bool> {
        let deletable = deletable_tables();
        let mut skeleton = ridges.clone();
        let mut candidates: Vec<usize> = (0..skeleton.data.len())
            .filter(|&i| skeleton.data[i])
            .collect();
        let w = skeleton.width;
        loop {
            let mut changed = false;
            let mut marked = Vec::new();
            for table in &deletable {
                marked.clear();
                marked.extend(candidates.iter().copied().filter(|&i| {
                    skeleton.data[i] && table[neighbourhood(&skeleton, i % w, i / w) as usize]
                }));
                for &i in &marked {
                    if table[neighbourhood(&skeleton, i % w, i / w) as usize] {
                        skeleton.data[i] = false;
                        changed = true;
                    }
                }
            }
            candidates.retain(|&i| skeleton.data[i]);
            if !changed {
                return skeleton;
            }
        }
    }

    #[test]
    fn thinning_gives_the_unframed_result_to_the_pixel() {
        let mut rng = crate::test_rng::XorShift(0x5851_f42d_4c95_7f2d);
        for (width, height) in [(1, 1), (3, 2), (17, 40), (64, 48)] {
            for density in [2, 5, 8] {
                // Random discs of ridge, some cut by the image's edges, on
                // random specks: wide ridges, holes and one-pixel lines.
                let mut grid = Grid::filled(width, height, false);
                for v in grid.data.iter_mut() {
                    *v = rng.below(10) < density / 2;
                }
                for _ in 0..density {
                    let (cx, cy) = (rng.below(width as u64), rng.below(height as u64));
                    let r = 1 + rng.below(6);
                    for y in 0..height {
                        for x in 0..width {
                            let (dx, dy) = (x as i64 - cx as i64, y as i64 - cy as i64);
                            if dx * dx + dy * dy <= (r * r) as i64 {
                                grid.set(x, y, true);
                            }
                        }
                    }
                }
                assert_eq!(
                    thin(&grid),
                    thin_reference(&grid),
                    "{width}x{height}, density {density}"
                );
            }
        }
    }
}
