//! How far the gallery's triplet centres reach past the cell grid: the
//! 16 x 16 grid of 16-px cells spans ±128 px around the finger's minutiae
//! centroid, and places beyond it are clamped into the border cells
//! (`triplets::cell_of`), so their hits imply a translation off by the
//! excess. Over synthetic index fingers (seed 1, the benchmark's):
//! enrolled fingers' triplet centres (the `MAX_CENTRES` nearest the
//! centroid) beyond the grid, gallery keys in border cells, and probe
//! minutiae beyond ±128 px (probes keep exact places).
//!
//! `cargo run --release -p scomm-ident --example cell_reach -- [SUBJECTS]`
//! (default 2,000).

use scomm_ident::eval;
use scomm_ident::triplets;
use scomm_ident::FingerPosition;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let subjects: u64 = std::env::args().nth(1).map_or(Ok(2_000), |s| s.parse())?;
    let two = [FingerPosition::RIGHT_INDEX, FingerPosition::LEFT_INDEX];
    let (mut fingers, mut centres, mut beyond, mut keys, mut border) = (0, 0, 0, 0, 0);
    let (mut probe_minutiae, mut probe_beyond, mut reach) = (0, 0, 0f32);
    let outside = |v: f32| !(-128.0..128.0).contains(&v);
    for s in 0..subjects {
        for encounter in [0u64, 1] {
            for (_, t) in eval::synthetic_probe(1, s, encounter, &two) {
                let n = t.minutiae.len().max(1) as f32;
                let cx = t.minutiae.iter().map(|m| m.x as f32).sum::<f32>() / n;
                let cy = t.minutiae.iter().map(|m| -(m.y as f32)).sum::<f32>() / n;
                let mut d: Vec<(f32, f32)> = (t.minutiae.iter())
                    .map(|m| (m.x as f32 - cx, -(m.y as f32) - cy))
                    .collect();
                if encounter == 1 {
                    probe_minutiae += d.len();
                    probe_beyond += d.iter().filter(|p| outside(p.0) || outside(p.1)).count();
                    continue;
                }
                fingers += 1;
                d.sort_by(|a, b| (a.0.hypot(a.1)).total_cmp(&b.0.hypot(b.1)));
                d.truncate(triplets::MAX_CENTRES);
                for p in &d {
                    centres += 1;
                    reach = reach.max(p.0.abs().max(p.1.abs()));
                    beyond += usize::from(outside(p.0) || outside(p.1));
                }
                for (_, c) in triplets::gallery_keys(&t) {
                    keys += 1;
                    let (col, row) = (c >> 4, c & 15);
                    border += usize::from(col == 0 || col == 15 || row == 0 || row == 15);
                }
            }
        }
    }
    let pct = |a: usize, b: usize| a as f64 * 100.0 / b.max(1) as f64;
    println!(
        "enrolled fingers {fingers}: triplet centres {centres}, beyond the grid {beyond} ({:.2} %), \
         farthest {reach:.0} px; keys {keys}, in border cells {border} ({:.2} %); \
         probe minutiae beyond ±128 px {probe_beyond} of {probe_minutiae} ({:.2} %)",
        pct(beyond, centres),
        pct(border, keys),
        pct(probe_beyond, probe_minutiae)
    );
    Ok(())
}
