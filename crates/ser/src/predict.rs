//! Predicting emotions with a model file: from audio files and folders (features extracted with
//! the model's own feature set) and from feature tables (columns checked against the model).
//!
//! Files that cannot be read or analysed are skipped with the reason; they never stop the run.
//! Per-speaker models need a speaker per row: the table's `speaker` column, one speaker for all
//! audio inputs, or else the name of each file's folder.

use std::path::{Path, PathBuf};

use ndarray::Array2;
use ser_features::{FeatureExtractor, Progress};
use ser_io::Skipped;

use crate::tables::read_tables;
use crate::{Error, ModelFile, Result};

/// What to predict.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PredictInputs {
    /// Audio files, and folders searched recursively for audio files.
    pub audio: Vec<PathBuf>,
    /// Feature tables (`.parquet` from `prepare`).
    pub tables: Vec<PathBuf>,
    /// Speaker id of every audio input (per-speaker models); `None`: each file's folder name.
    pub speaker: Option<String>,
    /// Shortest audio predicted, seconds; shorter files are skipped with the reason. `None`:
    /// [`ser_features::quality::DEFAULT_MIN_DURATION_S`].
    pub min_duration_s: Option<f64>,
}

/// One predicted row.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionRow {
    /// The audio file, or the path column of a table row.
    pub path: String,
    /// Speaker id used for per-speaker normalisation.
    pub speaker: String,
    /// The emotion column of a table row; `None` for audio.
    pub truth: Option<String>,
    /// Predicted label.
    pub label: String,
    /// Probability per model label (in [`Predictions::labels`] order), when the model gives them.
    pub probabilities: Option<Vec<f32>>,
    /// Peak level and clipping of the input (`None`: unknown, a table from before the quality
    /// columns). A prediction resting on silent or clipped input says so through its flags.
    pub quality: Option<ser_features::Quality>,
}

/// The outcome of [`predict`].
#[derive(Debug, Clone, PartialEq)]
pub struct Predictions {
    /// The model's labels (column order of the probabilities).
    pub labels: Vec<String>,
    /// Predicted rows: table rows first, then audio files in path order.
    pub rows: Vec<PredictionRow>,
    /// Inputs that gave no row, with the reason.
    pub skipped: Vec<Skipped>,
    /// Whether any table was given (the CSV then has `speaker` and `true_label` columns).
    pub from_tables: bool,
}

/// Rows gathered before the model runs.
#[derive(Default)]
struct Batch {
    rows: Vec<PredictionRow>,
    features: Vec<f32>,
}

impl Batch {
    fn push(
        &mut self,
        path: String,
        speaker: String,
        truth: Option<String>,
        features: &[f32],
        quality: Option<ser_features::Quality>,
    ) {
        self.rows.push(PredictionRow {
            path,
            speaker,
            truth,
            label: String::new(),
            probabilities: None,
            quality,
        });
        self.features.extend_from_slice(features);
    }
}

/// Audio files under `inputs` (folders recursively through [`ser_io::list_audio_files`], files
/// as given), and what was passed over: missing paths, unreadable folders, non-audio entries.
pub fn audio_files(inputs: &[PathBuf]) -> (Vec<PathBuf>, Vec<Skipped>) {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for p in inputs {
        if p.is_dir() {
            match ser_io::list_audio_files(p) {
                Ok((f, s)) => {
                    files.extend(f);
                    skipped.extend(s);
                }
                Err(e) => skipped.push(Skipped {
                    path: p.clone(),
                    reason: e.to_string(),
                }),
            }
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            skipped.push(Skipped {
                path: p.clone(),
                reason: "no such file or folder".into(),
            });
        }
    }
    (files, skipped)
}

