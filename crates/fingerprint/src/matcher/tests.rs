//! Matcher tests on generated templates: the same finger moved, rotated,
//! distorted and partly cut must score high; a different finger low.

use super::pairing::{RigidFit, FIT_MIN_PAIRS};
use super::scoring::{LOOSE_CONFIRMATION_WEIGHT, LOOSE_EDGE_WEIGHT};
use std::f32::consts::PI;

use super::*;
use crate::synthetic::Pattern;
use crate::template::{Minutia, MinutiaKind, Template};

use crate::test_rng::XorShift as Rng;

fn random_finger(seed: u64, count: usize) -> Template {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut minutiae: Vec<Minutia> = Vec::new();
    while minutiae.len() < count {
        let (x, y) = (60.0 + rng.unit() * 280.0, 60.0 + rng.unit() * 280.0);
        if minutiae
            .iter()
            .any(|m| (m.x as f32 - x).hypot(m.y as f32 - y) < 14.0)
        {
            continue;
        }
        minutiae.push(Minutia {
            x: x as u16,
            y: y as u16,
            direction: rng.unit() * 2.0 * PI,
            kind: if rng.unit() < 0.5 {
                MinutiaKind::Ending
            } else {
                MinutiaKind::Bifurcation
            },
            quality: 60,
        });
    }
    Template {
        width: 400,
        height: 400,
        minutiae,
        ..Default::default()
    }
}

/// Rotate about (200, 200), shift, stretch (a crude skin distortion), jitter,
/// drop some minutiae and keep only those inside the new image.
fn impression(
    t: &Template,
    seed: u64,
    angle: f32,
    shift: (f32, f32),
    stretch: f32,
    drop: f32,
) -> Template {
    let mut rng = Rng(seed | 1);
    let (c, s) = (angle.cos(), angle.sin());
    let mut minutiae = Vec::new();
    for m in &t.minutiae {
        if rng.unit() < drop {
            continue;
        }
        let (dx, dy) = ((m.x as f32 - 200.0) * stretch, m.y as f32 - 200.0);
        // Template directions are counter-clockwise with y up.
        let x = 200.0 + dx * c + dy * s + shift.0 + (rng.unit() - 0.5) * 6.0;
        let y = 200.0 - dx * s + dy * c + shift.1 + (rng.unit() - 0.5) * 6.0;
        if !(0.0..400.0).contains(&x) || !(0.0..400.0).contains(&y) {
            continue;
        }
        let direction = (m.direction + angle + (rng.unit() - 0.5) * 0.2).rem_euclid(2.0 * PI);
        minutiae.push(Minutia {
            x: x as u16,
            y: y as u16,
            direction,
            ..*m
        });
    }
    Template {
        width: 400,
        height: 400,
        minutiae,
        ..Default::default()
    }
}

#[test]
fn identical_templates_pair_every_minutia() {
    let t = random_finger(1, 35);
    let c = Matcher::new(&t).explain(&PreparedTemplate::new(&t));
    assert_eq!(c.pairs.len(), 35);
    assert!(c.pairs.iter().all(|(a, b)| a == b));
}

#[test]
fn explain_lists_each_cycle_closing_edge_once_with_its_level() {
    // The same finger, exactly: every edge has the same shape in both, so
    // every cycle-closing edge is tight.
    let t = random_finger(2, 35);
    let c = Matcher::new(&t).explain(&PreparedTemplate::new(&t));
    // Every edge is reached from both of its ends here, so the score's
    // count (reaches, halved) is the number of edges.
    assert!(c.supporting_edges > 0);
    assert_eq!(c.cycle_levels.len(), c.supporting_edges as usize);
    assert_eq!(c.tight_edges(), c.cycle_levels.len());
    // A distorted impression: shapes differ, some edges are loose; some
    // are reached from one end only, none is listed twice.
    let finger = random_finger(3, 40);
    let a = impression(&finger, 5, 0.0, (0.0, 0.0), 1.0, 0.1);
    let b = impression(&finger, 7, 0.3, (20.0, -10.0), 1.08, 0.1);
    let c = Matcher::new(&a).explain(&PreparedTemplate::new(&b));
    let edges = c.cycle_levels.len();
    let reaches_halved = c.supporting_edges as usize;
    assert!(edges >= reaches_halved && edges <= 2 * reaches_halved + 1);
    assert!(
        c.tight_edges() < c.cycle_levels.len(),
        "{:?}",
        c.cycle_levels
    );
    assert!(c.cycle_levels.iter().all(|&l| (l as usize) < ERROR_LEVELS));
}

