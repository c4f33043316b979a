//! Image loaders (PNG, BMP, TIFF, PGM/PPM): any bytes must give an image or
//! an error, never a panic or an allocation beyond the size limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scomm_fingerprint::image_io;

fuzz_target!(|data: &[u8]| {
    if let Ok(image) = image_io::decode_image(data) {
        assert_eq!(image.pixels.len(), (image.width * image.height) as usize);
        // Resampling a small decoded image must not fail either.
        if image.width <= 512 && image.height <= 512 {
            image_io::resample_to_500ppi(&image, 569.0).expect("resampling a decoded image");
        }
    }
});