/// The speaker of an audio file when none is given: its folder's name.
fn folder_speaker(f: &Path) -> String {
    f.parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Predicts every input with `model`; `progress` sees the audio files as they are analysed.
pub fn predict(
    model: &ModelFile,
    inputs: &PredictInputs,
    progress: &dyn Progress,
) -> Result<Predictions> {
    if inputs.audio.is_empty() && inputs.tables.is_empty() {
        return Err(Error::Input(
            "nothing to predict: give audio files/folders or feature tables".into(),
        ));
    }
    let pipeline = &model.pipeline;
    let mut batch = Batch::default();
    if !inputs.tables.is_empty() {
        let t = read_tables(&inputs.tables)?;
        pipeline
            .check_feature_names(&t.data.feature_names)
            .map_err(|e| Error::Input(format!("tables {:?} do not fit the model: {e}", t.files)))?;
        // Same column names are not the same features: a table made with another configuration
        // (a different delta width, say) has the names but not the values the model learnt.
        if !model.feature_config_hash.is_empty() && t.config_hash != model.feature_config_hash {
            return Err(Error::Input(format!(
                "tables {:?} were written with feature configuration {} but the model was trained                  on tables with configuration {}: the columns have the same names but not the same                  features; run `cargo xtask prepare` with the model's feature set (or retrain)",
                t.files, t.config_hash, model.feature_config_hash
            )));
        }
        for (i, row) in t.data.x.rows().into_iter().enumerate() {
            let features = row.to_vec();
            batch.push(
                t.data.paths[i].clone(),
                t.data.speakers[i].clone(),
                Some(t.data.labels[i].clone()),
                &features,
                t.quality.get(i).copied().flatten(),
            );
        }
    }
    let (files, mut skipped) = audio_files(&inputs.audio);
    if !files.is_empty() {
        let set = model.feature_set()?;
        let mut slot: Option<FeatureExtractor> = None;
        progress.start("predict", files.len());
        for f in &files {
            let min_duration_s = inputs
                .min_duration_s
                .unwrap_or(ser_features::quality::DEFAULT_MIN_DURATION_S);
            match ser_features::extract_file(
                &set,
                &mut slot,
                f,
                set.sample_rate_hz(),
                min_duration_s,
            ) {
                Ok(x) if x.features.iter().all(|v| v.is_finite()) => batch.push(
                    f.display().to_string(),
                    inputs.speaker.clone().unwrap_or_else(|| folder_speaker(f)),
                    None,
                    &x.features,
                    Some(x.quality),
                ),
                Ok(_) => skipped.push(Skipped {
                    path: f.clone(),
                    reason: "non-finite feature values".into(),
                }),
                Err(reason) => skipped.push(Skipped {
                    path: f.clone(),
                    reason,
                }),
            }
            progress.advance(f);
        }
        progress.finish("predict");
    }
    let n = batch.rows.len();
    if n > 0 {
        let x = Array2::from_shape_vec((n, pipeline.feature_names.len()), batch.features)
            .map_err(|e| Error::Input(format!("feature rows: {e}")))?;
        let speakers: Vec<String> = batch.rows.iter().map(|r| r.speaker.clone()).collect();
        let preds = pipeline.predict(x.view(), &pipeline.feature_names, Some(&speakers))?;
        for (i, (row, label)) in batch.rows.iter_mut().zip(preds.labels).enumerate() {
            row.label = label;
            row.probabilities = preds.proba.as_ref().map(|p| p.row(i).to_vec());
        }
    }
    Ok(Predictions {
        labels: pipeline.labels.clone(),
        rows: batch.rows,
        skipped,
        from_tables: !inputs.tables.is_empty(),
    })
}

impl Predictions {
    /// `(correct, rows with a true label)` against the tables' emotion column.
    pub fn accuracy(&self) -> Option<(usize, usize)> {
        let scored: Vec<_> = self
            .rows
            .iter()
            .filter_map(|r| r.truth.as_ref().map(|t| t == &r.label))
            .collect();
        (!scored.is_empty()).then(|| (scored.iter().filter(|&&c| c).count(), scored.len()))
    }

    /// Rows whose input was silent or clipped (their `quality` flags are not empty).
    pub fn flagged(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.quality.is_some_and(|q| !q.flags().is_empty()))
            .count()
    }

    /// Writes `path, predicted, p_<label>..., quality` (probabilities empty when the model gives
    /// none; quality: `silent`, `clipped`, `silent+clipped`, empty for clean input, `unknown`),
    /// plus `speaker, true_label` when tables were given, atomically.
    pub fn write_csv(&self, path: &Path) -> Result<()> {
        let mut header = vec!["path".to_string(), "predicted".to_string()];
        header.extend(self.labels.iter().map(|l| format!("p_{l}")));
        header.push("quality".to_string());
        if self.from_tables {
            header.extend(["speaker".to_string(), "true_label".to_string()]);
        }
        write_csv(
            path,
            &header,
            self.rows.iter().map(|r| {
                let mut rec = vec![r.path.clone(), r.label.clone()];
                match &r.probabilities {
                    Some(p) => rec.extend(p.iter().map(|v| format!("{v:.6}"))),
                    None => rec.extend(self.labels.iter().map(|_| String::new())),
                }
                rec.push(match &r.quality {
                    Some(q) => q.flag_string(),
                    None => "unknown".to_string(),
                });
                if self.from_tables {
                    rec.push(r.speaker.clone());
                    rec.push(r.truth.clone().unwrap_or_default());
                }
                rec
            }),
        )
    }

    /// Writes the skipped inputs as `path, reason`, atomically.
    pub fn write_skipped_csv(&self, path: &Path) -> Result<()> {
        write_csv(
            path,
            &["path".to_string(), "reason".to_string()],
            self.skipped
                .iter()
                .map(|s| vec![s.path.display().to_string(), s.reason.clone()]),
        )
    }
}

