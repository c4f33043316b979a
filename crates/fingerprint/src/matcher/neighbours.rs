//! The neighbour relation a template's edges follow: each minutia linked
//! to its twelve nearest within reach and to the nearest in each of six
//! sectors around its direction, every pair once, in order.

use super::prepared::{PreparedMinutia, MAX_EDGE, MIN_EDGE, NEIGHBOURS, SECTORS};

/// Which of [`SECTORS`] 60-degree sectors around a minutia (pointing along
/// `(cos, sin)`) the offset (dx, dy) lies in, counted from its direction:
/// a fixed function of the angle relative to the minutia, so rotation does
/// not change it. Comparisons against tan 60 degrees, no trigonometry.
#[inline]
fn sector(cos: f32, sin: f32, dx: f32, dy: f32) -> usize {
    const TAN_60: f32 = 1.732_050_8;
    // The offset in the minutia's own frame.
    let (u, v) = (dx * cos + dy * sin, -dx * sin + dy * cos);
    // Without branches (the sector of a neighbour is a coin toss to the
    // branch predictor): the lower half is the upper one turned by half.
    let lower = v < 0.0;
    let (u, v) = if lower { (-u, -v) } else { (u, v) };
    let past_first = (v >= TAN_60 * u) as usize;
    let past_second = (v <= -TAN_60 * u) as usize;
    3 * lower as usize + past_first * (1 + past_second)
}

/// Moves the `k` smallest of distinct `keys` to the front, in no order
/// (quickselect with the middle key as pivot).
fn select_smallest(keys: &mut [u64], k: usize) {
    let (mut lo, mut hi) = (0, keys.len());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        keys.swap(mid, hi - 1);
        let pivot = keys[hi - 1];
        let mut store = lo;
        for i in lo..hi - 1 {
            let smaller = keys[i] < pivot;
            keys.swap(i, store);
            store += smaller as usize;
        }
        keys.swap(store, hi - 1);
        match (store + 1).cmp(&k) {
            std::cmp::Ordering::Equal => return,
            std::cmp::Ordering::Greater => hi = store,
            std::cmp::Ordering::Less => lo = store + 1,
        }
    }
}

