//! Local-structure keys for the filter's inverted index: each minutia with
//! two of its four nearest neighbours makes a triplet, described in the
//! minutia's own frame (so rotation and translation do not matter) by each
//! neighbour's distance, the angle at which it lies and its relative
//! direction. Those six values, binned, are a 22-bit key. A genuine pair of
//! impressions shares many keys; strangers share few, because a key pins
//! down a small shape of three minutiae, not just a pair.
//!
//! Gallery fingers store their exact keys; a probe also asks for the
//! neighbouring bin of every value near a bin edge, so that noise does not
//! push a shared shape into another key.
//!
//! A key travels as an entry: `key << 8 | direction`, the direction of the
//! triplet's central minutia in 1/256 turn, beside the central minutia's
//! place relative to the finger's minutiae centroid (exact for a probe, a
//! [`CELL`]-pixel cell for a gallery finger). Two fingers' shared keys from
//! true correspondences all imply about the same rotation and translation
//! between them; chance coincidences imply any, which the filter uses.

use std::f32::consts::PI;

use scomm_fingerprint::Template;

pub const KEY_BITS: u32 = 22;
/// Nearest neighbours of a minutia that make its triplets (every pair of
/// them: six triplets). Four rather than three: a missed or spurious
/// minutia changes the nearest three often enough that the fourth keeps
/// mates' keys shared (on synthetic two-index probes at 10,000 subjects,
/// mates kept at 1 % penetration 96.0 -> 97.0 %).
const NEIGHBOURS: usize = 4;
/// A probe minutia makes its triplets from its six nearest (fifteen
/// pairs), so that a gallery triplet still finds its probe twin when the
/// probe shows a spurious minutia, or misses one, among the nearest four.
/// With the finer angle bins below, measured on synthetic two-index
/// probes at a million fingers (3,000 mates; BENCHMARKS.md, "Triplet keys
/// re-tuned"): mates kept at 0.1 / 0.5 / 2 % penetration 97.97 / 99.03 /
/// 99.43 -> 98.77 / 99.23 / 99.43 %, the filter about 30 % faster (fewer
/// chance hits).
const PROBE_NEIGHBOURS: usize = 6;
const MIN_D: f32 = 15.0;
const D_STEP: f32 = 12.0;
const D_BINS: u32 = 10;
/// Neighbour angle bins (22.5 degrees) and relative direction bins (30
/// degrees): 12 and 8 before, the same mates kept with about half the
/// chance hits (same measurement).
const A_BINS: u32 = 16;
const B_BINS: u32 = 12;
/// A neighbour's code fits in half a key.
const _: () = assert!(D_BINS * A_BINS * B_BINS <= 1 << (KEY_BITS / 2));
/// A value within this share of a bin's edge also queries the next bin.
const MARGIN: f32 = 0.25;

/// Bits of an entry ([`entry`]).
pub const ENTRY_BITS: u32 = KEY_BITS + 8;

/// A key and its central minutia's direction (1/256 turn) as one `u32`;
/// entries sort by key first.
#[inline]
pub fn entry(key: u32, direction: u8) -> u32 {
    key << 8 | direction as u32
}

#[inline]
pub fn entry_key(entry: u32) -> u32 {
    entry >> 8
}

#[inline]
pub fn entry_dir(entry: u32) -> u8 {
    entry as u8
}

/// A direction in radians as 1/256 turn (as the gallery stores it).
fn turn_byte(direction: f32) -> u8 {
    ((direction.rem_euclid(2.0 * PI) / (2.0 * PI) * 256.0).round() as u32 % 256) as u8
}

fn max_d() -> f32 {
    MIN_D + D_STEP * D_BINS as f32
}

/// Bin and, when near an edge, the other bin to query (circular or clamped).
fn bins(value: f32, bins: u32, circular: bool) -> (u32, Option<u32>) {
    let f = value.max(0.0);
    let b = (f as u32).min(bins - 1);
    let frac = f - b as f32;
    let other = if frac < MARGIN {
        if b > 0 {
            Some(b - 1)
        } else if circular {
            Some(bins - 1)
        } else {
            None
        }
    } else if frac > 1.0 - MARGIN {
        if b + 1 < bins {
            Some(b + 1)
        } else if circular {
            Some(0)
        } else {
            None
        }
    } else {
        None
    };
    (b, other)
}

