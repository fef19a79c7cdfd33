//! Nested, speaker-grouped grid search over feature tables (`cargo xtask grid-search`).
//!
//! [`GridJob::load`] reads and checks the config and its tables (so a front-end can say what it is
//! about to run), [`GridJob::run`] runs the search and writes every report file.

use std::path::{Path, PathBuf};

use ser_eval::report::Written;
use ser_eval::{CheckedConfig, Dataset, GridConfig, GridOutcome};

use ser_features::FeatureTable;

use crate::augment::{AugmentPlan, attach, augmented_table_path};
use crate::tables::dataset_of;
use crate::{Error, Result};

/// A loaded grid search, ready to run.
#[derive(Debug)]
pub struct GridJob {
    /// The config file.
    pub config_path: PathBuf,
    /// The validated config (candidates expanded).
    pub config: CheckedConfig,
    /// The rows of every table the config names, concatenated.
    pub data: Dataset,
    /// Output folder of the reports.
    pub out: PathBuf,
}

/// What [`GridJob::run`] produced.
#[derive(Debug)]
pub struct GridResult {
    /// The rows evaluated (after the config's emotion filter).
    pub data: Dataset,
    /// Scores, choices and predictions.
    pub outcome: GridOutcome,
    /// The report files.
    pub written: Written,
}

impl GridJob {
    /// Reads `config_path` and the tables it names: from `features` when given, else the config's
    /// `features_dir`, else `out/features`. Reports go to `out`, else `out/grid/<config stem>`.
    pub fn load(config_path: &Path, features: Option<&Path>, out: Option<&Path>) -> Result<Self> {
        let cfg = GridConfig::from_toml_file(config_path)?;
        let checked = cfg.check()?;
        let features_dir = features
            .map(Path::to_path_buf)
            .or_else(|| cfg.features_dir.clone())
            .unwrap_or_else(|| PathBuf::from("out/features"));
        if cfg.tables.is_empty() {
            return Err(Error::config(config_path.display(), "no [[tables]] given"));
        }
        let plan = match &cfg.augment {
            Some(v) => {
                let plan = AugmentPlan::from_value(v, config_path)?;
                plan.check()?;
                Some(plan)
            }
            None => None,
        };
        let mut parts = Vec::new();
        for spec in &cfg.tables {
            let path = spec.resolve(Path::new("."), &features_dir)?;
            if !path.exists() {
                return Err(Error::NotFound {
                    what: "feature table",
                    path,
                    hint: crate::tables::PREPARE_HINT.into(),
                });
            }
            let table = FeatureTable::read_parquet(&path)?;
            let mut data = dataset_of(&table, &path)?;
            if let Some(plan) = &plan {
                let aug = augmented_table_path(&path, &plan.id(table.config_hash()));
                if !aug.exists() {
                    return Err(Error::NotFound {
                        what: "augmented feature table",
                        path: aug,
                        hint: format!(
                            " (run `cargo xtask prepare --augment {}` with the same corpora and \
                             feature set first)",
                            config_path.display()
                        ),
                    });
                }
                data = attach(data, &aug)?;
            }
            parts.push(data);
        }
        let stem = config_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "grid".into());
        Ok(GridJob {
            config_path: config_path.to_path_buf(),
            config: checked,
            data: Dataset::concat(&parts)?,
            out: out
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("out/grid").join(stem)),
        })
    }

    /// Runs the nested search (`progress(fits done, fits total)`) and writes the reports.
    pub fn run(&self, progress: ser_eval::cv::Progress<'_>) -> Result<GridResult> {
        let (data, outcome) = ser_eval::run_grid_search(&self.data, &self.config, progress)?;
        let written = ser_eval::report::write_all(&outcome, &data, &self.out)?;
        Ok(GridResult {
            data,
            outcome,
            written,
        })
    }
}

impl GridJob {
    /// Settings for the model to ship after a search: the candidate the inner searches chose
    /// most often over the outer folds of the best protocol a model file can carry (training or
    /// per-speaker statistics; ties: the earlier candidate), with that protocol's normalisation,
    /// the config's class weighting, minimum utterances and seed. The outer folds' test
    /// speakers only scored the choices, so nothing is tuned on them.
    pub fn final_settings(&self, result: &GridResult) -> Result<crate::train::TrainSettings> {
        let best = result
            .outcome
            .nested
            .iter()
            .filter(|n| n.normalisation.model_file())
            .max_by(|a, b| a.pooled.uar.total_cmp(&b.pooled.uar))
            .ok_or_else(|| {
                Error::Input(
                    "the grid search ran per_corpus normalisation only, which a model file \
                     cannot carry"
                        .into(),
                )
            })?;
        let count = |label: &str| best.chosen.iter().filter(|c| c.1 == label).count();
        let candidate = self
            .config
            .candidates
            .iter()
            .filter(|c| count(&c.label) > 0)
            .max_by(|a, b| {
                // max_by keeps the last maximum: compare so the earlier candidate wins ties.
                count(&a.label)
                    .cmp(&count(&b.label))
                    .then(std::cmp::Ordering::Greater)
            })
            .ok_or_else(|| Error::Input("the grid search chose no candidate".into()))?;
        crate::train::check_projection(&candidate.spec, best.normalisation)?;
        let raw = &self.config.raw;
        // The search's copies go into the model too, except under per-speaker statistics,
        // which a model file would fit on the copies as well (`train` refuses that pairing).
        let augment = match (&raw.augment, best.normalisation) {
            (Some(v), ser_eval::Normalisation::Training) => {
                Some(AugmentPlan::from_value(v, &self.config_path)?)
            }
            _ => None,
        };
        Ok(crate::train::TrainSettings {
            model: candidate.spec.clone(),
            normalisation: best.normalisation,
            scaler: candidate.scaler_or(raw.scaler),
            class_weight: raw.class_weight,
            seed: raw.seed,
            min_utterances: raw.min_utterances_per_speaker,
            augment,
        })
    }
}