/// Undirected neighbour relation, each pair once as (lower, higher) in
/// ascending order: j is among i's nearest, or the nearest in one of i's
/// sectors, or the other way round.
pub(super) fn neighbour_links(minutiae: &[PreparedMinutia]) -> Vec<(u16, u16)> {
    let n = minutiae.len();
    let (min2, max2) = (MIN_EDGE * MIN_EDGE, MAX_EDGE * MAX_EDGE);
    // Up to this many minutiae the relation is marked in a bit matrix and
    // read out row by row, already in order and once each: cheaper than
    // sorting the pairs, most of which come twice (i near j, j near i).
    const MATRIX: usize = 256;
    let words = n.div_ceil(64);
    let mut matrix = if n <= MATRIX {
        vec![0u64; n * words]
    } else {
        Vec::new()
    };
    let mut listed: Vec<u32> = Vec::new();
    // Each minutia's neighbours in reach as (squared distance, index)
    // packed in one u64: a non-negative f32's bits order like its value,
    // and ties go to the lower index.
    let mut reach: Vec<u64> = Vec::with_capacity(n);
    // Coordinates as arrays, and each other minutia's squared distance and
    // sector computed in a pass without branches (the sector of a
    // neighbour is a coin toss to the branch predictor), then gathered.
    let xs: Vec<f32> = minutiae.iter().map(|m| m.x).collect();
    let ys: Vec<f32> = minutiae.iter().map(|m| m.y).collect();
    let mut d2s = vec![0f32; n];
    let mut sectors = vec![0u8; n];
    for (i, a) in minutiae.iter().enumerate() {
        let mut sector_nearest = [u64::MAX; SECTORS];
        let (cos, sin) = (a.direction.cos(), a.direction.sin());
        for j in 0..n {
            let (dx, dy) = (xs[j] - a.x, ys[j] - a.y);
            d2s[j] = dx * dx + dy * dy;
            sectors[j] = sector(cos, sin, dx, dy) as u8;
        }
        reach.clear();
        for j in 0..n {
            let d2 = d2s[j];
            if j == i || !(min2..=max2).contains(&d2) {
                continue;
            }
            let key = (d2.to_bits() as u64) << 32 | j as u64;
            reach.push(key);
            let s = &mut sector_nearest[sectors[j] as usize];
            *s = (*s).min(key);
        }
        // The nearest (in any order: the links are ordered below). A
        // selection measured faster than sorting or than insertion into
        // a short sorted array, and this one than the library's.
        if reach.len() > NEIGHBOURS {
            select_smallest(&mut reach, NEIGHBOURS);
            reach.truncate(NEIGHBOURS);
        }
        let sector_links = sector_nearest.iter().filter(|&&k| k != u64::MAX);
        for &key in reach.iter().chain(sector_links) {
            let j = (key & 0xffff_ffff) as usize;
            let (lo, hi) = (i.min(j), i.max(j));
            if n <= MATRIX {
                matrix[lo * words + hi / 64] |= 1 << (hi % 64);
            } else {
                listed.push((lo as u32) << 16 | hi as u32);
            }
        }
    }
    if n > MATRIX {
        listed.sort_unstable();
        listed.dedup();
        return listed
            .into_iter()
            .map(|l| ((l >> 16) as u16, l as u16))
            .collect();
    }
    let mut linked = Vec::with_capacity(n * NEIGHBOURS);
    for lo in 0..n {
        for (w, &word) in matrix[lo * words..(lo + 1) * words].iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let hi = w * 64 + bits.trailing_zeros() as usize;
                linked.push((lo as u16, hi as u16));
                bits &= bits - 1;
            }
        }
    }
    linked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::MinutiaKind;
    use std::f32::consts::PI;

    fn at(x: f32, y: f32) -> PreparedMinutia {
        PreparedMinutia {
            x,
            y,
            direction: 0.0,
            kind: MinutiaKind::Ending,
            weight: 1.0,
        }
    }

    #[test]
    fn selection_moves_the_smallest_keys_to_the_front() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for len in 1..80usize {
            for k in 1..=len {
                let keys: Vec<u64> = (0..len)
                    .map(|i| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1);
                        (state >> 40) << 16 | i as u64
                    })
                    .collect();
                let mut selected = keys.clone();
                select_smallest(&mut selected, k);
                let mut front = selected[..k].to_vec();
                front.sort_unstable();
                let mut sorted = keys;
                sorted.sort_unstable();
                assert_eq!(front, sorted[..k], "{len} keys, {k} smallest");
            }
        }
    }

    #[test]
    fn sectors_turn_with_the_minutia() {
        for turn in [0.0f32, 0.7, 2.0, -2.9] {
            let (cos, sin) = (turn.cos(), turn.sin());
            for k in 0..SECTORS {
                // The middle of sector k, counted from the minutia direction.
                let a = turn + (k as f32 + 0.5) * 2.0 * PI / SECTORS as f32;
                assert_eq!(sector(cos, sin, 50.0 * a.cos(), 50.0 * a.sin()), k);
            }
        }
    }

    /// The neighbour relation by its definition, the slow way: every
    /// minutia's twelve nearest in reach and its nearest in each sector.
    fn links_by_definition(minutiae: &[PreparedMinutia]) -> Vec<(u16, u16)> {
        let mut links = std::collections::BTreeSet::new();
        for (i, a) in minutiae.iter().enumerate() {
            let mut reach: Vec<(f32, usize)> = minutiae
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(j, b)| ((b.x - a.x).powi(2) + (b.y - a.y).powi(2), j))
                .filter(|&(d2, _)| (MIN_EDGE * MIN_EDGE..=MAX_EDGE * MAX_EDGE).contains(&d2))
                .collect();
            reach.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.1.cmp(&q.1)));
            let mut linked: Vec<usize> = reach.iter().take(NEIGHBOURS).map(|&(_, j)| j).collect();
            let (cos, sin) = (a.direction.cos(), a.direction.sin());
            for s in 0..SECTORS {
                let b = &minutiae;
                if let Some(&(_, j)) = reach
                    .iter()
                    .find(|&&(_, j)| sector(cos, sin, b[j].x - a.x, b[j].y - a.y) == s)
                {
                    linked.push(j);
                }
            }
            for j in linked {
                links.insert((i.min(j) as u16, i.max(j) as u16));
            }
        }
        links.into_iter().collect()
    }

    #[test]
    fn neighbour_links_follow_their_definition_for_small_and_large_templates() {
        let mut state = 0x853c_49e6_748f_ea9bu64;
        let mut next = |range: f32| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 40) as f32 / (1u64 << 24) as f32 * range
        };
        // Up to 256 minutiae the links come from a bit matrix, beyond from
        // a sorted list; whole-pixel places make ties in distance.
        for n in [0, 1, 2, 13, 40, 64, 65, 200, 256, 257, 300] {
            let minutiae: Vec<PreparedMinutia> = (0..n)
                .map(|_| PreparedMinutia {
                    direction: next(2.0 * PI),
                    ..at(next(500.0).floor(), -next(600.0).floor())
                })
                .collect();
            assert_eq!(
                neighbour_links(&minutiae),
                links_by_definition(&minutiae),
                "{n} minutiae"
            );
        }
    }

    #[test]
    fn a_cluster_on_one_side_leaves_a_link_to_the_other() {
        // Minutia 0 with 15 spurious minutiae crowded on its east side (its
        // 12 nearest), and one minutia 100 px west with its own 12 nearest
        // around it: only the sector rule links 0 and the west one.
        let mut minutiae = vec![at(200.0, 200.0)];
        for x in [220.0, 232.0, 244.0] {
            for y in [176.0, 188.0, 200.0, 212.0, 224.0] {
                minutiae.push(at(x, y));
            }
        }
        let west = minutiae.len() as u16;
        minutiae.push(at(100.0, 200.0));
        for x in [64.0, 76.0] {
            for y in [164.0, 176.0, 188.0, 212.0, 224.0, 236.0] {
                minutiae.push(at(x, y));
            }
        }
        let links = neighbour_links(&minutiae);
        assert!(links.contains(&(0, west)), "{links:?}");
        // The nearest twelve are still linked, each pair once.
        assert!(links.contains(&(0, 1)));
        let mut sorted = links.clone();
        sorted.dedup();
        assert_eq!(sorted.len(), links.len());
    }
}