/// One neighbour's code and its variants (at most 8).
fn neighbour_codes(d: f32, alpha: f32, beta: f32, variants: bool, out: &mut Vec<u32>) {
    out.clear();
    let (db, d2) = bins((d - MIN_D) / D_STEP, D_BINS, false);
    let (ab, a2) = bins(alpha / (2.0 * PI) * A_BINS as f32, A_BINS, true);
    let (bb, b2) = bins(beta / (2.0 * PI) * B_BINS as f32, B_BINS, true);
    let ds = [Some(db), if variants { d2 } else { None }];
    let as_ = [Some(ab), if variants { a2 } else { None }];
    let bs = [Some(bb), if variants { b2 } else { None }];
    for d in ds.iter().flatten() {
        for a in as_.iter().flatten() {
            for b in bs.iter().flatten() {
                out.push((d * A_BINS + a) * B_BINS + b);
            }
        }
    }
}

/// A gallery finger's triplets are centred on at most this many minutiae
/// (any minutia can still be a neighbour). It bounds the index at 6 entries
/// of 6 bytes per centre, so memory per finger stays within budget for
/// dense prints, and it keeps dense fingers from collecting more chance
/// hits than sparse ones. The probe uses every minutia, so a mate still
/// shares the keys of the centres it shows. Measured on synthetic
/// two-index probes at 10,000 subjects (300 mates): kept at 0.1 % / 1 %
/// penetration 87.7 / 95.0 % uncapped, 90.7 / 95.0 % with 20 centres,
/// 93.7 / 96.3 % with 28, 93.0 / 96.3 % with 36.
pub const MAX_CENTRES: usize = 28;

/// A probe triplet: its entry ([`entry`]) and where its central minutia
/// lies relative to the centroid of the finger's minutiae (pixels, y up,
/// the frame the directions are measured in).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProbeTriplet {
    pub entry: u32,
    pub x: f32,
    pub y: f32,
}

/// At most this many probe triplets per finger: a filter hit names its
/// probe triplet in 16 bits (`vote::Hit`). Ordinary prints make a few
/// thousand; only a very dense one (a rolled print near the gallery's 255
/// minutiae, its values often near bin edges) could reach it.
pub const MAX_PROBE_TRIPLETS: usize = 1 << 16;

/// A probe finger's triplets, ascending by entry: every minutia's, with
/// the keys a little noise could have produced. Should they exceed
/// [`MAX_PROBE_TRIPLETS`], only the minutiae nearest the centroid are
/// centres, as many as fit.
pub fn probe_keys(template: &Template) -> Vec<ProbeTriplet> {
    let mut centres = template.minutiae.len();
    loop {
        let mut out: Vec<ProbeTriplet> = keys(template, true, centres)
            .into_iter()
            .map(|(entry, (x, y))| ProbeTriplet { entry, x, y })
            .collect();
        out.sort_unstable_by(|a, b| {
            (a.entry.cmp(&b.entry))
                .then(a.x.total_cmp(&b.x))
                .then(a.y.total_cmp(&b.y))
        });
        out.dedup();
        if out.len() <= MAX_PROBE_TRIPLETS || centres <= 1 {
            out.truncate(MAX_PROBE_TRIPLETS);
            return out;
        }
        centres = (centres * MAX_PROBE_TRIPLETS / out.len()).min(centres - 1);
    }
}

/// Side of the square cells a gallery triplet's central minutia is placed
/// in (pixels), and cells per side: a 16 x 16 grid centred on the
/// finger's minutiae centroid, one byte per posting.
pub const CELL: f32 = 16.0;
const CELLS: i32 = 16;

/// The cell (column << 4 | row) of a position relative to the centroid;
/// positions beyond the grid fall in its border cells.
pub fn cell_of(x: f32, y: f32) -> u8 {
    let c = |v: f32| ((v / CELL).floor() as i32 + CELLS / 2).clamp(0, CELLS - 1) as u8;
    c(x) << 4 | c(y)
}

