//! Offences (NCIC codes), charges, dispositions and the 2010 levels.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::time::SimTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffenceFlag {
    AggravatedFelony,
    Violent,
    Sexual,
    Dui,
    DrugTrafficking,
    Drug,
    Firearm,
    DomesticViolence,
    Burglary,
    Flight,
    Gang,
    Immigration,
    MinorTraffic,
    Cimt,
}

/// One entry of the offence catalogue.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Offence {
    /// NCIC offence code (OFF field), four digits.
    pub code: String,
    /// The catalogue's key; several kinds may share one NCIC code.
    pub kind: String,
    pub description: String,
    pub felony: bool,
    pub max_sentence_days: u32,
    #[serde(default)]
    pub flags: Vec<OffenceFlag>,
}

impl Offence {
    pub fn has(&self, flag: OffenceFlag) -> bool {
        self.flags.contains(&flag)
    }
    /// "Punishable by more than one year" (the 2010 levels' dividing line).
    pub fn punishable_over_one_year(&self) -> bool {
        self.max_sentence_days > 365
    }
    /// PEP 2014's "significant misdemeanor" by kind of offence (a sentence of
    /// 90 days or more is the other way in; see `Conviction::significant_misdemeanor`).
    pub fn significant_misdemeanor_kind(&self) -> bool {
        !self.felony
            && [
                OffenceFlag::DomesticViolence,
                OffenceFlag::Sexual,
                OffenceFlag::Burglary,
                OffenceFlag::Firearm,
                OffenceFlag::DrugTrafficking,
                OffenceFlag::Dui,
            ]
            .iter()
            .any(|f| self.has(*f))
    }
    /// The Dec 2012 detainer criteria's misdemeanour list: violence, threats,
    /// assault, sexual abuse or exploitation, DUI, unlawful flight, drug
    /// distribution or trafficking.
    pub fn public_safety_misdemeanor_kind(&self) -> bool {
        !self.felony
            && [
                OffenceFlag::Violent,
                OffenceFlag::Sexual,
                OffenceFlag::Dui,
                OffenceFlag::Flight,
                OffenceFlag::DrugTrafficking,
            ]
            .iter()
            .any(|f| self.has(*f))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    offence: Vec<Offence>,
}

/// The offence catalogue, keyed by `kind`.
pub struct Catalogue {
    by_kind: HashMap<String, Offence>,
    order: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    // The parser's error is part of the text, not the source: a caller that
    // prints the chain says it once.
    #[error("offence catalogue: {0}")]
    Parse(toml::de::Error),
    #[error("offence catalogue: NCIC code {code:?} of kind {kind:?} must be four digits")]
    Code { code: String, kind: String },
    #[error("offence catalogue: kind {0:?} appears twice")]
    Duplicate(String),
}

impl From<toml::de::Error> for CatalogueError {
    fn from(error: toml::de::Error) -> Self {
        CatalogueError::Parse(error)
    }
}

impl Catalogue {
    pub fn parse(text: &str) -> Result<Catalogue, CatalogueError> {
        let file: CatalogueFile = toml::from_str(text)?;
        let mut by_kind = HashMap::new();
        let mut order = Vec::new();
        for o in file.offence {
            if o.code.len() != 4 || !o.code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(CatalogueError::Code {
                    code: o.code,
                    kind: o.kind,
                });
            }
            if by_kind.contains_key(&o.kind) {
                return Err(CatalogueError::Duplicate(o.kind));
            }
            order.push(o.kind.clone());
            by_kind.insert(o.kind.clone(), o);
        }
        Ok(Catalogue { by_kind, order })
    }
    /// The catalogue shipped with the program (`src/offences.toml`).
    pub fn builtin() -> &'static Catalogue {
        static CAT: OnceLock<Catalogue> = OnceLock::new();
        CAT.get_or_init(|| {
            Catalogue::parse(include_str!("offences.toml")).expect("built-in catalogue is valid")
        })
    }
    pub fn get(&self, kind: &str) -> Option<&Offence> {
        self.by_kind.get(kind)
    }
    /// Look up a kind known to be in the catalogue (validated at input).
    pub fn offence(&self, kind: &str) -> &Offence {
        self.by_kind
            .get(kind)
            .unwrap_or_else(|| panic!("offence kind {kind:?} was validated against the catalogue"))
    }
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.order.iter().map(String::as_str)
    }
}

/// A charge on a booking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    pub kind: String,
}

/// A conviction in a criminal history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conviction {
    pub kind: String,
    pub at: SimTime,
    /// Custodial sentence imposed (not suspended), days.
    pub sentence_days: u32,
}

