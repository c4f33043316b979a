//! Policy as data: ICE priority schemes (`schemes.toml`) and each jail's
//! detainer policy. The code here only knows the vocabulary of predicates;
//! which predicates make which priority is data.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::immigration::{EncounterKind, IdentRecord, Removability, Status};
use crate::offence::{level_2010, Catalogue, Charge, Conviction, Level, OffenceFlag};
use crate::time::SimTime;

/// The I-247 family of detainer forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DetainerForm {
    /// Immigration Detainer - Notice of Action (2010-2015 versions): request to hold.
    #[serde(rename = "I-247")]
    I247,
    /// PEP request for voluntary transfer / detention.
    #[serde(rename = "I-247D")]
    I247D,
    /// PEP request for voluntary notification of release: no hold.
    #[serde(rename = "I-247N")]
    I247N,
    /// Immigration Detainer - Notice of Action (2017), with an administrative warrant.
    #[serde(rename = "I-247A")]
    I247A,
}

impl DetainerForm {
    /// Whether the form asks the jail to hold the person (rather than only notify).
    pub fn requests_hold(self) -> bool {
        !matches!(self, DetainerForm::I247N)
    }
    pub fn label(self) -> &'static str {
        match self {
            DetainerForm::I247 => "I-247",
            DetainerForm::I247D => "I-247D",
            DetainerForm::I247N => "I-247N",
            DetainerForm::I247A => "I-247A",
        }
    }
}

/// One predicate of the scheme vocabulary.
#[derive(Clone, Debug, PartialEq)]
pub enum Predicate {
    Removable,
    RemovableOrUndetermined,
    ConvictedAny,
    ConvictedFelony,
    ConvictedFelonyNonImmigration,
    ConvictedAggravatedFelony,
    ConvictedGang,
    ConvictedSignificantMisdemeanor,
    ConvictedPublicSafetyMisdemeanor,
    ConvictedMisdemeanorsAtLeast(usize),
    ConvictedNonTrafficMisdemeanorsAtLeast(usize),
    ChargedAny,
    ChargedFelony,
    ChargedPublicSafetyMisdemeanor,
    LevelByCharges(Level),
    PriorRemoval,
    RemovedSince(SimTime),
    EnteredUnlawfullySince(SimTime),
    Not(Box<Predicate>),
}

impl Predicate {
    pub fn parse(text: &str) -> Result<Predicate, String> {
        let t = text.trim();
        if let Some(rest) = t.strip_prefix("not ") {
            return Ok(Predicate::Not(Box::new(Predicate::parse(rest)?)));
        }
        let count = |v: &str| {
            v.trim()
                .parse::<usize>()
                .map_err(|_| format!("predicate {t:?}: {v:?} is not a count"))
        };
        let date = |v: &str| {
            NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
                .map(SimTime::from_date)
                .map_err(|_| format!("predicate {t:?}: {v:?} is not a date YYYY-MM-DD"))
        };
        if let Some((name, v)) = t.split_once(">=") {
            return match name.trim() {
                "convicted_misdemeanors" => Ok(Predicate::ConvictedMisdemeanorsAtLeast(count(v)?)),
                "convicted_non_traffic_misdemeanors" => {
                    Ok(Predicate::ConvictedNonTrafficMisdemeanorsAtLeast(count(v)?))
                }
                other => Err(format!("predicate {t:?}: {other:?} takes no '>='")),
            };
        }
        if let Some((name, v)) = t.split_once('=') {
            return match name.trim() {
                "level_by_charges" => Ok(Predicate::LevelByCharges(match v.trim() {
                    "1" => Level::L1,
                    "2" => Level::L2,
                    "3" => Level::L3,
                    "nc" => Level::NonCriminal,
                    other => {
                        return Err(format!(
                            "predicate {t:?}: level {other:?} is not 1, 2, 3 or nc"
                        ))
                    }
                })),
                "removed_since" => Ok(Predicate::RemovedSince(date(v)?)),
                "entered_unlawfully_since" => Ok(Predicate::EnteredUnlawfullySince(date(v)?)),
                other => Err(format!("predicate {t:?}: {other:?} takes no '='")),
            };
        }
        Ok(match t {
            "removable" => Predicate::Removable,
            "removable_or_undetermined" => Predicate::RemovableOrUndetermined,
            "convicted_any" => Predicate::ConvictedAny,
            "convicted_felony" => Predicate::ConvictedFelony,
            "convicted_felony_non_immigration" => Predicate::ConvictedFelonyNonImmigration,
            "convicted_aggravated_felony" => Predicate::ConvictedAggravatedFelony,
            "convicted_gang" => Predicate::ConvictedGang,
            "convicted_significant_misdemeanor" => Predicate::ConvictedSignificantMisdemeanor,
            "convicted_public_safety_misdemeanor" => Predicate::ConvictedPublicSafetyMisdemeanor,
            "charged_any" => Predicate::ChargedAny,
            "charged_felony" => Predicate::ChargedFelony,
            "charged_public_safety_misdemeanor" => Predicate::ChargedPublicSafetyMisdemeanor,
            "prior_removal" => Predicate::PriorRemoval,
            other => return Err(format!("unknown predicate {other:?}")),
        })
    }

