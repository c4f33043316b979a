use clap::Subcommand;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Bookings per second through the whole flow (oracle mode, durable SQLite).
    Hub(super::sim::BenchHubArgs),
}

pub fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Hub(args) => super::sim::bench_hub(args),
    }
}
