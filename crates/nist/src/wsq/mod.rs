//! FBI WSQ greyscale fingerprint image compression (IAFIS-IC-0110 v3.1).
//!
//! [`decode`] reproduces the NBIS reference decoder's pixels exactly (its single-precision
//! arithmetic and border handling are followed step by step); [`encode`] implements the
//! spec's encoder (9/7 filter bank, 64 subbands, variance-based bit allocation at a target
//! bit rate, two optimal Huffman tables) and writes files that NBIS decodes.

mod decode;
mod encode;
mod runs;
mod tree;
mod wavelet;

pub use decode::decode_with_limit;
pub use encode::{encode, DEFAULT_BITRATE, MIN_SIDE};

use crate::an2k::image::GreyImage;
use crate::Result;

/// Marker codes.
pub(crate) mod marker {
    pub const SOI: u16 = 0xFFA0;
    pub const EOI: u16 = 0xFFA1;
    pub const SOF: u16 = 0xFFA2;
    pub const SOB: u16 = 0xFFA3;
    pub const DTT: u16 = 0xFFA4;
    pub const DQT: u16 = 0xFFA5;
    pub const DHT: u16 = 0xFFA6;
    pub const COM: u16 = 0xFFA8;
}

/// Subbands that carry data (60-63 are never transmitted).
pub(crate) const NUM_SUBBANDS: usize = 60;

/// Largest image decoded: 64 Mpx (a 1000 ppi full palm is about 40 Mpx). The frame header
/// is checked against it before anything is allocated.
pub const MAX_PIXELS: usize = 1 << 26;

/// Decode a WSQ stream to 8-bit grey pixels (PPI from the `NIST_COM` comment, if any).
pub fn decode(data: &[u8]) -> Result<GreyImage> {
    decode_with_limit(data, MAX_PIXELS)
}
