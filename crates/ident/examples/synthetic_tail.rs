//! One finger's error rates deep in the impostor tail, on synthetic fingers:
//! `SUBJECTS` genuine comparisons (each subject's right index finger, a
//! later encounter against the enrolled one) and `SUBJECTS x PER` impostor
//! comparisons (each probe against `PER` other subjects' enrolled fingers).
//! Prints the score threshold and FNMR at FMR 10^-2 to 10^-7 (as deep as
//! the comparisons reach); the depths a
//! 1:N search of a large gallery works at, which FVC2002's 49,920 impostor
//! comparisons cannot reach. Both for the matcher's scores and for the
//! scores referred to the reference template size as a search fuses them
//! (`scomm_ident::fusion::size_referred_score`). With `--levels`, also the share of cycle-closing
//! edges at each shape error level for the genuine comparisons and the first
//! 10 impostor comparisons of each probe (as `scomm-fingerprint`'s
//! `cycle_edge_errors` example prints for FVC2002 B). With `--by-size`,
//! the impostor comparisons by the smaller template's minutiae count: the
//! share of each class over the pooled size-referred thresholds, i.e.
//! whether the referral leaves each size's impostor tail where the pooled
//! one is (a class above the asked FMR counts more than the fusion
//! expects).
//!
//! ```sh
//! cargo run --release -p scomm-ident --example synthetic_tail -- [SUBJECTS [PER]] [--levels] [--by-size]
//! ```

use rayon::prelude::*;
use scomm_fingerprint::matcher::{Matcher, PreparedTemplate};
use scomm_ident::{eval, fusion, FingerPosition};

