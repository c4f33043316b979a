//! `scomm simulate`, `scomm report`, `scomm bench hub`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use scomm_domain::stats::{self, ByLevel, Row};
use scomm_sim::{Options, Reported};

#[derive(clap::Args)]
pub struct SimulateArgs {
    /// Scenario file (TOML), e.g. scenarios/small.toml.
    #[arg(long)]
    pub scenario: PathBuf,
    /// SQLite database to create, or to resume a killed run from.
    #[arg(long)]
    pub db: PathBuf,
    /// Seed for every random draw (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Commit after this many messages.
    #[arg(long, default_value_t = 20_000)]
    pub commit_every: usize,
    /// Identification mode (default: the scenario's): `oracle` answers from
    /// ground truth at configured error rates; `engine` runs the real 1:N
    /// engine on synthetic fingers.
    #[arg(long, value_enum)]
    pub identification: Option<Mode>,
    /// Do not print the statistics at the end.
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Mode {
    Oracle,
    Engine,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

#[derive(clap::Args)]
pub struct ReportArgs {
    /// SQLite database written by `scomm simulate`.
    #[arg(long)]
    pub db: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also write a monthly chart (matches and removals by level) as SVG.
    #[arg(long)]
    pub chart: Option<PathBuf>,
    /// Another run of the same scenario (e.g. the oracle-mode run next to an
    /// engine-mode one): print both runs' identification figures side by side.
    #[arg(long, value_name = "OTHER_DB")]
    pub versus: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct TrailArgs {
    /// SQLite database written by `scomm simulate`.
    #[arg(long)]
    pub db: PathBuf,
    /// Booking number, as the audit log and reports print it (B001000042) or
    /// without its letter and zeros (1000042).
    #[arg(long)]
    pub booking: String,
    /// Also write the booking's ANSI/NIST-ITL transactions (submission received, responses sent) into this folder.
    #[arg(long)]
    pub nist: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct SubmitArgs {
    /// ANSI/NIST-ITL transaction file (EBTS TOT CAR).
    pub file: PathBuf,
    /// SQLite database of a run (`scomm simulate`); the file's ORI must be one of its jurisdictions.
    #[arg(long)]
    pub db: PathBuf,
    /// Write the FBI's search results (EBTS SRE) to this file.
    #[arg(long)]
    pub sre: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct BenchHubArgs {
    /// Scenario to run (default: scenarios/oct2010.toml).
    #[arg(long, default_value = "scenarios/oct2010.toml")]
    pub scenario: PathBuf,
    /// Where to put the benchmark's database (deleted first).
    #[arg(long, default_value = "target/bench-hub.db")]
    pub db: PathBuf,
}

fn progress_bar() -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}").expect("valid template"),
    );
    pb
}

fn run(args: &SimulateArgs) -> anyhow::Result<scomm_sim::RunSummary> {
    let pb = progress_bar();
    let opts = Options {
        seed: args.seed,
        mode: args.identification.map(|m| match m {
            Mode::Oracle => scomm_sim::IdentificationMode::Oracle,
            Mode::Engine => scomm_sim::IdentificationMode::Engine,
        }),
        commit_every: args.commit_every,
    };
    let summary = scomm_sim::simulate(&args.scenario, &args.db, &opts, |p| {
        pb.set_message(format!(
            "simulated {} | {} bookings | {} messages processed, {} pending",
            p.now, p.bookings, p.processed, p.pending
        ));
        pb.tick();
    })?;
    pb.finish_and_clear();
    Ok(summary)
}

pub fn simulate(args: SimulateArgs) -> anyhow::Result<()> {
    let s = run(&args)?;
    eprintln!(
        "{} {}: {} bookings, {} messages processed; setup {:.1} s, flow {:.1} s ({} identification)",
        if s.resumed { "resumed" } else { "ran" },
        args.scenario.display(),
        s.bookings,
        s.processed,
        s.setup_seconds,
        s.flow_seconds,
        s.mode
    );
    if !args.quiet {
        let r = scomm_sim::report(&args.db)?;
        print_table(&r);
    }
    Ok(())
}

pub fn report(args: ReportArgs) -> anyhow::Result<()> {
    let r = scomm_sim::report(&args.db)?;
    match args.format {
        Format::Table => print_table(&r),
        Format::Csv => print_csv(&r),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json(&r)).context("report serialises")?
        ),
    }
    if let Some(other) = &args.versus {
        let o = scomm_sim::report(other)?;
        println!();
        print_versus(&r, &o);
    }
    if let Some(path) = &args.chart {
        let title = format!(
            "scenario {:?}, seed {}, {} identification, all jurisdictions",
            r.scenario, r.seed, r.mode
        );
        std::fs::write(path, scomm_sim::chart::monthly_svg(&r.report, &title))
            .with_context(|| format!("writing chart {}", path.display()))?;
        eprintln!("chart written to {}", path.display());
    }
    Ok(())
}

