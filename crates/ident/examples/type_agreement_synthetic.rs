//! Kind agreement (ending / bifurcation) of the best pairing's paired
//! minutiae on synthetic fingers, as the scomm-fingerprint example
//! `type_agreement` measures it on real prints: genuine pairs (two captures
//! of each of N right index fingers) and chance pairs (every cross pair),
//! the highest-scoring chance pairs apart. Checks that the synthetic
//! fingers' kinds behave like real ones before `fusion::kind_llr` is
//! measured on them.
//!
//! `cargo run --release -p scomm-ident --example type_agreement_synthetic -- [N]`
use rayon::prelude::*;
use scomm_fingerprint::matcher::calibration::threshold_for_fmr;
use scomm_fingerprint::matcher::{Matcher, PreparedTemplate};
use scomm_ident::synthetic::{capture, ImpressionParams};
use scomm_ident::FingerPosition;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let p = ImpressionParams::default();
    let pos = [FingerPosition::RIGHT_INDEX];
    let fingers: Vec<_> = (0..n)
        .into_par_iter()
        .map(|s| {
            let seed = scomm_ident::mix_seed(99, s);
            let a = capture(seed, 1, &pos, &p).pop().unwrap().1;
            let b = capture(seed, 2, &pos, &p).pop().unwrap().1;
            (PreparedTemplate::new(&a), a, PreparedTemplate::new(&b), b)
        })
        .collect();
    let rows: Vec<(bool, f32, usize, usize)> = (0..n as usize)
        .into_par_iter()
        .flat_map_iter(|i| {
            let m = Matcher::from_prepared(fingers[i].0.clone());
            let fingers = &fingers;
            (0..n as usize).map(move |j| {
                let (t, tp) = (&fingers[j].3, &fingers[j].2);
                let c = m.explain(tp);
                let agree = c
                    .pairs
                    .iter()
                    .filter(|&&(a, b)| {
                        fingers[i].1.minutiae[a as usize].kind == t.minutiae[b as usize].kind
                    })
                    .count();
                (i == j, c.score, c.pairs.len(), agree)
            })
        })
        .collect();
    // Genuine, then chance pairings from every score up and from the FMR
    // 1 % and 0.1 % thresholds up: agreement in the tail a search meets.
    let genuine: Vec<_> = rows.iter().filter(|r| r.0).collect();
    print_agreement("genuine", &genuine);
    for (name, fmr) in [
        ("impostor", 1.0),
        ("impostor over FMR 1 %", 1e-2),
        ("impostor over FMR 0.1 %", 1e-3),
    ] {
        let t = if fmr < 1.0 {
            threshold_for_fmr(fmr)
        } else {
            f32::MIN
        };
        let chance: Vec<_> = rows.iter().filter(|r| !r.0 && r.1 >= t).collect();
        print_agreement(name, &chance);
    }
}

fn print_agreement(name: &str, rows: &[&(bool, f32, usize, usize)]) {
    let pairs: usize = rows.iter().map(|r| r.2).sum();
    let agree: usize = rows.iter().map(|r| r.3).sum();
    println!(
        "{name:<26} comparisons {:>8}  pairs {:>9}  of one kind {:.3}",
        rows.len(),
        pairs,
        agree as f64 / pairs.max(1) as f64
    );
}
