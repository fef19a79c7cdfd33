//! A deep model next to a classical pipeline, and their late fusion, on the same
//! speaker-independent folds (`cargo xtask fusion --config configs/deep/<...>.toml`).
//!
//! ```toml
//! name = "EMO-DB LOSO: cnn_attention vs logistic regression"
//! seed = 42
//! class_weight = "balanced"
//! outer = { kind = "leave_one_speaker_out" }
//! deep_weight = 0.5                 # fused posterior = w * deep + (1 - w) * classical
//! # folds = [0, 1]                  # run only these folds (0-based, split order); default all
//! [deep]
//! corpus = "emodb"
//! feature_set = "logmel"            # a sequence set (prepare it first)
//! scaler = "none"                   # the network standardises its bands itself
//! model = { kind = "deep", architecture = "cnn_attention" }
//! [classical]
//! corpus = "emodb"
//! feature_set = "default"
//! scaler = "standard"
//! model = { kind = "logistic_regression", c = 0.1 }
//! ```
//!
//! Rows are paired by audio path (utterances in both tables). In every fold both pipelines are
//! fitted on the same training speakers (the deep model's early-stopping speakers are drawn from
//! them), and the test speakers are predicted by each and by the weighted mean of their
//! posteriors. Results are written after every fold (`results.json`, `report.md`,
//! `predictions.csv`, `training_curves.png`), so a run stopped early keeps the folds done.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ndarray::{Array2, Axis};
use ser_eval::metrics::{self, Metrics};
use ser_eval::plot::{TrainingCurve, training_curve_png};
use ser_eval::{Dataset, SplitSpec};
use ser_models::{
    ClassWeight, DeepModel, FitOptions, ModelSpec, Pipeline, PipelineData, ScalerSpec,
};
use serde::{Deserialize, Serialize};

use crate::tables::{encode_labels, read_tables, table_files};
use crate::{Error, Result};

fn default_seed() -> u64 {
    42
}
fn default_weight() -> f64 {
    0.5
}
fn balanced() -> ClassWeight {
    ClassWeight::Balanced
}

/// One side of the comparison: which table, which scaler, which model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// Corpus whose table to read (`<features>/<corpus>.<feature_set>.parquet`).
    pub corpus: String,
    /// Feature set of the table.
    pub feature_set: String,
    /// Scaler fitted on the training rows [default: standard].
    #[serde(default)]
    pub scaler: ScalerSpec,
    /// The model.
    pub model: ModelSpec,
}

/// The configuration (module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FusionConfig {
    #[serde(default)]
    pub name: String,
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default = "balanced")]
    pub class_weight: ClassWeight,
    /// The speaker-independent split.
    pub outer: SplitSpec,
    /// Labels to keep (others dropped) [default: all].
    #[serde(default)]
    pub emotions: Option<Vec<String>>,
    /// Weight of the deep model's posteriors in the fusion, in [0, 1].
    #[serde(default = "default_weight")]
    pub deep_weight: f64,
    /// Only these folds (0-based) [default: all].
    #[serde(default)]
    pub folds: Option<Vec<usize>>,
    pub deep: Member,
    pub classical: Member,
}

impl FusionConfig {
    /// Reads a TOML file.
    pub fn from_toml_file(path: &Path) -> Result<Self> {
        let text = crate::error::read_text(path)?;
        let c: FusionConfig =
            toml::from_str(&text).map_err(|e| Error::config(path.display(), e))?;
        if !(0.0..=1.0).contains(&c.deep_weight) {
            return Err(Error::config(
                path.display(),
                format_args!("deep_weight must be in [0, 1], got {}", c.deep_weight),
            ));
        }
        Ok(c)
    }
}

/// Figures of one fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldResult {
    pub fold: usize,
    pub name: String,
    pub n_train: usize,
    pub n_test: usize,
    /// Seconds to fit the deep pipeline (the network's training, early stopping included).
    pub deep_fit_s: f64,
    pub classical_fit_s: f64,
    /// Epochs trained and the epoch kept.
    pub deep_epochs: usize,
    pub deep_best_epoch: usize,
    /// Training speakers the deep model held out for early stopping.
    pub deep_validation_speakers: Vec<String>,
    pub uar_deep: f64,
    pub uar_classical: f64,
    pub uar_fused: f64,
    /// The deep model's training curve: (epoch, training loss, validation loss, validation UAR).
    pub curve: Vec<(usize, f64, f64, f64)>,
}

