//! `scomm eval ident` and `scomm bench ident`: 1:N identification on real
//! images and on synthetic galleries up to a million fingers.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use scomm_fingerprint::Template;
use scomm_ident::eval::{self as ieval, Mated, Rates};
use scomm_ident::synthetic::MasterFinger;
use scomm_ident::{Decision, FingerPosition, Gallery, SearchParams};

fn bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg:>24} [{bar:40}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

#[derive(clap::Args)]
pub struct EvalIdentArgs {
    /// Folder of `PPP_F_I` images (person, finger position, impression),
    /// e.g. ../shared/data/neurotech-crossmatch.
    #[arg(long)]
    pub persons: Option<PathBuf>,
    /// FVC-style folders (`DIR[:DPI]`): their fingers join the gallery as
    /// extra subjects, and their scores are plotted beside the synthetic ones.
    #[arg(long, num_args = 1..)]
    pub fvc: Vec<String>,
    /// Synthetic ten-print subjects to enrol (0: no synthetic run).
    #[arg(long, default_value_t = 10_000)]
    pub synthetic: u64,
    /// Synthetic mated and non-mated searches per finger count.
    #[arg(long, default_value_t = 300)]
    pub mated: u64,
    #[arg(long, default_value_t = 1_000)]
    pub non_mated: u64,
    /// Subjects passed from the filter to the full matcher.
    #[arg(long, default_value_t = 200)]
    pub shortlist: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write genuine and impostor score distributions (synthetic and FVC) as SVG.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// One JSON object per row instead of the table.
    #[arg(long)]
    pub json: bool,
}

type Fingers = Vec<(FingerPosition, Template)>;

/// Templates of a folder keyed by (finger name, impression).
fn extract_folder(spec: &str) -> anyhow::Result<BTreeMap<(String, u32), Template>> {
    let (dir, dpi) = super::eval::parse_dir(spec)?;
    let samples = scomm_fingerprint::eval::discover(&dir)
        .with_context(|| format!("reading {}", dir.display()))?;
    anyhow::ensure!(!samples.is_empty(), "{}: no images", dir.display());
    let b = bar(samples.len() as u64, &format!("extract {}", dir.display()));
    let templates: Vec<anyhow::Result<((String, u32), Template)>> = samples
        .par_iter()
        .map(|s| {
            let t = scomm_fingerprint::extract::extract_file(&s.path, dpi)?;
            b.inc(1);
            Ok(((s.finger.clone(), s.impression), t))
        })
        .collect();
    b.finish_and_clear();
    templates.into_iter().collect()
}

struct Row {
    set: String,
    fingers: String,
    subjects: usize,
    rates: Rates,
}

fn print_rows(rows: &[Row], json: bool) {
    if json {
        for r in rows {
            let f = &r.rates.fnir_at;
            println!(
                "{}",
                serde_json::json!({
                    "set": r.set, "fingers": r.fingers, "subjects": r.subjects,
                    "mated": r.rates.mated, "non_mated": r.rates.non_mated,
                    "rank1": r.rates.rank1, "mates_kept": r.rates.mates_kept,
                    "fnir_at_fpir_1pct": f[0].2, "fnir_at_fpir_0_1pct": f[1].2,
                    "threshold_1pct": f[0].1, "threshold_0_1pct": f[1].1,
                    "own_fnir": r.rates.own_fnir, "own_fpir": r.rates.own_fpir,
                })
            );
        }
        return;
    }
    println!(
        "{:<10} {:<12} {:>8} {:>6} {:>6} {:>7} {:>7} {:>9} {:>10} {:>9} {:>9}",
        "set",
        "fingers",
        "subjects",
        "mated",
        "non-m",
        "rank1%",
        "kept%",
        "FNIR@1%",
        "FNIR@0.1%",
        "own FNIR",
        "own FPIR"
    );
    for r in rows {
        let p = |v: f64| format!("{:.2}", v * 100.0);
        println!(
            "{:<10} {:<12} {:>8} {:>6} {:>6} {:>7} {:>7} {:>9} {:>10} {:>9} {:>9}",
            r.set,
            r.fingers,
            r.subjects,
            r.rates.mated,
            r.rates.non_mated,
            p(r.rates.rank1),
            p(r.rates.mates_kept),
            p(r.rates.fnir_at[0].2),
            p(r.rates.fnir_at[1].2),
            p(r.rates.own_fnir),
            p(r.rates.own_fpir)
        );
    }
}

/// Real images: each person (or group of FVC fingers standing in for one)
/// enrolled from impression 1; every later impression searched, mated with
/// the full gallery and non-mated with that subject removed.
fn real_rows(
    args: &EvalIdentArgs,
    fvc: &[BTreeMap<(String, u32), Template>],
) -> anyhow::Result<Vec<Row>> {
    let mut subjects: BTreeMap<u64, BTreeMap<u32, Fingers>> = BTreeMap::new();
    let mut positions: Vec<FingerPosition> = Vec::new();
    if let Some(dir) = &args.persons {
        for ((finger, imp), t) in extract_folder(&dir.display().to_string())? {
            let (person, f) = finger
                .split_once('_')
                .with_context(|| format!("{finger}: expected PPP_F_I names"))?;
            let p = FingerPosition::new(f.parse()?)?;
            if !positions.contains(&p) {
                positions.push(p);
            }
            subjects
                .entry(person.parse()?)
                .or_default()
                .entry(imp)
                .or_default()
                .push((p, t));
        }
    }
    positions.sort();
    if positions.is_empty() {
        positions = FingerPosition::all().collect();
    }
    // FVC fingers grouped into stand-in people, one finger per position.
    let mut next = 1_000_000u64;
    for (k, folder) in fvc.iter().enumerate() {
        let fingers: Vec<&String> = folder
            .keys()
            .map(|(f, _)| f)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for (j, f) in fingers.iter().enumerate() {
            let subject = next + (j / positions.len()) as u64;
            for ((name, imp), t) in folder.range(((*f).clone(), 0)..((*f).clone(), u32::MAX)) {
                debug_assert_eq!(name, *f);
                let p = positions[j % positions.len()];
                subjects
                    .entry(subject)
                    .or_default()
                    .entry(*imp)
                    .or_default()
                    .push((p, t.clone()));
            }
        }
        next += 1_000 * (k as u64 + 1);
    }
    anyhow::ensure!(
        !subjects.is_empty(),
        "no real subjects: give --persons and/or --fvc"
    );
    let mut gallery = Gallery::new();
    for (&s, imps) in &subjects {
        if let Some(first) = imps.values().next() {
            gallery.enrol(s, first)?;
        }
    }
    let params = SearchParams {
        shortlist: args.shortlist,
        ..Default::default()
    };
    let configs: [(&str, usize); 3] = [("1", 1), ("2", 2), ("all (<=10)", 10)];
    let mut rows = Vec::new();
    for (name, count) in configs {
        let (mut mated, mut tops, mut hits) = (Vec::new(), Vec::new(), 0);
        for (&s, imps) in &subjects {
            let probes: Vec<Fingers> = imps
                .values()
                .skip(1)
                .flat_map(|fingers| {
                    let mut fs = fingers.clone();
                    fs.sort_by_key(|f| f.0);
                    if count == 1 {
                        fs.into_iter().map(|f| vec![f]).collect::<Vec<_>>()
                    } else {
                        fs.truncate(count);
                        vec![fs]
                    }
                })
                .collect();
            for p in &probes {
                mated.push(Mated::from_result(&gallery.search(p, &params)?, s));
            }
            let enrolled = gallery.fingers_of(s);
            gallery.remove(s);
            for p in &probes {
                let r = gallery.search(p, &params)?;
                tops.push(ieval::top_score(&r));
                hits += (r.decision == Decision::Ident) as usize;
            }
            gallery.enrol(s, &enrolled)?;
        }
        rows.push(Row {
            set: "real".into(),
            fingers: name.into(),
            subjects: gallery.subjects(),
            rates: ieval::rates(&mated, &tops, hits),
        });
    }
    Ok(rows)
}

fn synthetic_rows(args: &EvalIdentArgs) -> anyhow::Result<Vec<Row>> {
    let b = bar(args.synthetic, "synthetic gallery");
    let gallery = ieval::synthetic_gallery(args.synthetic, args.seed, &|n| b.inc(n))?;
    b.finish_and_clear();
    let params = SearchParams {
        shortlist: args.shortlist,
        ..Default::default()
    };
    let configs: [(&str, Vec<FingerPosition>); 3] = [
        ("1 (R index)", vec![FingerPosition::RIGHT_INDEX]),
        (
            "2 (indexes)",
            vec![FingerPosition::RIGHT_INDEX, FingerPosition::LEFT_INDEX],
        ),
        ("10", FingerPosition::all().collect()),
    ];
    let configs: Vec<(&str, &[FingerPosition], &SearchParams)> = configs
        .iter()
        .map(|(name, positions)| (*name, &positions[..], &params))
        .collect();
    let counts = (args.mated, args.non_mated);
    accuracy_rows(
        &gallery,
        args.synthetic,
        args.seed,
        counts,
        &configs,
        "search",
    )
}

/// Identification rates on a synthetic gallery, one row per probe configuration
/// (name, finger positions, search parameters), with a progress bar each.
fn accuracy_rows(
    gallery: &Gallery,
    subjects: u64,
    seed: u64,
    counts: (u64, u64),
    configs: &[(&str, &[FingerPosition], &SearchParams)],
    label: &str,
) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for &(name, positions, params) in configs {
        let b = bar(counts.0 + counts.1, &format!("{label} {name}"));
        let rates =
            ieval::synthetic_rates(gallery, subjects, seed, positions, counts, params, &|n| {
                b.inc(n)
            })?;
        b.finish_and_clear();
        rows.push(Row {
            set: "synthetic".into(),
            fingers: name.into(),
            subjects: gallery.subjects(),
            rates,
        });
    }
    Ok(rows)
}

