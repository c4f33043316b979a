//! Hub ingestion: a criminal tenprint submission (ANSI/NIST-ITL, EBTS TOT
//! CAR) from a file enters the flow of a simulated world, and the FBI's
//! answer leaves as an SRE transaction.
//!
//! In `oracle` identification the prints of a real file belong to nobody in
//! the synthetic repositories: the FBI enrols a new subject and IDENT finds no
//! match unless the configured false-match rate says otherwise. With the
//! engine (issue 4) they are searched for real.

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use scomm_domain::case::Case;
use scomm_domain::ids::{BookingId, Ori, SampleRef};
use scomm_domain::message::{Biographic, Booking, Sex};
use scomm_domain::offence::{Catalogue, Charge};
use scomm_domain::{Dice, Message, Party, SimTime};
use scomm_hub::Hub;
use scomm_nist::ebts::{self, CriminalTenprint, Header, Name, SearchResponse};
use scomm_nist::Transaction;
use scomm_store::Store;

use crate::{oracle, population::Population, world, Scenario, SimError};

/// Bookings entered from files are numbered from here (their TCN decides the rest).
pub const SUBMITTED_BOOKING_BASE: u64 = 9_000_000_000_000;
/// The FBI's ORI on responses.
pub const FBI_ORI: &str = "WVIAFIS0Z";

/// What became of a submitted transaction.
#[derive(Debug)]
pub struct Submitted {
    pub booking: BookingId,
    pub tcn: String,
    /// The same TCN was entered before: nothing new happened.
    pub duplicate: bool,
    pub case: Case,
    /// Things accepted with a remark (charges without a catalogue code, ...).
    pub remarks: Vec<String>,
    pub car: CriminalTenprint,
}

fn ingest_err(msg: impl Into<String>) -> SimError {
    SimError::Ingest(msg.into())
}

/// The booking a CAR transaction describes. Charges are matched to the
/// offence catalogue by NCIC code, else by the code's category (`54xx` ->
/// `5499`); a charge with neither is refused.
pub fn booking_from_car(
    car: &CriminalTenprint,
    id: BookingId,
    sample: SampleRef,
) -> Result<(Booking, Vec<String>), SimError> {
    let mut remarks = Vec::new();
    let ori = Ori::new(&car.header.originating)
        .map_err(|e| ingest_err(format!("Type-1 field 1.008 (ORI): {e}")))?;
    let date = |field: &str, v: &str| {
        NaiveDate::parse_from_str(v, "%Y%m%d")
            .map_err(|_| ingest_err(format!("{field}: {v:?} is not a date CCYYMMDD")))
    };
    let arrested = date(
        "Type-2 field 2.045 (date of arrest)",
        &car.arrest.date_of_arrest,
    )?;
    let dob = date(
        "Type-2 field 2.022 (date of birth)",
        &car.subject.date_of_birth,
    )?;
    let sex = match car.subject.sex {
        'M' => Sex::M,
        'F' => Sex::F,
        other => {
            return Err(ingest_err(format!(
                "Type-2 field 2.024 (sex): {other:?} is neither M nor F"
            )))
        }
    };
    let cat = Catalogue::builtin();
    let mut charges = Vec::new();
    for (i, c) in car.arrest.charges.iter().enumerate() {
        let Some(code) = c.ncic_code.as_deref() else {
            remarks.push(format!(
                "charge {} {:?} has no NCIC code: not counted",
                i + 1,
                c.literal
            ));
            continue;
        };
        let exact = cat.kinds().find(|k| cat.offence(k).code == code);
        let category = || {
            let generic = format!("{}99", code.get(..2).unwrap_or(""));
            cat.kinds().find(|k| cat.offence(k).code == generic)
        };
        match exact.or_else(category) {
            Some(kind) => {
                if cat.offence(kind).code != code {
                    remarks.push(format!("charge {} NCIC {code} counted as {} ({kind})", i + 1, cat.offence(kind).code));
                }
                charges.push(Charge { kind: kind.to_string() });
            }
            None => {
                return Err(ingest_err(format!(
                    "charge {} {:?}: NCIC code {code} is not in the offence catalogue, nor is its category {}99",
                    i + 1,
                    c.literal,
                    code.get(..2).unwrap_or("")
                )))
            }
        }
    }
    if charges.is_empty() {
        return Err(ingest_err(
            "the transaction has no charge with an NCIC offence code (2.045 ASL)",
        ));
    }
    let name = format!("{} {}", car.subject.name.given, car.subject.name.surname)
        .trim()
        .to_string();
    let booking = Booking {
        id,
        ori,
        booked_at: SimTime::from_date(arrested).plus(12 * 3600),
        person: Biographic {
            name,
            date_of_birth: dob,
            sex,
            place_of_birth: car.subject.place_of_birth.clone(),
        },
        charges,
        sample,
    };
    Ok((booking, remarks))
}

fn tcn_key(tcn: &str) -> u64 {
    let mut h = scomm_domain::dice::mix(0x5343_4f4d);
    for b in tcn.bytes() {
        h = scomm_domain::dice::mix(h ^ b as u64);
    }
    h % 1_000_000_000_000
}

