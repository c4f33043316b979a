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

/// What the table says of one score: the false-match rate of a threshold
/// set at that score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FmrEstimate {
    pub fmr: f64,
    pub bound: FmrBound,
}

/// How far [`FmrEstimate::fmr`] can be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FmrBound {
    /// Between two measured points, interpolated as [`threshold_for_profile`]
    /// interpolates (so each inverts the other).
    Interpolated,
    /// Under the table's lowest threshold: the FMR is this or more.
    AtLeast,
    /// At or over its highest: this or less (the measurement goes no
    /// further, 49,920 impostor pairs).
    AtMost,
}

impl FmrBound {
    pub fn name(self) -> &'static str {
        match self {
            FmrBound::Interpolated => "interpolated",
            FmrBound::AtLeast => "at_least",
            FmrBound::AtMost => "at_most",
        }
    }
}

/// The false-match rate at which a score between templates of `profile`
/// would just pass: the inverse of [`threshold_for_profile`], clamped to
/// the measured range. A NaN score passes nothing: at least the first
/// point's rate.
pub fn fmr_for_score(profile: Profile, score: f32) -> FmrEstimate {
    let table = table(profile);
    let (first, last) = (table[0], table[table.len() - 1]);
    if score.is_nan() || score < first.1 {
        return FmrEstimate {
            fmr: first.0,
            bound: FmrBound::AtLeast,
        };
    }
    if score >= last.1 {
        return FmrEstimate {
            fmr: last.0,
            bound: FmrBound::AtMost,
        };
    }
    let (lower, upper) = table
        .windows(2)
        .map(|w| (w[0], w[1]))
        .find(|&(_, (_, t1))| score < t1)
        .unwrap_or((table[table.len() - 2], last));
    let ((f0, t0), (f1, t1)) = (lower, upper);
    let u = ((score - t0) / (t1 - t0)) as f64;
    FmrEstimate {
        fmr: (f0.ln() + (f1.ln() - f0.ln()) * u).exp(),
        bound: FmrBound::Interpolated,
    }
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

    #[test]
    fn a_score_reads_back_the_fmr_of_its_threshold() {
        for profile in Profile::ALL {
            let t = table(profile);
            // At each measured threshold: that point's rate (the last one
            // as a bound: the measurement ends there).
            for &(fmr, threshold) in &t[..t.len() - 1] {
                let e = fmr_for_score(profile, threshold);
                assert_eq!(e.bound, FmrBound::Interpolated);
                assert!((e.fmr / fmr - 1.0).abs() < 1e-6, "{profile} {fmr}: {e:?}");
            }
            let top = fmr_for_score(profile, t[7].1);
            assert_eq!((top.fmr, top.bound), (t[7].0, FmrBound::AtMost));
            assert_eq!(fmr_for_score(profile, 1e6).bound, FmrBound::AtMost);
            // Under the table and for NaN: at least the first rate.
            for low in [0.0, t[0].1 - 0.01, f32::NAN, f32::NEG_INFINITY] {
                let e = fmr_for_score(profile, low);
                assert_eq!((e.fmr, e.bound), (t[0].0, FmrBound::AtLeast), "{low}");
            }
            // Between points it inverts the threshold's interpolation and
            // falls as the score rises.
            let mut previous = 1.0;
            for i in 0..=200 {
                let score = t[0].1 + (t[7].1 - t[0].1) * i as f32 / 200.0;
                let e = fmr_for_score(profile, score);
                assert!(e.fmr <= previous, "{profile} {score}");
                previous = e.fmr;
                if e.bound == FmrBound::Interpolated {
                    let back = threshold_for_profile(profile, e.fmr);
                    assert!((back - score).abs() < 1e-3, "{profile} {score} -> {back}");
                }
            }
        }
    }
}
