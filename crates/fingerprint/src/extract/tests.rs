//! Stage tests on generated images with known ridge direction, period and
//! minutiae.

use std::f32::consts::PI;

use super::grid::Grid;
use super::segment::BLOCK as BLOCK_SIDE;
use super::*;
use crate::synthetic::{Pattern, Singularity};
use crate::MinutiaKind;

fn axis_difference(a: f32, b: f32) -> f32 {
    let d = (a - b).rem_euclid(PI);
    d.min(PI - d)
}

/// Vertical ridges 9 px apart, 300x320, with one singularity (a
/// bifurcation of the dark ridges) at (150, 160).
fn one_singularity() -> Pattern {
    let mut pattern = Pattern::straight(300, 320, 9.0, 0.0);
    pattern.singularities.push(Singularity {
        x: 150.0,
        y: 160.0,
        sign: 1.0,
    });
    pattern
}

fn stages_of(pattern: &Pattern) -> Stages {
    extract_stages(&pattern.render(), pattern.width, pattern.height, 500.0).expect("extraction")
}

#[test]
fn segmentation_keeps_the_finger_and_drops_the_background() {
    let stages = stages_of(&Pattern::straight(320, 360, 9.0, 0.3));
    let mask = &stages.mask;
    let (bw, bh) = (mask.width, mask.height);
    assert!(mask.get(bw / 2, bh / 2), "centre must be foreground");
    for (x, y) in [(0, 0), (bw - 1, 0), (0, bh - 1), (bw - 1, bh - 1)] {
        assert!(!mask.get(x, y), "corner block ({x},{y}) must be background");
    }
    let share = mask.data.iter().filter(|&&m| m).count() as f32 / mask.data.len() as f32;
    // The ellipse covers π·0.42·0.45 ≈ 59 % of the image.
    assert!((0.4..0.7).contains(&share), "foreground share {share}");
}

#[test]
fn orientation_follows_the_ridges() {
    for wave in [0.0f32, 0.7, 1.6, 2.5] {
        let stages = stages_of(&Pattern::straight(300, 300, 9.0, wave));
        let ridge = wave + PI / 2.0;
        for (x, y) in [(150.0, 150.0), (120.0, 170.0), (180.0, 130.0)] {
            let got = stages.field.pixel_angle(x, y);
            assert!(
                axis_difference(got, ridge) < 0.06,
                "wave {wave}: ridge angle {got} vs {ridge}"
            );
            assert!(stages.field.pixel_coherence(x, y) > 0.8);
        }
    }
}

#[test]
fn ridge_period_is_measured() {
    for period in [7.0f32, 9.0, 12.0] {
        let stages = stages_of(&Pattern::straight(300, 300, period, 0.4));
        let got = stages
            .period
            .get(stages.period.width / 2, stages.period.height / 2);
        assert!(
            (got - period).abs() < 0.5,
            "period {period}: measured {got}"
        );
    }
}

#[test]
fn enhancement_is_positive_on_ridges_and_negative_in_valleys() {
    let pattern = Pattern::straight(300, 300, 10.0, 0.0);
    let stages = stages_of(&pattern);
    let image = pattern.render();
    let (mut agree, mut total) = (0, 0);
    for y in 100..200 {
        for x in 100..200 {
            let v = image[y * 300 + x];
            if !(60..=200).contains(&v) {
                total += 1;
                if (v < 60) == (stages.enhanced.get(x, y) > 0.0) {
                    agree += 1;
                }
            }
        }
    }
    assert!(agree as f32 > 0.97 * total as f32, "{agree} of {total}");
}

#[test]
fn thinning_gives_one_pixel_lines_that_stay_connected() {
    let mut bar = Grid::filled(60, 30, false);
    for y in 10..17 {
        for x in 5..55 {
            bar.set(x, y, true);
        }
    }
    let thin = skeleton::thin(&bar);
    let pixels: Vec<(usize, usize)> = (0..30)
        .flat_map(|y| (0..60).map(move |x| (x, y)))
        .filter(|&(x, y)| thin.get(x, y))
        .collect();
    assert!(pixels.len() >= 40, "skeleton too short: {}", pixels.len());
    for x in 10..50 {
        assert_eq!(
            pixels.iter().filter(|p| p.0 == x).count(),
            1,
            "column {x} not one pixel wide"
        );
    }
    assert!(
        pixels.iter().all(|p| (12..=14).contains(&p.1)),
        "skeleton off centre"
    );
    let (_, sizes) = segment::label_regions(&skeleton::thin(&bar).map(|v| v), true);
    // 4-connected labelling may split diagonal steps; a straight bar has none.
    assert_eq!(sizes.len(), 2);
}

