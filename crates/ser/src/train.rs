//! Training one model file from feature tables (`cargo xtask train`, the server's `/train`).
//!
//! A [`TrainConfig`] holds the same keys as `cargo xtask train --config FILE` (all optional):
//!
//! ```toml
//! features = "out/features"      # a folder of tables, or one .parquet file
//! corpora = ["emodb"]            # default: every table of the feature set in the folder
//! feature_set = "default"        # a built-in name or a TOML file
//! normalisation = "training"     # or "per_speaker"
//! scaler = "standard"            # none | standard | robust | min_max | quantile
//! class_weight = "balanced"      # none | balanced
//! seed = 42
//! min_utterances = 5             # per speaker, for per-speaker normalisation
//! [model]
//! kind = "svm"
//! c = 10.0
//! [augment]                      # optional: train on augmented copies too (see ser::augment)
//! copies = 3
//! steps = [{ kind = "noise", snr_db = 15 }, { kind = "speed", factor = [0.9, 1.1] }]
//! ```
//!
//! [`TrainConfig::over`] layers one config over another (command-line flags over a file), and
//! [`TrainConfig::settings`] resolves the defaults into [`TrainSettings`]. [`train`] reads the
//! tables, fits the pipeline and returns the [`ModelFile`] with its summary (training speakers,
//! corpora, seed, resubstitution UAR, fit time); the caller saves it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ser_eval::Normalisation;
use ser_features::FeatureSet;
use ser_models::{ClassWeight, FitOptions, ModelSpec, Pipeline, PipelineData, ScalerSpec};
use serde::{Deserialize, Serialize};

use crate::augment::{AugmentPlan, attach, augmented_table_path};
use crate::tables::{encode_labels, read_tables, table_files};
use crate::{Error, ModelFile, Result};

/// Training settings as written in a config file or request; every key is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Folder of `<corpus>.<feature_set>.parquet` tables, or one table file [default:
    /// `out/features`].
    pub features: Option<PathBuf>,
    /// Corpora whose tables to read [default: every table of the feature set in the folder].
    pub corpora: Option<Vec<String>>,
    /// Feature set: a built-in name or a TOML file [default: the tables' set, `default`].
    pub feature_set: Option<String>,
    /// The classifier and its hyper-parameters (`kind` tag, as in grid-search configs).
    pub model: Option<ModelSpec>,
    /// Normalisation protocol [default: training].
    pub normalisation: Option<Normalisation>,
    /// Scaler fitted on the (normalised) training rows [default: standard].
    pub scaler: Option<ScalerSpec>,
    /// Class weighting [default: balanced].
    pub class_weight: Option<ClassWeight>,
    /// Seed of every random choice [default: 42].
    pub seed: Option<u64>,
    /// Minimum utterances per speaker for per-speaker normalisation [default: 5].
    pub min_utterances: Option<usize>,
    /// Augmented copies of the training utterances, from the tables `prepare --augment` made
    /// for the same plan [default: none].
    pub augment: Option<AugmentPlan>,
}

/// Resolved training settings.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSettings {
    pub model: ModelSpec,
    pub normalisation: Normalisation,
    pub scaler: ScalerSpec,
    pub class_weight: ClassWeight,
    pub seed: u64,
    pub min_utterances: usize,
    /// Train on these augmented copies too.
    pub augment: Option<AugmentPlan>,
}

