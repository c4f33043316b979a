//! Engine identification: the FBI's criminal repository and IDENT are real
//! galleries of the 1:N engine (`scomm-ident`), and every synthetic person
//! carries synthetic fingers. A booking's prints are a new capture of the
//! person's fingers; the search decides by the fused score at the scenario's
//! target false-positive identification rate. Biometric false matches and
//! misses are whatever the engine does, counted afterwards from ground truth.
//!
//! A capture is checked as a livescan checks it: a finger too poor for a
//! comparison to carry evidence (`fusion::probe_unusable`) is rolled again,
//! up to [`ROLLS`] times, before the prints are sent or enrolled (the FBI
//! rejects submissions too poor to search, and jails re-roll at the
//! scanner rather than resubmit).
//!
//! Everything is a pure function of (seed, person, encounter), so a resumed
//! run rebuilds the same galleries: a repository record's prints are the
//! capture keyed by the record itself (FBI number, FIN), not by the booking
//! that created it.

use std::sync::Arc;

use rayon::prelude::*;

use scomm_domain::agency::{HubState, Ports};
use scomm_domain::ids::{BookingId, FbiNumber, Fin, SampleRef};
use scomm_domain::immigration::{IdentRecord, Status};
use scomm_domain::Dice;
use scomm_fingerprint::Template;
use scomm_ident::fusion::probe_unusable;
use scomm_ident::synthetic::{capture, ImpressionParams};
use scomm_ident::{Decision, FingerPosition, Gallery, SearchParams};

use crate::population::Population;
use crate::scenario::Identification;

/// The order in which finger positions are taken when a scenario captures
/// fewer than ten: index fingers first (the FBI's two-finger searches), then
/// thumbs, then the rest.
const CAPTURE_ORDER: [u8; 10] = [2, 7, 1, 6, 3, 8, 4, 9, 5, 10];

/// Encounter keys of the three kinds of capture, kept apart so that the
/// prints of a booking are never by construction the prints on file.
const FBI_RECORD: u64 = 1 << 62;
const IDENT_RECORD: u64 = 2 << 62;
const BOOKING: u64 = 3 << 62;

/// Times a livescan operator takes a finger in all (the first roll and
/// re-rolls) before sending it as it is.
pub const ROLLS: u64 = 3;
/// Where a re-roll's number goes in the encounter key (under the two bits
/// that tell FBI records, IDENT records and bookings apart, above any record
/// or booking number a run makes).
const ROLL_SHIFT: u32 = 56;

/// A livescan capture of `positions`: each finger as [`capture`] takes it,
/// a finger too poor to compare taken again (a new impression of the same
/// finger) up to [`ROLLS`] times in all; the last roll is kept if none is
/// usable.
pub fn livescan(
    subject_seed: u64,
    encounter: u64,
    positions: &[FingerPosition],
    params: &ImpressionParams,
) -> Vec<(FingerPosition, Template)> {
    let mut prints = capture(subject_seed, encounter, positions, params);
    for (position, template) in &mut prints {
        let mut roll = 1;
        while roll < ROLLS && probe_unusable(template).is_some() {
            let again = encounter ^ roll << ROLL_SHIFT;
            if let Some((_, t)) = capture(subject_seed, again, &[*position], params).pop() {
                *template = t;
            }
            roll += 1;
        }
    }
    prints
}

pub struct Engine {
    dice: Dice,
    rates: Identification,
    population: Arc<Population>,
    person_seed: u64,
    positions: Vec<FingerPosition>,
    impressions: ImpressionParams,
    params: SearchParams,
    criminal: Gallery,
    ident: Gallery,
}

impl Engine {
    /// Enrol the repositories as they stand in `state` (a resumed run rebuilds the same galleries).
    pub fn new(
        dice: Dice,
        seed: u64,
        rates: Identification,
        population: Arc<Population>,
        state: &HubState,
    ) -> Result<Engine, scomm_ident::IdentError> {
        let positions = CAPTURE_ORDER[..rates.fingers as usize]
            .iter()
            .map(|&c| FingerPosition::new(c).expect("CAPTURE_ORDER holds valid codes"))
            .collect();
        let params = SearchParams {
            fpir: rates.false_match_rate,
            shortlist: rates.shortlist as usize,
            top_k: 5,
            threshold: None,
        };
        let mut engine = Engine {
            dice,
            rates,
            population,
            person_seed: scomm_ident::mix_seed(seed, 0x5e_c0_11),
            positions,
            impressions: ImpressionParams::default(),
            params,
            criminal: Gallery::new(),
            ident: Gallery::new(),
        };
        let (subjects, records) = crate::oracle::repositories(state);
        let criminal: Vec<_> = subjects
            .par_iter()
            .map(|&(f, s)| (f.0, engine.prints(s, FBI_RECORD ^ f.0)))
            .collect();
        engine.criminal.enrol_batch(&criminal)?;
        let ident: Vec<_> = records
            .par_iter()
            .map(|&(fin, s)| (fin.0, engine.prints(s, IDENT_RECORD ^ fin.0)))
            .collect();
        engine.ident.enrol_batch(&ident)?;
        Ok(engine)
    }

