//! `cargo xtask train`: fit one pipeline (normalisation, scaler, classifier) on feature tables
//! written by `cargo xtask prepare` and save it as one model file (`ser_models::Pipeline`).
//!
//! ```text
//! cargo xtask train --features out/features --corpus emodb --model svm --set c=10 --out model.json
//! cargo xtask train --features out/features --config configs/train_svm.toml --out model.json
//! ```
//!
//! Hyper-parameters: `--set key=value` (repeatable; values are read as JSON when they parse,
//! else as strings: `--set c=10 --set gamma=scale --set hidden_layers=[128,64]`) on top of the
//! defaults of `--model KIND`, or a TOML file `--config FILE`:
//!
//! ```toml
//! normalisation = "training"     # or "per_speaker"
//! scaler = "standard"            # none | standard | robust | min_max | quantile
//! class_weight = "balanced"      # none | balanced
//! seed = 42
//! [model]
//! kind = "svm"
//! c = 10.0
//! ```
//!
//! Command-line flags override the file. The model file records the feature set's full
//! configuration (so `predict` can extract the same features from audio), the training speakers,
//! corpora, seed and the resubstitution UAR (optimistic; use `grid-search` for an estimate).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use ser_eval::Dataset;
use ser_features::{FeatureSet, FeatureTable};
use ser_models::{ClassWeight, FitOptions, ModelSpec, Pipeline, PipelineData, ScalerSpec};
use serde::Deserialize;

use crate::grid_search::dataset_of;

/// Note key of the feature-set configuration (JSON of `ser_features::FeatureSetConfig`).
pub const NOTE_FEATURE_SET_CONFIG: &str = "feature_set_config";
/// Note key of the feature-set configuration hash of the training tables.
pub const NOTE_FEATURE_CONFIG_HASH: &str = "feature_config_hash";

/// Which normalisation protocol the pipeline applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Normalisation {
    /// Scaler statistics from the training rows only.
    Training,
    /// Each speaker standardised with its own utterances first (needs speaker ids at predict time).
    PerSpeaker,
}

/// Contents of `--config FILE` (all optional except the model).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrainConfig {
    model: Option<ModelSpec>,
    normalisation: Option<Normalisation>,
    scaler: Option<ScalerSpec>,
    class_weight: Option<ClassWeight>,
    seed: Option<u64>,
    min_utterances: Option<usize>,
}

/// Arguments of `train`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder of `<corpus>.<feature_set>.parquet` tables, or one `.parquet` file.
    #[arg(long, default_value = "out/features")]
    pub features: PathBuf,
    /// Corpora to train on (tables `<corpus>.<feature_set>.parquet`); repeatable. Default: every
    /// table of the feature set in the folder.
    #[arg(long = "corpus", num_args = 1..)]
    pub corpora: Vec<String>,
    /// Feature set: a built-in name or a TOML file (default: the tables' set, `default`).
    #[arg(long)]
    pub feature_set: Option<String>,
    /// Classifier: svm, logistic_regression, knn, naive_bayes, random_forest, gradient_boosting, mlp.
    #[arg(long)]
    pub model: Option<String>,
    /// Hyper-parameter `key=value` of the model (repeatable), e.g. `c=10`, `kernel=linear`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// TOML file with `[model]` and optional normalisation/scaler/class_weight/seed.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Normalisation protocol [default: training].
    #[arg(long, value_enum)]
    pub normalisation: Option<Normalisation>,
    /// Scaler fitted on the (normalised) training rows [default: standard].
    #[arg(long, value_parser = parse_scaler)]
    pub scaler: Option<ScalerSpec>,
    /// Class weighting [default: balanced].
    #[arg(long, value_parser = parse_class_weight)]
    pub class_weight: Option<ClassWeight>,
    /// Seed of every random choice [default: 42].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Minimum utterances per speaker for per-speaker normalisation [default: 5].
    #[arg(long)]
    pub min_utterances: Option<usize>,
    /// Output model file (written through a temporary file and a rename).
    #[arg(long, default_value = "out/model.json")]
    pub out: PathBuf,
}

fn parse_snake<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(s.replace('-', "_")))
        .map_err(|e| format!("{s:?}: {e}"))
}

fn parse_scaler(s: &str) -> Result<ScalerSpec, String> {
    parse_snake(s)
}

fn parse_class_weight(s: &str) -> Result<ClassWeight, String> {
    parse_snake(s)
}

/// Builds a model spec from a kind and `key=value` pairs (values as JSON when they parse).
pub fn model_spec(
    kind: &str,
    base: Option<&ModelSpec>,
    pairs: &[String],
) -> anyhow::Result<ModelSpec> {
    let mut obj = match base {
        Some(b) if b.kind() == kind => match serde_json::to_value(b)? {
            serde_json::Value::Object(m) => m,
            _ => serde_json::Map::new(),
        },
        _ => serde_json::Map::new(),
    };
    obj.insert(
        "kind".into(),
        serde_json::Value::String(kind.replace('-', "_")),
    );
    for p in pairs {
        let (k, v) = p
            .split_once('=')
            .with_context(|| format!("--set {p:?}: expected KEY=VALUE"))?;
        let value = serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.into()));
        obj.insert(k.trim().replace('-', "_"), value);
    }
    let spec: ModelSpec = serde_json::from_value(serde_json::Value::Object(obj))
        .with_context(|| format!("model {kind:?} with parameters {pairs:?}"))?;
    spec.check()?;
    Ok(spec)
}

