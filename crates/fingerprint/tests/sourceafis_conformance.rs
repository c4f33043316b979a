//! SourceAFIS test images (../shared/data/sourceafis-testimages): the
//! matching pair must score above the FMR = 0.01 % threshold and the
//! non-matching pair below it, with templates of either profile (each
//! against its own calibration). Skips when the shared data is absent.

use std::path::PathBuf;

use scomm_fingerprint::extract::Profile;
use scomm_fingerprint::matcher::{calibration, compare};
use scomm_fingerprint::{extract, image_io, Template};

fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/sourceafis-testimages");
    dir.join("probe.png").is_file().then_some(dir)
}

fn template(dir: &std::path::Path, name: &str, profile: Profile) -> Template {
    let image = image_io::load_image(dir.join(name)).expect("test image loads");
    extract::extract_with(
        &image.pixels,
        image.width as usize,
        image.height as usize,
        500.0,
        profile,
    )
    .expect("extraction")
}

#[test]
fn matching_pair_above_and_non_matching_below_the_fmr_0_01_percent_threshold() {
    let Some(dir) = data_dir() else {
        eprintln!("../shared/data/sourceafis-testimages absent: skipped");
        return;
    };
    for profile in Profile::ALL {
        let threshold = calibration::threshold_for_profile(profile, 1e-4);
        let probe = template(&dir, "probe.png", profile);
        let matching = compare(&probe, &template(&dir, "matching.png", profile));
        let nonmatching = compare(&probe, &template(&dir, "nonmatching.png", profile));
        eprintln!("{profile}: matching {matching:.2}, non-matching {nonmatching:.2}, threshold {threshold}");
        assert!(
            matching >= threshold,
            "{profile}: matching pair scored {matching}, threshold {threshold}"
        );
        assert!(
            nonmatching < threshold,
            "{profile}: non-matching pair scored {nonmatching}, threshold {threshold}"
        );
    }
}