/// Genuine and impostor scores within each FVC folder (all pairs).
fn fvc_scores(folders: &[BTreeMap<(String, u32), Template>]) -> (Vec<f32>, Vec<f32>) {
    let (mut genuine, mut impostor) = (Vec::new(), Vec::new());
    for folder in folders {
        let items: Vec<(&String, &Template)> = folder.iter().map(|((f, _), t)| (f, t)).collect();
        let pairs: Vec<(usize, usize)> = (0..items.len())
            .flat_map(|i| (i + 1..items.len()).map(move |j| (i, j)))
            .collect();
        let scores: Vec<(bool, f32)> = pairs
            .par_iter()
            .map(|&(i, j)| {
                (
                    items[i].0 == items[j].0,
                    scomm_fingerprint::matcher::compare(items[i].1, items[j].1),
                )
            })
            .collect();
        for (same, s) in scores {
            if same {
                genuine.push(s)
            } else {
                impostor.push(s)
            }
        }
    }
    (genuine, impostor)
}

fn synthetic_scores(pairs: u64, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let compare = scomm_fingerprint::matcher::compare;
    let genuine = (0..pairs)
        .into_par_iter()
        .map(|k| {
            // Every pair gets its own captures: fixed impression seeds would
            // give every finger the same contact offset and rotation.
            let m = MasterFinger::generate(scomm_ident::mix_seed(seed, k));
            let capture = |i: u64| m.impression(scomm_ident::mix_seed(seed ^ i, k));
            compare(&capture(1), &capture(2))
        })
        .collect();
    let impostor = (0..pairs * 10)
        .into_par_iter()
        .map(|k| {
            let a = MasterFinger::generate(scomm_ident::mix_seed(seed, k));
            let b = MasterFinger::generate(scomm_ident::mix_seed(seed ^ 0xabcdef, k));
            compare(
                &a.impression(scomm_ident::mix_seed(seed ^ 1, k)),
                &b.impression(scomm_ident::mix_seed(seed ^ 2, k)),
            )
        })
        .collect();
    (genuine, impostor)
}

