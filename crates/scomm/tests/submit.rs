//! `scomm submit`: an EBTS criminal tenprint submission built here enters a
//! simulated run; the SRE that comes back reads as an EBTS response.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use scomm_nist::ebts::{FingerImage, SearchResponse};
use scomm_nist::{wsq, GreyImage, Transaction};

fn scomm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scomm"))
}

fn ridges(w: u32, h: u32, seed: u32) -> GreyImage {
    let pixels = (0..h)
        .flat_map(|y| {
            (0..w).map(move |x| {
                let r = ((x as f32 - w as f32 / 2.0).powi(2) + (y as f32 - h as f32 / 2.0).powi(2))
                    .sqrt();
                (128.0 + 90.0 * (r / (2.5 + seed as f32 * 0.05)).sin()) as u8
            })
        })
        .collect();
    GreyImage {
        width: w,
        height: h,
        ppi: Some(500),
        pixels,
    }
}

fn car(ori: &str, tcn: &str, ncic: &str) -> Vec<u8> {
    let images = (1..=14u8)
        .map(|p| {
            FingerImage::from_grey(
                p,
                if p <= 10 { 1 } else { 0 },
                &ridges(96, 96, p as u32),
                wsq::DEFAULT_BITRATE,
            )
            .unwrap()
        })
        .collect();
    common::criminal_tenprint(ori, tcn, ncic, images)
}

fn run_db(dir: &Path) -> PathBuf {
    let db = dir.join("run.db");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/small.toml");
    let st = scomm()
        .args(["simulate", "--quiet", "--scenario"])
        .arg(scenario)
        .arg("--db")
        .arg(&db)
        .status()
        .unwrap();
    assert!(st.success());
    db
}

#[test]
fn submission_enters_the_flow_and_an_sre_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = run_db(dir.path());
    let file = dir.path().join("car.an2");
    std::fs::write(&file, car("TX2270000", "TX2270000-20101101-0001", "5404")).unwrap();
    let sre_path = dir.path().join("sre.an2");
    let out = scomm()
        .arg("submit")
        .arg(&file)
        .arg("--db")
        .arg(&db)
        .arg("--sre")
        .arg(&sre_path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("entered as booking") && stdout.contains("non-ident, enrolled as FBI"),
        "{stdout}"
    );
    assert!(
        stderr.contains("NCIC 5404 counted as 5499") && stderr.contains("RESISTING ARREST"),
        "{stderr}"
    );
    let sre =
        SearchResponse::read(&Transaction::parse(&std::fs::read(&sre_path).unwrap()).unwrap())
            .unwrap();
    assert_eq!(
        sre.header.control_reference.as_deref(),
        Some("TX2270000-20101101-0001")
    );
    assert!(!sre.identified && sre.fbi_number.as_deref().unwrap_or("").starts_with("FBI"));
    assert!(scomm_nist::ebts::validate(
        &Transaction::parse(&std::fs::read(&sre_path).unwrap()).unwrap()
    )
    .is_empty());

    // The same TCN again changes nothing.
    let again = scomm()
        .arg("submit")
        .arg(&file)
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("submitted before"));

    // The booking's trail is there.
    let booking = stdout
        .split("entered as booking ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let trail = scomm()
        .args(["trail", "--booking", &booking, "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let trail = String::from_utf8_lossy(&trail.stdout);
    assert!(
        trail.contains("FBI -> IDENT ident_search") && trail.contains("court_filing"),
        "{trail}"
    );
}

#[test]
fn bad_submissions_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db = run_db(dir.path());
    let cases: [(Vec<u8>, &str); 4] = [
        (
            car("NY0300000", "NY-1", "5404"),
            "ORI NY0300000 is not a jurisdiction of this run",
        ),
        (
            car("TX2270000", "TX-2", "8888"),
            "NCIC code 8888 is not in the offence catalogue",
        ),
        (
            b"1.001:0000".to_vec(),
            "not a readable ANSI/NIST-ITL transaction",
        ),
        (
            car("TX2270000", "TX-3", "5404")[..400].to_vec(),
            "ANSI/NIST",
        ),
    ];
    for (i, (bytes, want)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("bad{i}.an2"));
        std::fs::write(&file, bytes).unwrap();
        let out = scomm()
            .arg("submit")
            .arg(&file)
            .arg("--db")
            .arg(&db)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(want),
            "case {i}: want {want:?} in {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}