/// Writes a header and records as CSV to `path` (atomically, [`ser_fs::write_atomic`]).
fn write_csv(
    path: &Path,
    header: &[String],
    records: impl Iterator<Item = Vec<String>>,
) -> Result<()> {
    ser_fs::write_atomic(path, |w| {
        let mut csv = csv::Writer::from_writer(w);
        let fail = |e: csv::Error| Error::config(path.display(), format_args!("writing CSV: {e}"));
        csv.write_record(header).map_err(fail)?;
        for r in records {
            csv.write_record(&r).map_err(fail)?;
        }
        csv.flush()
            .map_err(|e| Error::Write(ser_fs::WriteError::new("writing", path, e)))
    })
}

/// The prediction for one piece of audio given in memory ([`Predictor::predict_bytes`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AudioPrediction {
    /// Predicted label.
    pub label: String,
    /// Probability per model label (in the model's label order), when the model gives them.
    pub probabilities: Option<Vec<f32>>,
    /// Duration of the decoded audio, seconds.
    pub duration_s: f64,
    /// Peak level and clipping of the audio.
    pub quality: ser_features::Quality,
}

/// A model file with its feature set resolved once, ready to predict audio one input at a time
/// (the server, the streaming recogniser). It gives exactly what [`predict`] gives for the same
/// audio: the same decoding, resampling, extraction and pipeline.
#[derive(Debug, Clone)]
pub struct Predictor {
    model: ModelFile,
    set: ser_features::FeatureSet,
}

impl Predictor {
    /// Resolves the model's feature set; fails when the model cannot predict from audio.
    pub fn new(model: ModelFile) -> Result<Self> {
        let set = model.feature_set()?;
        Ok(Predictor { model, set })
    }

    /// The model file.
    pub fn model(&self) -> &ModelFile {
        &self.model
    }

    /// The feature set that makes the model's input.
    pub fn feature_set(&self) -> &ser_features::FeatureSet {
        &self.set
    }

    /// Predicts mono samples at the feature set's rate ([`ser_features::FeatureSet::sample_rate_hz`]),
    /// extracting with the extractor in `slot` (built on first use). `origin` names the input
    /// in errors; `speaker` matters to per-speaker models only.
    pub fn predict_samples(
        &self,
        slot: &mut Option<FeatureExtractor>,
        samples: &[f32],
        origin: &Path,
        speaker: &str,
    ) -> Result<(String, Option<Vec<f32>>)> {
        let features =
            ser_features::extract_samples(&self.set, slot, samples).map_err(|reason| {
                Error::Unusable {
                    path: origin.to_path_buf(),
                    reason,
                }
            })?;
        if !features.iter().all(|x| x.is_finite()) {
            return Err(Error::Unusable {
                path: origin.to_path_buf(),
                reason: "non-finite feature values".into(),
            });
        }
        let pipeline = &self.model.pipeline;
        let x = ndarray::ArrayView2::from_shape((1, features.len()), &features)
            .map_err(|e| Error::Input(format!("feature row: {e}")))?;
        let p = pipeline.predict(x, &pipeline.feature_names, Some(&[speaker.to_string()]))?;
        let label = p.labels.into_iter().next().unwrap_or_default();
        Ok((label, p.proba.map(|a| a.row(0).to_vec())))
    }

    /// Decodes audio held in memory (any format [`ser_io::decode_bytes`] reads, probed by
    /// content), resamples it to the feature set's rate and predicts it. Audio longer than
    /// `max_duration_s` is refused ([`ser_io::Error::TooLong`]) without decoding the rest.
    pub fn predict_bytes(
        &self,
        slot: &mut Option<FeatureExtractor>,
        bytes: Vec<u8>,
        origin: &Path,
        max_duration_s: f64,
        speaker: &str,
    ) -> Result<AudioPrediction> {
        let audio = ser_io::load_bytes(bytes, origin, self.set.sample_rate_hz(), max_duration_s)?;
        ser_features::check_min_duration(
            audio.duration_s(),
            ser_features::quality::DEFAULT_MIN_DURATION_S,
        )
        .map_err(|reason| Error::Unusable {
            path: origin.to_path_buf(),
            reason,
        })?;
        let (label, probabilities) = self.predict_samples(slot, &audio.samples, origin, speaker)?;
        Ok(AudioPrediction {
            label,
            probabilities,
            duration_s: audio.duration_s(),
            quality: ser_features::Quality::of(&audio.samples),
        })
    }
}
