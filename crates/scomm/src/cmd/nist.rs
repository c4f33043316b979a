use clap::Subcommand;

#[derive(Subcommand)]
pub enum NistCommand {
    /// Print the records and fields of a transaction (work in progress: see issue 5).
    Dump {
        /// ANSI/NIST-ITL file.
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
pub enum WsqCommand {
    /// Decode a WSQ file to PNG (work in progress: see issue 5).
    Decode {
        input: std::path::PathBuf,
        output: std::path::PathBuf,
    },
}

pub fn run(command: NistCommand) -> anyhow::Result<()> {
    match command {
        NistCommand::Dump { file } => {
            anyhow::bail!("nist dump {}: not built yet (issue 5)", file.display())
        }
    }
}

pub fn run_wsq(command: WsqCommand) -> anyhow::Result<()> {
    match command {
        WsqCommand::Decode { input, .. } => {
            anyhow::bail!("wsq decode {}: not built yet (issue 5)", input.display())
        }
    }
}
