//! The filter's triplet votes: a probe finger's hits on one gallery
//! record ([`Hit`]) score the weight of their largest geometrically
//! consistent group. Each hit is a probe triplet whose key a gallery
//! triplet shares; the two central minutiae's directions give the rotation
//! between the fingers, and with the probe minutia's place and the gallery
//! minutia's cell, the translation. A mate's true correspondences agree on
//! both; a stranger's chance hits spread over the whole turn and the whole
//! print, so few of them fall together.

use std::f32::consts::TAU;

use crate::triplets::{cell_centre, ProbeTriplet};

/// One shared triplet: the gallery record, then the probe triplet (its
/// index in the probe finger's triplets) << 16 | the rotation from the
/// gallery finger to the probe (1/256 turn) << 8 | the gallery triplet's
/// cell, then the key's idf. A tuple of numbers, so that the sort's buffer
/// of millions of them is allocated zeroed (lazily, by the system) rather
/// than written twice.
pub(crate) type Hit = (u32, u32, f32);

pub(crate) fn hit(record: u32, query: u32, rotation: u8, cell: u8, weight: f32) -> Hit {
    debug_assert!(query < 1 << 16);
    (
        record,
        query << 16 | (rotation as u32) << 8 | cell as u32,
        weight,
    )
}

fn query(h: &Hit) -> usize {
    (h.1 >> 16) as usize
}

fn rotation(h: &Hit) -> u8 {
    (h.1 >> 8) as u8
}

fn cell(h: &Hit) -> u8 {
    h.1 as u8
}

/// Rotation tolerance of the second vote, 1/256 turn (16.9 degrees): a
/// hit counts when its rotation is this close to the best window's mean.
/// Measured with the synthetic filter curve (10,000 subjects, 300
/// two-index mates, kept at 0.1 / 1 % penetration): 8 -> 97.00 / 98.33 %,
/// 12 -> 97.33 / 99.00, 16 -> 97.33 / 98.67.
const ROTATION_TOLERANCE: i32 = 12;

/// Translation bin side, pixels (a hit counts in the 2 x 2 bins nearest
/// its translation). Synthetic curve as above: 12 px 97.00 / 98.67 %,
/// 16 px 97.33 / 99.00, 20 px 97.33 / 98.67, 24 px 96.33 / 99.00; real
/// prints (mate first / in the first ten of 637 searches, see
/// `Gallery::filter`): 16 px 92.15 / 96.86 %, 24 px 92.15 / 97.17, 32 px
/// 91.84 / 96.55.
const TRANSLATION_BIN: f32 = 16.0;

/// Rotation bins of the first vote (11.25 degrees each; the best window
/// is two adjacent bins).
const ROTATION_BINS: usize = 32;

/// Translation bins per side of the second vote's grid (which wraps
/// around: translations a grid apart share bins, harmlessly rare).
const GRID: usize = 64;

/// The second vote's grid of translation bins, reused between records
/// (all zero between calls).
#[derive(Clone, Debug)]
pub(crate) struct Scratch {
    grid: Vec<f32>,
    /// Bins written for the current record, to clear after it.
    touched: Vec<u16>,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            grid: vec![0.0; GRID * GRID],
            touched: Vec::new(),
        }
    }
}

