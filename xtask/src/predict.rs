//! `cargo xtask predict`: apply a model file written by `cargo xtask train` to audio files,
//! folders of audio, or feature tables, and write `predictions.csv` (`ser::predict`).
//!
//! ```text
//! cargo xtask predict --model model.json clip.wav more_clips/ --out predictions.csv
//! cargo xtask predict --model model.json --table out/features/emovo.default.parquet
//! ```
//!
//! Audio is turned into features with the feature set stored in the model, so the columns match
//! by construction; a table must have exactly the model's feature names. Inputs that cannot be
//! used are skipped, listed on stderr and in `<out stem>.skipped.csv`; they never stop the run.
//! Per-speaker models need a speaker per row: the table's `speaker` column, `--speaker ID` for
//! all audio inputs, or else the name of each file's folder. Output columns: `path, predicted,
//! p_<label>..., quality` (probabilities empty for an SVM trained without them; quality `silent`,
//! `clipped`, both, empty for clean input), plus `speaker` and `true_label` from tables. Audio
//! shorter than `--min-duration` (0.1 s) is skipped with the reason.

use std::path::PathBuf;
use std::time::Instant;

use indicatif::ProgressStyle;
use ser::ModelFile;
use ser::predict::{PredictInputs, predict};

use crate::Bar;

/// Arguments of `predict`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Model file written by `cargo xtask train`.
    #[arg(long)]
    pub model: PathBuf,
    /// Audio files or folders (searched recursively for audio files).
    pub inputs: Vec<PathBuf>,
    /// Feature tables (`.parquet` from `cargo xtask prepare`) instead of / besides audio; repeatable.
    #[arg(long = "table")]
    pub tables: Vec<PathBuf>,
    /// Speaker id of all audio inputs (per-speaker models; default: each file's folder name).
    #[arg(long)]
    pub speaker: Option<String>,
    /// Shortest audio predicted, in seconds; shorter files are skipped with the reason.
    #[arg(long, default_value_t = ser_features::quality::DEFAULT_MIN_DURATION_S)]
    pub min_duration: f64,
    /// Output CSV (written through a temporary file and a rename).
    #[arg(long, default_value = "predictions.csv")]
    pub out: PathBuf,
    /// Late fusion: a second model file (e.g. a classical pipeline beside a deep model) whose
    /// posteriors are averaged with the first's (same labels needed).
    #[arg(long)]
    pub fuse_with: Option<PathBuf>,
    /// Weight of `--model`'s posteriors in the fusion (the second model gets 1 - w).
    #[arg(long, default_value_t = 0.5)]
    pub fuse_weight: f64,
}

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        let start = Instant::now();
        let model = ModelFile::load(&self.model)?;
        let inputs = PredictInputs {
            audio: self.inputs,
            tables: self.tables,
            speaker: self.speaker,
            min_duration_s: Some(self.min_duration),
        };
        let bar = Bar::new(ProgressStyle::with_template(
            "extracting [{bar:40}] {pos}/{len} eta {eta}",
        )?);
        let mut preds = predict(&model, &inputs, &bar)?;
        if let Some(other) = &self.fuse_with {
            let second = predict(&ModelFile::load(other)?, &inputs, &bar)?;
            preds = ser::fusion::fuse_predictions(&preds, &second, self.fuse_weight)?;
        }
        preds.write_csv(&self.out)?;
        let skipped_path = self.out.with_extension("skipped.csv");
        if preds.skipped.is_empty() {
            // The outputs of a run describe that run alone: no list from an earlier run stays.
            match std::fs::remove_file(&skipped_path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => anyhow::bail!("removing the stale {}: {e}", skipped_path.display()),
            }
        } else {
            for s in &preds.skipped {
                eprintln!("skipped {}: {}", s.path.display(), s.reason);
            }
            preds.write_skipped_csv(&skipped_path)?;
        }
        println!(
            "{} predictions written to {} ({} skipped{}) in {:.1} s",
            preds.rows.len(),
            self.out.display(),
            preds.skipped.len(),
            if preds.skipped.is_empty() {
                String::new()
            } else {
                format!(", listed in {}", skipped_path.display())
            },
            start.elapsed().as_secs_f64()
        );
        let flagged = preds.flagged();
        if flagged > 0 {
            println!(
                "{flagged} prediction(s) rest on silent or clipped input: see the `quality` column"
            );
        }
        if let Some((correct, n)) = preds.accuracy() {
            println!(
                "accuracy against the tables' emotion column: {:.4} ({correct} of {n})",
                correct as f64 / n as f64,
            );
        }
        if preds.rows.is_empty() {
            anyhow::bail!(
                "nothing was predicted: all {} input(s) failed (see {})",
                preds.skipped.len(),
                skipped_path.display()
            );
        }
        Ok(())
    }
}
