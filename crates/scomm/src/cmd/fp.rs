use clap::Subcommand;

#[derive(Subcommand)]
pub enum FpCommand {
    /// Extract minutiae from an image (work in progress: see issue 3).
    Extract {
        /// Image file.
        image: std::path::PathBuf,
    },
}

pub fn run(command: FpCommand) -> anyhow::Result<()> {
    match command {
        FpCommand::Extract { image } => {
            anyhow::bail!(
                "fp extract {}: the fingerprint engine is not built yet (issue 3)",
                image.display()
            )
        }
    }
}
