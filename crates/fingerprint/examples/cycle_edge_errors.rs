//! How tight are the cycle-closing edges of genuine and of chance pairings?
//! For every FVC2002 B comparison within a database (genuine: all
//! impression pairs of a finger; impostor: every cross-finger pair), the
//! shape error level (0-31) of each cycle-closing edge of the matcher's best
//! pairing is counted. It prints the share of edges at each level for
//! genuine pairings, impostor pairings scoring at least 5 and all impostor
//! pairings, and the log-likelihood ratio genuine / impostor (all), the
//! evidence behind the matcher's `TIGHT_LEVEL`.
//!
//! ```sh
//! cargo run --release -p scomm-fingerprint --example cycle_edge_errors [-- ../shared/data/fvc2002]
//! ```

use rayon::prelude::*;
use scomm_fingerprint::eval::discover;
use scomm_fingerprint::matcher::{Matcher, PreparedTemplate};

const LEVELS: usize = 32;

fn main() {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/fvc2002".into());
    // Edges per level: genuine, impostor scoring >= 5, every impostor.
    let mut counts = [[0u64; LEVELS]; 3];
    for (db, dpi) in scomm_fingerprint::eval::FVC2002_B {
        let dir = std::path::Path::new(&root).join(db);
        let samples = discover(&dir).expect("an FVC2002 B folder");
        let prepared: Vec<(String, PreparedTemplate)> = samples
            .par_iter()
            .map(|s| {
                let template = scomm_fingerprint::extract::extract_file(&s.path, dpi)
                    .unwrap_or_else(|e| panic!("{e}"));
                (s.finger.clone(), PreparedTemplate::new(&template))
            })
            .collect();
        let pairs: Vec<(usize, usize)> = (0..prepared.len())
            .flat_map(|i| (i + 1..prepared.len()).map(move |j| (i, j)))
            .collect();
        let found: Vec<(bool, f32, Vec<u8>)> = pairs
            .par_iter()
            .map(|&(i, j)| {
                let c = Matcher::from_prepared(prepared[i].1.clone()).explain(&prepared[j].1);
                (prepared[i].0 == prepared[j].0, c.score, c.cycle_levels)
            })
            .collect();
        for (genuine, score, levels) in found {
            for l in levels {
                let l = l as usize;
                if genuine {
                    counts[0][l] += 1;
                } else {
                    counts[2][l] += 1;
                    if score >= 5.0 {
                        counts[1][l] += 1;
                    }
                }
            }
        }
    }
    let share =
        |g: usize, l: usize| counts[g][l] as f64 / counts[g].iter().sum::<u64>().max(1) as f64;
    println!(
        "cycle-closing edges: genuine {}, impostor scoring >= 5 {}, impostor {}",
        counts[0].iter().sum::<u64>(),
        counts[1].iter().sum::<u64>(),
        counts[2].iter().sum::<u64>()
    );
    println!("| level | genuine | impostor >= 5 | impostor | ln(genuine / impostor) |");
    println!("|---|---|---|---|---|");
    for l in 0..LEVELS {
        let (g, i) = (share(0, l), share(2, l));
        let llr = if g > 0.0 && i > 0.0 {
            format!("{:+.2}", (g / i).ln())
        } else {
            "-".into()
        };
        println!("| {l} | {:.4} | {:.4} | {:.4} | {llr} |", g, share(1, l), i);
    }
}
