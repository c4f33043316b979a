//! `scomm fp extract`, `fp compare` and `eval fvc` with both extraction
//! profiles, and on headerless images, on generated fingers (no shared
//! data needed).

use std::path::Path;
use std::process::{Command, Output};

use scomm_fingerprint::image_io::{save_png, GrayImage};
use scomm_fingerprint::synthetic::Pattern;

fn scomm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scomm"))
        .args(args)
        .output()
        .expect("scomm runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Three different generated fingers: `Pattern::planted` with seeds of
/// either parity (seeds of one parity are one constellation, shifted) and
/// two ridge flows.
const FINGERS: [(u32, f32); 3] = [(0, 0.2), (3, 0.2), (0, 1.4)];

/// Impression `impression` of generated finger `finger`.
fn impression_of(finger: usize, impression: u32) -> Pattern {
    let turn = 0.12 * impression as f32;
    let shift = (6.0 * impression as f32, -4.0 * impression as f32);
    let (seed, wave) = FINGERS[finger];
    Pattern::planted(seed, wave, turn, shift)
}

/// Impression `impression` of generated finger `finger`, as a PNG file.
fn finger_png(dir: &Path, name: &str, finger: usize, impression: u32) -> String {
    let p = impression_of(finger, impression);
    let image = GrayImage {
        width: p.width as u32,
        height: p.height as u32,
        pixels: p.render(),
    };
    let path = dir.join(name);
    save_png(&image, &path).expect("png written");
    path.display().to_string()
}

/// A probe, another impression of its finger and a different finger, as
/// PNG files in `dir`.
fn probe_mate_stranger(dir: &Path) -> (String, String, String) {
    (
        finger_png(dir, "a.png", 0, 0),
        finger_png(dir, "b.png", 0, 2),
        finger_png(dir, "c.png", 1, 0),
    )
}

fn minutiae_count(stdout: &str) -> usize {
    // "WxH at 500 ppi, N minutiae (P profile)"
    let first = stdout.lines().next().unwrap_or_default();
    first
        .split(", ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no minutia count in {first:?}"))
}

#[test]
fn extract_names_the_profile_and_the_accurate_one_reads_more_minutiae() {
    let dir = tempfile::tempdir().unwrap();
    let image = finger_png(dir.path(), "a.png", 0, 0);
    let fast = scomm(&["fp", "extract", &image]);
    assert!(fast.status.success(), "{}", text(&fast.stderr));
    let fast_out = text(&fast.stdout);
    assert!(fast_out.contains("(fast profile)"), "{fast_out}");

    let dump = dir.path().join("stages");
    let template = dir.path().join("a.tpl");
    let accurate = scomm(&[
        "fp",
        "extract",
        &image,
        "--profile",
        "accurate",
        "--dump",
        dump.to_str().unwrap(),
        "--out",
        template.to_str().unwrap(),
    ]);
    assert!(accurate.status.success(), "{}", text(&accurate.stderr));
    let accurate_out = text(&accurate.stdout);
    assert!(
        accurate_out.contains("(accurate profile)"),
        "{accurate_out}"
    );
    let (n_fast, n_accurate) = (minutiae_count(&fast_out), minutiae_count(&accurate_out));
    assert!(
        n_accurate > n_fast && n_fast >= 4,
        "fast {n_fast}, accurate {n_accurate}"
    );
    // Every stage drawn once, the template written and within 1 KiB.
    assert_eq!(std::fs::read_dir(&dump).unwrap().count(), 9);
    assert_eq!(accurate_out.matches("stage pictures").count(), 1);
    let bytes = std::fs::read(&template).unwrap();
    assert!(bytes.len() <= 1024, "{} bytes", bytes.len());
    let decoded = scomm_fingerprint::formats::decode_template(&bytes).unwrap();
    assert_eq!(decoded.minutiae.len(), n_accurate);
}

#[test]
fn an_unknown_profile_is_refused_by_name() {
    let out = scomm(&["fp", "extract", "whatever.png", "--profile", "precise"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("precise") && err.contains("accurate"),
        "stderr: {err}"
    );
}

#[test]
fn compare_gives_a_verdict_in_either_profile() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, other) = probe_mate_stranger(dir.path());
    for profile in ["fast", "accurate"] {
        let mate = scomm(&["fp", "compare", &a, &b, "--profile", profile]);
        assert!(mate.status.success(), "{}", text(&mate.stderr));
        let mate_out = text(&mate.stdout);
        assert!(
            mate_out.contains("match at FMR 0.01%"),
            "{profile}: {mate_out}"
        );
        let stranger = scomm(&["fp", "compare", &a, &other, "--profile", profile]);
        let stranger_out = text(&stranger.stdout);
        assert!(
            stranger_out.contains("no match at FMR 1%"),
            "{profile}: {stranger_out}"
        );
    }
}

