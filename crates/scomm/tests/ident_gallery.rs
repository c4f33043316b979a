//! `scomm ident`: a gallery file enrolled, searched, purged and refused
//! when wrong, on generated prints (no external data).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use scomm_fingerprint::image_io::{save_png, GrayImage};
use scomm_fingerprint::synthetic::Pattern;
use scomm_nist::ebts::FingerImage;
use scomm_nist::{wsq, GreyImage};

fn scomm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scomm"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A generated finger: `seed` places its minutiae (different seeds are
/// different fingers), `rotation` and `shift` make another impression.
/// Width, height and pixels of a generated print.
type Print = (u32, u32, Vec<u8>);

fn finger(seed: u32, rotation: f32, shift: (f32, f32)) -> Print {
    let p = Pattern::planted(seed % 4, 0.2 + 0.3 * seed as f32, rotation, shift);
    (p.width as u32, p.height as u32, p.render())
}

fn png(dir: &Path, name: &str, (w, h, pixels): Print) -> String {
    let path = dir.join(name);
    save_png(&GrayImage::new(w, h, pixels).unwrap(), &path).unwrap();
    path.to_string_lossy().into_owned()
}

/// A criminal tenprint transaction of WSQ Type-4 records, one per
/// (position, impression type, image).
fn transaction(dir: &Path, fingers: Vec<(u8, u8, Print)>) -> String {
    let images = fingers
        .into_iter()
        .map(|(position, impression, (width, height, pixels))| {
            let grey = GreyImage {
                width,
                height,
                ppi: Some(500),
                pixels,
            };
            FingerImage::from_grey(position, impression, &grey, wsq::DEFAULT_BITRATE).unwrap()
        })
        .collect();
    let car = common::criminal_tenprint("TX1234500", "TX2010000001", "5404", images);
    let path = dir.join("booking.eft");
    std::fs::write(&path, car).unwrap();
    path.to_string_lossy().into_owned()
}

/// Live-scan impression types (ANSI/NIST-ITL Table "IMP").
const PLAIN: u8 = 0;
const ROLLED: u8 = 1;

struct Setup {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    gallery: String,
}

/// Subjects 1 and 2 enrolled, two index fingers each.
fn enrolled() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let gallery = dir.join("people.gal").to_string_lossy().into_owned();
    for (subject, seeds) in [("1", [0, 1]), ("2", [2, 3])] {
        let a = png(
            &dir,
            &format!("s{subject}_2.png"),
            finger(seeds[0], 0.0, (0.0, 0.0)),
        );
        let b = png(
            &dir,
            &format!("s{subject}_7.png"),
            finger(seeds[1], 0.0, (0.0, 0.0)),
        );
        let o = scomm(&[
            "ident",
            "enrol",
            &gallery,
            "--subject",
            subject,
            &format!("2={a}"),
            &format!("7={b}"),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).contains(&format!("enrolled subject {subject}")));
    }
    Setup {
        _dir: tmp,
        dir,
        gallery,
    }
}

/// A new impression of subject 1's index fingers, as probe arguments.
fn probe_of_subject_1(dir: &Path) -> [String; 2] {
    let a = png(dir, "p_2.png", finger(0, 0.3, (10.0, -6.0)));
    let b = png(dir, "p_7.png", finger(1, 0.3, (10.0, -6.0)));
    [format!("2={a}"), format!("7={b}")]
}

