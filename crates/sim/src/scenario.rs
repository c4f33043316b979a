//! Scenario files (TOML): the jurisdictions, the policy switches, the
//! population and the arrest model. Every error names the file, the line and
//! the field.

use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

use scomm_domain::config::{IceConfig, Jurisdiction, LescConfig, StatePolicy, Timing};
use scomm_domain::ids::{Ori, StateCode};
use scomm_domain::offence::Catalogue;
use scomm_domain::policy::DetainerPolicy;
use scomm_domain::Config;

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub scenario: Meta,
    #[serde(default)]
    pub ice: IceConfig,
    #[serde(default)]
    pub lesc: LescConfig,
    #[serde(default)]
    pub timing: Timing,
    #[serde(default)]
    pub identification: Identification,
    pub population: PopulationModel,
    pub arrests: ArrestModel,
    #[serde(default)]
    pub courts: CourtModel,
    #[serde(default)]
    pub state: Vec<toml::Spanned<StateEntry>>,
    pub county: Vec<toml::Spanned<CountyEntry>>,
    /// Published figures to print beside the simulated ones.
    #[serde(default)]
    pub published: BTreeMap<String, f64>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub name: String,
    pub start: NaiveDate,
    /// Days on which arrests happen; cases then run to their end.
    pub days: u32,
    #[serde(default)]
    pub seed: u64,
    /// How many real people one synthetic person stands for (stated in reports).
    #[serde(default = "one")]
    pub scale: f64,
    #[serde(default)]
    pub description: String,
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum IdentificationMode {
    /// Ground truth with configured error rates.
    Oracle,
    /// The 1:N engine (`scomm-ident`) on synthetic fingers.
    Engine,
}

impl IdentificationMode {
    /// The name used in scenario files and printed with every run.
    pub fn name(self) -> &'static str {
        match self {
            IdentificationMode::Oracle => "oracle",
            IdentificationMode::Engine => "engine",
        }
    }
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields, default)]
pub struct Identification {
    pub mode: IdentificationMode,
    /// Probability a 1:N search returns someone else when the person is not
    /// enrolled (FPIR). Oracle mode draws false matches at this rate; engine
    /// mode sets its decision threshold for it.
    pub false_match_rate: f64,
    /// Probability a 1:N search misses an enrolled person (FNIR; oracle mode
    /// only: the engine's misses are its own).
    pub false_non_match_rate: f64,
    /// Probability an IDENT search fails (image quality, system error).
    pub ident_error_rate: f64,
    /// Engine mode: fingers captured per booking and per repository record
    /// (1-10; index fingers first, then thumbs, then the rest).
    pub fingers: u8,
    /// Engine mode: subjects the first-stage filter passes to the full matcher.
    pub shortlist: u32,
}

impl Default for Identification {
    fn default() -> Self {
        Identification {
            mode: IdentificationMode::Oracle,
            false_match_rate: 0.0002,
            false_non_match_rate: 0.005,
            ident_error_rate: 0.001,
            fingers: 10,
            shortlist: 50,
        }
    }
}

/// Shares of the synthetic population by true status, and what IDENT holds.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct PopulationModel {
    /// Synthetic people per county (the pool arrests draw from), unless a county says otherwise.
    pub people_per_county: u32,
    pub citizen_by_birth: f64,
    pub naturalised: f64,
    pub lpr: f64,
    pub visa_holder: f64,
    pub overstay: f64,
    pub entered_without_inspection: f64,
    pub prior_removal: f64,
    /// Share of naturalised citizens whose IDENT record misses the naturalisation.
    pub stale_record_share: f64,
    /// Share of each status with an IDENT record.
    #[serde(default = "default_in_ident")]
    pub in_ident: BTreeMap<String, f64>,
    /// Share of people with an FBI criminal record before the scenario starts.
    pub prior_record_share: f64,
    /// Mean prior convictions of those with a record.
    pub prior_convictions_mean: f64,
    /// Relative arrest rate of non-citizens (1.0: same as citizens).
    #[serde(default = "one")]
    pub noncitizen_arrest_factor: f64,
}

