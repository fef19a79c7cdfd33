//! `cargo xtask predict`: apply a model file written by `cargo xtask train` to audio files,
//! folders of audio, or feature tables, and write `predictions.csv`.
//!
//! ```text
//! cargo xtask predict --model model.json clip.wav more_clips/ --out predictions.csv
//! cargo xtask predict --model model.json --table out/features/emovo.default.parquet
//! ```
//!
//! Audio is decoded and resampled by ser-io and turned into features with the feature set stored
//! in the model (ser-features), so the columns match the model by construction; a table must have
//! exactly the model's feature names. Files that cannot be read or analysed are skipped, listed
//! on stderr and in `<out stem>.skipped.csv`; they never stop the run. Per-speaker models need a
//! speaker per row: the table's `speaker` column, `--speaker ID` for all audio inputs, or else the
//! name of each file's folder. Output columns: `path, predicted, p_<label>...` (probabilities
//! empty for an SVM trained without them), plus `speaker` and `true_label` from tables.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use ndarray::Array2;
use ser_features::{FeatureSet, FeatureSetConfig};
use ser_models::Pipeline;

use crate::train::{NOTE_FEATURE_SET_CONFIG, read_tables};

/// Audio file extensions picked up from folders.
const AUDIO_EXTENSIONS: [&str; 7] = ["wav", "flac", "mp3", "ogg", "m4a", "aac", "aiff"];

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
    /// Output CSV (written through a temporary file and a rename).
    #[arg(long, default_value = "predictions.csv")]
    pub out: PathBuf,
}

/// Rows to predict, with where they came from.
#[derive(Default)]
struct Batch {
    paths: Vec<String>,
    speakers: Vec<String>,
    truth: Vec<String>,
    rows: Vec<Vec<f32>>,
}

/// Audio files under `inputs` (folders recursively, sorted); missing paths go to `skipped`.
fn audio_files(inputs: &[PathBuf], skipped: &mut Vec<(String, String)>) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>, skipped: &mut Vec<(String, String)>) {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                skipped.push((
                    dir.display().to_string(),
                    format!("cannot list folder: {e}"),
                ));
                return;
            }
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            if p.is_dir() {
                walk(&p, out, skipped);
            } else if p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            walk(p, &mut out, skipped);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            skipped.push((p.display().to_string(), "no such file or folder".into()));
        }
    }
    out
}

/// The feature set recorded in the model (full configuration, else the built-in of that name).
pub fn model_feature_set(model: &Pipeline) -> anyhow::Result<FeatureSet> {
    if let Some(json) = model.summary.notes.get(NOTE_FEATURE_SET_CONFIG) {
        let cfg: FeatureSetConfig =
            serde_json::from_str(json).context("feature set configuration in the model file")?;
        return Ok(FeatureSet::from_config(cfg)?);
    }
    FeatureSet::by_name(&model.feature_set).with_context(|| {
        format!(
            "the model does not record its feature set configuration and {:?} is not built in: \
             predict from a feature table (--table) instead",
            model.feature_set
        )
    })
}