#[test]
fn a_new_impression_finds_its_subject_until_it_is_removed() {
    let s = enrolled();
    let probe = probe_of_subject_1(&s.dir);
    let search = |extra: &[&str]| {
        let mut args = vec!["ident", "search", &s.gallery, &probe[0], &probe[1]];
        args.extend_from_slice(extra);
        scomm(&args)
    };
    let o = search(&[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("ident: subject 1 "),
        "{}",
        stdout(&o)
    );

    let o = search(&["--json"]);
    let json: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(json["decision"], "ident");
    assert_eq!(json["candidates"][0]["subject"], 1);
    assert_eq!(
        json["candidates"][0]["fingers"].as_array().unwrap().len(),
        2
    );
    assert!(
        json["candidates"][0]["fused_llr"].as_f64().unwrap() >= json["threshold"].as_f64().unwrap()
    );

    let o = scomm(&["ident", "remove", &s.gallery, "--subject", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = search(&["--json"]);
    let json: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(json["decision"], "non-ident", "{json}");
    assert!(json["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["subject"] != 1));

    let o = scomm(&["ident", "remove", &s.gallery, "--subject", "1"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("subject 1 is not enrolled"),
        "{}",
        stderr(&o)
    );

    let o = scomm(&["ident", "info", &s.gallery]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("subjects   1\n"), "{}", stdout(&o));
    assert!(stdout(&o).contains("fingers    2\n"), "{}", stdout(&o));
}

#[test]
fn fingers_come_from_an_ansi_nist_transaction() {
    let s = enrolled();
    let tx = transaction(
        &s.dir,
        vec![
            (2, ROLLED, finger(0, 0.3, (10.0, -6.0))),
            (7, ROLLED, finger(1, 0.3, (10.0, -6.0))),
        ],
    );
    let o = scomm(&["ident", "search", &s.gallery, "--nist", &tx]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("ident: subject 1 "),
        "{}",
        stdout(&o)
    );

    // Enrolled from the transaction as a new encounter of subject 2 (its
    // prints are subject 1's: both now answer).
    let o = scomm(&[
        "ident",
        "enrol",
        &s.gallery,
        "--subject",
        "2",
        "--nist",
        &tx,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("added an encounter to subject 2 (fingers 2, 7)"));
    let o = scomm(&["ident", "info", &s.gallery]);
    assert!(stdout(&o).contains("fingers    6\n"), "{}", stdout(&o));

    // --update replaces subject 2's encounters by this one.
    let o = scomm(&[
        "ident",
        "enrol",
        &s.gallery,
        "--subject",
        "2",
        "--update",
        "--nist",
        &tx,
    ]);
    assert!(stdout(&o).contains("replaced subject 2"), "{}", stdout(&o));
    let o = scomm(&["ident", "info", &s.gallery]);
    assert!(stdout(&o).contains("fingers    4\n"), "{}", stdout(&o));
}

#[test]
fn bad_input_is_refused_by_name_and_changes_nothing() {
    let s = enrolled();
    let before = std::fs::read(&s.gallery).unwrap();
    let image = s.dir.join("s1_2.png").to_string_lossy().into_owned();
    // A template of the accurate profile: the gallery's tables are the fast one's.
    let accurate = s
        .dir
        .join("s1_2-accurate.tpl")
        .to_string_lossy()
        .into_owned();
    let o = scomm(&[
        "fp",
        "extract",
        &image,
        "--profile",
        "accurate",
        "--out",
        &accurate,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![format!("2={accurate}")], "galleries hold fast ones"),
        (vec![format!("11={image}")], "finger position 11"),
        (vec![format!("x={image}")], "finger position \"x\""),
        (vec![image.clone()], "is not POSITION=FILE"),
        (
            vec!["2=/nonexistent/finger.png".into()],
            "/nonexistent/finger.png",
        ),
        (
            vec![format!("2={image}"), format!("2={image}")],
            "position 2 given twice",
        ),
        (vec![], "no fingers given"),
        (
            vec!["--nist".into(), image.clone()],
            "parsing the ANSI/NIST-ITL transaction",
        ),
    ];
    for (fingers, expected) in cases {
        for verb in ["enrol", "search"] {
            let mut args = vec!["ident", verb, &s.gallery];
            if verb == "enrol" {
                args.extend(["--subject", "9"]);
            }
            args.extend(fingers.iter().map(String::as_str));
            let o = scomm(&args);
            assert!(!o.status.success(), "{verb} {fingers:?} succeeded");
            assert!(
                stderr(&o).contains(expected),
                "{verb} {fingers:?}: {}",
                stderr(&o)
            );
        }
    }
    assert_eq!(std::fs::read(&s.gallery).unwrap(), before);

    let missing = s.dir.join("none.gal").to_string_lossy().into_owned();
    let o = scomm(&["ident", "search", &missing, &format!("2={image}")]);
    assert!(stderr(&o).contains("does not exist"), "{}", stderr(&o));

    // A damaged file is reported and left alone by an enrolment.
    let mut damaged = before.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x5a;
    std::fs::write(&s.gallery, &damaged).unwrap();
    let o = scomm(&[
        "ident",
        "enrol",
        &s.gallery,
        "--subject",
        "9",
        &format!("2={image}"),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("reading the gallery"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&s.gallery).unwrap(), damaged);
}

#[test]
fn enrolments_at_the_same_time_all_land() {
    let s = enrolled();
    let image = png(&s.dir, "c.png", finger(4, 0.0, (0.0, 0.0)));
    let children: Vec<std::process::Child> = (10..18)
        .map(|subject| {
            Command::new(env!("CARGO_BIN_EXE_scomm"))
                .args(["ident", "enrol", &s.gallery, "--subject"])
                .arg(subject.to_string())
                .arg(format!("2={image}"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // All eight run at once; each holds the lock for its load-change-write.
    for child in children {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = scomm(&["ident", "info", &s.gallery]);
    assert!(stdout(&o).contains("subjects   10\n"), "{}", stdout(&o));
}

#[test]
fn a_finger_given_rolled_and_plain_is_taken_rolled() {
    let s = enrolled();
    // Finger 2 plain is a stranger's print, rolled it is subject 1's; the
    // plain right thumb (position 11) stands in for finger 1.
    let tx = transaction(
        &s.dir,
        vec![
            (2, PLAIN, finger(5, 0.0, (0.0, 0.0))),
            (11, PLAIN, finger(6, 0.0, (0.0, 0.0))),
            (2, ROLLED, finger(0, 0.3, (10.0, -6.0))),
            (14, PLAIN, finger(7, 0.0, (0.0, 0.0))),
        ],
    );
    let o = scomm(&[
        "ident",
        "enrol",
        &s.gallery,
        "--subject",
        "3",
        "--nist",
        &tx,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("enrolled subject 3 (fingers 2, 1)"),
        "{}",
        stdout(&o)
    );
    // Records 1 and 2 are the transaction's Type-1 and Type-2.
    let notes = stderr(&o);
    assert!(notes.contains("record 3 (Type-4)"), "{notes}");
    assert!(notes.contains("record 5 has finger 2 rolled"), "{notes}");
    assert!(notes.contains("record 6 (Type-4)"), "{notes}");
    assert!(notes.contains("slaps are not segmented"), "{notes}");

    let a = png(&s.dir, "q_2.png", finger(0, 0.0, (0.0, 0.0)));
    let o = scomm(&["ident", "search", &s.gallery, &format!("2={a}"), "--json"]);
    let json: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let top: Vec<u64> = json["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .take(2)
        .map(|c| c["subject"].as_u64().unwrap())
        .collect();
    assert!(top.contains(&1) && top.contains(&3), "{json}");
}

#[test]
fn a_probe_without_a_usable_finger_is_told_so() {
    let s = enrolled();
    // Parallel ridges without planted minutiae: too few minutiae to compare.
    let p = Pattern::straight(320, 360, 9.0, 0.4);
    let blank = png(&s.dir, "blank.png", (320, 360, p.render()));
    let o = scomm(&["ident", "search", &s.gallery, &format!("2={blank}")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("finger 2 set aside"), "{text}");
    assert!(text.contains("no usable finger"), "{text}");
    let o = scomm(&[
        "ident",
        "search",
        &s.gallery,
        &format!("2={blank}"),
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(json["decision"], "no-usable-finger");
    assert_eq!(json["set_aside"][0]["position"], 2);
    assert!(json["candidates"].as_array().unwrap().is_empty());
}
