//! `cargo xtask prepare`: corpora → one feature table per corpus (`ser::prepare`).

use std::path::PathBuf;

use indicatif::ProgressStyle;
use ser::prepare::{PrepareRequest, datasets_root, prepare};

use crate::Bar;

/// `cargo xtask prepare [--datasets DIR] [--corpus NAME...] [--feature-set NAME|FILE] [--out DIR] [--jobs N] [--csv]`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder holding the corpora (default: $SER_DATASETS, else `datasets`).
    #[arg(long)]
    pub datasets: Option<PathBuf>,
    /// Only these corpora (emodb, ravdess, tess, crema, savee, emovo, custom, csv); repeatable.
    #[arg(long = "corpus", num_args = 1..)]
    pub corpora: Vec<String>,
    /// Built-in feature set (default, librosa, pyaudioanalysis) or a TOML file.
    #[arg(long, default_value = "default")]
    pub feature_set: String,
    /// Output folder for `<corpus>.<feature_set>.parquet` and `summary.json`.
    #[arg(long, default_value = "out/features")]
    pub out: PathBuf,
    /// Worker threads (0 = number of CPUs).
    #[arg(long, default_value_t = 0)]
    pub jobs: usize,
    /// Also write `<corpus>.<feature_set>.csv`.
    #[arg(long)]
    pub csv: bool,
}

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        let req = PrepareRequest {
            datasets: datasets_root(self.datasets.as_deref()),
            corpora: self.corpora,
            feature_set: self.feature_set,
            out: self.out,
            jobs: self.jobs,
            csv: self.csv,
        };
        let bar = Bar::new(ProgressStyle::with_template(
            "{msg:>8} [{bar:40}] {pos}/{len} {per_sec} eta {eta}",
        )?);
        let summary = prepare(&req, &bar)?;
        println!("{summary}");
        println!("summary: {}", req.out.join("summary.json").display());
        Ok(())
    }
}
