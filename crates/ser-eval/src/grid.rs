//! The TOML configuration of a grid search and its expansion into candidate models.
//!
//! ```toml
//! name = "emodb"                 # used in report titles
//! seed = 42                      # every random choice (splits, bootstrap, models)
//! normalisation = ["training", "per_speaker"]   # each protocol is run and reported
//! scaler = "standard"            # ser_models::ScalerSpec, fitted on training rows
//! class_weight = "balanced"      # ser_models::ClassWeight
//! outer = { kind = "leave_one_speaker_out" }    # estimates performance
//! inner = { kind = "group_k_fold", k = 3 }      # chooses hyper-parameters on training speakers
//! emotions = ["angry", "happy", "neutral", "sad"]   # optional: rows with other labels dropped
//!
//! [[tables]]                     # feature tables (read by the caller, e.g. cargo xtask)
//! corpus = "emodb"               # resolved as <features_dir>/<corpus>.<feature_set>.parquet
//! feature_set = "default"
//! # path = "out/features/emodb.default.parquet"   # or an explicit path
//!
//! [[models]]                     # base ModelSpec fields + an optional grid
//! kind = "svm"
//! kernel = "rbf"
//! grid = { c = [1.0, 10.0, 100.0], gamma = ["scale", 0.001] }
//! ```
//!
//! A model table is a `ser_models::ModelSpec` (tag `kind`) plus optional keys: `name` (label in
//! reports), `grid` (parameter name → list of values), `scaler` (this candidate's scaler) and
//! `select` (a feature count `k`: the ANOVA-F top-k features, ranked on the training rows of each
//! fit, feed the model; `"all"`: no selection) and `nap` (`"all"` or a count: the training
//! speakers' between-speaker directions projected out in front of the model, see
//! `ser_models::nap`; `"none"` or 0: no projection). Each point of the Cartesian product of the grid
//! values is merged into the base as JSON and deserialised, so every parameter of every model,
//! `scaler`, `select` and `nap` included, can be searched.
//!
//! `include = "grid/default.toml"` takes every key the file does not set from the included file
//! (one level): the shipped corpus configurations name tables and splits and share one candidate
//! list.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ser_models::{ClassWeight, ModelSpec, ScalerSpec};
use serde::{Deserialize, Serialize};

use crate::split::SplitSpec;
use crate::{Error, Result};

/// How features are normalised before the scaler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalisation {
    /// Only the scaler, fitted on the training speakers' rows of each fold.
    Training,
    /// Each speaker (training and test) standardised with the mean and standard deviation of
    /// its own utterances (no labels used), then the scaler fitted on the training rows.
    PerSpeaker,
    /// Each corpus (training and test) standardised with the mean and standard deviation of its
    /// own utterances (no labels used), then the scaler fitted on the training rows: the usual
    /// remedy for channel and language mismatch in cross-corpus work. An evaluation protocol:
    /// a model file cannot carry it (`train` refuses it).
    PerCorpus,
    /// Like [`Normalisation::PerSpeaker`] for the training speakers, but a test speaker is
    /// standardised with the statistics of only `enrolment_utterances` of its utterances (chosen
    /// by seed, labels unused), as a deployed system would enrol a new speaker. All of the test
    /// speaker's utterances, the enrolment ones included, are then scored. A model file carries
    /// it as per-speaker normalisation (prediction takes whatever utterances of a speaker it is
    /// given).
    Enrolment,
    /// Every speaker centred, not scaled, on an empirical-Bayes estimate of its mean
    /// ([`ser_models::ShrunkCentring`]): the mean of its own utterances (all of them for a
    /// training speaker, `enrolment_utterances` chosen by seed for a test speaker, labels unused)
    /// shrunk toward the training speakers' average by how much the training speakers differ on
    /// that column against the noise of that many utterances; the population statistics are
    /// fitted on each fit's training speakers only. Then the scaler fitted on the training rows.
    /// A model file carries it: the training speakers' population statistics, and at prediction
    /// each speaker is centred with the utterances of it that are given together.
    EnrolmentShrunk,
}