impl Conviction {
    pub fn offence(&self) -> &'static Offence {
        Catalogue::builtin().offence(&self.kind)
    }
    /// PEP 2014 priority 2(b): a significant misdemeanour by kind, or any
    /// misdemeanour with a custodial sentence of 90 days or more.
    pub fn significant_misdemeanor(&self) -> bool {
        let o = self.offence();
        !o.felony && (o.significant_misdemeanor_kind() || self.sentence_days >= 90)
    }
}

/// How a charge ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Convicted { sentence_days: u32 },
    Dismissed,
}

/// ICE's 2010 Secure Communities levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    /// Aggravated felony, or two or more offences punishable by more than one year.
    L1,
    /// Any felony, or three or more offences punishable by less than one year.
    L2,
    /// Offences punishable by less than one year.
    L3,
    /// No conviction (or, counted by charges, no charge).
    NonCriminal,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::L1, Level::L2, Level::L3, Level::NonCriminal];
    pub fn label(self) -> &'static str {
        match self {
            Level::L1 => "Level 1",
            Level::L2 => "Level 2",
            Level::L3 => "Level 3",
            Level::NonCriminal => "Non-criminal",
        }
    }
    pub fn short(self) -> &'static str {
        match self {
            Level::L1 => "l1",
            Level::L2 => "l2",
            Level::L3 => "l3",
            Level::NonCriminal => "nc",
        }
    }
}

/// The 2010 level of a set of offences (convictions, or charges treated as
/// if they were convictions, as early S-Comm counted matches).
pub fn level_2010<'a>(offences: impl IntoIterator<Item = &'a Offence>) -> Level {
    let (mut n, mut over_year, mut under_year, mut felony, mut aggravated) =
        (0, 0, 0, false, false);
    for o in offences {
        n += 1;
        if o.punishable_over_one_year() {
            over_year += 1;
        } else {
            under_year += 1;
        }
        felony |= o.felony;
        aggravated |= o.has(OffenceFlag::AggravatedFelony);
    }
    if aggravated || over_year >= 2 {
        Level::L1
    } else if felony || under_year >= 3 {
        Level::L2
    } else if n > 0 {
        Level::L3
    } else {
        Level::NonCriminal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(kinds: &[&str]) -> Level {
        let c = Catalogue::builtin();
        level_2010(kinds.iter().map(|k| c.offence(k)))
    }

    #[test]
    fn builtin_catalogue_loads() {
        let c = Catalogue::builtin();
        assert!(c.kinds().count() >= 20);
        assert_eq!(c.offence("dui").code, "5499");
    }

    #[test]
    fn levels_2010_table() {
        let table: &[(&[&str], Level)] = &[
            (&[], Level::NonCriminal),
            (&["disorderly_conduct"], Level::L3),
            (&["dui", "petty_theft"], Level::L3),
            (&["dui", "petty_theft", "vandalism"], Level::L2),
            (&["grand_larceny"], Level::L2),
            (&["illegal_entry"], Level::L3),
            (&["grand_larceny", "fraud"], Level::L1),
            (&["drug_sale"], Level::L1),
            (&["homicide"], Level::L1),
            (&["weapon", "dui"], Level::L2),
        ];
        for (kinds, want) in table {
            assert_eq!(lv(kinds), *want, "{kinds:?}");
        }
    }

    #[test]
    fn significant_misdemeanor_by_kind_or_sentence() {
        let conv = |kind: &str, days| Conviction {
            kind: kind.into(),
            at: SimTime(0),
            sentence_days: days,
        };
        assert!(conv("dui", 0).significant_misdemeanor());
        assert!(!conv("petty_theft", 30).significant_misdemeanor());
        assert!(conv("petty_theft", 90).significant_misdemeanor());
        assert!(
            !conv("burglary", 400).significant_misdemeanor(),
            "felonies are not misdemeanours"
        );
    }

    #[test]
    fn catalogue_errors_name_the_defect() {
        let bad = "[[offence]]\ncode = \"12\"\nkind = \"x\"\ndescription = \"d\"\nfelony = false\nmax_sentence_days = 1\n";
        let err = Catalogue::parse(bad).err().unwrap().to_string();
        assert!(
            err.contains("\"12\"") && err.contains("four digits"),
            "{err}"
        );
        let unknown = "[[offence]]\ncode = \"1234\"\nkind = \"x\"\ndescription = \"d\"\nfelony = false\nmax_sentence_days = 1\nflags = [\"nope\"]\n";
        let err = Catalogue::parse(unknown).err().unwrap();
        // The parser's reason is in the text, and said only there.
        assert!(std::error::Error::source(&err).is_none(), "{err:?}");
        let err = err.to_string();
        assert!(err.contains("nope") && err.contains("line 7"), "{err}");
    }
}
