//! Where the search's own threshold (`fusion::threshold_for_fpir`) stands
//! against the best fused LLR of non-mated two-index searches, with every
//! subject scored by the full matcher and with only a 1 % shortlist: the
//! first isolates the score model (FVC2002's impostor tail against the
//! synthetic one), the second adds the filter's choice of who is scored.
//!
//! ```sh
//! cargo run --release -p scomm-ident --example fused_tail [-- SUBJECTS NON_MATED]
//! ```

use scomm_ident::eval::{synthetic_gallery_of, synthetic_probe, threshold_at_fpir, top_score};
use scomm_ident::{fusion, FingerPosition, SearchParams};

fn main() {
    let mut args = std::env::args().skip(1);
    let subjects: u64 = args.next().map_or(1000, |s| s.parse().expect("SUBJECTS"));
    let non_mated: u64 = args.next().map_or(2000, |s| s.parse().expect("NON_MATED"));
    let seed = 1;
    let two = [FingerPosition::RIGHT_INDEX, FingerPosition::LEFT_INDEX];
    let gallery = synthetic_gallery_of(subjects, seed, &two, &|_| {}).expect("gallery");
    let n = subjects as usize;
    println!(
        "{subjects} subjects (two index fingers each), {non_mated} non-mated two-index searches"
    );
    println!("| scored | FPIR | empirical threshold | model threshold | model FPIR at the empirical one | own FPIR |");
    println!("|---|---|---|---|---|---|");
    for shortlist in [n, (n / 100).max(1)] {
        let params = SearchParams {
            shortlist,
            top_k: 1,
            ..Default::default()
        };
        let mut tops = Vec::new();
        let mut own = 0usize;
        for k in 0..non_mated {
            let s = subjects + 1_000_000 + k;
            let r = gallery
                .search(&synthetic_probe(seed, s, 1, &two), &params)
                .expect("search");
            own += (r.decision == scomm_ident::Decision::Ident) as usize;
            tops.push(top_score(&r));
        }
        for fpir in [1e-1, 1e-2, 1e-3] {
            let t = threshold_at_fpir(&tops, fpir);
            let model = fusion::threshold_for_fpir(fpir, n, 2);
            // The FPIR the model claims at the empirical threshold:
            // the lowest target whose model threshold is at or under it.
            let claimed = (0..=600)
                .map(|i| 10f64.powf(-6.0 + i as f64 / 100.0))
                .find(|&f| fusion::threshold_for_fpir(f, n, 2) <= t)
                .unwrap_or(1.0);
            println!(
                "| {shortlist} | {} % | {t:.2} | {model:.2} | {:.2} % | {} |",
                fpir * 100.0,
                claimed * 100.0,
                if fpir == 1e-3 {
                    format!("{:.2} %", own as f64 / non_mated as f64 * 100.0)
                } else {
                    "".into()
                }
            );
        }
    }
}