const SEED: u64 = 7;
const LEVELS: usize = 32;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let levels = args.iter().any(|a| a == "--levels");
    let by_size = args.iter().any(|a| a == "--by-size");
    let numbers: Vec<u64> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(|a| a.parse().expect("SUBJECTS and PER are whole numbers"))
        .collect();
    let subjects = numbers.first().copied().unwrap_or(10_000).max(2) as usize;
    let per = (numbers.get(1).copied().unwrap_or(100) as usize).min(subjects - 1);
    let position = FingerPosition::new(2).expect("right index");
    let capture = |s: usize, encounter: u64| {
        eval::synthetic_probe(SEED, s as u64, encounter, &[position])
            .remove(0)
            .1
    };
    let enrolled: Vec<PreparedTemplate> = (0..subjects)
        .into_par_iter()
        .map(|s| PreparedTemplate::candidate(&capture(s, 0)))
        .collect();
    let probes: Vec<Matcher> = (0..subjects)
        .into_par_iter()
        .map(|s| Matcher::new(&capture(s, 1)))
        .collect();
    // The k-th stranger of probe s: a stride coprime to typical sizes.
    let stranger = |s: usize, k: usize| (s + 1 + (k * 7919) % (subjects - 1)) % subjects;
    // (matcher score, size-referred score) of probe s against enrolled t.
    let scores = |s: usize, t: usize| {
        let score = probes[s].compare(&enrolled[t]);
        let (np, ne) = (probes[s].probe().minutiae.len(), enrolled[t].minutiae.len());
        (score, fusion::size_referred_score(score, np, ne))
    };
    let genuine: Vec<(f32, f32)> = (0..subjects)
        .into_par_iter()
        .map(|s| scores(s, s))
        .collect();
    let impostor: Vec<(f32, f32)> = (0..subjects)
        .into_par_iter()
        .flat_map_iter(|s| (0..per).map(move |k| (s, stranger(s, k))))
        .map(|(s, t)| scores(s, t))
        .collect();
    println!(
        "{} genuine, {} impostor comparisons (synthetic right index fingers, seed {SEED})",
        genuine.len(),
        impostor.len()
    );
    let sorted = |v: &[(f32, f32)], referred: bool| {
        let mut out: Vec<f32> = v
            .iter()
            .map(|&(s, r)| if referred { r } else { s })
            .collect();
        out.sort_by(f32::total_cmp);
        out
    };
    let (g_raw, g_ref) = (sorted(&genuine, false), sorted(&genuine, true));
    let (mut i_raw, mut i_ref) = (sorted(&impostor, false), sorted(&impostor, true));
    i_raw.reverse();
    i_ref.reverse();
    println!("| FMR | score threshold | FNMR there | size-referred threshold | FNMR there | fusion LLR there |");
    println!("|---|---|---|---|---|---|");
    for fmr in [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7] {
        let k = (fmr * impostor.len() as f64) as usize;
        if k == 0 {
            continue;
        }
        // A comparison matches when its score is above the k-th highest
        // impostor score.
        let fnmr = |g: &[f32], threshold: f32| {
            100.0 * g.partition_point(|&x| x <= threshold) as f64 / g.len() as f64
        };
        let (t_raw, t_ref) = (i_raw[k - 1], i_ref[k - 1]);
        println!(
            "| {fmr:e} | {t_raw:.2} | {:.2} % | {t_ref:.2} | {:.2} % | {:.2} |",
            fnmr(&g_raw, t_raw),
            fnmr(&g_ref, t_ref),
            fusion::model().llr(t_ref)
        );
    }
    if by_size {
        const CLASSES: [(usize, usize); 8] = [
            (0, 15),
            (15, 20),
            (20, 25),
            (25, 30),
            (30, 40),
            (40, 50),
            (50, 60),
            (60, usize::MAX),
        ];
        let fmrs = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7];
        let thresholds: Vec<f32> = fmrs
            .iter()
            .filter(|&&f| f * impostor.len() as f64 >= 1.0)
            .map(|&f| i_ref[(f * impostor.len() as f64) as usize - 1])
            .collect();
        let smaller: Vec<usize> = (0..subjects)
            .into_par_iter()
            .flat_map_iter(|s| (0..per).map(move |k| (s, stranger(s, k))))
            .map(|(s, t)| {
                probes[s]
                    .probe()
                    .minutiae
                    .len()
                    .min(enrolled[t].minutiae.len())
            })
            .collect();
        println!("| smaller template | impostor comparisons | over the pooled size-referred threshold at FMR 10^-2 / ... / 10^-7 |");
        println!("|---|---|---|");
        for (lo, hi) in CLASSES {
            let class: Vec<f32> = impostor
                .iter()
                .zip(&smaller)
                .filter(|(_, &n)| (lo..hi).contains(&n))
                .map(|(&(_, r), _)| r)
                .collect();
            let shares: Vec<String> = thresholds
                .iter()
                .map(|&t| {
                    let over = class.iter().filter(|&&r| r > t).count();
                    format!("{:.1e} ({over})", over as f64 / class.len().max(1) as f64)
                })
                .collect();
            let name = match hi {
                usize::MAX => format!("{lo}+"),
                _ => format!("{lo}-{}", hi - 1),
            };
            println!("| {name} | {} | {} |", class.len(), shares.join(" / "));
        }
    }
    if levels {
        let histogram = |pairs: Vec<(usize, usize)>| {
            let mut counts = [0u64; LEVELS];
            let found: Vec<Vec<u8>> = pairs
                .par_iter()
                .map(|&(s, t)| probes[s].explain(&enrolled[t]).cycle_levels)
                .collect();
            found
                .iter()
                .flatten()
                .for_each(|&l| counts[l as usize] += 1);
            let total = counts.iter().sum::<u64>().max(1) as f64;
            counts.map(|c| c as f64 / total)
        };
        let g = histogram((0..subjects).map(|s| (s, s)).collect());
        let i = histogram(
            (0..subjects)
                .flat_map(|s| (0..per.min(10)).map(move |k| (s, stranger(s, k))))
                .collect(),
        );
        println!("| level | genuine | impostor | ln(genuine / impostor) |");
        println!("|---|---|---|---|");
        for l in 0..LEVELS {
            let llr = if g[l] > 0.0 && i[l] > 0.0 {
                format!("{:+.2}", (g[l] / i[l]).ln())
            } else {
                "-".into()
            };
            println!("| {l} | {:.4} | {:.4} | {llr} |", g[l], i[l]);
        }
    }
}
