//! 1:N fingerprint identification: a gallery of enrolled subjects, a
//! two-stage search with fused multi-finger decisions, and synthetic
//! fingers (templates, no images) to test it at national scale.
//!
//! Knows nothing of agencies: a subject is an opaque `u64` the caller maps
//! to its own records (an FBI number, an IDENT FIN).
//!
//! - [`Gallery`]: enrol a subject's fingers (more encounters add to it),
//!   [`Gallery::update`], [`Gallery::remove`] (a removed subject stops
//!   matching at once), [`Gallery::save`] / [`Gallery::load`] (one file,
//!   versioned, checked: see [`store`]), [`Gallery::optimise`] after bulk
//!   enrolment. Per finger it holds the packed minutiae (6 bytes each), a
//!   [`descriptor::DIM`]-byte pair-shape histogram and its minutia-triplet
//!   keys (6 bytes each with the central minutia's direction and cell, in
//!   an inverted index); [`Gallery::memory_bytes`] says how much.
//! - [`Gallery::search`]: a probe of any fingers by position. Stage 1 scores
//!   every enrolled finger at the probed positions (histogram cosine, plus
//!   the rarity-weighted triplet keys it shares with the probe that agree
//!   on one rotation and translation, see
//!   [`descriptor`], [`triplets`]) and keeps the best `shortlist` subjects;
//!   stage 2 runs the full matcher (`scomm_fingerprint::matcher`) on them,
//!   turns each finger's score into a log-likelihood ratio and sums them
//!   ([`fusion`]). The decision compares the best sum with a threshold set
//!   by the target FPIR. A probe finger too poor to compare (under
//!   [`fusion::MIN_PROBE_MINUTIAE`]) is set aside and listed in
//!   [`SearchResult::set_aside`]; if every one is, the decision is
//!   [`Decision::NoUsableFinger`]. An enrolled finger that poor is not
//!   compared either; a candidate compared on fewer fingers than the probe
//!   searched is held to the threshold for that many
//!   ([`Candidate::threshold`]). Both stages use every core (rayon).
//! - [`synthetic`]: master fingers and impressions, deterministic by seed.
//!
//! ```
//! use scomm_ident::synthetic::MasterFinger;
//! use scomm_ident::{Decision, FingerPosition, Gallery, SearchParams};
//!
//! let mut gallery = Gallery::new();
//! for subject in 0..50u64 {
//!     let fingers: Vec<_> = [FingerPosition::RIGHT_INDEX, FingerPosition::LEFT_INDEX]
//!         .into_iter()
//!         .map(|p| {
//!             let master = MasterFinger::generate(subject * 10 + p.code() as u64);
//!             (p, master.impression(1))
//!         })
//!         .collect();
//!     gallery.enrol(subject, &fingers)?;
//! }
//! // Subject 7 is booked again: new impressions of the same fingers.
//! let probe: Vec<_> = [FingerPosition::RIGHT_INDEX, FingerPosition::LEFT_INDEX]
//!     .into_iter()
//!     .map(|p| (p, MasterFinger::generate(70 + p.code() as u64).impression(2)))
//!     .collect();
//! let result = gallery.search(&probe, &SearchParams { fpir: 1e-3, ..Default::default() })?;
//! assert_eq!(result.candidates[0].subject, 7);
//! assert_eq!(result.decision, Decision::Ident);
//!
//! gallery.remove(7);
//! let again = gallery.search(&probe, &SearchParams::default())?;
//! assert!(again.candidates.iter().all(|c| c.subject != 7));
//!
//! let bytes = gallery.to_bytes();
//! let reloaded = Gallery::from_bytes(&bytes)?;
//! assert_eq!(reloaded.subjects(), 49);
//! # Ok::<(), scomm_ident::IdentError>(())
//! ```

pub mod descriptor;
mod error;
pub mod eval;
pub mod fusion;
mod gallery;
mod index;
mod rng;
pub mod store;
pub mod synthetic;
pub mod triplets;
mod vote;
mod vote_norm;

pub use error::IdentError;
pub use gallery::{
    Candidate, Decision, FingerScore, Gallery, SearchParams, SearchResult, SetAside, MAX_MINUTIAE,
};
pub use rng::mix as mix_seed;

/// The caller's key for a person.
pub type SubjectId = u64;

/// ANSI/NIST-ITL finger position code: 1 right thumb ... 5 right little,
/// 6 left thumb ... 10 left little.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FingerPosition(pub(crate) u8);

impl FingerPosition {
    pub const RIGHT_THUMB: Self = FingerPosition(1);
    pub const RIGHT_INDEX: Self = FingerPosition(2);
    pub const LEFT_THUMB: Self = FingerPosition(6);
    pub const LEFT_INDEX: Self = FingerPosition(7);

    pub fn new(code: u8) -> Result<Self, IdentError> {
        if (1..=10).contains(&code) {
            Ok(FingerPosition(code))
        } else {
            Err(IdentError::BadPosition(code))
        }
    }

    pub fn code(self) -> u8 {
        self.0
    }

    /// All ten positions in code order.
    pub fn all() -> impl Iterator<Item = FingerPosition> {
        (1..=10).map(FingerPosition)
    }
}

#[cfg(test)]
mod tests;
