//! `scomm`: one binary over the project's library crates. Each subcommand
//! lives in `cmd/` and does little more than parse arguments, call a
//! library and print.

use clap::{Parser, Subcommand};

mod cmd;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "scomm",
    version,
    about = "Secure Communities, done openly: bookings -> FBI -> IDENT -> ICE -> jail, with the statistics",
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario: jurisdictions book arrestees, every agency acts, all persisted.
    Simulate(cmd::sim::SimulateArgs),
    /// Print the monthly statistics of a simulated (or live) database.
    Report(cmd::sim::ReportArgs),
    /// Show everything the system did with one booking: each message and each audited change.
    Trail(cmd::sim::TrailArgs),
    /// Enter a criminal tenprint submission (ANSI/NIST-ITL, EBTS CAR) into a run's flow.
    Submit(cmd::sim::SubmitArgs),
    /// Fingerprint engine: extract, compare, templates.
    Fp {
        #[command(subcommand)]
        command: cmd::fp::FpCommand,
    },
    /// 1:N identification gallery file: enrol, search, remove, info.
    Ident {
        #[command(subcommand)]
        command: cmd::gallery::IdentCommand,
    },
    /// Evaluations: FVC protocol (1:1), identification (1:N).
    Eval {
        #[command(subcommand)]
        command: cmd::eval::EvalCommand,
    },
    /// ANSI/NIST-ITL transactions: dump, validate, extract.
    Nist {
        #[command(subcommand)]
        command: cmd::nist::NistCommand,
    },
    /// WSQ greyscale fingerprint image codec.
    Wsq {
        #[command(subcommand)]
        command: cmd::nist::WsqCommand,
    },
    /// Benchmarks printing figures (speed targets live here, not in tests).
    Bench {
        #[command(subcommand)]
        command: cmd::bench::BenchCommand,
    },
}

fn main() -> std::process::ExitCode {
    // Behave like a Unix filter: `scomm ... | head` ends quietly instead of
    // panicking on a closed pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Simulate(args) => cmd::sim::simulate(args),
        Command::Report(args) => cmd::sim::report(args),
        Command::Trail(args) => cmd::sim::trail(args),
        Command::Submit(args) => cmd::sim::submit(args),
        Command::Fp { command } => cmd::fp::run(command),
        Command::Ident { command } => cmd::gallery::run(command),
        Command::Eval { command } => cmd::eval::run(command),
        Command::Nist { command } => cmd::nist::run(command),
        Command::Wsq { command } => cmd::nist::run_wsq(command),
        Command::Bench { command } => cmd::bench::run(command),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", error_message(&err));
            std::process::ExitCode::FAILURE
        }
    }
}

/// The error and its causes as one line. The workspace's own errors say
/// their cause in their message (`loading X: {error}`) and do not chain it,
/// but a context added here chains the error it wraps, and third-party
/// errors may say their source twice too (rusqlite's), so a cause is added
/// only when the line does not already say it.
fn error_message(err: &anyhow::Error) -> String {
    let mut line = err.to_string();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    line
}
