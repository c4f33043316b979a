//! Every shortlisted candidate's per-finger evidence for synthetic two-index
//! searches, one line per search, for studying decision scores offline
//! (`scripts/shortlist_decisions.py`).
//!
//! `cargo run --release -p scomm-ident --example shortlist_scores --
//! SUBJECTS MATED NON_MATED SHORTLIST [MIN_LLR] > scores.txt`
//!
//! The gallery holds the subjects' two index fingers (seed 1, as `mate_misses`);
//! mated probes are every (SUBJECTS / MATED)-th subject's second capture,
//! non-mated ones come from subjects past the gallery. A line is `M|N
//! SUBJECT SET_ASIDE` and then each candidate, best fused first, as
//! `ID:LLR_RIGHT:LLR_LEFT:MINUTIAE_RIGHT:MINUTIAE_LEFT:QUALITY_RIGHT:QUALITY_LEFT`
//! (LLR the score's evidence alone, `ScoreModel::llr_sized`, without the
//! pairing's kinds, which the search adds (`ScoreModel::llr_of`) and the
//! last fields give; NaN for a finger set aside; minutiae of the candidate's enrolled
//! finger, the fewest over its encounters, 0 when none is enrolled; quality
//! the poorer mean minutia quality of the probe finger and that enrolled
//! finger, 0 when either is missing), then
//! `:PAIRS_RIGHT:PAIRS_LEFT:AGREE_RIGHT:AGREE_LEFT`, the best pairing's
//! paired minutiae and how many of them agree in kind (ending /
//! bifurcation), from `Matcher::explain` on the same templates. With `MIN_LLR`,
//! only candidates with a finger at or above it are written (and a mated
//! search's mate always): a decision on a fused sum cannot pick the others
//! unless a rule lifts a finger's LLR that much.

use std::io::Write;

use scomm_fingerprint::matcher::{Matcher, PreparedTemplate};
use scomm_ident::{eval, fusion};
use scomm_ident::{FingerPosition, SearchParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let min_llr: f64 = match args.len() {
        5 => args.pop().unwrap_or_default().parse()?,
        _ => f64::NEG_INFINITY,
    };
    let args: Vec<u64> = args.iter().map(|a| a.parse()).collect::<Result<_, _>>()?;
    let [subjects, mated, non_mated, shortlist] = args[..] else {
        return Err("usage: shortlist_scores SUBJECTS MATED NON_MATED SHORTLIST [MIN_LLR]".into());
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
            let best = c
                .fingers
                .iter()
                .map(|f| f.llr)
                .fold(f64::NEG_INFINITY, f64::max);
            if best < min_llr && !(is_mated && c.subject == subject) {
                continue;
            }
            write!(out, " {}", c.subject)?;
            let enrolled = gallery.fingers_of(c.subject);
            for p in two {
                // The score's evidence alone (the kinds' is in the last
                // fields), as the search's `llr_sized` reads it.
                let llr = c
                    .fingers
                    .iter()
                    .find(|f| f.position == p)
                    .map_or(f64::NAN, |f| {
                        let sizes = (
                            probe.iter().find(|(q, _)| *q == p),
                            enrolled.iter().find(|(q, _)| *q == p),
                        );
                        match sizes {
                            (Some((_, pt)), Some((_, et))) => fusion::model().llr_sized(
                                f.score,
                                pt.minutiae.len(),
                                et.minutiae.len(),
                            ),
                            _ => f64::NAN,
                        }
                    });
                write!(out, ":{llr:.3}")?;
            }
            for p in two {
                let fewest = enrolled
                    .iter()
                    .filter(|(q, _)| *q == p)
                    .map(|(_, t)| t.minutiae.len())
                    .min()
                    .unwrap_or(0);
                write!(out, ":{fewest}")?;
            }
            for p in two {
                let probe_quality = probe
                    .iter()
                    .find(|(q, _)| *q == p)
                    .map_or(0.0, |(_, t)| mean_quality(t));
                let enrolled_quality = enrolled
                    .iter()
                    .filter(|(q, _)| *q == p)
                    .map(|(_, t)| mean_quality(t))
                    .fold(f32::INFINITY, f32::min);
                let poorer = probe_quality.min(enrolled_quality);
                write!(out, ":{:.1}", if poorer.is_finite() { poorer } else { 0.0 })?;
            }
            let mut pairings = [(0usize, 0usize); 2];
            for (k, p) in two.iter().enumerate() {
                let (Some((_, probe_t)), Some((_, enrolled_t))) = (
                    probe.iter().find(|(q, _)| q == p),
                    enrolled.iter().find(|(q, _)| q == p),
                ) else {
                    continue;
                };
                let c = Matcher::new(probe_t).explain(&PreparedTemplate::new(enrolled_t));
                let agree = c
                    .pairs
                    .iter()
                    .filter(|&&(a, b)| {
                        probe_t.minutiae[a as usize].kind == enrolled_t.minutiae[b as usize].kind
                    })
                    .count();
                pairings[k] = (c.pairs.len(), agree);
            }
            write!(
                out,
                ":{}:{}:{}:{}",
                pairings[0].0, pairings[1].0, pairings[0].1, pairings[1].1
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Mean minutia quality of a template (0 when it has none).
fn mean_quality(t: &scomm_fingerprint::Template) -> f32 {
    if t.minutiae.is_empty() {
        return 0.0;
    }
    t.minutiae.iter().map(|m| m.quality as f32).sum::<f32>() / t.minutiae.len() as f32
}
