//! `scomm fp`: extract minutiae from an image, compare two fingerprints.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use scomm_fingerprint::extract::grid::Grid;
use scomm_fingerprint::extract::{extract_stages_bytes_with, Profile};
use scomm_fingerprint::formats::{decode_template, detect_template_format, TemplateFormat};
use scomm_fingerprint::matcher::{calibration, Comparison, Matcher, PreparedTemplate};
use scomm_fingerprint::{MinutiaKind, Template};

#[derive(Subcommand)]
pub enum FpCommand {
    /// Extract minutiae from an image; optionally draw every stage.
    Extract(ExtractArgs),
    /// Compare two fingerprints (images or templates) and print the score.
    Compare(CompareArgs),
}

/// The size of a headerless 8-bit grey image, `WIDTHxHEIGHT` on the command line.
#[derive(Clone, Copy, Debug)]
pub struct RawSize {
    pub width: u32,
    pub height: u32,
}

impl std::str::FromStr for RawSize {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a size: give WIDTHxHEIGHT in pixels, as 416x560");
        let (w, h) = s.split_once(['x', 'X']).ok_or_else(bad)?;
        let side = |v: &str| v.trim().parse::<u32>().ok().filter(|&n| n > 0);
        match (side(w), side(h)) {
            (Some(width), Some(height)) => Ok(RawSize { width, height }),
            _ => Err(bad()),
        }
    }
}

#[derive(clap::Args)]
pub struct ExtractArgs {
    /// Image file: PNG, BMP, TIFF, PGM or WSQ (told by content), or
    /// headerless 8-bit grey with --raw.
    pub image: PathBuf,
    /// Scan resolution of the image.
    #[arg(long, default_value_t = 500.0)]
    pub dpi: f64,
    /// The image is headerless 8-bit grey (0 = black), WIDTHxHEIGHT pixels,
    /// row by row.
    #[arg(long, value_name = "WIDTHxHEIGHT")]
    pub raw: Option<RawSize>,
    /// Write a PNG of every extraction stage into this folder.
    #[arg(long)]
    pub dump: Option<PathBuf>,
    /// Write the template to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Template format for --out: native, iso (19794-2:2005), ansi (378-2004), ansi2009.
    #[arg(long, default_value = "native")]
    pub format: String,
    /// Minutiae to extract: `fast` (ridge skeleton) or `accurate` (both
    /// skeletons: twice the minutiae, a lower error rate, slower to compare).
    #[arg(long, default_value = "fast")]
    pub profile: Profile,
    /// Print one JSON object (size, profile, every minutia) instead of the
    /// table; notes on files written go to standard error.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct CompareArgs {
    /// Image (as for `fp extract`), or template (native, ISO 19794-2, ANSI
    /// 378; told by content).
    pub a: PathBuf,
    pub b: PathBuf,
    /// Scan resolution of the images (templates carry their own).
    #[arg(long, default_value_t = 500.0)]
    pub dpi: f64,
    /// The images are headerless 8-bit grey (0 = black) of WIDTHxHEIGHT
    /// pixels; a template file is still told by its content.
    #[arg(long, value_name = "WIDTHxHEIGHT")]
    pub raw: Option<RawSize>,
    /// Draw the pairing behind the score into this PNG (both fingers side
    /// by side, paired minutiae joined).
    #[arg(long)]
    pub dump: Option<PathBuf>,
    /// Minutiae extracted from images: `fast` or `accurate` (see `fp
    /// extract`). A native template file carries its own profile; the
    /// verdict uses the calibration of the templates' profile, and two
    /// profiles are not compared.
    #[arg(long, default_value = "fast")]
    pub profile: Profile,
    /// Print one JSON object: the score, the false-match rate a threshold
    /// at that score allows, the verdicts, and the pairing behind the score
    /// (minutia indices into each template).
    #[arg(long)]
    pub json: bool,
}

pub fn run(command: FpCommand) -> anyhow::Result<()> {
    match command {
        FpCommand::Extract(args) => extract(args).map_err(with_raw_hint),
        FpCommand::Compare(args) => compare(args).map_err(with_raw_hint),
    }
}

/// The extraction stages of an image file, or of a raw one of the size given.
pub fn load_and_extract(
    path: &Path,
    raw: Option<RawSize>,
    dpi: f64,
    profile: Profile,
) -> anyhow::Result<scomm_fingerprint::extract::Stages> {
    use scomm_fingerprint::extract::{extract_stages_file_with, extract_stages_raw_file_with};
    Ok(match raw {
        Some(r) => extract_stages_raw_file_with(path, r.width, r.height, dpi, profile)?,
        None => extract_stages_file_with(path, dpi, profile)?,
    })
}

