//! An error is printed as one line that names what is wrong once, with
//! each cause the line does not already give.

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
