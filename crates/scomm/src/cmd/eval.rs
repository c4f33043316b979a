use clap::Subcommand;

#[derive(Subcommand)]
pub enum EvalCommand {
    /// FVC protocol on FVC-style folders (work in progress: see issue 3).
    Fvc {
        /// Folders, each optionally suffixed with :DPI.
        dirs: Vec<String>,
    },
}

pub fn run(command: EvalCommand) -> anyhow::Result<()> {
    match command {
        EvalCommand::Fvc { .. } => {
            anyhow::bail!("eval fvc: the fingerprint engine is not built yet (issue 3)")
        }
    }
}
