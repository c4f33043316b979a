//! Oracle identification: the matchers answer from ground truth, with the
//! scenario's false-match, false-non-match and error rates. For fast policy
//! studies; the `engine` mode (issue 4) replaces it with real 1:N search.

use std::collections::HashMap;
use std::sync::Arc;

use scomm_domain::agency::{HubState, Ports};
use scomm_domain::ids::{BookingId, FbiNumber, Fin, SampleRef};
use scomm_domain::immigration::{IdentRecord, Status};
use scomm_domain::Dice;

use crate::population::Population;
use crate::scenario::Identification;

pub struct Oracle {
    dice: Dice,
    rates: Identification,
    population: Arc<Population>,
    criminal: HashMap<SampleRef, FbiNumber>,
    /// Enrolled subjects in enrolment order: the pool false matches are drawn from.
    criminal_list: Vec<FbiNumber>,
    ident: HashMap<SampleRef, Vec<Fin>>,
    ident_list: Vec<Fin>,
}

impl Oracle {
    /// Index the repositories as they stand in `state` (a resumed run rebuilds the same index).
    pub fn new(
        dice: Dice,
        rates: Identification,
        population: Arc<Population>,
        state: &HubState,
    ) -> Oracle {
        let (subjects, fins) = repositories(state);
        let mut ident: HashMap<SampleRef, Vec<Fin>> = HashMap::new();
        for (f, s) in &fins {
            ident.entry(*s).or_default().push(*f);
        }
        Oracle {
            dice,
            rates,
            population,
            criminal: subjects.iter().map(|(f, s)| (*s, *f)).collect(),
            criminal_list: subjects.iter().map(|(f, _)| *f).collect(),
            ident,
            ident_list: fins.iter().map(|(f, _)| *f).collect(),
        }
    }
}

/// Who is enrolled where, in a stable order (FBI numbers and FINs are issued
/// in order, so this is also enrolment order): (FBI subjects, IDENT records).
#[allow(clippy::type_complexity)]
pub fn repositories(state: &HubState) -> (Vec<(FbiNumber, SampleRef)>, Vec<(Fin, SampleRef)>) {
    let mut subjects: Vec<_> = state
        .subjects
        .values()
        .map(|s| (s.fbi_number, s.sample))
        .collect();
    subjects.sort();
    let mut fins: Vec<_> = state.ident.values().map(|r| (r.fin, r.sample)).collect();
    fins.sort();
    (subjects, fins)
}

impl Ports for Oracle {
    fn criminal_search(&mut self, booking: BookingId, sample: SampleRef) -> Option<FbiNumber> {
        let k = booking.0;
        if let Some(f) = self.criminal.get(&sample) {
            if !self
                .dice
                .chance("fbi_miss", k, self.rates.false_non_match_rate)
            {
                return Some(*f);
            }
        }
        if !self.criminal_list.is_empty()
            && self
                .dice
                .chance("fbi_false_match", k, self.rates.false_match_rate)
        {
            let i = self
                .dice
                .below("fbi_false_match_who", k, 0, self.criminal_list.len() as u64);
            return Some(self.criminal_list[i as usize]);
        }
        None
    }

    fn criminal_enrol(&mut self, sample: SampleRef, fbi: FbiNumber) {
        self.criminal.insert(sample, fbi);
        self.criminal_list.push(fbi);
    }

    fn ident_search(&mut self, booking: BookingId, sample: SampleRef) -> Result<Vec<Fin>, String> {
        let k = booking.0;
        if self
            .dice
            .chance("ident_error", k, self.rates.ident_error_rate)
        {
            return Err("IDENT search rejected: fingerprint image quality".into());
        }
        if let Some(fins) = self.ident.get(&sample) {
            if !self
                .dice
                .chance("ident_miss", k, self.rates.false_non_match_rate)
            {
                return Ok(fins.clone());
            }
        }
        if !self.ident_list.is_empty()
            && self
                .dice
                .chance("ident_false_match", k, self.rates.false_match_rate)
        {
            let i = self
                .dice
                .below("ident_false_match_who", k, 0, self.ident_list.len() as u64);
            return Ok(vec![self.ident_list[i as usize]]);
        }
        Ok(vec![])
    }

    fn uscis_naturalised(&self, record: &IdentRecord) -> bool {
        self.population
            .person(record.sample)
            .is_some_and(|p| p.status == Status::Naturalised)
    }
}