impl TrainConfig {
    /// Parses TOML text (`origin` names it in errors).
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| Error::config(origin, e))
    }

    /// Reads and parses a TOML file.
    pub fn from_toml_file(path: &Path) -> Result<Self> {
        let text = crate::error::read_text(path)?;
        Self::from_toml_str(&text, &path.display().to_string())
    }

    /// This config with every key it leaves unset taken from `base`.
    pub fn over(self, base: TrainConfig) -> TrainConfig {
        TrainConfig {
            features: self.features.or(base.features),
            corpora: self.corpora.or(base.corpora),
            feature_set: self.feature_set.or(base.feature_set),
            model: self.model.or(base.model),
            normalisation: self.normalisation.or(base.normalisation),
            scaler: self.scaler.or(base.scaler),
            class_weight: self.class_weight.or(base.class_weight),
            seed: self.seed.or(base.seed),
            min_utterances: self.min_utterances.or(base.min_utterances),
            augment: self.augment.or(base.augment),
        }
    }

    /// The tables it names (defaults filled in).
    pub fn source(&self) -> TableSource {
        TableSource {
            features: self
                .features
                .clone()
                .unwrap_or_else(|| PathBuf::from("out/features")),
            corpora: self.corpora.clone().unwrap_or_default(),
            feature_set: self.feature_set.clone(),
        }
    }

    /// The settings with defaults filled in; the model is required and its parameters checked.
    pub fn settings(&self) -> Result<TrainSettings> {
        let model = self.model.clone().ok_or_else(|| {
            Error::Input(format!(
                "no model given: name one of {} (or a [model] table in the config)",
                ser_models::MODEL_KINDS.join(", ")
            ))
        })?;
        model.check()?;
        let normalisation = self.normalisation.unwrap_or(Normalisation::Training);
        if normalisation == Normalisation::PerCorpus {
            return Err(Error::Input(
                "normalisation per_corpus is an evaluation protocol (grid search); a model file \
                 normalises with the training statistics or per speaker: use training or \
                 per_speaker"
                    .into(),
            ));
        }
        check_projection(&model, normalisation)?;
        if let Some(plan) = &self.augment {
            plan.check()?;
            if normalisation != Normalisation::Training {
                return Err(Error::Input(format!(
                    "[augment] with {} normalisation: a model file's speaker statistics \
                         would be fitted on the copies too; train with normalisation training, \
                         or compare it with augmentation in a grid search (which fits speaker \
                         statistics on original utterances only)",
                    normalisation.as_str()
                )));
            }
        }
        Ok(TrainSettings {
            model,
            normalisation,
            scaler: self.scaler.unwrap_or(ScalerSpec::Standard),
            class_weight: self.class_weight.unwrap_or(ClassWeight::Balanced),
            seed: self.seed.unwrap_or(42),
            min_utterances: self.min_utterances.unwrap_or(5),
            augment: self.augment.clone(),
        })
    }
}

/// Refuses a speaker projection (anywhere in `model`) under any speaker normalisation: every
/// speaker is centred on its own mean there, so what still differs between speakers is their
/// mix of emotions, and the projection would remove emotion directions. Checked for `train`'s
/// settings and for the model a grid search ships.
pub(crate) fn check_projection(model: &ModelSpec, normalisation: Normalisation) -> Result<()> {
    if normalisation != Normalisation::Training && projects_speakers(model) {
        return Err(Error::Input(format!(
            "model {} removes the training speakers' directions (a speaker_projection), but \
             normalisation {} centres every speaker on its own mean first: what still differs \
             between speakers is then their mix of emotions, and the projection would remove \
             emotion directions; use normalisation training with it",
            model.kind(),
            normalisation.as_str()
        )));
    }
    Ok(())
}

/// Whether `spec` (or a model inside it) is a speaker projection.
fn projects_speakers(spec: &ModelSpec) -> bool {
    match spec {
        ModelSpec::SpeakerProjection(_) => true,
        ModelSpec::Select(s) => projects_speakers(&s.model),
        ModelSpec::Ensemble(e) => e.members.iter().any(projects_speakers),
        _ => false,
    }
}

/// A model spec of `kind` with `key=value` overrides (values read as JSON when they parse, else
/// as strings: `c=10`, `gamma=scale`, `hidden_layers=[128,64]`) on top of `base` when it is of
/// the same kind, else on top of the kind's defaults. Dashes in kinds and keys read as
/// underscores. The result is checked.
pub fn model_spec(kind: &str, base: Option<&ModelSpec>, pairs: &[String]) -> Result<ModelSpec> {
    let kind = kind.replace('-', "_");
    let mut obj = match base {
        Some(b) if b.kind() == kind => match serde_json::to_value(b) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        },
        _ => serde_json::Map::new(),
    };
    obj.insert("kind".into(), serde_json::Value::String(kind.clone()));
    for p in pairs {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| Error::config(format_args!("parameter {p:?}"), "expected KEY=VALUE"))?;
        let value = serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.into()));
        obj.insert(k.trim().replace('-', "_"), value);
    }
    let spec: ModelSpec = serde_json::from_value(serde_json::Value::Object(obj))
        .map_err(|e| Error::config(format_args!("model {kind:?} with parameters {pairs:?}"), e))?;
    spec.check()?;
    Ok(spec)
}

