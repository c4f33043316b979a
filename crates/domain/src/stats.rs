//! The monthly IDENT/IAFIS Interoperability Statistics, per month, state and
//! county, in the columns ICE published, plus the figures only ground truth
//! gives (US citizens matched and detained, stale-record and false matches).

use serde::Serialize;
use std::collections::BTreeMap;

use crate::case::{Case, IdentOutcome};
use crate::ids::{FbiNumber, Fin, SampleRef};
use crate::immigration::Status;
use crate::message::ImmigrationOutcome;
use crate::offence::{level_2010, Level};
use crate::time::SimTime;

/// Ground truth about the person behind a sample (the simulator knows it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Truth {
    pub status: Status,
    /// IDENT's record misses the person's naturalisation.
    pub stale_record: bool,
}

/// What only the simulator knows: who each person, record and FBI subject
/// really is. The report's ground-truth columns come from it.
pub trait GroundTruth {
    /// The person behind a sample.
    fn person(&self, sample: SampleRef) -> Option<Truth>;
    /// Whose IDENT record this is.
    fn record_sample(&self, fin: Fin) -> Option<SampleRef>;
    /// Whose FBI identity this is.
    fn subject_sample(&self, fbi: FbiNumber) -> Option<SampleRef>;
    /// Whether the person held an FBI identity before `at` (enrolled before
    /// the run, or at an earlier booking).
    fn had_fbi_record(&self, sample: SampleRef, at: SimTime) -> bool;
    /// Whether IDENT holds a record of the person.
    fn has_ident_record(&self, sample: SampleRef) -> bool;
}

/// Counts by the four 2010 levels, in the order L1, L2, L3, non-criminal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ByLevel {
    pub l1: u64,
    pub l2: u64,
    pub l3: u64,
    pub nc: u64,
}

impl ByLevel {
    pub fn add(&mut self, l: Level) {
        match l {
            Level::L1 => self.l1 += 1,
            Level::L2 => self.l2 += 1,
            Level::L3 => self.l3 += 1,
            Level::NonCriminal => self.nc += 1,
        }
    }
    pub fn total(&self) -> u64 {
        self.l1 + self.l2 + self.l3 + self.nc
    }
    fn merge(&mut self, o: &ByLevel) {
        self.l1 += o.l1;
        self.l2 += o.l2;
        self.l3 += o.l3;
        self.nc += o.nc;
    }
}

/// One row of the statistics.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Row {
    pub month: String,
    pub state: String,
    pub county: String,
    pub ori: String,
    /// Fingerprint submissions from the county.
    pub submissions: u64,
    /// Submissions the FBI forwarded to IDENT (county activated).
    pub forwarded_to_ident: u64,
    /// ... of which the county had asked to opt out.
    pub forwarded_despite_opt_out: u64,
    /// IDENT matches, by 2010 level of charges and convictions at match.
    pub ident_matches: ByLevel,
    /// ICE arrests / book-ins through Secure Communities, by level of convictions at book-in.
    pub ice_book_ins: ByLevel,
    /// Removals and returns, by level of convictions at removal (as ICE counted them).
    pub removals: ByLevel,
    pub detainers_issued: u64,
    pub detainers_honoured: u64,
    pub detainers_declined: u64,
    /// Holds that lasted past their legal end (48 hours excluding weekends and holidays).
    pub holds_past_48h: u64,
    // From ground truth.
    pub us_citizens_matched: u64,
    pub us_citizens_detained: u64,
    pub stale_record_matches: u64,
    /// IDENT matches to a record of someone else.
    pub false_biometric_matches: u64,
    /// IDENT searches that found nothing although IDENT held the person.
    pub ident_misses: u64,
    /// FBI identifications of someone else's identity.
    pub fbi_false_matches: u64,
    /// FBI non-idents of a person who already had an FBI identity (a duplicate identity is created).
    pub fbi_misses: u64,
    pub us_citizens_in_ice_custody: u64,
    pub us_citizens_with_detainers: u64,
    /// Median hours from booking to IAR (None where no IAR).
    pub median_hours_booking_to_iar: Option<f64>,
    /// Hours from booking to IAR of each match (the median's input).
    #[serde(skip)]
    pub iar_hours: Vec<f64>,
}

