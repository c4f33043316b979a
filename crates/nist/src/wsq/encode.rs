//! WSQ encoder (placeholder replaced below).
use crate::an2k::image::GreyImage;
use crate::{Error, Result};

/// Default bit rate (bits per pixel), as the FBI uses for 500 ppi prints (about 15:1).
pub const DEFAULT_BITRATE: f32 = 0.75;

/// Encode 8-bit grey pixels at a target bit rate.
pub fn encode(_img: &GreyImage, _bitrate: f32) -> Result<Vec<u8>> {
    Err(Error::Invalid("encoder not yet built".into()))
}
