use clap::Subcommand;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Bookings per second through the whole flow (oracle mode, durable SQLite).
    Hub(super::sim::BenchHubArgs),
    /// WSQ decode/encode of the tenprint images (optionally beside NBIS).
    Wsq(super::nist::BenchWsqArgs),
    /// ANSI/NIST-ITL parse, write and validate throughput.
    Nist(super::nist::BenchNistArgs),
    /// Fingerprint extraction ms/image and comparisons/s with a prepared probe.
    Fp(super::fp::BenchFpArgs),
    /// 1:N search time, memory, load time and accuracy on synthetic galleries.
    Ident(super::ident::BenchIdentArgs),
}

pub fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Hub(args) => super::sim::bench_hub(args),
        BenchCommand::Wsq(args) => super::nist::bench_wsq(args),
        BenchCommand::Nist(args) => super::nist::bench_nist(args),
        BenchCommand::Fp(args) => super::fp::bench_fp(args),
        BenchCommand::Ident(args) => super::ident::bench_ident(args),
    }
}