#[test]
fn eval_fvc_reports_the_profile_and_rates_for_each() {
    let dir = tempfile::tempdir().unwrap();
    for finger in 0..FINGERS.len() {
        for impression in 1..=3u32 {
            let name = format!("{}_{impression}.png", finger + 1);
            finger_png(dir.path(), &name, finger, impression);
        }
    }
    let folder = dir.path().to_str().unwrap();
    let mut minutiae = Vec::new();
    for profile in ["fast", "accurate"] {
        let out = scomm(&["eval", "fvc", folder, "--json", "--profile", profile]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let row: serde_json::Value =
            serde_json::from_str(text(&out.stdout).lines().next().unwrap()).unwrap();
        assert_eq!(row["profile"], profile);
        assert_eq!(row["genuine"], 9);
        assert_eq!(row["impostor"], 27);
        let eer = row["eer"].as_f64().unwrap();
        assert_eq!(eer, 0.0, "{profile}: three clearly different fingers");
        minutiae.push(row["mean_minutiae"].as_f64().unwrap());
    }
    assert!(minutiae[1] > minutiae[0], "{minutiae:?}");
}

#[test]
fn templates_of_two_profiles_are_not_compared() {
    let dir = tempfile::tempdir().unwrap();
    let image = finger_png(dir.path(), "a.png", 0, 0);
    // The native format's flags byte and an ISO/ANSI record's profile
    // block both carry the profile.
    for format in ["native", "iso", "ansi"] {
        let mut files = Vec::new();
        for profile in ["fast", "accurate"] {
            let out = dir.path().join(format!("{profile}.{format}"));
            let o = scomm(&[
                "fp",
                "extract",
                &image,
                "--profile",
                profile,
                "--format",
                format,
                "--out",
                out.to_str().unwrap(),
            ]);
            assert!(o.status.success(), "{}", text(&o.stderr));
            files.push(out.to_str().unwrap().to_owned());
        }
        let mixed = scomm(&["fp", "compare", &files[0], &files[1]]);
        assert!(!mixed.status.success(), "{format}");
        let err = text(&mixed.stderr);
        assert!(
            err.contains("the fast profile") && err.contains("the accurate profile"),
            "{format}: {err}"
        );
        // Two accurate template files are compared, whatever --profile says
        // (it only chooses how images are extracted).
        let same = scomm(&["fp", "compare", &files[1], &files[1]]);
        assert!(same.status.success(), "{}", text(&same.stderr));
        let same_out = text(&same.stdout);
        assert!(
            same_out.contains("match at FMR 0.01%; accurate profile"),
            "{format}: {same_out}"
        );
    }
}

#[test]
fn json_output_says_what_the_table_says() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, other) = probe_mate_stranger(dir.path());
    let json = |args: &[&str]| -> serde_json::Value {
        let out = scomm(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert_eq!(stdout.lines().count(), 1, "one object: {stdout}");
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    };
    for profile in ["fast", "accurate"] {
        // Extraction: the minutiae the table lists, each with every field.
        let table = text(&scomm(&["fp", "extract", &a, "--profile", profile]).stdout);
        let stages = dir.path().join(format!("stages-{profile}"));
        let extracted = json(&[
            "fp",
            "extract",
            &a,
            "--profile",
            profile,
            "--json",
            "--dump",
            stages.to_str().unwrap(),
        ]);
        assert_eq!(extracted["profile"], profile);
        let minutiae = extracted["minutiae"].as_array().unwrap();
        assert_eq!(minutiae.len(), minutiae_count(&table));
        for m in minutiae {
            for field in ["x", "y", "direction_deg", "quality"] {
                assert!(m[field].is_number(), "{field}: {m}");
            }
            assert!(["ending", "bifurcation"].contains(&m["kind"].as_str().unwrap()));
        }

        // A mate: past both thresholds, its FMR within the strictest one.
        let mate = json(&["fp", "compare", &a, &b, "--profile", profile, "--json"]);
        assert_eq!(mate["verdict"], "match at FMR 0.01%");
        assert_eq!(mate["profile"], profile);
        let thresholds = mate["thresholds"].as_array().unwrap();
        assert!(thresholds.iter().all(|t| t["passed"] == true), "{mate}");
        assert!(mate["fmr"].as_f64().unwrap() <= 1e-4, "{mate}");
        let pairs = mate["pairs"].as_array().unwrap();
        assert_eq!(pairs.len() as u64, mate["paired"].as_u64().unwrap());
        assert!(pairs.len() >= 4, "{mate}");
        // ... and the score the table prints, to its two decimals.
        let human = text(&scomm(&["fp", "compare", &a, &b, "--profile", profile]).stdout);
        let score = mate["score"].as_f64().unwrap();
        assert!(human.starts_with(&format!("score {score:.2} ")), "{human}");
        assert!(
            human.contains("a threshold at this score allows FMR"),
            "{human}"
        );
        // Which root the pairing grew from, said both ways.
        let roots = mate["roots"].as_array().unwrap();
        let best: Vec<_> = roots.iter().filter(|r| r["best"] == true).collect();
        assert_eq!(best.len(), 1, "{mate}");
        assert_eq!(best[0]["pairs"], mate["paired"]);
        let rank = roots.iter().position(|r| r["best"] == true).unwrap() + 1;
        assert!(
            human.contains(&format!(
                "pairing grown from root {rank} of {} (probe minutia {}, candidate minutia {}",
                roots.len(),
                best[0]["probe"],
                best[0]["candidate"]
            )),
            "{human}"
        );
        // Two impressions of one generated finger, placed by the pairing.
        let placement = &mate["placement"];
        assert!(placement["rotation_deg"].as_f64().unwrap().abs() <= 180.0);
        assert_eq!(placement["translation"].as_array().unwrap().len(), 2);

        // A stranger: under the FMR 1 % threshold, so at least 1 %.
        let stranger = json(&["fp", "compare", &a, &other, "--profile", profile, "--json"]);
        assert_eq!(stranger["verdict"], "no match at FMR 1%");
        assert_eq!(stranger["thresholds"][0]["passed"], false);
        assert!(stranger["fmr"].as_f64().unwrap() >= 1e-2, "{stranger}");
        let bound = stranger["fmr_bound"].as_str().unwrap();
        assert!(["interpolated", "at_least"].contains(&bound), "{stranger}");
    }
}

