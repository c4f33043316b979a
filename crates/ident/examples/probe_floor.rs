//! How much evidence a comparison carries by the minutiae count (and mean
//! minutia quality) of the poorer of its two templates: the measurement
//! behind `fusion::MIN_PROBE_MINUTIAE`.
//!
//! Real prints: every pair of the 320 FVC2002 B images (1,120 genuine,
//! 49,920 impostor), this engine's extractor and matcher. Synthetic: the
//! generator's index fingers, encounter 0 against encounter 1 of the same
//! subject (genuine) and of the next subject (impostor). Per bin of the
//! poorer template's minutiae count: the comparisons, the genuine share
//! failing (under the FMR 10 % threshold) and passing FMR 0.1 %, the
//! impostor share over FMR 10 %, and the mean LLR (`fusion::model`) a
//! genuine and an impostor comparison get. Where the genuine mean LLR is
//! at or under 0 the finger is, on average, evidence against its own mate.
//!
//! ```sh
//! cargo run --release -p scomm-ident --example probe_floor [-- FVC2002_ROOT [SUBJECTS]]
//! ```

use rayon::prelude::*;
use scomm_fingerprint::eval::discover;
use scomm_fingerprint::matcher::calibration::threshold_for_fmr;
use scomm_fingerprint::matcher::{Matcher, PreparedTemplate};
use scomm_fingerprint::Template;
use scomm_ident::synthetic::{capture, ImpressionParams};
use scomm_ident::{fusion, FingerPosition};

/// (poorer template's minutiae count, its mean minutia quality, genuine, score).
type Scored = (usize, f64, bool, f32);

fn mean_quality(t: &Template) -> f64 {
    if t.minutiae.is_empty() {
        return 0.0;
    }
    t.minutiae.iter().map(|m| m.quality as f64).sum::<f64>() / t.minutiae.len() as f64
}

fn poorer(a: &Template, b: &Template) -> (usize, f64) {
    if a.minutiae.len() <= b.minutiae.len() {
        (a.minutiae.len(), mean_quality(a))
    } else {
        (b.minutiae.len(), mean_quality(b))
    }
}

/// The `k` minutiae nearest the template's minutiae centroid: a small
/// contact on the finger's centre, as a poor capture leaves.
fn cut(t: &Template, k: usize) -> Template {
    let n = t.minutiae.len().max(1) as f32;
    let cx = t.minutiae.iter().map(|m| m.x as f32).sum::<f32>() / n;
    let cy = t.minutiae.iter().map(|m| m.y as f32).sum::<f32>() / n;
    let mut kept = t.minutiae.clone();
    kept.sort_by(|a, b| {
        let d =
            |m: &scomm_fingerprint::Minutia| (m.x as f32 - cx).powi(2) + (m.y as f32 - cy).powi(2);
        d(a).total_cmp(&d(b))
    });
    kept.truncate(k);
    Template {
        minutiae: kept,
        ..t.clone()
    }
}

