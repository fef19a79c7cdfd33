//! `cargo xtask prepare`: corpora → one feature table per corpus (`ser::prepare`).

use std::path::PathBuf;

use indicatif::ProgressStyle;
use ser::augment::{AugmentPlan, prepare_augmented_for};
use ser::prepare::{PrepareRequest, datasets_root, prepare};

use crate::Bar;

/// `cargo xtask prepare [--datasets DIR] [--corpus NAME...] [--feature-set NAME|FILE] [--out DIR] [--jobs N] [--csv] [--augment FILE]`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder holding the corpora (default: $SER_DATASETS, else `datasets`).
    #[arg(long)]
    pub datasets: Option<PathBuf>,
    /// Only these corpora (emodb, ravdess, tess, crema, savee, emovo, custom, csv); repeatable.
    #[arg(long = "corpus", num_args = 1..)]
    pub corpora: Vec<String>,
    /// Built-in feature set (default, librosa, pyaudioanalysis, rich) or a TOML file.
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
    /// Also make the augmented tables of the `[augment]` section of this TOML file (e.g. a
    /// grid-search config): `<corpus>.<feature_set>.aug-<id>.parquet`.
    #[arg(long)]
    pub augment: Option<PathBuf>,
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
        if let Some(file) = &self.augment {
            let plan = AugmentPlan::from_toml_file(file)?;
            for corpus in prepare_augmented_for(&req, &plan)? {
                println!("{corpus}");
            }
        }
        Ok(())
    }
}