/// Rows of one or more feature tables, concatenated.
pub struct Tables {
    /// Matrix, feature names, emotions (`labels`), speakers, paths and corpora of every row.
    pub data: Dataset,
    pub feature_set: String,
    pub config_hash: String,
    pub files: Vec<PathBuf>,
}

/// Table files to read: `features` itself when it is a file, else the corpora's tables of
/// `feature_set` (every `*.<feature_set>.parquet` when no corpus is named).
pub fn table_files(
    features: &Path,
    corpora: &[String],
    feature_set: &str,
) -> anyhow::Result<Vec<PathBuf>> {
    if features.is_file() {
        return Ok(vec![features.to_path_buf()]);
    }
    if !features.is_dir() {
        bail!(
            "feature tables {} not found (run `cargo xtask prepare` first or pass --features DIR)",
            features.display()
        );
    }
    let files: Vec<PathBuf> = if corpora.is_empty() {
        let suffix = format!(".{feature_set}.parquet");
        let mut v: Vec<PathBuf> = std::fs::read_dir(features)
            .with_context(|| format!("listing {}", features.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(&suffix))
            })
            .collect();
        v.sort();
        v
    } else {
        corpora
            .iter()
            .map(|c| features.join(format!("{c}.{feature_set}.parquet")))
            .collect()
    };
    if files.is_empty() {
        bail!(
            "no {feature_set:?} feature tables in {} (run `cargo xtask prepare`)",
            features.display()
        );
    }
    for f in &files {
        if !f.is_file() {
            bail!(
                "feature table {} not found (run `cargo xtask prepare --corpus ...`)",
                f.display()
            );
        }
    }
    Ok(files)
}