#[test]
fn loose_evidence_counts_less_than_tight() {
    let evidence = |tight: bool| {
        let (edge, confirmation) = if tight {
            (1.0, 1.0)
        } else {
            (LOOSE_EDGE_WEIGHT, LOOSE_CONFIRMATION_WEIGHT)
        };
        scoring::Evidence {
            pairs: 12,
            confirmed: 10,
            confirmed_weight: 10.0 * confirmation,
            cycle_edges: 20,
            cycle_weight: 20.0 * edge,
        }
    };
    let (tight, loose) = (evidence(true), evidence(false));
    assert!(loose.strength() < tight.strength());
    assert!(scoring::score(&loose, 20.0, 20.0) < scoring::score(&tight, 20.0, 20.0));
    assert!(
        scoring::score(&loose, 20.0, 20.0) > 0.0,
        "loose evidence still counts"
    );
}

#[test]
fn moved_rotated_distorted_impressions_match() {
    for seed in 1..=8u64 {
        let finger = random_finger(seed, 40);
        let a = impression(&finger, seed * 11, 0.0, (0.0, 0.0), 1.0, 0.15);
        let b = impression(
            &finger,
            seed * 13,
            0.6 * (seed as f32 - 4.0) / 4.0,
            (30.0, -20.0),
            1.06,
            0.15,
        );
        let genuine = compare(&a, &b);
        let mut worst_impostor: f32 = 0.0;
        for other in 100..110u64 {
            let c = impression(
                &random_finger(other * 7 + seed, 40),
                other,
                0.3,
                (10.0, 5.0),
                1.0,
                0.15,
            );
            worst_impostor = worst_impostor.max(compare(&a, &c));
        }
        assert!(
            genuine > 2.0 * worst_impostor,
            "seed {seed}: genuine {genuine}, impostor {worst_impostor}"
        );
    }
}

#[test]
fn rotation_by_half_a_turn_still_matches() {
    let finger = random_finger(5, 40);
    let b = impression(&finger, 3, PI, (0.0, 0.0), 1.0, 0.0);
    let c = Matcher::new(&finger).explain(&PreparedTemplate::new(&b));
    assert!(c.pairs.len() >= 30, "paired {}", c.pairs.len());
}

#[test]
fn degenerate_templates_score_zero() {
    let empty = Template::default();
    let t = random_finger(2, 30);
    assert_eq!(compare(&empty, &t), 0.0);
    assert_eq!(compare(&t, &empty), 0.0);
    let one = Template {
        minutiae: t.minutiae[..1].to_vec(),
        ..t.clone()
    };
    assert_eq!(compare(&one, &one), 0.0);
}

#[test]
fn matcher_output_does_not_depend_on_earlier_comparisons() {
    // The scratch space is reused between calls: results must not leak.
    let a = random_finger(3, 40);
    let b = impression(&a, 9, 0.2, (5.0, 5.0), 1.0, 0.2);
    let c = random_finger(4, 60);
    let m = Matcher::new(&a);
    let (pb, pc) = (PreparedTemplate::new(&b), PreparedTemplate::new(&c));
    let first = m.compare(&pb);
    m.compare(&pc);
    assert_eq!(m.compare(&pb), first);
}

#[test]
fn extracted_synthetic_fingers_match_across_rotation() {
    use crate::extract::{extract_with, Profile};
    for profile in Profile::ALL {
        let finger = |rotation: f32, shift: (f32, f32), seed: u32| {
            let p = Pattern::planted(seed, 0.2, rotation, shift);
            extract_with(&p.render(), p.width, p.height, 500.0, profile).unwrap()
        };
        let a = finger(0.0, (0.0, 0.0), 0);
        let b = finger(0.35, (12.0, -8.0), 0);
        let other = finger(0.0, (0.0, 0.0), 3);
        assert!(a.minutiae.len() >= 4, "{profile}: {:?}", a.minutiae);
        let genuine = compare(&a, &b);
        let impostor = compare(&a, &other);
        assert!(
            genuine > impostor + 3.0,
            "{profile}: genuine {genuine} impostor {impostor}"
        );
    }
}

