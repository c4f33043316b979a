//! Comparisons per second with a prepared probe, one thread, over the FVC
//! protocol's pairs (genuine and all-pairs impostors, as `scomm eval fvc`
//! times them), best of several rounds; plus an FNV-1a hash of every score's
//! bits, so that a matcher change can be checked to leave scores unchanged.
//!
//! `cargo run --release -p scomm-fingerprint --example match_bench -- \
//!     [--rounds N] [--cache DIR] [--profile fast|accurate] DIR[:DPI]...`
//!
//! With `--cache`, extracted templates are kept there (exact, directions as
//! f32 bits) and reused, so that the comparisons can be profiled alone
//! (`valgrind --tool=callgrind ... --rounds 1` counts little besides them).

use scomm_fingerprint::extract::Profile;
use scomm_fingerprint::matcher::{Matcher, PreparedTemplate};
use scomm_fingerprint::{eval, Minutia, MinutiaKind, Template};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn fnv1a(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// Templates as raw little-endian fields: exact, unlike the native format's
/// 14-bit directions.
fn save(path: &Path, templates: &[Template]) {
    let mut out = Vec::new();
    out.extend_from_slice(&(templates.len() as u32).to_le_bytes());
    for t in templates {
        out.extend_from_slice(&t.width.to_le_bytes());
        out.extend_from_slice(&t.height.to_le_bytes());
        out.extend_from_slice(&(t.minutiae.len() as u32).to_le_bytes());
        for m in &t.minutiae {
            out.extend_from_slice(&m.x.to_le_bytes());
            out.extend_from_slice(&m.y.to_le_bytes());
            out.extend_from_slice(&m.direction.to_bits().to_le_bytes());
            out.push(m.kind as u8);
            out.push(m.quality);
        }
    }
    std::fs::write(path, out).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn load(path: &Path) -> Option<Vec<Template>> {
    let bytes = std::fs::read(path).ok()?;
    let mut at = 0;
    let mut take = |n: usize| {
        let s = &bytes[at..at + n];
        at += n;
        s
    };
    let u16_of = |s: &[u8]| u16::from_le_bytes([s[0], s[1]]);
    let u32_of = |s: &[u8]| u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
    let count = u32_of(take(4));
    let mut templates = Vec::new();
    for _ in 0..count {
        let (width, height) = (u16_of(take(2)), u16_of(take(2)));
        let n = u32_of(take(4));
        let minutiae = (0..n)
            .map(|_| Minutia {
                x: u16_of(take(2)),
                y: u16_of(take(2)),
                direction: f32::from_bits(u32_of(take(4))),
                kind: match take(1)[0] {
                    0 => MinutiaKind::Ending,
                    1 => MinutiaKind::Bifurcation,
                    _ => MinutiaKind::Other,
                },
                quality: take(1)[0],
            })
            .collect();
        templates.push(Template {
            width,
            height,
            minutiae,
            ..Default::default()
        });
    }
    Some(templates)
}

fn templates_of(dir: &Path, dpi: f64, cache: Option<&Path>, profile: Profile) -> Vec<Template> {
    let samples = eval::discover(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    // Fast templates keep the cache names they had before profiles.
    let suffix = match profile {
        Profile::Fast => String::new(),
        other => format!("-{other}"),
    };
    let cached = cache.map(|c| c.join(format!("{name}-{dpi}{suffix}.tpl")));
    if let Some(t) = cached.as_deref().and_then(load) {
        if t.len() == samples.len() {
            return t;
        }
    }
    let templates: Vec<Template> = samples
        .iter()
        .map(|s| {
            scomm_fingerprint::extract::extract_file_with(&s.path, dpi, profile)
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    if let Some(path) = &cached {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        save(path, &templates);
    }
    templates
}

fn main() {
    let mut rounds = 5;
    let mut cache: Option<PathBuf> = None;
    let mut profile = Profile::Fast;
    let mut dirs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rounds" => rounds = args.next().unwrap().parse().unwrap(),
            "--cache" => cache = Some(PathBuf::from(args.next().unwrap())),
            "--profile" => {
                profile = args
                    .next()
                    .unwrap_or_default()
                    .parse()
                    .unwrap_or_else(|e| panic!("{e}"))
            }
            _ => dirs.push(a),
        }
    }
    let mut all = 0xcbf2_9ce4_8422_2325u64;
    for spec in &dirs {
        let (dir, dpi) = match spec.rsplit_once(':') {
            Some((d, p)) if p.parse::<f64>().is_ok() => (PathBuf::from(d), p.parse().unwrap()),
            _ => (PathBuf::from(spec), 500.0),
        };
        let templates = templates_of(&dir, dpi, cache.as_deref(), profile);
        let samples = eval::discover(&dir).unwrap();
        let protocol = eval::protocol(&samples);
        let pairs: Vec<(usize, usize)> = protocol
            .genuine
            .iter()
            .chain(&protocol.impostor_all)
            .copied()
            .collect();
        let prepared: Vec<PreparedTemplate> = templates.iter().map(PreparedTemplate::new).collect();
        let matchers: Vec<Matcher> = prepared
            .iter()
            .cloned()
            .map(Matcher::from_prepared)
            .collect();
        let mut hash = 0xcbf2_9ce4_8422_2325u64;
        let mut times = Vec::new();
        for round in 0..rounds {
            let start = Instant::now();
            for &(i, j) in &pairs {
                let s = matchers[i].compare(&prepared[j]);
                if round == 0 {
                    hash = fnv1a(hash, &s.to_bits().to_le_bytes());
                }
            }
            times.push(start.elapsed().as_secs_f64());
        }
        all = fnv1a(all, &hash.to_le_bytes());
        times.sort_by(f64::total_cmp);
        let minutiae = templates.iter().map(|t| t.minutiae.len()).sum::<usize>() as f64
            / templates.len() as f64;
        println!(
            "{:<8} {:>5} pairs  {:>5.1} minutiae  best {:>7.0} cmp/s  median {:>7.0} cmp/s  scores {hash:016x}",
            dir.file_name().unwrap().to_string_lossy(),
            pairs.len(),
            minutiae,
            pairs.len() as f64 / times[0],
            pairs.len() as f64 / times[times.len() / 2],
        );
    }
    println!("all scores {all:016x}");
}