    fn prints(&self, sample: SampleRef, encounter: u64) -> Vec<(FingerPosition, Template)> {
        livescan(
            scomm_ident::mix_seed(self.person_seed, sample.0),
            encounter,
            &self.positions,
            &self.impressions,
        )
    }

    fn search(
        &mut self,
        gallery_is_ident: bool,
        booking: BookingId,
        sample: SampleRef,
    ) -> Vec<u64> {
        let probe = self.prints(sample, BOOKING ^ booking.0);
        let gallery = if gallery_is_ident {
            &self.ident
        } else {
            &self.criminal
        };
        match gallery.search(&probe, &self.params) {
            Ok(r) if r.decision == Decision::Ident => r
                .candidates
                .iter()
                .filter(|c| c.fused >= c.threshold)
                .map(|c| c.subject)
                .collect(),
            // The probe is built here from valid positions: a search error
            // would be a defect, and counts as no identification.
            _ => Vec::new(),
        }
    }
}

impl Ports for Engine {
    fn criminal_search(&mut self, booking: BookingId, sample: SampleRef) -> Option<FbiNumber> {
        self.search(false, booking, sample)
            .first()
            .map(|&f| FbiNumber(f))
    }

    fn criminal_enrol(&mut self, sample: SampleRef, fbi: FbiNumber) {
        let prints = self.prints(sample, FBI_RECORD ^ fbi.0);
        // Enrolment of a fresh FBI number into a gallery built by this run
        // cannot fail: positions are distinct and valid.
        let _ = self.criminal.enrol(fbi.0, &prints);
    }

    fn ident_search(&mut self, booking: BookingId, sample: SampleRef) -> Result<Vec<Fin>, String> {
        // Rejected captures (image quality, system errors) are not the
        // matcher's doing: they stay a configured rate, as in oracle mode.
        if self
            .dice
            .chance("ident_error", booking.0, self.rates.ident_error_rate)
        {
            return Err("IDENT search rejected: fingerprint image quality".into());
        }
        Ok(self
            .search(true, booking, sample)
            .into_iter()
            .map(Fin)
            .collect())
    }

    fn uscis_naturalised(&self, record: &IdentRecord) -> bool {
        self.population
            .person(record.sample)
            .is_some_and(|p| p.status == Status::Naturalised)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One-finger captures of many people, until one is too poor to compare.
    fn a_poor_capture(position: FingerPosition, p: &ImpressionParams) -> (u64, u64) {
        (0..100_000u64)
            .map(|k| (scomm_ident::mix_seed(7, k), BOOKING ^ k))
            .find(|&(seed, encounter)| {
                let prints = capture(seed, encounter, &[position], p);
                probe_unusable(&prints[0].1).is_some()
            })
            .expect("about one capture in two hundred is too poor to compare")
    }

    #[test]
    fn a_finger_too_poor_to_compare_is_rolled_again_and_the_others_kept() {
        let p = ImpressionParams::default();
        let index = FingerPosition::RIGHT_INDEX;
        let (seed, encounter) = a_poor_capture(index, &p);
        let both = [index, FingerPosition::LEFT_INDEX];
        let taken = capture(seed, encounter, &both, &p);
        let sent = livescan(seed, encounter, &both, &p);
        assert!(probe_unusable(&taken[0].1).is_some());
        assert!(
            probe_unusable(&sent[0].1).is_none(),
            "a re-roll gives a usable print"
        );
        assert_ne!(sent[0].1, taken[0].1);
        assert_eq!(sent[1], taken[1], "a usable finger is sent as taken");
        // The same person and encounter give the same prints (a resumed
        // run rebuilds the same galleries).
        assert_eq!(livescan(seed, encounter, &both, &p), sent);
    }

    #[test]
    fn a_re_roll_is_a_new_impression_of_the_same_finger() {
        let p = ImpressionParams::default();
        let index = FingerPosition::RIGHT_INDEX;
        let (seed, encounter) = a_poor_capture(index, &p);
        let sent = livescan(seed, encounter, &[index], &p);
        let other = capture(seed, BOOKING ^ 123_456_789, &[index], &p);
        let stranger = capture(scomm_ident::mix_seed(8, 1), encounter, &[index], &p);
        let score = |a: &Template, b: &Template| scomm_fingerprint::matcher::compare(a, b);
        assert!(
            score(&sent[0].1, &other[0].1) > score(&sent[0].1, &stranger[0].1),
            "the re-rolled print matches its own finger better than a stranger's"
        );
    }
}
