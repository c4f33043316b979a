//! The scenario simulator: loads a scenario, generates the synthetic
//! population and the arrests, plays the courts, identifies by oracle, and
//! drives the hub to the end. A run is a pure function of scenario and seed;
//! a killed run resumes on the same database to the same result.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use scomm_domain::ids::{Fin, SampleRef};
use scomm_domain::stats::{self, Report};
use scomm_domain::{Dice, Envelope, Message, Party};
use scomm_hub::{Hub, HubError, Progress};
use scomm_store::{Store, StoreError};

pub mod chart;
pub mod ingest;
pub mod oracle;
pub mod population;
pub mod scenario;
pub mod world;

pub use population::{Person, Population};
pub use scenario::{Scenario, ScenarioError};

/// New FBI subjects enrolled during a run are numbered from here; subjects
/// known before the run carry their person's number.
pub const FIRST_NEW_FBI_NUMBER: u64 = 1_000_000_000;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hub(#[from] HubError),
    #[error("{0}")]
    Mismatch(String),
    #[error("{0}")]
    Ingest(String),
}

#[derive(Clone, Debug)]
pub struct RunSummary {
    pub resumed: bool,
    pub processed: u64,
    pub bookings: usize,
    /// Bookings that entered the flow in this call (0 when a finished run is resumed).
    pub new_bookings: usize,
    /// Population, repositories and loading the hub state.
    pub setup_seconds: f64,
    /// Delivering messages through the flow, with durable commits.
    pub flow_seconds: f64,
    pub mode: &'static str,
}

pub struct Options {
    pub seed: Option<u64>,
    /// Commit after this many messages.
    pub commit_every: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: None,
            commit_every: 20_000,
        }
    }
}

fn fingerprint(text: &str, seed: u64) -> String {
    let mut h = scomm_domain::dice::mix(seed);
    for b in text.bytes() {
        h = scomm_domain::dice::mix(h ^ b as u64);
    }
    format!("{h:016x}")
}

/// Run (or resume) a scenario into the database at `db`.
pub fn simulate(
    scenario_path: &Path,
    db: &Path,
    opts: &Options,
    progress: impl FnMut(Progress),
) -> Result<RunSummary, SimError> {
    let text = std::fs::read_to_string(scenario_path).map_err(|e| ScenarioError {
        file: scenario_path.display().to_string(),
        line: 0,
        message: format!("cannot read: {e}"),
    })?;
    let sc = Scenario::parse(&scenario_path.display().to_string(), &text)?;
    let seed = opts.seed.unwrap_or(sc.scenario.seed);
    let print = fingerprint(&text, seed);
    let started = Instant::now();
    let dice = Dice::new(seed);
    let population = Arc::new(Population::generate(&sc, &dice));
    let mut store = Store::open(db)?;
    let resumed = match store.meta("scenario_fingerprint")? {
        Some(p) if p == print => true,
        Some(_) => {
            let name = store.meta("scenario_name")?.unwrap_or_default();
            let old_seed = store.meta("seed")?.unwrap_or_default();
            return Err(SimError::Mismatch(format!(
                "database {} holds a run of scenario {name:?} with seed {old_seed}, not this scenario file and seed {seed}: use a new --db path",
                db.display()
            )));
        }
        None => {
            if store.count("message")? > 0 {
                return Err(SimError::Mismatch(format!(
                    "database {} holds records not written by `scomm simulate`",
                    db.display()
                )));
            }
            setup(&mut store, &sc, &text, seed, &print, &population)?;
            false
        }
    };
    let config = sc.config().map_err(|e| ScenarioError {
        file: scenario_path.display().to_string(),
        line: 0,
        message: e.to_string(),
    })?;
    let mut hub = Hub::open(store, config, dice)?;
    hub.batch = opts.commit_every.max(1);
    let sc = Arc::new(sc);
    let mut oracle = oracle::Oracle::new(
        dice,
        sc.identification.clone(),
        population.clone(),
        &hub.state,
    );
    let mut world = world::SimWorld::new(sc, population, dice);
    let setup_seconds = started.elapsed().as_secs_f64();
    let before = hub.state.cases.len();
    let flow = Instant::now();
    let processed = hub.run(&mut world, &mut oracle, progress)?;
    Ok(RunSummary {
        resumed,
        processed,
        bookings: hub.state.cases.len(),
        new_bookings: hub.state.cases.len() - before,
        setup_seconds,
        flow_seconds: flow.elapsed().as_secs_f64(),
        mode: "oracle",
    })
}