/// Enter the CAR transaction `bytes` into the run stored at `db` and run the
/// flow until it is quiet again.
pub fn submit(db: &Path, bytes: &[u8]) -> Result<Submitted, SimError> {
    let tx = Transaction::parse(bytes)
        .map_err(|e| ingest_err(format!("not a readable ANSI/NIST-ITL transaction: {e}")))?;
    let findings = ebts::validate(&tx);
    if !findings.is_empty() {
        let list: Vec<String> = findings.iter().map(|f| format!("  {f}")).collect();
        return Err(ingest_err(format!(
            "the transaction breaks {} EBTS rule(s):\n{}",
            findings.len(),
            list.join("\n")
        )));
    }
    let car = CriminalTenprint::read(&tx)
        .map_err(|e| ingest_err(format!("not a criminal tenprint submission: {e}")))?;
    if !db.exists() {
        return Err(ingest_err(format!(
            "database {} does not exist; run `scomm simulate` first",
            db.display()
        )));
    }
    let store = Store::open(db)?;
    let (Some(text), Some(seed)) = (store.meta("scenario_toml")?, store.meta("seed")?) else {
        return Err(ingest_err(format!(
            "database {} holds no simulation to submit into",
            db.display()
        )));
    };
    let sc = Scenario::parse(&format!("{} (stored scenario)", db.display()), &text)?;
    let seed: u64 = seed
        .parse()
        .map_err(|_| ingest_err("database meta seed is not a number"))?;
    let config = sc.config().map_err(|e| ingest_err(e.to_string()))?;
    let key = tcn_key(&car.header.control_number);
    let id = BookingId(SUBMITTED_BOOKING_BASE + key);
    let (booking, remarks) = booking_from_car(&car, id, SampleRef(SUBMITTED_BOOKING_BASE + key))?;
    if !config.jurisdictions.contains_key(&booking.ori) {
        let known: Vec<String> = config
            .jurisdictions
            .keys()
            .take(5)
            .map(|o| o.to_string())
            .collect();
        return Err(ingest_err(format!(
            "ORI {} is not a jurisdiction of this run (it has {}, e.g. {})",
            booking.ori,
            config.jurisdictions.len(),
            known.join(", ")
        )));
    }
    let dice = Dice::new(seed);
    let population = Arc::new(Population::generate(&sc, &dice));
    let mut hub = Hub::open(store, config, dice)?;
    let mut oracle = oracle::Oracle::new(
        dice,
        sc.identification.clone(),
        population.clone(),
        &hub.state,
    );
    let mut world = world::SimWorld::new(Arc::new(sc), population, dice);
    // Bring the state up to date before looking for the TCN.
    hub.run(&mut world, &mut oracle, |_| {})?;
    let duplicate = hub.state.cases.contains_key(&id);
    if !duplicate {
        hub.inject(
            Party::World,
            Party::Lea,
            booking.booked_at,
            Message::Arrest(booking),
        )?;
        hub.run(&mut world, &mut oracle, |_| {})?;
    }
    let case = hub
        .state
        .cases
        .get(&id)
        .cloned()
        .ok_or_else(|| ingest_err("the booking was not recorded"))?;
    let submitted = Submitted {
        booking: id,
        tcn: car.header.control_number.clone(),
        duplicate,
        case,
        remarks,
        car,
    };
    if !duplicate {
        // Keep the transaction as received and the response as sent.
        let response = sre(&submitted)?;
        let tx = hub.store_mut().begin()?;
        tx.put_nist_file(id.0, "in", "CAR", bytes)?;
        tx.put_nist_file(id.0, "out", "SRE", &response)?;
        tx.commit()?;
    }
    Ok(submitted)
}
/// The FBI's search results for a submitted booking, as an EBTS SRE transaction.
pub fn sre(s: &Submitted) -> Result<Vec<u8>, SimError> {
    let case = &s.case;
    let response = SearchResponse {
        header: Header {
            date: case.booked_at.date().format("%Y%m%d").to_string(),
            priority: 2,
            destination: s.car.header.originating.clone(),
            originating: FBI_ORI.to_string(),
            control_number: format!("SRE{}", s.booking.0),
            control_reference: Some(s.tcn.clone()),
        },
        name: Name {
            surname: s.car.subject.name.surname.clone(),
            given: s.car.subject.name.given.clone(),
        },
        identified: case.fbi_ident,
        fbi_number: case.fbi_number.map(|f| f.to_string()),
        state_id: None,
        rap_sheet: Some(if case.prior_convictions.is_empty() {
            "NO PRIOR CONVICTIONS".to_string()
        } else {
            let cat = Catalogue::builtin();
            case.prior_convictions
                .iter()
                .map(|c| {
                    format!(
                        "{} {} {}",
                        c.at.date().format("%Y%m%d"),
                        cat.offence(&c.kind).code,
                        cat.offence(&c.kind).description.to_uppercase()
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        }),
        message: None,
    };
    let tx = response
        .build()
        .map_err(|e| ingest_err(format!("building the SRE: {e}")))?;
    Ok(tx.to_bytes())
}
