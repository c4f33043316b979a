//! Scenario files: errors name file, line and field; runs are deterministic by seed.

use std::path::Path;

use scomm_sim::{report, simulate, Options, Scenario};

fn small() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/small.toml"),
    )
    .unwrap()
}

fn err(text: &str) -> String {
    Scenario::parse("bad.toml", text)
        .expect_err("scenario should be rejected")
        .to_string()
}

#[test]
fn shipped_scenarios_parse() {
    for name in ["small.toml", "oct2010.toml"] {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../scenarios")
            .join(name);
        Scenario::load(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// Apply `from -> to` to the small scenario; the error must start with
/// `bad.toml:LINE:` where LINE holds `at` in the changed text, and contain `says`.
fn check(from: &str, to: &str, at: &str, says: &[&str]) {
    let text = small();
    assert!(text.contains(from), "fixture lacks {from:?}");
    let text = text.replacen(from, to, 1);
    let line = text
        .lines()
        .position(|l| l.contains(at))
        .unwrap_or_else(|| panic!("{at:?} not in text"))
        + 1;
    let e = err(&text);
    assert!(
        e.starts_with(&format!("bad.toml:{line}:")),
        "want line {line} ({at:?}): {e}"
    );
    for s in says {
        assert!(e.contains(s), "want {s:?} in: {e}");
    }
}

#[test]
fn errors_name_file_line_and_field() {
    check(
        "days = 92",
        "days = \"many\"",
        "days = ",
        &["`days = \"many\"`", "expected u32"],
    );
    check(
        "pickup_share = 0.9",
        "pickup_shares = 0.9",
        "pickup_shares",
        &["pickup_shares"],
    );
    check(
        "overstay = 0.035",
        "overstay = 0.5",
        "[population]",
        &["add up to"],
    );
    check(
        "homicide = 0.2",
        "jaywalking = 0.2",
        "jaywalking",
        &["unknown offence kind \"jaywalking\""],
    );
    // A county's semantic errors point at its [[county]] header.
    let text = small().replacen("ori = \"CA0190000\"", "ori = \"TX2270000\"", 1);
    let fresno = text
        .lines()
        .position(|l| l.contains("county = \"Fresno\""))
        .unwrap();
    let header = text
        .lines()
        .take(fresno)
        .collect::<Vec<_>>()
        .iter()
        .rposition(|l| *l == "[[county]]")
        .unwrap()
        + 1;
    let e = err(&text);
    assert!(
        e.starts_with(&format!(
            "bad.toml:{header}: county[1]: ORI TX2270000 already used on line"
        )),
        "{e}"
    );
    let e = err(&small().replacen("ori = \"CA0190000\"", "ori = \"CA0190000\"\npeople = 0", 1));
    assert!(
        e.contains("county[1] (CA0190000): people = 0: a county needs people"),
        "{e}"
    );
    check(
        "ori = \"CA0190000\"",
        "ori = \"CA01\"",
        "ori = \"CA01\"",
        &["CA01", "9 characters"],
    );
    check(
        "scheme = \"2010-levels\"",
        "scheme = \"1999\"",
        "[ice]",
        &["unknown priority scheme \"1999\"", "2014-pep"],
    );
    check(
        "detainer_policy = \"judicial_warrant\"",
        "detainer_policy = \"sometimes\"",
        "sometimes",
        &["sometimes"],
    );
    check(
        "false_match_rate = 0.001",
        "false_match_rate = 1.5",
        "false_match_rate",
        &["identification.false_match_rate = 1.5"],
    );
    check(
        "scale = 1.0",
        "scale = 0.0",
        "scale = ",
        &["scenario.scale = 0", "positive"],
    );
    check(
        "people_per_county = 3000",
        "people_per_county = 0",
        "people_per_county",
        &["people_per_county = 0", "needs people"],
    );
    check(
        "fingers = 4",
        "fingers = 12",
        "fingers = ",
        &["identification.fingers = 12", "1 to 10"],
    );
}

#[test]
fn runs_are_deterministic_by_seed() {
    let dir = tempfile::tempdir().unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/small.toml");
    let run = |name: &str, seed: u64| {
        let db = dir.path().join(name);
        simulate(
            &path,
            &db,
            &Options {
                seed: Some(seed),
                commit_every: 5000,
                ..Options::default()
            },
            |_| {},
        )
        .unwrap();
        let r = report(&db).unwrap();
        serde_json::to_string(&r.report.rows).unwrap()
    };
    let a = run("a.db", 1);
    assert_eq!(a, run("b.db", 1));
    assert_ne!(a, run("c.db", 2));
}

#[test]
fn small_scenario_exercises_every_branch() {
    let dir = tempfile::tempdir().unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/small.toml");
    let db = dir.path().join("s.db");
    simulate(&path, &db, &Options::default(), |_| {}).unwrap();
    let r = report(&db).unwrap();
    let t = &r.report.total;
    assert_eq!(r.pending, 0);
    assert!(t.submissions > 2000, "{t:?}");
    assert!(
        t.forwarded_to_ident < t.submissions,
        "Fresno is activated mid-run"
    );
    assert!(
        t.forwarded_despite_opt_out > 0,
        "San Mateo asked to opt out and was forwarded anyway"
    );
    assert!(t.ident_matches.total() > 0 && t.detainers_issued > 0);
    assert!(t.detainers_honoured > 0 && t.detainers_declined > 0);
    assert!(t.ice_book_ins.total() > 0 && t.removals.total() > 0);
    assert!(t.stale_record_matches > 0 && t.false_biometric_matches > 0);
    assert!(t.median_hours_booking_to_iar.unwrap() > 0.5);
}

/// Engine mode: the repositories are galleries of the 1:N engine; its
/// decisions carry the flow, and the report counts its errors from ground
/// truth. A shortened run (30 days, 1,500 people per county, a 10-subject
/// shortlist) keeps it quick.
#[test]
fn engine_mode_identifies_by_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    let text = small()
        .replacen("days = 92", "days = 30", 1)
        .replacen("people_per_county = 3000", "people_per_county = 1500", 1)
        .replacen("shortlist = 30", "shortlist = 10", 1);
    let path = dir.path().join("engine.toml");
    std::fs::write(&path, text).unwrap();
    let run = |name: &str, mode| {
        let db = dir.path().join(name);
        let s = simulate(
            &path,
            &db,
            &Options {
                mode: Some(mode),
                ..Options::default()
            },
            |_| {},
        )
        .unwrap();
        (s, report(&db).unwrap())
    };
    let (s, engine) = run("engine.db", scomm_sim::IdentificationMode::Engine);
    assert_eq!((s.mode, engine.mode.as_str()), ("engine", "engine"));
    let (_, oracle) = run("oracle.db", scomm_sim::IdentificationMode::Oracle);
    let (e, o) = (&engine.report.total, &oracle.report.total);
    assert_eq!(
        e.submissions, o.submissions,
        "the same bookings in both modes"
    );
    // Matches come from fingerprints only: the engine finds most of the
    // people IDENT holds, and what it misses is counted.
    assert!(o.ident_matches.total() > 30, "{o:?}");
    assert!(
        e.ident_matches.total() * 10 >= o.ident_matches.total() * 8,
        "engine {e:?} oracle {o:?}"
    );
    assert!(e.ident_misses + e.false_biometric_matches <= 3, "{e:?}");
    // Repeat offenders are recognised by the FBI gallery: few duplicate identities.
    assert!(e.fbi_misses < e.submissions / 20, "{e:?}");
    // Resuming a run in the other mode is refused.
    let err = simulate(
        &path,
        &dir.path().join("engine.db"),
        &Options {
            mode: Some(scomm_sim::IdentificationMode::Oracle),
            ..Options::default()
        },
        |_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("new --db"), "{err}");
}

/// The same county stream under each priority scheme: the scheme in force
/// decides which detainer forms appear and how many.
#[test]
fn every_scheme_runs_and_shapes_the_detainers() {
    let dir = tempfile::tempdir().unwrap();
    let mut issued = Vec::new();
    for scheme in [
        "2010-levels",
        "2012-detainer-criteria",
        "2014-pep",
        "2017-i247a",
    ] {
        let text = small()
            .replacen(
                "scheme = \"2010-levels\"",
                &format!("scheme = \"{scheme}\""),
                1,
            )
            .replacen("start = \"2010-10-01\"", "start = \"2015-10-01\"", 1)
            .replacen("days = 92", "days = 45", 1);
        let path = dir.path().join(format!("{scheme}.toml"));
        std::fs::write(&path, text).unwrap();
        let db = dir.path().join(format!("{scheme}.db"));
        simulate(&path, &db, &Options::default(), |_| {}).unwrap();
        let store = scomm_store::Store::open(&db).unwrap();
        let forms: Vec<String> = store
            .cases()
            .unwrap()
            .iter()
            .filter_map(|c| c.detainer.as_ref().map(|d| d.form.label().to_string()))
            .collect();
        let want: &[&str] = match scheme {
            "2014-pep" => &["I-247D", "I-247N"],
            "2017-i247a" => &["I-247A"],
            _ => &["I-247"],
        };
        assert!(!forms.is_empty(), "{scheme}: no detainer at all");
        assert!(
            forms.iter().all(|f| want.contains(&f.as_str())),
            "{scheme}: forms {forms:?}"
        );
        issued.push((scheme, forms.len()));
    }
    let n = |s: &str| issued.iter().find(|(k, _)| *k == s).unwrap().1;
    // 2017 lodges on every removable person charged with anything; PEP only on
    // convictions and recent entry; 2012 on felonies and public-safety charges.
    assert!(n("2017-i247a") > n("2012-detainer-criteria"), "{issued:?}");
    assert!(n("2012-detainer-criteria") > n("2014-pep"), "{issued:?}");
}