/// Which feature tables to train on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSource {
    /// A folder of `<corpus>.<feature_set>.parquet` tables, or one table file.
    pub features: PathBuf,
    /// Corpora whose tables to read; empty: every table of the feature set in the folder.
    pub corpora: Vec<String>,
    /// Feature set: a built-in name or a TOML file; `None`: the `default` set (or, when it is
    /// not known, whatever the tables record).
    pub feature_set: Option<String>,
}

/// A trained model and what the caller may want to show about it.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The model file (not yet saved).
    pub model: ModelFile,
    /// Rows and features of the training matrix.
    pub n_rows: usize,
    pub n_features: usize,
    /// Distinct training speakers and corpora.
    pub speakers: Vec<String>,
    pub corpora: Vec<String>,
    /// Fit time, seconds.
    pub fit_s: f64,
    /// UAR on the training rows themselves (optimistic; grid search gives an estimate).
    pub train_uar: f64,
    /// Things the user should know (a changed feature configuration, an unknown feature set).
    pub warnings: Vec<String>,
}

/// The augmented copies of the rows of `files` (read in that order, as `read_tables`
/// concatenates them) under `plan`, with each copy's source as a row index of the concatenation.
fn augmented_copies(
    files: &[PathBuf],
    plan: &AugmentPlan,
) -> Result<Option<ser_eval::split::Augmented>> {
    let mut parts = Vec::with_capacity(files.len());
    for f in files {
        let table = ser_features::FeatureTable::read_parquet(f)?;
        let aug = augmented_table_path(f, &plan.id(table.config_hash()));
        if !aug.exists() {
            return Err(Error::NotFound {
                what: "augmented feature table",
                path: aug,
                hint: " (run `cargo xtask prepare --augment CONFIG` with the same [augment] \
                       section, corpora and feature set first)"
                    .into(),
            });
        }
        parts.push(attach(crate::tables::dataset_of(&table, f)?, &aug)?);
    }
    Ok(ser_eval::Dataset::concat(&parts)?.augmented)
}

