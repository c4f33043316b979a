//! The extraction profile in a finger minutiae record: a vendor-defined
//! extended data block that ISO/IEC 19794-2:2005 and ANSI INCITS 378 carry
//! in each finger view (see [`PROFILE_BLOCK_TYPE`]).

use super::fmr::ExtendedDataBlock;
use crate::Profile;

/// The vendor-defined extended data block type (ISO/IEC 19794-2:2005 and
/// ANSI INCITS 378 leave 0x0100-0xFFFF to vendors) in which this engine
/// says which extraction profile made a record's minutiae. Written only for
/// [`Profile::Accurate`]: a record without it is read as fast, as every
/// other extractor's records are. Its data is [`PROFILE_BLOCK_PREFIX`] then
/// the profile's name ("accurate"); a block of this type with other data is
/// another vendor's, kept and ignored.
///
/// Why it matters: scores are read against the calibration of the
/// templates' profile, and an accurate template read as fast would be
/// judged against the wrong false-match table (its impostor scores run
/// about half again as high).
pub const PROFILE_BLOCK_TYPE: u16 = 0x5343;
/// The start of a [`PROFILE_BLOCK_TYPE`] block written by this engine.
pub const PROFILE_BLOCK_PREFIX: &[u8] = b"scomm profile=";

/// The profile named by this engine's [`PROFILE_BLOCK_TYPE`] block among
/// `blocks`: fast when there is none; an error naming the defect when the
/// block names no known profile or there are two.
pub(super) fn profile_of(blocks: &[ExtendedDataBlock]) -> Result<Profile, String> {
    let mut ours = blocks
        .iter()
        .filter(|b| b.type_id == PROFILE_BLOCK_TYPE && b.data.starts_with(PROFILE_BLOCK_PREFIX));
    let Some(block) = ours.next() else {
        return Ok(Profile::Fast);
    };
    if ours.next().is_some() {
        return Err(format!(
            "two profile blocks (extended data type 0x{PROFILE_BLOCK_TYPE:04x}): one view has one profile"
        ));
    }
    let name = &block.data[PROFILE_BLOCK_PREFIX.len()..];
    std::str::from_utf8(name)
        .ok()
        .and_then(|name| name.parse().ok())
        .ok_or_else(|| {
            format!(
                "profile block (extended data type 0x{PROFILE_BLOCK_TYPE:04x}) names profile {:?}: expected \"fast\" or \"accurate\"",
                String::from_utf8_lossy(name)
            )
        })
}

/// The extended data that records `profile`: none for fast.
pub(super) fn profile_blocks(profile: Profile) -> Vec<ExtendedDataBlock> {
    if profile == Profile::Fast {
        return Vec::new();
    }
    let mut data = PROFILE_BLOCK_PREFIX.to_vec();
    data.extend_from_slice(profile.name().as_bytes());
    vec![ExtendedDataBlock {
        type_id: PROFILE_BLOCK_TYPE,
        data,
    }]
}
