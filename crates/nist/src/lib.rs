//! scomm-nist: ANSI/NIST-ITL 1-2011 transactions (traditional encoding), the FBI EBTS
//! criminal tenprint profile, and the FBI WSQ greyscale fingerprint codec.
//!
//! This crate knows nothing of agencies or storage: bytes in, plain structs out, and back.
//!
//! - [`an2k`]: the record model, reader and writer (any version 2.0-5.02, two- or
//!   three-digit tags); read-then-write reproduces a file byte for byte.
//! - [`an2k::image`]: image records (Type-3..6, 10, 13-17) and their grey pixels.
//! - [`an2k::minutiae`]: Type-9 minutiae (standard, IAFIS and INCITS 378 blocks).
//! - [`ebts`]: building and validating a criminal tenprint submission (TOT `CAR`) and the
//!   response (`SRE`).
//! - [`wsq`]: WSQ decoder (pixel-identical to NBIS) and encoder.

pub mod an2k;
pub mod ebts;
mod error;
pub mod wsq;

pub use an2k::image::{Compression, GreyImage, ImageRecord};
pub use an2k::{Field, Record, TaggedRecord, Transaction};
pub use error::{Error, Result};