fn json(r: &Reported) -> serde_json::Value {
    serde_json::json!({
        "scenario": r.scenario,
        "seed": r.seed,
        "scale": r.scale,
        "identification_mode": r.mode,
        "pending_messages": r.pending,
        "rows": r.report.rows,
        "total": r.report.total,
        "summary": r.report.summary,
        "published": r.published.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
    })
}

const COLUMNS: &[&str] = &[
    "month",
    "state",
    "county",
    "ori",
    "submissions",
    "forwarded",
    "fwd_despite_opt_out",
    "match_l1",
    "match_l2",
    "match_l3",
    "match_nc",
    "bookin_l1",
    "bookin_l2",
    "bookin_l3",
    "bookin_nc",
    "removed_l1",
    "removed_l2",
    "removed_l3",
    "removed_nc",
    "detainers",
    "honoured",
    "declined",
    "holds_past_48h",
    "citizens_matched",
    "citizens_detained",
    "citizens_in_ice",
    "stale_matches",
    "false_matches",
    "ident_misses",
    "fbi_false_matches",
    "fbi_misses",
    "median_h_to_iar",
];

fn levels(b: &ByLevel) -> [String; 4] {
    [
        b.l1.to_string(),
        b.l2.to_string(),
        b.l3.to_string(),
        b.nc.to_string(),
    ]
}

fn cells(r: &Row) -> Vec<String> {
    let mut v = vec![
        r.month.clone(),
        r.state.clone(),
        r.county.clone(),
        r.ori.clone(),
    ];
    v.push(r.submissions.to_string());
    v.push(r.forwarded_to_ident.to_string());
    v.push(r.forwarded_despite_opt_out.to_string());
    v.extend(levels(&r.ident_matches));
    v.extend(levels(&r.ice_book_ins));
    v.extend(levels(&r.removals));
    for n in [
        r.detainers_issued,
        r.detainers_honoured,
        r.detainers_declined,
        r.holds_past_48h,
        r.us_citizens_matched,
        r.us_citizens_detained,
        r.us_citizens_in_ice_custody,
        r.stale_record_matches,
        r.false_biometric_matches,
        r.ident_misses,
        r.fbi_false_matches,
        r.fbi_misses,
    ] {
        v.push(n.to_string());
    }
    v.push(
        r.median_hours_booking_to_iar
            .map(|h| format!("{h:.1}"))
            .unwrap_or_else(|| "-".into()),
    );
    v
}

fn print_csv(r: &Reported) {
    println!("{}", COLUMNS.join(","));
    for row in r.report.rows.iter().chain(std::iter::once(&r.report.total)) {
        let c: Vec<String> = cells(row)
            .into_iter()
            .map(|s| {
                if s.contains(',') || s.contains('"') {
                    format!("\"{}\"", s.replace('"', "\"\""))
                } else {
                    s
                }
            })
            .collect();
        println!("{}", c.join(","));
    }
}

