//! Image loaders (PNG, BMP, TIFF, PGM/PPM): any bytes must give an image or
//! an error, never a panic or an allocation beyond the size limits. A small
//! decoded image is also extracted with both profiles (any pixels must give
//! a template or an error).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scomm_fingerprint::{extract, image_io};

fuzz_target!(|data: &[u8]| {
    if let Ok(image) = image_io::decode_image(data) {
        assert_eq!(image.pixels.len(), (image.width * image.height) as usize);
        // Resampling a small decoded image must not fail either.
        if image.width <= 512 && image.height <= 512 {
            image_io::resample_to_500ppi(&image, 569.0).expect("resampling a decoded image");
        }
        // Small enough to keep the fuzzer fast: extraction is milliseconds.
        if image.width <= 160 && image.height <= 160 {
            for profile in extract::Profile::ALL {
                let (w, h) = (image.width as usize, image.height as usize);
                if let Ok(t) = extract::extract_with(&image.pixels, w, h, 500.0, profile) {
                    assert!(t.minutiae.len() <= extract::minutiae::MAX_MINUTIAE);
                }
            }
        }
    }
});
