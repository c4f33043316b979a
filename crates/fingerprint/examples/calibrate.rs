//! Measures the score-to-FMR table of `matcher::calibration`: every
//! cross-finger pair of the 320 FVC2002 B images (all four databases
//! pooled, DB2 at 569 dpi; 49,920 impostor comparisons) and the 1,120
//! genuine pairs. A threshold is the lowest score whose FMR is at most the
//! target (`eval::threshold_at_fmr`), rounded up to two decimals.
//!
//! It also prints the quantiles of both score distributions that a 1:N
//! search turns scores into evidence with (`scomm_ident::fusion`'s
//! `GENUINE` and `IMPOSTOR_LOW` tables, pasted from this output): they
//! belong to the same matcher and extractor as the thresholds.
//!
//! With `accurate` after the folder it measures the accurate profile's
//! table (`ACCURATE_THRESHOLDS`; its quantiles are not used: the 1:N
//! search uses fast templates).
//!
//! ```sh
//! cargo run --release -p scomm-fingerprint --example calibrate [-- ../shared/data/fvc2002 [fast|accurate]]
//! ```

use rayon::prelude::*;
use scomm_fingerprint::eval::{discover, threshold_at_fmr};
use scomm_fingerprint::matcher::{Matcher, PreparedTemplate};

fn main() {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/fvc2002".to_string());
    let profile: scomm_fingerprint::extract::Profile = std::env::args()
        .nth(2)
        .map(|p| p.parse().unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_default();
    let mut samples = Vec::new();
    for (db, dpi) in scomm_fingerprint::eval::FVC2002_B {
        let dir = std::path::Path::new(&root).join(db);
        for s in discover(&dir).expect("FVC2002 B folder") {
            samples.push((format!("{db}/{}", s.finger), s.path, dpi));
        }
    }
    let templates: Vec<PreparedTemplate> = samples
        .par_iter()
        .map(|(_, path, dpi)| {
            let template = scomm_fingerprint::extract::extract_file_with(path, *dpi, profile)
                .unwrap_or_else(|e| panic!("{e}"));
            PreparedTemplate::new(&template)
        })
        .collect();
    let pairs: Vec<(usize, usize)> = (0..samples.len())
        .flat_map(|i| (i + 1..samples.len()).map(move |j| (i, j)))
        .collect();
    let scored: Vec<(bool, f32)> = pairs
        .par_iter()
        .map(|&(i, j)| {
            let score = Matcher::from_prepared(templates[i].clone()).compare(&templates[j]);
            (samples[i].0 == samples[j].0, score)
        })
        .collect();
    let genuine: Vec<f32> = scored.iter().filter(|s| s.0).map(|s| s.1).collect();
    let impostor: Vec<f32> = scored.iter().filter(|s| !s.0).map(|s| s.1).collect();
    println!(
        "{} impostor, {} genuine comparisons; highest impostor score {:.2}",
        impostor.len(),
        genuine.len(),
        impostor.iter().cloned().fold(f32::MIN, f32::max)
    );
    println!("| FMR | score threshold | FNMR there |\n|---|---|---|");
    for fmr in [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5] {
        let t = (threshold_at_fmr(&impostor, fmr) * 100.0).ceil() / 100.0;
        let fnmr = genuine.iter().filter(|&&g| g < t).count() as f64 / genuine.len() as f64;
        println!("| {} % | {t:.2} | {:.1} % |", fmr * 100.0, fnmr * 100.0);
    }
    // Genuine: the score below which a share of the genuine scores lie
    // (the lower of the two around it), from 0.5 % to 99 %.
    let mut sorted = genuine.clone();
    sorted.sort_by(f32::total_cmp);
    println!("\nGenuine quantiles (share of genuine scores below, score):");
    for p in [
        0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9,
        0.95, 0.975, 0.99,
    ] {
        let k = ((p * sorted.len() as f64) as usize).min(sorted.len() - 1);
        println!("    ({p}, {:.2}),", sorted[k]);
    }
    // Impostor, below the thresholds above: the same rule as theirs.
    let zero = impostor.iter().filter(|&&s| s <= 0.0).count() as f64 / impostor.len() as f64;
    println!(
        "\nImpostor quantiles (share of impostor scores at or above, score); {:.1} % score 0:",
        zero * 100.0
    );
    for share in [0.9, 0.7, 0.5, 0.3, 0.2] {
        let t = (threshold_at_fmr(&impostor, share) * 100.0).ceil() / 100.0;
        println!("    ({share}, {t:.2}),");
    }
}
