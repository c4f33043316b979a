//! `scomm eval fvc`: the FVC protocol over folders of impressions.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use scomm_fingerprint::eval;

#[derive(Subcommand)]
pub enum EvalCommand {
    /// FVC protocol (EER, FMR100, FMR1000, ZeroFMR) on folders of `FFF_I.tif`
    /// or `PPP_F_I.tif` images.
    Fvc(FvcArgs),
    /// 1:N identification: rank-1, FNIR at FPIR 1 % and 0.1 %, for 1, 2
    /// and all fingers, on real images and on a synthetic gallery.
    Ident(super::ident::EvalIdentArgs),
}

#[derive(clap::Args)]
pub struct FvcArgs {
    /// Folders, each optionally suffixed with `:DPI` (default 500).
    #[arg(required = true)]
    pub dirs: Vec<String>,
    /// Print one JSON object per folder instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Write the DET curves (all-pairs impostors) as SVG.
    #[arg(long)]
    pub det: Option<PathBuf>,
    /// Write every comparison as `SCORE IMAGE_A IMAGE_B`.
    #[arg(long)]
    pub scores: Option<PathBuf>,
    /// Templates to compare: `fast` (ridge skeleton; what the 1:N gallery
    /// holds) or `accurate` (both skeletons: lower EER, about a fifth of
    /// the comparisons per second).
    #[arg(long, default_value = "fast")]
    pub profile: scomm_fingerprint::extract::Profile,
}

pub fn run(command: EvalCommand) -> anyhow::Result<()> {
    match command {
        EvalCommand::Fvc(args) => fvc(args),
        EvalCommand::Ident(args) => super::ident::eval_ident(args),
    }
}

/// `DIR[:DPI]`, where a trailing `:NUMBER` is a resolution.
pub(crate) fn parse_dir(spec: &str) -> anyhow::Result<(PathBuf, f64)> {
    if let Some((dir, dpi)) = spec.rsplit_once(':') {
        if !dpi.is_empty() && dpi.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            let dpi: f64 = dpi
                .parse()
                .with_context(|| format!("bad resolution in {spec:?}"))?;
            anyhow::ensure!(
                (150.0..=2000.0).contains(&dpi),
                "resolution {dpi} in {spec:?} is outside 150..=2000 dpi"
            );
            return Ok((PathBuf::from(dir), dpi));
        }
    }
    Ok((PathBuf::from(spec), 500.0))
}

/// Progress bars for the library's evaluation phases.
struct Bars(std::sync::Mutex<Option<ProgressBar>>);

impl eval::Progress for Bars {
    fn start(&self, phase: &str, total: usize) {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{msg:>20} [{bar:40}] {pos}/{len} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(phase.to_string());
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(bar);
        }
    }

    fn advance(&self, n: usize) {
        if let Ok(slot) = self.0.lock() {
            if let Some(bar) = slot.as_ref() {
                bar.inc(n as u64);
            }
        }
    }

    fn finish(&self) {
        if let Ok(mut slot) = self.0.lock() {
            if let Some(bar) = slot.take() {
                bar.finish_and_clear();
            }
        }
    }
}

fn pct(rate: f64) -> String {
    format!("{:.2}", rate * 100.0)
}

fn fvc(args: FvcArgs) -> anyhow::Result<()> {
    let specs: Vec<(PathBuf, f64)> = args
        .dirs
        .iter()
        .map(|d| parse_dir(d))
        .collect::<anyhow::Result<_>>()?;
    let mut scores_out = match &args.scores {
        Some(p) => Some(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => None,
    };
    let mut results = Vec::new();
    for (dir, dpi) in &specs {
        let result =
            eval::evaluate_folder(dir, *dpi, args.profile, &Bars(std::sync::Mutex::new(None)))?;
        let (samples, protocol) = (&result.samples, &result.protocol);
        if let Some(out) = scores_out.as_mut() {
            let lists = [
                (&protocol.genuine, &result.genuine),
                (&protocol.impostor_all, &result.impostor),
            ];
            for (pairs, scores) in lists {
                for (&(i, j), s) in pairs.iter().zip(scores.iter()) {
                    writeln!(
                        out,
                        "{s} {} {}",
                        samples[i].path.display(),
                        samples[j].path.display()
                    )?;
                }
            }
        }
        let r = eval::rates(&result.genuine, &result.impostor);
        let rf = eval::rates(&result.genuine, &result.impostor_fvc);
        if args.json {
            let obj = serde_json::json!({
                "name": result.name,
                "genuine": result.genuine.len(),
                "impostor": result.impostor.len(),
                "eer": r.eer,
                "fmr100": r.fmr100,
                "fmr1000": r.fmr1000,
                "zero_fmr": r.zero_fmr,
                "extract_ms": result.extract_ms,
                "comparisons_per_s": result.comparisons_per_s,
                "impostor_fvc": result.impostor_fvc.len(),
                "eer_fvc": rf.eer,
                "fmr100_fvc": rf.fmr100,
                "fmr1000_fvc": rf.fmr1000,
                "zero_fmr_fvc": rf.zero_fmr,
                "mean_minutiae": result.mean_minutiae,
                "profile": args.profile.name(),
            });
            println!("{obj}");
        }
        results.push(result);
    }
    if let Some(out) = scores_out.as_mut() {
        out.flush()?;
    }
    if !args.json {
        println!(
            "{:<12} {:>5} {:>6} {:>7} {:>7} {:>8} {:>8} {:>8} {:>7} {:>9} {:>8}",
            "folder",
            "gen",
            "imp",
            "EER%",
            "FMR100",
            "FMR1000",
            "ZeroFMR",
            "EERfvc%",
            "ms/img",
            "cmp/s",
            "minutiae"
        );
        for res in &results {
            let r = eval::rates(&res.genuine, &res.impostor);
            let rf = eval::rates(&res.genuine, &res.impostor_fvc);
            println!(
                "{:<12} {:>5} {:>6} {:>7} {:>7} {:>8} {:>8} {:>8} {:>7.1} {:>9.0} {:>8.1}",
                res.name,
                res.genuine.len(),
                res.impostor.len(),
                pct(r.eer),
                pct(r.fmr100),
                pct(r.fmr1000),
                pct(r.zero_fmr),
                pct(rf.eer),
                res.extract_ms,
                res.comparisons_per_s,
                res.mean_minutiae
            );
        }
        if results.len() > 1 {
            let mean = results
                .iter()
                .map(|res| eval::rates(&res.genuine, &res.impostor).eer)
                .sum::<f64>()
                / results.len() as f64;
            println!("mean EER (all-pairs impostors): {}%", pct(mean));
        }
    }
    if let Some(path) = &args.det {
        let curves: Vec<(String, Vec<f32>, Vec<f32>)> = results
            .iter()
            .map(|r| (r.name.clone(), r.genuine.clone(), r.impostor.clone()))
            .collect();
        std::fs::write(path, eval::det_svg(&curves))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_dir;

    #[test]
    fn dir_specs_parse() {
        assert_eq!(parse_dir("a/DB2_B:569").unwrap(), ("a/DB2_B".into(), 569.0));
        assert_eq!(parse_dir("a/DB1_B").unwrap(), ("a/DB1_B".into(), 500.0));
        assert!(parse_dir("a/DB1_B:9").is_err());
    }
}
