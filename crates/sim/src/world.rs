//! The world outside the system, played by the simulator: arrests day by
//! day, the criminal courts (dispositions, release) and the immigration
//! courts (outcomes). Every draw is keyed by booking or day.

use std::sync::Arc;

use scomm_domain::agency::{HubState, Outbox};
use scomm_domain::ids::{BookingId, SampleRef};
use scomm_domain::immigration::Status;
use scomm_domain::message::{Booking, ImmigrationOutcome};
use scomm_domain::offence::{Catalogue, Charge, Disposition};
use scomm_domain::time::{DAY, HOUR};
use scomm_domain::{Dice, Envelope, Message, Party, SimTime};
use scomm_hub::World;

use crate::population::{day_start, Population};
use crate::scenario::Scenario;

/// Bookings of one day are numbered from (day + 1) * BOOKINGS_PER_DAY.
pub const BOOKINGS_PER_DAY: u64 = 1_000_000;

pub struct SimWorld {
    pub scenario: Arc<Scenario>,
    pub population: Arc<Population>,
    pub dice: Dice,
    mix: Vec<(String, f64)>,
}

impl SimWorld {
    pub fn new(scenario: Arc<Scenario>, population: Arc<Population>, dice: Dice) -> SimWorld {
        let mix = scenario
            .arrests
            .charge_mix
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        SimWorld {
            scenario,
            population,
            dice,
            mix,
        }
    }

    /// Poisson draw (inversion for small means, normal approximation above).
    fn poisson(&self, purpose: &str, key: u64, mean: f64) -> u64 {
        if mean <= 0.0 {
            return 0;
        }
        if mean > 50.0 {
            let u1 = self.dice.unit(purpose, key, 1).max(1e-12);
            let u2 = self.dice.unit(purpose, key, 2);
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            return (mean + z * mean.sqrt()).round().max(0.0) as u64;
        }
        let (mut k, mut p, l) = (0u64, 1.0f64, (-mean).exp());
        loop {
            p *= self.dice.unit(purpose, key, 10 + k);
            if p <= l {
                return k;
            }
            k += 1;
        }
    }

    fn arrests(&self, day: u32, out: &mut Outbox) {
        let sc = &self.scenario;
        let midnight = day_start(sc.scenario.start, day);
        let weights: Vec<f64> = self.mix.iter().map(|m| m.1).collect();
        let mut seq = 0u64;
        for (ci, county) in sc.counties().enumerate() {
            let (first, end) = self.population.county_ranges[ci];
            let people = end - first;
            if people == 0 {
                continue;
            }
            let key = (day as u64) << 20 | ci as u64;
            let n = self.poisson(
                "arrests",
                key,
                people as f64 * sc.arrests.rate_per_person_year / 365.0,
            );
            for k in 0..n {
                seq += 1;
                let id = BookingId((day as u64 + 1) * BOOKINGS_PER_DAY + seq);
                // Pick the arrestee; non-citizens are arrested at a relative rate.
                let factor = sc.population.noncitizen_arrest_factor;
                let mut sample = first;
                for attempt in 0..16 {
                    sample = first + self.dice.below("arrestee", id.0, attempt, people);
                    let p = &self.population.people[(sample - 1) as usize];
                    let w = if p.status == Status::CitizenByBirth {
                        1.0
                    } else {
                        factor
                    };
                    if self.dice.unit("arrestee_accept", id.0, attempt) * factor.max(1.0) < w {
                        break;
                    }
                }
                let person = &self.population.people[(sample - 1) as usize];
                let mut charges = vec![Charge {
                    kind: self.mix[self.dice.weighted("charge", id.0, 0, &weights)]
                        .0
                        .clone(),
                }];
                for extra in 1..3 {
                    if !self.dice.chance(
                        &format!("extra_charge{extra}"),
                        id.0,
                        sc.arrests.extra_charge_share,
                    ) {
                        break;
                    }
                    let kind = self.mix[self.dice.weighted("charge", id.0, extra, &weights)]
                        .0
                        .clone();
                    if !charges.iter().any(|c| c.kind == kind) {
                        charges.push(Charge { kind });
                    }
                }
                let at = midnight.plus(self.dice.below("booked_at", id.0, k, DAY as u64) as i64);
                let booking = Booking {
                    id,
                    ori: county.ori.clone(),
                    booked_at: at,
                    person: person.person.clone(),
                    charges,
                    sample: SampleRef(sample),
                };
                if self
                    .dice
                    .chance("duplicate", id.0, sc.arrests.duplicate_share)
                {
                    out.send(Party::Lea, at.plus(1800), Message::Arrest(booking.clone()));
                }
                out.send(Party::Lea, at, Message::Arrest(booking));
            }
        }
        if day + 1 < sc.scenario.days {
            out.send(
                Party::World,
                day_start(sc.scenario.start, day + 1),
                Message::DayTick { day: day + 1 },
            );
        }
    }

