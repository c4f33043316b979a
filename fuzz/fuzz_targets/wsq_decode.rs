//! WSQ decoder on arbitrary bytes (frames up to 256 kpx, so each run is quick): never panic,
//! never allocate past the pixel limit; a decoded image has exactly width x height pixels.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scomm_nist::wsq;

fuzz_target!(|data: &[u8]| {
    if let Ok(img) = wsq::decode_with_limit(data, 1 << 18) {
        assert_eq!(img.pixels.len(), img.width as usize * img.height as usize);
    }
});