/// Quotes a CSV field when needed.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes `text` to `path` through a temporary file in the same folder and a rename.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    let tmp = path.with_file_name(name);
    {
        let mut f =
            std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        f.write_all(text.as_bytes())
            .with_context(|| format!("writing {}", tmp.display()))?;
        f.sync_all()
            .with_context(|| format!("syncing {}", tmp.display()))?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("renaming into {}", path.display()))?;
    Ok(())
}

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        let start = Instant::now();
        let model = Pipeline::load(&self.model)?;
        if self.inputs.is_empty() && self.tables.is_empty() {
            bail!("nothing to predict: give audio files/folders or --table FILE");
        }
        let mut batch = Batch::default();
        let mut skipped: Vec<(String, String)> = Vec::new();

        if !self.tables.is_empty() {
            let t = read_tables(&self.tables)?;
            model
                .check_feature_names(&t.data.feature_names)
                .with_context(|| {
                    format!(
                        "tables {:?} do not fit model {}",
                        t.files,
                        self.model.display()
                    )
                })?;
            for (i, row) in t.data.x.rows().into_iter().enumerate() {
                batch.paths.push(t.data.paths[i].clone());
                batch.speakers.push(t.data.speakers[i].clone());
                batch.truth.push(t.data.labels[i].clone());
                batch.rows.push(row.to_vec());
            }
        }

        let files = audio_files(&self.inputs, &mut skipped);
        if !files.is_empty() {
            let set = model_feature_set(&model)?;
            model
                .check_feature_names(&set.names(set.sample_rate_hz()))
                .context("the model's feature set now yields other features")?;
            let mut ex = set.extractor()?;
            let bar = ProgressBar::new(files.len() as u64).with_style(
                ProgressStyle::with_template("extracting [{bar:40}] {pos}/{len} eta {eta}")?,
            );
            for f in &files {
                bar.inc(1);
                let features = ser_io::load(f, set.sample_rate_hz())
                    .map_err(anyhow::Error::from)
                    .and_then(|audio| Ok(ex.extract(&audio)?));
                match features {
                    Ok(v) if v.iter().all(|x| x.is_finite()) => {
                        batch.paths.push(f.display().to_string());
                        batch.speakers.push(self.speaker.clone().unwrap_or_else(|| {
                            f.parent()
                                .and_then(|p| p.file_name())
                                .map(|n| n.to_string_lossy().into_owned())
                                .unwrap_or_default()
                        }));
                        batch.truth.push(String::new());
                        batch.rows.push(v);
                    }
                    Ok(_) => {
                        skipped.push((f.display().to_string(), "non-finite feature values".into()))
                    }
                    Err(e) => skipped.push((f.display().to_string(), format!("{e:#}"))),
                }
            }
            bar.finish_and_clear();
        }

        let n = batch.rows.len();
        let mut text = String::from("path,predicted");
        for l in &model.labels {
            text.push_str(&format!(",p_{}", csv_field(l)));
        }
        let from_tables = !self.tables.is_empty();
        if from_tables {
            text.push_str(",speaker,true_label");
        }
        text.push('\n');
        let mut correct = (0usize, 0usize);
        if n > 0 {
            let d = model.feature_names.len();
            let flat: Vec<f32> = batch.rows.iter().flatten().copied().collect();
            let x = Array2::from_shape_vec((n, d), flat).context("feature rows")?;
            let preds = model
                .predict(x.view(), &model.feature_names, Some(&batch.speakers))
                .context("predicting")?;
            for i in 0..n {
                text.push_str(&csv_field(&batch.paths[i]));
                text.push(',');
                text.push_str(&csv_field(&preds.labels[i]));
                for c in 0..model.labels.len() {
                    text.push(',');
                    if let Some(p) = &preds.proba {
                        text.push_str(&format!("{:.6}", p[[i, c]]));
                    }
                }
                if from_tables {
                    text.push(',');
                    text.push_str(&csv_field(&batch.speakers[i]));
                    text.push(',');
                    text.push_str(&csv_field(&batch.truth[i]));
                }
                text.push('\n');
                if !batch.truth[i].is_empty() {
                    correct.1 += 1;
                    correct.0 += usize::from(batch.truth[i] == preds.labels[i]);
                }
            }
        }
        write_atomically(&self.out, &text)?;
        let skipped_path = self.out.with_extension("skipped.csv");
        if !skipped.is_empty() {
            let mut s = String::from("path,reason\n");
            for (p, r) in &skipped {
                eprintln!("skipped {p}: {r}");
                s.push_str(&format!("{},{}\n", csv_field(p), csv_field(r)));
            }
            write_atomically(&skipped_path, &s)?;
        }
        println!(
            "{n} predictions written to {} ({} skipped{}) in {:.1} s",
            self.out.display(),
            skipped.len(),
            if skipped.is_empty() {
                String::new()
            } else {
                format!(", listed in {}", skipped_path.display())
            },
            start.elapsed().as_secs_f64()
        );
        if correct.1 > 0 {
            println!(
                "accuracy against the tables' emotion column: {:.4} ({} of {})",
                correct.0 as f64 / correct.1 as f64,
                correct.0,
                correct.1
            );
        }
        Ok(())
    }
}