impl Normalisation {
    /// Snake-case name as in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Normalisation::Training => "training",
            Normalisation::PerSpeaker => "per_speaker",
            Normalisation::PerCorpus => "per_corpus",
            Normalisation::Enrolment => "enrolment",
            Normalisation::EnrolmentShrunk => "enrolment_shrunk",
        }
    }

    /// Sentence for reports.
    pub fn describe(self) -> &'static str {
        match self {
            Normalisation::Training => {
                "scaler statistics fitted on the training speakers of each fold only"
            }
            Normalisation::PerSpeaker => {
                "per-speaker standardisation (each speaker, test speakers included, standardised \
                 with the mean and standard deviation of its own unlabelled utterances), then the \
                 scaler fitted on the training speakers"
            }
            Normalisation::PerCorpus => {
                "per-corpus standardisation (each corpus, the test corpus included, standardised \
                 with the mean and standard deviation of its own unlabelled utterances), then the \
                 scaler fitted on the training rows"
            }
            Normalisation::Enrolment => {
                "each training speaker standardised with the statistics of all its \
                 utterances, each test speaker with those of only `enrolment_utterances` of its \
                 unlabelled utterances (chosen by seed), then the scaler fitted on the training \
                 speakers; every test utterance is scored"
            }
            Normalisation::EnrolmentShrunk => {
                "each speaker centred (not scaled) on its mean shrunk toward the training \
                 speakers' average (empirical Bayes: by how much the training speakers differ on \
                 each feature against the noise of a mean of that many utterances); a training \
                 speaker's mean over all its utterances, a test speaker's over only \
                 `enrolment_utterances` of its unlabelled utterances (chosen by seed); the \
                 population statistics fitted on the training speakers of each fit; then the \
                 scaler fitted on the training speakers; every test utterance is scored"
            }
        }
    }

    /// Whether a model file can carry this protocol (per-corpus statistics are an evaluation
    /// protocol only).
    pub fn model_file(self) -> bool {
        self != Normalisation::PerCorpus
    }

    /// What a model file trained under this protocol does with each speaker's rows.
    pub fn speaker_norm(self) -> ser_models::SpeakerNorm {
        match self {
            Normalisation::PerSpeaker | Normalisation::Enrolment => {
                ser_models::SpeakerNorm::Standardise
            }
            Normalisation::EnrolmentShrunk => ser_models::SpeakerNorm::ShrunkCentring,
            Normalisation::Training | Normalisation::PerCorpus => ser_models::SpeakerNorm::None,
        }
    }
}

/// Where a feature table comes from. Either `path`, or `corpus` + `feature_set`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// Explicit Parquet path (relative paths are joined to the `base_dir` given to
    /// [`TableSpec::resolve`]; `cargo xtask grid-search` uses the current directory).
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Corpus name, e.g. `emodb`.
    #[serde(default)]
    pub corpus: Option<String>,
    /// Feature-set name, e.g. `default`; defaults to `default`.
    #[serde(default)]
    pub feature_set: Option<String>,
}

impl TableSpec {
    /// The table's file: `path` (joined to `base_dir` when relative) or
    /// `<features_dir>/<corpus>.<feature_set>.parquet`.
    pub fn resolve(&self, base_dir: &Path, features_dir: &Path) -> Result<PathBuf> {
        match (&self.path, &self.corpus) {
            (Some(p), _) => Ok(if p.is_absolute() {
                p.clone()
            } else {
                base_dir.join(p)
            }),
            (None, Some(c)) => Ok(features_dir.join(format!(
                "{c}.{}.parquet",
                self.feature_set.as_deref().unwrap_or("default")
            ))),
            (None, None) => Err(Error::Param {
                name: "tables",
                expected: "`path` or `corpus` (+ optional `feature_set`)".into(),
                found: "neither".into(),
            }),
        }
    }
}