    pub fn holds(&self, f: &Facts) -> bool {
        let cat = Catalogue::builtin();
        let convicted = || f.convictions.iter().map(|c| c.offence());
        let charged = || f.charges.iter().map(|c| cat.offence(&c.kind));
        let misdemeanors = || convicted().filter(|o| !o.felony);
        match self {
            Predicate::Removable => f.removability == Removability::Removable,
            Predicate::RemovableOrUndetermined => f.removability != Removability::NotRemovable,
            Predicate::ConvictedAny => !f.convictions.is_empty(),
            Predicate::ConvictedFelony => convicted().any(|o| o.felony),
            Predicate::ConvictedFelonyNonImmigration => {
                convicted().any(|o| o.felony && !o.has(OffenceFlag::Immigration))
            }
            Predicate::ConvictedAggravatedFelony => {
                convicted().any(|o| o.has(OffenceFlag::AggravatedFelony))
            }
            Predicate::ConvictedGang => convicted().any(|o| o.has(OffenceFlag::Gang)),
            Predicate::ConvictedSignificantMisdemeanor => {
                f.convictions.iter().any(|c| c.significant_misdemeanor())
            }
            Predicate::ConvictedPublicSafetyMisdemeanor => {
                convicted().any(|o| o.public_safety_misdemeanor_kind())
            }
            Predicate::ConvictedMisdemeanorsAtLeast(n) => misdemeanors().count() >= *n,
            Predicate::ConvictedNonTrafficMisdemeanorsAtLeast(n) => {
                misdemeanors()
                    .filter(|o| {
                        !o.has(OffenceFlag::MinorTraffic) && !o.has(OffenceFlag::Immigration)
                    })
                    .count()
                    >= *n
            }
            Predicate::ChargedAny => !f.charges.is_empty(),
            Predicate::ChargedFelony => charged().any(|o| o.felony),
            Predicate::ChargedPublicSafetyMisdemeanor => {
                charged().any(|o| o.public_safety_misdemeanor_kind())
            }
            Predicate::LevelByCharges(l) => level_2010(convicted().chain(charged())) == *l,
            Predicate::PriorRemoval => f.status == Status::PriorRemoval,
            Predicate::RemovedSince(t) => f.last_removal.is_some_and(|r| r >= *t),
            Predicate::EnteredUnlawfullySince(t) => {
                f.status == Status::EnteredWithoutInspection
                    && f.first_encounter.is_some_and(|e| e >= *t)
            }
            Predicate::Not(p) => !p.holds(f),
        }
    }
}

impl<'de> Deserialize<'de> for Predicate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Predicate::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// What ICE knows about a person when it applies a scheme.
#[derive(Clone, Debug)]
pub struct Facts<'a> {
    pub status: Status,
    pub removability: Removability,
    pub convictions: &'a [Conviction],
    pub charges: &'a [Charge],
    pub last_removal: Option<SimTime>,
    pub first_encounter: Option<SimTime>,
}

