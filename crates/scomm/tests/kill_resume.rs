//! `scomm simulate` killed with SIGKILL at arbitrary points and run again on
//! the same database ends with exactly the statistics of an uninterrupted run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn scomm() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scomm"))
}

fn scenario() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/small.toml")
}

/// Whether the database holds processed messages that its stored cases do not reflect yet.
/// Opened read-only, so that asking before the run has made the file does not make it.
fn checkpoint_behind_cursor(db: &Path) -> bool {
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let Ok(c) = rusqlite::Connection::open_with_flags(db, flags) else {
        return false;
    };
    let meta = |k: &str| -> Option<i64> {
        c.query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| {
            r.get::<_, String>(0)
        })
        .ok()?
        .parse()
        .ok()
    };
    let cursor = (meta("cursor_deliver_at"), meta("cursor_id"));
    let checkpoint = (meta("checkpoint_deliver_at"), meta("checkpoint_id"));
    cursor.0.is_some() && cursor != checkpoint
}

/// The audit log's references to messages are not enforced on insert
/// (see `Store::open`); every one must still resolve.
fn assert_no_dangling_references(db: &Path) {
    let c = rusqlite::Connection::open(db).unwrap();
    let n: i64 = c
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(n, 0, "{}: rows referring to missing messages", db.display());
}

fn report(db: &Path) -> serde_json::Value {
    let out = scomm()
        .args(["report", "--format", "json", "--db"])
        .arg(db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "report failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn killed_and_resumed_run_matches_uninterrupted_run() {
    // Timed kills from 20 ms: after the first kill a run has only its
    // set-up and a 0.1-0.2 s flow left, and the test needs a timed kill to
    // land before a run finishes.
    kill_and_resume(&scenario(), &[], 20);
}

/// Engine identification: the galleries are rebuilt from the stored
/// repositories on restart and must give the same answers. A shortened
/// scenario (30 days, 1,500 people per county) keeps it quick.
#[test]
fn killed_and_resumed_engine_run_matches_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(scenario())
        .unwrap()
        .replacen("days = 92", "days = 30", 1)
        .replacen("people_per_county = 3000", "people_per_county = 1500", 1)
        .replacen("shortlist = 30", "shortlist = 10", 1);
    let path = dir.path().join("engine.toml");
    std::fs::write(&path, text).unwrap();
    kill_and_resume(&path, &["--identification", "engine"], 300);
}

fn spawn_interruptible(scenario: &Path, extra: &[&str], db: &Path) -> std::process::Child {
    scomm()
        .args(["simulate", "--quiet", "--commit-every", "300"])
        .args(extra)
        .arg("--scenario")
        .arg(scenario)
        .arg("--db")
        .arg(db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Start a run on a fresh `db` and kill it as soon as the database shows
/// processed messages past its checkpoint, so that the next run must replay
/// them. Watching the database rather than a clock keeps this independent of
/// the machine's speed and load: a run of the small scenario spends only
/// about 0.2 s in its message flow, which timed kills can miss.
fn kill_in_replay_window(scenario: &Path, extra: &[&str], db: &Path) {
    for _ in 0..5 {
        let _ = std::fs::remove_file(db);
        let mut child = spawn_interruptible(scenario, extra, db);
        loop {
            if checkpoint_behind_cursor(db) {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                if checkpoint_behind_cursor(db) {
                    return;
                }
                break; // a checkpoint landed between the look and the kill
            }
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success());
                break; // finished between two looks: start again
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    panic!("no run could be killed with processed messages past its checkpoint in 5 tries");
}

/// Run `scenario` once whole; then again, first killed (SIGKILL) while
/// processed messages are past the checkpoint, then killed at growing
/// intervals (from `first_wait_ms`) until a run finishes; the statistics must agree.
fn kill_and_resume(scenario: &Path, extra: &[&str], first_wait_ms: u64) {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.db");
    let st = scomm()
        .args(["simulate", "--quiet"])
        .args(extra)
        .arg("--scenario")
        .arg(scenario)
        .arg("--db")
        .arg(&whole)
        .status()
        .unwrap();
    assert!(st.success());
    let want = report(&whole);
    assert_eq!(want["pending_messages"], 0);

    let killed = dir.path().join("killed.db");
    kill_in_replay_window(scenario, extra, &killed);
    let mut interruptions = 1;
    let mut replays = 1;
    let mut wait_ms = first_wait_ms;
    for _ in 0..60 {
        let mut child = spawn_interruptible(scenario, extra, &killed);
        std::thread::sleep(Duration::from_millis(wait_ms));
        match child.try_wait().unwrap() {
            Some(status) => {
                assert!(status.success());
                break;
            }
            None => {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                interruptions += 1;
                wait_ms += 40 + wait_ms / 5; // each attempt redoes the set-up: grow until a run finishes
                if checkpoint_behind_cursor(&killed) {
                    replays += 1;
                }
            }
        }
    }
    assert!(
        interruptions >= 2,
        "the run was never interrupted ({interruptions}); the test proves nothing"
    );
    eprintln!("{interruptions} kills, {replays} of them past a checkpoint");
    let partial = report(&killed);
    assert_eq!(partial["pending_messages"], 0, "the last run finished");
    assert_eq!(
        partial, want,
        "statistics after {interruptions} kills ({replays} past a checkpoint) differ from the uninterrupted run"
    );
    assert_no_dangling_references(&whole);
    assert_no_dangling_references(&killed);
}

#[test]
fn resuming_with_another_scenario_or_seed_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let st = scomm()
        .args(["simulate", "--quiet", "--scenario"])
        .arg(scenario())
        .arg("--db")
        .arg(&db)
        .status()
        .unwrap();
    assert!(st.success());
    let out = scomm()
        .args(["simulate", "--quiet", "--seed", "99", "--scenario"])
        .arg(scenario())
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("seed 2010") && err.contains("new --db"),
        "{err}"
    );
}

#[test]
fn report_formats() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let out = scomm()
        .args(["simulate", "--scenario"])
        .arg(scenario())
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("IDENT/IAFIS Interoperability Statistics") && table.contains("Travis"),
        "{table}"
    );
    let csv = scomm()
        .args(["report", "--format", "csv", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let csv = String::from_utf8(csv.stdout).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("month,state,county,ori,submissions"));
    let cols = header.split(',').count();
    assert!(lines.all(|l| l.split(',').count() == cols));
    let trail = scomm()
        .args(["trail", "--booking", "B001000001", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        trail.status.success(),
        "{}",
        String::from_utf8_lossy(&trail.stderr)
    );
    let trail = String::from_utf8(trail.stdout).unwrap();
    for want in [
        "WORLD -> LEA   arrest",
        "LEA -> SIB   tenprint_submission",
        "LEA   booked at",
        "\"booking\": 1000001",
    ] {
        assert!(trail.contains(want), "{want:?} not in trail:\n{trail}");
    }
    let bad = scomm()
        .args(["trail", "--booking", "12x", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a booking number"));
    let missing = scomm()
        .args(["report", "--db"])
        .arg(dir.path().join("nope.db"))
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("does not exist"));
}