/// The centre of a cell, relative to the centroid.
pub fn cell_centre(cell: u8) -> (f32, f32) {
    let c = |b: u8| (b as i32 - CELLS / 2) as f32 * CELL + CELL / 2.0;
    (c(cell >> 4), c(cell & 15))
}

/// A gallery finger's triplets as (entry, cell of the central minutia),
/// ascending and distinct: the triplets of the [`MAX_CENTRES`] minutiae
/// nearest the minutiae's centroid (the middle of a print is what other
/// impressions of it show most often, and it is the least distorted part).
pub fn gallery_keys(template: &Template) -> Vec<(u32, u8)> {
    let mut out: Vec<(u32, u8)> = keys(template, false, MAX_CENTRES)
        .into_iter()
        .map(|(e, (x, y))| (e, cell_of(x, y)))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Entries and their central minutia's position relative to the centroid
/// of all minutiae, unsorted.
fn keys(template: &Template, variants: bool, max_centres: usize) -> Vec<(u32, (f32, f32))> {
    let pts: Vec<(f32, f32, f32)> = template
        .minutiae
        .iter()
        .map(|m| (m.x as f32, -(m.y as f32), m.direction))
        .collect();
    let n = pts.len().max(1) as f32;
    let cx = pts.iter().map(|p| p.0).sum::<f32>() / n;
    let cy = pts.iter().map(|p| p.1).sum::<f32>() / n;
    let mut centres: Vec<usize> = (0..pts.len()).collect();
    if pts.len() > max_centres {
        let d2 = |i: &usize| (pts[*i].0 - cx).powi(2) + (pts[*i].1 - cy).powi(2);
        centres.sort_by(|a, b| d2(a).total_cmp(&d2(b)).then(a.cmp(b)));
        centres.truncate(max_centres);
    }
    let mut out = Vec::with_capacity(centres.len() * 6 * if variants { 8 } else { 1 });
    let mut near: Vec<(f32, usize)> = Vec::new();
    let (mut c1, mut c2) = (Vec::new(), Vec::new());
    let (lo, hi) = (MIN_D * MIN_D, max_d() * max_d());
    for i in centres {
        let (x, y, dir) = pts[i];
        let turn = turn_byte(dir);
        let place = (x - cx, y - cy);
        near.clear();
        for (j, &(x2, y2, _)) in pts.iter().enumerate() {
            let d2 = (x2 - x).powi(2) + (y2 - y).powi(2);
            if j != i && (lo..hi).contains(&d2) {
                near.push((d2, j));
            }
        }
        near.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        near.truncate(if variants {
            PROBE_NEIGHBOURS
        } else {
            NEIGHBOURS
        });
        let code = |j: usize, buf: &mut Vec<u32>| {
            let (x2, y2, dir2) = pts[j];
            let d = ((x2 - x).powi(2) + (y2 - y).powi(2)).sqrt();
            let alpha = ((y2 - y).atan2(x2 - x) - dir).rem_euclid(2.0 * PI);
            let beta = (dir2 - dir).rem_euclid(2.0 * PI);
            neighbour_codes(d, alpha, beta, variants, buf);
        };
        for a in 0..near.len() {
            for b in a + 1..near.len() {
                code(near[a].1, &mut c1);
                code(near[b].1, &mut c2);
                for &p in &c1 {
                    for &q in &c2 {
                        // Order-free: the two neighbours in canonical order.
                        let (s, t) = if p <= q { (p, q) } else { (q, p) };
                        out.push((entry(s << 11 | t, turn), place));
                    }
                }
            }
        }
    }
    out
}

/// Keys present in both sorted lists.
pub fn shared(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{MasterFinger, MasterParams};

    #[test]
    fn gallery_keys_are_bounded_and_a_probe_of_the_same_finger_asks_for_them() {
        // A dense master (a rolled print's worth of minutiae).
        let dense = MasterParams {
            area_per_minutia: 600.0,
            min_spacing: 8.0,
            ..MasterParams::default()
        };
        let t = MasterFinger::generate_with(3, &dense).impression(4);
        assert!(t.minutiae.len() > MAX_CENTRES + 15, "{}", t.minutiae.len());
        let gallery = gallery_keys(&t);
        let probe = probe_keys(&t);
        // Six triplets per centre at most, fewer after deduplication.
        assert!(!gallery.is_empty() && gallery.len() <= MAX_CENTRES * 6);
        let mut gallery_entries: Vec<u32> = gallery.iter().map(|g| g.0).collect();
        gallery_entries.dedup();
        let mut probe_entries: Vec<u32> = probe.iter().map(|p| p.entry).collect();
        probe_entries.dedup();
        assert_eq!(
            shared(&gallery_entries, &probe_entries),
            gallery_entries.len()
        );
        // The probe knows where each of its triplets lies; the gallery
        // keeps the cell of the same place.
        for &(e, cell) in &gallery {
            assert!(probe
                .iter()
                .any(|p| p.entry == e && cell_of(p.x, p.y) == cell));
        }
        // A sparse finger keeps every minutia as a centre.
        let sparse = MasterFinger::generate(5).impression(6);
        assert!(sparse.minutiae.len() <= MAX_CENTRES);
        assert_eq!(
            keys(&sparse, false, usize::MAX),
            keys(&sparse, false, MAX_CENTRES)
        );
    }

    #[test]
    fn a_dense_probe_keeps_its_triplets_within_what_a_hit_can_name() {
        // Minutiae on a square grid, all pointing the same way: every
        // neighbour's distance (27 px, 38 px diagonally), angle (a multiple
        // of 45 degrees) and relative direction (0) sits at a bin edge, so
        // each of a centre's fifteen pairs asks for 64 keys.
        let mut minutiae = Vec::new();
        for k in 0..255u16 {
            minutiae.push(scomm_fingerprint::Minutia {
                x: 40 + (k % 16) * 27,
                y: 40 + (k / 16) * 27,
                direction: 0.0,
                kind: scomm_fingerprint::MinutiaKind::Ending,
                quality: 60,
            });
        }
        let t = Template {
            width: 520,
            height: 520,
            minutiae,
            ..Default::default()
        };
        let all = keys(&t, true, usize::MAX).len();
        assert!(
            all > MAX_PROBE_TRIPLETS,
            "{all} triplets: not dense enough to test the cap"
        );
        let probe = probe_keys(&t);
        assert!(probe.len() <= MAX_PROBE_TRIPLETS);
        // The cap took centres away (from the rim, not the middle).
        let mut centres: Vec<(u32, u32)> = probe
            .iter()
            .map(|p| (p.x.to_bits(), p.y.to_bits()))
            .collect();
        centres.sort_unstable();
        centres.dedup();
        assert!(centres.len() < 255, "{} centres", centres.len());
        assert!(probe.iter().any(|p| p.x.abs() < 20.0 && p.y.abs() < 20.0));
        assert!(
            probe.len() > MAX_PROBE_TRIPLETS / 4,
            "{} of {all}",
            probe.len()
        );
        // An ordinary print keeps every centre.
        let ordinary = MasterFinger::generate(7).impression(8);
        let mut every: Vec<u32> = keys(&ordinary, true, usize::MAX)
            .iter()
            .map(|k| k.0)
            .collect();
        every.sort_unstable();
        every.dedup();
        let mut kept: Vec<u32> = probe_keys(&ordinary).iter().map(|p| p.entry).collect();
        kept.dedup();
        assert_eq!(kept, every);
    }

    #[test]
    fn cells_hold_a_place_to_half_a_cell_and_clamp_at_the_border() {
        for &(x, y) in &[(0.0, 0.0), (-7.9, 40.2), (100.0, -127.0), (127.9, 5.0)] {
            let (cx, cy) = cell_centre(cell_of(x, y));
            assert!((cx - x).abs() <= CELL / 2.0 && (cy - y).abs() <= CELL / 2.0);
        }
        assert_eq!(cell_of(1e4, -1e4), cell_of(127.0, -128.0));
        assert_eq!(cell_of(-128.0, 127.9), 15);
    }
}