/// Reads and concatenates tables; all must have the same feature names.
pub fn read_tables(files: &[PathBuf]) -> anyhow::Result<Tables> {
    let mut parts = Vec::with_capacity(files.len());
    let mut meta: Option<(String, String)> = None;
    for f in files {
        let t = FeatureTable::read_parquet(f)
            .with_context(|| format!("reading feature table {}", f.display()))?;
        meta.get_or_insert_with(|| {
            (
                t.feature_set_name().to_string(),
                t.config_hash().to_string(),
            )
        });
        parts.push(dataset_of(&t, f)?);
    }
    let (feature_set, config_hash) = meta.context("no feature tables given")?;
    Ok(Tables {
        data: Dataset::concat(&parts).with_context(|| {
            format!("feature tables {files:?} (another feature set or revision?)")
        })?,
        feature_set,
        config_hash,
        files: files.to_vec(),
    })
}

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        let start = Instant::now();
        let cfg: Option<TrainConfig> = match &self.config {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))?;
                Some(toml::from_str(&text).with_context(|| format!("parsing {}", p.display()))?)
            }
            None => None,
        };
        let cfg_model = cfg.as_ref().and_then(|c| c.model.clone());
        let spec = match (&self.model, &cfg_model) {
            (Some(kind), base) => model_spec(kind, base.as_ref(), &self.set)?,
            (None, Some(base)) => model_spec(base.kind(), Some(base), &self.set)?,
            (None, None) => bail!(
                "give --model KIND (svm, logistic_regression, knn, naive_bayes, random_forest, gradient_boosting, mlp) or --config FILE with a [model] table"
            ),
        };
        let normalisation = self
            .normalisation
            .or(cfg.as_ref().and_then(|c| c.normalisation))
            .unwrap_or(Normalisation::Training);
        let scaler = self
            .scaler
            .or(cfg.as_ref().and_then(|c| c.scaler))
            .unwrap_or(ScalerSpec::Standard);
        let class_weight = self
            .class_weight
            .or(cfg.as_ref().and_then(|c| c.class_weight))
            .unwrap_or(ClassWeight::Balanced);
        let seed = self
            .seed
            .or(cfg.as_ref().and_then(|c| c.seed))
            .unwrap_or(42);
        let min_utterances = self
            .min_utterances
            .or(cfg.as_ref().and_then(|c| c.min_utterances))
            .unwrap_or(5);

        let set_name = self.feature_set.clone().unwrap_or_else(|| "default".into());
        let set_stem = Path::new(&set_name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| set_name.clone());
        let set = match FeatureSet::resolve(&set_name) {
            Ok(s) => Some(s),
            Err(e) if self.feature_set.is_some() => {
                return Err(e).with_context(|| format!("feature set {set_name:?}"));
            }
            Err(_) => None,
        };
        let table_set = set
            .as_ref()
            .map(|s| s.name().to_string())
            .unwrap_or(set_stem);
        let files = table_files(&self.features, &self.corpora, &table_set)?;
        let t = read_tables(&files)?;
        // The feature set whose configuration goes into the model file.
        let set = match set {
            Some(s) if s.name() == t.feature_set => Some(s),
            _ => FeatureSet::resolve(&t.feature_set).ok(),
        };
        let mut notes = BTreeMap::new();
        match &set {
            Some(s) if s.names(s.sample_rate_hz()) == t.data.feature_names => {
                if s.config_hash() != t.config_hash {
                    eprintln!(
                        "warning: tables were written with feature config {} but feature set {:?} is now {}; \
                         audio given to `predict` will be extracted with the current configuration",
                        t.config_hash,
                        s.name(),
                        s.config_hash()
                    );
                }
                notes.insert(
                    NOTE_FEATURE_SET_CONFIG.to_string(),
                    serde_json::to_string(s.config())?,
                );
            }
            _ => eprintln!(
                "warning: feature set {:?} of the tables is not known here (pass --feature-set FILE.toml); \
                 the model can predict from feature tables but not from audio",
                t.feature_set
            ),
        }
        notes.insert(NOTE_FEATURE_CONFIG_HASH.to_string(), t.config_hash.clone());
        notes.insert(
            "tables".to_string(),
            files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        );
        notes.insert(
            "command".to_string(),
            std::env::args().collect::<Vec<_>>().join(" "),
        );

        let (labels, y) = encode_labels(&t.data.labels);
        let opts = FitOptions {
            seed,
            class_weight,
            groups: Some(t.data.speakers.clone()),
        };
        println!(
            "training {} on {} rows x {} features ({} speakers, corpora {:?}), labels {:?}, \
             normalisation {:?}, scaler {:?}, class weight {:?}, seed {seed}",
            spec.kind(),
            t.data.x.nrows(),
            t.data.x.ncols(),
            {
                let mut s = t.data.speakers.clone();
                s.sort();
                s.dedup();
                s.len()
            },
            {
                let mut c = t.data.corpora.clone();
                c.sort();
                c.dedup();
                c
            },
            labels,
            normalisation,
            scaler,
            class_weight
        );
        let fit_start = Instant::now();
        let data = PipelineData {
            x: t.data.x.view(),
            y: &y,
            labels: &labels,
            feature_names: &t.data.feature_names,
            feature_set: &t.feature_set,
            speakers: Some(&t.data.speakers),
            corpora: Some(&t.data.corpora),
        };
        let mut pipeline = Pipeline::fit(
            data,
            scaler,
            normalisation == Normalisation::PerSpeaker,
            min_utterances,
            &spec,
            &opts,
        )?;
        let fit_s = fit_start.elapsed().as_secs_f64();
        let pred = pipeline.predict(
            t.data.x.view(),
            &t.data.feature_names,
            Some(&t.data.speakers),
        )?;
        let train_uar = ser_eval::metrics::uar(&y, &pred.classes, labels.len())?;
        pipeline
            .summary
            .metrics
            .insert("train_uar_resubstitution".into(), train_uar);
        pipeline.summary.metrics.insert("fit_s".into(), fit_s);
        pipeline.summary.notes = notes;
        if let Some(dir) = self.out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        pipeline.save(&self.out)?;
        println!("model: {}", serde_json::to_string(&spec)?);
        for (label, n) in labels.iter().zip(&pipeline.summary.rows_per_label) {
            println!("  {label:<10} {n:>6} rows");
        }
        println!(
            "fit {fit_s:.2} s; training-set UAR {train_uar:.4} (resubstitution, optimistic: use \
             `cargo xtask grid-search` for a speaker-independent estimate)"
        );
        println!(
            "wrote {} ({:.1} s total)",
            self.out.display(),
            start.elapsed().as_secs_f64()
        );
        Ok(())
    }
}

/// Sorted distinct labels and each row's index into them.
pub(crate) fn encode_labels(names: &[String]) -> (Vec<String>, Vec<usize>) {
    let mut labels = names.to_vec();
    labels.sort();
    labels.dedup();
    let y = names
        .iter()
        .map(|e| labels.binary_search(e).unwrap_or(0))
        .collect();
    (labels, y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_pairs_override_defaults() {
        let s = model_spec("svm", None, &["c=10".into(), "kernel=linear".into()]).expect("spec");
        let ModelSpec::Svm(p) = s else {
            panic!("not an svm")
        };
        assert_eq!(p.c, 10.0);
        assert_eq!(p.kernel, ser_models::KernelKind::Linear);
        assert!(model_spec("svm", None, &["c=-1".into()]).is_err());
        assert!(model_spec("svm", None, &["nope=1".into()]).is_err());
        let m = model_spec("mlp", None, &["hidden_layers=[8,4]".into()]).expect("mlp");
        let ModelSpec::Mlp(p) = m else {
            panic!("not an mlp")
        };
        assert_eq!(p.hidden_layers, vec![8, 4]);
    }
}
