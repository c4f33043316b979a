//! Do the paired minutiae of a comparison's best pairing agree in kind
//! (ending / bifurcation) more often in genuine comparisons than in chance
//! ones, and does that hold for the chance pairings that score highest?
//! The measurement behind scomm-ident's `fusion::KINDS_AGREE_GENUINE` and
//! `KINDS_AGREE_CHANCE`. Pairs are every two impressions of a finger and
//! every cross-finger pair within each folder.
//!
//! ```sh
//! D=../shared/data/fvc2002
//! cargo run --release -p scomm-fingerprint --example type_agreement -- \
//!   $D/DB1_B $D/DB2_B:569 $D/DB3_B $D/DB4_B
//! ```

use rayon::prelude::*;
use scomm_fingerprint::matcher::calibration::threshold_for_fmr;
use scomm_fingerprint::matcher::{Matcher, PreparedTemplate};
use scomm_fingerprint::Template;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let folders: Vec<String> = std::env::args().skip(1).collect();
    // (genuine, score, pairs, agreeing)
    let mut rows: Vec<(bool, f32, usize, usize)> = Vec::new();
    for folder in &folders {
        let (dir, dpi) = scomm_fingerprint::eval::folder_spec(folder);
        let (samples, extracted) = scomm_fingerprint::eval::extract_folder(&dir, dpi)?;
        let templates: Vec<(Template, PreparedTemplate)> = extracted
            .into_iter()
            .map(|t| {
                let p = PreparedTemplate::new(&t);
                (t, p)
            })
            .collect();
        let n = samples.len();
        let part: Vec<_> = (0..n)
            .into_par_iter()
            .flat_map_iter(|i| {
                let m = Matcher::from_prepared(templates[i].1.clone());
                let (samples, templates) = (&samples, &templates);
                (i + 1..n).map(move |j| {
                    let c = m.explain(&templates[j].1);
                    let agree = c
                        .pairs
                        .iter()
                        .filter(|&&(a, b)| {
                            templates[i].0.minutiae[a as usize].kind
                                == templates[j].0.minutiae[b as usize].kind
                        })
                        .count();
                    (
                        samples[i].finger == samples[j].finger,
                        c.score,
                        c.pairs.len(),
                        agree,
                    )
                })
            })
            .collect();
        rows.extend(part);
    }
    type Group = (
        &'static str,
        Box<dyn Fn(&(bool, f32, usize, usize)) -> bool>,
    );
    let groups: [Group; 5] = [
        ("genuine", Box::new(|r| r.0)),
        (
            "genuine, score under FMR 1 %",
            Box::new(|r| r.0 && r.1 < threshold_for_fmr(1e-2)),
        ),
        ("impostor", Box::new(|r| !r.0)),
        (
            "impostor over FMR 1 %",
            Box::new(|r| !r.0 && r.1 >= threshold_for_fmr(1e-2)),
        ),
        (
            "impostor over FMR 0.1 %",
            Box::new(|r| !r.0 && r.1 >= threshold_for_fmr(1e-3)),
        ),
    ];
    for (name, keep) in groups {
        let g: Vec<_> = rows.iter().filter(|r| keep(r)).collect();
        let pairs: usize = g.iter().map(|r| r.2).sum();
        let agree: usize = g.iter().map(|r| r.3).sum();
        println!(
            "{name:<32} comparisons {:>7}  pairs {:>8}  agree {:.3}",
            g.len(),
            pairs,
            agree as f64 / pairs.max(1) as f64
        );
    }
    Ok(())
}