/// Fits one pipeline on the tables of `source` with `settings`. `notes` (e.g. the command line)
/// are recorded in the model's summary beside the table paths.
pub fn train(
    source: &TableSource,
    settings: &TrainSettings,
    mut notes: BTreeMap<String, String>,
) -> Result<Trained> {
    let set_name = source
        .feature_set
        .clone()
        .unwrap_or_else(|| "default".into());
    let set = match FeatureSet::resolve(&set_name) {
        Ok(s) => Some(s),
        Err(e) if source.feature_set.is_some() => return Err(e.into()),
        Err(_) => None,
    };
    let table_set = match &set {
        Some(s) => s.name().to_string(),
        None => Path::new(&set_name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| set_name.clone()),
    };
    let files = table_files(&source.features, &source.corpora, &table_set)?;
    let t = read_tables(&files)?;
    // The feature set whose configuration goes into the model file.
    let set = match set {
        Some(s) if s.name() == t.feature_set => Some(s),
        _ => FeatureSet::resolve(&t.feature_set).ok(),
    };
    let mut warnings = Vec::new();
    let feature_set_config = match &set {
        Some(s) if s.names(s.sample_rate_hz()) == t.data.feature_names => {
            if s.config_hash() != t.config_hash {
                warnings.push(format!(
                    "tables were written with feature config {} but feature set {:?} is now {}; \
                     audio given to `predict` will be extracted with the current configuration",
                    t.config_hash,
                    s.name(),
                    s.config_hash()
                ));
            }
            Some(s.config().clone())
        }
        _ => {
            warnings.push(format!(
                "feature set {:?} of the tables is not known here (pass --feature-set FILE.toml); \
                 the model can predict from feature tables but not from audio",
                t.feature_set
            ));
            None
        }
    };
    notes.insert(
        "tables".to_string(),
        files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    );

    let (labels, y) = encode_labels(&t.data)?;
    // The training rows: the tables' rows, then the augmented copies of them (each with its
    // source's label, speaker and corpus).
    let copies = match &settings.augment {
        Some(plan) => augmented_copies(&files, plan)?,
        None => None,
    };
    let (x, ytr, speakers, corpora) = match &copies {
        Some(a) => {
            let x = ndarray::concatenate(ndarray::Axis(0), &[t.data.x.view(), a.x.view()])
                .map_err(|e| Error::Input(format!("training rows with their copies: {e}")))?;
            let pick = |v: &[String]| -> Vec<String> {
                v.iter()
                    .cloned()
                    .chain(a.source.iter().map(|&r| v[r].clone()))
                    .collect()
            };
            let ytr: Vec<usize> = y
                .iter()
                .copied()
                .chain(a.source.iter().map(|&r| y[r]))
                .collect();
            (x, ytr, pick(&t.data.speakers), pick(&t.data.corpora))
        }
        None => (
            t.data.x.clone(),
            y.clone(),
            t.data.speakers.clone(),
            t.data.corpora.clone(),
        ),
    };
    let opts = FitOptions {
        seed: settings.seed,
        class_weight: settings.class_weight,
        groups: Some(speakers.clone()),
    };
    let fit_start = Instant::now();
    let data = PipelineData {
        x: x.view(),
        y: &ytr,
        labels: &labels,
        feature_names: &t.data.feature_names,
        feature_set: &t.feature_set,
        speakers: Some(&speakers),
        corpora: Some(&corpora),
    };
    let mut pipeline = Pipeline::fit(
        data,
        settings.scaler,
        settings.normalisation.speaker_norm(),
        settings.min_utterances,
        &settings.model,
        &opts,
    )?;
    let fit_s = fit_start.elapsed().as_secs_f64();
    let pred = pipeline.predict(
        t.data.x.view(),
        &t.data.feature_names,
        Some(&t.data.speakers),
    )?;
    let train_uar = ser_eval::metrics::uar(&y, &pred.classes, labels.len())?;
    let metrics = &mut pipeline.summary.metrics;
    metrics.insert("train_uar_resubstitution".into(), train_uar);
    metrics.insert("fit_s".into(), fit_s);
    if let Some(a) = &copies {
        metrics.insert("augmented_rows".into(), a.source.len() as f64);
    }
    pipeline.summary.notes = notes;
    Ok(Trained {
        n_rows: t.data.n_rows(),
        n_features: t.data.x.ncols(),
        speakers: t.data.speaker_ids(),
        corpora: t.data.corpus_names(),
        fit_s,
        train_uar,
        warnings,
        model: ModelFile {
            pipeline,
            feature_set_config,
            feature_config_hash: t.config_hash,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(normalisation: &str, model: &str) -> Result<TrainSettings> {
        TrainConfig::from_toml_str(
            &format!("normalisation = \"{normalisation}\"\n[model]\n{model}\n"),
            "test",
        )?
        .settings()
    }

    /// A speaker projection after per-speaker standardisation would remove emotion directions:
    /// refused with the reason, wherever it sits in the model; with training statistics it trains.
    #[test]
    fn speaker_projection_needs_training_statistics() {
        let nap = "kind = \"speaker_projection\"\nmodel = { kind = \"logistic_regression\" }";
        for norm in ["per_speaker", "enrolment"] {
            let e = settings(norm, nap).expect_err("refused").to_string();
            assert!(e.contains("speaker_projection") && e.contains(norm), "{e}");
        }
        assert!(settings("training", nap).is_ok());
        let inside = "kind = \"ensemble\"\nmembers = [{ kind = \"naive_bayes\" }, \
                      { kind = \"speaker_projection\", model = { kind = \"naive_bayes\" } }]";
        assert!(settings("per_speaker", inside).is_err());
        assert!(settings("per_speaker", "kind = \"logistic_regression\"").is_ok());
    }

    /// A speaker projection is refused under shrunk enrolment too (speakers are centred there).
    #[test]
    fn speaker_projection_is_refused_with_shrunk_enrolment() {
        let nap = "kind = \"speaker_projection\"\nmodel = { kind = \"logistic_regression\" }";
        assert!(settings("enrolment_shrunk", nap).is_err());
        assert!(settings("enrolment_shrunk", "kind = \"logistic_regression\"").is_ok());
    }
}
