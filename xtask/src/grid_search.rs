//! `cargo xtask grid-search --config FILE [--out DIR] [--features DIR]`: nested, speaker-grouped
//! grid search over feature tables written by `cargo xtask prepare`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use ser_eval::{Dataset, GridConfig};
use ser_features::FeatureTable;

/// Arguments of `grid-search`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Grid-search config (TOML, see configs/).
    #[arg(long)]
    pub config: PathBuf,
    /// Output folder [default: out/grid/<config name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Folder of `<corpus>.<feature_set>.parquet` tables [default: the config's
    /// `features_dir`, else out/features].
    #[arg(long)]
    pub features: Option<PathBuf>,
}

/// Reads one feature table as a ser-eval data set.
fn read_table(path: &Path) -> anyhow::Result<Dataset> {
    let t = FeatureTable::read_parquet(path)
        .with_context(|| format!("reading feature table {}", path.display()))?;
    dataset_of(&t, path)
}

/// The rows of a feature table read from `path` as a ser-eval data set.
pub(crate) fn dataset_of(t: &FeatureTable, path: &Path) -> anyhow::Result<Dataset> {
    let col = |c: &str| {
        t.strings(c)
            .with_context(|| format!("column {c} of {}", path.display()))
    };
    Ok(Dataset::new(
        t.matrix()
            .with_context(|| format!("features of {}", path.display()))?,
        t.feature_names(),
        col("emotion")?,
        col("speaker")?,
        col("path")?,
        col("corpus")?,
    )?)
}

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        let start = Instant::now();
        let cfg = GridConfig::from_toml_file(&self.config)?;
        let checked = cfg.check()?;
        let features_dir = self
            .features
            .clone()
            .or_else(|| cfg.features_dir.clone())
            .unwrap_or_else(|| PathBuf::from("out/features"));
        if cfg.tables.is_empty() {
            anyhow::bail!("{}: no [[tables]] given", self.config.display());
        }
        let mut parts = Vec::new();
        for spec in &cfg.tables {
            let path = spec.resolve(Path::new("."), &features_dir)?;
            if !path.exists() {
                anyhow::bail!(
                    "feature table {} not found (run `cargo xtask prepare` first or pass --features DIR)",
                    path.display()
                );
            }
            parts.push(read_table(&path)?);
        }
        let data = Dataset::concat(&parts)?;
        let stem = self
            .config
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "grid".into());
        let out = self
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("out/grid").join(&stem));
        println!(
            "grid-search {}: {} rows, {} features, {} candidate(s), normalisation {:?}",
            self.config.display(),
            data.n_rows(),
            data.x.ncols(),
            checked.candidates.len(),
            cfg.normalisation
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
        );
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} fits ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let progress = |done: usize, total: usize| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        };
        let (evaluated, outcome) = ser_eval::run_grid_search(&data, &checked, &progress)?;
        bar.finish_and_clear();
        let written = ser_eval::report::write_all(&outcome, &evaluated, &out)?;
        if !outcome.speaker_independent {
            println!("WARNING: speaker-DEPENDENT split (random); see report.md");
        }
        println!("split: {}", outcome.outer.describe());
        for n in &outcome.nested {
            println!(
                "{:<12} UAR {:.4} [95% CI {:.4}, {:.4}]  fold mean {:.4} ± {:.4}  accuracy {:.4}  macro-F1 {:.4}",
                n.normalisation.as_str(),
                n.pooled.uar,
                n.uar_ci.low,
                n.uar_ci.high,
                n.summary.uar.mean,
                n.summary.uar.std,
                n.pooled.accuracy,
                n.pooled.macro_f1
            );
        }
        let best = outcome.best();
        let mut chosen: Vec<&str> = best.chosen.iter().map(|c| c.1.as_str()).collect();
        chosen.sort_unstable();
        chosen.dedup();
        println!(
            "best: {} normalisation, chosen per fold: {}",
            best.normalisation.as_str(),
            chosen.join(" | ")
        );
        println!(
            "time: {:.1} s (search {:.1} s); report: {}",
            start.elapsed().as_secs_f64(),
            outcome.wall_time_s,
            written.report_md.display()
        );
        Ok(())
    }
}
