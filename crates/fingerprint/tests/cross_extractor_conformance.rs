//! Templates from another extractor: the ISO/IEC 19794-2 files of FVC2002 B
//! in ../shared/data/iso19794-2 (a commercial extractor's) compared with
//! this engine's extractions of the same DB's images. Each ISO template is
//! the probe against the other 79 images of its DB; at the FMR 1 %
//! threshold of the calibration table, genuine pairs must mostly pass and
//! impostor pairs mostly not, both among the ISO templates themselves and
//! against our templates once the ISO files' stretch to 300 x 400 is
//! undone (see `unstretch`). Skips when the shared data is absent.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use scomm_fingerprint::matcher::{calibration, Matcher, PreparedTemplate};
use scomm_fingerprint::{eval, formats, Minutia, Template};

fn shared_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    dir.join("iso19794-2/fvc2002").is_dir().then_some(dir)
}

/// One FVC2002 B database: its samples, our extractions of its images and
/// the other extractor's ISO templates of them, each read once.
struct Database {
    samples: Vec<eval::Sample>,
    ours: Vec<Template>,
    iso: Vec<Template>,
}

fn database(data: &Path, db: &str, dpi: f64) -> Database {
    let samples = eval::discover(&data.join("fvc2002").join(db)).expect("FVC folder lists");
    assert_eq!(samples.len(), 80, "{db}: expected 80 images");
    let ours = samples
        .par_iter()
        .map(|s| {
            scomm_fingerprint::extract::extract_file(&s.path, dpi).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    let iso = samples
        .iter()
        .map(|s| {
            let name = format!("{}_{}.iso", s.finger, s.impression);
            let path = data.join("iso19794-2/fvc2002").join(db).join(&name);
            formats::load_template(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        })
        .collect();
    Database { samples, ours, iso }
}

/// (genuine pairs passing, genuine pairs, impostor pairs passing, impostor pairs).
fn cross_rates(db: &Database, threshold: f32, side: Side) -> (usize, usize, usize, usize) {
    let candidates: Vec<PreparedTemplate> = match side {
        Side::Iso => db.iso.iter().map(PreparedTemplate::candidate).collect(),
        Side::Ours | Side::IsoUnstretched => {
            db.ours.iter().map(PreparedTemplate::candidate).collect()
        }
    };
    db.samples
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            let probe = match side {
                Side::Iso | Side::Ours => Matcher::new(&db.iso[i]),
                Side::IsoUnstretched => {
                    Matcher::new(&unstretch(&db.iso[i], db.ours[i].width, db.ours[i].height))
                }
            };
            let mut counts = (0, 0, 0, 0);
            for (j, other) in db.samples.iter().enumerate() {
                if j == i {
                    continue;
                }
                let pass = (probe.compare(&candidates[j]) >= threshold) as usize;
                if other.finger == s.finger {
                    counts.0 += pass;
                    counts.1 += 1;
                } else {
                    counts.2 += pass;
                    counts.3 += 1;
                }
            }
            counts
        })
        .reduce(
            || (0, 0, 0, 0),
            |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2, a.3 + b.3),
        )
}

#[test]
fn iso_templates_of_another_extractor_match_our_extractions() {
    let Some(data) = shared_data() else {
        eprintln!("../shared/data/iso19794-2 absent: skipped");
        return;
    };
    let threshold = calibration::threshold_for_fmr(1e-2);
    for (db, dpi) in scomm_fingerprint::eval::FVC2002_B {
        let database = database(&data, db, dpi);
        for side in [Side::Iso, Side::Ours, Side::IsoUnstretched] {
            let (g, gn, i, n) = cross_rates(&database, threshold, side);
            let (genuine, impostor) = (g as f64 / gn as f64, i as f64 / n as f64);
            eprintln!(
                "{db}, ISO probe against {}: at FMR 1 % ({threshold}) genuine pass {:.1} % ({g} of {gn}), impostor {:.2} % ({i} of {n})",
                side.describe(),
                100.0 * genuine,
                100.0 * impostor
            );
            if matches!(side, Side::Ours) {
                continue; // the stretch, not the extractors, decides these
            }
            // Measured 2026-11-29: ISO against ISO 94.8 / 94.3 / 87.0 /
            // 99.1 % genuine, 0.69 / 0.89 / 0.12 / 1.91 % impostor; ISO put
            // back into the image's frame against ours 98.0 / 97.3 / 86.8 /
            // 97.3 % and 0.80 / 0.57 / 0.17 / 2.00 % (DB1-DB4).
            assert!(genuine >= 0.8, "{db} {side:?}: genuine pass {genuine}");
            assert!(impostor <= 0.03, "{db} {side:?}: impostor pass {impostor}");
        }
    }
}

/// What the ISO probes are compared with.
#[derive(Clone, Copy, Debug)]
enum Side {
    /// The other ISO templates: the other extractor alone.
    Iso,
    /// Our templates, the ISO probe as it is (in the stretched frame).
    Ours,
    /// Our templates, the ISO probe put back into the image's frame.
    IsoUnstretched,
}

impl Side {
    fn describe(self) -> &'static str {
        match self {
            Side::Iso => "the other ISO templates",
            Side::Ours => "ours, as stored (stretched to 300 x 400)",
            Side::IsoUnstretched => "ours, probe put back into the image's frame",
        }
    }
}

/// These ISO templates were made from the images stretched to 300 x 400
/// pixels: every file's header says 300 x 400 at 197 px/cm whatever the
/// image's size (DB3's 300 x 300 images, DB1's 388 x 374), and their
/// minutiae fit ours of the same image only after that scale (measured
/// by a translation vote over scales: x 1.32 / y 0.94 for DB1, 0.75 in y
/// for DB3). Put their minutiae back into the image's own frame.
fn unstretch(t: &Template, width: u16, height: u16) -> Template {
    let (sx, sy) = (
        width as f32 / t.width as f32,
        height as f32 / t.height as f32,
    );
    Template {
        width,
        height,
        minutiae: t
            .minutiae
            .iter()
            .map(|m| {
                // A direction turns under an anisotropic scale.
                let (dx, dy) = (m.direction.cos() * sx, m.direction.sin() * sy);
                Minutia {
                    x: (m.x as f32 * sx).round().min(u16::MAX as f32) as u16,
                    y: (m.y as f32 * sy).round().min(u16::MAX as f32) as u16,
                    direction: dy.atan2(dx).rem_euclid(std::f32::consts::TAU)
                        % std::f32::consts::TAU,
                    ..*m
                }
            })
            .collect(),
        ..Default::default()
    }
}
