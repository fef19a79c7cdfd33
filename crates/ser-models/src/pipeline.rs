//! The model file: scaler + classifier + everything needed to apply them to new features.

use std::collections::BTreeMap;
use std::path::Path;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::data::FitOptions;
use crate::scaler::{FittedScaler, ScalerSpec, ShrunkCentring, normalise_per_speaker};
use crate::{Error, FittedModel, ModelSpec, Result};

/// Version of the model-file layout written by [`Pipeline::save`].
pub const FORMAT_VERSION: u32 = 1;

/// The layout version of a pipeline that centres speakers ([`SpeakerNorm::ShrunkCentring`]):
/// a reader that predates it refuses the file instead of predicting uncentred rows.
pub const FORMAT_VERSION_SPEAKER_CENTRING: u32 = 2;

/// What a model was trained on, for humans and reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainingSummary {
    /// Corpora of the training rows (e.g. `["emodb"]`).
    pub corpora: Vec<String>,
    /// Training speaker ids.
    pub speakers: Vec<String>,
    /// Number of training rows.
    pub n_rows: usize,
    /// Training rows per label, in label order.
    pub rows_per_label: Vec<usize>,
    /// UTC time of training, RFC 3339 (`2025-01-31T12:00:00Z`).
    pub created_utc: String,
    /// Seed of the fit.
    pub seed: u64,
    /// Any metrics (e.g. `"loso_uar": 0.81`).
    pub metrics: BTreeMap<String, f64>,
    /// Free notes (command line, git revision, ...).
    pub notes: BTreeMap<String, String>,
}

/// How a pipeline treats each speaker's rows before the scaler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpeakerNorm {
    /// Rows as they are.
    #[default]
    None,
    /// Each speaker standardised with its own rows' mean and standard deviation.
    Standardise,
    /// Each speaker centred on its mean shrunk toward the training speakers' average
    /// ([`ShrunkCentring`]).
    ShrunkCentring,
}

/// A fitted pipeline: (per-speaker normalisation) → scaler → classifier, with the feature and
/// label names it expects. Saved and loaded as one JSON file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    /// Layout version, [`FORMAT_VERSION`] when written by this crate.
    pub format_version: u32,
    /// Name of the feature set (e.g. `"default"`), for humans and error messages.
    pub feature_set: String,
    /// Feature names in column order; inputs must match exactly.
    pub feature_names: Vec<String>,
    /// Scaler fitted on the (per-speaker normalised, if `per_speaker`) training rows.
    pub scaler: FittedScaler,
    /// Whether each speaker's rows are standardised with that speaker's statistics first.
    pub per_speaker: bool,
    /// Minimum utterances per speaker for per-speaker normalisation at prediction time.
    pub per_speaker_min_utterances: usize,
    /// Each speaker centred on its shrunk mean first ([`SpeakerNorm::ShrunkCentring`]): the
    /// training speakers' population statistics. Absent in files without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker_centring: Option<ShrunkCentring>,
    /// The classifier.
    pub model: FittedModel,
    /// Label name of each class index.
    pub labels: Vec<String>,
    /// Training facts.
    pub summary: TrainingSummary,
}

/// Output of [`Pipeline::predict`].
#[derive(Debug, Clone, PartialEq)]
pub struct Predictions {
    /// Class index per row.
    pub classes: Vec<usize>,
    /// Label name per row.
    pub labels: Vec<String>,
    /// Class probabilities `(n_rows, n_labels)` when the model provides them.
    pub proba: Option<Array2<f32>>,
}

/// Arguments of [`Pipeline::fit`] that describe the data.
#[derive(Debug, Clone, Copy)]
pub struct PipelineData<'a> {
    /// Training matrix `(n_rows, n_features)`.
    pub x: ArrayView2<'a, f32>,
    /// Class index per row.
    pub y: &'a [usize],
    /// Label names (class index → name).
    pub labels: &'a [String],
    /// Feature names in column order.
    pub feature_names: &'a [String],
    /// Feature set name.
    pub feature_set: &'a str,
    /// Speaker id per row (needed when `per_speaker`; recorded in the summary).
    pub speakers: Option<&'a [String]>,
    /// Corpus per row (recorded in the summary).
    pub corpora: Option<&'a [String]>,
}

