//! `cargo xtask prepare`: corpora → one feature table per corpus (logic in `ser_features::prepare`).

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use ser_features::{Batch, FeatureSet, Progress, scan_corpora};

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

struct Bar(ProgressBar);

impl Progress for Bar {
    fn start(&self, corpus: &str, to_extract: usize) {
        self.0.reset();
        self.0.set_length(to_extract as u64);
        self.0.set_message(corpus.to_string());
    }
    fn advance(&self, _path: &Path) {
        self.0.inc(1);
    }
    fn finish(&self, _corpus: &str) {
        self.0.finish_and_clear();
    }
}

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        let datasets = self
            .datasets
            .or_else(|| std::env::var_os("SER_DATASETS").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("datasets"));
        let set = FeatureSet::resolve(&self.feature_set)?;
        let corpora = scan_corpora(&datasets, &self.corpora)?;
        if corpora.is_empty() {
            anyhow::bail!("no corpus found under {}", datasets.display());
        }
        let bar = ProgressBar::new(0).with_style(ProgressStyle::with_template(
            "{msg:>8} [{bar:40}] {pos}/{len} {per_sec} eta {eta}",
        )?);
        let batch = Batch::new(set, &self.out)
            .with_jobs(self.jobs)
            .with_csv(self.csv);
        let summary = batch.run(&corpora, &Bar(bar))?;
        println!("{summary}");
        println!("summary: {}", self.out.join("summary.json").display());
        Ok(())
    }
}
