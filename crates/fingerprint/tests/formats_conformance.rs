//! Conformance of the image loaders and template formats on the shared data
//! set (../shared/data relative to the repository root). Every test skips,
//! saying so, when the data is absent (a clean clone without shared/).
//!
//! Run: `cargo test --release -p scomm-fingerprint --test formats_conformance`

use scomm_fingerprint::formats::{self, FmrStandard, TemplateFormat};
use scomm_fingerprint::image_io;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn shared_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {} is absent", dir.display());
        None
    }
}

fn files_with_extension(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    files
}

#[test]
fn neurotech_palette_lzw_tiffs_load_with_their_size() {
    let Some(data) = shared_data() else { return };
    let files = files_with_extension(&data.join("neurotech-crossmatch"), "tif");
    assert_eq!(files.len(), 408, "expected the 408 CrossMatch images");
    let start = Instant::now();
    for file in &files {
        let image =
            image_io::load_image(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(
            (image.width, image.height),
            (504, 480),
            "{}",
            file.display()
        );
        // A fingerprint, not a blank page: both ridges and background present.
        let dark = image.pixels.iter().filter(|&&p| p < 100).count();
        let light = image.pixels.iter().filter(|&&p| p > 180).count();
        assert!(
            dark > 1000 && light > 1000,
            "{}: {dark} dark, {light} light pixels",
            file.display()
        );
    }
    eprintln!(
        "neurotech: {} palette LZW TIFFs in {:.1} ms ({:.2} ms each)",
        files.len(),
        start.elapsed().as_secs_f64() * 1e3,
        start.elapsed().as_secs_f64() * 1e3 / files.len() as f64
    );
}

#[test]
fn fvc2002_tiffs_load_with_their_size() {
    let Some(data) = shared_data() else { return };
    let expected = [
        ("DB1_B", 388, 374),
        ("DB2_B", 296, 560),
        ("DB3_B", 300, 300),
        ("DB4_B", 288, 384),
    ];
    for (db, width, height) in expected {
        let files = files_with_extension(&data.join("fvc2002").join(db), "tif");
        assert_eq!(files.len(), 80, "{db}: expected 80 images");
        let start = Instant::now();
        for file in &files {
            let image =
                image_io::load_image(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert_eq!(
                (image.width, image.height),
                (width, height),
                "{}",
                file.display()
            );
        }
        eprintln!(
            "{db}: 80 TIFFs in {:.1} ms",
            start.elapsed().as_secs_f64() * 1e3
        );
    }
}

#[test]
fn fvc2002_iso_templates_load() {
    let Some(data) = shared_data() else { return };
    let mut total = 0;
    let mut minutiae = 0;
    let start = Instant::now();
    for db in ["DB1_B", "DB2_B", "DB3_B", "DB4_B"] {
        let files = files_with_extension(&data.join("iso19794-2/fvc2002").join(db), "iso");
        assert_eq!(files.len(), 80, "{db}: expected 80 templates");
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            assert_eq!(
                formats::detect_template_format(&bytes),
                Some(TemplateFormat::Iso19794_2_2005),
                "{}",
                file.display()
            );
            let template =
                formats::load_template(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert!(
                !template.minutiae.is_empty(),
                "{}: no minutiae",
                file.display()
            );
            for m in &template.minutiae {
                assert!(
                    m.x < template.width && m.y < template.height,
                    "{}: {m:?}",
                    file.display()
                );
            }
            let record = formats::parse_fmr(&bytes).unwrap();
            assert!(
                record.warnings.is_empty(),
                "{}: {:?}",
                file.display(),
                record.warnings
            );
            assert_eq!(
                record.to_bytes().unwrap(),
                bytes,
                "{}: written back differently",
                file.display()
            );
            // Export from the engine's template reads back as the same template.
            let again =
                formats::encode_template(&template, TemplateFormat::Iso19794_2_2005).unwrap();
            let reread = formats::decode_template(&again).unwrap();
            assert_eq!(reread, template, "{}", file.display());
            total += 1;
            minutiae += template.minutiae.len();
        }
    }
    eprintln!(
        "fvc2002 ISO: {total} templates, {minutiae} minutiae, loaded and round-tripped in {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
}

#[test]
fn invalid_iso_templates_are_rejected_naming_the_defect() {
    let Some(data) = shared_data() else { return };
    let dir = data.join("iso19794-2/invalid");
    let files = files_with_extension(&dir, "iso");
    assert!(!files.is_empty(), "no files in {}", dir.display());
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let error = formats::decode_template(&bytes)
            .map(|t| {
                panic!(
                    "{} was accepted: {} minutiae",
                    file.display(),
                    t.minutiae.len()
                )
            })
            .unwrap_err()
            .to_string();
        eprintln!("{}: {error}", file.file_name().unwrap().to_string_lossy());
        // These are truncations: the error must give both lengths.
        let expected = format!("but file has {} bytes", bytes.len());
        assert!(
            error.contains("record length") && error.contains(&expected),
            "{}: {error}",
            file.display()
        );
    }
}

#[test]
fn libbiomeval_records_load_and_agree() {
    let Some(data) = shared_data() else { return };
    let dir = data.join("ansi-nist/libbiomeval");
    let read = |name: &str| {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        formats::parse_fmr(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let ansi2004 = read("fmr.ansi2004");
    let iso2005 = read("fmr.iso2005");
    let ansi2009 = read("fmr.ansi2007");
    assert_eq!(ansi2004.standard, FmrStandard::Ansi378_2004);
    assert_eq!(iso2005.standard, FmrStandard::Iso19794_2_2005);
    assert_eq!(ansi2009.standard, FmrStandard::Ansi378_2009);
    assert_eq!(ansi2004.views.len(), 3);
    assert_eq!(ansi2004.cbeff_product_id, 0x0042_0011);
    assert_eq!(ansi2004.views[0].finger_position, 7);
    assert_eq!(ansi2004.views[0].minutiae.len(), 27);
    assert!(ansi2004.views.iter().any(|v| !v.extended_data.is_empty()));
    // The same first finger in three encodings: same positions, and angles
    // equal within the coarser quantisation (ANSI 2 degrees).
    let a = ansi2004.views[0].to_template();
    for other in [&iso2005, &ansi2009] {
        let b = other.views[0].to_template();
        assert_eq!(a.minutiae.len(), b.minutiae.len(), "{:?}", other.standard);
        for (ma, mb) in a.minutiae.iter().zip(&b.minutiae) {
            assert_eq!(
                (ma.x, ma.y, ma.kind),
                (mb.x, mb.y, mb.kind),
                "{:?}",
                other.standard
            );
            let d = (ma.direction - mb.direction).rem_euclid(std::f32::consts::TAU);
            let d = d.min(std::f32::consts::TAU - d);
            assert!(
                d <= 1.5f32.to_radians(),
                "{:?}: {} vs {}",
                other.standard,
                ma.direction,
                mb.direction
            );
        }
    }
    // NIST's samples carry malformed core/delta blocks: tolerated, named.
    for record in [&ansi2004, &iso2005, &ansi2009] {
        eprintln!(
            "{:?}: {} views, warnings {:?}",
            record.standard,
            record.views.len(),
            record.warnings
        );
    }
    assert!(iso2005
        .warnings
        .iter()
        .any(|w| w.contains("extended data length 42 but only 41 bytes remain")));
    // Writing a record back gives the original bytes (where nothing was cut).
    for name in ["fmr.ansi2004", "fmr.ansi2007"] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        assert_eq!(read(name).to_bytes().unwrap(), bytes, "{name}");
    }
}

#[test]
fn sourceafis_iso_templates_load() {
    let Some(data) = shared_data() else { return };
    for name in ["iso-probe.dat", "iso-matching.dat", "iso-nonmatching.dat"] {
        let path = data.join("sourceafis-testimages").join(name);
        let template = formats::load_template(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            template.minutiae.len() >= 20,
            "{name}: {} minutiae",
            template.minutiae.len()
        );
        // The templates describe the 388x374 PNGs beside them.
        let image = image_io::load_image(
            path.with_file_name(name.replace("iso-", "").replace(".dat", ".png")),
        )
        .unwrap();
        assert_eq!((image.width, image.height), (388, 374));
        assert!(
            template.width <= 388 && template.height <= 374 || template.width > 0,
            "{name}"
        );
    }
}

#[test]
fn wsq_images_load_as_nbis_decodes_them() {
    let Some(data) = shared_data() else { return };
    let dir = data.join("wsq/jnbis-tenprint");
    let files = files_with_extension(&dir, "wsq");
    assert_eq!(files.len(), 14, "the tenprint card's 14 WSQ images");
    for file in &files {
        let wsq = image_io::load_image(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let reference = image_io::load_image(file.with_extension("png")).unwrap();
        assert_eq!(
            wsq,
            reference,
            "{} differs from the NBIS decoding",
            file.display()
        );
    }
}
