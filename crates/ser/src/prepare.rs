//! Corpora → one feature table per corpus (`cargo xtask prepare`, the demo), and where corpora are.

use std::path::{Path, PathBuf};

use ser_features::{Batch, FeatureSet, Progress, Summary, scan_corpora};

use crate::{Error, Result};

/// The corpus folder to use: `explicit` when given, else `$SER_DATASETS`, else `datasets`.
pub fn datasets_root(explicit: Option<&Path>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("SER_DATASETS").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("datasets"))
}

/// What to prepare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrepareRequest {
    /// Folder holding the corpora, found by layout.
    pub datasets: PathBuf,
    /// Only these corpora; empty: every corpus found.
    pub corpora: Vec<String>,
    /// Built-in feature set name or a TOML file.
    pub feature_set: String,
    /// Output folder of `<corpus>.<feature_set>.parquet` and `summary.json`.
    pub out: PathBuf,
    /// Worker threads (0: one per CPU).
    pub jobs: usize,
    /// Also write CSV copies of the tables.
    pub csv: bool,
}

/// Extracts (incrementally) every corpus of `req` into its table; returns the run's summary.
pub fn prepare(req: &PrepareRequest, progress: &dyn Progress) -> Result<Summary> {
    let set = FeatureSet::resolve(&req.feature_set)?;
    let corpora = scan_corpora(&req.datasets, &req.corpora)?;
    if corpora.is_empty() {
        return Err(Error::NotFound {
            what: "corpus under",
            path: req.datasets.clone(),
            hint: String::new(),
        });
    }
    let batch = Batch::new(set, &req.out)
        .with_jobs(req.jobs)
        .with_csv(req.csv);
    Ok(batch.run(&corpora, progress)?)
}
