//! Score-to-FMR calibration, measured (see BENCHMARKS.md, "Fingerprint
//! engine"): 49,920 impostor comparisons (every cross-finger pair of the
//! 320 FVC2002 DB1-DB4 B images, templates from this extractor), by
//! `cargo run --release -p scomm-fingerprint --example calibrate`. A
//! threshold is chosen by the false-match rate it allows.
//!
//! The table belongs to the matcher and extractor versions that measured
//! it: re-measure it whenever either changes scores
//! (`scripts/update_calibration.py` writes the example's output here and
//! into the fusion tables of `scomm-ident`).
//!
//! Templates of the accurate profile (both skeletons, twice the minutiae)
//! score higher against strangers as well as mates, so they have their own
//! table, [`ACCURATE_THRESHOLDS`].

use crate::extract::Profile;

/// (false match rate, lowest score that keeps to it).
pub const THRESHOLDS: [(f64, f32); 8] = [
    (1e-1, 3.19),
    (3e-2, 4.45),
    (1e-2, 5.76),
    (3e-3, 7.53),
    (1e-3, 9.16),
    (3e-4, 10.81),
    (1e-4, 12.98),
    (3e-5, 15.28),
];

/// The same for [`Profile::Accurate`] templates, measured the same way
/// (`calibrate -- ../shared/data/fvc2002 accurate`; highest impostor score
/// 23.79; FNMR at the eight points 0.5 / 0.8 / 1.2 / 1.6 / 2.0 / 2.8 / 2.9 /
/// 3.2 %). Pasted by hand: `update_calibration.py` writes the fast table.
pub const ACCURATE_THRESHOLDS: [(f64, f32); 8] = [
    (1e-1, 6.24),
    (3e-2, 8.49),
    (1e-2, 10.51),
    (3e-3, 13.23),
    (1e-3, 15.61),
    (3e-4, 18.76),
    (1e-4, 20.59),
    (3e-5, 22.32),
];

/// The table measured for a profile's templates.
pub fn table(profile: Profile) -> &'static [(f64, f32); 8] {
    match profile {
        Profile::Fast => &THRESHOLDS,
        Profile::Accurate => &ACCURATE_THRESHOLDS,
    }
}

/// Score threshold for a target false-match rate between fast-profile
/// templates (the 1:N gallery's).
pub fn threshold_for_fmr(fmr: f64) -> f32 {
    threshold_in(&THRESHOLDS, fmr)
}

/// Score threshold for a target false-match rate between templates of
/// `profile`.
pub fn threshold_for_profile(profile: Profile, fmr: f64) -> f32 {
    threshold_in(table(profile), fmr)
}

/// Interpolated in log(FMR) between the measured points (clamped to the
/// measured range).
fn threshold_in(table: &[(f64, f32); 8], fmr: f64) -> f32 {
    let (first, last) = (table[0], table[table.len() - 1]);
    if fmr.is_nan() || fmr >= first.0 {
        return first.1;
    }
    if fmr <= last.0 {
        return last.1;
    }
    for w in table.windows(2) {
        let ((f0, t0), (f1, t1)) = (w[0], w[1]);
        if fmr <= f0 && fmr >= f1 {
            let u = (f0.ln() - fmr.ln()) / (f0.ln() - f1.ln());
            return t0 + (t1 - t0) * u as f32;
        }
    }
    last.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_rise_as_the_allowed_fmr_falls() {
        for profile in Profile::ALL {
            let t = table(profile);
            assert!(t.windows(2).all(|w| w[0].0 > w[1].0 && w[0].1 < w[1].1));
            assert_eq!(t.map(|p| p.0), THRESHOLDS.map(|p| p.0), "the same points");
            assert_eq!(threshold_for_profile(profile, 1e-3), t[4].1);
        }
        // Twice the minutiae score higher against strangers too.
        assert!(ACCURATE_THRESHOLDS
            .iter()
            .zip(&THRESHOLDS)
            .all(|(a, f)| a.1 > f.1));
        // Measured points exactly; between them in log(FMR); clamped outside.
        assert_eq!(THRESHOLDS[6].0, 1e-4);
        assert_eq!(threshold_for_fmr(1e-4), THRESHOLDS[6].1);
        let between = threshold_for_fmr(5e-4);
        assert!(between > THRESHOLDS[4].1 && between < THRESHOLDS[5].1);
        let (at_1e3, at_3e4) = (THRESHOLDS[4].1, THRESHOLDS[5].1);
        let middle = threshold_for_fmr((1e-3f64 * 3e-4).sqrt());
        assert!((middle - (at_1e3 + at_3e4) / 2.0).abs() < 1e-3);
        assert_eq!(threshold_for_fmr(0.5), THRESHOLDS[0].1);
        assert_eq!(threshold_for_fmr(1e-9), THRESHOLDS[7].1);
    }
}
