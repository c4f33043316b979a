//! Engine identification: the FBI's criminal repository and IDENT are real
//! galleries of the 1:N engine (`scomm-ident`), and every synthetic person
//! carries synthetic fingers. A booking's prints are a new capture of the
//! person's fingers; the search decides by the fused score at the scenario's
//! target false-positive identification rate. Biometric false matches and
//! misses are whatever the engine does, counted afterwards from ground truth.
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
        capture(
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