/// Current UTC time as RFC 3339 (`2025-01-31T12:00:00Z`), without external crates.
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

fn sorted_unique(v: &[String]) -> Vec<String> {
    let mut u = v.to_vec();
    u.sort();
    u.dedup();
    u
}

impl Pipeline {
    /// Fits scaler and classifier on `data` and records a training summary.
    /// With [`SpeakerNorm::Standardise`], rows are first standardised per speaker (speakers
    /// required, each with at least `min_utterances` rows); with [`SpeakerNorm::ShrunkCentring`]
    /// each speaker is centred on its shrunk mean (speakers required); then `scaler` is fitted
    /// on the result.
    pub fn fit(
        data: PipelineData<'_>,
        scaler: ScalerSpec,
        speaker_norm: SpeakerNorm,
        min_utterances: usize,
        spec: &ModelSpec,
        opts: &FitOptions,
    ) -> Result<Self> {
        let d = data.x.ncols();
        if data.feature_names.len() != d {
            return Err(Error::Length {
                what: "feature names (one per column of X)",
                expected: d,
                found: data.feature_names.len(),
            });
        }
        let normalised;
        let mut speaker_centring = None;
        let x = match speaker_norm {
            SpeakerNorm::None => data.x,
            SpeakerNorm::Standardise => {
                let speakers = data.speakers.ok_or(Error::SpeakersRequired)?;
                normalised = normalise_per_speaker(data.x, speakers, min_utterances)?;
                normalised.view()
            }
            SpeakerNorm::ShrunkCentring => {
                let speakers = data.speakers.ok_or(Error::SpeakersRequired)?;
                let c = ShrunkCentring::fit_rows(data.x, speakers)?;
                normalised = c.centre_rows(data.x, speakers)?;
                speaker_centring = Some(c);
                normalised.view()
            }
        };
        let per_speaker = speaker_norm == SpeakerNorm::Standardise;
        let fitted_scaler = scaler.fit(x)?;
        let xs = fitted_scaler.transform(x)?;
        let n_classes = data.labels.len();
        let model = spec.fit(xs.view(), data.y, n_classes, opts)?;
        let mut rows_per_label = vec![0; n_classes];
        for &c in data.y {
            rows_per_label[c] += 1;
        }
        let summary = TrainingSummary {
            corpora: data.corpora.map(sorted_unique).unwrap_or_default(),
            speakers: data.speakers.map(sorted_unique).unwrap_or_default(),
            n_rows: data.x.nrows(),
            rows_per_label,
            created_utc: now_utc(),
            seed: opts.seed,
            metrics: BTreeMap::new(),
            notes: BTreeMap::new(),
        };
        Ok(Self {
            format_version: if speaker_centring.is_some() {
                FORMAT_VERSION_SPEAKER_CENTRING
            } else {
                FORMAT_VERSION
            },
            feature_set: data.feature_set.to_string(),
            feature_names: data.feature_names.to_vec(),
            scaler: fitted_scaler,
            per_speaker,
            per_speaker_min_utterances: min_utterances,
            speaker_centring,
            model,
            labels: data.labels.to_vec(),
            summary,
        })
    }

    /// Checks that `names` are exactly this model's feature names, in order.
    pub fn check_feature_names(&self, names: &[String]) -> Result<()> {
        if names.len() != self.feature_names.len() {
            return Err(Error::FeatureNames {
                detail: format!(
                    "model (feature set {:?}) expects {} features, got {}",
                    self.feature_set,
                    self.feature_names.len(),
                    names.len()
                ),
            });
        }
        if let Some((i, (want, got))) = self
            .feature_names
            .iter()
            .zip(names)
            .enumerate()
            .find(|(_, (a, b))| a != b)
        {
            let hint = if self.feature_names.contains(got) {
                " (same names in another order?)"
            } else {
                " (another feature set?)"
            };
            return Err(Error::FeatureNames {
                detail: format!(
                    "column {i}: model (feature set {:?}) expects {want:?}, got {got:?}{hint}",
                    self.feature_set
                ),
            });
        }
        Ok(())
    }