/// Write the population, the repositories as they stand before the run and
/// the first calendar tick, all in one transaction.
fn setup(
    store: &mut Store,
    sc: &Scenario,
    text: &str,
    seed: u64,
    print: &str,
    population: &Population,
) -> Result<(), SimError> {
    let tx = store.begin()?;
    for p in &population.people {
        tx.put_person(p.sample, &p.stored())?;
    }
    for r in &population.ident_records {
        tx.put_ident_record(r)?;
    }
    for s in &population.subjects {
        tx.put_subject(s)?;
    }
    let counties: HashMap<String, String> = sc
        .counties()
        .map(|c| (c.ori.to_string(), c.county.clone()))
        .collect();
    tx.set_meta("scenario_name", &sc.scenario.name)?;
    tx.set_meta("scenario_toml", text)?;
    tx.set_meta("seed", &seed.to_string())?;
    tx.set_meta("scale", &sc.scenario.scale.to_string())?;
    tx.set_meta("identification_mode", "oracle")?;
    tx.set_meta(
        "counties",
        &serde_json::to_string(&counties).expect("map serialises"),
    )?;
    tx.set_meta(
        "published",
        &serde_json::to_string(&sc.published).expect("map serialises"),
    )?;
    tx.set_meta("next_fbi_number", &FIRST_NEW_FBI_NUMBER.to_string())?;
    let start = population::day_start(sc.scenario.start, 0);
    let tick = Envelope {
        id: 1,
        from: Party::World,
        to: Party::World,
        sent_at: start,
        deliver_at: start,
        message: Message::DayTick { day: 0 },
    };
    tx.insert_message(&tick)?;
    tx.set_meta("next_message_id", "1")?;
    // Written last: its presence means the setup is complete (same transaction anyway).
    tx.set_meta("scenario_fingerprint", print)?;
    tx.commit()?;
    Ok(())
}

/// What `scomm report` prints: the statistics and the run's description.
pub struct Reported {
    pub scenario: String,
    pub seed: String,
    pub scale: f64,
    pub mode: String,
    pub pending: usize,
    pub report: Report,
    pub published: Vec<(String, f64)>,
}

/// Compute the statistics of the run stored at `db`.
pub fn report(db: &Path) -> Result<Reported, SimError> {
    if !db.exists() {
        return Err(SimError::Mismatch(format!(
            "database {} does not exist; run `scomm simulate` first",
            db.display()
        )));
    }
    let store = Store::open(db)?;
    let Some(_) = store.meta("scenario_fingerprint")? else {
        return Err(SimError::Mismatch(format!(
            "database {} holds no simulation",
            db.display()
        )));
    };
    let people: Vec<(u64, population::StoredTruth)> = store.persons()?;
    let truth: HashMap<u64, scomm_domain::stats::Truth> = people
        .iter()
        .map(|(sample, t)| {
            (
                *sample,
                scomm_domain::stats::Truth {
                    status: t.status,
                    stale_record: t.stale_record,
                },
            )
        })
        .collect();
    let fins: HashMap<Fin, SampleRef> = store
        .ident_records()?
        .into_iter()
        .map(|r| (r.fin, r.sample))
        .collect();
    let counties: HashMap<String, String> =
        serde_json::from_str(&store.meta("counties")?.unwrap_or_else(|| "{}".into()))
            .unwrap_or_default();
    let published: std::collections::BTreeMap<String, f64> =
        serde_json::from_str(&store.meta("published")?.unwrap_or_else(|| "{}".into()))
            .unwrap_or_default();
    let cases = store.cases()?;
    let report = stats::report(
        &cases,
        |ori| counties.get(ori).cloned().unwrap_or_default(),
        |s| truth.get(&s.0).copied(),
        |f| fins.get(&f).copied(),
    );
    Ok(Reported {
        scenario: store.meta("scenario_name")?.unwrap_or_default(),
        seed: store.meta("seed")?.unwrap_or_default(),
        scale: store
            .meta("scale")?
            .and_then(|s| s.parse().ok())
            .unwrap_or(1.0),
        mode: store.meta("identification_mode")?.unwrap_or_default(),
        pending: store.unreflected_count()? as usize,
        report,
        published: published.into_iter().collect(),
    })
}