fn default_seed() -> u64 {
    42
}
fn default_normalisation() -> Vec<Normalisation> {
    vec![Normalisation::Training]
}
fn default_inner() -> SplitSpec {
    SplitSpec::GroupKFold { k: 3 }
}
fn default_bootstrap() -> usize {
    1000
}
fn default_min_utt() -> usize {
    2
}
fn default_enrolment() -> usize {
    10
}
fn default_true() -> bool {
    true
}

/// A grid-search configuration (see the module docs for the TOML form).
///
/// | key | default | meaning |
/// |---|---|---|
/// | `name` | `""` | title of the report |
/// | `seed` | 42 | seed of splits, bootstrap and models |
/// | `tables` | required | feature tables ([`TableSpec`]) |
/// | `features_dir` | `"out/features"` (the default of `cargo xtask prepare`) | folder of `corpus`-named tables |
/// | `emotions` | all | labels to keep |
/// | `models` | required | models with grids |
/// | `scaler` | `standard` | fitted on training rows of every fold |
/// | `normalisation` | `["training"]` | protocols run and reported |
/// | `min_utterances_per_speaker` | 2 | per-speaker normalisation needs this many rows per speaker |
/// | `enrolment_utterances` | 10 | utterances of a test speaker behind its statistics under `enrolment` (all when it has fewer) |
/// | `class_weight` | `none` | `none` or `balanced` |
/// | `outer` | required | performance split ([`SplitSpec`]) |
/// | `inner` | `group_k_fold`, k = 3 | selection split inside each outer training side; speaker-grouped |
/// | `bootstrap_resamples` | 1000 | resamples of the UAR confidence interval |
/// | `evaluate_all` | true | also score every candidate on the outer folds (results.csv rows) |
/// | `include` | none | file (or list) whose keys fill in what this file leaves out, e.g. `"grid/default.toml"` |
/// | `augment` | none | augmented copies of the training utterances (`[augment]`, read by the workflow that made the features; here they arrive as [`crate::split::Augmented`]) |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridConfig {
    #[serde(default)]
    pub name: String,
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default)]
    pub tables: Vec<TableSpec>,
    #[serde(default)]
    pub features_dir: Option<PathBuf>,
    #[serde(default)]
    pub emotions: Option<Vec<String>>,
    pub models: Vec<serde_json::Value>,
    #[serde(default)]
    pub scaler: ScalerSpec,
    #[serde(default = "default_normalisation")]
    pub normalisation: Vec<Normalisation>,
    #[serde(default = "default_min_utt")]
    pub min_utterances_per_speaker: usize,
    #[serde(default = "default_enrolment")]
    pub enrolment_utterances: usize,
    #[serde(default)]
    pub class_weight: ClassWeight,
    pub outer: SplitSpec,
    #[serde(default = "default_inner")]
    pub inner: SplitSpec,
    #[serde(default = "default_bootstrap")]
    pub bootstrap_resamples: usize,
    #[serde(default = "default_true")]
    pub evaluate_all: bool,
    /// The `[augment]` section, kept as given: ser-eval knows nothing about how features (or
    /// their augmented copies) were made; the `ser` crate reads it and attaches the copies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub augment: Option<serde_json::Value>,
    /// Files whose keys this configuration took (as written; resolved by
    /// [`GridConfig::from_toml_file`]).
    #[serde(
        default,
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub include: Vec<String>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// One model with fixed hyper-parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// Short label, e.g. `svm c=10 gamma="scale"`.
    pub label: String,
    /// Name of the model entry it came from.
    pub model: String,
    /// The grid point (parameter name → value); empty without grid.
    pub params: BTreeMap<String, serde_json::Value>,
    /// The full specification.
    pub spec: ModelSpec,
    /// Scaler of this candidate (the model entry's `scaler` key or grid), overriding the
    /// configuration's `scaler`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scaler: Option<ScalerSpec>,
}

