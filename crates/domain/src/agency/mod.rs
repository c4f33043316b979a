//! The agencies. Each is a set of handlers `(state, message) -> effects`:
//! they change the hub state, write audit lines and send messages through
//! the `Outbox`; they never do I/O. The transport delivers each message
//! exactly once, in (deliver_at, id) order.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::case::Case;
use crate::config::Config;
use crate::dice::Dice;
use crate::ids::{BookingId, FbiNumber, Fin, SampleRef};
use crate::immigration::IdentRecord;
use crate::message::{Envelope, Message, Party};
use crate::offence::Conviction;
use crate::time::SimTime;

mod fbi;
mod ice;
mod ident;
mod lea;
mod lesc;
mod sib;

/// A subject of the FBI's criminal repository.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    pub fbi_number: FbiNumber,
    pub sample: SampleRef,
    pub convictions: Vec<Conviction>,
    pub arrests: Vec<BookingId>,
}

/// Everything the agencies remember between messages.
#[derive(Default)]
pub struct HubState {
    pub cases: HashMap<BookingId, Case>,
    pub subjects: HashMap<FbiNumber, Subject>,
    pub ident: HashMap<Fin, IdentRecord>,
    pub next_fbi_number: u64,
}

/// What the agencies ask of the world outside them: the biometric matchers
/// (oracle or engine) and the USCIS systems LESC analysts can query.
pub trait Ports {
    /// 1:N search of the criminal repository; `None` is a non-ident.
    fn criminal_search(&mut self, booking: BookingId, sample: SampleRef) -> Option<FbiNumber>;
    /// Add a new subject's prints to the criminal repository.
    fn criminal_enrol(&mut self, sample: SampleRef, fbi: FbiNumber);
    /// 1:N search of IDENT; an error is a failed search (system or quality).
    fn ident_search(&mut self, booking: BookingId, sample: SampleRef) -> Result<Vec<Fin>, String>;
    /// Whether USCIS systems show the person of this record naturalised.
    fn uscis_naturalised(&self, record: &IdentRecord) -> bool;
}

/// One message a handler sends.
#[derive(Clone, Debug, PartialEq)]
pub struct Send {
    pub to: Party,
    pub deliver_at: SimTime,
    pub message: Message,
}

/// One audit line: a state change, said in words.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditLine {
    pub booking: Option<BookingId>,
    pub party: Party,
    pub event: String,
}

/// The effects of handling one message.
#[derive(Default, Debug)]
pub struct Outbox {
    pub sends: Vec<Send>,
    pub audit: Vec<AuditLine>,
    pub touched_cases: Vec<BookingId>,
    pub touched_subjects: Vec<FbiNumber>,
}

impl Outbox {
    pub fn send(&mut self, to: Party, deliver_at: SimTime, message: Message) {
        self.sends.push(Send {
            to,
            deliver_at,
            message,
        });
    }
    pub fn audit(&mut self, party: Party, booking: Option<BookingId>, event: impl Into<String>) {
        self.audit.push(AuditLine {
            booking,
            party,
            event: event.into(),
        });
    }
    pub fn touch(&mut self, booking: BookingId) {
        self.touched_cases.push(booking);
    }
    pub fn clear(&mut self) {
        self.sends.clear();
        self.audit.clear();
        self.touched_cases.clear();
        self.touched_subjects.clear();
    }
}

/// What a handler may read and change.
pub struct Ctx<'a> {
    pub now: SimTime,
    pub from: Party,
    pub config: &'a Config,
    pub dice: &'a Dice,
    pub ports: &'a mut dyn Ports,
    pub out: &'a mut Outbox,
}

impl Ctx<'_> {
    pub fn minutes(&self, m: f64) -> SimTime {
        self.now.plus((m * 60.0).round() as i64)
    }
    /// An exponential delay with the given mean in hours, keyed by booking and purpose.
    pub fn delay_hours(&self, purpose: &str, booking: BookingId, mean_hours: f64) -> SimTime {
        let h = self.dice.exponential(purpose, booking.0, 0, mean_hours);
        self.now.plus((h * 3600.0).round() as i64)
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum HandleError {
    #[error("message {kind} for {party} is not part of that party's protocol")]
    Unexpected {
        party: &'static str,
        kind: &'static str,
    },
    #[error("message {kind} names booking {booking}, which the hub has no record of")]
    UnknownBooking {
        kind: &'static str,
        booking: BookingId,
    },
    #[error("message {kind} comes from ORI {ori}, which is not a jurisdiction of this hub")]
    UnknownOri { kind: &'static str, ori: String },
}

/// Deliver one message to an agency. Messages to `World` are the
/// simulator's; handing one here is an error.
pub fn handle(env: &Envelope, state: &mut HubState, ctx: &mut Ctx) -> Result<(), HandleError> {
    match env.to {
        Party::Lea => lea::handle(&env.message, state, ctx),
        Party::Sib => sib::handle(&env.message, state, ctx),
        Party::Fbi => fbi::handle(&env.message, state, ctx),
        Party::Ident => ident::handle(&env.message, state, ctx),
        Party::Lesc => lesc::handle(&env.message, state, ctx),
        Party::Ice => ice::handle(&env.message, state, ctx),
        Party::World => Err(unexpected(Party::World, &env.message)),
    }
}

pub(crate) fn unexpected(party: Party, m: &Message) -> HandleError {
    HandleError::Unexpected {
        party: party.name(),
        kind: m.kind(),
    }
}

pub(crate) fn jurisdiction<'c>(
    config: &'c Config,
    m: &Message,
    ori: &crate::ids::Ori,
) -> Result<&'c crate::config::Jurisdiction, HandleError> {
    config
        .jurisdictions
        .get(ori)
        .ok_or_else(|| HandleError::UnknownOri {
            kind: m.kind(),
            ori: ori.to_string(),
        })
}

pub(crate) fn case_mut<'s>(
    state: &'s mut HubState,
    m: &Message,
    booking: BookingId,
) -> Result<&'s mut Case, HandleError> {
    state
        .cases
        .get_mut(&booking)
        .ok_or(HandleError::UnknownBooking {
            kind: m.kind(),
            booking,
        })
}

#[cfg(test)]
mod tests;
