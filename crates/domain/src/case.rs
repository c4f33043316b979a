//! The hub's record of one booking: each party writes its own part as the
//! booking moves through the flow. Statistics are read from these records.

use serde::{Deserialize, Serialize};

use crate::ids::{BookingId, FbiNumber, Fin, Ori, SampleRef};
use crate::immigration::{Removability, Status};
use crate::message::ImmigrationOutcome;
use crate::offence::{Charge, Conviction, Disposition, Level};
use crate::policy::DetainerForm;
use crate::time::SimTime;

/// Where the person is, as far as the jail is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Custody {
    /// In the jail on the criminal charges.
    Jail,
    /// Held past release on a detainer.
    DetainerHold,
    /// Released by the jail.
    Released,
    /// Handed to ICE.
    Ice,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentOutcome {
    /// County not activated: the FBI did not forward the prints.
    NotForwarded,
    Pending,
    Match,
    NoMatch,
    Error,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetainerRecord {
    pub form: DetainerForm,
    pub priority: String,
    pub judicial_warrant: bool,
    pub issued_at: SimTime,
    /// The jail's answer: None until it decides.
    pub honoured: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IarRecord {
    pub at: SimTime,
    pub fin: Option<Fin>,
    pub status: Status,
    pub removability: Removability,
    pub level_by_charges: Level,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub booking: BookingId,
    pub ori: Ori,
    pub booked_at: SimTime,
    pub sample: SampleRef,
    pub charges: Vec<Charge>,
    // LEA
    pub custody: Custody,
    pub disposition: Option<(SimTime, Disposition)>,
    pub release_due_at: Option<SimTime>,
    pub hold_until: Option<SimTime>,
    pub released_at: Option<SimTime>,
    pub lea_received_idr: bool,
    pub lea_received_iar: bool,
    // FBI
    pub submitted_at: Option<SimTime>,
    pub fbi_number: Option<FbiNumber>,
    pub fbi_ident: bool,
    pub prior_convictions: Vec<Conviction>,
    pub ident: Option<IdentOutcome>,
    pub ident_fins: Vec<Fin>,
    /// Forwarded to IDENT although the county had asked to opt out.
    pub forwarded_despite_opt_out: bool,
    // LESC
    pub iaq_at: Option<SimTime>,
    pub iar: Option<IarRecord>,
    // ICE
    pub priority: Option<String>,
    pub priority_not_met: bool,
    pub detainer: Option<DetainerRecord>,
    pub ice_custody_at: Option<SimTime>,
    pub outcome: Option<(SimTime, ImmigrationOutcome)>,
    /// 2010 level by convictions when the outcome was reached (ICE counted removals so).
    pub level_at_outcome: Option<Level>,
}

impl Case {
    pub fn new(
        booking: BookingId,
        ori: Ori,
        booked_at: SimTime,
        sample: SampleRef,
        charges: Vec<Charge>,
    ) -> Case {
        Case {
            booking,
            ori,
            booked_at,
            sample,
            charges,
            custody: Custody::Jail,
            disposition: None,
            release_due_at: None,
            hold_until: None,
            released_at: None,
            lea_received_idr: false,
            lea_received_iar: false,
            submitted_at: None,
            fbi_number: None,
            fbi_ident: false,
            prior_convictions: Vec::new(),
            ident: None,
            ident_fins: Vec::new(),
            forwarded_despite_opt_out: false,
            iaq_at: None,
            iar: None,
            priority: None,
            priority_not_met: false,
            detainer: None,
            ice_custody_at: None,
            outcome: None,
            level_at_outcome: None,
        }
    }

    /// Convictions known at `t`: prior history plus this case's, if disposed by then.
    pub fn convictions_at(&self, t: SimTime) -> Vec<Conviction> {
        let mut all = self.prior_convictions.clone();
        if let Some((at, Disposition::Convicted { sentence_days })) = self.disposition {
            if at <= t {
                for c in &self.charges {
                    all.push(Conviction {
                        kind: c.kind.clone(),
                        at,
                        sentence_days,
                    });
                }
            }
        }
        all
    }

    /// Hours the person was held past the legal end of a detainer hold.
    pub fn hours_past_hold(&self) -> Option<f64> {
        let until = self.hold_until?;
        let end = self.released_at.or(self.ice_custody_at)?;
        (end > until).then(|| end.hours_since(until))
    }
}
