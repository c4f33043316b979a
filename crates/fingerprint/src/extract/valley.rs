//! Stage 7c (the accurate profile only): minutiae read from the valley
//! skeleton as well, and the two readings of one minutia paired as twins.
//!
//! A ridge ends where the two valleys beside it meet (a valley
//! bifurcation) and forks where a valley ends (a valley ending), so the
//! valley skeleton shows every minutia a second time, 2-8 px from the
//! ridge skeleton's reading (median 4 px along its direction, measured on
//! FVC2002 DB1/DB3). Which reading another impression repeats depends on
//! the skin: wet, dark prints show their minutiae best in the ridges, dry
//! ones in the valleys. A template with both readings lets a pairing use
//! whichever the other impression repeats: on FVC2002 B it lifts the
//! wet-against-dry pairs that the ridge skeleton alone leaves among the
//! impostors (DB2's finger 109), at about five times the comparison cost
//! of twice the minutiae (BENCHMARKS.md, "Two profiles").
//!
//! A minutia only one skeleton shows (a single) is more often an artefact
//! of that skeleton (a break of a dry ridge, a bridge of a wet valley) and
//! counts half in quality.

use std::f32::consts::FRAC_PI_4;

use super::graph::SkeletonGraph;
use super::grid::Grid;
use super::minutiae::{self, Candidate, MAX_MINUTIAE, MIN_QUALITY};
use super::orientation::OrientationField;
use super::segment::BLOCK;
use crate::template::{Minutia, MinutiaKind};

/// Two readings closer than this (pixels at 500 ppi), of one kind and
/// within 45°, are one minutia's twins.
pub const TWIN_DISTANCE: f32 = 12.0;
/// A single's quality is multiplied by this (measured on FVC2002 B with the
/// `both_skeletons` example: keeping singles at full quality, variant
/// `both`, gives a mean EER of 1.16 % against 1.07 %).
pub const SINGLE_QUALITY: f32 = 0.5;

/// The valleys inside the foreground: pixels of foreground blocks that the
/// binarisation left dark.
pub fn valleys(binary: &Grid<bool>, mask: &Grid<bool>) -> Grid<bool> {
    let mut valleys = Grid::filled(binary.width, binary.height, false);
    for y in 0..binary.height {
        for x in 0..binary.width {
            let inside = mask.get(
                (x / BLOCK).min(mask.width - 1),
                (y / BLOCK).min(mask.height - 1),
            );
            if inside && !binary.get(x, y) {
                valleys.set(x, y, true);
            }
        }
    }
    valleys
}

/// Minutia candidates of a thinned valley image, as ridge minutiae: a
/// valley ending is a ridge bifurcation and a valley bifurcation a ridge
/// ending. Directions need no change: a valley ending's points into the
/// valley, as a bifurcation's does (the valley that ends at the fork), and
/// a valley bifurcation's into the ridge between its branches, as an
/// ending's does. The same false-structure rules as for ridges apply.
pub fn valley_candidates(skeleton: &Grid<bool>, field: &OrientationField) -> Vec<Candidate> {
    let mut graph = SkeletonGraph::build(skeleton);
    minutiae::remove_false_structures(&mut graph);
    let mut found = minutiae::candidates(&graph, field);
    minutiae::remove_gaps(&mut found);
    for c in &mut found {
        c.kind = match c.kind {
            MinutiaKind::Ending => MinutiaKind::Bifurcation,
            _ => MinutiaKind::Ending,
        };
    }
    found
}

/// Twins between two lists of candidates as (index in `a`, index in `b`):
/// of one kind, within [`TWIN_DISTANCE`] and 45°, nearest first, each
/// candidate in at most one pair.
pub fn twins(a: &[Candidate], b: &[Candidate]) -> Vec<(usize, usize)> {
    let mut near = Vec::new();
    let grid = minutiae::NearGrid::new(b, TWIN_DISTANCE);
    let mut around = Vec::new();
    for (i, p) in a.iter().enumerate() {
        grid.near(p.x, p.y, &mut around);
        for &j in &around {
            let q = &b[j];
            let d = (p.x - q.x).hypot(p.y - q.y);
            if p.kind == q.kind
                && d < TWIN_DISTANCE
                && minutiae::angle_difference(p.angle, q.angle).abs() < FRAC_PI_4
            {
                near.push((d, i, j));
            }
        }
    }
    // Ties by index, so the pairing does not depend on the sort.
    near.sort_by(|x, y| x.0.total_cmp(&y.0).then((x.1, x.2).cmp(&(y.1, y.2))));
    let (mut in_a, mut in_b) = (vec![false; a.len()], vec![false; b.len()]);
    let mut pairs = Vec::new();
    for (_, i, j) in near {
        if !in_a[i] && !in_b[j] {
            (in_a[i], in_b[j]) = (true, true);
            pairs.push((i, j));
        }
    }
    pairs
}

