//! Why two-index-finger searches miss their mate: for each mated search
//! that does not put its mate first at or above the FPIR 0.1 % threshold,
//! what the filter and the full matcher did, and what the synthetic
//! generator drew for the two captures of each finger, beside the same
//! quantities over the mates that were found.
//!
//! `cargo run --release -p scomm-ident --example mate_misses -- [SUBJECTS]
//! [MATED] [NON_MATED] [SHORTLIST] [--ten]`
//!
//! Defaults: 100,000 subjects (the 1M-finger gallery of `scomm bench
//! ident`, seed 1), 300 mated and 1,000 non-mated two-index searches, a
//! shortlist of 1,000 subjects (1 %), as `scomm bench ident --sizes
//! 1000000 --shortlist-two 1000 --mated 300 --non-mated 1000` runs them.
//! The gallery holds each subject's two index fingers only (a tenth of the
//! build; a two-index search reads no other position, though the triplet
//! keys' rarity is counted over the fingers enrolled, so ranks can differ
//! a little from a ten-print gallery's); `--ten` enrols all ten.
//!
//! Per miss: the filter's rank of the mate; the mate's fused LLR from the
//! full matcher (computed directly when the filter dropped it, as the
//! search would have scored it), the best stranger's, and the thresholds
//! (empirical, from the non-mated searches' best scores, as `bench ident`
//! reports FNIR; and the model's, which the search decides with). Per
//! finger: the matcher score, the minutiae of each capture, how many master
//! minutiae both captures show ("common"), the capture qualities, the
//! overlap of the two contact areas (share of the smaller one), the master
//! minutiae inside that overlap, the relative rotation and the relative
//! elastic displacement over the common minutiae.

use std::collections::HashSet;
use std::f32::consts::PI;

use scomm_fingerprint::matcher::{Matcher, PreparedTemplate};
use scomm_fingerprint::Template;
use scomm_ident::eval::{self, threshold_at_fpir, top_score};
use scomm_ident::synthetic::{capture_seed, master_for, ImpressionParams, Origin};
use scomm_ident::{fusion, triplets, FingerPosition, SearchParams, SubjectId};

const SEED: u64 = 1;

/// What the generator drew for one finger's two captures (enrolled,
/// probe), and what the matcher made of them.
#[derive(Clone, Debug)]
struct Finger {
    score: f32,
    llr: f64,
    minutiae: (usize, usize),
    common: usize,
    /// As the fingerprint crate's `repeatability` example counts on FVC2002
    /// (the probe placed on the enrolled capture by a least-squares rigid
    /// fit of the common minutiae): probe minutiae with an enrolled one
    /// within 12 px and 0.5 rad, and within 35 px (the common area).
    repeated: usize,
    common_area: usize,
    /// Distinct triplet keys of the enrolled finger the probe asks for.
    shared_keys: usize,
    /// Common minutiae among the enrolled finger's triplet centres.
    common_centres: usize,
    quality: (f32, f32),
    bad: (bool, bool),
    /// Intersection of the contact ellipses (inside the fingertip) over
    /// the smaller contact area.
    overlap: f32,
    /// Master minutiae inside both contact areas.
    in_overlap: usize,
    /// Probe rotation minus enrolled rotation, degrees.
    rotation: f32,
    /// Relative elastic displacement over the common minutiae, px.
    distortion_rms: f32,
    distortion_max: f32,
}

