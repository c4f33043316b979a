//! `scomm fp`: extract minutiae from an image, compare two fingerprints.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use scomm_fingerprint::extract::grid::Grid;
use scomm_fingerprint::extract::Profile;
use scomm_fingerprint::formats::{decode_template, detect_template_format, TemplateFormat};
use scomm_fingerprint::matcher::{calibration, Matcher, PreparedTemplate};
use scomm_fingerprint::{MinutiaKind, Template};

#[derive(Subcommand)]
pub enum FpCommand {
    /// Extract minutiae from an image; optionally draw every stage.
    Extract(ExtractArgs),
    /// Compare two fingerprints (images or templates) and print the score.
    Compare(CompareArgs),
}

#[derive(clap::Args)]
pub struct ExtractArgs {
    /// Image file (PNG, BMP, TIFF, PGM).
    pub image: PathBuf,
    /// Scan resolution of the image.
    #[arg(long, default_value_t = 500.0)]
    pub dpi: f64,
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
}

#[derive(clap::Args)]
pub struct CompareArgs {
    /// Image, or template (native, ISO 19794-2, ANSI 378; told by content).
    pub a: PathBuf,
    pub b: PathBuf,
    /// Scan resolution of the images (templates carry their own).
    #[arg(long, default_value_t = 500.0)]
    pub dpi: f64,
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
}

pub fn run(command: FpCommand) -> anyhow::Result<()> {
    match command {
        FpCommand::Extract(args) => extract(args),
        FpCommand::Compare(args) => compare(args),
    }
}

pub fn load_and_extract(
    path: &Path,
    dpi: f64,
    profile: Profile,
) -> anyhow::Result<scomm_fingerprint::extract::Stages> {
    Ok(scomm_fingerprint::extract::extract_stages_file_with(
        path, dpi, profile,
    )?)
}

fn extract(args: ExtractArgs) -> anyhow::Result<()> {
    let format = TemplateFormat::from_name(&args.format).with_context(|| {
        format!(
            "unknown template format {:?} (native, iso, ansi, ansi2009)",
            args.format
        )
    })?;
    let stages = load_and_extract(&args.image, args.dpi, args.profile)?;
    if let Some(out) = &args.out {
        scomm_fingerprint::formats::save_template(&stages.template, format, out)?;
        eprintln!("wrote template to {}", out.display());
    }
    let t = &stages.template;
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
        let kind = match m.kind {
            MinutiaKind::Ending => "ending",
            MinutiaKind::Bifurcation => "bifurcation",
            MinutiaKind::Other => "other",
        };
        println!(
            "{:>5} {:>5} {:>7.1} {:<12} {:>7}",
            m.x,
            m.y,
            m.direction.to_degrees(),
            kind,
            m.quality
        );
    }
    if let Some(dir) = &args.dump {
        let written = scomm_fingerprint::dump::write_stages(&stages, dir)
            .with_context(|| format!("writing stage pictures to {}", dir.display()))?;
        println!(
            "wrote {} stage pictures to {}",
            written.len(),
            dir.display()
        );
    }
    Ok(())
}

/// A template file is decoded; anything else is loaded as an image and
/// extracted (the 500 ppi image is kept for pictures).
pub fn template_of(
    path: &Path,
    dpi: f64,
    profile: Profile,
) -> anyhow::Result<(Template, Option<Grid<u8>>)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if detect_template_format(&bytes).is_some() || bytes.starts_with(b"FMR\0") {
        let template = decode_template(&bytes)
            .with_context(|| format!("decoding template {}", path.display()))?;
        return Ok((template, None));
    }
    let stages = load_and_extract(path, dpi, profile)?;
    Ok((stages.template, Some(stages.image)))
}

fn compare(args: CompareArgs) -> anyhow::Result<()> {
    let (a, image_a) = template_of(&args.a, args.dpi, args.profile)?;
    let (b, image_b) = template_of(&args.b, args.dpi, args.profile)?;
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
    if let Some(out) = &args.dump {
        scomm_fingerprint::dump::write_pairing(
            (&a, image_a.as_ref()),
            (&b, image_b.as_ref()),
            &comparison,
            out,
        )
        .with_context(|| format!("writing the pairing picture {}", out.display()))?;
        println!("wrote the pairing picture to {}", out.display());
    }
    Ok(())
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
