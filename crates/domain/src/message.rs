//! Every message that passes between the parties of the flow.

use serde::{Deserialize, Serialize};

use crate::ids::{BookingId, FbiNumber, Fin, Ori, SampleRef};
use crate::immigration::{IdentRecord, Removability, Status};
use crate::offence::{Charge, Conviction, Disposition, Level};
use crate::policy::DetainerForm;
use crate::time::SimTime;

/// The parties. `World` is everything outside the system: the criminal and
/// immigration courts and the simulator's calendar; the simulator plays it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Party {
    Lea,
    Sib,
    Fbi,
    Ident,
    Lesc,
    Ice,
    World,
}

impl Party {
    pub const ALL: [Party; 7] = [
        Party::Lea,
        Party::Sib,
        Party::Fbi,
        Party::Ident,
        Party::Lesc,
        Party::Ice,
        Party::World,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Party::Lea => "LEA",
            Party::Sib => "SIB",
            Party::Fbi => "FBI",
            Party::Ident => "IDENT",
            Party::Lesc => "LESC",
            Party::Ice => "ICE",
            Party::World => "WORLD",
        }
    }
    pub fn from_name(s: &str) -> Option<Party> {
        Party::ALL.into_iter().find(|p| p.name() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    M,
    F,
}

/// Biographic data on a booking (synthetic).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Biographic {
    pub name: String,
    pub date_of_birth: chrono::NaiveDate,
    pub sex: Sex,
    pub place_of_birth: String,
}

/// A jail booking: arrest, charges and the ten prints' sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Booking {
    pub id: BookingId,
    pub ori: Ori,
    pub booked_at: SimTime,
    pub person: Biographic,
    pub charges: Vec<Charge>,
    pub sample: SampleRef,
}

/// What IDENT answered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum IdentResult {
    Match(Vec<IdentRecord>),
    NoMatch,
    Error(String),
}

/// Where a custody in ICE's hands ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImmigrationOutcome {
    /// Ordered removed (or returned) and removed.
    Removed,
    /// Relief granted (cancellation of removal, adjustment, asylum...).
    Relief,
    /// Released: proceedings terminated, e.g. US citizenship established.
    Released,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Message {
    /// WORLD -> WORLD: generate the arrests of a simulated day.
    DayTick { day: u32 },
    /// WORLD -> LEA: an arrestee is booked.
    Arrest(Booking),
    /// LEA -> WORLD: the criminal case is filed with the court.
    CourtFiling { booking: BookingId },
    /// WORLD -> LEA: the criminal court disposed of the charges.
    CourtDisposition {
        booking: BookingId,
        disposition: Disposition,
    },
    /// WORLD -> LEA: the person is due for release from criminal custody (bail, sentence served, dismissal).
    ReleaseDue { booking: BookingId },
    /// LEA -> SIB -> FBI: criminal tenprint submission (EBTS TOT CAR).
    TenprintSubmission {
        booking: BookingId,
        ori: Ori,
        charges: Vec<Charge>,
        sample: SampleRef,
    },
    /// FBI -> SIB -> LEA: the submission results (SRE) with criminal history.
    CriminalResponse {
        booking: BookingId,
        fbi_number: FbiNumber,
        ident: bool,
        convictions: Vec<Conviction>,
    },
    /// LEA -> SIB -> FBI: a disposition for the criminal-history record.
    DispositionReport {
        booking: BookingId,
        disposition: Disposition,
    },
    /// FBI -> IDENT: search of the same prints (activated counties only).
    IdentSearch {
        booking: BookingId,
        sample: SampleRef,
    },
    /// IDENT -> FBI.
    IdentResponse {
        booking: BookingId,
        result: IdentResult,
    },
    /// FBI -> SIB -> LEA: IDENT Data Response (only where the state receives them).
    Idr { booking: BookingId, matched: bool },
    /// FBI -> LESC: Immigration Alien Query.
    Iaq {
        booking: BookingId,
        ori: Ori,
        fbi_number: FbiNumber,
        charges: Vec<Charge>,
        convictions: Vec<Conviction>,
        records: Vec<IdentRecord>,
    },
    /// LESC -> ICE (and SIB -> LEA where received): Immigration Alien Response.
    Iar {
        booking: BookingId,
        fin: Option<Fin>,
        status: Status,
        removability: Removability,
        level_by_charges: Level,
    },
    /// ICE -> LEA: immigration detainer.
    Detainer {
        booking: BookingId,
        form: DetainerForm,
        priority: String,
        judicial_warrant: bool,
    },
    /// LEA -> ICE: whether the jail will honour it.
    DetainerDecision { booking: BookingId, honoured: bool },
    /// LEA -> ICE: release is imminent; with a hold, until when ICE may collect.
    ReleaseNotice {
        booking: BookingId,
        hold_until: Option<SimTime>,
    },
    /// ICE -> LEA: officers arrive to take custody.
    Pickup { booking: BookingId },
    /// LEA -> LEA: the 48-hour hold ends.
    HoldExpired { booking: BookingId },
    /// LEA -> ICE: the person was handed over (or was already gone).
    CustodyTransfer {
        booking: BookingId,
        transferred: bool,
    },
    /// ICE -> WORLD: the person is placed in removal proceedings.
    NoticeToAppear { booking: BookingId },
    /// WORLD -> ICE: the immigration court's and ICE's final outcome.
    ProceedingsConcluded {
        booking: BookingId,
        outcome: ImmigrationOutcome,
    },
}

