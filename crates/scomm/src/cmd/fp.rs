//! `scomm fp`: extract minutiae from an image, compare two fingerprints.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use scomm_fingerprint::matcher::{Matcher, PreparedTemplate};
use scomm_fingerprint::{MinutiaKind, Template};

#[derive(Subcommand)]
pub enum FpCommand {
    /// Extract minutiae from an image; optionally draw every stage.
    Extract(ExtractArgs),
    /// Compare two fingerprints (images) and print the similarity score.
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
}

#[derive(clap::Args)]
pub struct CompareArgs {
    pub a: PathBuf,
    pub b: PathBuf,
    /// Scan resolution of both images.
    #[arg(long, default_value_t = 500.0)]
    pub dpi: f64,
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
) -> anyhow::Result<scomm_fingerprint::extract::Stages> {
    let image = scomm_fingerprint::image_io::load_image(path)
        .with_context(|| format!("loading {}", path.display()))?;
    scomm_fingerprint::extract::extract_stages(
        &image.pixels,
        image.width as usize,
        image.height as usize,
        dpi,
    )
    .with_context(|| format!("extracting {}", path.display()))
}

fn extract(args: ExtractArgs) -> anyhow::Result<()> {
    let stages = load_and_extract(&args.image, args.dpi)?;
    let t = &stages.template;
    println!(
        "{}x{} at 500 ppi, {} minutiae",
        t.width,
        t.height,
        t.minutiae.len()
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

fn template_of(path: &Path, dpi: f64) -> anyhow::Result<Template> {
    Ok(load_and_extract(path, dpi)?.template)
}

fn compare(args: CompareArgs) -> anyhow::Result<()> {
    let a = template_of(&args.a, args.dpi)?;
    let b = template_of(&args.b, args.dpi)?;
    let comparison = Matcher::new(&a).explain(&PreparedTemplate::new(&b));
    println!("score {:.2}", comparison.score);
    println!(
        "paired minutiae {} (of {} and {}), supporting edges {}",
        comparison.pairs.len(),
        a.minutiae.len(),
        b.minutiae.len(),
        comparison.supporting_edges
    );
    Ok(())
}
