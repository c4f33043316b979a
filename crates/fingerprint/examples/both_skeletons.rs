//! Minutiae from the valley skeleton as well as the ridge skeleton: the
//! FVC protocol (all-pairs impostors) on FVC2002 B and CrossMatch-style
//! folders, with templates built three ways from the same extraction
//! stages, and the comparison speed each gives.
//!
//! - `ridge`: the extractor's template (ridge skeleton only);
//! - `ridge-mean-direction`: the same minutiae, each one the valley
//!   skeleton repeats (a twin, below) with the mean of both directions;
//! - `both`: plus the valley skeleton's minutiae, a valley ending as a
//!   ridge bifurcation and a valley bifurcation as a ridge ending (the dual
//!   of each: a ridge ends where the two valleys beside it meet, and forks
//!   where a valley ends). Every real minutia then appears about twice, the
//!   two 4 px apart along its direction;
//! - `twins`: as `both`, but a minutia the other skeleton does not repeat
//!   (same kind within 12 px and 45°) counts half in quality: the
//!   extractor's accurate profile (`extract::valley`), at most 120 kept;
//! - `readings`: one minutia per twin pair, the ridge skeleton's, carrying
//!   the valley skeleton's as a second reading
//!   (`PreparedTemplate::with_second_readings`: an edge for every
//!   combination of its ends' readings), singles at half quality.
//!
//! `--max N` keeps at most N minutiae per template (best quality first).
//! `both` and `twins` answer wet-against-dry pairs that the ridge skeleton
//! alone does not (DB2's finger 109), but they double the minutiae and cost
//! the matcher about five times its time per comparison (BENCHMARKS.md,
//! "Ridge and valley skeletons together"); `twins` became the accurate
//! profile ("Two profiles"), the other variants stay here as the record of
//! what was tried.
//!
//! ```sh
//! cargo run --release -p scomm-fingerprint --example both_skeletons -- \
//!     [--variant ridge|ridge-mean-direction|both|twins|readings] [--max N] DIR:DPI...
//! ```

use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;
use scomm_fingerprint::eval::{discover, protocol, rates};
use scomm_fingerprint::extract::minutiae::{self, Candidate, MAX_MINUTIAE, MIN_QUALITY};
use scomm_fingerprint::extract::{skeleton, Stages};
use scomm_fingerprint::matcher::{Matcher, PreparedTemplate};
use scomm_fingerprint::template::{Minutia, Template};

use scomm_fingerprint::extract::valley::{self, SINGLE_QUALITY};

#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Ridge,
    /// The ridge skeleton's minutiae, a twin's direction the mean of both
    /// skeletons' (two measurements of one direction).
    RidgeMeanDirection,
    Both,
    Twins,
    /// One minutia per twin pair, carrying the valley skeleton's version as
    /// a second reading; a single at half quality.
    Readings,
}

fn ridge_candidates(stages: &Stages) -> Vec<Candidate> {
    let mut c = minutiae::candidates(&stages.graph, &stages.field);
    minutiae::remove_gaps(&mut c);
    c
}

fn valley_candidates(stages: &Stages) -> Vec<Candidate> {
    let valleys = valley::valleys(&stages.binary, &stages.mask);
    valley::valley_candidates(&skeleton::thin(&valleys), &stages.field)
}

fn twins(a: &[Candidate], b: &[Candidate]) -> Vec<(usize, usize)> {
    valley::twins(a, b)
}

/// Quality, border and count as the extractor's last stage gives them.
fn finish(stages: &Stages, c: &[Candidate]) -> Vec<Minutia> {
    minutiae::finish(c, &stages.field, &stages.border, &stages.clarity)
}

/// Twins among finished minutiae, as `twins` pairs candidates.
fn twins_finished(a: &[Minutia], b: &[Minutia]) -> Vec<(usize, usize)> {
    let c = |m: &[Minutia]| -> Vec<Candidate> {
        m.iter()
            .map(|m| Candidate {
                x: m.x as f32,
                y: m.y as f32,
                angle: m.direction,
                kind: m.kind,
                node: 0,
            })
            .collect()
    };
    twins(&c(a), &c(b))
}

/// A template of one minutia per twin pair, with the second readings.
fn readings_template(stages: &Stages, max: usize) -> (Template, Vec<Option<Minutia>>) {
    let fr = finish(stages, &ridge_candidates(stages));
    let fv = finish(stages, &valley_candidates(stages));
    let pairs = twins_finished(&fr, &fv);
    let (mut second, mut in_v) = (vec![None; fr.len()], vec![false; fv.len()]);
    for &(i, j) in &pairs {
        second[i] = Some(fv[j]);
        in_v[j] = true;
    }
    let half = |mut m: Minutia| {
        let q = (m.quality as f32 * SINGLE_QUALITY).round();
        m.quality = q as u8;
        (q >= MIN_QUALITY).then_some(m)
    };
    let mut nodes: Vec<(Minutia, Option<Minutia>)> = Vec::new();
    for (m, s) in fr.into_iter().zip(second) {
        match s {
            Some(_) => nodes.push((m, s)),
            None => nodes.extend(half(m).map(|m| (m, None))),
        }
    }
    for (m, _) in fv.into_iter().zip(in_v).filter(|(_, t)| !t) {
        nodes.extend(half(m).map(|m| (m, None)));
    }
    nodes.sort_by_key(|(m, _)| std::cmp::Reverse(m.quality));
    nodes.truncate(max);
    let (minutiae, second) = nodes.into_iter().unzip();
    (
        Template {
            width: stages.template.width,
            height: stages.template.height,
            minutiae,
            ..Default::default()
        },
        second,
    )
}

