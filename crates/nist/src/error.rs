//! One error type for the crate: every message names what was wrong and where.

/// Errors from parsing, validating or encoding ANSI/NIST-ITL transactions and WSQ images.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// The ANSI/NIST-ITL bytes are malformed at a known place.
    #[error("ANSI/NIST: record {record} (Type-{record_type}) at byte {offset}: {message}")]
    Record {
        /// 1-based index of the record in the file.
        record: usize,
        /// Record type from the CNT field (0 if not yet known).
        record_type: u16,
        /// Byte offset in the file where the problem was found.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// The transaction as a whole is inconsistent (CNT, trailing bytes, ...).
    #[error("ANSI/NIST: {0}")]
    Transaction(String),
    /// A WSQ stream is malformed.
    #[error("WSQ: {0}")]
    Wsq(String),
    /// A value given to a builder or encoder is out of range.
    #[error("invalid input: {0}")]
    Invalid(String),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
