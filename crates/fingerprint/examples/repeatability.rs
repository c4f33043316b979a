//! Where genuine misses come from, and how repeatable the extraction is.
//!
//! For each FVC-style folder: every impression of a finger is placed in
//! one frame by chaining confident comparisons (score above
//! [`CONFIDENT`]) through the finger's other impressions. Then
//! 1. for each genuine pair scoring under the FMR 0.01 % threshold, whether
//!    the matcher's pairing had the placement the chain gives ("right": the
//!    search found the alignment and the evidence was thin) or another
//!    ("wrong": the search failed), or the pair could not be placed;
//! 2. over every placed genuine pair, the share of one impression's
//!    minutiae in the common area (within 35 px of the other's) that the
//!    other repeats (a minutia within 12 px and 0.5 rad), by quality
//!    decile: what `matcher::prepared::overlap_weight` models, and the
//!    number an extraction change should raise.
//!
//! `cargo run --release -p scomm-fingerprint --example repeatability -- DIR[:DPI]...`

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;

use rayon::prelude::*;
use scomm_fingerprint::matcher::{calibration, Matcher, PreparedTemplate};
use scomm_fingerprint::{eval, Template};

/// Comparisons scoring above this place one impression against another.
const CONFIDENT: f32 = 20.0;
const COMMON_AREA: f32 = 35.0;
const SAME_PLACE: f32 = 12.0;
const SAME_DIRECTION: f32 = 0.5;

/// p -> R p + t in image coordinates.
#[derive(Clone, Copy, Debug)]
struct Rigid {
    cos: f32,
    sin: f32,
    tx: f32,
    ty: f32,
}

impl Rigid {
    const IDENTITY: Rigid = Rigid {
        cos: 1.0,
        sin: 0.0,
        tx: 0.0,
        ty: 0.0,
    };

    fn apply(&self, (x, y): (f32, f32)) -> (f32, f32) {
        (
            self.cos * x - self.sin * y + self.tx,
            self.sin * x + self.cos * y + self.ty,
        )
    }

    /// `self`, then `next`.
    fn then(&self, next: &Rigid) -> Rigid {
        let (tx, ty) = next.apply((self.tx, self.ty));
        Rigid {
            cos: next.cos * self.cos - next.sin * self.sin,
            sin: next.sin * self.cos + next.cos * self.sin,
            tx,
            ty,
        }
    }

    fn inverse(&self) -> Rigid {
        let (c, s) = (self.cos, -self.sin);
        Rigid {
            cos: c,
            sin: s,
            tx: -(c * self.tx - s * self.ty),
            ty: -(s * self.tx + c * self.ty),
        }
    }

    fn angle(&self) -> f32 {
        self.sin.atan2(self.cos)
    }

    /// Least-squares rotation and translation taking `a` onto `b`.
    fn fit(a: &[(f32, f32)], b: &[(f32, f32)]) -> Option<Rigid> {
        if a.len() < 3 {
            return None;
        }
        let n = a.len() as f32;
        let mean = |p: &[(f32, f32)]| {
            let (sx, sy) = p.iter().fold((0.0, 0.0), |s, q| (s.0 + q.0, s.1 + q.1));
            (sx / n, sy / n)
        };
        let (ca, cb) = (mean(a), mean(b));
        let (mut dot, mut cross) = (0.0, 0.0);
        for (p, q) in a.iter().zip(b) {
            let (ax, ay, bx, by) = (p.0 - ca.0, p.1 - ca.1, q.0 - cb.0, q.1 - cb.1);
            dot += ax * bx + ay * by;
            cross += ax * by - ay * bx;
        }
        let theta = cross.atan2(dot);
        let (sin, cos) = theta.sin_cos();
        let rotated = Rigid {
            cos,
            sin,
            tx: 0.0,
            ty: 0.0,
        }
        .apply(ca);
        Some(Rigid {
            cos,
            sin,
            tx: cb.0 - rotated.0,
            ty: cb.1 - rotated.1,
        })
    }
}

fn place(t: &Template, i: usize) -> (f32, f32) {
    (t.minutiae[i].x as f32, t.minutiae[i].y as f32)
}

fn angle_gap(a: f32, b: f32) -> f32 {
    let d = (a - b).rem_euclid(std::f32::consts::TAU);
    d.min(std::f32::consts::TAU - d)
}