#[test]
fn a_planted_minutia_is_found_where_it_was_planted() {
    let pattern = one_singularity();
    let stages = stages_of(&pattern);
    let found = &stages.template.minutiae;
    let near: Vec<_> = found
        .iter()
        .filter(|m| (m.x as f32 - 150.0).hypot(m.y as f32 - 160.0) < 8.0)
        .collect();
    assert_eq!(
        near.len(),
        1,
        "expected one minutia at the singularity, got {found:?}"
    );
    // Vertical ridges: the minutia points up or down the ridge.
    assert!(
        axis_difference(near[0].direction, PI / 2.0) < 0.35,
        "direction {}",
        near[0].direction
    );
    assert!(found.len() <= 3, "spurious minutiae: {found:?}");
}

#[test]
fn the_accurate_profile_reads_a_minutia_from_both_skeletons() {
    let pattern = one_singularity();
    let image = pattern.render();
    let fast = extract_stages(&image, 300, 320, 500.0).unwrap();
    let accurate = extract_stages_with(&image, 300, 320, 500.0, Profile::Accurate).unwrap();
    assert!(fast.valley_skeleton.is_none());
    assert_eq!(accurate.template.profile, Profile::Accurate);
    assert_eq!(fast.template.profile, Profile::Fast);
    let valleys = accurate.valley_skeleton.as_ref().expect("valley skeleton");
    assert!(valleys.data.iter().any(|&v| v));
    // Ridge and valley pixels of the skeletons never coincide.
    assert!(!valleys
        .data
        .iter()
        .zip(&accurate.skeleton.data)
        .any(|(&v, &r)| v && r));
    let near = |t: &Template| -> Vec<Minutia> {
        t.minutiae
            .iter()
            .filter(|m| (m.x as f32 - 150.0).hypot(m.y as f32 - 160.0) < 12.0)
            .copied()
            .collect()
    };
    let (one, two) = (near(&fast.template), near(&accurate.template));
    assert_eq!(one.len(), 1, "{:?}", fast.template.minutiae);
    // The ridge skeleton's reading, as the fast profile has it, and its
    // twin from the valleys: one kind, a few pixels apart, a close direction.
    assert_eq!(two.len(), 2, "{:?}", accurate.template.minutiae);
    assert!(two.contains(&one[0]), "{two:?} lacks {:?}", one[0]);
    assert_eq!(two[0].kind, two[1].kind);
    let (dx, dy) = (
        two[0].x as f32 - two[1].x as f32,
        two[0].y as f32 - two[1].y as f32,
    );
    assert!(dx.hypot(dy) < valley::TWIN_DISTANCE && dx.hypot(dy) >= 1.0);
    let turn = super::minutiae::angle_difference(two[0].direction, two[1].direction);
    assert!(turn.abs() < 0.5, "directions {two:?}");
    // Twins keep their quality.
    assert_eq!(
        two[0].quality.min(two[1].quality) as f32,
        one[0].quality as f32
    );
    assert!(accurate.template.minutiae.len() <= 2 * fast.template.minutiae.len() + 2);
}

#[test]
fn profiles_are_named() {
    for p in Profile::ALL {
        assert_eq!(p.name().parse::<Profile>(), Ok(p));
        assert_eq!(p.to_string(), p.name());
    }
    assert_eq!(Profile::default(), Profile::Fast);
    let e = "precise".parse::<Profile>().unwrap_err();
    assert!(e.contains("precise") && e.contains("accurate"), "{e}");
}

