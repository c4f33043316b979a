//! The synthetic population: who each person truly is, what IDENT and the
//! FBI hold on them before the scenario starts. A pure function of the
//! scenario and the seed.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use scomm_domain::agency::Subject;
use scomm_domain::ids::{FbiNumber, Fin, SampleRef};
use scomm_domain::immigration::{Encounter, EncounterKind, IdentRecord, Status};
use scomm_domain::message::{Biographic, Sex};
use scomm_domain::offence::{Catalogue, Conviction};
use scomm_domain::stats::Truth;
use scomm_domain::time::{SimTime, DAY};
use scomm_domain::Dice;

use crate::scenario::Scenario;

/// One synthetic person: ground truth and biographic data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub sample: u64,
    pub county: u32,
    pub status: Status,
    pub stale_record: bool,
    pub person: Biographic,
    pub fin: Option<u64>,
    pub fbi_number: Option<u64>,
}

impl Person {
    pub fn truth(&self) -> Truth {
        Truth {
            status: self.status,
            stale_record: self.stale_record,
        }
    }
    pub fn stored(&self) -> StoredTruth {
        StoredTruth {
            county: self.county,
            status: self.status,
            stale_record: self.stale_record,
        }
    }
}

/// What the `person` table keeps of a person: the truth the statistics
/// compare against (biographic data travels in the bookings themselves).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredTruth {
    pub county: u32,
    pub status: Status,
    pub stale_record: bool,
}

pub struct Population {
    pub people: Vec<Person>,
    /// First sample of each county, and one past the last.
    pub county_ranges: Vec<(u64, u64)>,
    pub ident_records: Vec<IdentRecord>,
    pub subjects: Vec<Subject>,
}

const GIVEN: &[&str] = &[
    "Alex", "Maria", "Jose", "Linda", "James", "Ana", "Wei", "Fatima", "John", "Rosa", "David",
    "Mei", "Carlos", "Sara", "Ahmed", "Grace", "Luis", "Elena", "Michael", "Nguyen",
];
const FAMILY: &[&str] = &[
    "Smith",
    "Garcia",
    "Johnson",
    "Hernandez",
    "Lee",
    "Martinez",
    "Brown",
    "Lopez",
    "Tran",
    "Gonzalez",
    "Davis",
    "Rodriguez",
    "Khan",
    "Wilson",
    "Perez",
    "Kim",
    "Moore",
    "Sanchez",
    "Chen",
    "Ramirez",
];
const ABROAD: &[&str] = &[
    "MX", "GT", "SV", "HN", "IN", "CN", "PH", "VN", "DO", "CU", "KR", "NG",
];

