//! Would features the template does not carry tell a genuine pairing from a
//! chance one? For every FVC2002 B comparison within a database (genuine:
//! all impression pairs of a finger; impostor: every cross-finger pair),
//! the matcher's best pairing is checked against two features of the
//! images it came from:
//!
//! - ridge flow: the orientation field sampled on four rings (radii 20-68
//!   px, 56 points) around each paired minutia, relative to its direction,
//!   compared as the mean cos 2Δθ over points inside both prints;
//! - ridge counts: ridges crossed by the straight segment between two
//!   paired minutiae under 100 px apart, in each binary image; the share of
//!   such segments whose counts agree exactly and to within one.
//!
//! It prints the means per group; with `--lines`, one line per comparison
//! (`DB GENUINE SCORE PAIRS CONFIRMED CYCLE_EDGES OVERLAP_A OVERLAP_B FLOW
//! FLOW_POINTS SEGMENTS RC_EXACT RC_NEAR A B`)
//! for further study.
//!
//! ```sh
//! cargo run --release -p scomm-fingerprint --example pairing_agreement [-- ../shared/data/fvc2002 [--lines]]
//! ```

use std::f32::consts::{PI, TAU};

use rayon::prelude::*;
use scomm_fingerprint::eval::discover;
use scomm_fingerprint::extract::grid::Grid;
use scomm_fingerprint::extract::Stages;
use scomm_fingerprint::matcher::{Comparison, Matcher, PreparedTemplate};
use scomm_fingerprint::template::Minutia;

/// (radius in pixels, points) of the rings the ridge flow is sampled on.
const RINGS: [(f32, usize); 4] = [(20.0, 8), (36.0, 12), (52.0, 16), (68.0, 20)];
/// Segments longer than this are not ridge-counted (distortion and breaks
/// add up along them).
const RIDGE_COUNT_REACH: f32 = 100.0;

/// What one image gives the study.
struct Sample {
    db: &'static str,
    finger: String,
    name: String,
    prepared: PreparedTemplate,
    minutiae: Vec<Minutia>,
    /// Per minutia, per ring point: the ridge angle relative to the
    /// minutia's direction (mod π), or None outside the print.
    flow: Vec<Vec<Option<f32>>>,
    binary: Grid<bool>,
}

/// One comparison's agreement figures.
#[derive(Default)]
struct Agreement {
    flow_sum: f32,
    flow_points: usize,
    segments: usize,
    exact: usize,
    near: usize,
}

fn ridge_flow(stages: &Stages) -> Vec<Vec<Option<f32>>> {
    let mask = &stages.mask;
    let block = scomm_fingerprint::extract::segment::BLOCK as f32;
    stages
        .template
        .minutiae
        .iter()
        .map(|m| {
            // Template directions turn counter-clockwise on screen (y down);
            // the field's angles turn from +x towards +y.
            let base = -m.direction;
            let mut out = Vec::new();
            for &(r, n) in &RINGS {
                for k in 0..n {
                    let a = base + k as f32 * TAU / n as f32;
                    let (x, y) = (m.x as f32 + r * a.cos(), m.y as f32 + r * a.sin());
                    let (bx, by) = ((x / block).floor(), (y / block).floor());
                    let inside = bx >= 0.0
                        && by >= 0.0
                        && (bx as usize) < mask.width
                        && (by as usize) < mask.height
                        && mask.get(bx as usize, by as usize);
                    out.push(
                        inside.then(|| (stages.field.pixel_angle(x, y) - base).rem_euclid(PI)),
                    );
                }
            }
            out
        })
        .collect()
}

/// Ridges crossed on the straight segment between two minutiae (valley to
/// ridge transitions in the binary image), 4 px at each end left out since
/// the minutiae sit on ridges.
fn ridge_count(binary: &Grid<bool>, a: &Minutia, b: &Minutia) -> usize {
    let (dx, dy) = (b.x as f32 - a.x as f32, b.y as f32 - a.y as f32);
    let len = (dx * dx + dy * dy).sqrt();
    let steps = (len.ceil() as usize).max(1);
    let (mut count, mut previous) = (0, true);
    for s in 0..=steps {
        let t = s as f32 / steps as f32;
        if t * len < 4.0 || (1.0 - t) * len < 4.0 {
            continue;
        }
        let (x, y) = (a.x as f32 + t * dx, a.y as f32 + t * dy);
        let ridge = binary.get(
            (x.round().max(0.0) as usize).min(binary.width - 1),
            (y.round().max(0.0) as usize).min(binary.height - 1),
        );
        count += (ridge && !previous) as usize;
        previous = ridge;
    }
    count
}

