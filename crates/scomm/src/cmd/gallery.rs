//! `scomm ident`: a gallery file of enrolled subjects, kept by hand. Enrol
//! a subject's fingers (images, templates, or the finger images of an
//! ANSI/NIST-ITL transaction), search a probe against every subject, remove
//! a subject, or describe the file.
//!
//! Every change loads the file, applies itself and writes the file back
//! through a temporary file and a rename, holding an exclusive lock on
//! `GALLERY.lock` throughout, so that two enrolments at once cannot lose
//! one another and a crash leaves the old file or the new one.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Subcommand;
use scomm_fingerprint::Template;
use scomm_ident::{Decision, FingerPosition, Gallery, SearchParams, SubjectId};
use scomm_nist::{ImageRecord, Transaction};

macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

#[derive(Subcommand)]
pub enum IdentCommand {
    /// Enrol one encounter of a subject (creates the gallery file if missing).
    Enrol(EnrolArgs),
    /// Search a probe's fingers against every enrolled subject.
    Search(SearchArgs),
    /// Remove a subject: its fingers stop matching at once.
    Remove {
        /// Gallery file.
        gallery: PathBuf,
        /// Subject number.
        #[arg(long)]
        subject: SubjectId,
    },
    /// Subjects, fingers, file size and memory of a gallery file.
    Info {
        /// Gallery file.
        gallery: PathBuf,
    },
}

/// Where a subject's or probe's fingers come from.
#[derive(clap::Args)]
pub struct Fingers {
    /// A finger as POSITION=FILE: the ANSI/NIST finger position code (1 right
    /// thumb .. 5 right little, 6 left thumb .. 10 left little) and an image
    /// (PNG, BMP, TIFF, PGM, WSQ) or a template (native, ISO/IEC 19794-2,
    /// ANSI INCITS 378; told by content).
    #[arg(value_name = "POSITION=FILE")]
    pub fingers: Vec<String>,
    /// An ANSI/NIST-ITL transaction: its single-finger image records (Type-4,
    /// Type-13, Type-14; positions 1-10, and 11/12 as the plain thumbs), a
    /// rolled impression preferred where a finger is given twice.
    #[arg(long, value_name = "FILE")]
    pub nist: Option<PathBuf>,
    /// Scan resolution of images that do not state theirs.
    #[arg(long, default_value_t = 500.0)]
    pub dpi: f64,
}

#[derive(clap::Args)]
pub struct EnrolArgs {
    /// Gallery file.
    pub gallery: PathBuf,
    /// Subject number (an enrolled subject gains this encounter).
    #[arg(long)]
    pub subject: SubjectId,
    /// Replace everything held for the subject by this encounter.
    #[arg(long)]
    pub update: bool,
    #[command(flatten)]
    pub fingers: Fingers,
}

#[derive(clap::Args)]
pub struct SearchArgs {
    /// Gallery file.
    pub gallery: PathBuf,
    #[command(flatten)]
    pub fingers: Fingers,
    /// Target false-positive identification rate of the decision.
    #[arg(long, default_value_t = 1e-3)]
    pub fpir: f64,
    /// Candidates listed.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    /// Subjects the filter passes to the full matcher.
    #[arg(long, default_value_t = 200)]
    pub shortlist: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// "1 subject", "2 subjects".
fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

pub fn run(command: IdentCommand) -> anyhow::Result<()> {
    match command {
        IdentCommand::Enrol(args) => enrol(args),
        IdentCommand::Search(args) => search(args),
        IdentCommand::Remove { gallery, subject } => remove(&gallery, subject),
        IdentCommand::Info { gallery } => info(&gallery),
    }
}

/// An exclusive lock on `GALLERY.lock`, released when dropped.
struct Lock {
    _file: File,
}

impl Lock {
    fn take(gallery: &Path) -> anyhow::Result<Lock> {
        let mut name = gallery.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening the lock file {}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: flock on a descriptor this File owns for the Lock's life.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
                bail!(
                    "locking {}: {}",
                    path.display(),
                    std::io::Error::last_os_error()
                );
            }
        }
        Ok(Lock { _file: file })
    }
}

fn load(path: &Path) -> anyhow::Result<Gallery> {
    if !path.exists() {
        bail!(
            "the gallery {} does not exist: `scomm ident enrol` creates it",
            path.display()
        );
    }
    Gallery::load(path).with_context(|| format!("reading the gallery {}", path.display()))
}

fn parse_position(text: &str) -> anyhow::Result<FingerPosition> {
    let code: u8 = text.parse().with_context(|| {
        format!("finger position {text:?} is not a number: give an ANSI/NIST code 1-10")
    })?;
    Ok(FingerPosition::new(code)?)
}