#[test]
fn a_clean_straight_pattern_has_no_minutiae() {
    let stages = stages_of(&Pattern::straight(300, 300, 9.0, 1.0));
    assert!(
        stages.template.minutiae.len() <= 1,
        "{:?}",
        stages.template.minutiae
    );
}

#[test]
fn ending_and_bifurcation_are_told_apart() {
    // The same singularity is a bifurcation of dark ridges; inverting the
    // image turns it into a ridge ending.
    let pattern = one_singularity();
    let image = pattern.render();
    let kind_at_centre = |pixels: &[u8]| {
        let t = extract(pixels, 300, 320, 500.0).unwrap();
        t.minutiae
            .iter()
            .find(|m| (m.x as f32 - 150.0).hypot(m.y as f32 - 160.0) < 8.0)
            .map(|m| m.kind)
    };
    let inverted: Vec<u8> = image.iter().map(|&v| 255 - v).collect();
    let a = kind_at_centre(&image).expect("minutia in the original");
    let b = kind_at_centre(&inverted).expect("minutia in the inverted image");
    assert_ne!(a, b);
    assert!(a != MinutiaKind::Other && b != MinutiaKind::Other);
}

#[test]
fn resolution_is_normalised_to_500_ppi() {
    let pattern = Pattern::straight(400, 400, 11.0, 0.5);
    let stages = extract_stages(&pattern.render(), 400, 400, 1000.0).unwrap();
    assert_eq!((stages.image.width, stages.image.height), (200, 200));
    let got = stages
        .period
        .get(stages.period.width / 2, stages.period.height / 2);
    assert!((got - 5.5).abs() < 0.6, "period at 500 ppi {got}");
}

#[test]
fn bad_input_is_an_error() {
    assert!(matches!(
        extract(&[0; 10], 5, 2, 500.0),
        Err(ExtractError::BadSize { .. })
    ));
    assert!(matches!(
        extract(&[0; 400], 20, 20, 500.0),
        Err(ExtractError::TooSmall { .. })
    ));
    assert!(matches!(
        extract(&[0; 99], 100, 1, 500.0),
        Err(ExtractError::BadSize { .. })
    ));
    assert!(matches!(
        extract(&[0; 10], 100, 100, 500.0),
        Err(ExtractError::PixelCount { .. })
    ));
    assert!(matches!(
        extract(&[0; 10000], 100, 100, f64::NAN),
        Err(ExtractError::BadDpi(_))
    ));
    // A blank image is valid input with no minutiae.
    assert!(extract(&[255; 10000], 100, 100, 500.0)
        .unwrap()
        .minutiae
        .is_empty());
}

/// A one-pixel ridge with a branch of `branch` pixels standing off it:
/// the degrees of the skeleton graph's ends and junctions after
/// false-structure removal, highest first (a removed branch leaves a node
/// of degree 2, no minutia).
fn degrees_with_branch(branch: usize) -> Vec<usize> {
    let mut skeleton = Grid::filled(80, 40, false);
    for x in 5..75 {
        skeleton.set(x, 30, true);
    }
    for k in 1..=branch {
        skeleton.set(40, 30 - k, true);
    }
    let mut graph = graph::SkeletonGraph::build(&skeleton);
    minutiae::remove_false_structures(&mut graph);
    let mut degrees: Vec<usize> = graph
        .degrees()
        .into_iter()
        .filter(|&d| d == 1 || d >= 3)
        .collect();
    degrees.sort_unstable_by(|a, b| b.cmp(a));
    degrees
}

#[test]
fn a_hair_on_a_ridge_goes_but_a_ridge_one_period_long_stays() {
    // Shorter than a ridge period: a hair, removed with its junction.
    assert_eq!(degrees_with_branch(4), vec![1, 1]);
    // About a period (9 px here): a real short ridge branching off, a
    // bifurcation and an ending another impression repeats.
    assert_eq!(degrees_with_branch(11), vec![3, 1, 1, 1]);
}