/// Every pair scored whole, then again with the second template cut to
/// each of `cuts` minutiae (`Scored`'s count is then the cut).
fn fvc(root: &str, cuts: &[usize]) -> (Vec<Scored>, Vec<Scored>) {
    let mut samples = Vec::new();
    for (db, dpi) in scomm_fingerprint::eval::FVC2002_B {
        let dir = std::path::Path::new(root).join(db);
        for s in discover(&dir).expect("FVC2002 B folder") {
            samples.push((format!("{db}/{}", s.finger), s.path, dpi));
        }
    }
    let templates: Vec<Template> = samples
        .par_iter()
        .map(|(_, path, dpi)| {
            scomm_fingerprint::extract::extract_file(path, *dpi).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    let prepared: Vec<PreparedTemplate> = templates.iter().map(PreparedTemplate::new).collect();
    let pairs: Vec<(usize, usize)> = (0..samples.len())
        .flat_map(|i| (i + 1..samples.len()).map(move |j| (i, j)))
        .collect();
    let whole = pairs
        .par_iter()
        .map(|&(i, j)| {
            let score = Matcher::from_prepared(prepared[i].clone()).compare(&prepared[j]);
            let (n, q) = poorer(&templates[i], &templates[j]);
            (n, q, samples[i].0 == samples[j].0, score)
        })
        .collect();
    let cut_scores = cuts
        .iter()
        .flat_map(|&k| {
            let small: Vec<PreparedTemplate> = templates
                .iter()
                .map(|t| PreparedTemplate::new(&cut(t, k)))
                .collect();
            let m = &small;
            let (s, p) = (&samples, &prepared);
            pairs
                .par_iter()
                .map(move |&(i, j)| {
                    let score = Matcher::from_prepared(p[i].clone()).compare(&m[j]);
                    (k, 0.0, s[i].0 == s[j].0, score)
                })
                .collect::<Vec<_>>()
        })
        .collect();
    (whole, cut_scores)
}

fn synthetic(subjects: u64) -> Vec<Scored> {
    let two = [FingerPosition::RIGHT_INDEX, FingerPosition::LEFT_INDEX];
    let params = ImpressionParams::default();
    let seed = |s: u64| scomm_ident::eval::subject_seed(7, s);
    (0..subjects)
        .into_par_iter()
        .flat_map_iter(|s| {
            let enrolled = capture(seed(s), 0, &two, &params);
            let mate = capture(seed(s), 1, &two, &params);
            let stranger = capture(seed(s + 1), 1, &two, &params);
            let mut out = Vec::new();
            for f in 0..2 {
                let m = Matcher::new(&enrolled[f].1);
                for (probe, genuine) in [(&mate[f].1, true), (&stranger[f].1, false)] {
                    let score = m.compare(&PreparedTemplate::new(probe));
                    let (n, q) = poorer(&enrolled[f].1, probe);
                    out.push((n, q, genuine, score));
                }
            }
            out
        })
        .collect()
}

fn table(title: &str, scored: &[Scored], key: impl Fn(&Scored) -> f64, bins: &[f64]) {
    let model = fusion::model();
    let (t10, t01) = (threshold_for_fmr(1e-1), threshold_for_fmr(1e-3));
    println!("\n{title}");
    println!("| bin | genuine | impostor | gen. fail (< FMR 10 %) | gen. pass FMR 0.1 % | imp. over FMR 10 % | mean LLR gen. | mean LLR imp. |");
    println!("|---|---|---|---|---|---|---|---|");
    for w in bins.windows(2) {
        let inside: Vec<&Scored> = scored
            .iter()
            .filter(|s| key(s) >= w[0] && key(s) < w[1])
            .collect();
        let gen: Vec<f32> = inside.iter().filter(|s| s.2).map(|s| s.3).collect();
        let imp: Vec<f32> = inside.iter().filter(|s| !s.2).map(|s| s.3).collect();
        let share = |v: &[f32], f: &dyn Fn(f32) -> bool| {
            v.iter().filter(|&&s| f(s)).count() as f64 / v.len().max(1) as f64 * 100.0
        };
        let mean_llr =
            |v: &[f32]| v.iter().map(|&s| model.llr(s)).sum::<f64>() / v.len().max(1) as f64;
        println!(
            "| {}-{} | {} | {} | {:.1} % | {:.1} % | {:.1} % | {:+.2} | {:+.2} |",
            w[0],
            w[1] - 1.0,
            gen.len(),
            imp.len(),
            share(&gen, &|s| s < t10),
            share(&gen, &|s| s >= t01),
            share(&imp, &|s| s >= t10),
            mean_llr(&gen),
            mean_llr(&imp),
        );
    }
}

/// The synthetic impostor tail beside FVC2002's: the share of synthetic
/// impostor comparisons at or over the calibration's thresholds.
fn impostor_tail(synth: &[Scored]) {
    let imp: Vec<f32> = synth.iter().filter(|s| !s.2).map(|s| s.3).collect();
    println!(
        "\nSynthetic impostor share over the FVC2002 thresholds ({} comparisons):",
        imp.len()
    );
    println!("| FVC2002 FMR | threshold | synthetic FMR | comparisons over |\n|---|---|---|---|");
    for fmr in [1e-1, 1e-2, 1e-3, 3e-4, 1e-4, 3e-5] {
        let t = threshold_for_fmr(fmr);
        let over = imp.iter().filter(|&&s| s >= t).count();
        println!(
            "| {} % | {t:.2} | {:.4} % | {over} |",
            fmr * 100.0,
            over as f64 / imp.len() as f64 * 100.0
        );
    }
}

fn main() {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/fvc2002".to_string());
    let subjects: u64 = std::env::args()
        .nth(2)
        .map_or(20_000, |s| s.parse().expect("SUBJECTS"));
    let count_bins = [
        0.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 20.0, 25.0, 30.0, 40.0, 1e9,
    ];
    let quality_bins = [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 80.0, 101.0];
    let cuts = [4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 20];
    let (real, cut_scores) = fvc(&root, &cuts);
    table(
        "FVC2002 B, by the poorer template's minutiae count",
        &real,
        |s| s.0 as f64,
        &count_bins,
    );
    table(
        "FVC2002 B, by the poorer template's mean minutia quality",
        &real,
        |s| s.1,
        &quality_bins,
    );
    let cut_bins: Vec<f64> = cuts.iter().map(|&k| k as f64).chain([1e9]).collect();
    table(
        "FVC2002 B, the second template cut to its k minutiae nearest its centroid (bin: k)",
        &cut_scores,
        |s| s.0 as f64,
        &cut_bins,
    );
    let synth = synthetic(subjects);
    table(
        &format!("Synthetic index fingers ({subjects} subjects), by the poorer template's minutiae count"),
        &synth,
        |s| s.0 as f64,
        &count_bins,
    );
    table(
        "Synthetic, by the poorer template's mean minutia quality",
        &synth,
        |s| s.1,
        &quality_bins,
    );
    impostor_tail(&synth);
}
