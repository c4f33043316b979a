//! Minutiae extraction, as a chain of small named stages:
//!
//! 1. `resample`: scale to the 500 ppi working resolution;
//! 2. `segment`: foreground mask per 8x8 block;
//! 3. `orientation`: ridge orientation and coherence per block;
//! 4. `frequency`: ridge period per block;
//! 5. `enhance`: oriented band-pass filtering (separable Gabor), and
//!    `clarity`: how much of the image that ridge model explains per block;
//! 6. `skeleton`: binarisation, speck removal, thinning;
//! 7. `graph` + `minutiae`: skeleton graph, false-structure removal,
//!    minutiae with direction and quality (from orientation coherence,
//!    ridge clarity and distance to the print's edge);
//! 8. `valley` ([`Profile::Accurate`] only): the valley skeleton's minutiae
//!    too, each minutia both skeletons show kept as two readings (twins).
//!
//! `extract_stages` keeps every intermediate result so that `dump` can
//! draw what the engine saw at each step.

pub mod clarity;
pub mod enhance;
pub mod frequency;
pub mod graph;
pub mod grid;
pub mod minutiae;
pub mod orientation;
pub mod segment;
pub mod skeleton;
pub mod valley;

use crate::template::{Minutia, Template, TEMPLATE_PPI};
use grid::Grid;
use orientation::OrientationField;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ExtractError {
    #[error("image size {width}x{height} is outside 16..=8192 pixels per side")]
    BadSize { width: usize, height: usize },
    #[error("image has {actual} pixels, {width}x{height} needs {expected}")]
    PixelCount {
        width: usize,
        height: usize,
        expected: usize,
        actual: usize,
    },
    #[error("resolution {0} dpi is outside the supported 150..=2000 dpi")]
    BadDpi(f64),
    #[error(
        "image is {width}x{height} at 500 ppi, too small to hold a fingerprint (at least 64x64)"
    )]
    TooSmall { width: usize, height: usize },
}

/// Loading or extracting an image file failed. The message names the file
/// and says why (the cause is in the message, not chained as a source, so
/// that error reports that print the chain say it once).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("loading {}: {error}", path.display())]
    Load {
        path: std::path::PathBuf,
        error: crate::image_io::ImageError,
    },
    #[error("extracting minutiae from {}: {error}", path.display())]
    Extract {
        path: std::path::PathBuf,
        error: ExtractError,
    },
}

pub use crate::template::Profile;

/// Every intermediate result of one extraction.
pub struct Stages {
    /// Input at 500 ppi.
    pub image: Grid<u8>,
    pub mask: Grid<bool>,
    pub border: Grid<u8>,
    pub field: OrientationField,
    pub period: Grid<f32>,
    pub enhanced: Grid<f32>,
    /// Per block, in [0, 1].
    pub clarity: Grid<f32>,
    pub binary: Grid<bool>,
    pub skeleton: Grid<bool>,
    /// Skeleton graph after false-structure removal.
    pub graph: graph::SkeletonGraph,
    /// The thinned valleys ([`Profile::Accurate`] only).
    pub valley_skeleton: Option<Grid<bool>>,
    /// The minutiae, and the profile that read them (`template.profile`).
    pub template: Template,
}

/// Extract a template from an 8-bit greyscale image (0 = black) scanned at `dpi`.
pub fn extract(
    pixels: &[u8],
    width: usize,
    height: usize,
    dpi: f64,
) -> Result<Template, ExtractError> {
    extract_stages(pixels, width, height, dpi).map(|s| s.template)
}

/// [`extract`] with the minutiae of a [`Profile`].
pub fn extract_with(
    pixels: &[u8],
    width: usize,
    height: usize,
    dpi: f64,
    profile: Profile,
) -> Result<Template, ExtractError> {
    extract_stages_with(pixels, width, height, dpi, profile).map(|s| s.template)
}

/// Extract a template from an image file (any format `image_io` reads)
/// scanned at `dpi`.
pub fn extract_file(path: impl AsRef<std::path::Path>, dpi: f64) -> Result<Template, FileError> {
    extract_stages_file(path, dpi).map(|s| s.template)
}

/// [`extract_file`] with the minutiae of a [`Profile`].
pub fn extract_file_with(
    path: impl AsRef<std::path::Path>,
    dpi: f64,
    profile: Profile,
) -> Result<Template, FileError> {
    extract_stages_file_with(path, dpi, profile).map(|s| s.template)
}

/// [`extract_stages`] of an image file scanned at `dpi`.
pub fn extract_stages_file(
    path: impl AsRef<std::path::Path>,
    dpi: f64,
) -> Result<Stages, FileError> {
    extract_stages_file_with(path, dpi, Profile::Fast)
}

/// [`extract_stages_with`] of an image file scanned at `dpi`.
pub fn extract_stages_file_with(
    path: impl AsRef<std::path::Path>,
    dpi: f64,
    profile: Profile,
) -> Result<Stages, FileError> {
    let path = path.as_ref();
    stages_of_loaded(path, crate::image_io::load_image(path), dpi, profile)
}

