//! The policy switches every party really had, as loaded from a scenario.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::ids::{Ori, StateCode};
use crate::policy::{DetainerPolicy, Scheme, Schemes};
use crate::time::SimTime;

/// A county jail: the booking agency of a jurisdiction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Jurisdiction {
    pub ori: Ori,
    pub county: String,
    /// Day from which the FBI forwards this county's prints to IDENT; none: never activated.
    #[serde(default)]
    pub activated: Option<NaiveDate>,
    /// The jail's policy on detainers.
    #[serde(default = "default_policy")]
    pub detainer_policy: DetainerPolicy,
    /// Whether the jail tells ICE when a person with a declined detainer or an
    /// I-247N is released.
    #[serde(default = "yes")]
    pub notify_release: bool,
    /// The county asked to opt out. Once activated, forwarding to IDENT was not
    /// locally controllable: the request changes nothing but is reported.
    #[serde(default)]
    pub opt_out_requested: bool,
    /// Share of holds the jail lets run past their legal end (paperwork, shift changes).
    #[serde(default)]
    pub overhold_share: f64,
}

fn default_policy() -> DetainerPolicy {
    DetainerPolicy::All
}
fn yes() -> bool {
    true
}

impl Jurisdiction {
    pub fn activated_at(&self, t: SimTime) -> bool {
        self.activated.is_some_and(|d| SimTime::from_date(d) <= t)
    }
}

/// A state's choices as State Identification Bureau.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatePolicy {
    /// The SIB (and its jails) receive IDENT Data Responses.
    #[serde(default = "yes")]
    pub receive_idr: bool,
    /// The SIB (and its jails) receive Immigration Alien Responses.
    #[serde(default = "yes")]
    pub receive_iar: bool,
}

impl Default for StatePolicy {
    fn default() -> Self {
        StatePolicy {
            receive_idr: true,
            receive_iar: true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IceConfig {
    /// Priority scheme id (see `scomm-domain/src/policy/schemes.toml`).
    pub scheme: String,
    /// Overrides of the scheme's lodge shares, by priority label.
    pub lodge_share: BTreeMap<String, f64>,
    /// Share of honoured holds at which officers come at all.
    pub pickup_share: f64,
    /// Mean hours from release notice to pickup.
    pub pickup_hours_mean: f64,
    /// Share of detainers on previously removed people that come with a
    /// judicial warrant (a federal illegal re-entry prosecution).
    pub judicial_warrant_share: f64,
    /// Mean hours from IAR to a detainer decision.
    pub decision_hours_mean: f64,
}

impl Default for IceConfig {
    fn default() -> Self {
        IceConfig {
            scheme: "2010-levels".into(),
            lodge_share: BTreeMap::new(),
            pickup_share: 0.9,
            pickup_hours_mean: 20.0,
            judicial_warrant_share: 0.1,
            decision_hours_mean: 4.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LescConfig {
    /// Mean hours an analyst takes from IAQ to IAR.
    pub review_hours_mean: f64,
    /// Share of reviews in which the analyst also checks USCIS systems and so
    /// catches a naturalisation IDENT does not show.
    pub uscis_check_share: f64,
}

impl Default for LescConfig {
    fn default() -> Self {
        LescConfig {
            review_hours_mean: 1.5,
            uscis_check_share: 0.5,
        }
    }
}

/// Transit and processing times, minutes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timing {
    pub livescan_minutes: f64,
    pub sib_minutes: f64,
    pub fbi_minutes: f64,
    pub ident_minutes: f64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            livescan_minutes: 30.0,
            sib_minutes: 5.0,
            fbi_minutes: 15.0,
            ident_minutes: 4.0,
        }
    }
}

/// Everything the agencies read; immutable during a run.
#[derive(Clone, Debug)]
pub struct Config {
    pub jurisdictions: BTreeMap<Ori, Jurisdiction>,
    pub states: BTreeMap<StateCode, StatePolicy>,
    pub ice: IceConfig,
    pub lesc: LescConfig,
    pub timing: Timing,
    pub scheme: Scheme,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("unknown priority scheme {0:?}; known: {1}")]
    UnknownScheme(String, String),
    #[error("share {field} = {value} must be between 0 and 1")]
    Share { field: String, value: f64 },
    #[error("lodge_share names {0:?}, which is not a priority label of scheme {1:?}")]
    UnknownLabel(String, String),
}

impl Config {
    pub fn new(
        jurisdictions: Vec<Jurisdiction>,
        states: BTreeMap<StateCode, StatePolicy>,
        ice: IceConfig,
        lesc: LescConfig,
        timing: Timing,
    ) -> Result<Config, ConfigError> {
        let schemes = Schemes::builtin();
        let mut scheme = schemes
            .get(&ice.scheme)
            .ok_or_else(|| {
                ConfigError::UnknownScheme(
                    ice.scheme.clone(),
                    schemes.ids().collect::<Vec<_>>().join(", "),
                )
            })?
            .clone();
        let share = |field: String, value: f64| {
            if (0.0..=1.0).contains(&value) {
                Ok(())
            } else {
                Err(ConfigError::Share { field, value })
            }
        };
        for (label, v) in &ice.lodge_share {
            share(format!("ice.lodge_share.{label:?}"), *v)?;
            let mut found = false;
            for rule in scheme.rules.iter_mut().filter(|r| &r.label == label) {
                rule.lodge_share = *v;
                found = true;
            }
            if !found {
                return Err(ConfigError::UnknownLabel(label.clone(), ice.scheme.clone()));
            }
        }
        share("ice.pickup_share".into(), ice.pickup_share)?;
        share(
            "ice.judicial_warrant_share".into(),
            ice.judicial_warrant_share,
        )?;
        share("lesc.uscis_check_share".into(), lesc.uscis_check_share)?;
        for j in &jurisdictions {
            share(format!("{}.overhold_share", j.ori), j.overhold_share)?;
        }
        Ok(Config {
            jurisdictions: jurisdictions
                .into_iter()
                .map(|j| (j.ori.clone(), j))
                .collect(),
            states,
            ice,
            lesc,
            timing,
            scheme,
        })
    }

    pub fn state_policy(&self, ori: &Ori) -> StatePolicy {
        self.states.get(&ori.state()).cloned().unwrap_or_default()
    }
}
