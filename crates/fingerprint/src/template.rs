//! The engine's minutiae template: what extraction produces, what the
//! matcher consumes, and what the interchange formats (native, ISO/IEC
//! 19794-2:2005, ANSI INCITS 378-2004) read and write.
//!
//! Coordinates are pixels at the engine's working resolution of 500 ppi
//! (images at other resolutions are rescaled before extraction; imported
//! templates are rescaled on import), origin top-left, x to the right, y down.

/// Working resolution of every template, in pixels per inch.
pub const TEMPLATE_PPI: u16 = 500;

/// Ridge ending or bifurcation (ISO/ANSI also allow "other").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MinutiaKind {
    Ending,
    Bifurcation,
    Other,
}

/// One minutia.
///
/// `direction` is in radians in [0, 2π), measured counter-clockwise from the
/// positive x axis (as ISO/IEC 19794-2 does, with y pointing down in the
/// image, so "counter-clockwise" is as seen on screen). For a ridge ending it
/// points along the ridge away from the ending, into the ridge; for a bifurcation
/// along the valley that ends there (the ISO convention).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Minutia {
    pub x: u16,
    pub y: u16,
    pub direction: f32,
    pub kind: MinutiaKind,
    /// 0 (unknown / worst) to 100 (best), as in ISO/IEC 19794-2.
    pub quality: u8,
}

/// A finger's minutiae and the size of the image they came from (at 500 ppi).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Template {
    pub width: u16,
    pub height: u16,
    pub minutiae: Vec<Minutia>,
    /// Which extraction made it: scores are read against that profile's
    /// calibration, and the 1:N gallery takes fast templates only. The
    /// native format's flags byte carries it, and ISO/ANSI records this
    /// engine writes carry an accurate profile in a vendor extended data
    /// block ([`crate::formats::PROFILE_BLOCK_TYPE`]); records without one, as
    /// other extractors write them, are read as [`Profile::Fast`] (one
    /// reading per minutia).
    pub profile: Profile,
}

/// Which minutiae a template holds: a trade of accuracy against the
/// matcher's time (measured on FVC2002 B, BENCHMARKS.md "Two profiles").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Profile {
    /// The ridge skeleton's minutiae (about 25-55 per print): the 1:N
    /// gallery's templates, and the calibration the rest of the system
    /// uses.
    #[default]
    Fast,
    /// Both skeletons' minutiae, twins as two readings (about twice as
    /// many): a lower EER on every FVC2002 B database but DB3, at about a
    /// fifth of the comparisons per second. For 1:1 verification, where one
    /// comparison's accuracy matters more than its time.
    Accurate,
}

impl Profile {
    pub const ALL: [Profile; 2] = [Profile::Fast, Profile::Accurate];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Fast => "fast",
            Profile::Accurate => "accurate",
        }
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown profile {s:?}: expected \"fast\" or \"accurate\""))
    }
}