impl Population {
    pub fn generate(sc: &Scenario, dice: &Dice) -> Population {
        let p = &sc.population;
        let start = SimTime::from_date(sc.scenario.start);
        let year = 365 * DAY;
        let statuses = [
            (Status::CitizenByBirth, p.citizen_by_birth),
            (Status::Naturalised, p.naturalised),
            (Status::Lpr, p.lpr),
            (Status::VisaHolder, p.visa_holder),
            (Status::Overstay, p.overstay),
            (
                Status::EnteredWithoutInspection,
                p.entered_without_inspection,
            ),
            (Status::PriorRemoval, p.prior_removal),
        ];
        let weights: Vec<f64> = statuses.iter().map(|s| s.1).collect();
        let mix: Vec<(&str, f64)> = sc
            .arrests
            .charge_mix
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        let mix_w: Vec<f64> = mix.iter().map(|m| m.1).collect();
        let cat = Catalogue::builtin();
        let mut people = Vec::new();
        let mut ranges = Vec::new();
        let mut records = Vec::new();
        let mut subjects = Vec::new();
        let mut sample = 0u64;
        for (ci, county) in sc.counties().enumerate() {
            let n = county.people.unwrap_or(p.people_per_county) as u64;
            ranges.push((sample + 1, sample + 1 + n));
            for _ in 0..n {
                sample += 1;
                let s = sample;
                let status = statuses[dice.weighted("status", s, 0, &weights)].0;
                let stale =
                    status == Status::Naturalised && dice.chance("stale", s, p.stale_record_share);
                let key = status_key(status);
                let in_ident = status != Status::CitizenByBirth
                    && dice.chance("in_ident", s, p.in_ident.get(key).copied().unwrap_or(0.0));
                let years = |i: u64, lo: f64, hi: f64| {
                    ((lo + (hi - lo) * dice.unit("years", s, i)) * year as f64) as i64
                };
                let at = |offset: i64| SimTime(start.0 - offset);
                let fin = in_ident.then(|| {
                    let enc = |kind, t: SimTime, until: Option<SimTime>| Encounter {
                        kind,
                        at: t,
                        valid_until: until,
                    };
                    let mut e = Vec::new();
                    match status {
                        Status::Naturalised => {
                            e.push(enc(EncounterKind::Visa, at(years(1, 12.0, 20.0)), None));
                            e.push(enc(EncounterKind::LprGrant, at(years(2, 6.0, 11.0)), None));
                            if !stale {
                                e.push(enc(
                                    EncounterKind::Naturalisation,
                                    at(years(3, 0.5, 5.0)),
                                    None,
                                ));
                            }
                        }
                        Status::Lpr => {
                            e.push(enc(EncounterKind::Visa, at(years(1, 8.0, 15.0)), None));
                            e.push(enc(EncounterKind::LprGrant, at(years(2, 0.5, 7.0)), None));
                        }
                        Status::VisaHolder => {
                            let issued = at(years(1, 0.1, 2.0));
                            e.push(enc(
                                EncounterKind::Visa,
                                issued,
                                Some(SimTime(start.0 + years(2, 0.5, 3.0))),
                            ));
                        }
                        Status::Overstay => {
                            let until = at(years(2, 0.2, 6.0));
                            e.push(enc(
                                EncounterKind::Visa,
                                SimTime(until.0 - year),
                                Some(until),
                            ));
                        }
                        Status::EnteredWithoutInspection => {
                            e.push(enc(
                                EncounterKind::Apprehension,
                                at(years(1, 0.1, 10.0)),
                                None,
                            ));
                        }
                        Status::PriorRemoval => {
                            let removed = at(years(2, 0.5, 8.0));
                            e.push(enc(
                                EncounterKind::Apprehension,
                                SimTime(removed.0 - 30 * DAY),
                                None,
                            ));
                            e.push(enc(EncounterKind::Removal, removed, None));
                        }
                        Status::CitizenByBirth | Status::Unknown => {}
                    }
                    records.push(IdentRecord {
                        fin: Fin(s),
                        sample: SampleRef(s),
                        encounters: e,
                    });
                    s
                });
                let fbi_number = dice
                    .chance("prior_record", s, p.prior_record_share)
                    .then(|| {
                        let n = 1 + dice
                            .exponential(
                                "prior_count",
                                s,
                                0,
                                (p.prior_convictions_mean - 1.0).max(0.0),
                            )
                            .floor() as u64;
                        let convictions = (0..n)
                            .map(|i| {
                                let kind = mix[dice.weighted("prior_kind", s, i, &mix_w)].0;
                                let o = cat.offence(kind);
                                let days = if o.felony {
                                    365
                                } else {
                                    10 * dice.below("prior_sentence", s, i, 12) as u32
                                };
                                Conviction {
                                    kind: kind.to_string(),
                                    at: at(years(10 + i, 0.5, 10.0)),
                                    sentence_days: days,
                                }
                            })
                            .collect();
                        subjects.push(Subject {
                            fbi_number: FbiNumber(s),
                            sample: SampleRef(s),
                            convictions,
                            arrests: vec![],
                        });
                        s
                    });
                let foreign = status != Status::CitizenByBirth;
                let person = Biographic {
                    name: format!(
                        "{} {}",
                        GIVEN[dice.below("given", s, 0, GIVEN.len() as u64) as usize],
                        FAMILY[dice.below("family", s, 0, FAMILY.len() as u64) as usize]
                    ),
                    date_of_birth: sc.scenario.start
                        - Duration::days(365 * 18 + dice.below("age", s, 0, 365 * 50) as i64),
                    sex: if dice.chance("sex", s, 0.8) {
                        Sex::M
                    } else {
                        Sex::F
                    },
                    place_of_birth: if foreign {
                        ABROAD[dice.below("pob", s, 0, ABROAD.len() as u64) as usize].to_string()
                    } else {
                        county.ori.state().as_str().to_string()
                    },
                };
                people.push(Person {
                    sample: s,
                    county: ci as u32,
                    status,
                    stale_record: stale,
                    person,
                    fin,
                    fbi_number,
                });
            }
        }
        Population {
            people,
            county_ranges: ranges,
            ident_records: records,
            subjects,
        }
    }

    pub fn person(&self, sample: SampleRef) -> Option<&Person> {
        sample
            .0
            .checked_sub(1)
            .and_then(|i| self.people.get(i as usize))
    }
}

pub fn status_key(s: Status) -> &'static str {
    match s {
        Status::CitizenByBirth => "citizen_by_birth",
        Status::Naturalised => "naturalised",
        Status::Lpr => "lpr",
        Status::VisaHolder => "visa_holder",
        Status::Overstay => "overstay",
        Status::EnteredWithoutInspection => "entered_without_inspection",
        Status::PriorRemoval => "prior_removal",
        Status::Unknown => "unknown",
    }
}

/// Midnight of scenario day `day`.
pub fn day_start(start: NaiveDate, day: u32) -> SimTime {
    SimTime::from_date(start).plus(day as i64 * DAY)
}