/// A generated finger as a headerless 8-bit file, and its `WIDTHxHEIGHT`.
fn finger_raw(dir: &Path, name: &str, finger: usize, impression: u32) -> (String, String) {
    let p = impression_of(finger, impression);
    let path = dir.join(name);
    std::fs::write(&path, p.render()).expect("raw written");
    (
        path.display().to_string(),
        format!("{}x{}", p.width, p.height),
    )
}

#[test]
fn a_headerless_image_is_read_at_the_size_given() {
    let dir = tempfile::tempdir().unwrap();
    let (png_a, png_b, _) = probe_mate_stranger(dir.path());
    let (raw_a, size) = finger_raw(dir.path(), "a.raw", 0, 0);
    let (raw_b, _) = finger_raw(dir.path(), "b.raw", 0, 2);
    // The same pixels give the same minutiae and the same score.
    let minutiae = |args: &[&str]| {
        let o = scomm(args);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["minutiae"].clone()
    };
    let from_png = minutiae(&["fp", "extract", &png_a, "--json"]);
    let from_raw = minutiae(&["fp", "extract", &raw_a, "--raw", &size, "--json"]);
    assert!(!from_png.as_array().unwrap().is_empty());
    assert_eq!(from_raw, from_png);
    let score = |args: &[&str]| {
        let o = scomm(args);
        assert!(o.status.success(), "{}", text(&o.stderr));
        text(&o.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        score(&["fp", "compare", &raw_a, &raw_b, "--raw", &size]),
        score(&["fp", "compare", &png_a, &png_b])
    );
    // Without its size the file is refused, and the error says how to give it.
    let o = scomm(&["fp", "extract", &raw_a]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("--raw WIDTHxHEIGHT"),
        "{}",
        text(&o.stderr)
    );
    // A size the file does not fill is refused with both byte counts.
    let (w, h) = size.split_once('x').unwrap();
    let taller = format!("{w}x{}", h.parse::<u32>().unwrap() + 1);
    let o = scomm(&["fp", "extract", &raw_a, "--raw", &taller]);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(
        err.contains("needs") && err.contains("bytes but has"),
        "{err}"
    );
    // A size that is not one is refused by clap, naming the form.
    let o = scomm(&["fp", "extract", &raw_a, "--raw", "416"]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("WIDTHxHEIGHT"),
        "{}",
        text(&o.stderr)
    );
}
