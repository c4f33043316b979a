//! Table-driven tests of each priority scheme's definitions.

use super::*;
use crate::offence::Charge;

fn conv(kind: &str, sentence_days: u32) -> Conviction {
    Conviction {
        kind: kind.into(),
        at: SimTime(0),
        sentence_days,
    }
}

struct Case {
    name: &'static str,
    status: Status,
    removability: Removability,
    convictions: Vec<Conviction>,
    charges: Vec<&'static str>,
    last_removal: Option<&'static str>,
    first_encounter: Option<&'static str>,
}

fn case(
    name: &'static str,
    status: Status,
    removability: Removability,
    convictions: Vec<Conviction>,
    charges: Vec<&'static str>,
) -> Case {
    Case {
        name,
        status,
        removability,
        convictions,
        charges,
        last_removal: None,
        first_encounter: None,
    }
}

fn date(s: &str) -> SimTime {
    SimTime::from_date(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

fn run(scheme: &str, cases: &[(Case, Option<(&str, DetainerForm)>)]) {
    let scheme = Schemes::builtin().get(scheme).unwrap();
    for (c, want) in cases {
        let charges: Vec<Charge> = c
            .charges
            .iter()
            .map(|k| Charge {
                kind: k.to_string(),
            })
            .collect();
        let facts = Facts {
            status: c.status,
            removability: c.removability,
            convictions: &c.convictions,
            charges: &charges,
            last_removal: c.last_removal.map(date),
            first_encounter: c.first_encounter.map(date),
        };
        let got = match scheme.evaluate(&facts) {
            Priority::Met {
                label, detainer, ..
            } => Some((label, detainer)),
            _ => None,
        };
        let want = want.map(|(l, d)| (l.to_string(), d));
        assert_eq!(got, want, "scheme {} case {}", scheme.id, c.name);
    }
}

use Removability::*;
use Status::*;

#[test]
fn levels_2010() {
    run(
        "2010-levels",
        &[
            (
                case("dui overstay", Overstay, Removable, vec![], vec!["dui"]),
                Some(("Level 3", DetainerForm::I247)),
            ),
            (
                case(
                    "felony charge",
                    EnteredWithoutInspection,
                    Removable,
                    vec![],
                    vec!["burglary"],
                ),
                Some(("Level 2", DetainerForm::I247)),
            ),
            (
                case(
                    "aggravated felony charge",
                    Lpr,
                    Undetermined,
                    vec![],
                    vec!["drug_sale"],
                ),
                Some(("Level 1", DetainerForm::I247)),
            ),
            (
                case(
                    "two >1y",
                    Overstay,
                    Removable,
                    vec![conv("fraud", 0)],
                    vec!["grand_larceny"],
                ),
                Some(("Level 1", DetainerForm::I247)),
            ),
            (
                case(
                    "three misdemeanours",
                    Overstay,
                    Removable,
                    vec![conv("dui", 0), conv("vandalism", 0)],
                    vec!["petty_theft"],
                ),
                Some(("Level 2", DetainerForm::I247)),
            ),
            (
                case(
                    "citizen",
                    Naturalised,
                    NotRemovable,
                    vec![conv("homicide", 0)],
                    vec!["homicide"],
                ),
                None,
            ),
            (
                case(
                    "unknown status is investigated",
                    Unknown,
                    Undetermined,
                    vec![],
                    vec!["dui"],
                ),
                Some(("Level 3", DetainerForm::I247)),
            ),
        ],
    );
}

#[test]
fn detainer_criteria_2012() {
    run(
        "2012-detainer-criteria",
        &[
            (
                case(
                    "felony conviction",
                    Overstay,
                    Removable,
                    vec![conv("burglary", 365)],
                    vec!["disorderly_conduct"],
                ),
                Some(("Felony conviction", DetainerForm::I247)),
            ),
            (
                case(
                    "felony charge",
                    Overstay,
                    Removable,
                    vec![],
                    vec!["robbery"],
                ),
                Some(("Felony charge", DetainerForm::I247)),
            ),
            (
                case(
                    "three misdemeanours",
                    Overstay,
                    Removable,
                    vec![
                        conv("vandalism", 0),
                        conv("petty_theft", 0),
                        conv("disorderly_conduct", 0),
                    ],
                    vec!["vandalism"],
                ),
                Some(("Three or more misdemeanour convictions", DetainerForm::I247)),
            ),
            (
                case(
                    "two misdemeanours, minor charge",
                    Overstay,
                    Removable,
                    vec![conv("vandalism", 0), conv("petty_theft", 0)],
                    vec!["vandalism"],
                ),
                None,
            ),
            (
                case(
                    "DUI charge",
                    EnteredWithoutInspection,
                    Removable,
                    vec![],
                    vec!["dui"],
                ),
                Some(("Public-safety misdemeanour", DetainerForm::I247)),
            ),
            (
                case(
                    "prior assault conviction",
                    Overstay,
                    Removable,
                    vec![conv("simple_assault", 0)],
                    vec!["driving_without_license"],
                ),
                Some(("Public-safety misdemeanour", DetainerForm::I247)),
            ),
            (
                case(
                    "re-entry",
                    PriorRemoval,
                    Removable,
                    vec![],
                    vec!["driving_without_license"],
                ),
                Some(("Illegal re-entry after removal", DetainerForm::I247)),
            ),
            (
                case(
                    "no licence only",
                    EnteredWithoutInspection,
                    Removable,
                    vec![],
                    vec!["driving_without_license"],
                ),
                None,
            ),
            (
                case(
                    "unknown status",
                    Unknown,
                    Undetermined,
                    vec![],
                    vec!["robbery"],
                ),
                None,
            ),
        ],
    );
}

#[test]
fn pep_2014() {
    let mut recent = case(
        "recent entrant",
        EnteredWithoutInspection,
        Removable,
        vec![],
        vec!["driving_without_license"],
    );
    recent.first_encounter = Some("2014-06-01");
    let mut old = case(
        "entrant before 2014",
        EnteredWithoutInspection,
        Removable,
        vec![],
        vec!["driving_without_license"],
    );
    old.first_encounter = Some("2012-06-01");
    let mut final_order = case(
        "removed 2014",
        PriorRemoval,
        Removable,
        vec![],
        vec!["vandalism"],
    );
    final_order.last_removal = Some("2014-03-01");
    run(
        "2014-pep",
        &[
            (
                case(
                    "gang",
                    Overstay,
                    Removable,
                    vec![conv("gang_participation", 365)],
                    vec!["vandalism"],
                ),
                Some(("Priority 1(c)", DetainerForm::I247D)),
            ),
            (
                case(
                    "aggravated felony",
                    Lpr,
                    Removable,
                    vec![conv("drug_sale", 700)],
                    vec!["vandalism"],
                ),
                Some(("Priority 1(e)", DetainerForm::I247D)),
            ),
            (
                case(
                    "felony",
                    Overstay,
                    Removable,
                    vec![conv("burglary", 365)],
                    vec!["vandalism"],
                ),
                Some(("Priority 1(d)", DetainerForm::I247D)),
            ),
            (
                case(
                    "immigration felony only",
                    PriorRemoval,
                    Removable,
                    vec![conv("illegal_reentry", 365)],
                    vec!["vandalism"],
                ),
                None,
            ),
            (
                case(
                    "three misdemeanours",
                    Overstay,
                    Removable,
                    vec![
                        conv("vandalism", 0),
                        conv("petty_theft", 0),
                        conv("disorderly_conduct", 0),
                    ],
                    vec![],
                ),
                Some(("Priority 2(a)", DetainerForm::I247D)),
            ),
            (
                case(
                    "three incl. minor traffic",
                    Overstay,
                    Removable,
                    vec![
                        conv("vandalism", 0),
                        conv("petty_theft", 0),
                        conv("driving_without_license", 0),
                    ],
                    vec![],
                ),
                None,
            ),
            (
                case(
                    "DUI conviction",
                    Overstay,
                    Removable,
                    vec![conv("dui", 0)],
                    vec![],
                ),
                Some(("Priority 2(b)", DetainerForm::I247D)),
            ),
            (
                case(
                    "90-day sentence",
                    Overstay,
                    Removable,
                    vec![conv("petty_theft", 90)],
                    vec![],
                ),
                Some(("Priority 2(b)", DetainerForm::I247D)),
            ),
            (
                case("charged only", Overstay, Removable, vec![], vec!["robbery"]),
                None,
            ),
            (recent, Some(("Priority 2(c)", DetainerForm::I247N))),
            (old, None),
            (final_order, Some(("Priority 3", DetainerForm::I247N))),
        ],
    );
}

#[test]
fn i247a_2017() {
    run(
        "2017-i247a",
        &[
            (
                case(
                    "charged only",
                    Overstay,
                    Removable,
                    vec![],
                    vec!["driving_without_license"],
                ),
                Some(("Charged with any offence", DetainerForm::I247A)),
            ),
            (
                case(
                    "convicted",
                    EnteredWithoutInspection,
                    Removable,
                    vec![conv("vandalism", 0)],
                    vec!["dui"],
                ),
                Some(("Convicted of any offence", DetainerForm::I247A)),
            ),
            (
                case(
                    "lawful resident, no grounds",
                    Lpr,
                    NotRemovable,
                    vec![],
                    vec!["dui"],
                ),
                None,
            ),
            (
                case(
                    "citizen",
                    CitizenByBirth,
                    NotRemovable,
                    vec![],
                    vec!["robbery"],
                ),
                None,
            ),
        ],
    );
}

#[test]
fn predicates_parse_and_reject() {
    assert_eq!(
        Predicate::parse("convicted_misdemeanors>=3"),
        Ok(Predicate::ConvictedMisdemeanorsAtLeast(3))
    );
    assert_eq!(
        Predicate::parse("not prior_removal"),
        Ok(Predicate::Not(Box::new(Predicate::PriorRemoval)))
    );
    assert!(Predicate::parse("level_by_charges=4")
        .unwrap_err()
        .contains("not 1, 2, 3 or nc"));
    assert!(Predicate::parse("removed_since=2014-13-01")
        .unwrap_err()
        .contains("not a date"));
    assert!(Predicate::parse("felon")
        .unwrap_err()
        .contains("unknown predicate"));
    assert!(Predicate::parse("charged_any>=2")
        .unwrap_err()
        .contains("takes no"));
}

#[test]
fn scheme_file_errors_name_the_problem() {
    let bad = "[[scheme]]\nid = \"x\"\ntitle = \"t\"\neffective = \"2010-01-01\"\neligible = [\"removable\"]\nrules = [ { label = \"a\", detainer = \"I-247\", lodge_share = 1.0, all = [\"felon\"] } ]\n";
    let err = Schemes::parse(bad).err().unwrap();
    // The parser's reason is in the text, and said only there.
    assert!(std::error::Error::source(&err).is_none(), "{err:?}");
    let err = err.to_string();
    assert!(
        err.contains("unknown predicate") && err.contains("felon"),
        "{err}"
    );
    let share = bad
        .replace("[\"felon\"]", "[\"removable\"]")
        .replace("1.0", "1.5");
    let err = Schemes::parse(&share).err().unwrap().to_string();
    assert!(err.contains("lodge_share 1.5"), "{err}");
}

#[test]
fn every_builtin_scheme_loads() {
    let ids: Vec<&str> = Schemes::builtin().ids().collect();
    assert_eq!(
        ids,
        vec![
            "2010-levels",
            "2012-detainer-criteria",
            "2014-pep",
            "2017-i247a"
        ]
    );
}

#[test]
fn detainer_policies() {
    use crate::offence::Level;
    assert!(DetainerPolicy::All.honours(false, Level::NonCriminal));
    assert!(!DetainerPolicy::None.honours(true, Level::L1));
    assert!(!DetainerPolicy::JudicialWarrant.honours(false, Level::L1));
    assert!(DetainerPolicy::JudicialWarrant.honours(true, Level::NonCriminal));
    let l = DetainerPolicy::Levels(vec![Level::L1, Level::L2]);
    assert!(l.honours(false, Level::L2) && !l.honours(false, Level::L3));
}