#[test]
fn candidate_only_preparation_scores_exactly_like_the_full_one() {
    // Genuine pairs (moved, distorted, partly cut) and impostor pairs of
    // several sizes, including degenerate ones: bit-identical scores, and
    // the same pairing, whether the candidate has the probe-side hash or not.
    let mut genuine = 0;
    for seed in 0..30u64 {
        let finger = random_finger(seed, 8 + (seed as usize * 7) % 60);
        let probe = Matcher::new(&finger);
        let others = [
            impression(&finger, seed + 100, 0.3, (15.0, -10.0), 1.04, 0.25),
            random_finger(seed + 1000, 5 + (seed as usize * 11) % 70),
            random_finger(seed + 2000, 1),
        ];
        for other in &others {
            let (full, light) = (
                PreparedTemplate::new(other),
                PreparedTemplate::candidate(other),
            );
            assert!(full.has_probe_hash() && !light.has_probe_hash());
            let score = probe.compare(&full);
            assert_eq!(
                score.to_bits(),
                probe.compare(&light).to_bits(),
                "seed {seed}"
            );
            assert_eq!(probe.explain(&full).pairs, probe.explain(&light).pairs);
            // Made a probe, the light one gets the very hash `new` builds.
            let rebuilt = Matcher::from_prepared(PreparedTemplate::candidate(other));
            assert_eq!(rebuilt.probe().bucket_start, full.bucket_start);
            assert!(light.coverage.is_points() && !rebuilt.probe().coverage.is_points());
            let reverse = PreparedTemplate::candidate(&finger);
            let back = Matcher::new(other).compare(&reverse);
            assert_eq!(back.to_bits(), rebuilt.compare(&reverse).to_bits());
            genuine += (score > 20.0) as usize;
        }
    }
    // The comparisons above are not all trivial zeros.
    assert!(genuine >= 20, "{genuine} high scores");
}

#[test]
fn the_order_edges_are_looked_up_in_changes_nothing() {
    // A fully prepared candidate's lookups come in bucket order, each edge
    // once; the same lookups in edge order or reversed give the same
    // comparison, bit for bit, pairing and counts included.
    let mut paired = 0;
    for seed in 0..20u64 {
        let finger = random_finger(seed, 10 + (seed as usize * 13) % 70);
        let probe = Matcher::new(&finger);
        for other in [
            impression(&finger, seed + 300, -0.4, (-12.0, 20.0), 0.97, 0.2),
            random_finger(seed + 3000, 6 + (seed as usize * 5) % 60),
        ] {
            let candidate = PreparedTemplate::new(&other);
            let buckets: Vec<u32> = candidate.queries.iter().map(|q| q.bucket).collect();
            assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "seed {seed}");
            let mut edges: Vec<u32> = candidate.queries.iter().map(|q| q.edge).collect();
            edges.sort_unstable();
            assert!(edges
                .iter()
                .copied()
                .eq(0..candidate.canonical.len() as u32));
            let expected = probe.explain(&candidate);
            let mut in_edge_order = candidate.clone();
            in_edge_order.queries.sort_by_key(|q| q.edge);
            let mut reversed = candidate.clone();
            reversed.queries.reverse();
            for variant in [&in_edge_order, &reversed] {
                let got = probe.explain(variant);
                assert_eq!(got.score.to_bits(), expected.score.to_bits(), "seed {seed}");
                assert_eq!(got.pairs, expected.pairs);
                assert_eq!(got.cycle_levels, expected.cycle_levels);
                assert_eq!(got.supporting_edges, expected.supporting_edges);
            }
            paired += (expected.pairs.len() >= 6) as usize;
        }
    }
    assert!(paired >= 15, "{paired} real pairings");
}

