//! The scenario simulator: loads a scenario, generates the synthetic
//! population and the arrests, plays the courts, identifies by oracle, and
//! drives the hub to the end. A run is a pure function of scenario and seed;
//! a killed run resumes on the same database to the same result.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use scomm_domain::ids::{FbiNumber, Fin, SampleRef};
use scomm_domain::stats::{self, Report};
use scomm_domain::{Case, Dice, Envelope, Message, Party, SimTime};
use scomm_hub::{Hub, HubError, Progress};
use scomm_store::{Store, StoreError};

pub mod chart;
pub mod engine;
pub mod ingest;
pub mod oracle;
pub mod population;
pub mod scenario;
pub mod world;

pub use population::{Person, Population};
pub use scenario::{IdentificationMode, Scenario, ScenarioError};

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
    /// CPU seconds of the flow's two threads (agencies, database writer), where known.
    pub flow_cpu: Option<scomm_hub::RunCpu>,
    pub mode: &'static str,
}

pub struct Options {
    pub seed: Option<u64>,
    /// Identification mode, overriding the scenario's.
    pub mode: Option<scenario::IdentificationMode>,
    /// Commit after this many messages.
    pub commit_every: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: None,
            mode: None,
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
    let mut sc = Scenario::parse(&scenario_path.display().to_string(), &text)?;
    let seed = opts.seed.unwrap_or(sc.scenario.seed);
    if let Some(mode) = opts.mode {
        sc.identification.mode = mode;
    }
    let mode = sc.identification.mode;
    // The mode is part of what a run is: resuming in the other mode is refused.
    let print = fingerprint(&format!("{text}\n# identification: {}", mode.name()), seed);
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
    let mut ports: Box<dyn scomm_domain::agency::Ports> = match mode {
        IdentificationMode::Oracle => Box::new(oracle::Oracle::new(
            dice,
            sc.identification.clone(),
            population.clone(),
            &hub.state,
        )),
        IdentificationMode::Engine => Box::new(
            engine::Engine::new(
                dice,
                seed,
                sc.identification.clone(),
                population.clone(),
                &hub.state,
            )
            .map_err(|e| SimError::Ingest(format!("enrolling the repositories: {e}")))?,
        ),
    };
    let mut world = world::SimWorld::new(sc, population, dice);
    let setup_seconds = started.elapsed().as_secs_f64();
    let before = hub.state.cases.len();
    let flow = Instant::now();
    let processed = hub.run(&mut world, ports.as_mut(), progress)?;
    Ok(RunSummary {
        resumed,
        processed,
        bookings: hub.state.cases.len(),
        new_bookings: hub.state.cases.len() - before,
        setup_seconds,
        flow_seconds: flow.elapsed().as_secs_f64(),
        flow_cpu: hub.last_run_cpu,
        mode: mode.name(),
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
    tx.set_meta("identification_mode", sc.identification.mode.name())?;
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
    let cases = store.cases()?;
    let truth = StoredGroundTruth::load(&store, &cases)?;
    let counties: HashMap<String, String> =
        serde_json::from_str(&store.meta("counties")?.unwrap_or_else(|| "{}".into()))
            .unwrap_or_default();
    let published: std::collections::BTreeMap<String, f64> =
        serde_json::from_str(&store.meta("published")?.unwrap_or_else(|| "{}".into()))
            .unwrap_or_default();
    let report = stats::report(
        &cases,
        |ori| counties.get(ori).cloned().unwrap_or_default(),
        &truth,
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

/// The ground truth a finished run's database holds: the people, whose each
/// IDENT record and FBI identity is, and since when.
struct StoredGroundTruth {
    people: HashMap<u64, stats::Truth>,
    record_sample: HashMap<Fin, SampleRef>,
    with_ident_record: std::collections::HashSet<SampleRef>,
    subject_sample: HashMap<FbiNumber, SampleRef>,
    /// Per person, when each of their FBI identities began (before the run: the earliest time).
    fbi_since: HashMap<SampleRef, Vec<SimTime>>,
}

impl StoredGroundTruth {
    fn load(store: &Store, cases: &[Case]) -> Result<StoredGroundTruth, SimError> {
        let people = store
            .persons::<population::StoredTruth>()?
            .into_iter()
            .map(|(sample, t)| {
                (
                    sample,
                    stats::Truth {
                        status: t.status,
                        stale_record: t.stale_record,
                    },
                )
            })
            .collect();
        let records = store.ident_records()?;
        let booked: HashMap<scomm_domain::ids::BookingId, SimTime> =
            cases.iter().map(|c| (c.booking, c.booked_at)).collect();
        let mut subject_sample = HashMap::new();
        let mut fbi_since: HashMap<SampleRef, Vec<SimTime>> = HashMap::new();
        for s in store.subjects()? {
            subject_sample.insert(s.fbi_number, s.sample);
            let since = if s.fbi_number.0 < FIRST_NEW_FBI_NUMBER {
                SimTime(i64::MIN)
            } else {
                // Enrolled at its first booking in the run.
                s.arrests
                    .iter()
                    .filter_map(|b| booked.get(b).copied())
                    .min()
                    .unwrap_or(SimTime(i64::MAX))
            };
            fbi_since.entry(s.sample).or_default().push(since);
        }
        Ok(StoredGroundTruth {
            people,
            with_ident_record: records.iter().map(|r| r.sample).collect(),
            record_sample: records.into_iter().map(|r| (r.fin, r.sample)).collect(),
            subject_sample,
            fbi_since,
        })
    }
}

impl stats::GroundTruth for StoredGroundTruth {
    fn person(&self, sample: SampleRef) -> Option<stats::Truth> {
        self.people.get(&sample.0).copied()
    }
    fn record_sample(&self, fin: Fin) -> Option<SampleRef> {
        self.record_sample.get(&fin).copied()
    }
    fn subject_sample(&self, fbi: FbiNumber) -> Option<SampleRef> {
        self.subject_sample.get(&fbi).copied()
    }
    fn had_fbi_record(&self, sample: SampleRef, at: SimTime) -> bool {
        self.fbi_since
            .get(&sample)
            .is_some_and(|v| v.iter().any(|&t| t < at))
    }
    fn has_ident_record(&self, sample: SampleRef) -> bool {
        self.with_ident_record.contains(&sample)
    }
}