/// The weight of one record's hits (all of the same record) that agree on
/// one rotation and translation. First the rotation: votes spread
/// linearly over the two nearest of [`ROTATION_BINS`] bins, and the best
/// two adjacent bins give the rotation (their votes' mean); the hits
/// within [`ROTATION_TOLERANCE`] of it go on (a mate's true
/// correspondences agree within two minutia directions' errors; a
/// stranger's chance hits spread over the turn). Under that rotation each
/// of them implies a translation, and they vote for it in a grid of
/// [`TRANSLATION_BIN`] bins (each hit in the 2 x 2 bins nearest it, so a
/// bin counts the hits within about a bin of its corner); the record
/// scores the best bin. Linear in the hits: a pairwise comparison of
/// hits kept the same share of mates but made the filter five times
/// slower (chance rotations crowd near zero, as fingers are placed
/// upright, so a rotation window does not thin them).
pub(crate) fn geometric_consistent(
    hits: &[Hit],
    probe: &[ProbeTriplet],
    scratch: &mut Scratch,
) -> f32 {
    if hits.len() == 1 {
        return hits[0].2;
    }
    let mut votes = [0f32; ROTATION_BINS];
    for h in hits {
        let f = rotation(h) as f32 * (ROTATION_BINS as f32 / 256.0);
        let b = f as usize;
        let frac = f - b as f32;
        votes[b % ROTATION_BINS] += h.2 * (1.0 - frac);
        votes[(b + 1) % ROTATION_BINS] += h.2 * frac;
    }
    let window = (0..ROTATION_BINS)
        .max_by(|&a, &b| {
            let sum = |b: usize| votes[b] + votes[(b + 1) % ROTATION_BINS];
            sum(a).total_cmp(&sum(b)).then(b.cmp(&a))
        })
        .unwrap_or(0);
    // The window's rotation, the mean of its votes (linear spreading
    // keeps a hit's mean), in 1/256 turn.
    let (v0, v1) = (votes[window], votes[(window + 1) % ROTATION_BINS]);
    let step = (256 / ROTATION_BINS) as f32;
    let mean = (window as f32 + v1 / (v0 + v1).max(1e-12)) * step;
    let centre = mean.round() as i32 as u8;
    let (sin, cos) = (-mean / 256.0 * TAU).sin_cos();
    // Translation bins: each kept hit votes in the 2 x 2 bins nearest its
    // translation (the lower-left one's index first); the offset keeps
    // the truncation a floor.
    let inv_bin = 1.0 / TRANSLATION_BIN;
    let floor_offset = (GRID * 64) as f32 - 0.5;
    let grid = &mut scratch.grid;
    let touched = &mut scratch.touched;
    touched.clear();
    let mut best = 0f32;
    for h in hits {
        if (rotation(h).wrapping_sub(centre) as i8 as i32).abs() > ROTATION_TOLERANCE {
            continue;
        }
        let p = &probe[query(h)];
        let (gx, gy) = cell_centre(cell(h));
        let tx = gx - (cos * p.x - sin * p.y);
        let ty = gy - (sin * p.x + cos * p.y);
        let x = (tx * inv_bin + floor_offset) as usize;
        let y = (ty * inv_bin + floor_offset) as usize;
        let at = |dx: usize, dy: usize| ((x + dx) % GRID) * GRID + (y + dy) % GRID;
        for i in [at(0, 0), at(0, 1), at(1, 0), at(1, 1)] {
            grid[i] += h.2;
            best = best.max(grid[i]);
            touched.push(i as u16);
        }
    }
    for &i in touched.iter() {
        grid[i as usize] = 0.0;
    }
    best
}

