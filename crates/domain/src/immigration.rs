//! IDENT encounter records and immigration status.

use serde::{Deserialize, Serialize};

use crate::ids::{Fin, SampleRef};
use crate::offence::{Conviction, OffenceFlag};
use crate::time::SimTime;

/// What brought a person's prints into IDENT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EncounterKind {
    /// Visa issuance (State Department enrolment); carries an expiry.
    Visa,
    /// Lawful admission at a port of entry.
    Border,
    /// Apprehension by Border Patrol or ICE.
    Apprehension,
    /// Removal or return.
    Removal,
    /// Grant of lawful permanent residence.
    LprGrant,
    /// Naturalisation: the person is now a US citizen.
    Naturalisation,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Encounter {
    pub kind: EncounterKind,
    pub at: SimTime,
    /// For visas: when the authorised stay ends.
    pub valid_until: Option<SimTime>,
}

/// One IDENT record: a FIN, the prints' sample and the encounters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdentRecord {
    pub fin: Fin,
    pub sample: SampleRef,
    pub encounters: Vec<Encounter>,
}

/// Immigration status, as the truth of a synthetic person or as LESC determined it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    CitizenByBirth,
    Naturalised,
    Lpr,
    VisaHolder,
    Overstay,
    EnteredWithoutInspection,
    PriorRemoval,
    Unknown,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::CitizenByBirth,
        Status::Naturalised,
        Status::Lpr,
        Status::VisaHolder,
        Status::Overstay,
        Status::EnteredWithoutInspection,
        Status::PriorRemoval,
        Status::Unknown,
    ];
    pub fn is_citizen(self) -> bool {
        matches!(self, Status::CitizenByBirth | Status::Naturalised)
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::CitizenByBirth => "citizen by birth",
            Status::Naturalised => "naturalised citizen",
            Status::Lpr => "lawful permanent resident",
            Status::VisaHolder => "visa holder",
            Status::Overstay => "overstay",
            Status::EnteredWithoutInspection => "entered without inspection",
            Status::PriorRemoval => "previously removed",
            Status::Unknown => "unknown",
        }
    }
}

/// Whether a person can be placed in removal proceedings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Removability {
    Removable,
    NotRemovable,
    Undetermined,
}

/// What an IDENT record alone says about status at time `now`: the LESC
/// analyst's starting point. A record that missed a later naturalisation
/// (stale) is read as the status it last showed.
pub fn status_from_record(record: &IdentRecord, now: SimTime) -> Status {
    let has = |k| record.encounters.iter().any(|e| e.kind == k);
    let last_removal = record
        .encounters
        .iter()
        .filter(|e| e.kind == EncounterKind::Removal)
        .map(|e| e.at)
        .max();
    if has(EncounterKind::Naturalisation) {
        return Status::Naturalised;
    }
    if last_removal.is_some() {
        return Status::PriorRemoval;
    }
    if has(EncounterKind::LprGrant) {
        return Status::Lpr;
    }
    let visa_until = record
        .encounters
        .iter()
        .filter(|e| e.kind == EncounterKind::Visa)
        .filter_map(|e| e.valid_until)
        .max();
    match visa_until {
        Some(until) if until >= now => Status::VisaHolder,
        Some(_) => Status::Overstay,
        None if has(EncounterKind::Apprehension) => Status::EnteredWithoutInspection,
        None => Status::Unknown,
    }
}

/// Removability of a person of `status` with these convictions. Lawful
/// residents and visa holders are deportable only on criminal grounds
/// (INA 237(a)(2)): an aggravated felony, a controlled-substance or firearm
/// offence, domestic violence, or two crimes involving moral turpitude.
pub fn removability(status: Status, convictions: &[Conviction]) -> Removability {
    match status {
        Status::CitizenByBirth | Status::Naturalised => Removability::NotRemovable,
        Status::Overstay | Status::EnteredWithoutInspection | Status::PriorRemoval => {
            Removability::Removable
        }
        Status::Unknown => Removability::Undetermined,
        Status::Lpr | Status::VisaHolder => {
            let grounds = [
                OffenceFlag::AggravatedFelony,
                OffenceFlag::Drug,
                OffenceFlag::Firearm,
                OffenceFlag::DomesticViolence,
            ];
            let cimt = convictions
                .iter()
                .filter(|c| c.offence().has(OffenceFlag::Cimt))
                .count();
            if cimt >= 2
                || convictions
                    .iter()
                    .any(|c| grounds.iter().any(|g| c.offence().has(*g)))
            {
                Removability::Removable
            } else {
                Removability::NotRemovable
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Enc = (EncounterKind, i64, Option<i64>);

    fn rec(enc: &[Enc]) -> IdentRecord {
        IdentRecord {
            fin: Fin(1),
            sample: SampleRef(1),
            encounters: enc
                .iter()
                .map(|(k, at, until)| Encounter {
                    kind: *k,
                    at: SimTime(*at),
                    valid_until: until.map(SimTime),
                })
                .collect(),
        }
    }

    #[test]
    fn status_from_record_table() {
        use EncounterKind::*;
        let now = SimTime(1000);
        let table: &[(&[Enc], Status)] = &[
            (&[(Visa, 10, Some(2000))], Status::VisaHolder),
            (&[(Visa, 10, Some(500))], Status::Overstay),
            (
                &[(Apprehension, 10, None)],
                Status::EnteredWithoutInspection,
            ),
            (
                &[(Apprehension, 10, None), (Removal, 20, None)],
                Status::PriorRemoval,
            ),
            (&[(Visa, 10, Some(500)), (LprGrant, 20, None)], Status::Lpr),
            (
                &[(LprGrant, 20, None), (Naturalisation, 30, None)],
                Status::Naturalised,
            ),
            (&[(Border, 10, None)], Status::Unknown),
        ];
        for (enc, want) in table {
            assert_eq!(status_from_record(&rec(enc), now), *want, "{enc:?}");
        }
    }

    #[test]
    fn removability_table() {
        let conv = |k: &str| Conviction {
            kind: k.into(),
            at: SimTime(0),
            sentence_days: 0,
        };
        assert_eq!(
            removability(Status::Naturalised, &[conv("homicide")]),
            Removability::NotRemovable
        );
        assert_eq!(removability(Status::Overstay, &[]), Removability::Removable);
        assert_eq!(removability(Status::Lpr, &[]), Removability::NotRemovable);
        assert_eq!(
            removability(Status::Lpr, &[conv("dui")]),
            Removability::NotRemovable
        );
        assert_eq!(
            removability(Status::Lpr, &[conv("drug_possession")]),
            Removability::Removable
        );
        assert_eq!(
            removability(Status::Lpr, &[conv("petty_theft")]),
            Removability::NotRemovable
        );
        assert_eq!(
            removability(Status::Lpr, &[conv("petty_theft"), conv("fraud")]),
            Removability::Removable
        );
        assert_eq!(
            removability(Status::Unknown, &[]),
            Removability::Undetermined
        );
    }
}
