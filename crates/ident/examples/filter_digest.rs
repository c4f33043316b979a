//! A digest of the filter's exact output (every kept subject and the bits
//! of its score) over synthetic probes, to check that a change to the
//! filter's code leaves its results unchanged: run it before and after on
//! the same gallery file and compare the digests.
//!
//! `cargo run --release -p scomm-ident --example filter_digest -- FILE
//! [SUBJECTS] [PROBES]`: builds a synthetic ten-print gallery of SUBJECTS
//! (default 10,000) into FILE unless it exists, then filters PROBES
//! (default 50) mated and as many non-mated probes of two index fingers
//! and of ten fingers, keeping 1,000 subjects each.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::time::Instant;

use scomm_ident::eval;
use scomm_ident::{FingerPosition, Gallery};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let file = args
        .get(1)
        .ok_or("usage: filter_digest FILE [SUBJECTS] [PROBES]")?;
    let subjects: u64 = args.get(2).map_or(Ok(10_000), |s| s.parse())?;
    let probes: u64 = args.get(3).map_or(Ok(50), |s| s.parse())?;
    let seed = 1;
    let path = Path::new(file);
    if !path.exists() {
        eval::synthetic_gallery(subjects, seed, &|_| ())?.save(path)?;
    }
    let start = Instant::now();
    let gallery = Gallery::load(path)?;
    println!("load {:.2} s", start.elapsed().as_secs_f64());
    let enrolled = gallery.subjects() as u64;
    let ten: Vec<FingerPosition> = FingerPosition::all().collect();
    let two = [FingerPosition::RIGHT_INDEX, FingerPosition::LEFT_INDEX];
    for (name, positions) in [("two-index", &two[..]), ("ten-print", &ten[..])] {
        let mut hasher = DefaultHasher::new();
        let mut seconds = 0.0;
        for k in 0..2 * probes {
            // Mated probes of spread subjects, then strangers.
            let subject = if k < probes {
                k * (enrolled / probes.max(1)).max(1)
            } else {
                enrolled + k
            };
            let probe = eval::synthetic_probe(seed, subject, 1, positions);
            let start = Instant::now();
            let kept = gallery.filter_only(&probe, 1_000)?;
            seconds += start.elapsed().as_secs_f64();
            for (id, score) in kept {
                (id, score.to_bits()).hash(&mut hasher);
            }
        }
        println!(
            "{name}: digest {:016x}, filter {:.1} ms per probe",
            hasher.finish(),
            seconds * 1e3 / (2 * probes) as f64
        );
    }
    Ok(())
}