fn main() {
    let specs: Vec<String> = std::env::args().skip(1).collect();
    if specs.is_empty() {
        eprintln!("usage: repeatability DIR[:DPI]...");
        std::process::exit(2);
    }
    let threshold = calibration::threshold_for_fmr(1e-4);
    println!(
        "folder      misses(<{threshold:.2})  placed  right  wrong  repeated  minutiae  q-AUC  by quality 20-29 .. 90-99"
    );
    let specs_count = specs.len();
    // Every folder's placed pairs, unplaced pairs and genuine scores.
    let mut pooled: (Vec<(usize, usize, f32)>, usize, Vec<f32>) = Default::default();
    for spec in specs {
        let (dir, dpi) = match spec.rsplit_once(':') {
            Some((d, p)) if p.parse::<f64>().is_ok() => (PathBuf::from(d), p.parse().unwrap()),
            _ => (PathBuf::from(&spec), 500.0),
        };
        let samples = eval::discover(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let templates: Vec<Template> = samples
            .par_iter()
            .map(|s| {
                scomm_fingerprint::extract::extract_file(&s.path, dpi)
                    .unwrap_or_else(|e| panic!("{e}"))
            })
            .collect();
        let prepared: Vec<PreparedTemplate> =
            templates.par_iter().map(PreparedTemplate::new).collect();
        let mut fingers: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (k, s) in samples.iter().enumerate() {
            fingers.entry(s.finger.as_str()).or_default().push(k);
        }
        // Every ordered genuine comparison: score and the pairing's fit.
        let ordered: Vec<(usize, usize)> = fingers
            .values()
            .flat_map(|ks| {
                ks.iter()
                    .flat_map(move |&i| ks.iter().filter(move |&&j| j != i).map(move |&j| (i, j)))
            })
            .collect();
        let compared: BTreeMap<(usize, usize), (f32, Option<Rigid>)> = ordered
            .par_iter()
            .map(|&(i, j)| {
                let c = Matcher::new(&templates[i]).explain(&prepared[j]);
                let (a, b): (Vec<_>, Vec<_>) = c
                    .pairs
                    .iter()
                    .map(|&(p, q)| {
                        (
                            place(&templates[i], p as usize),
                            place(&templates[j], q as usize),
                        )
                    })
                    .unzip();
                ((i, j), (c.score, Rigid::fit(&a, &b)))
            })
            .collect();
        // Each finger's impressions placed in the frame of its best-linked one.
        let mut to_root: BTreeMap<usize, Rigid> = BTreeMap::new();
        for ks in fingers.values() {
            let confident = |i: usize, j: usize| compared[&(i, j)].0 > CONFIDENT;
            let Some(&root) = ks
                .iter()
                .max_by_key(|&&i| ks.iter().filter(|&&j| j != i && confident(i, j)).count())
            else {
                continue;
            };
            to_root.insert(root, Rigid::IDENTITY);
            let mut queue = VecDeque::from([root]);
            while let Some(k) = queue.pop_front() {
                for &j in ks {
                    if j == k || to_root.contains_key(&j) || !confident(k, j) {
                        continue;
                    }
                    if let Some(k_to_j) = compared[&(k, j)].1 {
                        // j -> k -> root
                        let placed = k_to_j.inverse().then(&to_root[&k]);
                        to_root.insert(j, placed);
                        queue.push_back(j);
                    }
                }
            }
        }
        let between = |i: usize, j: usize| -> Option<Rigid> {
            Some(to_root.get(&i)?.then(&to_root.get(&j)?.inverse()))
        };
        let (mut misses, mut placed, mut right) = (0, 0, 0);
        let mut deciles = [(0usize, 0usize); 10];
        // Per quality value: (repeated, not repeated), for the AUC.
        let mut by_value = [(0u64, 0u64); 256];
        // Per placed genuine pair (i < j): minutiae of i that j repeats,
        // of i in the common area, and the score; pairs never placed.
        let mut per_pair: Vec<(usize, usize, f32)> = Vec::new();
        let mut unplaced = 0;
        for &(i, j) in &ordered {
            let (score, fit) = compared[&(i, j)];
            let estimate = between(i, j);
            if i < j && score < threshold {
                misses += 1;
                if let Some(e) = estimate {
                    placed += 1;
                    let t = &templates[i];
                    let n = t.minutiae.len().max(1) as f32;
                    let centre = (0..t.minutiae.len())
                        .map(|k| place(t, k))
                        .fold((0.0, 0.0), |s, p| (s.0 + p.0 / n, s.1 + p.1 / n));
                    let agrees = fit.is_some_and(|f| {
                        let (p, q) = (f.apply(centre), e.apply(centre));
                        (p.0 - q.0).hypot(p.1 - q.1) < 25.0
                            && angle_gap(f.angle(), e.angle()) < 0.25
                    });
                    right += agrees as usize;
                }
            }
            let Some(e) = estimate else {
                unplaced += (i < j) as usize;
                continue;
            };
            let (a, b) = (&templates[i], &templates[j]);
            let (mut pair_repeated, mut pair_common) = (0usize, 0usize);
            for (k, m) in a.minutiae.iter().enumerate() {
                let p = e.apply(place(a, k));
                let mut near = f32::INFINITY;
                let mut repeated = false;
                for (l, o) in b.minutiae.iter().enumerate() {
                    let q = place(b, l);
                    let d = (p.0 - q.0).hypot(p.1 - q.1);
                    near = near.min(d);
                    // Template directions turn the other way to image rotations.
                    repeated |= d < SAME_PLACE
                        && angle_gap(o.direction, m.direction - e.angle()) < SAME_DIRECTION;
                }
                if near > COMMON_AREA {
                    continue;
                }
                pair_common += 1;
                pair_repeated += repeated as usize;
                let bin = &mut deciles[(m.quality as usize / 10).min(9)];
                bin.0 += repeated as usize;
                bin.1 += 1;
                let v = &mut by_value[m.quality as usize];
                v.0 += repeated as u64;
                v.1 += !repeated as u64;
            }
            if i < j {
                per_pair.push((pair_repeated, pair_common, score));
            }
        }
        let (rep, all) = deciles.iter().fold((0, 0), |s, d| (s.0 + d.0, s.1 + d.1));
        let mean_minutiae = templates.iter().map(|t| t.minutiae.len()).sum::<usize>() as f32
            / templates.len() as f32;
        let auc = quality_auc(&by_value);
        let by_quality: Vec<String> = deciles[2..]
            .iter()
            .map(|&(r, n)| format!("{:.2}", r as f32 / n.max(1) as f32))
            .collect();
        println!(
            "{:<11} {misses:>15}  {placed:>6}  {right:>5}  {:>5}  {:>8.3}  {mean_minutiae:>8.1}  {auc:.3}  {}",
            dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            placed - right,
            rep as f32 / all.max(1) as f32,
            by_quality.join(" ")
        );
        let mut genuine: Vec<f32> = ordered
            .iter()
            .filter(|&&(i, j)| i < j)
            .map(|p| compared[p].0)
            .collect();
        genuine.sort_by(f32::total_cmp);
        pair_lines(&per_pair, unplaced, &genuine);
        pooled.0.extend(per_pair);
        pooled.1 += unplaced;
        pooled.2.extend(genuine);
    }
    if specs_count > 1 {
        println!("all folders");
        pooled.2.sort_by(f32::total_cmp);
        pair_lines(&pooled.0, pooled.1, &pooled.2);
    }
}

/// Per genuine pair, what the synthetic generator's "common minutiae"
/// (`crates/ident/examples/mate_misses.rs`) is compared with: quantiles of
/// the minutiae one impression repeats of the other, and of those in the
/// common area, and the repeated counts of the lowest-scoring pairs.
fn pair_lines(per_pair: &[(usize, usize, f32)], unplaced: usize, genuine: &[f32]) {
    let low: Vec<String> = [0.005, 0.01, 0.02, 0.05, 0.1, 0.5]
        .iter()
        .filter_map(|&p| {
            let k = ((genuine.len().max(1) - 1) as f32 * p).round() as usize;
            genuine.get(k).map(|s| format!("p{} {s:.1}", p * 100.0))
        })
        .collect();
    println!(
        "  genuine scores ({} pairs): {}",
        genuine.len(),
        low.join(", ")
    );
    let quantiles = |mut v: Vec<usize>| -> String {
        v.sort_unstable();
        let q = |p: f32| {
            v.get(((v.len().max(1) - 1) as f32 * p).round() as usize)
                .copied()
        };
        [0.0, 0.01, 0.02, 0.05, 0.1, 0.5]
            .iter()
            .map(|&p| q(p).map_or("-".into(), |x| x.to_string()))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    println!(
        "  pairs placed {} (not placed {unplaced}); per pair min / p1 / p2 / p5 / p10 / median: repeated {}; in the common area {}",
        per_pair.len(),
        quantiles(per_pair.iter().map(|p| p.0).collect()),
        quantiles(per_pair.iter().map(|p| p.1).collect())
    );
    let mut low: Vec<&(usize, usize, f32)> = per_pair.iter().collect();
    low.sort_by(|a, b| a.2.total_cmp(&b.2));
    let shown: Vec<String> = low
        .iter()
        .take(8)
        .map(|p| format!("{:.1}: {}/{}", p.2, p.0, p.1))
        .collect();
    println!(
        "  lowest scores (score: repeated/common area) {}",
        shown.join(", ")
    );
}

/// How well quality ranks repeated minutiae above unrepeated ones: the
/// chance that a random repeated minutia has the higher quality (ties
/// half), from counts per quality value. 0.5 says quality tells nothing.
fn quality_auc(by_value: &[(u64, u64)]) -> f64 {
    let (mut below, mut wins) = (0u64, 0.0f64);
    for &(rep, not) in by_value {
        wins += rep as f64 * (below as f64 + 0.5 * not as f64);
        below += not;
    }
    let (r, n): (u64, u64) = by_value.iter().fold((0, 0), |s, v| (s.0 + v.0, s.1 + v.1));
    wins / (r as f64 * n as f64).max(1.0)
}