fn finger(
    subject: SubjectId,
    position: FingerPosition,
    probe: &Template,
    enrolled: &Template,
) -> Finger {
    let p = ImpressionParams::default();
    let subject_seed = eval::subject_seed(SEED, subject);
    let master = master_for(subject_seed, position);
    let (seed_e, seed_p) = (
        capture_seed(subject_seed, 0, position),
        capture_seed(subject_seed, 1, position),
    );
    let (te, oe) = master.impression_traced(seed_e, &p);
    let (tp, op) = master.impression_traced(seed_p, &p);
    // The stored and searched templates are these captures.
    assert_eq!(te.minutiae.len(), enrolled.minutiae.len());
    assert_eq!(&tp, probe);
    let ce = master.capture_conditions(seed_e, &p);
    let cp = master.capture_conditions(seed_p, &p);
    let in_e: HashSet<usize> = oe.iter().filter_map(|o| o.master).collect();
    let common: Vec<usize> = op
        .iter()
        .filter_map(|o| o.master)
        .filter(|i| in_e.contains(i))
        .collect();
    // Contact overlap on a 2-px grid over the master canvas.
    let (mut both, mut area_e, mut area_p) = (0usize, 0usize, 0usize);
    let (a, b) = master.semi_axes;
    for gy in 0..270 {
        for gx in 0..220 {
            let pt = (gx as f32 * 2.0 + 1.0, gy as f32 * 2.0 + 1.0);
            let tip =
                ((pt.0 - master.centre.0) / a).powi(2) + ((pt.1 - master.centre.1) / b).powi(2);
            if tip > 1.0 {
                continue;
            }
            let (ie, ip) = (ce.contact_radius(pt) <= 1.0, cp.contact_radius(pt) <= 1.0);
            area_e += ie as usize;
            area_p += ip as usize;
            both += (ie && ip) as usize;
        }
    }
    let in_overlap = master
        .minutiae
        .iter()
        .filter(|m| {
            let pt = (m.x as f32, m.y as f32);
            ce.contact_radius(pt) <= 1.0 && cp.contact_radius(pt) <= 1.0
        })
        .count();
    let rel: Vec<f32> = common
        .iter()
        .map(|&i| {
            let m = &master.minutiae[i];
            let pt = (m.x as f32, m.y as f32);
            let (de, dp) = (ce.displacement(pt, &p), cp.displacement(pt, &p));
            (dp.0 - de.0).hypot(dp.1 - de.1)
        })
        .collect();
    let rms = (rel.iter().map(|d| d * d).sum::<f32>() / rel.len().max(1) as f32).sqrt();
    let (repeated, common_area) = repeated_as_measured_on_fvc(&tp, &op, &te, &oe);
    // The filter's view: triplet keys the enrolled finger is indexed under
    // that the probe asks for, and common minutiae among the enrolled
    // finger's triplet centres (its MAX_CENTRES nearest the centroid).
    let mut probe_keys: Vec<u32> = triplets::probe_keys(probe)
        .iter()
        .map(|t| triplets::entry_key(t.entry))
        .collect();
    probe_keys.dedup();
    let mut gallery_keys: Vec<u32> = triplets::gallery_keys(enrolled)
        .iter()
        .map(|&(e, _)| triplets::entry_key(e))
        .collect();
    gallery_keys.dedup();
    let shared_keys = triplets::shared(&gallery_keys, &probe_keys);
    let n = te.minutiae.len().max(1) as f32;
    let centroid = te.minutiae.iter().fold((0.0, 0.0), |c, m| {
        (c.0 + m.x as f32 / n, c.1 + m.y as f32 / n)
    });
    let mut by_distance: Vec<usize> = (0..te.minutiae.len()).collect();
    let d2 = |k: &usize| {
        let m = &te.minutiae[*k];
        (m.x as f32 - centroid.0).powi(2) + (m.y as f32 - centroid.1).powi(2)
    };
    by_distance.sort_by(|a, b| d2(a).total_cmp(&d2(b)).then(a.cmp(b)));
    let common_set: HashSet<usize> = common.iter().copied().collect();
    let common_centres = by_distance
        .iter()
        .take(triplets::MAX_CENTRES)
        .filter(|&&k| oe[k].master.is_some_and(|i| common_set.contains(&i)))
        .count();
    let score = Matcher::new(probe).compare(&PreparedTemplate::candidate(enrolled));
    Finger {
        score,
        llr: fusion::model().llr_sized(score, tp.minutiae.len(), te.minutiae.len()),
        minutiae: (te.minutiae.len(), tp.minutiae.len()),
        common: common.len(),
        repeated,
        common_area,
        shared_keys,
        common_centres,
        quality: (ce.quality, cp.quality),
        bad: (ce.bad, cp.bad),
        overlap: both as f32 / area_e.min(area_p).max(1) as f32,
        in_overlap,
        rotation: (cp.rotation - ce.rotation) * 180.0 / PI,
        distortion_rms: rms,
        distortion_max: rel.iter().copied().fold(0.0, f32::max),
    }
}