/// Each pair a pairing adds after its first `FIT_MIN_PAIRS` agrees with the
/// rigid fit of the pairs before it (`Comparison::pairs` is in pairing
/// order), in genuine and chance pairings alike.
#[test]
fn pairs_after_the_first_few_agree_with_the_rigid_fit_of_those_before() {
    let mut checked = 0;
    for seed in 1..=12u64 {
        let finger = random_finger(seed, 50);
        let a = impression(&finger, seed * 3, 0.1, (0.0, 0.0), 1.0, 0.1);
        let genuine = impression(&finger, seed * 5, -0.2, (15.0, 10.0), 1.08, 0.2);
        let stranger = random_finger(seed + 500, 60);
        let probe = PreparedTemplate::new(&a);
        for other in [&genuine, &stranger] {
            let candidate = PreparedTemplate::new(other);
            let c = Matcher::new(&a).explain(&candidate);
            let mut fit = RigidFit::default();
            for (k, &(pa, pb)) in c.pairs.iter().enumerate() {
                let (ma, mb) = (
                    &probe.minutiae[pa as usize],
                    &candidate.minutiae[pb as usize],
                );
                if k >= FIT_MIN_PAIRS {
                    assert!(
                        fit.solve().agrees(ma, mb),
                        "seed {seed}: pair {k} off the fit"
                    );
                    checked += 1;
                }
                fit.add(ma, mb);
            }
        }
    }
    assert!(checked > 100, "only {checked} pairs checked");
}

/// A smooth shear (no rotation explains it) is local distortion to the edge
/// comparisons, which would follow it across the whole print; the rigid fit
/// keeps the pairing to where the placement holds (measured: 27 of 60
/// paired at this shear, 47 with the root's alignment as the only check).
#[test]
fn a_strong_shear_is_not_followed_across_the_print() {
    let finger = random_finger(21, 60);
    let shear = |s: f32| Template {
        minutiae: finger
            .minutiae
            .iter()
            .map(|m| Minutia {
                y: (m.y as f32 + s * (m.x as f32 - 200.0)).round().max(0.0) as u16,
                ..*m
            })
            .collect(),
        ..finger.clone()
    };
    let paired = |s: f32| {
        Matcher::new(&finger)
            .explain(&PreparedTemplate::new(&shear(s)))
            .pairs
            .len()
    };
    let (mild, strong) = (paired(0.05), paired(0.35));
    assert!(mild >= 55, "mild shear paired {mild} of 60");
    assert!(strong <= 40, "strong shear paired {strong} of 60");
}

/// Minutiae that the other impression does not repeat lower the share of
/// the overlap a pairing explains, by how likely they were to be repeated:
/// the same unrepeated minutiae cost less when their quality says they are
/// doubtful (the pairing itself is the same either way).
#[test]
fn doubtful_unrepeated_minutiae_cost_less_than_clear_ones() {
    let finger = random_finger(31, 35);
    let probe = impression(&finger, 32, 0.2, (10.0, -5.0), 1.0, 0.0);
    let extra = random_finger(33, 40);
    let with_extras = |quality: u8| {
        let mut t = finger.clone();
        for m in &extra.minutiae {
            let near = t
                .minutiae
                .iter()
                .any(|o| (o.x as f32 - m.x as f32).hypot(o.y as f32 - m.y as f32) < 14.0);
            if !near {
                t.minutiae.push(Minutia { quality, ..*m });
            }
        }
        t
    };
    let matcher = Matcher::new(&probe);
    let (doubtful, clear) = (
        matcher.explain(&PreparedTemplate::new(&with_extras(20))),
        matcher.explain(&PreparedTemplate::new(&with_extras(95))),
    );
    assert_eq!(doubtful.pairs, clear.pairs);
    assert_eq!(doubtful.overlap, clear.overlap);
    assert!(
        clear.overlap.1 > 40,
        "extras not in the overlap: {:?}",
        clear.overlap
    );
    assert!(
        doubtful.score > clear.score * 1.05,
        "doubtful extras {} against clear {}",
        doubtful.score,
        clear.score
    );
    // Quality 0 is "not reported" (ISO/ANSI): counted as a typical minutia.
    assert_eq!(prepared::overlap_weight(0), 1.0);
    assert_eq!(prepared::overlap_weight(70), 1.0);
    assert!(prepared::overlap_weight(20) < prepared::overlap_weight(50));
}

