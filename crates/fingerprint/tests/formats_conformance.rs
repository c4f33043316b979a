//! Conformance of the image loaders and template formats on the shared data
//! set (../shared/data relative to the repository root). Every test skips,
//! saying so, when the data is absent (a clean clone without shared/).
//!
//! Run: `cargo test --release -p scomm-fingerprint --test formats_conformance`

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