pub fn eval_ident(args: EvalIdentArgs) -> anyhow::Result<()> {
    let fvc: Vec<BTreeMap<(String, u32), Template>> = args
        .fvc
        .iter()
        .map(|d| extract_folder(d))
        .collect::<anyhow::Result<_>>()?;
    let mut rows = Vec::new();
    if args.persons.is_some() || !fvc.is_empty() {
        rows.extend(real_rows(&args, &fvc)?);
    }
    if args.synthetic > 0 {
        rows.extend(synthetic_rows(&args)?);
    }
    print_rows(&rows, args.json);
    if let Some(path) = &args.plot {
        let (sg, si) = synthetic_scores(2_000, args.seed);
        let (fg, fi) = fvc_scores(&fvc);
        let mut series: Vec<(&str, &str, &[f32])> = vec![
            ("synthetic genuine", "#1f77b4", &sg),
            ("synthetic impostor", "#d62728", &si),
        ];
        if !fg.is_empty() {
            series.push(("FVC genuine", "#1f77b4", &fg));
            series.push(("FVC impostor", "#d62728", &fi));
        }
        let svg = ieval::score_svg(
            "Matcher scores: synthetic (dashed) against FVC (solid)",
            &series,
        );
        std::fs::write(path, svg).with_context(|| format!("writing {}", path.display()))?;
        let q = |v: &[f32], p: f64| {
            let mut s = v.to_vec();
            s.sort_by(|a, b| a.total_cmp(b));
            s.get(((s.len() as f64 * p) as usize).min(s.len().saturating_sub(1)))
                .copied()
                .unwrap_or(f32::NAN)
        };
        for (name, _, v) in &series {
            println!(
                "{name:<20} n={:<6} p10 {:>6.1} median {:>6.1} p90 {:>6.1} p99 {:>6.1} p99.9 {:>6.1}",
                v.len(), q(v, 0.1), q(v, 0.5), q(v, 0.9), q(v, 0.99), q(v, 0.999)
            );
        }
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct BenchIdentArgs {
    /// Gallery sizes in fingers (ten per synthetic subject).
    #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
    pub sizes: Vec<u64>,
    /// Timed searches per size and probe kind.
    #[arg(long, default_value_t = 20)]
    pub searches: u64,
    /// Mated and non-mated searches for accuracy on the largest gallery.
    #[arg(long, default_value_t = 300)]
    pub mated: u64,
    #[arg(long, default_value_t = 1_000)]
    pub non_mated: u64,
    /// Filter shortlist (subjects) for ten-print searches.
    #[arg(long, default_value_t = 200)]
    pub shortlist: usize,
    /// Filter shortlist (subjects) for two-finger searches. Two fingers
    /// carry less evidence, so their mates need a longer list: 3,000 is 3 %
    /// of the 1M-finger gallery's subjects, within 300 ms a search there on
    /// average.
    #[arg(long, default_value_t = 3_000)]
    pub shortlist_two: usize,
    /// Where the largest gallery is saved and reloaded.
    #[arg(long, default_value = "target/bench-ident.scg")]
    pub file: PathBuf,
    /// Skip building: load this gallery file (made by an earlier run with
    /// the same --seed) and time searches and accuracy on it.
    #[arg(long)]
    pub load: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Measure the filter alone: for each size, the share of two-index mates
    /// (--mated of them) kept at several penetrations, and the filter's time;
    /// no timed searches, file or stage 2.
    #[arg(long)]
    pub filter_curve: bool,
    /// With --filter-curve: enrol only the two index fingers of each of the
    /// size's subjects (a tenth of the build; the filter of a two-index
    /// probe reads no other position).
    #[arg(long)]
    pub index_only: bool,
}

/// Penetrations the filter curve reports.
const PENETRATIONS: [f64; 7] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1];

fn filter_curve(args: &BenchIdentArgs) -> anyhow::Result<()> {
    let two = [FingerPosition::RIGHT_INDEX, FingerPosition::LEFT_INDEX];
    println!(
        "threads {}; filter alone on {} two-index mated probes; gallery subjects {}",
        rayon::current_num_threads(),
        args.mated,
        if args.index_only {
            "with their two index fingers only"
        } else {
            "with ten fingers"
        }
    );
    let pens: Vec<String> = PENETRATIONS
        .iter()
        .map(|p| format!("{}%", p * 100.0))
        .collect();
    println!(
        "{:>9} {:>9} {:>8} {:>9} {:>9} {:>11}  mates kept % at penetration {}",
        "subjects",
        "fingers",
        "build s",
        "B/finger",
        "filter ms",
        "ns/finger",
        pens.join(" ")
    );
    for &fingers in &args.sizes {
        let subjects = (fingers / 10).max(1);
        let start = Instant::now();
        let b = bar(subjects, "synthetic gallery");
        let gallery = if args.index_only {
            ieval::synthetic_gallery_of(subjects, args.seed, &two, &|n| b.inc(n))?
        } else {
            ieval::synthetic_gallery(subjects, args.seed, &|n| b.inc(n))?
        };
        b.finish_and_clear();
        let build = start.elapsed().as_secs_f64();
        let b = bar(args.mated, "filter");
        let (kept, seconds) = ieval::synthetic_filter_curve(
            &gallery,
            subjects,
            args.seed,
            &two,
            args.mated,
            &PENETRATIONS,
            &|n| b.inc(n),
        )?;
        b.finish_and_clear();
        // Per gallery finger the filter compares: the two probed positions.
        let probed = 2 * subjects;
        let kept: Vec<String> = kept.iter().map(|k| format!("{:.2}", k * 100.0)).collect();
        println!(
            "{:>9} {:>9} {:>8.1} {:>9.0} {:>9.2} {:>11.1}  {}",
            subjects,
            gallery.fingers(),
            build,
            gallery.memory_bytes() as f64 / gallery.fingers() as f64,
            seconds * 1e3,
            seconds * 1e9 / probed as f64,
            kept.join(" ")
        );
    }
    Ok(())
}

fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Mean and max seconds of searches with the given positions.
fn time_searches(
    gallery: &Gallery,
    subjects: u64,
    seed: u64,
    positions: &[FingerPosition],
    searches: u64,
    params: &SearchParams,
) -> anyhow::Result<(f64, f64)> {
    let (mut total, mut max) = (0.0f64, 0.0f64);
    for k in 0..searches {
        let subject = k * (subjects / searches.max(1)).max(1) % subjects.max(1);
        let probe = ieval::synthetic_probe(seed, subject, 1, positions);
        let start = Instant::now();
        let r = gallery.search(&probe, params)?;
        let t = start.elapsed().as_secs_f64();
        std::hint::black_box(r);
        total += t;
        max = max.max(t);
    }
    Ok((total / searches.max(1) as f64, max))
}

pub fn bench_ident(args: BenchIdentArgs) -> anyhow::Result<()> {
    if args.filter_curve {
        return filter_curve(&args);
    }
    anyhow::ensure!(!args.index_only, "--index-only goes with --filter-curve");
    let ten: Vec<FingerPosition> = FingerPosition::all().collect();
    let two = [FingerPosition::RIGHT_INDEX, FingerPosition::LEFT_INDEX];
    let p10 = SearchParams {
        shortlist: args.shortlist,
        ..Default::default()
    };
    let p2 = SearchParams {
        shortlist: args.shortlist_two,
        ..Default::default()
    };
    println!(
        "threads {}; shortlist {} subjects (ten-print), {} (two fingers); searches timed one after another, each on all threads",
        rayon::current_num_threads(),
        args.shortlist,
        args.shortlist_two
    );
    println!(
        "{:>9} {:>9} {:>9} {:>10} {:>10} {:>13} {:>13}",
        "fingers", "subjects", "build s", "B/finger", "RSS B/fing", "10-print ms", "2-index ms"
    );
    let mut largest: Option<(Gallery, u64)> = None;
    let sizes = if args.load.is_some() {
        &[][..]
    } else {
        &args.sizes[..]
    };
    for &fingers in sizes {
        let subjects = (fingers / 10).max(1);
        let rss0 = rss_bytes().unwrap_or(0);
        let start = Instant::now();
        let b = bar(subjects, "synthetic gallery");
        let gallery = ieval::synthetic_gallery(subjects, args.seed, &|n| b.inc(n))?;
        b.finish_and_clear();
        let build = start.elapsed().as_secs_f64();
        let rss = rss_bytes().unwrap_or(0).saturating_sub(rss0);
        let per_finger = gallery.memory_bytes() as f64 / gallery.fingers() as f64;
        let (t10, m10) = time_searches(&gallery, subjects, args.seed, &ten, args.searches, &p10)?;
        let (t2, m2) = time_searches(&gallery, subjects, args.seed, &two, args.searches, &p2)?;
        println!(
            "{:>9} {:>9} {:>9.1} {:>10.0} {:>10.0} {:>6.0} (max {:>4.0}) {:>5.0} (max {:>4.0})",
            gallery.fingers(),
            subjects,
            build,
            per_finger,
            rss as f64 / gallery.fingers() as f64,
            t10 * 1e3,
            m10 * 1e3,
            t2 * 1e3,
            m2 * 1e3
        );
        largest = Some((gallery, subjects));
    }
    let (file, save) = match (&args.load, largest) {
        (Some(path), _) => (path.clone(), None),
        (None, Some((gallery, _))) => {
            if let Some(dir) = args.file.parent() {
                std::fs::create_dir_all(dir).ok();
            }
            let start = Instant::now();
            gallery.save(&args.file)?;
            (args.file.clone(), Some(start.elapsed().as_secs_f64()))
        }
        (None, None) => return Ok(()),
    };
    let size = std::fs::metadata(&file)?.len();
    let start = Instant::now();
    let gallery = Gallery::load(&file)?;
    let load = start.elapsed().as_secs_f64();
    let subjects = gallery.subjects() as u64;
    println!(
        "gallery file {}: {:.0} MB ({:.0} B/finger), save {}, load {load:.2} s (page cache warm); loaded: {:.0} B/finger in memory",
        file.display(),
        size as f64 / 1e6,
        size as f64 / gallery.fingers() as f64,
        save.map_or("-".to_string(), |s| format!("{s:.2} s")),
        gallery.memory_bytes() as f64 / gallery.fingers() as f64
    );
    if args.load.is_some() {
        let (t10, m10) = time_searches(&gallery, subjects, args.seed, &ten, args.searches, &p10)?;
        let (t2, m2) = time_searches(&gallery, subjects, args.seed, &two, args.searches, &p2)?;
        println!(
            "searches on the loaded gallery: ten-print {:.0} ms (max {:.0}), two index fingers {:.0} ms (max {:.0})",
            t10 * 1e3, m10 * 1e3, t2 * 1e3, m2 * 1e3
        );
    }
    println!(
        "accuracy on {subjects} subjects ({} mated, {} non-mated searches each):",
        args.mated, args.non_mated
    );
    let configs: [(&str, &[FingerPosition], &SearchParams); 2] =
        [("2 (indexes)", &two[..], &p2), ("10", &ten[..], &p10)];
    let counts = (args.mated, args.non_mated);
    let rows = accuracy_rows(&gallery, subjects, args.seed, counts, &configs, "accuracy")?;
    print_rows(&rows, false);
    println!(
        "(penetration: ten-print {:.3} %, two fingers {:.3} %)",
        args.shortlist.min(subjects as usize) as f64 / subjects as f64 * 100.0,
        args.shortlist_two.min(subjects as usize) as f64 / subjects as f64 * 100.0
    );
    Ok(())
}