impl Row {
    fn merge(&mut self, o: &Row) {
        self.submissions += o.submissions;
        self.forwarded_to_ident += o.forwarded_to_ident;
        self.forwarded_despite_opt_out += o.forwarded_despite_opt_out;
        self.ident_matches.merge(&o.ident_matches);
        self.ice_book_ins.merge(&o.ice_book_ins);
        self.removals.merge(&o.removals);
        self.detainers_issued += o.detainers_issued;
        self.detainers_honoured += o.detainers_honoured;
        self.detainers_declined += o.detainers_declined;
        self.holds_past_48h += o.holds_past_48h;
        self.us_citizens_matched += o.us_citizens_matched;
        self.us_citizens_detained += o.us_citizens_detained;
        self.stale_record_matches += o.stale_record_matches;
        self.false_biometric_matches += o.false_biometric_matches;
        self.ident_misses += o.ident_misses;
        self.fbi_false_matches += o.fbi_false_matches;
        self.fbi_misses += o.fbi_misses;
        self.us_citizens_in_ice_custody += o.us_citizens_in_ice_custody;
        self.us_citizens_with_detainers += o.us_citizens_with_detainers;
        self.iar_hours.extend_from_slice(&o.iar_hours);
    }
    fn finish(&mut self) {
        self.iar_hours.sort_by(f64::total_cmp);
        let n = self.iar_hours.len();
        self.median_hours_booking_to_iar = (n > 0).then(|| {
            let v = if n % 2 == 1 {
                self.iar_hours[n / 2]
            } else {
                (self.iar_hours[n / 2 - 1] + self.iar_hours[n / 2]) / 2.0
            };
            (v * 100.0).round() / 100.0
        });
    }
}

/// The whole report: rows per (month, state, county) and the national totals.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub rows: Vec<Row>,
    pub total: Row,
    pub summary: Summary,
}

/// Headline proportions, comparable with the published anchors.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Summary {
    pub removals: u64,
    pub removals_non_criminal_share: f64,
    pub removals_non_criminal_or_level3_share: f64,
    pub ice_book_ins: u64,
    pub us_citizens_share_of_ice_book_ins: f64,
    pub detainers_issued: u64,
    pub us_citizens_with_detainers: u64,
}

fn share(n: u64, d: u64) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