#[test]
fn a_second_reading_matches_where_the_first_is_off() {
    // The probe's first readings all point 35° off (beyond the edge angle
    // tolerance), its second readings are the finger's own: only with the
    // second readings do the edges, and so the minutiae, pair up.
    let finger = random_finger(41, 40);
    let mut turned = finger.clone();
    for m in &mut turned.minutiae {
        m.direction = (m.direction + 35f32.to_radians()).rem_euclid(2.0 * PI);
    }
    let second: Vec<Option<Minutia>> = finger.minutiae.iter().copied().map(Some).collect();
    let candidate = PreparedTemplate::new(&finger);
    let without = Matcher::new(&turned).explain(&candidate);
    let with = Matcher::from_prepared(PreparedTemplate::with_second_readings(&turned, &second))
        .explain(&candidate);
    assert!(without.pairs.len() <= 8, "{:?}", without.pairs);
    assert!(with.pairs.len() >= 35, "{} pairs", with.pairs.len());
    assert!(with.pairs.iter().all(|&(a, b)| a == b), "{:?}", with.pairs);
    assert!(with.score > 10.0 * without.score.max(1.0));
    // Every combination of readings is an edge; without seconds, one each.
    let plain = PreparedTemplate::new(&turned);
    let both = PreparedTemplate::with_second_readings(&turned, &second);
    assert_eq!(both.canonical.len(), 4 * plain.canonical.len());
    // A candidate-only preparation with seconds builds the same probe hash.
    let light = Matcher::from_prepared(PreparedTemplate::candidate_with_second_readings(
        &turned, &second,
    ));
    assert_eq!(light.probe().bucket_edges.angles, both.bucket_edges.angles);
}

#[test]
fn another_reading_of_a_tree_edge_confirms_nothing() {
    // Two minutiae, one edge: a pairing of both is a tree with no cycle.
    // With each minutia's second reading a copy of its first, the one link
    // is four edge matches; the three besides the tree edge join the same
    // two pairs and must not count as closing a cycle. A pairing without
    // a cycle is no evidence: score 0, no pairing reported.
    let two = Template {
        width: 200,
        height: 200,
        minutiae: vec![
            Minutia {
                x: 50,
                y: 50,
                direction: 0.3,
                kind: MinutiaKind::Ending,
                quality: 60,
            },
            Minutia {
                x: 110,
                y: 90,
                direction: 2.0,
                kind: MinutiaKind::Bifurcation,
                quality: 60,
            },
        ],
        ..Default::default()
    };
    let copies: Vec<Option<Minutia>> = two.minutiae.iter().copied().map(Some).collect();
    let probe = Matcher::from_prepared(PreparedTemplate::with_second_readings(&two, &copies));
    let c = probe.explain(&PreparedTemplate::with_second_readings(&two, &copies));
    assert_eq!((c.confirmed, c.supporting_edges), (0, 0));
    assert!(c.cycle_levels.is_empty() && c.pairs.is_empty());
    assert_eq!(c.score, 0.0);
}