impl Candidate {
    /// The scaler this candidate fits: its own, else the configuration's.
    pub fn scaler_or(&self, default: ScalerSpec) -> ScalerSpec {
        self.scaler.unwrap_or(default)
    }
}

/// A validated configuration: candidates expanded, splits checked.
#[derive(Debug, Clone)]
pub struct CheckedConfig {
    pub raw: GridConfig,
    pub candidates: Vec<Candidate>,
}

impl GridConfig {
    /// Parses TOML text; `origin` names the file in errors. `include` is resolved relative to
    /// `origin`'s folder (see [`GridConfig::from_toml_file`]).
    pub fn from_toml_str(text: &str, origin: &Path) -> Result<Self> {
        let cfg_err = |path: &Path, message: String| Error::Config {
            path: path.to_path_buf(),
            message,
        };
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| cfg_err(origin, e.to_string()))?;
        if let Some(inc) = table.get("include").cloned() {
            let names: Vec<String> = match inc {
                toml::Value::String(s) => vec![s],
                toml::Value::Array(a) => a
                    .into_iter()
                    .map(|v| match v {
                        toml::Value::String(s) => Ok(s),
                        other => Err(cfg_err(
                            origin,
                            format!("`include`: expected file names, found {other}"),
                        )),
                    })
                    .collect::<Result<_>>()?,
                other => {
                    return Err(cfg_err(
                        origin,
                        format!("`include`: expected a file name or a list of them, found {other}"),
                    ));
                }
            };
            let dir = origin.parent().unwrap_or(Path::new("."));
            for name in names {
                let path = dir.join(&name);
                let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
                let included: toml::Table =
                    toml::from_str(&text).map_err(|e| cfg_err(&path, e.to_string()))?;
                for (key, value) in included {
                    if key == "include" {
                        return Err(cfg_err(
                            &path,
                            "an included file cannot include another (one level only)".into(),
                        ));
                    }
                    // the including file's own keys win
                    table.entry(key).or_insert(value);
                }
            }
        }
        table
            .try_into()
            .map_err(|e: toml::de::Error| cfg_err(origin, e.to_string()))
    }

    /// Reads and parses a TOML file. A top-level `include = "grid/default.toml"` (or a list of
    /// files, relative to this file's folder) takes every key of the included files that this
    /// file does not set itself: a corpus configuration names its tables and splits and includes
    /// the shipped candidate list.
    pub fn from_toml_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_toml_str(&text, path)
    }

    /// Validates and expands the model grids.
    pub fn check(&self) -> Result<CheckedConfig> {
        if self.models.is_empty() {
            return Err(Error::Param {
                name: "models",
                expected: "at least one [[models]] entry".into(),
                found: "none".into(),
            });
        }
        if self.normalisation.is_empty() {
            return Err(Error::Param {
                name: "normalisation",
                expected: "at least one of \"training\", \"per_speaker\"".into(),
                found: "[]".into(),
            });
        }
        let mut seen = std::collections::BTreeSet::new();
        for n in &self.normalisation {
            if !seen.insert(n) {
                return Err(Error::Param {
                    name: "normalisation",
                    expected: "distinct protocols".into(),
                    found: format!("{} twice", n.as_str()),
                });
            }
        }
        match &self.inner {
            SplitSpec::Random { .. } if self.outer.is_speaker_independent() => {
                return Err(Error::Param {
                    name: "inner",
                    expected: "a speaker-grouped split (leave_one_speaker_out, group_k_fold, \
                               speaker_holdout) when the outer split is speaker-independent"
                        .into(),
                    found: "random".into(),
                });
            }
            SplitSpec::CorpusHoldout { .. } | SplitSpec::LeaveOneCorpusOut => {
                return Err(Error::Param {
                    name: "inner",
                    expected: "a speaker-grouped split".into(),
                    found: "a corpus split".into(),
                });
            }
            _ => {}
        }
        if (self.normalisation.contains(&Normalisation::Enrolment)
            || self.normalisation.contains(&Normalisation::EnrolmentShrunk))
            && self.enrolment_utterances < self.min_utterances_per_speaker.max(2)
        {
            return Err(Error::Param {
                name: "enrolment_utterances",
                expected: format!(
                    ">= min_utterances_per_speaker ({}) and >= 2",
                    self.min_utterances_per_speaker
                ),
                found: self.enrolment_utterances.to_string(),
            });
        }
        if self.bootstrap_resamples == 0 {
            return Err(Error::Param {
                name: "bootstrap_resamples",
                expected: ">= 1".into(),
                found: "0".into(),
            });
        }
        let mut candidates = Vec::new();
        for (i, m) in self.models.iter().enumerate() {
            candidates.extend(expand_model(m, i)?);
        }
        Ok(CheckedConfig {
            raw: self.clone(),
            candidates,
        })
    }
}