/// An image file of no known format may be headerless: say how `fp`
/// commands take one.
fn with_raw_hint(err: anyhow::Error) -> anyhow::Error {
    use scomm_fingerprint::extract::FileError;
    use scomm_fingerprint::image_io::ImageError;
    match err.downcast_ref::<FileError>() {
        Some(
            e @ FileError::Load {
                error: ImageError::UnknownFormat { .. },
                ..
            },
        ) => anyhow::anyhow!("{e} (for a headerless image give its size: --raw WIDTHxHEIGHT)"),
        _ => err,
    }
}

fn extract(args: ExtractArgs) -> anyhow::Result<()> {
    let format = TemplateFormat::from_name(&args.format).with_context(|| {
        format!(
            "unknown template format {:?} (native, iso, ansi, ansi2009)",
            args.format
        )
    })?;
    let stages = load_and_extract(&args.image, args.raw, args.dpi, args.profile)?;
    if let Some(out) = &args.out {
        scomm_fingerprint::formats::save_template(&stages.template, format, out)?;
        eprintln!("wrote template to {}", out.display());
    }
    let t = &stages.template;
    if args.json {
        let minutiae: Vec<serde_json::Value> = t
            .minutiae
            .iter()
            .map(|m| {
                serde_json::json!({
                    "x": m.x,
                    "y": m.y,
                    "direction_deg": ((m.direction as f64).to_degrees() * 10.0).round() / 10.0,
                    "kind": kind_name(m.kind),
                    "quality": m.quality,
                })
            })
            .collect();
        let object = serde_json::json!({
            "image": args.image.display().to_string(),
            "profile": args.profile.to_string(),
            "width": t.width,
            "height": t.height,
            "ppi": 500,
            "minutiae": minutiae,
        });
        println!("{object}");
    } else {
        println!(
            "{}x{} at 500 ppi, {} minutiae ({} profile)",
            t.width,
            t.height,
            t.minutiae.len(),
            args.profile
        );
        println!(
            "{:>5} {:>5} {:>7} {:<12} {:>7}",
            "x", "y", "deg", "kind", "quality"
        );
        for m in &t.minutiae {
            println!(
                "{:>5} {:>5} {:>7.1} {:<12} {:>7}",
                m.x,
                m.y,
                m.direction.to_degrees(),
                kind_name(m.kind),
                m.quality
            );
        }
    }
    if let Some(dir) = &args.dump {
        let written = scomm_fingerprint::dump::write_stages(&stages, dir)
            .with_context(|| format!("writing stage pictures to {}", dir.display()))?;
        note(
            args.json,
            &format!(
                "wrote {} stage pictures to {}",
                written.len(),
                dir.display()
            ),
        );
    }
    Ok(())
}

/// A file written, said on standard output, or on standard error when
/// standard output carries one JSON object.
fn note(json: bool, text: &str) {
    if json {
        eprintln!("{text}");
    } else {
        println!("{text}");
    }
}

fn kind_name(kind: MinutiaKind) -> &'static str {
    match kind {
        MinutiaKind::Ending => "ending",
        MinutiaKind::Bifurcation => "bifurcation",
        MinutiaKind::Other => "other",
    }
}

/// A template file is decoded; anything else is loaded as an image and
/// extracted (the 500 ppi image is kept for pictures).
pub fn template_of(
    path: &Path,
    raw: Option<RawSize>,
    dpi: f64,
    profile: Profile,
) -> anyhow::Result<(Template, Option<Grid<u8>>)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if detect_template_format(&bytes).is_some() || bytes.starts_with(b"FMR\0") {
        let template = decode_template(&bytes)
            .with_context(|| format!("decoding template {}", path.display()))?;
        return Ok((template, None));
    }
    // Read once: the bytes that were not a template are the image.
    let raw = raw.map(|r| (r.width, r.height));
    let stages = extract_stages_bytes_with(path, &bytes, raw, dpi, profile)?;
    Ok((stages.template, Some(stages.image)))
}