/// See [`Finger::repeated`].
fn repeated_as_measured_on_fvc(
    probe: &Template,
    from_probe: &[Origin],
    enrolled: &Template,
    from_enrolled: &[Origin],
) -> (usize, usize) {
    let at = |t: &Template, k: usize| (t.minutiae[k].x as f32, t.minutiae[k].y as f32);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for (k, o) in from_probe.iter().enumerate() {
        if let Some(l) = from_enrolled
            .iter()
            .position(|e| e.master.is_some() && e.master == o.master)
        {
            a.push(at(probe, k));
            b.push(at(enrolled, l));
        }
    }
    if a.len() < 3 {
        return (0, 0);
    }
    // Least-squares rotation and translation taking a onto b.
    let n = a.len() as f32;
    let mean = |p: &[(f32, f32)]| {
        let (x, y) = p.iter().fold((0.0, 0.0), |s, q| (s.0 + q.0, s.1 + q.1));
        (x / n, y / n)
    };
    let (ca, cb) = (mean(&a), mean(&b));
    let (mut dot, mut cross) = (0.0, 0.0);
    for (p, q) in a.iter().zip(&b) {
        let (ax, ay, bx, by) = (p.0 - ca.0, p.1 - ca.1, q.0 - cb.0, q.1 - cb.1);
        dot += ax * bx + ay * by;
        cross += ax * by - ay * bx;
    }
    let theta = cross.atan2(dot);
    let (sin, cos) = theta.sin_cos();
    let place = |(x, y): (f32, f32)| {
        let (dx, dy) = (x - ca.0, y - ca.1);
        (cos * dx - sin * dy + cb.0, sin * dx + cos * dy + cb.1)
    };
    let gap = |u: f32, v: f32| {
        let d = (u - v).rem_euclid(2.0 * PI);
        d.min(2.0 * PI - d)
    };
    let (mut repeated, mut area) = (0, 0);
    for (k, m) in probe.minutiae.iter().enumerate() {
        let p = place(at(probe, k));
        let mut near = f32::INFINITY;
        let mut again = false;
        for (l, o) in enrolled.minutiae.iter().enumerate() {
            let q = at(enrolled, l);
            let d = (p.0 - q.0).hypot(p.1 - q.1);
            near = near.min(d);
            // Template directions turn the other way to image rotations.
            again |= d < 12.0 && gap(o.direction, m.direction - theta) < 0.5;
        }
        if near <= 35.0 {
            area += 1;
            repeated += again as usize;
        }
    }
    (repeated, area)
}

#[derive(Clone, Debug)]
struct Search {
    subject: SubjectId,
    /// The mate's place in the filter's order (0-based; None past `deep`).
    filter_rank: Option<usize>,
    /// For a dropped mate, its rank by each probe finger alone.
    alone: Vec<Option<usize>>,
    /// Mate first among the candidates the matcher saw.
    first: bool,
    mate_fused: f64,
    best_stranger: f64,
    fingers: Vec<Finger>,
}