/// Pooled figures of one system over the folds run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pooled {
    pub uar: f64,
    pub accuracy: f64,
    pub macro_f1: f64,
    /// Mean and standard deviation of the per-fold UAR.
    pub fold_uar_mean: f64,
    pub fold_uar_std: f64,
}

/// Everything `results.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FusionResult {
    pub config: FusionConfig,
    pub split: String,
    pub labels: Vec<String>,
    /// Rows in both tables (after the emotion filter), and rows of either table left out
    /// because the other lacks them.
    pub n_rows: usize,
    pub unpaired_rows: usize,
    pub n_folds_total: usize,
    pub folds: Vec<FoldResult>,
    pub deep: Option<Pooled>,
    pub classical: Option<Pooled>,
    pub fused: Option<Pooled>,
    pub deep_fit_s_mean: f64,
    pub elapsed_s: f64,
}

/// One test prediction, for `predictions.csv`.
#[derive(Debug, Clone)]
struct TestRow {
    row: usize,
    fold: usize,
    deep: Vec<f32>,
    classical: Vec<f32>,
}

/// A loaded comparison, ready to run.
#[derive(Debug)]
pub struct FusionJob {
    pub config: FusionConfig,
    pub out: PathBuf,
    deep: Dataset,
    classical: Dataset,
    deep_set: String,
    classical_set: String,
    unpaired: usize,
}

fn load_member(features: &Path, m: &Member) -> Result<(Dataset, String)> {
    let files = table_files(features, std::slice::from_ref(&m.corpus), &m.feature_set)?;
    let t = read_tables(&files)?;
    Ok((t.data, t.feature_set))
}