fn compare(args: CompareArgs) -> anyhow::Result<()> {
    let (a, image_a) = template_of(&args.a, args.raw, args.dpi, args.profile)?;
    let (b, image_b) = template_of(&args.b, args.raw, args.dpi, args.profile)?;
    // A template file says which profile made it; scores of two profiles
    // mixed have no calibration.
    anyhow::ensure!(
        a.profile == b.profile,
        "{} is a template of the {} profile and {} of the {} profile: compare \
         templates of one profile (extract both with the same --profile)",
        args.a.display(),
        a.profile,
        args.b.display(),
        b.profile
    );
    let comparison = Matcher::new(&a).explain(&PreparedTemplate::new(&b));
    let threshold = |fmr| calibration::threshold_for_profile(a.profile, fmr);
    let verdict = if comparison.score >= threshold(1e-4) {
        "match at FMR 0.01%"
    } else if comparison.score >= threshold(1e-2) {
        "match at FMR 1% only"
    } else {
        "no match at FMR 1%"
    };
    let estimate = calibration::fmr_for_score(a.profile, comparison.score);
    if args.json {
        let thresholds = [1e-2, 1e-4].map(|fmr| {
            serde_json::json!({
                "fmr": fmr,
                "score": decimal(threshold(fmr)),
                "passed": comparison.score >= threshold(fmr),
            })
        });
        let object = serde_json::json!({
            "a": args.a.display().to_string(),
            "b": args.b.display().to_string(),
            "profile": a.profile.to_string(),
            "score": decimal(comparison.score),
            "fmr": estimate.fmr,
            "fmr_bound": estimate.bound.name(),
            "verdict": verdict,
            "thresholds": thresholds,
            "minutiae": [a.minutiae.len(), b.minutiae.len()],
            "paired": comparison.pairs.len(),
            "confirmed": comparison.confirmed,
            "cycle_edges": comparison.supporting_edges,
            "tight_cycle_edges": comparison.tight_edges(),
            "overlap": [comparison.overlap.0, comparison.overlap.1],
            "kinds_compared": comparison.kinds_compared,
            "kinds_agreeing": comparison.kinds_agreeing,
            "pairs": comparison.pairs,
            "roots": roots_json(&comparison),
            "placement": comparison.placement.map(|p| serde_json::json!({
                "rotation_deg": decimal(p.rotation.to_degrees()),
                "translation": [decimal(p.translation.0), decimal(p.translation.1)],
            })),
        });
        println!("{object}");
    } else {
        println!(
            "score {:.2} ({verdict}; {} profile)",
            comparison.score, a.profile
        );
        println!(
            "paired minutiae {} (of {} and {}), confirmed {}, cycle-closing edges {} ({} tight)",
            comparison.pairs.len(),
            a.minutiae.len(),
            b.minutiae.len(),
            comparison.confirmed,
            comparison.supporting_edges,
            comparison.tight_edges()
        );
        println!("{}", fmr_line(estimate));
        if let Some(line) = pairing_line(&comparison) {
            println!("{line}");
        }
    }
    if let Some(out) = &args.dump {
        scomm_fingerprint::dump::write_pairing(
            (&a, image_a.as_ref()),
            (&b, image_b.as_ref()),
            &comparison,
            out,
        )
        .with_context(|| format!("writing the pairing picture {}", out.display()))?;
        note(
            args.json,
            &format!("wrote the pairing picture to {}", out.display()),
        );
    }
    Ok(())
}

/// Every root tried, in order, with the pairing grown from it.
fn roots_json(comparison: &Comparison) -> serde_json::Value {
    comparison
        .roots
        .iter()
        .map(|r| {
            serde_json::json!({
                "probe": r.probe,
                "candidate": r.candidate,
                "votes": r.votes,
                "pairs": r.pairs,
                "strength": decimal(r.strength),
                "best": r.best,
            })
        })
        .collect()
}

/// Which root the scored pairing grew from, and where it places the probe.
fn pairing_line(comparison: &Comparison) -> Option<String> {
    let tried = comparison.roots.len();
    let (rank, root) = comparison.roots.iter().enumerate().find(|(_, r)| r.best)?;
    let mut line = format!(
        "pairing grown from root {} of {tried} (probe minutia {}, candidate minutia {}, {} edge matches)",
        rank + 1,
        root.probe,
        root.candidate,
        root.votes
    );
    if let Some(p) = comparison.placement {
        line += &format!(
            "; probe turned {:.1} degrees, its (0, 0) at ({:.0}, {:.0})",
            p.rotation.to_degrees(),
            p.translation.0,
            p.translation.1
        );
    }
    Some(line)
}

/// An `f32` as the shortest decimal that reads back as it (JSON numbers are
/// doubles: the plain widening prints 5.760000228881836 for 5.76).
fn decimal(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(f64::NAN)
}

/// The calibration's reading of a score, for people: the false-match rate
/// a threshold at this score would allow.
fn fmr_line(estimate: calibration::FmrEstimate) -> String {
    let percent = estimate.fmr * 100.0;
    let rate = if percent >= 0.1 {
        format!("{percent:.1} %")
    } else {
        format!("{percent:.4} %")
    };
    let bound = match estimate.bound {
        calibration::FmrBound::Interpolated => "(calibration table)",
        calibration::FmrBound::AtLeast => "or more (calibration table)",
        calibration::FmrBound::AtMost => "or less (the calibration table's end)",
    };
    format!("a threshold at this score allows FMR {rate} {bound}")
}

