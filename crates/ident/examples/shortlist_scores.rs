//! Every shortlisted candidate's per-finger LLRs for synthetic two-index
//! searches, one line per search, for studying decision scores offline
//! (`scripts/shortlist_decisions.py`).
//!
//! `cargo run --release -p scomm-ident --example shortlist_scores --
//! SUBJECTS MATED NON_MATED SHORTLIST > scores.txt`
//!
//! The gallery holds the subjects' two index fingers (seed 1, as `mate_misses`);
//! mated probes are every (SUBJECTS / MATED)-th subject's second capture,
//! non-mated ones come from subjects past the gallery. A line is `M|N
//! SUBJECT SET_ASIDE` and then each candidate, best fused first, as
//! `ID:LLR_RIGHT:LLR_LEFT` (NaN for a finger set aside).

use std::io::Write;

use scomm_ident::eval;
use scomm_ident::{FingerPosition, SearchParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let [subjects, mated, non_mated, shortlist] = args[..] else {
        return Err("usage: shortlist_scores SUBJECTS MATED NON_MATED SHORTLIST".into());
    };
    let two = [FingerPosition::RIGHT_INDEX, FingerPosition::LEFT_INDEX];
    let gallery = eval::synthetic_gallery_of(subjects, 1, &two, &|_| ())?;
    let shortlist = shortlist as usize;
    let params = SearchParams {
        shortlist,
        top_k: shortlist,
        ..Default::default()
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let step = (subjects / mated.max(1)).max(1);
    let searches = (0..mated)
        .map(|k| (true, k * step))
        .chain((0..non_mated).map(|k| (false, subjects + 1_000_000 + k)));
    for (is_mated, subject) in searches {
        let probe = eval::synthetic_probe(1, subject, 1, &two);
        let r = gallery.search(&probe, &params)?;
        let kind = if is_mated { "M" } else { "N" };
        write!(out, "{kind} {subject} {}", r.set_aside.len())?;
        for c in &r.candidates {
            write!(out, " {}", c.subject)?;
            for p in two {
                let llr = c
                    .fingers
                    .iter()
                    .find(|f| f.position == p)
                    .map_or(f64::NAN, |f| f.llr);
                write!(out, ":{llr:.3}")?;
            }
        }
        writeln!(out)?;
    }
    Ok(())
}
