//! An error is printed as one line that names what is wrong once, with
//! each cause the line does not already give, and only hints the command can act on.

use std::process::Command;

fn scomm_error(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_scomm"))
        .args(args)
        .output()
        .expect("scomm runs");
    assert!(!out.status.success(), "{args:?} should fail");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    err
}

#[test]
fn a_file_that_is_not_a_database_is_named_once_with_sqlites_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("notes.db");
    std::fs::write(&db, "not a database, a note\n".repeat(200)).unwrap();
    let err = scomm_error(&["report", "--db", db.to_str().unwrap()]);
    assert_eq!(err.matches("file is not a database").count(), 1, "{err}");
    // SQLite's own code, a cause the message above it does not give.
    assert!(err.contains("Error code 26"), "{err}");
}

#[test]
fn a_missing_evaluation_folder_is_named_once_with_the_systems_reason() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("DB9_B");
    let err = scomm_error(&["eval", "fvc", missing.to_str().unwrap()]);
    assert!(err.contains("DB9_B"), "{err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

#[test]
fn an_unreadable_image_in_an_evaluation_folder_is_named_once() {
    let dir = tempfile::tempdir().unwrap();
    // Two fingers of two impressions, one of them a TIFF cut short.
    let tiff_header = b"II*\x00\x08\x00\x00\x00\x0b\x00";
    for name in ["101_1.tif", "101_2.tif", "102_1.tif", "102_2.tif"] {
        std::fs::write(dir.path().join(name), tiff_header).unwrap();
    }
    let err = scomm_error(&["eval", "fvc", dir.path().to_str().unwrap()]);
    assert!(err.contains("_1.tif") || err.contains("_2.tif"), "{err}");
    assert_eq!(err.matches("truncated").count(), 1, "{err}");
}

#[test]
fn a_file_that_is_not_a_png_is_named_by_wsq_encode() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("finger.png");
    std::fs::write(&input, b"GIF89a, not a PNG at all").unwrap();
    let out = dir.path().join("finger.wsq");
    let err = scomm_error(&[
        "wsq",
        "encode",
        input.to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    assert!(err.contains("finger.png") && err.contains("PNG"), "{err}");
    assert!(!out.exists(), "nothing written");
}

#[test]
fn only_commands_that_take_raw_images_suggest_giving_a_size() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("finger.img");
    std::fs::write(&image, [0x5au8; 4096]).unwrap();
    let image = image.to_str().unwrap();
    let err = scomm_error(&["fp", "extract", image]);
    assert!(err.contains("unrecognised image format"), "{err}");
    assert!(err.contains("--raw WIDTHxHEIGHT"), "{err}");
    let gallery = dir.path().join("g.gallery");
    let err = scomm_error(&[
        "ident",
        "enrol",
        gallery.to_str().unwrap(),
        "--subject",
        "1",
        &format!("2={image}"),
    ]);
    assert!(err.contains("unrecognised image format"), "{err}");
    assert!(!err.contains("--raw"), "ident enrol takes no --raw: {err}");
}