/// [`extract_stages_with`] of a headerless 8-bit grey file of `width` x
/// `height` pixels (0 = black) scanned at `dpi`.
pub fn extract_stages_raw_file_with(
    path: impl AsRef<std::path::Path>,
    width: u32,
    height: u32,
    dpi: f64,
    profile: Profile,
) -> Result<Stages, FileError> {
    let path = path.as_ref();
    let image = crate::image_io::load_raw(path, width, height);
    stages_of_loaded(path, image, dpi, profile)
}

/// [`extract_stages_with`] of an image file's contents, already read: any
/// format `image_io` reads, or with `raw` = (width, height) headerless 8-bit
/// grey (0 = black). Errors name `path`, as if the file had been loaded
/// here; for a caller that has read the file to tell what it holds.
pub fn extract_stages_bytes_with(
    path: impl AsRef<std::path::Path>,
    bytes: &[u8],
    raw: Option<(u32, u32)>,
    dpi: f64,
    profile: Profile,
) -> Result<Stages, FileError> {
    let image = match raw {
        Some((width, height)) => crate::image_io::decode_raw(bytes, width, height),
        None => crate::image_io::decode_image(bytes),
    };
    stages_of_loaded(path.as_ref(), image, dpi, profile)
}

/// The stages of an image loaded from `path`, its errors naming the file.
fn stages_of_loaded(
    path: &std::path::Path,
    image: Result<crate::image_io::GrayImage, crate::image_io::ImageError>,
    dpi: f64,
    profile: Profile,
) -> Result<Stages, FileError> {
    let image = image.map_err(|error| FileError::Load {
        path: path.to_path_buf(),
        error,
    })?;
    extract_stages_with(
        &image.pixels,
        image.width as usize,
        image.height as usize,
        dpi,
        profile,
    )
    .map_err(|error| FileError::Extract {
        path: path.to_path_buf(),
        error,
    })
}

/// [`extract_stages_with`] the fast profile.
pub fn extract_stages(
    pixels: &[u8],
    width: usize,
    height: usize,
    dpi: f64,
) -> Result<Stages, ExtractError> {
    extract_stages_with(pixels, width, height, dpi, Profile::Fast)
}

pub fn extract_stages_with(
    pixels: &[u8],
    width: usize,
    height: usize,
    dpi: f64,
    profile: Profile,
) -> Result<Stages, ExtractError> {
    if !(16..=8192).contains(&width) || !(16..=8192).contains(&height) {
        return Err(ExtractError::BadSize { width, height });
    }
    if pixels.len() != width * height {
        return Err(ExtractError::PixelCount {
            width,
            height,
            expected: width * height,
            actual: pixels.len(),
        });
    }
    if !dpi.is_finite() || !(150.0..=2000.0).contains(&dpi) {
        return Err(ExtractError::BadDpi(dpi));
    }
    let input = Grid {
        width,
        height,
        data: pixels.to_vec(),
    };
    let factor = TEMPLATE_PPI as f64 / dpi;
    let image = if (factor - 1.0).abs() < 0.01 {
        input
    } else {
        grid::resample(&input, factor)
    };
    if image.width < 64 || image.height < 64 {
        return Err(ExtractError::TooSmall {
            width: image.width,
            height: image.height,
        });
    }
    // Ridges bright: the filters then answer positive on ridges.
    let inverted = image.map(|v| 255.0 - v as f32);
    let grads = segment::block_gradients(&inverted);
    let mask = segment::segment(&grads);
    let border = segment::border_distance(&mask);
    let field = orientation::orientation_field(&grads, &mask);
    let period = frequency::ridge_period(&inverted, &field, &mask);
    let region = segment::dilate(&mask);
    let enhanced = enhance::enhance(&inverted, &field, &period, &region);
    let clarity = clarity::ridge_clarity(&inverted, &enhanced, &mask);
    let binary = skeleton::binarise(&enhanced, &mask);
    let skeleton = skeleton::thin(&binary);
    let mut graph = graph::SkeletonGraph::build(&skeleton);
    minutiae::remove_false_structures(&mut graph);
    let mut candidates = minutiae::candidates(&graph, &field);
    minutiae::remove_gaps(&mut candidates);
    let finish = |c: &[minutiae::Candidate]| minutiae::finish(c, &field, &border, &clarity);
    let (found, valley_skeleton): (Vec<Minutia>, _) = match profile {
        Profile::Fast => (finish(&candidates), None),
        Profile::Accurate => {
            let thinned = skeleton::thin(&valley::valleys(&binary, &mask));
            let in_valleys = valley::valley_candidates(&thinned, &field);
            let found = valley::both_readings(&candidates, &in_valleys, finish);
            (found, Some(thinned))
        }
    };
    let template = Template {
        width: image.width.min(u16::MAX as usize) as u16,
        height: image.height.min(u16::MAX as usize) as u16,
        minutiae: found,
        profile,
    };
    Ok(Stages {
        image,
        mask,
        border,
        field,
        period,
        enhanced,
        clarity,
        binary,
        skeleton,
        graph,
        valley_skeleton,
        template,
    })
}

#[cfg(test)]
mod tests;
