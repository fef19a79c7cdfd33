use std::path::PathBuf;

/// `cargo xtask datasets [--root DIR] [--json]`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder holding the corpora (`emodb/`, `ravdess/`, ...).
    #[arg(long, default_value = "datasets")]
    pub root: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        anyhow::bail!("datasets inventory of {} not built yet", self.root.display())
    }
}