/// Both skeletons' minutiae: every twin's two readings at their own
/// quality, each single at [`SINGLE_QUALITY`] of it, the best
/// [`MAX_MINUTIAE`] kept (a template of at most 858 bytes).
pub fn both_readings(
    ridge: &[Candidate],
    valley: &[Candidate],
    finish: impl Fn(&[Candidate]) -> Vec<Minutia>,
) -> Vec<Minutia> {
    let (mut in_r, mut in_v) = (vec![false; ridge.len()], vec![false; valley.len()]);
    for (i, j) in twins(ridge, valley) {
        (in_r[i], in_v[j]) = (true, true);
    }
    let pick = |c: &[Candidate], twin: &[bool], want: bool| -> Vec<Candidate> {
        c.iter()
            .zip(twin)
            .filter(|&(_, &t)| t == want)
            .map(|(c, _)| *c)
            .collect()
    };
    let mut paired = pick(ridge, &in_r, true);
    paired.extend(pick(valley, &in_v, true));
    let mut single = pick(ridge, &in_r, false);
    single.extend(pick(valley, &in_v, false));
    let mut out = finish(&paired);
    out.extend(finish(&single).into_iter().filter_map(|mut m| {
        let q = (m.quality as f32 * SINGLE_QUALITY).round();
        m.quality = q as u8;
        (q >= MIN_QUALITY).then_some(m)
    }));
    // Stable: of equal quality, twins before singles, ridge before valley.
    out.sort_by_key(|m| std::cmp::Reverse(m.quality));
    out.truncate(MAX_MINUTIAE);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(x: f32, y: f32, angle: f32, kind: MinutiaKind) -> Candidate {
        Candidate {
            x,
            y,
            angle,
            kind,
            node: 0,
        }
    }

    #[test]
    fn twins_pair_nearest_first_and_once() {
        use MinutiaKind::*;
        let ridge = [
            at(10.0, 10.0, 0.0, Ending),
            at(30.0, 10.0, 0.0, Ending),
            at(60.0, 60.0, 1.0, Bifurcation),
        ];
        let valley = [
            // Nearer to ridge[1] than to ridge[0]: goes to ridge[1].
            at(26.0, 10.0, 0.1, Ending),
            // Near ridge[0], but of the other kind.
            at(12.0, 10.0, 0.0, Bifurcation),
            // Near ridge[2], but turned by more than 45°.
            at(62.0, 60.0, 2.0, Bifurcation),
            // Near ridge[0] within 12 px and 45°.
            at(10.0, 18.0, -0.5, Ending),
        ];
        assert_eq!(twins(&ridge, &valley), vec![(1, 0), (0, 3)]);
        // Too far apart: no twins.
        assert!(twins(&ridge[..1], &[at(10.0, 22.5, 0.0, Ending)]).is_empty());
    }

    #[test]
    fn singles_count_half_and_at_most_max_minutiae_are_kept() {
        use MinutiaKind::*;
        // One twin pair and one single on each side; quality 60 for all.
        let ridge = [at(50.0, 50.0, 0.0, Ending), at(150.0, 50.0, 0.0, Ending)];
        let valley = [
            at(54.0, 50.0, 0.0, Ending),
            at(50.0, 150.0, 0.0, Bifurcation),
        ];
        let finish = |c: &[Candidate]| -> Vec<Minutia> {
            c.iter()
                .map(|c| Minutia {
                    x: c.x as u16,
                    y: c.y as u16,
                    direction: c.angle,
                    kind: c.kind,
                    quality: 60,
                })
                .collect()
        };
        let out = both_readings(&ridge, &valley, finish);
        let at_xy = |x: u16, y: u16| out.iter().find(|m| (m.x, m.y) == (x, y)).unwrap().quality;
        assert_eq!(out.len(), 4);
        assert_eq!((at_xy(50, 50), at_xy(54, 50)), (60, 60));
        assert_eq!((at_xy(150, 50), at_xy(50, 150)), (30, 30));

        // A single under twice the minimum quality is dropped.
        let low = |c: &[Candidate]| -> Vec<Minutia> {
            let mut m = finish(c);
            m.iter_mut().for_each(|m| m.quality = 15);
            m
        };
        assert_eq!(both_readings(&ridge, &valley, low).len(), 2);

        // Many minutiae: the best MAX_MINUTIAE, twins first.
        let many: Vec<Candidate> = (0..200)
            .map(|i| at((i % 20) as f32 * 40.0, (i / 20) as f32 * 40.0, 0.0, Ending))
            .collect();
        let shifted: Vec<Candidate> = many[..100]
            .iter()
            .map(|c| at(c.x + 3.0, c.y, c.angle, c.kind))
            .collect();
        let out = both_readings(&many, &shifted, finish);
        assert_eq!(out.len(), MAX_MINUTIAE);
        assert_eq!(out.iter().filter(|m| m.quality == 60).count(), MAX_MINUTIAE);
    }

    #[test]
    fn valleys_are_the_dark_foreground() {
        let mut binary = Grid::filled(16, 16, false);
        binary.set(3, 3, true);
        let mut mask = Grid::filled(2, 2, false);
        mask.set(0, 0, true);
        let v = valleys(&binary, &mask);
        assert!(!v.get(3, 3), "a ridge pixel");
        assert!(v.get(4, 4), "dark, in a foreground block");
        assert!(!v.get(12, 12), "dark, in a background block");
    }
}