impl Message {
    pub fn kind(&self) -> &'static str {
        match self {
            Message::DayTick { .. } => "day_tick",
            Message::Arrest(_) => "arrest",
            Message::CourtFiling { .. } => "court_filing",
            Message::CourtDisposition { .. } => "court_disposition",
            Message::ReleaseDue { .. } => "release_due",
            Message::TenprintSubmission { .. } => "tenprint_submission",
            Message::CriminalResponse { .. } => "criminal_response",
            Message::DispositionReport { .. } => "disposition_report",
            Message::IdentSearch { .. } => "ident_search",
            Message::IdentResponse { .. } => "ident_response",
            Message::Idr { .. } => "idr",
            Message::Iaq { .. } => "iaq",
            Message::Iar { .. } => "iar",
            Message::Detainer { .. } => "detainer",
            Message::DetainerDecision { .. } => "detainer_decision",
            Message::ReleaseNotice { .. } => "release_notice",
            Message::Pickup { .. } => "pickup",
            Message::HoldExpired { .. } => "hold_expired",
            Message::CustodyTransfer { .. } => "custody_transfer",
            Message::NoticeToAppear { .. } => "notice_to_appear",
            Message::ProceedingsConcluded { .. } => "proceedings_concluded",
        }
    }

    /// The booking a message belongs to, if any.
    pub fn booking(&self) -> Option<BookingId> {
        use Message::*;
        match self {
            DayTick { .. } => None,
            Arrest(b) => Some(b.id),
            CourtFiling { booking }
            | CourtDisposition { booking, .. }
            | ReleaseDue { booking }
            | TenprintSubmission { booking, .. }
            | CriminalResponse { booking, .. }
            | DispositionReport { booking, .. }
            | IdentSearch { booking, .. }
            | IdentResponse { booking, .. }
            | Idr { booking, .. }
            | Iaq { booking, .. }
            | Iar { booking, .. }
            | Detainer { booking, .. }
            | DetainerDecision { booking, .. }
            | ReleaseNotice { booking, .. }
            | Pickup { booking }
            | HoldExpired { booking }
            | CustodyTransfer { booking, .. }
            | NoticeToAppear { booking }
            | ProceedingsConcluded { booking, .. } => Some(*booking),
        }
    }
}

/// A message with its route and time of delivery. `id` is assigned by the
/// transport, strictly increasing; delivery order is (`deliver_at`, `id`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub id: u64,
    pub from: Party,
    pub to: Party,
    pub sent_at: SimTime,
    pub deliver_at: SimTime,
    pub message: Message,
}
