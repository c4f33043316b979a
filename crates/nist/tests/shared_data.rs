//! Conformance over ../shared/data (beside the repository). Each test skips, with a note on
//! stderr, when that directory is absent (a clean clone without the data).

use std::path::{Path, PathBuf};

use scomm_nist::{wsq, ImageRecord, Transaction};

fn shared(sub: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(sub);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: {} absent", dir.display());
        None
    }
}

fn files_with(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(files_with(&p, keep));
        } else if keep(&p) {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn is_transaction(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("an2" | "an2k" | "eft")
    )
}

#[test]
fn every_transaction_parses_and_writes_back_byte_for_byte() {
    let Some(dir) = shared("ansi-nist") else {
        return;
    };
    let files = files_with(&dir, &is_transaction);
    assert!(
        files.len() >= 40,
        "expected the ANSI/NIST sample files, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        match Transaction::parse(&bytes) {
            Ok(tx) => {
                if tx.to_bytes() != bytes {
                    failures.push(format!("{}: written bytes differ", f.display()));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", f.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn every_image_record_header_reads() {
    let Some(dir) = shared("ansi-nist") else {
        return;
    };
    let mut decoded = 0;
    for f in files_with(&dir, &is_transaction) {
        let bytes = std::fs::read(&f).unwrap();
        let tx = Transaction::parse(&bytes).unwrap();
        for img in ImageRecord::all(&tx).unwrap() {
            // nbis-an2kconvert's test files carry placeholder bytes ("011011...") as image
            // data: only the headers are real there.
            let real_data = !f.to_string_lossy().contains("an2kconvert");
            if real_data && matches!(img.compression, scomm_nist::Compression::Wsq) {
                let grey = img.decode_grey().unwrap_or_else(|e| {
                    panic!("{}: record {}: {e}", f.display(), img.record_index)
                });
                assert_eq!(
                    (grey.width, grey.height),
                    (img.width, img.height),
                    "{}",
                    f.display()
                );
                decoded += 1;
            }
        }
    }
    assert!(
        decoded > 20,
        "only {decoded} WSQ images found in transactions"
    );
}

fn read_png_grey(p: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(p).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let px = match info.color_type {
        png::ColorType::Grayscale => buf,
        png::ColorType::Rgb => buf.chunks(3).map(|c| c[0]).collect(),
        png::ColorType::Rgba => buf.chunks(4).map(|c| c[0]).collect(),
        png::ColorType::GrayscaleAlpha => buf.chunks(2).map(|c| c[0]).collect(),
        other => panic!("{}: unexpected PNG colour type {other:?}", p.display()),
    };
    (info.width, info.height, px)
}

#[test]
fn wsq_decoder_matches_nbis_reference_pixels() {
    let Some(dir) = shared("wsq") else { return };
    let mut compared = 0;
    let mut report = Vec::new();
    for f in files_with(&dir, &|p: &Path| p.extension().is_some_and(|e| e == "wsq")) {
        let png_path = f.with_extension("png");
        let img = wsq::decode(&std::fs::read(&f).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        // sourceafis-java's PNG was made by another decoder: not a bit-exact reference.
        if !png_path.exists() || f.to_string_lossy().contains("sourceafis") {
            continue;
        }
        let (w, h, reference) = read_png_grey(&png_path);
        assert_eq!((img.width, img.height), (w, h), "{}", f.display());
        let diffs = img
            .pixels
            .iter()
            .zip(&reference)
            .filter(|(a, b)| a != b)
            .count();
        let max = img
            .pixels
            .iter()
            .zip(&reference)
            .map(|(&a, &b)| (a as i32 - b as i32).abs())
            .max()
            .unwrap_or(0);
        if diffs > 0 {
            report.push(format!(
                "{}: {diffs} pixels differ, max diff {max}",
                f.display()
            ));
        }
        compared += 1;
    }
    assert!(compared >= 15, "only {compared} reference images compared");
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn type9_minutiae_counts_match_their_count_fields() {
    let Some(dir) = shared("ansi-nist") else {
        return;
    };
    let mut checked = 0;
    for f in files_with(&dir, &is_transaction) {
        let tx = Transaction::parse(&std::fs::read(&f).unwrap()).unwrap();
        for rec in tx.records_of_type(9).filter_map(|r| r.as_tagged()) {
            let Some(set) = scomm_nist::an2k::minutiae::read_minutiae(rec) else {
                continue;
            };
            // NMN is 9.010 in the standard block, 9.015 in the IAFIS block.
            let nmn = match set.block {
                scomm_nist::an2k::minutiae::MinutiaeBlock::Standard => rec.text(10),
                scomm_nist::an2k::minutiae::MinutiaeBlock::Iafis => rec.text(15),
                scomm_nist::an2k::minutiae::MinutiaeBlock::Incits378 => rec.text(136),
            };
            if let Some(n) = nmn.and_then(|n| n.trim().parse::<usize>().ok()) {
                assert_eq!(set.minutiae.len(), n, "{}", f.display());
                checked += 1;
            }
        }
    }
    assert!(checked >= 5, "only {checked} Type-9 records checked");
}

#[test]
fn tenprint_transaction_images_equal_the_nbis_reference_decodings() {
    let (Some(an2k), Some(wsq_dir)) = (shared("ansi-nist"), shared("wsq/jnbis-tenprint")) else {
        return;
    };
    let refs: Vec<_> = files_with(&wsq_dir, &|p: &Path| {
        p.extension().is_some_and(|e| e == "png")
    })
    .iter()
    .map(|p| read_png_grey(p))
    .collect();
    for name in ["type-4-tpcard.an2", "type-14-tpcard-nqm.an2"] {
        let tx = Transaction::parse(
            &std::fs::read(an2k.join("jnbis-nist-reference").join(name)).unwrap(),
        )
        .unwrap();
        let images = ImageRecord::all(&tx).unwrap();
        assert_eq!(images.len(), 14, "{name}");
        for img in images {
            let g = img.decode_grey().unwrap();
            assert!(
                refs.iter()
                    .any(|(w, h, px)| (*w, *h) == (g.width, g.height) && *px == g.pixels),
                "{name} record {}: no identical reference decoding",
                img.record_index
            );
        }
    }
}