#[derive(clap::Args)]
pub struct BenchFpArgs {
    /// Folder of FVC-style images, optionally `DIR:DPI`; without one (or when
    /// it is missing) generated images are used.
    #[arg(long, default_value = "../shared/data/fvc2002/DB1_B")]
    pub dir: String,
    /// Seconds to spend measuring comparisons.
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// Templates to extract and compare: `fast` or `accurate`.
    #[arg(long, default_value = "fast")]
    pub profile: Profile,
}

/// Pixels, width, height and dpi of one benchmark image.
type BenchImage = (Vec<u8>, usize, usize, f64);

/// Images for the benchmark: the folder's, or generated ones.
fn bench_images(args: &BenchFpArgs) -> anyhow::Result<(String, Vec<BenchImage>)> {
    let (dir, dpi) = match args.dir.rsplit_once(':') {
        Some((d, p)) if p.parse::<f64>().is_ok() => (PathBuf::from(d), p.parse::<f64>()?),
        _ => (PathBuf::from(&args.dir), 500.0),
    };
    if dir.is_dir() {
        let samples = scomm_fingerprint::eval::discover(&dir)?;
        let mut images = Vec::new();
        for s in &samples {
            let image = scomm_fingerprint::image_io::load_image(&s.path)
                .with_context(|| format!("loading {}", s.path.display()))?;
            images.push((
                image.pixels,
                image.width as usize,
                image.height as usize,
                dpi,
            ));
        }
        if !images.is_empty() {
            return Ok((dir.display().to_string(), images));
        }
    }
    let mut images = Vec::new();
    for k in 0..40u32 {
        let mut p = scomm_fingerprint::synthetic::Pattern::straight(
            388,
            374,
            8.5 + (k % 5) as f32 * 0.5,
            0.3 * k as f32,
        );
        p.bend = 0.8;
        for i in 0..12u32 {
            let h = (k * 31 + i * 17) as f32;
            p.singularities
                .push(scomm_fingerprint::synthetic::Singularity {
                    x: 100.0 + (h * 7.3) % 190.0,
                    y: 90.0 + (h * 5.1) % 190.0,
                    sign: if (k + i) % 2 == 0 { 1.0 } else { -1.0 },
                });
        }
        images.push((p.render(), 388, 374, 500.0));
    }
    Ok(("generated 388x374 patterns".into(), images))
}

/// Extraction time per image and comparisons per second with a prepared
/// probe, on one thread.
pub fn bench_fp(args: BenchFpArgs) -> anyhow::Result<()> {
    let (source, images) = bench_images(&args)?;
    let mut times = Vec::with_capacity(images.len());
    let mut templates = Vec::with_capacity(images.len());
    for (pixels, w, h, dpi) in &images {
        let start = std::time::Instant::now();
        templates.push(scomm_fingerprint::extract::extract_with(
            pixels,
            *w,
            *h,
            *dpi,
            args.profile,
        )?);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let prepared: Vec<PreparedTemplate> = templates.iter().map(PreparedTemplate::new).collect();
    let start = std::time::Instant::now();
    let mut compared = 0u64;
    let mut checksum = 0.0f64;
    'outer: loop {
        for probe in &templates {
            let matcher = Matcher::new(probe);
            for candidate in &prepared {
                checksum += matcher.compare(candidate) as f64;
            }
            compared += prepared.len() as u64;
            if start.elapsed().as_secs_f64() >= args.seconds {
                break 'outer;
            }
        }
    }
    let per_s = compared as f64 / start.elapsed().as_secs_f64();
    let minutiae =
        templates.iter().map(|t| t.minutiae.len()).sum::<usize>() as f64 / templates.len() as f64;
    let max_minutiae = templates
        .iter()
        .map(|t| t.minutiae.len())
        .max()
        .unwrap_or(0);
    println!("images            {} ({source})", images.len());
    println!(
        "extraction        {mean:.1} ms/image mean, {:.1} ms median, {:.1} ms max (one thread)",
        sorted[sorted.len() / 2],
        sorted[sorted.len() - 1]
    );
    println!("minutiae          {minutiae:.1} mean, {max_minutiae} max");
    println!("comparisons       {per_s:.0}/s with a prepared probe (one thread; {compared} done, checksum {checksum:.0})");
    Ok(())
}