    /// Applies per-speaker normalisation (if any) and the scaler.
    pub fn transform(
        &self,
        x: ArrayView2<f32>,
        speakers: Option<&[String]>,
    ) -> Result<Array2<f32>> {
        if self.per_speaker {
            let speakers = speakers.ok_or(Error::SpeakersRequired)?;
            let n = normalise_per_speaker(x, speakers, self.per_speaker_min_utterances)?;
            self.scaler.transform(n.view())
        } else if let Some(c) = &self.speaker_centring {
            let speakers = speakers.ok_or(Error::SpeakersRequired)?;
            // as many utterances of a speaker as per-speaker statistics need
            let min = self.per_speaker_min_utterances.max(1);
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for s in speakers {
                *counts.entry(s.as_str()).or_default() += 1;
            }
            if let Some((speaker, &found)) = counts.iter().find(|(_, n)| **n < min) {
                return Err(Error::TooFewUtterances {
                    speaker: speaker.to_string(),
                    found,
                    min,
                });
            }
            self.scaler.transform(c.centre_rows(x, speakers)?.view())
        } else {
            self.scaler.transform(x)
        }
    }

    /// Predicts rows of `x` whose columns are named `feature_names` (must equal the model's).
    /// `speakers` is required when the pipeline normalises per speaker.
    pub fn predict(
        &self,
        x: ArrayView2<f32>,
        feature_names: &[String],
        speakers: Option<&[String]>,
    ) -> Result<Predictions> {
        self.check_feature_names(feature_names)?;
        let xs = self.transform(x, speakers)?;
        let (classes, proba) = self.model.predict_with_proba(xs.view())?;
        let labels = classes
            .iter()
            .map(|&c| {
                self.labels
                    .get(c)
                    .cloned()
                    .ok_or_else(|| Error::Corrupt(format!("class {c} has no label name")))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Predictions {
            classes,
            labels,
            proba,
        })
    }

    /// Writes the pipeline as JSON to `path` (atomically: [`ser_fs::write_bytes`]).
    pub fn save(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec(self).map_err(|source| Error::Json {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(ser_fs::write_bytes(path, &json)?)
    }

    /// Reads a pipeline written by [`Pipeline::save`], checking its format version and consistency.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            action: "reading",
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&bytes, path)
    }

    /// Parses model-file JSON read from `origin` (named in errors): the format version first, so
    /// a file of another layout gets that error rather than a parse error, then the pipeline,
    /// then [`Pipeline::check_consistency`].
    pub fn from_json(bytes: &[u8], origin: &Path) -> Result<Self> {
        check_format_version(bytes, origin)?;
        let p: Pipeline = serde_json::from_slice(bytes).map_err(|source| Error::Json {
            path: origin.to_path_buf(),
            source,
        })?;
        p.check_consistency(origin)?;
        Ok(p)
    }

    /// Checks that feature names, scaler and model agree on the number of features and that every
    /// class has a label name (`origin` is named in the error).
    pub fn check_consistency(&self, origin: &Path) -> Result<()> {
        let d = self.feature_names.len();
        if self.scaler.n_features != d || self.model.n_features() != d {
            return Err(Error::Corrupt(format!(
                "{}: {} feature names but scaler expects {} and model {}",
                origin.display(),
                d,
                self.scaler.n_features,
                self.model.n_features()
            )));
        }
        if self.model.n_classes() != self.labels.len() {
            return Err(Error::Corrupt(format!(
                "{}: {} labels but model has {} classes",
                origin.display(),
                self.labels.len(),
                self.model.n_classes()
            )));
        }
        Ok(())
    }
}

/// Fails unless the JSON in `bytes` (read from `origin`) has a `format_version` this crate reads:
/// [`FORMAT_VERSION`] or [`FORMAT_VERSION_SPEAKER_CENTRING`].
pub fn check_format_version(bytes: &[u8], origin: &Path) -> Result<()> {
    #[derive(Deserialize)]
    struct Version {
        format_version: u32,
    }
    let v: Version = serde_json::from_slice(bytes).map_err(|source| Error::Json {
        path: origin.to_path_buf(),
        source,
    })?;
    if !(FORMAT_VERSION..=FORMAT_VERSION_SPEAKER_CENTRING).contains(&v.format_version) {
        return Err(Error::FormatVersion {
            path: origin.to_path_buf(),
            expected: FORMAT_VERSION_SPEAKER_CENTRING,
            found: v.format_version,
        });
    }
    Ok(())
}
