//! The fingerprint engine: image loading, extraction stages, templates,
//! 1:1 matching and evaluation. Knows nothing of agencies or storage.

pub mod dump;
pub mod eval;
pub mod extract;
pub mod formats;
pub mod image_io;
pub mod matcher;
pub mod synthetic;
pub mod template;
#[cfg(test)]
mod test_rng;

pub use template::{Minutia, MinutiaKind, Profile, Template, TEMPLATE_PPI};