fn template(stages: &Stages, variant: Variant, max: usize) -> Template {
    let mut found = match variant {
        Variant::Readings => unreachable!("readings_template"),
        Variant::Ridge => stages.template.minutiae.clone(),
        Variant::Both => {
            let mut c = ridge_candidates(stages);
            c.extend(valley_candidates(stages));
            finish(stages, &c)
        }
        Variant::RidgeMeanDirection => {
            let (mut r, v) = (ridge_candidates(stages), valley_candidates(stages));
            for (i, j) in twins(&r, &v) {
                let (a, b) = (r[i].angle, v[j].angle);
                r[i].angle = (a.sin() + b.sin()).atan2(a.cos() + b.cos());
            }
            finish(stages, &r)
        }
        // The extractor's accurate profile (at most MAX_MINUTIAE).
        Variant::Twins => {
            valley::both_readings(&ridge_candidates(stages), &valley_candidates(stages), |c| {
                finish(stages, c)
            })
        }
    };
    found.sort_by_key(|m| std::cmp::Reverse(m.quality));
    found.truncate(max);
    Template {
        width: stages.template.width,
        height: stages.template.height,
        minutiae: found,
        ..Default::default()
    }
}

fn main() {
    let mut variant = Variant::Twins;
    let mut max = 2 * MAX_MINUTIAE;
    let mut dirs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--variant" => {
                variant = match args.next().as_deref() {
                    Some("ridge") => Variant::Ridge,
                    Some("ridge-mean-direction") => Variant::RidgeMeanDirection,
                    Some("both") => Variant::Both,
                    Some("twins") => Variant::Twins,
                    Some("readings") => Variant::Readings,
                    other => {
                        panic!("--variant ridge|ridge-mean-direction|both|twins|readings, not {other:?}")
                    }
                }
            }
            "--max" => max = args.next().and_then(|v| v.parse().ok()).expect("--max N"),
            _ => dirs.push(a),
        }
    }
    println!("| folder | EER % | FMR1000 % | ZeroFMR % | minutiae | cmp/s (one thread) |");
    println!("|---|---|---|---|---|---|");
    let mut eers = Vec::new();
    for spec in dirs {
        let (dir, dpi) = match spec.rsplit_once(':') {
            Some((d, p)) => (d.to_string(), p.parse::<f64>().expect("DIR:DPI")),
            None => (spec.clone(), 500.0),
        };
        let samples = discover(Path::new(&dir)).expect("a folder of FVC-style images");
        let built: Vec<(Template, Vec<Option<Minutia>>)> = samples
            .par_iter()
            .map(|s| {
                let stages = scomm_fingerprint::extract::extract_stages_file(&s.path, dpi)
                    .unwrap_or_else(|e| panic!("{e}"));
                if variant == Variant::Readings {
                    readings_template(&stages, max)
                } else {
                    (template(&stages, variant, max), Vec::new())
                }
            })
            .collect();
        let (templates, seconds): (Vec<Template>, Vec<Vec<Option<Minutia>>>) =
            built.into_iter().unzip();
        let prepared: Vec<PreparedTemplate> = templates
            .iter()
            .zip(&seconds)
            .map(|(t, s)| PreparedTemplate::with_second_readings(t, s))
            .collect();
        let p = protocol(&samples);
        // One thread, each probe prepared once: the comparison rate.
        let start = Instant::now();
        let mut scores = std::collections::HashMap::new();
        for (i, t) in prepared.iter().enumerate() {
            let matcher = Matcher::from_prepared(t.clone());
            for (j, c) in prepared.iter().enumerate().skip(i + 1) {
                scores.insert((i, j), matcher.compare(c));
            }
        }
        let rate = scores.len() as f64 / start.elapsed().as_secs_f64();
        let genuine: Vec<f32> = p.genuine.iter().map(|k| scores[k]).collect();
        let impostor: Vec<f32> = p.impostor_all.iter().map(|k| scores[k]).collect();
        let r = rates(&genuine, &impostor);
        let mean = templates.iter().map(|t| t.minutiae.len()).sum::<usize>() as f64
            / templates.len().max(1) as f64;
        let name = Path::new(&dir)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or(dir.clone());
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} | {mean:.1} | {rate:.0} |",
            100.0 * r.eer,
            100.0 * r.fmr1000,
            100.0 * r.zero_fmr
        );
        eers.push(r.eer);
    }
    if eers.len() >= 4 {
        println!(
            "mean EER of the first four: {:.3} %",
            100.0 * eers[..4].iter().sum::<f64>() / 4.0
        );
    }
}