fn default_in_ident() -> BTreeMap<String, f64> {
    [
        ("naturalised", 0.85),
        ("lpr", 0.9),
        ("visa_holder", 1.0),
        ("overstay", 0.95),
        ("entered_without_inspection", 0.35),
        ("prior_removal", 1.0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ArrestModel {
    /// Bookings per synthetic person per year.
    pub rate_per_person_year: f64,
    /// Relative frequency of each offence kind as the lead charge.
    pub charge_mix: BTreeMap<String, f64>,
    /// Probability of a second (and again of a third) charge.
    #[serde(default)]
    pub extra_charge_share: f64,
    /// Share of bookings sent to the hub twice (livescan retransmissions).
    #[serde(default)]
    pub duplicate_share: f64,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields, default)]
pub struct CourtModel {
    pub felony_conviction_share: f64,
    pub misdemeanor_conviction_share: f64,
    pub felony_disposition_days_mean: f64,
    pub misdemeanor_disposition_days_mean: f64,
    /// Share released before disposition (bail, own recognisance).
    pub pretrial_release_share: f64,
    pub pretrial_release_days_mean: f64,
    /// Relief granted in removal proceedings: lawful residents and visa holders / others.
    pub relief_share_lawful: f64,
    pub relief_share_other: f64,
    pub proceedings_days_mean: f64,
    /// Days until a US citizen in ICE custody is released.
    pub citizen_release_days_mean: f64,
}

impl Default for CourtModel {
    fn default() -> Self {
        CourtModel {
            felony_conviction_share: 0.7,
            misdemeanor_conviction_share: 0.55,
            felony_disposition_days_mean: 90.0,
            misdemeanor_disposition_days_mean: 20.0,
            pretrial_release_share: 0.6,
            pretrial_release_days_mean: 1.5,
            relief_share_lawful: 0.3,
            relief_share_other: 0.05,
            proceedings_days_mean: 30.0,
            citizen_release_days_mean: 5.0,
        }
    }
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct StateEntry {
    pub code: StateCode,
    #[serde(default = "yes")]
    pub receive_idr: bool,
    #[serde(default = "yes")]
    pub receive_iar: bool,
}

fn yes() -> bool {
    true
}

fn all() -> DetainerPolicy {
    DetainerPolicy::All
}

/// A county as written in a scenario (fields kept flat here so that an
/// error points at the line of the field, not of the table).
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct CountyEntry {
    pub ori: Ori,
    pub county: String,
    #[serde(default)]
    pub activated: Option<NaiveDate>,
    #[serde(default = "all")]
    pub detainer_policy: DetainerPolicy,
    #[serde(default = "yes")]
    pub notify_release: bool,
    #[serde(default)]
    pub opt_out_requested: bool,
    #[serde(default)]
    pub overhold_share: f64,
    /// Synthetic people in this county (default: population.people_per_county).
    #[serde(default)]
    pub people: Option<u32>,
}

impl CountyEntry {
    pub fn jurisdiction(&self) -> Jurisdiction {
        Jurisdiction {
            ori: self.ori.clone(),
            county: self.county.clone(),
            activated: self.activated,
            detainer_policy: self.detainer_policy.clone(),
            notify_release: self.notify_release,
            opt_out_requested: self.opt_out_requested,
            overhold_share: self.overhold_share,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ScenarioError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

impl Scenario {
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: file.clone(),
            line: 0,
            message: format!("cannot read: {e}"),
        })?;
        Scenario::parse(&file, &text)
    }

    pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
        let err = |line: usize, message: String| ScenarioError {
            file: file.to_string(),
            line,
            message,
        };
        let sc: Scenario = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
            // Quote the line: it names the field (TOML's message alone may not).
            let src = text
                .lines()
                .nth(line.saturating_sub(1))
                .map(str::trim)
                .unwrap_or("");
            err(line, format!("`{src}`: {}", e.message().trim()))
        })?;
        // Semantic checks: each names the field and the line it is on.
        let find = |needle: &str| text.find(needle).map(|o| line_of(text, o)).unwrap_or(0);
        let unit = |name: &str, v: f64| -> Result<(), ScenarioError> {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                let key = name.rsplit('.').next().unwrap_or(name);
                Err(err(
                    find(key),
                    format!("{name} = {v} must be between 0 and 1"),
                ))
            }
        };
        let p = &sc.population;
        for (n, v) in [
            ("population.citizen_by_birth", p.citizen_by_birth),
            ("population.naturalised", p.naturalised),
            ("population.lpr", p.lpr),
            ("population.visa_holder", p.visa_holder),
            ("population.overstay", p.overstay),
            (
                "population.entered_without_inspection",
                p.entered_without_inspection,
            ),
            ("population.prior_removal", p.prior_removal),
            ("population.stale_record_share", p.stale_record_share),
            ("population.prior_record_share", p.prior_record_share),
            (
                "identification.false_match_rate",
                sc.identification.false_match_rate,
            ),
            (
                "identification.false_non_match_rate",
                sc.identification.false_non_match_rate,
            ),
            (
                "identification.ident_error_rate",
                sc.identification.ident_error_rate,
            ),
            ("arrests.extra_charge_share", sc.arrests.extra_charge_share),
            ("arrests.duplicate_share", sc.arrests.duplicate_share),
            (
                "courts.felony_conviction_share",
                sc.courts.felony_conviction_share,
            ),
            (
                "courts.misdemeanor_conviction_share",
                sc.courts.misdemeanor_conviction_share,
            ),
            (
                "courts.pretrial_release_share",
                sc.courts.pretrial_release_share,
            ),
            ("courts.relief_share_lawful", sc.courts.relief_share_lawful),
            ("courts.relief_share_other", sc.courts.relief_share_other),
        ] {
            unit(n, v)?;
        }
        let total = p.citizen_by_birth
            + p.naturalised
            + p.lpr
            + p.visa_holder
            + p.overstay
            + p.entered_without_inspection
            + p.prior_removal;
        if (total - 1.0).abs() > 1e-6 {
            return Err(err(
                find("[population]"),
                format!("population status shares add up to {total}, not 1"),
            ));
        }
        for (k, v) in &p.in_ident {
            if ![
                "naturalised",
                "lpr",
                "visa_holder",
                "overstay",
                "entered_without_inspection",
                "prior_removal",
            ]
            .contains(&k.as_str())
            {
                return Err(err(
                    find(k),
                    format!("population.in_ident.{k}: not a status with IDENT records"),
                ));
            }
            unit(&format!("population.in_ident.{k}"), *v)?;
        }
        let cat = Catalogue::builtin();
        for (kind, w) in &sc.arrests.charge_mix {
            if cat.get(kind).is_none() {
                let known: Vec<&str> = cat.kinds().collect();
                return Err(err(
                    find(kind),
                    format!(
                        "arrests.charge_mix: unknown offence kind {kind:?}; known: {}",
                        known.join(", ")
                    ),
                ));
            }
            if !(*w >= 0.0 && w.is_finite()) {
                return Err(err(
                    find(kind),
                    format!("arrests.charge_mix.{kind} = {w} must be a non-negative weight"),
                ));
            }
        }
        if sc.arrests.charge_mix.values().sum::<f64>() <= 0.0 {
            return Err(err(
                find("charge_mix"),
                "arrests.charge_mix: weights must not all be zero".into(),
            ));
        }
        if sc.scenario.days == 0 || sc.scenario.days > 3660 {
            return Err(err(
                find("days"),
                format!("scenario.days = {} must be 1 to 3660", sc.scenario.days),
            ));
        }
        if !(sc.scenario.scale.is_finite() && sc.scenario.scale > 0.0) {
            return Err(err(
                find("scale = "),
                format!(
                    "scenario.scale = {}: one synthetic person stands for a positive number of people",
                    sc.scenario.scale
                ),
            ));
        }
        if sc.population.people_per_county == 0 {
            return Err(err(
                find("people_per_county"),
                "population.people_per_county = 0: a county needs people to arrest".into(),
            ));
        }
        if sc.county.is_empty() {
            return Err(err(
                0,
                "no [[county]]: a scenario needs at least one jurisdiction".into(),
            ));
        }
        let mut seen = BTreeMap::new();
        for (i, c) in sc.county.iter().enumerate() {
            let line = line_of(text, c.span().start);
            let j = c.get_ref();
            if let Some(prev) = seen.insert(j.ori.clone(), line) {
                return Err(err(
                    line,
                    format!("county[{i}]: ORI {} already used on line {prev}", j.ori),
                ));
            }
            if j.people == Some(0) {
                return Err(err(
                    line,
                    format!(
                        "county[{i}] ({}): people = 0: a county needs people to arrest",
                        j.ori
                    ),
                ));
            }
            if !(0.0..=1.0).contains(&j.overhold_share) {
                return Err(err(
                    line,
                    format!(
                        "county[{i}] ({}): overhold_share = {} must be between 0 and 1",
                        j.ori, j.overhold_share
                    ),
                ));
            }
        }
        for s in &sc.state {
            let code = &s.get_ref().code;
            if !sc.county.iter().any(|c| &c.get_ref().ori.state() == code) {
                return Err(err(
                    line_of(text, s.span().start),
                    format!("state {code}: no county of this scenario is in it"),
                ));
            }
        }
        if !(1..=10).contains(&sc.identification.fingers) {
            return Err(err(
                find("fingers = "),
                format!(
                    "identification.fingers = {}: a booking captures 1 to 10 fingers",
                    sc.identification.fingers
                ),
            ));
        }
        if sc.identification.shortlist == 0 {
            return Err(err(
                find("shortlist = "),
                "identification.shortlist = 0: the full matcher must see at least one subject"
                    .into(),
            ));
        }
        sc.config().map_err(|e| err(find("[ice]"), e.to_string()))?;
        Ok(sc)
    }

    /// The agencies' configuration.
    pub fn config(&self) -> Result<Config, scomm_domain::config::ConfigError> {
        let states = self
            .state
            .iter()
            .map(|s| {
                let s = s.get_ref();
                (
                    s.code.clone(),
                    StatePolicy {
                        receive_idr: s.receive_idr,
                        receive_iar: s.receive_iar,
                    },
                )
            })
            .collect();
        Config::new(
            self.county
                .iter()
                .map(|c| c.get_ref().jurisdiction())
                .collect(),
            states,
            self.ice.clone(),
            self.lesc.clone(),
            self.timing.clone(),
        )
    }

    pub fn counties(&self) -> impl Iterator<Item = &CountyEntry> {
        self.county.iter().map(|c| c.get_ref())
    }

    pub fn county_name(&self, ori: &str) -> String {
        self.counties()
            .find(|c| c.ori.as_str() == ori)
            .map(|c| c.county.clone())
            .unwrap_or_default()
    }

    pub fn ori_index(&self) -> BTreeMap<Ori, usize> {
        self.counties()
            .enumerate()
            .map(|(i, c)| (c.ori.clone(), i))
            .collect()
    }
}