    fn court(&self, booking: BookingId, now: SimTime, st: &HubState, out: &mut Outbox) {
        let Some(case) = st.cases.get(&booking) else {
            return;
        };
        let c = &self.scenario.courts;
        let cat = Catalogue::builtin();
        let felony = case.charges.iter().any(|ch| cat.offence(&ch.kind).felony);
        let max_days = case
            .charges
            .iter()
            .map(|ch| cat.offence(&ch.kind).max_sentence_days)
            .max()
            .unwrap_or(0);
        let key = booking.0;
        let (share, mean_days) = if felony {
            (c.felony_conviction_share, c.felony_disposition_days_mean)
        } else {
            (
                c.misdemeanor_conviction_share,
                c.misdemeanor_disposition_days_mean,
            )
        };
        let disposed_at = now.plus(
            (self.dice.exponential("disposition_days", key, 0, mean_days) * DAY as f64) as i64
                + HOUR,
        );
        let disposition = if self.dice.chance("convicted", key, share) {
            // Often time served; otherwise a share of the statutory maximum.
            let sentence_days = if self.dice.chance("time_served", key, 0.5) {
                0
            } else {
                (max_days as f64 * 0.25 * self.dice.unit("sentence", key, 0)).round() as u32
            };
            Disposition::Convicted { sentence_days }
        } else {
            Disposition::Dismissed
        };
        out.send(
            Party::Lea,
            disposed_at,
            Message::CourtDisposition {
                booking,
                disposition,
            },
        );
        let release_at = if self
            .dice
            .chance("pretrial_release", key, c.pretrial_release_share)
        {
            now.plus(
                (self
                    .dice
                    .exponential("pretrial_days", key, 0, c.pretrial_release_days_mean)
                    * DAY as f64) as i64,
            )
        } else {
            match disposition {
                Disposition::Convicted { sentence_days } => {
                    disposed_at.plus(sentence_days as i64 * DAY + HOUR)
                }
                Disposition::Dismissed => disposed_at.plus(2 * HOUR),
            }
        };
        out.send(Party::Lea, release_at, Message::ReleaseDue { booking });
    }

    fn immigration_court(&self, booking: BookingId, now: SimTime, st: &HubState, out: &mut Outbox) {
        let Some(case) = st.cases.get(&booking) else {
            return;
        };
        let Some(person) = self.population.person(case.sample) else {
            return;
        };
        let c = &self.scenario.courts;
        let key = booking.0;
        let (outcome, mean_days) = match person.status {
            s if s.is_citizen() => (ImmigrationOutcome::Released, c.citizen_release_days_mean),
            Status::Lpr | Status::VisaHolder => {
                if self.dice.chance("relief", key, c.relief_share_lawful) {
                    (ImmigrationOutcome::Relief, c.proceedings_days_mean * 2.0)
                } else {
                    (ImmigrationOutcome::Removed, c.proceedings_days_mean)
                }
            }
            // A prior removal order is reinstated without a hearing.
            Status::PriorRemoval => (ImmigrationOutcome::Removed, 7.0),
            _ => {
                if self.dice.chance("relief", key, c.relief_share_other) {
                    (ImmigrationOutcome::Relief, c.proceedings_days_mean * 2.0)
                } else {
                    (ImmigrationOutcome::Removed, c.proceedings_days_mean)
                }
            }
        };
        let at = now.plus(
            (self.dice.exponential("proceedings_days", key, 0, mean_days) * DAY as f64) as i64
                + HOUR,
        );
        out.send(
            Party::Ice,
            at,
            Message::ProceedingsConcluded { booking, outcome },
        );
    }
}

impl World for SimWorld {
    fn handle(&mut self, env: &Envelope, state: &HubState, out: &mut Outbox) {
        match &env.message {
            Message::DayTick { day } => self.arrests(*day, out),
            Message::CourtFiling { booking } => self.court(*booking, env.deliver_at, state, out),
            Message::NoticeToAppear { booking } => {
                self.immigration_court(*booking, env.deliver_at, state, out)
            }
            other => out.audit(
                Party::World,
                other.booking(),
                format!("world ignores {}", other.kind()),
            ),
        }
    }
}