fn agreement(a: &Sample, b: &Sample, pairs: &[(u16, u16)]) -> Agreement {
    let mut out = Agreement::default();
    for &(pa, pb) in pairs {
        for (x, y) in a.flow[pa as usize].iter().zip(&b.flow[pb as usize]) {
            if let (Some(x), Some(y)) = (x, y) {
                out.flow_sum += (2.0 * (x - y)).cos();
                out.flow_points += 1;
            }
        }
    }
    for (k, &(a1, b1)) in pairs.iter().enumerate() {
        for &(a2, b2) in &pairs[k + 1..] {
            let (m1, m2) = (&a.minutiae[a1 as usize], &a.minutiae[a2 as usize]);
            let d = (m1.x as f32 - m2.x as f32).hypot(m1.y as f32 - m2.y as f32);
            if d > RIDGE_COUNT_REACH {
                continue;
            }
            let ra = ridge_count(&a.binary, m1, m2);
            let rb = ridge_count(
                &b.binary,
                &b.minutiae[b1 as usize],
                &b.minutiae[b2 as usize],
            );
            out.segments += 1;
            out.exact += (ra == rb) as usize;
            out.near += (ra.abs_diff(rb) <= 1) as usize;
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let lines = args.iter().any(|a| a == "--lines");
    let root = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| "../shared/data/fvc2002".to_string());
    let mut found = Vec::new();
    for (db, dpi) in scomm_fingerprint::eval::FVC2002_B {
        let dir = std::path::Path::new(&root).join(db);
        for s in discover(&dir).expect("FVC2002 B folder") {
            found.push((db, s.finger, s.path, dpi));
        }
    }
    let samples: Vec<Sample> = found
        .into_par_iter()
        .map(|(db, finger, path, dpi)| {
            let stages = scomm_fingerprint::extract::extract_stages_file(&path, dpi)
                .unwrap_or_else(|e| panic!("{e}"));
            Sample {
                db,
                finger,
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                prepared: PreparedTemplate::new(&stages.template),
                flow: ridge_flow(&stages),
                minutiae: stages.template.minutiae.clone(),
                binary: stages.binary,
            }
        })
        .collect();
    let pairs: Vec<(usize, usize)> = (0..samples.len())
        .flat_map(|i| (i + 1..samples.len()).map(move |j| (i, j)))
        .filter(|&(i, j)| samples[i].db == samples[j].db)
        .collect();
    let results: Vec<(usize, usize, Comparison, Agreement)> = pairs
        .par_iter()
        .map(|&(i, j)| {
            let c =
                Matcher::from_prepared(samples[i].prepared.clone()).explain(&samples[j].prepared);
            let agreed = agreement(&samples[i], &samples[j], &c.pairs);
            (i, j, c, agreed)
        })
        .collect();
    if lines {
        for (i, j, c, g) in &results {
            let (a, b) = (&samples[*i], &samples[*j]);
            println!(
                "{} {} {:.3} {} {} {} {} {} {:.4} {} {} {} {} {} {}",
                a.db,
                (a.finger == b.finger) as u8,
                c.score,
                c.pairs.len(),
                c.confirmed,
                c.supporting_edges,
                c.overlap.0,
                c.overlap.1,
                g.flow_sum / g.flow_points.max(1) as f32,
                g.flow_points,
                g.segments,
                g.exact,
                g.near,
                a.name,
                b.name
            );
        }
        return;
    }
    println!("| comparisons | n | ridge flow (mean cos 2Δθ) | ridge counts equal | within one |");
    println!("|---|---|---|---|---|");
    type Group = (&'static str, fn(bool, f32) -> bool);
    let groups: [Group; 4] = [
        ("genuine", |g, _| g),
        ("genuine, score < 25", |g, s| g && s < 25.0),
        ("impostor, score >= 5", |g, s| !g && s >= 5.0),
        ("impostor", |g, _| !g),
    ];
    for (label, keep) in groups {
        let chosen: Vec<&Agreement> = results
            .iter()
            .filter(|(i, j, c, g)| {
                keep(samples[*i].finger == samples[*j].finger, c.score) && g.flow_points > 0
            })
            .map(|r| &r.3)
            .collect();
        let n = chosen.len().max(1) as f32;
        let mean = |f: &dyn Fn(&Agreement) -> f32| chosen.iter().map(|g| f(g)).sum::<f32>() / n;
        println!(
            "| {label} | {} | {:.3} | {:.2} | {:.2} |",
            chosen.len(),
            mean(&|g| g.flow_sum / g.flow_points as f32),
            mean(&|g| g.exact as f32 / g.segments.max(1) as f32),
            mean(&|g| g.near as f32 / g.segments.max(1) as f32),
        );
    }
}
