//! How often a genuine comparison fails, by the poorer template's mean
//! minutia quality: the measurement behind asking whether a failed
//! finger's evidence (the fusion's LLR floor in scomm-ident) should depend
//! on quality. A comparison fails when it scores under the calibration's
//! FMR 10 % threshold; chance comparisons pass that at about 10 % in every
//! quality class, so the share of genuine comparisons that behave like
//! chance ones is about the failure share / 0.9.
//!
//! ```sh
//! cargo run --release -p scomm-fingerprint --example failure_by_quality -- \
//!   ../shared/data/fvc2002/DB1_B ../shared/data/fvc2002/DB2_B:569 \
//!   ../shared/data/fvc2002/DB3_B ../shared/data/fvc2002/DB4_B \
//!   ../shared/data/neurotech-crossmatch
//! ```
//!
//! Pairs are every two impressions of a finger (genuine) and every
//! cross-finger pair (impostor), within each folder; the table pools the
//! folders, and a logistic fit of failure against quality follows it.

use rayon::prelude::*;
use scomm_fingerprint::matcher::calibration::threshold_for_fmr;
use scomm_fingerprint::matcher::{Matcher, PreparedTemplate};
use scomm_fingerprint::Template;

/// Poorer mean quality classes: [lower, upper).
const CLASSES: [(f32, f32); 6] = [
    (0.0, 30.0),
    (30.0, 40.0),
    (40.0, 50.0),
    (50.0, 60.0),
    (60.0, 70.0),
    (70.0, 101.0),
];

fn mean_quality(t: &Template) -> f32 {
    if t.minutiae.is_empty() {
        return 0.0;
    }
    t.minutiae.iter().map(|m| m.quality as f32).sum::<f32>() / t.minutiae.len() as f32
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let folders: Vec<String> = std::env::args().skip(1).collect();
    if folders.is_empty() {
        return Err("usage: failure_by_quality DIR[:DPI]...".into());
    }
    let threshold = threshold_for_fmr(0.1);
    // (genuine, poorer mean quality, failed)
    let mut pairs: Vec<(bool, f32, bool)> = Vec::new();
    for folder in &folders {
        let (dir, dpi) = scomm_fingerprint::eval::folder_spec(folder);
        let (samples, extracted) = scomm_fingerprint::eval::extract_folder(&dir, dpi)?;
        let templates: Vec<(PreparedTemplate, f32)> = extracted
            .iter()
            .map(|t| (PreparedTemplate::new(t), mean_quality(t)))
            .collect();
        let n = samples.len();
        let scored: Vec<(bool, f32, bool)> = (0..n)
            .into_par_iter()
            .flat_map_iter(|i| {
                let matcher = Matcher::from_prepared(templates[i].0.clone());
                let (samples, templates) = (&samples, &templates);
                (i + 1..n).map(move |j| {
                    let score = matcher.compare(&templates[j].0);
                    let quality = templates[i].1.min(templates[j].1);
                    (
                        samples[i].finger == samples[j].finger,
                        quality,
                        score < threshold,
                    )
                })
            })
            .collect();
        pairs.extend(scored);
    }
    let genuine: Vec<(f32, bool)> = pairs.iter().filter(|p| p.0).map(|p| (p.1, p.2)).collect();
    let failed = genuine.iter().filter(|g| g.1).count();
    println!(
        "{} genuine comparisons, {failed} failed (score under {threshold:.2}, the FMR 10 % threshold)",
        genuine.len()
    );
    println!("| poorer mean quality | genuine | failed | failed % | impostors passing % |");
    println!("|---|---|---|---|---|");
    for (lo, hi) in CLASSES {
        let class = |p: &&(bool, f32, bool)| p.1 >= lo && p.1 < hi;
        let g: Vec<_> = pairs.iter().filter(|p| p.0).filter(class).collect();
        let i: Vec<_> = pairs.iter().filter(|p| !p.0).filter(class).collect();
        if g.is_empty() {
            continue;
        }
        let gf = g.iter().filter(|p| p.2).count();
        let ip = i.iter().filter(|p| !p.2).count();
        println!(
            "| {lo:.0}-{:.0} | {} | {gf} | {:.2} | {:.1} |",
            hi.min(100.0),
            g.len(),
            100.0 * gf as f64 / g.len() as f64,
            100.0 * ip as f64 / i.len().max(1) as f64
        );
    }
    // Logistic regression of failure on quality (Newton's method), x in
    // tens of quality points from 50.
    let (mut a, mut b) = (-4.0f64, 0.0f64);
    for _ in 0..100 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for &(q, f) in &genuine {
            let x = (q as f64 - 50.0) / 10.0;
            let p = 1.0 / (1.0 + (-(a + b * x)).exp());
            let y = f as u8 as f64;
            let w = p * (1.0 - p);
            ga += y - p;
            gb += (y - p) * x;
            haa += w;
            hab += w * x;
            hbb += w * x * x;
        }
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-12 {
            break;
        }
        a += (hbb * ga - hab * gb) / det;
        b += (haa * gb - hab * ga) / det;
    }
    println!("\nlogit P(failed) = {a:.3} + {b:.3} * (quality - 50) / 10");
    println!("| poorer mean quality | P(failed) | share behaving as chance (/0.9) | its ln |");
    println!("|---|---|---|---|");
    for q in [20.0, 30.0, 40.0, 50.0, 60.0, 70.0] {
        let p = 1.0 / (1.0 + (-(a + b * (q - 50.0) / 10.0)).exp());
        println!(
            "| {q:.0} | {:.4} | {:.4} | {:.2} |",
            p,
            p / 0.9,
            (p / 0.9).ln()
        );
    }
    Ok(())
}