fn quantiles(name: &str, mut v: Vec<f32>) -> String {
    if v.is_empty() {
        return format!("{name:<34} -");
    }
    v.sort_by(f32::total_cmp);
    let q = |p: f32| v[((v.len() - 1) as f32 * p).round() as usize];
    format!(
        "{name:<34} min {:>6.1}  p1 {:>6.1}  p5 {:>6.1}  p10 {:>6.1}  median {:>6.1}  p90 {:>6.1}",
        q(0.0),
        q(0.01),
        q(0.05),
        q(0.1),
        q(0.5),
        q(0.9)
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ten = args.iter().any(|a| a == "--ten");
    // --threshold=X: the FPIR 0.1 % threshold of an earlier run (with 0
    // non-mated searches, for a quicker look at the mated ones).
    let given_threshold: Option<f64> = args
        .iter()
        .find_map(|a| a.strip_prefix("--threshold="))
        .map(|t| t.parse())
        .transpose()?;
    let nums: Vec<u64> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let subjects = nums.first().copied().unwrap_or(100_000);
    let mated = nums.get(1).copied().unwrap_or(300);
    let non_mated = nums.get(2).copied().unwrap_or(1_000);
    let shortlist = nums.get(3).copied().unwrap_or(1_000) as usize;
    let two = [FingerPosition::RIGHT_INDEX, FingerPosition::LEFT_INDEX];
    let start = std::time::Instant::now();
    let gallery = if ten {
        eval::synthetic_gallery(subjects, SEED, &|_| ())?
    } else {
        eval::synthetic_gallery_of(subjects, SEED, &two, &|_| ())?
    };
    println!(
        "gallery: {subjects} subjects, {} fingers ({}), built in {:.0} s; shortlist {shortlist} ({:.2} %)",
        gallery.fingers(),
        if ten { "ten-print" } else { "index fingers only" },
        start.elapsed().as_secs_f64(),
        shortlist as f64 / subjects as f64 * 100.0
    );
    let params = SearchParams {
        shortlist,
        ..Default::default()
    };
    let mut tops = Vec::new();
    let mut model_threshold = f64::NAN;
    for k in 0..non_mated {
        let probe = eval::synthetic_probe(SEED, subjects + 1_000_000 + k, 1, &two);
        let r = gallery.search(&probe, &params)?;
        model_threshold = r.threshold;
        tops.push(top_score(&r));
    }
    let (t1, mut t01) = (
        threshold_at_fpir(&tops, 1e-2),
        threshold_at_fpir(&tops, 1e-3),
    );
    if let Some(t) = given_threshold {
        t01 = t;
    }
    println!(
        "thresholds (fused LLR): empirical at FPIR 1 % {t1:.2}, at 0.1 % {t01:.2} ({non_mated} non-mated searches); the model's (the search's decision) {model_threshold:.2}"
    );
    // The filter's order this deep is searched for a dropped mate's rank.
    let deep = (subjects as usize / 10).max(shortlist);
    let step = (subjects / mated.max(1)).max(1);
    let mut searches = Vec::new();
    for k in 0..mated.min(subjects) {
        let s = k * step;
        let probe = eval::synthetic_probe(SEED, s, 1, &two);
        let r = gallery.search(&probe, &params)?;
        let kept = r.shortlist.iter().position(|&id| id == s);
        let filter_rank = match kept {
            Some(rank) => Some(rank),
            None => gallery
                .filter_only(&probe, deep)?
                .iter()
                .position(|&(id, _)| id == s),
        };
        // A dropped mate's rank by each finger alone.
        let alone: Vec<Option<usize>> = if kept.is_none() {
            probe
                .iter()
                .map(|f| {
                    Ok::<_, scomm_ident::IdentError>(
                        gallery
                            .filter_only(std::slice::from_ref(f), deep)?
                            .iter()
                            .position(|&(id, _)| id == s),
                    )
                })
                .collect::<Result<_, _>>()?
        } else {
            vec![None; probe.len()]
        };
        let enrolled = gallery.fingers_of(s);
        let fingers: Vec<Finger> = probe
            .iter()
            .map(|(pos, t)| {
                let (_, e) = enrolled
                    .iter()
                    .find(|(p, _)| p == pos)
                    .expect("mate enrolled at the probed position");
                finger(s, *pos, t, e)
            })
            .collect();
        // As the search fuses: probe fingers it set aside count nothing.
        let mate_fused: f64 = probe
            .iter()
            .zip(&fingers)
            .filter(|((pos, _), _)| r.set_aside.iter().all(|a| a.position != *pos))
            .map(|(_, f)| f.llr)
            .sum();
        if let Some(c) = r.candidates.iter().find(|c| c.subject == s) {
            assert!(
                (c.fused - mate_fused).abs() < 1e-9,
                "{} {}",
                c.fused,
                mate_fused
            );
        }
        let best_stranger = r
            .candidates
            .iter()
            .find(|c| c.subject != s)
            .map_or(f64::NEG_INFINITY, |c| c.fused);
        searches.push(Search {
            subject: s,
            filter_rank,
            alone,
            first: kept.is_some() && r.candidates.first().is_some_and(|c| c.subject == s),
            mate_fused,
            best_stranger,
            fingers,
        });
    }
    let found = |x: &Search| x.first && x.mate_fused >= t01;
    let misses: Vec<&Search> = searches.iter().filter(|x| !found(x)).collect();
    let kept = searches
        .iter()
        .filter(|x| x.filter_rank.is_some_and(|r| r < shortlist))
        .count();
    println!(
        "{} mated searches: filter kept {kept} ({:.2} %); missed at FPIR 0.1 %: {} (FNIR {:.2} %), {} of them dropped by the filter",
        searches.len(),
        kept as f64 / searches.len() as f64 * 100.0,
        misses.len(),
        misses.len() as f64 / searches.len() as f64 * 100.0,
        misses
            .iter()
            .filter(|x| x.filter_rank.is_none_or(|r| r >= shortlist))
            .count()
    );
    println!();
    println!("| subject | stage | filter rank | mate LLR | best stranger | if shortlisted | finger | score | LLR | minutiae e/p | common | repeated (FVC's count) | common centres | shared keys | quality e/p | contact overlap | master in overlap | rotation ° | rel. distortion rms/max px |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for x in &misses {
        let dropped = x.filter_rank.is_none_or(|r| r >= shortlist);
        let stage = if dropped { "filter" } else { "matcher" };
        let show = |r: Option<usize>| r.map_or(format!("> {deep}"), |r| format!("{}", r + 1));
        let mut rank = show(x.filter_rank);
        if dropped {
            let alone: Vec<String> = x.alone.iter().map(|&r| show(r)).collect();
            rank += &format!(" (alone R {}, L {})", alone[0], alone[1]);
        }
        let verdict = if x.mate_fused >= t01 && x.mate_fused > x.best_stranger {
            "identified"
        } else if x.mate_fused >= t01 {
            "above threshold, not first"
        } else {
            "below threshold"
        };
        for (i, f) in x.fingers.iter().enumerate() {
            let q = |q: f32, bad: bool| {
                if bad {
                    "bad".to_string()
                } else {
                    format!("{q:.2}")
                }
            };
            let lead = if i == 0 {
                format!(
                    "| {} | {stage} | {rank} | {:.2} | {:.2} | {} ",
                    x.subject,
                    x.mate_fused,
                    x.best_stranger,
                    if dropped { verdict } else { "-" }
                )
            } else {
                "| | | | | | ".to_string()
            };
            println!(
                "{lead}| {} | {:.1} | {:.2} | {}/{} | {} | {}/{} | {} | {} | {}/{} | {:.0} % | {} | {:+.1} | {:.1}/{:.1} |",
                if i == 0 { "R index" } else { "L index" },
                f.score,
                f.llr,
                f.minutiae.0,
                f.minutiae.1,
                f.common,
                f.repeated,
                f.common_area,
                f.common_centres,
                f.shared_keys,
                q(f.quality.0, f.bad.0),
                q(f.quality.1, f.bad.1),
                f.overlap * 100.0,
                f.in_overlap,
                f.rotation,
                f.distortion_rms,
                f.distortion_max
            );
        }
    }
    println!();
    let hits: Vec<&Search> = searches.iter().filter(|x| found(x)).collect();
    let fingers = |set: &[&Search]| -> Vec<Finger> {
        set.iter().flat_map(|x| x.fingers.iter().cloned()).collect()
    };
    for (name, set) in [("found mates", &hits), ("missed mates", &misses)] {
        let f = fingers(set);
        let bad = f
            .iter()
            .map(|f| f.bad.0 as usize + f.bad.1 as usize)
            .sum::<usize>();
        let with_bad = set
            .iter()
            .filter(|x| x.fingers.iter().any(|f| f.bad.0 || f.bad.1))
            .count();
        println!(
            "{name}: {} searches, {} fingers; bad captures {bad} of {} ({:.1} %), searches with one {with_bad} ({:.1} %)",
            set.len(),
            f.len(),
            2 * f.len(),
            bad as f64 / (2 * f.len()).max(1) as f64 * 100.0,
            with_bad as f64 / set.len().max(1) as f64 * 100.0
        );
        // Per finger, then per search (its better finger), then per finger.
        type Of = fn(&Finger) -> f32;
        let evidence: [(&str, Of); 4] = [
            ("  common minutiae", |f| f.common as f32),
            ("  repeated (FVC's count)", |f| f.repeated as f32),
            ("  common among enrolled centres", |f| {
                f.common_centres as f32
            }),
            ("  shared triplet keys", |f| f.shared_keys as f32),
        ];
        let better: [(&str, Of); 2] = [
            ("  shared keys, better finger", |f| f.shared_keys as f32),
            ("  common, better finger of the two", |f| f.common as f32),
        ];
        let conditions: [(&str, Of); 7] = [
            ("  matcher score", |f| f.score),
            ("  capture quality (worse of two)", |f| {
                f.quality.0.min(f.quality.1)
            }),
            ("  contact overlap %", |f| f.overlap * 100.0),
            ("  master minutiae in overlap", |f| f.in_overlap as f32),
            ("  |rotation| degrees", |f| f.rotation.abs()),
            ("  rel. distortion rms px", |f| f.distortion_rms),
            ("  rel. distortion max px", |f| f.distortion_max),
        ];
        for (label, of) in evidence {
            println!("{}", quantiles(label, f.iter().map(of).collect()));
        }
        for (label, of) in better {
            let best = |x: &&Search| x.fingers.iter().map(of).fold(0.0, f32::max);
            println!("{}", quantiles(label, set.iter().map(best).collect()));
        }
        for (label, of) in conditions {
            println!("{}", quantiles(label, f.iter().map(of).collect()));
        }
    }
    // The low tail of genuine scores, to set beside FVC2002's (the
    // fingerprint crate's `repeatability` example prints them).
    let all = fingers(&searches.iter().collect::<Vec<_>>());
    let mut scores: Vec<f32> = all.iter().map(|f| f.score).collect();
    scores.sort_by(f32::total_cmp);
    let low: Vec<String> = [0.005, 0.01, 0.02, 0.05, 0.1, 0.5]
        .iter()
        .map(|&p| {
            format!(
                "p{} {:.1}",
                p * 100.0,
                scores[((scores.len() - 1) as f32 * p).round() as usize]
            )
        })
        .collect();
    println!();
    println!(
        "genuine finger scores ({} fingers): {}",
        scores.len(),
        low.join(", ")
    );
    // How the matcher does by common minutiae, over every finger searched.
    println!();
    println!("fingers by common minutiae: count, share scoring at or above the FMR 0.1 % / 1 % thresholds, median score");
    let fmr = |r: f64| scomm_fingerprint::matcher::calibration::threshold_for_fmr(r);
    for (lo, hi) in [
        (0, 5),
        (5, 8),
        (8, 10),
        (10, 12),
        (12, 15),
        (15, 20),
        (20, 30),
        (30, 1000),
    ] {
        let mut s: Vec<f32> = all
            .iter()
            .filter(|f| (lo..hi).contains(&f.common))
            .map(|f| f.score)
            .collect();
        if s.is_empty() {
            continue;
        }
        s.sort_by(f32::total_cmp);
        let share = |t: f32| s.iter().filter(|&&x| x >= t).count() as f32 / s.len() as f32 * 100.0;
        println!(
            "  {lo:>3}-{:<4} {:>4} fingers  {:>5.1} % / {:>5.1} %  median {:.1}",
            hi - 1,
            s.len(),
            share(fmr(1e-3)),
            share(fmr(1e-2)),
            s[s.len() / 2]
        );
    }
    Ok(())
}