/// Fingers from a transaction's single-finger image records. A position
/// given twice (rolled and plain impressions of one finger) keeps one
/// image: a rolled one if there is one, else the first. Records that are
/// not used are listed on stderr.
fn nist_fingers(path: &Path, dpi: f64) -> anyhow::Result<Vec<(FingerPosition, Template)>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let tx = Transaction::parse(&bytes)
        .with_context(|| format!("parsing the ANSI/NIST-ITL transaction {}", path.display()))?;
    // Rolled (live-scan or not) and not a plain thumb of the card's foot.
    let rolled = |r: &ImageRecord| {
        matches!(r.impression, Some(1 | 3)) && !matches!(r.positions[..], [11 | 12])
    };
    let mut chosen: Vec<(FingerPosition, ImageRecord)> = Vec::new();
    for record in ImageRecord::all(&tx)? {
        let skip = |why: &str| {
            eprintln!(
                "note: record {} (Type-{}) of {} not used: {why}",
                record.record_index,
                record.record_type,
                path.display()
            )
        };
        if !matches!(record.record_type, 4 | 13 | 14) {
            skip("not a finger image record (Type-4, 13 or 14)");
            continue;
        }
        // 11 and 12 are the plain thumb impressions of a card (the thumbs
        // 1 and 6); 13-15 are slaps of four fingers or both thumbs.
        let position = match record.positions[..] {
            [11] => FingerPosition::new(1).ok(),
            [12] => FingerPosition::new(6).ok(),
            [code] => u8::try_from(code)
                .ok()
                .and_then(|c| FingerPosition::new(c).ok()),
            _ => None,
        };
        let Some(position) = position else {
            skip(&format!(
                "position {:?} is not one finger (slaps are not segmented into fingers)",
                record.positions
            ));
            continue;
        };
        match chosen.iter_mut().find(|(p, _)| *p == position) {
            None => chosen.push((position, record)),
            Some(slot) if rolled(&record) && !rolled(&slot.1) => {
                eprintln!(
                    "note: record {} (Type-{}) of {} not used: record {} has finger {} rolled",
                    slot.1.record_index,
                    slot.1.record_type,
                    path.display(),
                    record.record_index,
                    position.code()
                );
                *slot = (position, record);
            }
            Some(_) => skip(&format!("finger {} was given before", position.code())),
        }
    }
    let mut out = Vec::new();
    for (position, record) in chosen {
        let what = || {
            format!(
                "record {} (Type-{}, finger {}) of {}",
                record.record_index,
                record.record_type,
                position.code(),
                path.display()
            )
        };
        let grey = record
            .decode_grey()
            .with_context(|| format!("decoding the image of {}", what()))?;
        let ppi = grey.ppi.map_or(dpi, f64::from);
        let template = scomm_fingerprint::extract::extract(
            &grey.pixels,
            grey.width as usize,
            grey.height as usize,
            ppi,
        )
        .with_context(|| format!("extracting {}", what()))?;
        out.push((position, template));
    }
    if out.is_empty() {
        bail!(
            "{} holds no single-finger image with a position 1-10 (Type-4, Type-13 or Type-14)",
            path.display()
        );
    }
    Ok(out)
}

/// Every finger given: positions valid, at least one.
fn gather(f: &Fingers) -> anyhow::Result<Vec<(FingerPosition, Template)>> {
    let mut fingers = Vec::new();
    if let Some(path) = &f.nist {
        fingers.extend(nist_fingers(path, f.dpi)?);
    }
    for arg in &f.fingers {
        let Some((position, file)) = arg.split_once('=') else {
            bail!("{arg:?} is not POSITION=FILE (for example 2=right_index.png)");
        };
        let position = parse_position(position)?;
        let template = super::fp::template_of(
            Path::new(file),
            None,
            f.dpi,
            scomm_fingerprint::Profile::Fast,
        )?
        .0;
        // The gallery's filter and fusion tables are measured on fast
        // templates; an accurate one (twice the minutiae, higher chance
        // scores) would be misread.
        if template.profile != scomm_fingerprint::Profile::Fast {
            bail!(
                "{file} is an {} template; galleries hold fast ones \
                 (extract it with `scomm fp extract --profile fast`)",
                template.profile
            );
        }
        fingers.push((position, template));
    }
    // A position given twice is the gallery's to refuse (`IdentError`).
    if fingers.is_empty() {
        bail!("no fingers given: name them as POSITION=FILE or give --nist FILE");
    }
    Ok(fingers)
}

fn enrol(args: EnrolArgs) -> anyhow::Result<()> {
    // Extraction first, outside the lock: a bad image changes nothing.
    let fingers = gather(&args.fingers)?;
    let _lock = Lock::take(&args.gallery)?;
    let created = !args.gallery.exists();
    let mut gallery = if created {
        Gallery::new()
    } else {
        load(&args.gallery)?
    };
    let known = gallery.contains(args.subject);
    if args.update {
        gallery.update(args.subject, &fingers)?;
    } else {
        gallery.enrol(args.subject, &fingers)?;
    }
    gallery
        .save(&args.gallery)
        .with_context(|| format!("writing the gallery {}", args.gallery.display()))?;
    let positions: Vec<String> = fingers.iter().map(|(p, _)| p.code().to_string()).collect();
    let verb = match (known, args.update) {
        (false, _) => "enrolled",
        (true, false) => "added an encounter to",
        (true, true) => "replaced",
    };
    say!(
        "{verb} subject {} (fingers {}){}; the gallery holds {}, {}",
        args.subject,
        positions.join(", "),
        if created { ", in a new gallery" } else { "" },
        count(gallery.subjects(), "subject"),
        count(gallery.fingers(), "finger")
    );
    Ok(())
}