fn value_label(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Expands one `[[models]]` entry into its candidates.
pub fn expand_model(entry: &serde_json::Value, index: usize) -> Result<Vec<Candidate>> {
    let err = |msg: String| Error::Param {
        name: "models",
        expected: "a model table with `kind`, its parameters, optional `name` and `grid`".into(),
        found: format!("entry {}: {msg}", index + 1),
    };
    let mut base = entry
        .as_object()
        .cloned()
        .ok_or_else(|| err("not a table".into()))?;
    let name = match base.remove("name") {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => return Err(err(format!("`name` must be a string, found {other}"))),
        None => None,
    };
    let grid: BTreeMap<String, Vec<serde_json::Value>> = match base.remove("grid") {
        Some(g) => serde_json::from_value(g)
            .map_err(|e| err(format!("`grid` must map names to lists of values: {e}")))?,
        None => BTreeMap::new(),
    };
    let kind = base
        .get("kind")
        .and_then(|k| k.as_str())
        .ok_or_else(|| err("missing `kind`".into()))?
        .to_string();
    let name = name.unwrap_or_else(|| kind.clone());
    for (k, vals) in &grid {
        if vals.is_empty() {
            return Err(err(format!("grid `{k}` has no values")));
        }
        if k == "kind" {
            return Err(err(
                "`kind` cannot be a grid parameter; add another [[models]]".into(),
            ));
        }
    }
    // Cartesian product in key order.
    let mut points: Vec<BTreeMap<String, serde_json::Value>> = vec![BTreeMap::new()];
    for (k, vals) in &grid {
        points = points
            .into_iter()
            .flat_map(|p| {
                vals.iter().map(move |v| {
                    let mut q = p.clone();
                    q.insert(k.clone(), v.clone());
                    q
                })
            })
            .collect();
    }
    points
        .into_iter()
        .map(|point| {
            let mut obj = base.clone();
            for (k, v) in &point {
                obj.insert(k.clone(), v.clone());
            }
            let scaler: Option<ScalerSpec> = match obj.remove("scaler") {
                Some(v) => Some(
                    serde_json::from_value(v.clone())
                        .map_err(|e| err(format!("{name}: `scaler` {v}: {e}")))?,
                ),
                None => None,
            };
            let select = match obj.remove("select") {
                None => None,
                Some(v) => parse_select(&v).map_err(|e| err(format!("{name}: {e}")))?,
            };
            let nap = match obj.remove("nap") {
                None => None,
                Some(v) => parse_nap(&v).map_err(|e| err(format!("{name}: {e}")))?,
            };
            let spec: ModelSpec = serde_json::from_value(serde_json::Value::Object(obj))
                .map_err(|e| err(format!("{name} with {point:?}: {e}")))?;
            let spec = match select {
                None => spec,
                Some(k) => ModelSpec::Select(ser_models::SelectParams {
                    k,
                    score: ser_models::SelectScore::Anova,
                    model: Box::new(spec),
                }),
            };
            let spec = match nap {
                None => spec,
                Some(directions) => {
                    ModelSpec::SpeakerProjection(ser_models::SpeakerProjectionParams {
                        directions,
                        model: Box::new(spec),
                    })
                }
            };
            spec.check()
                .map_err(|e| err(format!("{name} with {point:?}: {e}")))?;
            let label = if point.is_empty() {
                name.clone()
            } else {
                let parts: Vec<String> = point
                    .iter()
                    .map(|(k, v)| format!("{k}={}", value_label(v)))
                    .collect();
                format!("{name} {}", parts.join(" "))
            };
            Ok(Candidate {
                label,
                model: name.clone(),
                params: point,
                spec,
                scaler,
            })
        })
        .collect()
}

/// The `select` key of a model entry: a number of features `k` (ANOVA F top-k, fitted on the
/// training rows of each fit) or `"all"` (no selection).
fn parse_select(v: &serde_json::Value) -> std::result::Result<Option<usize>, String> {
    match v {
        serde_json::Value::String(s) if s == "all" => Ok(None),
        serde_json::Value::Number(n) => match n.as_u64() {
            Some(k) if k >= 1 => Ok(Some(k as usize)),
            _ => Err(format!(
                "`select` {n}: expected a feature count >= 1 or \"all\""
            )),
        },
        other => Err(format!(
            "`select` {other}: expected a feature count >= 1 or \"all\""
        )),
    }
}

/// The `nap` key of a model entry: `"all"` (every between-speaker direction of the training
/// speakers projected out), a number of directions `k`, or `0` / `"none"` (no projection).
fn parse_nap(v: &serde_json::Value) -> std::result::Result<Option<ser_models::Directions>, String> {
    let bad = || format!("`nap` {v}: expected \"all\", \"none\" or a number of directions");
    match v {
        serde_json::Value::String(s) if s == "none" => Ok(None),
        serde_json::Value::String(s) if s == "all" => Ok(Some(ser_models::Directions::All(
            ser_models::nap::AllTag::All,
        ))),
        serde_json::Value::Number(n) => match n.as_u64() {
            Some(0) => Ok(None),
            Some(k) => Ok(Some(ser_models::Directions::Count(k as usize))),
            None => Err(bad()),
        },
        _ => Err(bad()),
    }
}

/// `spec` with probability estimates switched off when the model has such a switch (used for
/// selection fits, whose probabilities are never looked at). A selection wrapper passes it on to
/// its model; ensemble members keep theirs (soft voting and stacking need them).
pub fn without_probability(spec: &ModelSpec) -> ModelSpec {
    match spec {
        ModelSpec::Svm(p) => ModelSpec::Svm(ser_models::SvmParams {
            probability: false,
            ..p.clone()
        }),
        ModelSpec::Select(s) => ModelSpec::Select(ser_models::SelectParams {
            model: Box::new(without_probability(&s.model)),
            ..s.clone()
        }),
        ModelSpec::SpeakerProjection(s) => {
            ModelSpec::SpeakerProjection(ser_models::SpeakerProjectionParams {
                model: Box::new(without_probability(&s.model)),
                ..s.clone()
            })
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: &str = r#"
name = "t"
normalisation = ["training", "per_speaker"]
outer = { kind = "leave_one_speaker_out" }
[[tables]]
corpus = "emodb"
[[models]]
kind = "svm"
kernel = "rbf"
grid = { c = [1.0, 10.0], gamma = ["scale", 0.01] }
[[models]]
name = "lr"
kind = "logistic_regression"
"#;

    #[test]
    fn parses_and_expands() {
        let c = GridConfig::from_toml_str(CFG, Path::new("x.toml")).unwrap();
        assert_eq!(c.seed, 42);
        assert_eq!(c.inner, SplitSpec::GroupKFold { k: 3 });
        let k = c.check().unwrap();
        assert_eq!(k.candidates.len(), 5);
        assert_eq!(k.candidates[0].label, "svm c=1.0 gamma=scale");
        assert_eq!(k.candidates[3].label, "svm c=10.0 gamma=0.01");
        assert_eq!(k.candidates[4].label, "lr");
        match &k.candidates[3].spec {
            ModelSpec::Svm(p) => {
                assert_eq!(p.c, 10.0);
                assert_eq!(p.gamma, ser_models::Gamma::Value(0.01));
            }
            other => panic!("{other:?}"),
        }
        let p = c.tables[0]
            .resolve(Path::new("/cfg"), Path::new("/feat"))
            .unwrap();
        assert_eq!(p, PathBuf::from("/feat/emodb.default.parquet"));
    }

    #[test]
    fn scaler_per_candidate_from_entry_or_grid() {
        let cfg = CFG
            .replace(
                "kind = \"logistic_regression\"",
                "kind = \"logistic_regression\"\nscaler = \"robust\"",
            )
            .replace(
                "gamma = [\"scale\", 0.01] }",
                "gamma = [\"scale\"], scaler = [\"standard\", \"quantile\"] }",
            );
        let k = GridConfig::from_toml_str(&cfg, Path::new("x.toml"))
            .unwrap()
            .check()
            .unwrap();
        let got: Vec<(String, Option<ScalerSpec>)> = k
            .candidates
            .iter()
            .map(|c| (c.label.clone(), c.scaler))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "svm c=1.0 gamma=scale scaler=standard".into(),
                    Some(ScalerSpec::Standard)
                ),
                (
                    "svm c=1.0 gamma=scale scaler=quantile".into(),
                    Some(ScalerSpec::Quantile)
                ),
                (
                    "svm c=10.0 gamma=scale scaler=standard".into(),
                    Some(ScalerSpec::Standard)
                ),
                (
                    "svm c=10.0 gamma=scale scaler=quantile".into(),
                    Some(ScalerSpec::Quantile)
                ),
                ("lr".into(), Some(ScalerSpec::Robust)),
            ]
        );
        assert_eq!(
            k.candidates[4].scaler_or(ScalerSpec::Standard),
            ScalerSpec::Robust
        );
        let no_override = GridConfig::from_toml_str(CFG, Path::new("x"))
            .unwrap()
            .check()
            .unwrap();
        assert_eq!(
            no_override.candidates[0].scaler_or(ScalerSpec::MinMax),
            ScalerSpec::MinMax
        );
        let bad = cfg.replace("\"quantile\"", "\"rank\"");
        let err = GridConfig::from_toml_str(&bad, Path::new("x"))
            .unwrap()
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("scaler"), "{err}");
    }

    #[test]
    fn rejects_bad_configs() {
        let bad_param = CFG.replace("c = [1.0, 10.0]", "c = [-1.0]");
        assert!(
            GridConfig::from_toml_str(&bad_param, Path::new("x"))
                .unwrap()
                .check()
                .is_err()
        );
        let unknown = CFG.replace("kernel = \"rbf\"", "kernal = \"rbf\"");
        assert!(
            GridConfig::from_toml_str(&unknown, Path::new("x"))
                .unwrap()
                .check()
                .is_err()
        );
        let inner_random = format!("inner = {{ kind = \"random\", test_fraction = 0.2 }}\n{CFG}");
        assert!(
            GridConfig::from_toml_str(&inner_random, Path::new("x"))
                .unwrap()
                .check()
                .is_err()
        );
        assert!(GridConfig::from_toml_str("seed = 1", Path::new("x")).is_err());
    }

    #[test]
    fn probability_switch() {
        let spec: ModelSpec =
            serde_json::from_value(serde_json::json!({"kind": "svm", "probability": true}))
                .unwrap();
        match without_probability(&spec) {
            ModelSpec::Svm(p) => assert!(!p.probability),
            other => panic!("{other:?}"),
        }
    }
}
