//! The monthly IDENT/IAFIS Interoperability Statistics, per month, state and
//! county, in the columns ICE published, plus the figures only ground truth
//! gives (US citizens matched and detained, stale-record and false matches).

use serde::Serialize;
use std::collections::BTreeMap;

use crate::case::{Case, IdentOutcome};
use crate::ids::{Fin, SampleRef};
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
    pub false_biometric_matches: u64,
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

/// Compute the report. `county` names a jurisdiction by ORI; `truth` and
/// `record_sample` come from the simulator's ground truth.
pub fn report<'a>(
    cases: impl IntoIterator<Item = &'a Case>,
    county: impl Fn(&str) -> String,
    truth: impl Fn(SampleRef) -> Option<Truth>,
    record_sample: impl Fn(Fin) -> Option<SampleRef>,
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
        let t = truth(c.sample);
        let citizen = t.is_some_and(|t| t.status.is_citizen());
        let Some(submitted) = c.submitted_at else {
            continue;
        };
        let r = row!(submitted, ori);
        r.submissions += 1;
        r.forwarded_to_ident += !matches!(c.ident, Some(IdentOutcome::NotForwarded) | None) as u64;
        r.forwarded_despite_opt_out += c.forwarded_despite_opt_out as u64;
        if c.ident == Some(IdentOutcome::Match) {
            let false_match = !c
                .ident_fins
                .iter()
                .any(|f| record_sample(*f) == Some(c.sample));
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
