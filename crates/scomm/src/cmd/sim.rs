use std::path::PathBuf;

#[derive(clap::Args)]
pub struct SimulateArgs {
    /// Scenario file (TOML), e.g. scenarios/small.toml.
    #[arg(long)]
    pub scenario: PathBuf,
    /// SQLite database to create or resume.
    #[arg(long)]
    pub db: PathBuf,
    /// Seed for every random draw of the run.
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(clap::Args)]
pub struct ReportArgs {
    /// SQLite database written by `scomm simulate`.
    #[arg(long)]
    pub db: PathBuf,
}

#[derive(clap::Args)]
pub struct BenchHubArgs {}

pub fn simulate(_args: SimulateArgs) -> anyhow::Result<()> {
    anyhow::bail!("simulate: not built yet (issue 2)")
}

pub fn report(_args: ReportArgs) -> anyhow::Result<()> {
    anyhow::bail!("report: not built yet (issue 2)")
}

pub fn bench_hub(_args: BenchHubArgs) -> anyhow::Result<()> {
    anyhow::bail!("bench hub: not built yet (issue 2)")
}