#[test]
fn dots_over_the_ridges_lower_the_clarity_there() {
    let pattern = Pattern::straight(320, 320, 9.0, 0.4);
    let mut pixels = pattern.render();
    // Ink dots (radius 2, about one per 10x10 pixels) on the left half
    // only, as a dry finger's pores print.
    const DOTS: usize = 500;
    let mut seed = 12345u32;
    let mut next = |n: u32| {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (seed >> 8) % n
    };
    for _ in 0..DOTS {
        let (cx, cy) = (20 + next(140) as isize, 20 + next(280) as isize);
        for dy in -2..=2isize {
            for dx in -2..=2isize {
                if dx * dx + dy * dy <= 4 {
                    pixels[((cy + dy) * 320 + cx + dx) as usize] = 0;
                }
            }
        }
    }
    let clean = stages_of(&pattern);
    let dotted = extract_stages(&pixels, 320, 320, 500.0).unwrap();
    let block = |s: &Stages, x: usize, y: usize| s.clarity.get(x / BLOCK_SIDE, y / BLOCK_SIDE);
    let (left, right) = ((100, 160), (230, 160));
    assert!(
        block(&clean, left.0, left.1) > 0.85,
        "a clean wave is explained"
    );
    assert!(
        block(&dotted, right.0, right.1) > 0.85,
        "the clean half stays clear"
    );
    let spoiled = block(&dotted, left.0, left.1);
    assert!(
        spoiled < block(&clean, left.0, left.1) - 0.1,
        "dotted half's clarity {spoiled} vs {}",
        block(&clean, left.0, left.1)
    );
}

#[test]
fn extracting_a_file_names_it_in_every_error_and_matches_the_pixels() {
    let dir = std::env::temp_dir().join(format!("scomm-extract-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.png");
    let e = extract_file(&missing, 500.0).unwrap_err();
    assert!(matches!(e, FileError::Load { .. }), "{e:?}");
    assert!(e.to_string().starts_with("loading "), "{e}");
    assert!(e.to_string().contains("missing.png"), "{e}");
    assert!(std::error::Error::source(&e).is_none());
    // Decodes, but 40x40 pixels cannot hold a print.
    let tiny = dir.join("tiny.png");
    crate::image_io::save_png(
        &crate::image_io::GrayImage::new(40, 40, vec![128; 1600]).unwrap(),
        &tiny,
    )
    .unwrap();
    let e = extract_file(&tiny, 500.0).unwrap_err();
    assert!(
        matches!(
            e,
            FileError::Extract {
                error: ExtractError::TooSmall { .. },
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("tiny.png"), "{e}");
    // A print from a file is the print from its pixels.
    let pattern = Pattern::straight(320, 360, 9.0, 0.3);
    let path = dir.join("print.png");
    let image = crate::image_io::GrayImage::new(320, 360, pattern.render()).unwrap();
    crate::image_io::save_png(&image, &path).unwrap();
    assert_eq!(
        extract_file(&path, 500.0).unwrap(),
        extract(&pattern.render(), 320, 360, 500.0).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn extracting_bytes_read_already_is_extracting_the_file() {
    let pattern = Pattern::straight(320, 360, 9.0, 0.3);
    let pixels = pattern.render();
    let image = crate::image_io::GrayImage::new(320, 360, pixels.clone()).unwrap();
    let png = crate::image_io::encode_png(&image).unwrap();
    let from_pixels = extract(&pixels, 320, 360, 500.0).unwrap();
    let named = std::path::Path::new("scan/print.png");
    let stages = extract_stages_bytes_with(named, &png, None, 500.0, Profile::Fast).unwrap();
    assert_eq!(stages.template, from_pixels);
    let stages =
        extract_stages_bytes_with(named, &pixels, Some((320, 360)), 500.0, Profile::Fast).unwrap();
    assert_eq!(stages.template, from_pixels);
    // Errors name the path given, as a file's would.
    let e = extract_stages_bytes_with(named, &png[..100], None, 500.0, Profile::Fast)
        .err()
        .unwrap();
    assert!(matches!(e, FileError::Load { .. }), "{e:?}");
    assert!(e.to_string().contains("scan/print.png"), "{e}");
    let e = extract_stages_bytes_with(named, &pixels, Some((0, 360)), 500.0, Profile::Fast)
        .err()
        .unwrap();
    assert!(e.to_string().contains("scan/print.png"), "{e}");
    assert!(e.to_string().contains("zero dimension (0x360)"), "{e}");
}
