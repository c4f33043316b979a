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

/// One shared triplet, packed: the probe triplet (its index in the probe
/// finger's triplets) << 16 | the rotation from the gallery finger to the
/// probe (1/256 turn) << 8 | the gallery triplet's cell. The record is
/// where the hit is kept ([`crate::index::RecordHits`]) and the weight
/// (the key's idf) is the probe triplet's: four bytes per hit, where a
/// probe finger's hits run to millions at a million fingers.
pub(crate) type Hit = u32;

pub(crate) fn hit(query: u32, rotation: u8, cell: u8) -> Hit {
    debug_assert!(query < 1 << 16);
    query << 16 | (rotation as u32) << 8 | cell as u32
}

fn query(h: Hit) -> usize {
    (h >> 16) as usize
}

fn rotation(h: Hit) -> u8 {
    (h >> 8) as u8
}

fn cell(h: Hit) -> u8 {
    h as u8
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
    weights: &[f32],
    probe: &[ProbeTriplet],
    scratch: &mut Scratch,
) -> f32 {
    if hits.len() == 1 {
        return weights[query(hits[0])];
    }
    // A rotation r lies in bin r / 8, a share (r % 8) / 8 of the way to
    // the next (exact in f32, as are these weights of the two bins).
    const STEP: u8 = (256 / ROTATION_BINS) as u8;
    let mut votes = [0f32; ROTATION_BINS];
    for &h in hits {
        let w = weights[query(h)];
        let r = rotation(h);
        let b = (r / STEP) as usize;
        let frac = (r % STEP) as f32 * (1.0 / STEP as f32);
        votes[b] += w * (1.0 - frac);
        votes[(b + 1) % ROTATION_BINS] += w * frac;
    }
    // The best two adjacent bins, the first of equals (no vote is NaN or
    // negative zero, so `>` orders as `total_cmp` would).
    let (mut window, mut most) = (0, votes[0] + votes[1]);
    for b in 1..ROTATION_BINS {
        let sum = votes[b] + votes[(b + 1) % ROTATION_BINS];
        if sum > most {
            (window, most) = (b, sum);
        }
    }
    // The window's rotation, the mean of its votes (linear spreading
    // keeps a hit's mean), in 1/256 turn.
    let (v0, v1) = (votes[window], votes[(window + 1) % ROTATION_BINS]);
    let step = STEP as f32;
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
    for &h in hits {
        if (rotation(h).wrapping_sub(centre) as i8 as i32).abs() > ROTATION_TOLERANCE {
            continue;
        }
        let w = weights[query(h)];
        let p = &probe[query(h)];
        let (gx, gy) = cell_centre(cell(h));
        let tx = gx - (cos * p.x - sin * p.y);
        let ty = gy - (sin * p.x + cos * p.y);
        let x = (tx * inv_bin + floor_offset) as usize % GRID;
        let y = (ty * inv_bin + floor_offset) as usize % GRID;
        let (x1, y1) = ((x + 1) % GRID, (y + 1) % GRID);
        for i in [x * GRID + y, x * GRID + y1, x1 * GRID + y, x1 * GRID + y1] {
            grid[i] += w;
        }
        touched.push((x * GRID + y) as u16);
    }
    // Votes are never negative, so the best bin is the best at the end:
    // read while clearing.
    let mut best = 0f32;
    for &i in touched.iter() {
        let (x, y) = (i as usize / GRID, i as usize % GRID);
        let (x1, y1) = ((x + 1) % GRID, (y + 1) % GRID);
        for i in [x * GRID + y, x * GRID + y1, x1 * GRID + y, x1 * GRID + y1] {
            best = best.max(grid[i]);
            grid[i] = 0.0;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vote as first written (commit 89877f8), which the faster one
    /// must match bit for bit.
    fn reference(
        hits: &[Hit],
        weights: &[f32],
        probe: &[ProbeTriplet],
        scratch: &mut Scratch,
    ) -> f32 {
        if hits.len() == 1 {
            return weights[query(hits[0])];
        }
        let mut votes = [0f32; ROTATION_BINS];
        for &h in hits {
            let w = weights[query(h)];
            let f = rotation(h) as f32 * (ROTATION_BINS as f32 / 256.0);
            let b = f as usize;
            let frac = f - b as f32;
            votes[b % ROTATION_BINS] += w * (1.0 - frac);
            votes[(b + 1) % ROTATION_BINS] += w * frac;
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
        for &h in hits {
            if (rotation(h).wrapping_sub(centre) as i8 as i32).abs() > ROTATION_TOLERANCE {
                continue;
            }
            let w = weights[query(h)];
            let p = &probe[query(h)];
            let (gx, gy) = cell_centre(cell(h));
            let tx = gx - (cos * p.x - sin * p.y);
            let ty = gy - (sin * p.x + cos * p.y);
            let x = (tx * inv_bin + floor_offset) as usize;
            let y = (ty * inv_bin + floor_offset) as usize;
            let at = |dx: usize, dy: usize| ((x + dx) % GRID) * GRID + (y + dy) % GRID;
            for i in [at(0, 0), at(0, 1), at(1, 0), at(1, 1)] {
                grid[i] += w;
                best = best.max(grid[i]);
                touched.push(i as u16);
            }
        }
        for &i in touched.iter() {
            grid[i as usize] = 0.0;
        }
        best
    }

    use crate::rng::Rng;
    use crate::synthetic::MasterFinger;
    use crate::triplets::{cell_of, entry_dir, entry_key, gallery_keys, probe_keys};
    use scomm_fingerprint::Template;

    /// Weight one for every probe triplet.
    fn ones(probe: &[ProbeTriplet]) -> Vec<f32> {
        vec![1.0; probe.len()]
    }

    /// Every shared key of a probe and a gallery finger as a hit.
    fn hits_between(probe: &[ProbeTriplet], gallery: &[(u32, u8)]) -> Vec<Hit> {
        let mut v = Vec::new();
        for (q, p) in probe.iter().enumerate() {
            for &(e, c) in gallery {
                if entry_key(e) == entry_key(p.entry) {
                    let rot = entry_dir(p.entry).wrapping_sub(entry_dir(e));
                    v.push(hit(q as u32, rot, c));
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
    fn the_vote_matches_its_first_form_bit_for_bit() {
        // Random records: any number of hits, rotations spread or
        // crowded, weights of a few values (ties in the rotation window)
        // or any, some zero (pending keys too common to count), probe
        // places anywhere, translations past the grid's wrap.
        let mut rng = Rng::new(11);
        let mut scratch = Scratch::default();
        for case in 0..20_000u32 {
            let n_probe = 1 + (rng.next_u64() % 300) as usize;
            let spread = 50.0 + (case % 4) as f32 * 300.0;
            let probe: Vec<ProbeTriplet> = (0..n_probe)
                .map(|i| ProbeTriplet {
                    entry: i as u32,
                    x: rng.range(-spread, spread),
                    y: rng.range(-spread, spread),
                })
                .collect();
            let weights: Vec<f32> = (0..n_probe)
                .map(|_| match case % 3 {
                    0 => (1 + rng.next_u64() % 3) as f32,
                    1 => rng.range(0.0, 9.0),
                    _ => [0.0, 0.5, 2.25][(rng.next_u64() % 3) as usize],
                })
                .collect();
            let n_hits = 1 + (rng.next_u64() % [3, 12, 40, 200][(case % 4) as usize]) as usize;
            let centre = rng.next_u64() as u8;
            let hits: Vec<Hit> = (0..n_hits)
                .map(|_| {
                    let q = (rng.next_u64() % n_probe as u64) as u32;
                    let rot = if rng.next_u64() % 2 == 0 {
                        centre
                            .wrapping_add((rng.next_u64() % 25) as u8)
                            .wrapping_sub(12)
                    } else {
                        rng.next_u64() as u8
                    };
                    hit(q, rot, rng.next_u64() as u8)
                })
                .collect();
            let fast = geometric_consistent(&hits, &weights, &probe, &mut scratch);
            let slow = reference(&hits, &weights, &probe, &mut scratch);
            assert_eq!(fast.to_bits(), slow.to_bits(), "case {case}: {fast} {slow}");
            assert!(scratch.grid.iter().all(|&v| v == 0.0), "case {case}");
        }
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
                hit(q, rot.wrapping_add(q as u8 % 3), cell_of(g.0, g.1))
            })
            .collect();
        let mut scratch = Scratch::default();
        let mate_only = geometric_consistent(&hits, &ones(&probe), &probe, &mut scratch);
        assert!(mate_only >= 10.0, "{mate_only}");
        // Plus 28 chance hits, any rotation, any cell: they add little.
        for q in 12..40u32 {
            hits.push(hit(q, rng.next_u64() as u8, rng.next_u64() as u8));
        }
        let with_chance = geometric_consistent(&hits, &ones(&probe), &probe, &mut scratch);
        assert!(
            (mate_only - 1.0..mate_only + 3.0).contains(&with_chance),
            "{with_chance}"
        );
        // A stranger's 40 chance hits do not gather.
        let stranger: Vec<Hit> = (0..40u32)
            .map(|q| hit(q, rng.next_u64() as u8, rng.next_u64() as u8))
            .collect();
        let alone = geometric_consistent(&stranger, &ones(&probe), &probe, &mut scratch);
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
            let mate_score = geometric_consistent(&mate, &ones(&probe), &probe, &mut scratch);
            let chance_score =
                geometric_consistent(&chance, &ones(&stranger), &stranger, &mut scratch);
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