fn print_table(r: &Reported) {
    println!(
        "IDENT/IAFIS Interoperability Statistics: scenario {:?}, seed {}, {} identification, 1 synthetic person = {} people{}",
        r.scenario,
        r.seed,
        r.mode,
        r.scale,
        if r.pending > 0 { format!(" (INCOMPLETE: {} messages pending; rerun simulate to finish)", r.pending) } else { String::new() }
    );
    let rows: Vec<Vec<String>> = r
        .report
        .rows
        .iter()
        .chain(std::iter::once(&r.report.total))
        .map(cells)
        .collect();
    let heads = [
        "month", "st", "county", "subm", "fwd", "m:L1", "m:L2", "m:L3", "m:NC", "in:L1", "in:L2",
        "in:L3", "in:NC", "rm:L1", "rm:L2", "rm:L3", "rm:NC", "det", "hon", "decl", ">48h",
        "USC m", "USC det", "USC ice", "stale", "false", "h>IAR",
    ];
    // Table columns: drop ORI, the opt-out count and the misses (summed
    // below the table) to keep it readable.
    let pick = |row: &Vec<String>| -> Vec<String> {
        row.iter()
            .enumerate()
            .filter(|(i, _)| ![3, 6, 28, 29, 30].contains(i))
            .map(|(_, s)| s.clone())
            .collect()
    };
    let table: Vec<Vec<String>> = rows.iter().map(pick).collect();
    let widths: Vec<usize> = (0..heads.len())
        .map(|i| {
            table
                .iter()
                .map(|r| r[i].chars().count())
                .chain([heads[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| -> String {
        cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i < 3 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!(
        "{}",
        line(&heads.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    );
    for row in &table {
        println!("{}", line(row));
    }
    println!("(m: IDENT matches by level of charges; in: ICE book-ins and rm: removals by level of convictions; USC: US citizens, from ground truth)");
    let s = &r.report.summary;
    let t = &r.report.total;
    println!();
    println!("{:<58} {:>12} {:>12}", "", "simulated", "published");
    let pubv = |k: &str| {
        r.published
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| format!("{:.1}%", v * 100.0))
            .unwrap_or_else(|| "-".into())
    };
    println!("{:<58} {:>12} {:>12}", "removals", s.removals, "-");
    println!(
        "{:<58} {:>11.1}% {:>12}",
        "removals with no conviction (non-criminal)",
        s.removals_non_criminal_share * 100.0,
        pubv("removals_non_criminal_share")
    );
    println!(
        "{:<58} {:>11.1}% {:>12}",
        "removals non-criminal or Level 3",
        s.removals_non_criminal_or_level3_share * 100.0,
        pubv("removals_non_criminal_or_level3_share")
    );
    println!(
        "{:<58} {:>11.1}% {:>12}",
        "US citizens among ICE book-ins",
        s.us_citizens_share_of_ice_book_ins * 100.0,
        pubv("us_citizens_share_of_ice_book_ins")
    );
    println!(
        "{:<58} {:>12} {:>12}",
        "detainers issued / to US citizens",
        format!("{} / {}", s.detainers_issued, s.us_citizens_with_detainers),
        "-"
    );
    println!(
        "{:<58} {:>12} {:>12}",
        "holds past 48 hours", t.holds_past_48h, "-"
    );
    println!(
        "{:<58} {:>12} {:>12}",
        "false biometric matches / stale-record matches",
        format!("{} / {}", t.false_biometric_matches, t.stale_record_matches),
        "-"
    );
    println!(
        "{:<58} {:>12} {:>12}",
        "IDENT misses (held, not found)", t.ident_misses, "-"
    );
    println!(
        "{:<58} {:>12} {:>12}",
        "FBI false identifications / misses (duplicate identity)",
        format!("{} / {}", t.fbi_false_matches, t.fbi_misses),
        "-"
    );
    println!(
        "{:<58} {:>12} {:>12}",
        "submissions forwarded despite an opt-out request", t.forwarded_despite_opt_out, "-"
    );
}

/// Two runs' identification figures and headline results, side by side.
fn print_versus(a: &Reported, b: &Reported) {
    let (ta, tb) = (&a.report.total, &b.report.total);
    let (sa, sb) = (&a.report.summary, &b.report.summary);
    let head = |r: &Reported| format!("{} (seed {})", r.mode, r.seed);
    println!("{:<44} {:>18} {:>18}", "", head(a), head(b));
    let row = |label: &str, x: String, y: String| println!("{label:<44} {x:>18} {y:>18}");
    let n = |label: &str, f: &dyn Fn(&stats::Row) -> u64| {
        row(label, f(ta).to_string(), f(tb).to_string())
    };
    n("submissions", &|t| t.submissions);
    n("searched in IDENT", &|t| t.forwarded_to_ident);
    n("IDENT matches", &|t| t.ident_matches.total());
    n("  of which someone else's record (false)", &|t| {
        t.false_biometric_matches
    });
    n("  of which stale records", &|t| t.stale_record_matches);
    n("IDENT misses (held, not found)", &|t| t.ident_misses);
    n("FBI false identifications", &|t| t.fbi_false_matches);
    n("FBI misses (duplicate identity)", &|t| t.fbi_misses);
    n("detainers issued", &|t| t.detainers_issued);
    n("  to US citizens", &|t| t.us_citizens_with_detainers);
    n("ICE book-ins", &|t| t.ice_book_ins.total());
    n("removals", &|t| t.removals.total());
    let pct = |v: f64| format!("{:.1}%", v * 100.0);
    row(
        "removals with no conviction",
        pct(sa.removals_non_criminal_share),
        pct(sb.removals_non_criminal_share),
    );
    row(
        "US citizens among ICE book-ins",
        pct(sa.us_citizens_share_of_ice_book_ins),
        pct(sb.us_citizens_share_of_ice_book_ins),
    );
    if a.scenario != b.scenario {
        println!(
            "(note: different scenarios, {:?} and {:?})",
            a.scenario, b.scenario
        );
    }
}

pub fn bench_hub(args: BenchHubArgs) -> anyhow::Result<()> {
    for ext in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{ext}", args.db.display()));
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
        }
    }
    let t = Instant::now();
    let sim = SimulateArgs {
        scenario: args.scenario.clone(),
        db: args.db.clone(),
        seed: None,
        commit_every: 20_000,
        identification: None,
        quiet: true,
    };
    let s = run(&sim)?;
    let wall = t.elapsed().as_secs_f64();
    println!("scenario            {}", args.scenario.display());
    println!("bookings            {}", s.bookings);
    println!("messages            {}", s.processed);
    println!(
        "setup               {:.2} s (synthetic population and repositories written to SQLite)",
        s.setup_seconds
    );
    println!("flow                {:.2} s (every message delivered, persisted and audited; durable commits)", s.flow_seconds);
    if let Some(cpu) = s.flow_cpu {
        println!(
            "flow CPU            {:.2} s agencies thread, {:.2} s writer thread, {:.2} s WAL checkpoints",
            cpu.flow_seconds, cpu.writer_seconds, cpu.wal_seconds
        );
    }
    println!("wall time           {wall:.2} s");
    println!(
        "bookings/s (flow)   {:.0}",
        s.new_bookings as f64 / s.flow_seconds
    );
    println!(
        "messages/s (flow)   {:.0}",
        s.processed as f64 / s.flow_seconds
    );
    println!("bookings/s (whole)  {:.0}", s.new_bookings as f64 / wall);
    Ok(())
}

pub fn trail(args: TrailArgs) -> anyhow::Result<()> {
    let digits = args.booking.trim_start_matches(['B', 'b']);
    let booking: u64 = digits.parse().with_context(|| {
        format!(
            "booking {:?} is not a booking number like B001000042 or 1000042",
            args.booking
        )
    })?;
    if !args.db.exists() {
        anyhow::bail!(
            "database {} does not exist; run `scomm simulate` first",
            args.db.display()
        );
    }
    let store = scomm_store::Store::open(&args.db)?;
    let case = store
        .case(booking)?
        .with_context(|| format!("no booking {booking} in {}", args.db.display()))?;
    let at = |t: i64| scomm_domain::SimTime(t).to_string();
    println!(
        "booking {} at {} ({}), booked {}",
        case.booking,
        case.ori,
        case.charges
            .iter()
            .map(|c| c.kind.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        case.booked_at
    );
    println!();
    println!("messages:");
    for m in store.messages_of(booking)? {
        println!(
            "  #{:<9} {} -> {:<16} {:>5} -> {:<5} {}",
            m.id,
            at(m.sent_at),
            at(m.deliver_at),
            m.from,
            m.to,
            m.kind
        );
    }
    println!();
    println!("audit:");
    for (id, t, party, event) in store.audit_of(booking)? {
        println!("  #{id:<9} {} {party:<5} {event}", at(t));
    }
    let files = store.nist_files_of(booking)?;
    if !files.is_empty() {
        println!();
        println!("ANSI/NIST-ITL transactions:");
        for f in &files {
            println!("  {:<3} {} ({} bytes)", f.direction, f.tot, f.bytes.len());
        }
    }
    if let Some(dir) = &args.nist {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for (i, f) in files.iter().enumerate() {
            let path = dir.join(format!(
                "B{:09}-{}-{}-{}.an2",
                booking,
                i + 1,
                f.direction,
                f.tot
            ));
            std::fs::write(&path, &f.bytes)
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        if files.is_empty() {
            eprintln!("booking {booking} has no ANSI/NIST-ITL transactions (simulated bookings carry no images; `scomm submit` ones do)");
        }
    }
    println!();
    println!("case record:");
    println!("{}", serde_json::to_string_pretty(&case)?);
    Ok(())
}

pub fn submit(args: SubmitArgs) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let s = scomm_sim::ingest::submit(&args.db, &bytes)
        .with_context(|| format!("{}", args.file.display()))?;
    for r in &s.remarks {
        eprintln!("note: {r}");
    }
    let c = &s.case;
    if s.duplicate {
        println!(
            "TCN {} was submitted before as booking {}: nothing new done",
            s.tcn, s.booking
        );
    } else {
        println!(
            "TCN {} entered as booking {} at {}",
            s.tcn, s.booking, c.ori
        );
    }
    let fbi = c
        .fbi_number
        .map(|f| f.to_string())
        .unwrap_or_else(|| "-".into());
    println!(
        "FBI:   {} {fbi}",
        if c.fbi_ident {
            "ident"
        } else {
            "non-ident, enrolled as"
        }
    );
    println!(
        "IDENT: {}",
        c.ident
            .map(|i| format!("{i:?}"))
            .unwrap_or_else(|| "-".into())
    );
    if let Some(iar) = &c.iar {
        println!("IAR:   {} ({:?})", iar.status.label(), iar.removability);
    }
    match &c.detainer {
        Some(d) => println!(
            "detainer: {} ({}), honoured: {:?}",
            d.form.label(),
            d.priority,
            d.honoured
        ),
        None => println!("detainer: none"),
    }
    println!(
        "see `scomm trail --db {} --booking {}` for every step",
        args.db.display(),
        s.booking
    );
    if let Some(path) = &args.sre {
        let bytes = scomm_sim::ingest::sre(&s)?;
        std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("SRE written to {}", path.display());
    }
    Ok(())
}