#[test]
fn the_pairing_counts_its_pairs_and_those_of_one_kind() {
    let a = random_finger(21, 40);
    let mut b = impression(&a, 5, 0.3, (10.0, -8.0), 1.0, 0.1);
    // Flip the kind of every third minutia of the impression.
    for m in b.minutiae.iter_mut().step_by(3) {
        m.kind = match m.kind {
            MinutiaKind::Ending => MinutiaKind::Bifurcation,
            MinutiaKind::Bifurcation | MinutiaKind::Other => MinutiaKind::Ending,
        };
    }
    // And make one "other" (ISO/ANSI): its pair, if any, is not compared.
    b.minutiae[1].kind = MinutiaKind::Other;
    let matcher = Matcher::new(&a);
    let prepared = PreparedTemplate::new(&b);
    let explained = matcher.explain(&prepared);
    let counted = matcher.compare_counted(&prepared);
    assert!(explained.pairs.len() > 10);
    let kinds = |&&(i, j): &&(u16, u16)| (a.minutiae[i as usize].kind, b.minutiae[j as usize].kind);
    let compared: Vec<_> = explained
        .pairs
        .iter()
        .map(|p| kinds(&p))
        .filter(|&(x, y)| x != MinutiaKind::Other && y != MinutiaKind::Other)
        .collect();
    let same_kind = compared.iter().filter(|(x, y)| x == y).count() as u32;
    assert_eq!(counted.paired as usize, explained.pairs.len());
    assert_eq!(counted.kinds_compared as usize, compared.len());
    assert_eq!(counted.kinds_agreeing, same_kind);
    assert!(same_kind < counted.kinds_compared && same_kind > counted.kinds_compared / 2);
    // Counting costs no pairs list and changes no score.
    assert!(counted.pairs.is_empty());
    assert_eq!(counted.score, matcher.compare(&prepared));
    assert_eq!(counted.score, explained.score);
}

#[test]
fn explain_lists_every_root_tried_and_marks_the_scored_one() {
    let finger = random_finger(21, 40);
    let a = impression(&finger, 5, 0.0, (0.0, 0.0), 1.0, 0.15);
    let b = impression(&finger, 7, 0.4, (25.0, -15.0), 1.04, 0.15);
    let matcher = Matcher::new(&a);
    let candidate = PreparedTemplate::new(&b);
    let c = matcher.explain(&candidate);
    assert!(
        !c.roots.is_empty() && c.roots.len() <= MAX_ROOTS,
        "{:?}",
        c.roots
    );
    let best: Vec<_> = c.roots.iter().filter(|r| r.best).collect();
    assert_eq!(best.len(), 1, "{:?}", c.roots);
    assert_eq!(best[0].pairs, c.paired);
    assert!(c.roots.iter().all(|r| r.strength <= best[0].strength));
    // The first root tried has the most votes: roots go by votes.
    assert!(c
        .roots
        .iter()
        .all(|r| r.votes >= 2 && r.votes <= c.roots[0].votes));
    // Each root is a pair the pairing could start from: both minutiae exist.
    assert!(c.roots.iter().all(
        |r| (r.probe as usize) < a.minutiae.len() && (r.candidate as usize) < b.minutiae.len()
    ));
    // The plain comparison gives the same score and lists nothing.
    let counted = matcher.compare_counted(&candidate);
    assert_eq!(counted.score, c.score);
    assert!(counted.roots.is_empty() && counted.placement.is_none());
}

#[test]
fn the_placement_is_the_move_between_the_impressions() {
    for (seed, angle, shift) in [
        (31u64, 0.3f32, (30.0f32, -20.0f32)),
        (32, -0.5, (-15.0, 25.0)),
        (33, 0.0, (10.0, 10.0)),
    ] {
        let finger = random_finger(seed, 40);
        let moved = impression(&finger, seed, angle, shift, 1.0, 0.0);
        let c = Matcher::new(&finger).explain(&PreparedTemplate::new(&moved));
        let p = c.placement.expect("a genuine pairing is placed");
        assert!(
            prepared::angle_distance(p.rotation, angle) < 0.05,
            "seed {seed}: rotation {} against {angle}",
            p.rotation
        );
        // `impression` turns about (200, 200), then shifts.
        let (x, y) = p.apply(200.0, 200.0);
        assert!(
            (x - 200.0 - shift.0).hypot(y - 200.0 - shift.1) < 3.0,
            "seed {seed}: centre to ({x}, {y}), shift {shift:?}"
        );
        let (sin, cos) = angle.sin_cos();
        let (x, y) = p.apply(300.0, 120.0);
        let (ex, ey) = (
            200.0 + 100.0 * cos - 80.0 * sin + shift.0,
            200.0 - 100.0 * sin - 80.0 * cos + shift.1,
        );
        assert!(
            (x - ex).hypot(y - ey) < 4.0,
            "seed {seed}: ({x}, {y}) against ({ex}, {ey})"
        );
    }
}