fn search(args: SearchArgs) -> anyhow::Result<()> {
    if !(args.fpir > 0.0 && args.fpir < 1.0) {
        bail!("--fpir {} is not a rate between 0 and 1", args.fpir);
    }
    if args.top == 0 || args.shortlist == 0 {
        bail!("--top and --shortlist must be at least 1");
    }
    let probe = gather(&args.fingers)?;
    let gallery = load(&args.gallery)?;
    if gallery.subjects() == 0 {
        bail!("the gallery {} holds no subjects", args.gallery.display());
    }
    let params = SearchParams {
        fpir: args.fpir,
        top_k: args.top,
        shortlist: args.shortlist,
        threshold: None,
    };
    let start = Instant::now();
    let result = gallery.search(&probe, &params)?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    let decision = match result.decision {
        Decision::Ident => "ident",
        Decision::NonIdent => "non-ident",
        Decision::NoUsableFinger => "no-usable-finger",
    };
    if args.json {
        let candidates: Vec<serde_json::Value> = result
            .candidates
            .iter()
            .map(|c| {
                serde_json::json!({
                    "subject": c.subject,
                    "fused_llr": c.fused,
                    "threshold": c.threshold,
                    "filter": c.filter,
                    "fingers": c.fingers.iter().map(|f| serde_json::json!({
                        "position": f.position.code(),
                        "score": f.score,
                        "llr": f.llr,
                        "kinds_compared": f.kinds_compared,
                        "kinds_agreeing": f.kinds_agreeing,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        say!(
            "{}",
            serde_json::json!({
                "decision": decision,
                "threshold": result.threshold,
                "fpir": args.fpir,
                "subjects": gallery.subjects(),
                "penetration": result.penetration,
                "search_ms": ms,
                "set_aside": result.set_aside.iter().map(|a| serde_json::json!({
                    "position": a.position.code(),
                    "reason": a.reason.to_string(),
                })).collect::<Vec<_>>(),
                "candidates": candidates,
            })
        );
        return Ok(());
    }
    for a in &result.set_aside {
        say!(
            "finger {} set aside, not searched: {}",
            a.position.code(),
            a.reason
        );
    }
    if result.decision == Decision::NoUsableFinger {
        say!("no usable finger: nothing was searched; capture the fingers again");
        return Ok(());
    }
    let best = result.candidates.first();
    say!(
        "{decision}{} (fused LLR threshold {:.2} for FPIR {} over {} subjects; {} searched in full, {:.1} ms)",
        match (result.decision, best) {
            (Decision::Ident, Some(c)) => format!(": subject {}", c.subject),
            _ => String::new(),
        },
        result.threshold,
        args.fpir,
        gallery.subjects(),
        result.shortlist.len(),
        ms
    );
    for (rank, c) in result.candidates.iter().enumerate() {
        let fingers: Vec<String> = c
            .fingers
            .iter()
            .map(|f| {
                format!(
                    "{}: {:.1} ({:+.1}; {}/{} pairs of one kind)",
                    f.position.code(),
                    f.score,
                    f.llr,
                    f.kinds_agreeing,
                    f.kinds_compared
                )
            })
            .collect();
        // Held to another threshold when an enrolled finger was too poor
        // to compare.
        let held = if c.threshold != result.threshold {
            format!(
                "   (compared on {} finger(s): threshold {:.2})",
                c.fingers.len(),
                c.threshold
            )
        } else {
            String::new()
        };
        say!(
            "{:>3}. subject {:<12} fused LLR {:>7.2}   finger: score (LLR) {}{held}",
            rank + 1,
            c.subject,
            c.fused,
            fingers.join(", ")
        );
    }
    Ok(())
}

fn remove(path: &Path, subject: SubjectId) -> anyhow::Result<()> {
    let _lock = Lock::take(path)?;
    let mut gallery = load(path)?;
    if !gallery.remove(subject) {
        bail!("subject {subject} is not enrolled in {}", path.display());
    }
    // Saving leaves the removed fingers out of the file.
    gallery
        .save(path)
        .with_context(|| format!("writing the gallery {}", path.display()))?;
    say!(
        "removed subject {subject}; the gallery holds {}, {}",
        count(gallery.subjects(), "subject"),
        count(gallery.fingers(), "finger")
    );
    Ok(())
}

fn info(path: &Path) -> anyhow::Result<()> {
    let start = Instant::now();
    let gallery = load(path)?;
    let seconds = start.elapsed().as_secs_f64();
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    let per = |bytes: f64| bytes / gallery.fingers().max(1) as f64;
    say!("{}", path.display());
    say!("subjects   {}", gallery.subjects());
    say!("fingers    {}", gallery.fingers());
    say!(
        "file       {size} bytes ({:.0} per finger)",
        per(size as f64)
    );
    say!(
        "memory     {} bytes ({:.0} per finger)",
        gallery.memory_bytes(),
        per(gallery.memory_bytes() as f64)
    );
    say!("loaded in  {seconds:.3} s");
    Ok(())
}