/// Compute the report. `county` names a jurisdiction by ORI; `truth` is the
/// simulator's ground truth.
pub fn report<'a>(
    cases: impl IntoIterator<Item = &'a Case>,
    county: impl Fn(&str) -> String,
    truth: &dyn GroundTruth,
) -> Report {
    let mut rows: BTreeMap<(String, String), Row> = BTreeMap::new();
    fn row_of<'r>(
        rows: &'r mut BTreeMap<(String, String), Row>,
        county: &dyn Fn(&str) -> String,
        t: SimTime,
        ori: &str,
    ) -> &'r mut Row {
        rows.entry((t.month(), ori.to_string()))
            .or_insert_with(|| Row {
                month: t.month(),
                state: ori[..2].to_string(),
                county: county(ori),
                ori: ori.to_string(),
                ..Row::default()
            })
    }
    macro_rules! row {
        ($t:expr, $ori:expr) => {
            row_of(&mut rows, &county, $t, $ori)
        };
    }
    for c in cases {
        let ori = c.ori.as_str();
        let t = truth.person(c.sample);
        let citizen = t.is_some_and(|t| t.status.is_citizen());
        let Some(submitted) = c.submitted_at else {
            continue;
        };
        let r = row!(submitted, ori);
        r.submissions += 1;
        r.forwarded_to_ident += !matches!(c.ident, Some(IdentOutcome::NotForwarded) | None) as u64;
        r.forwarded_despite_opt_out += c.forwarded_despite_opt_out as u64;
        match c.fbi_number {
            Some(f) if c.fbi_ident => {
                r.fbi_false_matches += (truth.subject_sample(f) != Some(c.sample)) as u64;
            }
            _ => r.fbi_misses += truth.had_fbi_record(c.sample, c.booked_at) as u64,
        }
        if c.ident == Some(IdentOutcome::NoMatch) {
            r.ident_misses += truth.has_ident_record(c.sample) as u64;
        }
        if c.ident == Some(IdentOutcome::Match) {
            let false_match = !c
                .ident_fins
                .iter()
                .any(|f| truth.record_sample(*f) == Some(c.sample));
            if let Some(iar) = &c.iar {
                r.ident_matches.add(iar.level_by_charges);
                r.iar_hours.push(iar.at.hours_since(c.booked_at));
            }
            r.us_citizens_matched += citizen as u64;
            r.false_biometric_matches += false_match as u64;
            r.stale_record_matches += (!false_match && t.is_some_and(|t| t.stale_record)) as u64;
        }
        if let Some(d) = &c.detainer {
            let r = row!(d.issued_at, ori);
            r.detainers_issued += 1;
            r.detainers_honoured += (d.honoured == Some(true)) as u64;
            r.detainers_declined += (d.honoured == Some(false)) as u64;
            r.us_citizens_with_detainers += citizen as u64;
        }
        if let (Some(until), Some(_)) = (c.hold_until, c.hours_past_hold()) {
            row!(until, ori).holds_past_48h += 1;
        }
        if let Some(at) = c.hold_until.or(c.ice_custody_at) {
            row!(at, ori).us_citizens_detained += citizen as u64;
        }
        if let Some(at) = c.ice_custody_at {
            let r = row!(at, ori);
            r.ice_book_ins
                .add(level_2010(c.convictions_at(at).iter().map(|c| c.offence())));
            r.us_citizens_in_ice_custody += citizen as u64;
        }
        if let (Some((at, ImmigrationOutcome::Removed)), Some(level)) =
            (c.outcome, c.level_at_outcome)
        {
            row!(at, ori).removals.add(level);
        }
    }
    let mut total = Row {
        month: "all".into(),
        state: "all".into(),
        county: "all".into(),
        ori: "all".into(),
        ..Row::default()
    };
    let mut rows: Vec<Row> = rows.into_values().collect();
    for r in &mut rows {
        total.merge(r);
        r.finish();
    }
    total.finish();
    let removals = total.removals.total();
    let summary = Summary {
        removals,
        removals_non_criminal_share: share(total.removals.nc, removals),
        removals_non_criminal_or_level3_share: share(
            total.removals.nc + total.removals.l3,
            removals,
        ),
        ice_book_ins: total.ice_book_ins.total(),
        us_citizens_share_of_ice_book_ins: share(
            total.us_citizens_in_ice_custody,
            total.ice_book_ins.total(),
        ),
        detainers_issued: total.detainers_issued,
        us_citizens_with_detainers: total.us_citizens_with_detainers,
    };
    Report {
        rows,
        total,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{DetainerRecord, IarRecord};
    use crate::ids::{BookingId, FbiNumber, Ori};
    use crate::immigration::Removability;
    use crate::offence::{Charge, Disposition};
    use crate::policy::DetainerForm;
    use crate::time::{DAY, HOUR};
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32) -> SimTime {
        SimTime::from_date(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    fn case(id: u64, ori: &str, sample: u64, booked: SimTime) -> Case {
        let mut c = Case::new(
            BookingId(id),
            Ori::new(ori).unwrap(),
            booked,
            SampleRef(sample),
            vec![Charge { kind: "dui".into() }],
        );
        c.submitted_at = Some(booked.plus(HOUR));
        c.fbi_number = Some(FbiNumber(id));
        c.ident = Some(IdentOutcome::NoMatch);
        c
    }

    fn matched(c: &mut Case, fin: u64, status: Status, level: Level) {
        c.ident = Some(IdentOutcome::Match);
        c.ident_fins = vec![Fin(fin)];
        c.iar = Some(IarRecord {
            at: c.booked_at.plus(3 * HOUR),
            fin: Some(Fin(fin)),
            status,
            removability: Removability::Removable,
            level_by_charges: level,
        });
    }

    #[test]
    fn every_column_counts_what_it_says() {
        let oct = at(2010, 10, 5);
        // 1: not forwarded. 2: no match. 3: overstay matched, detained, removed after a conviction
        // in November. 4: naturalised citizen with a stale record, detainer declined. 5: citizen
        // by birth falsely matched to someone else's record, held past 48 hours, then in ICE custody.
        let mut c1 = case(1, "TX2270000", 1, oct);
        c1.ident = Some(IdentOutcome::NotForwarded);
        c1.fbi_ident = true; // to FBI number 1, someone else's (see Known)
        let c2 = case(2, "TX2270000", 2, oct);
        let mut c3 = case(3, "TX2270000", 3, oct);
        matched(&mut c3, 3, Status::Overstay, Level::L3);
        c3.detainer = Some(DetainerRecord {
            form: DetainerForm::I247,
            priority: "Level 3".into(),
            judicial_warrant: false,
            issued_at: oct.plus(5 * HOUR),
            honoured: Some(true),
        });
        c3.hold_until = Some(oct.plus(4 * DAY));
        c3.ice_custody_at = Some(oct.plus(3 * DAY));
        c3.disposition = Some((at(2010, 11, 2), Disposition::Convicted { sentence_days: 0 }));
        c3.outcome = Some((
            at(2010, 11, 20),
            crate::message::ImmigrationOutcome::Removed,
        ));
        c3.level_at_outcome = Some(Level::L3);
        let mut c4 = case(4, "CA0190000", 4, oct);
        matched(&mut c4, 4, Status::Lpr, Level::L2);
        c4.detainer = Some(DetainerRecord {
            form: DetainerForm::I247,
            priority: "Level 2".into(),
            judicial_warrant: false,
            issued_at: oct.plus(5 * HOUR),
            honoured: Some(false),
        });
        let mut c5 = case(5, "CA0190000", 5, oct);
        matched(&mut c5, 99, Status::Overstay, Level::L3);
        c5.detainer = Some(DetainerRecord {
            form: DetainerForm::I247,
            priority: "Level 3".into(),
            judicial_warrant: false,
            issued_at: oct.plus(5 * HOUR),
            honoured: Some(true),
        });
        c5.hold_until = Some(oct.plus(2 * DAY));
        c5.ice_custody_at = Some(oct.plus(2 * DAY + 5 * HOUR));
        struct Known;
        impl GroundTruth for Known {
            fn person(&self, s: SampleRef) -> Option<Truth> {
                person(s)
            }
            fn record_sample(&self, f: Fin) -> Option<SampleRef> {
                Some(SampleRef(if f.0 == 99 { 42 } else { f.0 }))
            }
            // Case 1's FBI identity is someone else's; person 2 had one before October.
            fn subject_sample(&self, f: FbiNumber) -> Option<SampleRef> {
                Some(SampleRef(if f.0 == 1 { 77 } else { f.0 }))
            }
            fn had_fbi_record(&self, s: SampleRef, at: SimTime) -> bool {
                s.0 == 2 && at >= SimTime::from_date(NaiveDate::from_ymd_opt(2010, 10, 1).unwrap())
            }
            // IDENT holds person 2, who is not found.
            fn has_ident_record(&self, s: SampleRef) -> bool {
                s.0 == 2 || s.0 == 3 || s.0 == 4
            }
        }
        fn person(s: SampleRef) -> Option<Truth> {
            Some(match s.0 {
                4 => Truth {
                    status: Status::Naturalised,
                    stale_record: true,
                },
                5 | 1 | 2 => Truth {
                    status: Status::CitizenByBirth,
                    stale_record: false,
                },
                _ => Truth {
                    status: Status::Overstay,
                    stale_record: false,
                },
            })
        }
        let cases = [c1, c2, c3, c4, c5];
        let r = report(
            &cases,
            |ori| {
                if ori.starts_with("TX") {
                    "Travis".into()
                } else {
                    "Fresno".into()
                }
            },
            &Known,
        );
        let t = &r.total;
        assert_eq!((t.submissions, t.forwarded_to_ident), (5, 4));
        assert_eq!(
            t.ident_matches,
            ByLevel {
                l1: 0,
                l2: 1,
                l3: 2,
                nc: 0
            }
        );
        assert_eq!(
            (
                t.detainers_issued,
                t.detainers_honoured,
                t.detainers_declined
            ),
            (3, 2, 1)
        );
        assert_eq!(
            t.holds_past_48h, 1,
            "case 5 handed over 5 h after its hold ended"
        );
        assert_eq!(
            t.ice_book_ins,
            ByLevel {
                l1: 0,
                l2: 0,
                l3: 0,
                nc: 2
            },
            "no conviction at book-in"
        );
        assert_eq!(
            t.removals,
            ByLevel {
                l1: 0,
                l2: 0,
                l3: 1,
                nc: 0
            }
        );
        assert_eq!(
            (
                t.us_citizens_matched,
                t.us_citizens_with_detainers,
                t.us_citizens_detained,
                t.us_citizens_in_ice_custody
            ),
            (2, 2, 1, 1)
        );
        assert_eq!((t.stale_record_matches, t.false_biometric_matches), (1, 1));
        assert_eq!(
            (t.ident_misses, t.fbi_false_matches, t.fbi_misses),
            (1, 1, 1),
            "person 2 missed by IDENT and by the FBI; case 1 identified as someone else"
        );
        assert_eq!(t.median_hours_booking_to_iar, Some(3.0));
        // Rows: October per county; the removal lands in November.
        let months: Vec<(&str, &str)> = r
            .rows
            .iter()
            .map(|r| (r.month.as_str(), r.county.as_str()))
            .collect();
        assert_eq!(
            months,
            vec![
                ("2010-10", "Fresno"),
                ("2010-10", "Travis"),
                ("2010-11", "Travis")
            ]
        );
        assert_eq!(r.rows[2].removals.total(), 1);
        assert_eq!(r.summary.removals, 1);
        assert_eq!(r.summary.us_citizens_share_of_ice_book_ins, 0.5);
    }
}