impl FusionJob {
    /// Reads the config and both tables and pairs their rows by path.
    pub fn load(config: &Path, features: &Path, out: &Path) -> Result<FusionJob> {
        let config = FusionConfig::from_toml_file(config)?;
        let (mut deep, deep_set) = load_member(features, &config.deep)?;
        let (mut classical, classical_set) = load_member(features, &config.classical)?;
        if let Some(keep) = &config.emotions {
            deep = deep.filter_labels(keep);
            classical = classical.filter_labels(keep);
        }
        let index: HashMap<&str, usize> = classical
            .paths
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str(), i))
            .collect();
        let (mut dr, mut cr) = (Vec::new(), Vec::new());
        for (i, p) in deep.paths.iter().enumerate() {
            if let Some(&j) = index.get(p.as_str()) {
                dr.push(i);
                cr.push(j);
            }
        }
        if dr.is_empty() {
            return Err(Error::Input(format!(
                "the {} and {} tables of {} share no audio path",
                deep_set, classical_set, config.deep.corpus
            )));
        }
        let unpaired = deep.n_rows() + classical.n_rows() - 2 * dr.len();
        let (deep, classical) = (deep.subset(&dr), classical.subset(&cr));
        Ok(FusionJob {
            config,
            out: out.to_path_buf(),
            deep,
            classical,
            deep_set,
            classical_set,
            unpaired,
        })
    }

    /// Rows paired in both tables.
    pub fn n_rows(&self) -> usize {
        self.deep.n_rows()
    }

    /// Runs the folds; `progress(done, total, last)` after each.
    pub fn run(&self, progress: &dyn Fn(usize, usize, &FoldResult)) -> Result<FusionResult> {
        let started = Instant::now();
        let c = &self.config;
        let (labels, y) = encode_labels(&self.deep)?;
        let k = labels.len();
        let folds = c
            .outer
            .folds(&self.deep.speakers, &y, &self.deep.corpora, c.seed)?;
        let chosen: Vec<usize> = match &c.folds {
            Some(f) => {
                if let Some(bad) = f.iter().find(|&&i| i >= folds.len()) {
                    return Err(Error::Input(format!(
                        "fold {bad} asked for, the split has {} folds (0-based)",
                        folds.len()
                    )));
                }
                f.clone()
            }
            None => (0..folds.len()).collect(),
        };
        let mut results = Vec::new();
        let mut tests: Vec<TestRow> = Vec::new();
        let mut out = FusionResult {
            config: c.clone(),
            split: c.outer.describe(),
            labels: labels.clone(),
            n_rows: self.n_rows(),
            unpaired_rows: self.unpaired,
            n_folds_total: folds.len(),
            folds: Vec::new(),
            deep: None,
            classical: None,
            fused: None,
            deep_fit_s_mean: f64::NAN,
            elapsed_s: 0.0,
        };
        for (done, &fi) in chosen.iter().enumerate() {
            let fold = &folds[fi];
            let (pd, deep_fit_s, deep_model) = self.fit_predict(
                &self.deep,
                &self.deep_set,
                &c.deep,
                &fold.train,
                &fold.test,
                &y,
                &labels,
            )?;
            let (pc, classical_fit_s, _) = self.fit_predict(
                &self.classical,
                &self.classical_set,
                &c.classical,
                &fold.train,
                &fold.test,
                &y,
                &labels,
            )?;
            let truth: Vec<usize> = fold.test.iter().map(|&i| y[i]).collect();
            let fused = fuse(&pd, &pc, c.deep_weight)?;
            let argmax = |p: &Array2<f32>| -> Vec<usize> {
                p.rows()
                    .into_iter()
                    .map(|r| {
                        r.iter()
                            .enumerate()
                            .fold(
                                (0, f32::NEG_INFINITY),
                                |b, (i, &v)| if v > b.1 { (i, v) } else { b },
                            )
                            .0
                    })
                    .collect()
            };
            let dm = deep_model.as_ref();
            let r = FoldResult {
                fold: fi,
                name: fold.name.clone(),
                n_train: fold.train.len(),
                n_test: fold.test.len(),
                deep_fit_s,
                classical_fit_s,
                deep_epochs: dm.map_or(0, |m| m.history.len()),
                deep_best_epoch: dm.map_or(0, |m| m.best_epoch),
                deep_validation_speakers: dm
                    .map(|m| m.validation_groups.clone())
                    .unwrap_or_default(),
                uar_deep: metrics::uar(&truth, &argmax(&pd), k)?,
                uar_classical: metrics::uar(&truth, &argmax(&pc), k)?,
                uar_fused: metrics::uar(&truth, &argmax(&fused), k)?,
                curve: dm
                    .map(|m| {
                        m.history
                            .iter()
                            .map(|e| (e.epoch, e.train_loss, e.val_loss, e.val_uar))
                            .collect()
                    })
                    .unwrap_or_default(),
            };
            for (t, &row) in fold.test.iter().enumerate() {
                tests.push(TestRow {
                    row,
                    fold: fi,
                    deep: pd.row(t).to_vec(),
                    classical: pc.row(t).to_vec(),
                });
            }
            results.push(r.clone());
            out.folds = results.clone();
            out.elapsed_s = started.elapsed().as_secs_f64();
            self.summarise(&mut out, &tests, &y, k)?;
            self.write(&out, &tests, &labels)?;
            progress(done + 1, chosen.len(), &r);
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn fit_predict(
        &self,
        data: &Dataset,
        feature_set: &str,
        m: &Member,
        train: &[usize],
        test: &[usize],
        y: &[usize],
        labels: &[String],
    ) -> Result<(Array2<f32>, f64, Option<DeepModel>)> {
        let xtr = data.x.select(Axis(0), train);
        let ytr: Vec<usize> = train.iter().map(|&i| y[i]).collect();
        let str_: Vec<String> = train.iter().map(|&i| data.speakers[i].clone()).collect();
        let opts = FitOptions {
            seed: self.config.seed,
            class_weight: self.config.class_weight,
            groups: Some(str_.clone()),
        };
        let t = Instant::now();
        let p = Pipeline::fit(
            PipelineData {
                x: xtr.view(),
                y: &ytr,
                labels,
                feature_names: &data.feature_names,
                feature_set,
                speakers: Some(&str_),
                corpora: None,
            },
            m.scaler,
            ser_models::SpeakerNorm::None,
            2,
            &m.model,
            &opts,
        )?;
        let fit_s = t.elapsed().as_secs_f64();
        let xte = data.x.select(Axis(0), test);
        let pred = p.predict(xte.view(), &data.feature_names, None)?;
        let proba = pred.proba.ok_or_else(|| {
            Error::Input(format!(
                "{} gives no probabilities: late fusion needs them (an SVM needs probability = true)",
                m.model.kind()
            ))
        })?;
        let deep = p
            .model
            .fitted()
            .as_any()
            .downcast_ref::<DeepModel>()
            .cloned();
        Ok((proba, fit_s, deep))
    }

    fn summarise(
        &self,
        out: &mut FusionResult,
        tests: &[TestRow],
        y: &[usize],
        k: usize,
    ) -> Result<()> {
        let truth: Vec<usize> = tests.iter().map(|t| y[t.row]).collect();
        let pick = |f: &dyn Fn(&TestRow) -> Vec<f32>| -> Vec<usize> {
            tests
                .iter()
                .map(|t| {
                    f(t).iter()
                        .enumerate()
                        .fold(
                            (0, f32::NEG_INFINITY),
                            |b, (i, &v)| if v > b.1 { (i, v) } else { b },
                        )
                        .0
                })
                .collect()
        };
        let w = self.config.deep_weight as f32;
        let pooled = |pred: Vec<usize>, per_fold: Vec<f64>| -> Result<Pooled> {
            let m: Metrics = metrics::evaluate(&truth, &pred, k)?;
            let (mean, std) = metrics::mean_std(&per_fold);
            Ok(Pooled {
                uar: m.uar,
                accuracy: m.accuracy,
                macro_f1: m.macro_f1,
                fold_uar_mean: mean,
                fold_uar_std: std,
            })
        };
        out.deep = Some(pooled(
            pick(&|t| t.deep.clone()),
            out.folds.iter().map(|f| f.uar_deep).collect(),
        )?);
        out.classical = Some(pooled(
            pick(&|t| t.classical.clone()),
            out.folds.iter().map(|f| f.uar_classical).collect(),
        )?);
        out.fused = Some(pooled(
            pick(&|t| {
                t.deep
                    .iter()
                    .zip(&t.classical)
                    .map(|(d, c)| w * d + (1.0 - w) * c)
                    .collect()
            }),
            out.folds.iter().map(|f| f.uar_fused).collect(),
        )?);
        out.deep_fit_s_mean =
            out.folds.iter().map(|f| f.deep_fit_s).sum::<f64>() / out.folds.len().max(1) as f64;
        Ok(())
    }

    fn write(&self, r: &FusionResult, tests: &[TestRow], labels: &[String]) -> Result<()> {
        let json = serde_json::to_vec_pretty(r)
            .map_err(|e| Error::Input(format!("serialising results: {e}")))?;
        ser_fs::write_bytes(&self.out.join("results.json"), &json)?;
        ser_fs::write_bytes(&self.out.join("report.md"), report_md(r).as_bytes())?;
        let mut csv = String::from("path,speaker,fold,truth,deep,classical,fused");
        for l in labels {
            csv.push_str(&format!(",p_deep_{l}"));
        }
        for l in labels {
            csv.push_str(&format!(",p_classical_{l}"));
        }
        csv.push('\n');
        let w = self.config.deep_weight as f32;
        let arg = |v: &[f32]| {
            v.iter()
                .enumerate()
                .fold(
                    (0, f32::NEG_INFINITY),
                    |b, (i, &x)| if x > b.1 { (i, x) } else { b },
                )
                .0
        };
        for t in tests {
            let fused: Vec<f32> = t
                .deep
                .iter()
                .zip(&t.classical)
                .map(|(d, c)| w * d + (1.0 - w) * c)
                .collect();
            csv.push_str(&format!(
                "\"{}\",{},{},{},{},{},{}",
                self.deep.paths[t.row].replace('"', "\"\""),
                self.deep.speakers[t.row],
                t.fold,
                self.deep.labels[t.row],
                labels[arg(&t.deep)],
                labels[arg(&t.classical)],
                labels[arg(&fused)]
            ));
            for v in t.deep.iter().chain(&t.classical) {
                csv.push_str(&format!(",{v}"));
            }
            csv.push('\n');
        }
        ser_fs::write_bytes(&self.out.join("predictions.csv"), csv.as_bytes())?;
        let curves: Vec<TrainingCurve> = r
            .folds
            .iter()
            .filter(|f| !f.curve.is_empty())
            .map(|f| TrainingCurve {
                label: f.name.clone(),
                epochs: f.curve.clone(),
            })
            .collect();
        if !curves.is_empty() {
            training_curve_png(
                &self.out.join("training_curves.png"),
                &curves,
                &format!(
                    "{}: training curves per fold",
                    deep_label(&r.config.deep.model)
                ),
            )?;
        }
        Ok(())
    }
}

/// `w * deep + (1 - w) * classical`, row by row (both `(rows, classes)`).
pub fn fuse(deep: &Array2<f32>, classical: &Array2<f32>, deep_weight: f64) -> Result<Array2<f32>> {
    if deep.dim() != classical.dim() {
        return Err(Error::Input(format!(
            "late fusion: posteriors of shape {:?} and {:?}",
            deep.dim(),
            classical.dim()
        )));
    }
    let w = deep_weight as f32;
    Ok(deep * w + classical * (1.0 - w))
}

fn deep_label(spec: &ModelSpec) -> String {
    match spec {
        ModelSpec::Deep(p) => p.architecture.as_str().to_string(),
        other => other.kind().to_string(),
    }
}

fn report_md(r: &FusionResult) -> String {
    let c = &r.config;
    let mut s = format!(
        "# {}\n\nSplit: {} ({} of {} folds run). Rows: {} (paired by path; {} unpaired rows left out). \
         Seed {}, class weights {:?}.\n\n",
        if c.name.is_empty() {
            "Deep vs classical"
        } else {
            &c.name
        },
        r.split,
        r.folds.len(),
        r.n_folds_total,
        r.n_rows,
        r.unpaired_rows,
        c.seed,
        c.class_weight
    );
    s.push_str(&format!(
        "- deep: `{}` on `{}` ({}), scaler {:?}\n- classical: `{}` on `{}`, scaler {:?}\n- fusion: {} × deep + {} × classical posteriors\n\n",
        serde_json::to_string(&c.deep.model).unwrap_or_default(),
        c.deep.feature_set,
        deep_label(&c.deep.model),
        c.deep.scaler,
        serde_json::to_string(&c.classical.model).unwrap_or_default(),
        c.classical.feature_set,
        c.classical.scaler,
        c.deep_weight,
        1.0 - c.deep_weight
    ));
    s.push_str("| system | UAR (pooled) | fold UAR mean ± std | accuracy | macro-F1 |\n|---|---:|---:|---:|---:|\n");
    for (name, p) in [
        ("deep", &r.deep),
        ("classical", &r.classical),
        ("fusion", &r.fused),
    ] {
        if let Some(p) = p {
            s.push_str(&format!(
                "| {name} | {:.3} | {:.3} ± {:.3} | {:.3} | {:.3} |\n",
                p.uar, p.fold_uar_mean, p.fold_uar_std, p.accuracy, p.macro_f1
            ));
        }
    }
    s.push_str(&format!(
        "\nDeep training time per fold: mean {:.1} s.\n\n| fold | test | train rows | deep fit s | epochs (kept) | UAR deep | UAR classical | UAR fused |\n|---|---|---:|---:|---:|---:|---:|---:|\n",
        r.deep_fit_s_mean
    ));
    for f in &r.folds {
        s.push_str(&format!(
            "| {} | {} | {} | {:.1} | {} ({}) | {:.3} | {:.3} | {:.3} |\n",
            f.fold,
            f.name,
            f.n_train,
            f.deep_fit_s,
            f.deep_epochs,
            f.deep_best_epoch,
            f.uar_deep,
            f.uar_classical,
            f.uar_fused
        ));
    }
    s.push_str("\n![training curves](training_curves.png)\n");
    s
}

/// Late fusion of two models' predictions of the same inputs (e.g. a deep model on `logmel` and
/// a classical pipeline on `default`, `cargo xtask predict --fuse-with`): rows present in both
/// (by path) get `w * first + (1 - w) * second` posteriors and their most probable label; rows
/// only one model could predict are skipped with the reason. Both models must have the same
/// labels in the same order and give probabilities.
pub fn fuse_predictions(
    first: &crate::predict::Predictions,
    second: &crate::predict::Predictions,
    first_weight: f64,
) -> Result<crate::predict::Predictions> {
    if first.labels != second.labels {
        return Err(Error::Input(format!(
            "late fusion needs the same labels: {:?} and {:?}",
            first.labels, second.labels
        )));
    }
    if !(0.0..=1.0).contains(&first_weight) {
        return Err(Error::Input(format!(
            "fusion weight must be in [0, 1], got {first_weight}"
        )));
    }
    let w = first_weight as f32;
    let others: HashMap<&str, &crate::predict::PredictionRow> =
        second.rows.iter().map(|r| (r.path.as_str(), r)).collect();
    let mut out = first.clone();
    out.rows.clear();
    for r in &first.rows {
        let Some(o) = others.get(r.path.as_str()) else {
            out.skipped.push(ser_io::Skipped {
                path: PathBuf::from(&r.path),
                reason: "the second model of the fusion could not predict it".into(),
            });
            continue;
        };
        let (Some(a), Some(b)) = (&r.probabilities, &o.probabilities) else {
            return Err(Error::Input(
                "late fusion needs probabilities from both models (an SVM needs probability = true)"
                    .into(),
            ));
        };
        let p: Vec<f32> = a
            .iter()
            .zip(b)
            .map(|(x, y)| w * x + (1.0 - w) * y)
            .collect();
        let best = p
            .iter()
            .enumerate()
            .fold(
                (0, f32::NEG_INFINITY),
                |b, (i, &v)| if v > b.1 { (i, v) } else { b },
            )
            .0;
        let mut row = r.clone();
        row.label = first.labels[best].clone();
        row.probabilities = Some(p);
        out.rows.push(row);
    }
    let firsts: std::collections::HashSet<&str> =
        first.rows.iter().map(|r| r.path.as_str()).collect();
    for r in &second.rows {
        if !firsts.contains(r.path.as_str()) {
            out.skipped.push(ser_io::Skipped {
                path: PathBuf::from(&r.path),
                reason: "the first model of the fusion could not predict it".into(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::predict::{PredictionRow, Predictions};

    fn preds(rows: &[(&str, [f32; 2])]) -> Predictions {
        Predictions {
            labels: vec!["angry".into(), "sad".into()],
            rows: rows
                .iter()
                .map(|(p, pr)| PredictionRow {
                    path: p.to_string(),
                    speaker: "s".into(),
                    truth: None,
                    label: if pr[0] >= pr[1] { "angry" } else { "sad" }.into(),
                    probabilities: Some(pr.to_vec()),
                    quality: None,
                })
                .collect(),
            skipped: Vec::new(),
            from_tables: false,
        }
    }

    #[test]
    fn late_fusion_averages_posteriors_and_skips_unpaired_rows() {
        let deep = preds(&[("a", [0.9, 0.1]), ("b", [0.4, 0.6]), ("c", [0.5, 0.5])]);
        let classical = preds(&[("a", [0.1, 0.9]), ("b", [0.8, 0.2])]);
        let f = fuse_predictions(&deep, &classical, 0.25).expect("fuse");
        assert_eq!(f.rows.len(), 2);
        let p = f.rows[0].probabilities.clone().expect("p");
        assert!(
            (p[0] - 0.3).abs() < 1e-6 && (p[1] - 0.7).abs() < 1e-6,
            "{p:?}"
        );
        assert_eq!(f.rows[0].label, "sad");
        assert_eq!(f.rows[1].label, "angry");
        assert_eq!(f.skipped.len(), 1);
        let mut other = classical.clone();
        other.labels.reverse();
        assert!(fuse_predictions(&deep, &other, 0.5).is_err());
        assert!(fuse_predictions(&deep, &classical, 1.5).is_err());
    }
}
