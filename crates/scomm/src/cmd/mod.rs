//! One module per area. Each area's owner keeps its module; `bench.rs` is
//! shared and only dispatches.
pub mod bench;
pub mod eval;
pub mod fp;
pub mod gallery;
pub mod ident;
pub mod nist;
pub mod sim;
