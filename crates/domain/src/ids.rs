//! Identifiers that travel in messages.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Originating Agency Identifier: nine characters, two-letter state code
/// then seven alphanumerics (e.g. `CA0190000`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ori(String);

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum IdError {
    #[error("ORI {0:?} must be 9 characters: a 2-letter state code and 7 letters or digits")]
    Ori(String),
    #[error("state code {0:?} must be 2 upper-case letters")]
    State(String),
}

impl Ori {
    pub fn new(s: &str) -> Result<Ori, IdError> {
        let ok = s.len() == 9
            && s.as_bytes()[..2].iter().all(u8::is_ascii_uppercase)
            && s.as_bytes()[2..]
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if ok {
            Ok(Ori(s.to_string()))
        } else {
            Err(IdError::Ori(s.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The two-letter state this agency belongs to.
    pub fn state(&self) -> StateCode {
        StateCode(self.0[..2].to_string())
    }
}

impl TryFrom<String> for Ori {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Ori::new(&s)
    }
}
impl From<Ori> for String {
    fn from(o: Ori) -> String {
        o.0
    }
}
impl fmt::Debug for Ori {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ori({})", self.0)
    }
}
impl fmt::Display for Ori {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Two-letter state code.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StateCode(String);

impl StateCode {
    pub fn new(s: &str) -> Result<StateCode, IdError> {
        if s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(StateCode(s.to_string()))
        } else {
            Err(IdError::State(s.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for StateCode {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        StateCode::new(&s)
    }
}
impl From<StateCode> for String {
    fn from(s: StateCode) -> String {
        s.0
    }
}
impl fmt::Display for StateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub u64);
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{:09}"), self.0)
            }
        }
    };
}

numeric_id!(
    /// One booking (arrest event) at a jail; also the transaction control number's key.
    BookingId, "B"
);
numeric_id!(
    /// FBI Universal Control Number of a criminal-repository subject.
    FbiNumber, "FBI"
);
numeric_id!(
    /// Fingerprint Identification Number of an IDENT record.
    Fin, "FIN"
);

/// Opaque biometric sample reference carried with a booking. In `oracle`
/// identification mode it names the synthetic person whose prints these are;
/// agencies never read it, they hand it to the identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SampleRef(pub u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ori_validation() {
        assert!(Ori::new("CA0190000").is_ok());
        assert_eq!(Ori::new("CA0190000").unwrap().state().as_str(), "CA");
        for bad in [
            "CA019000",
            "ca0190000",
            "CA01900001",
            "C10190000",
            "CA01900-0",
        ] {
            assert_eq!(Ori::new(bad), Err(IdError::Ori(bad.into())), "{bad}");
        }
    }

    #[test]
    fn ids_display() {
        assert_eq!(FbiNumber(42).to_string(), "FBI000000042");
        assert_eq!(Fin(7).to_string(), "FIN000000007");
    }
}