impl<'a> Facts<'a> {
    /// Dates an IDENT record contributes to the facts.
    pub fn record_dates(record: Option<&IdentRecord>) -> (Option<SimTime>, Option<SimTime>) {
        let Some(r) = record else { return (None, None) };
        let last_removal = r
            .encounters
            .iter()
            .filter(|e| e.kind == EncounterKind::Removal)
            .map(|e| e.at)
            .max();
        let first = r.encounters.iter().map(|e| e.at).min();
        (last_removal, first)
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub label: String,
    pub detainer: DetainerForm,
    pub lodge_share: f64,
    pub all: Vec<Predicate>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheme {
    pub id: String,
    pub title: String,
    pub effective: NaiveDate,
    pub eligible: Vec<Predicate>,
    pub rules: Vec<Rule>,
}

/// The outcome of applying a scheme.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Priority {
    /// The person is not eligible (not removable, or status not established).
    NotEligible,
    /// Eligible, but no rule holds.
    NotMet,
    /// A rule holds.
    Met {
        label: String,
        detainer: DetainerForm,
        lodge_share: f64,
    },
}

impl Scheme {
    pub fn evaluate(&self, facts: &Facts) -> Priority {
        if !self.eligible.iter().all(|p| p.holds(facts)) {
            return Priority::NotEligible;
        }
        for rule in &self.rules {
            if rule.all.iter().all(|p| p.holds(facts)) {
                return Priority::Met {
                    label: rule.label.clone(),
                    detainer: rule.detainer,
                    lodge_share: rule.lodge_share,
                };
            }
        }
        Priority::NotMet
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemesFile {
    scheme: Vec<Scheme>,
}

#[derive(Debug, thiserror::Error)]
pub enum SchemeError {
    // The parser's error is part of the text, not the source: a caller that
    // prints the chain says it once.
    #[error("priority schemes: {0}")]
    Parse(toml::de::Error),
    #[error("priority scheme {0:?}: lodge_share {1} of rule {2:?} is not in [0, 1]")]
    Share(String, f64, String),
}

impl From<toml::de::Error> for SchemeError {
    fn from(error: toml::de::Error) -> Self {
        SchemeError::Parse(error)
    }
}

/// All schemes, by id.
pub struct Schemes(BTreeMap<String, Scheme>);

impl Schemes {
    pub fn parse(text: &str) -> Result<Schemes, SchemeError> {
        let file: SchemesFile = toml::from_str(text)?;
        for s in &file.scheme {
            for r in &s.rules {
                if !(0.0..=1.0).contains(&r.lodge_share) {
                    return Err(SchemeError::Share(
                        s.id.clone(),
                        r.lodge_share,
                        r.label.clone(),
                    ));
                }
            }
        }
        Ok(Schemes(
            file.scheme.into_iter().map(|s| (s.id.clone(), s)).collect(),
        ))
    }
    /// The schemes shipped with the program (`src/policy/schemes.toml`).
    pub fn builtin() -> &'static Schemes {
        static S: OnceLock<Schemes> = OnceLock::new();
        S.get_or_init(|| {
            Schemes::parse(include_str!("schemes.toml")).expect("built-in schemes are valid")
        })
    }
    pub fn get(&self, id: &str) -> Option<&Scheme> {
        self.0.get(id)
    }
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// A jail's policy on detainers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DetainerPolicy {
    /// Honour every detainer that requests a hold.
    All,
    /// Honour only detainers accompanied by a judicial warrant.
    JudicialWarrant,
    /// Honour only when the person's prior convictions reach one of these 2010 levels.
    Levels(Vec<Level>),
    /// Honour none.
    None,
}

impl DetainerPolicy {
    pub fn honours(&self, judicial_warrant: bool, conviction_level: Level) -> bool {
        match self {
            DetainerPolicy::All => true,
            DetainerPolicy::JudicialWarrant => judicial_warrant,
            DetainerPolicy::Levels(levels) => levels.contains(&conviction_level),
            DetainerPolicy::None => false,
        }
    }
}

#[cfg(test)]
mod tests;
