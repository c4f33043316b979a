//! What the second stage of a search pays per shortlisted finger: the
//! candidate-side preparation of its template (neighbour edges, their
//! shape buckets) against the comparison itself, on synthetic fingers.
//!
//! `cargo run --release -p scomm-ident --example prepare_cost [FINGERS]`
//!
//! Times are this thread's CPU time (its CPU-time clock, so other jobs on
//! the machine do not inflate them; /proc's schedstat, used before, moves in
//! scheduler ticks of 4 ms, 3-6 % of a pass), the best of 15 passes over all
//! fingers. The checksum covers every comparison's score bits:
//! a change meant to be only faster must leave it as it was.

use std::hint::black_box;

use scomm_fingerprint::matcher::{Matcher, PreparedTemplate};
use scomm_ident::eval;
use scomm_ident::FingerPosition;

const PASSES: usize = 15;

/// Best of [`PASSES`] runs of `pass`, microseconds per finger.
fn best_us(fingers: usize, mut pass: impl FnMut()) -> f64 {
    (0..PASSES)
        .map(|_| {
            let start = cpu_time::ThreadTime::now();
            pass();
            start.elapsed().as_secs_f64() * 1e6 / fingers as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let fingers: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("FINGERS is a number"))
        .unwrap_or(4_000);
    let position = [FingerPosition::RIGHT_INDEX];
    let templates: Vec<_> = (0..fingers)
        .map(|s| eval::synthetic_probe(7, s, 0, &position).remove(0).1)
        .collect();
    let probe = eval::synthetic_probe(7, u64::MAX / 2, 1, &position)
        .remove(0)
        .1;
    let matcher = Matcher::new(&probe);
    let n = templates.len();
    let minutiae = templates.iter().map(|t| t.minutiae.len()).sum::<usize>() as f64 / n as f64;
    let prepare = best_us(n, || {
        for t in &templates {
            black_box(PreparedTemplate::candidate(black_box(t)));
        }
    });
    let prepared: Vec<_> = templates.iter().map(PreparedTemplate::candidate).collect();
    let edges = prepared.iter().map(|p| p.canonical.len()).sum::<usize>() as f64 / n as f64;
    let compare = best_us(n, || {
        for c in &prepared {
            black_box(matcher.compare(black_box(c)));
        }
    });
    let checksum = prepared.iter().fold(0u64, |h, c| {
        h.wrapping_mul(31)
            .wrapping_add(matcher.compare(c).to_bits() as u64)
    });
    println!(
        "{n} synthetic fingers, {minutiae:.1} minutiae and {edges:.1} edges each: \
         prepare {prepare:.1} us, compare {compare:.1} us per finger (CPU, best of {PASSES}); \
         score checksum {checksum:016x}"
    );
}