/// Triplet hits grouped by record, ascending (a counting sort over the
/// gallery's `records`: a probe finger's hits run to millions at a million
/// fingers, where a comparison sort was a third of the filter's time).
pub(crate) fn by_record(hits: Vec<Hit>, records: usize) -> Vec<Hit> {
    if hits.len() < 4096 {
        let mut hits = hits;
        hits.sort_by_key(|h| h.0);
        return hits;
    }
    let mut next = vec![0u32; records + 1];
    for h in &hits {
        next[h.0 as usize + 1] += 1;
    }
    for r in 1..next.len() {
        next[r] += next[r - 1];
    }
    let mut out = vec![(0u32, 0u32, 0f32); hits.len()];
    for h in hits {
        let slot = &mut next[h.0 as usize];
        out[*slot as usize] = h;
        *slot += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::synthetic::MasterFinger;
    use crate::triplets::{cell_of, entry_dir, entry_key, gallery_keys, probe_keys};
    use scomm_fingerprint::Template;

    /// Every shared key of a probe and a gallery finger as a hit of
    /// weight one on record 0.
    fn hits_between(probe: &[ProbeTriplet], gallery: &[(u32, u8)]) -> Vec<Hit> {
        let mut v = Vec::new();
        for (q, p) in probe.iter().enumerate() {
            for &(e, c) in gallery {
                if entry_key(e) == entry_key(p.entry) {
                    let rot = entry_dir(p.entry).wrapping_sub(entry_dir(e));
                    v.push(hit(0, q as u32, rot, c, 1.0));
                }
            }
        }
        v
    }

    /// The template turned by `angle` (radians, counter-clockwise on
    /// screen) about (150, 170) and moved by (dx, dy).
    fn moved(t: &Template, angle: f32, dx: f32, dy: f32) -> Template {
        let (sin, cos) = angle.sin_cos();
        let mut out = t.clone();
        out.width += 200;
        out.height += 200;
        for m in &mut out.minutiae {
            let (x, y) = (m.x as f32 - 150.0, -(m.y as f32 - 170.0));
            let (x2, y2) = (cos * x - sin * y, sin * x + cos * y);
            m.x = (x2 + 250.0 + dx).round() as u16;
            m.y = (-y2 + 270.0 + dy).round() as u16;
            m.direction = (m.direction + angle).rem_euclid(TAU);
        }
        out
    }

    #[test]
    fn hits_agreeing_on_one_motion_count_and_scattered_ones_do_not() {
        let mut rng = Rng::new(7);
        let probe: Vec<ProbeTriplet> = (0..40)
            .map(|i| ProbeTriplet {
                entry: i,
                x: rng.range(-100.0, 100.0),
                y: rng.range(-100.0, 100.0),
            })
            .collect();
        // Twelve true correspondences: gallery = R(-rotation) probe + t,
        // with a turn of 20/256 and t = (10, -25).
        let rot = 20u8;
        let (sin, cos) = (-(rot as f32) / 256.0 * TAU).sin_cos();
        let mut hits: Vec<Hit> = (0..12u32)
            .map(|q| {
                let p = probe[q as usize];
                let g = (cos * p.x - sin * p.y + 10.0, sin * p.x + cos * p.y - 25.0);
                hit(0, q, rot.wrapping_add(q as u8 % 3), cell_of(g.0, g.1), 1.0)
            })
            .collect();
        let mut scratch = Scratch::default();
        let mate_only = geometric_consistent(&hits, &probe, &mut scratch);
        assert!(mate_only >= 10.0, "{mate_only}");
        // Plus 28 chance hits, any rotation, any cell: they add little.
        for q in 12..40u32 {
            hits.push(hit(0, q, rng.next_u64() as u8, rng.next_u64() as u8, 1.0));
        }
        let with_chance = geometric_consistent(&hits, &probe, &mut scratch);
        assert!(
            (mate_only - 1.0..mate_only + 3.0).contains(&with_chance),
            "{with_chance}"
        );
        // A stranger's 40 chance hits do not gather.
        let stranger: Vec<Hit> = (0..40u32)
            .map(|q| hit(0, q, rng.next_u64() as u8, rng.next_u64() as u8, 1.0))
            .collect();
        let alone = geometric_consistent(&stranger, &probe, &mut scratch);
        assert!(alone <= 5.0, "{alone}");
        // The scratch grid is left clear.
        assert!(scratch.grid.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn a_moved_impression_clusters_and_a_strangers_does_not() {
        // Share of each finger's raw hits (weight one each) that the vote
        // keeps, over 30 synthetic fingers: a mate's probe turned by 0.5
        // rad and moved, and a stranger's.
        let (mut mate_kept, mut chance_kept, mut wins) = (Vec::new(), Vec::new(), 0);
        let mut scratch = Scratch::default();
        for seed in 0..30u64 {
            let master = MasterFinger::generate(seed);
            let gallery = gallery_keys(&master.impression(1));
            let probe = probe_keys(&moved(&master.impression(2), 0.5, 40.0, -30.0));
            let stranger = probe_keys(&MasterFinger::generate(seed + 1_000).impression(2));
            let mate = hits_between(&probe, &gallery);
            let chance = hits_between(&stranger, &gallery);
            let mate_score = geometric_consistent(&mate, &probe, &mut scratch);
            let chance_score = geometric_consistent(&chance, &stranger, &mut scratch);
            mate_kept.push(mate_score / mate.len().max(1) as f32);
            chance_kept.push(chance_score / chance.len().max(1) as f32);
            wins += usize::from(mate_score > chance_score);
        }
        let median = |v: &mut Vec<f32>| {
            v.sort_by(f32::total_cmp);
            v[v.len() / 2]
        };
        let (mate, chance) = (median(&mut mate_kept), median(&mut chance_kept));
        assert!(mate > 0.4 && chance < 0.2, "{mate_kept:?} {chance_kept:?}");
        assert!(wins >= 25, "{wins} of 30");
    }
}
