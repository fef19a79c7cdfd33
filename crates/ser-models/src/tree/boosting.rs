//! Gradient boosting: one Newton tree per class and stage on the multinomial deviance.

use ndarray::{Array2, ArrayView2};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::grow::grow_grad;
use super::{Bins, Growth, MaxFeatures, MaxFeaturesRule, Tree, check_max_bins, sub_seed};
use crate::data::{
    FitOptions, argmax_rows, check_at_least, check_features, check_non_negative, check_train,
    check_unit_interval, class_weights, softmax_inplace, softmax_rows,
};
use crate::{Checked, Classifier, Error, FittedClassifier, Result};

/// Hyper-parameters of gradient-boosted trees: multinomial deviance, one histogram tree per class
/// and round, Newton leaves `-learning_rate * G / (H + reg_lambda)` with `g = w (p - y)` and
/// `h = w p (1 - p)` (as scikit-learn's `HistGradientBoostingClassifier`, LightGBM and XGBoost),
/// initial scores the log of the (weighted) class priors. Features are binned once per fit; the
/// class trees of one round grow in parallel.
///
/// | name | default | range | meaning |
/// |---|---|---|---|
/// | `n_estimators` | 100 | >= 1 | boosting stages |
/// | `learning_rate` | 0.1 | (0, 1] | shrinkage |
/// | `max_depth` | 3 | >= 1 | depth of each tree |
/// | `min_samples_leaf` | 1 | >= 1 | rows per leaf |
/// | `subsample` | 1.0 | (0, 1] | share of rows drawn (without replacement) per stage |
/// | `max_features` | `"sqrt"` | as random forest | features tried per split (see below) |
/// | `reg_lambda` | 1.0 | >= 0 | L2 penalty on leaf values (`-G / (H + lambda)`) |
/// | `max_bins` | 255 | 2..=65536 | quantile bins per feature (>= the distinct values of a column: exact CART thresholds) |
///
/// `max_features` defaults to `"sqrt"` (scikit-learn's boosting default is all features): on the
/// EMO-DB `default` table (1022 features, leave-one-speaker-out, balanced) it reached 0.732 pooled
/// UAR (seeds 0-1) against 0.713 with 20 % of the features (seeds 0-2), at about a sixth of the
/// fit time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GradientBoostingParams {
    pub n_estimators: usize,
    pub learning_rate: f64,
    pub max_depth: usize,
    pub min_samples_leaf: usize,
    pub subsample: f64,
    pub max_features: MaxFeatures,
    pub reg_lambda: f64,
    pub max_bins: usize,
}

impl Default for GradientBoostingParams {
    fn default() -> Self {
        Self {
            n_estimators: 100,
            learning_rate: 0.1,
            max_depth: 3,
            min_samples_leaf: 1,
            subsample: 1.0,
            max_features: MaxFeatures::Rule(MaxFeaturesRule::Sqrt),
            reg_lambda: 1.0,
            max_bins: 255,
        }
    }
}

/// A fitted gradient-boosting classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradientBoostingModel {
    n_features: usize,
    n_classes: usize,
    learning_rate: f64,
    /// Initial score per class (log prior).
    init: Vec<f64>,
    /// `stages[s][c]`: tree of class `c` at stage `s` (`None` for classes without rows).
    stages: Vec<Vec<Option<Tree>>>,
}

impl Classifier for GradientBoostingParams {
    type Fitted = GradientBoostingModel;
    const KIND: &'static str = "gradient_boosting";

    fn validate(&self) -> Result<()> {
        check_at_least("gradient_boosting.n_estimators", self.n_estimators, 1)?;
        check_unit_interval("gradient_boosting.learning_rate", self.learning_rate)?;
        check_at_least("gradient_boosting.max_depth", self.max_depth, 1)?;
        check_at_least(
            "gradient_boosting.min_samples_leaf",
            self.min_samples_leaf,
            1,
        )?;
        check_unit_interval("gradient_boosting.subsample", self.subsample)?;
        check_non_negative("gradient_boosting.reg_lambda", self.reg_lambda)?;
        self.max_features.check("gradient_boosting.max_features")?;
        check_max_bins("gradient_boosting.max_bins", self.max_bins)
    }

    /// Fits the stages; the class trees of one stage grow in parallel. A `max_features` count
    /// above the number of features is an [`crate::Error::Param`].
    fn fit(
        p: Checked<'_, Self>,
        x: ArrayView2<f32>,
        y: &[usize],
        n_classes: usize,
        opts: &FitOptions,
    ) -> Result<GradientBoostingModel> {
        let info = check_train(x, y, n_classes)?;
        p.max_features
            .check_for_data("gradient_boosting.max_features", x.ncols())?;
        let cw = class_weights(&info, opts.class_weight);
        let sw: Vec<f64> = y.iter().map(|&c| cw[c]).collect();
        let bins = Bins::new(x, p.max_bins);
        let (n, k) = (x.nrows(), n_classes);
        let wsum: f64 = sw.iter().sum();
        let init: Vec<f64> = (0..k)
            .map(|c| {
                let pc: f64 = (0..n).filter(|&i| y[i] == c).map(|i| sw[i]).sum::<f64>() / wsum;
                pc.max(1e-12).ln()
            })
            .collect();
        let mut f = Array2::<f64>::zeros((n, k));
        for mut row in f.rows_mut() {
            row.assign(&ndarray::ArrayView1::from(&init));
        }
        let growth = Growth {
            max_depth: p.max_depth,
            min_samples_split: 2,
            min_samples_leaf: p.min_samples_leaf,
            max_features: p.max_features.resolve(x.ncols()),
            min_hessian_leaf: 1e-3,
        };
        let xrows: Vec<Vec<f32>> = x.rows().into_iter().map(|r| r.to_vec()).collect();
        let mut stages = Vec::with_capacity(p.n_estimators);
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
        for s in 0..p.n_estimators {
            let mut prob = f.clone();
            for mut row in prob.rows_mut() {
                if let Some(r) = row.as_slice_mut() {
                    softmax_inplace(r);
                }
            }
            let rows: Vec<usize> = if p.subsample < 1.0 {
                let mut all: Vec<usize> = (0..n).collect();
                all.shuffle(&mut rng);
                let take = ((p.subsample * n as f64).round() as usize).clamp(1, n);
                let mut r = all[..take].to_vec();
                r.sort_unstable();
                r
            } else {
                (0..n).collect()
            };
            let trees: Vec<Option<Tree>> = (0..k)
                .into_par_iter()
                .map(|c| {
                    if info.counts[c] == 0 {
                        return None;
                    }
                    let gh: Vec<[f64; 2]> = (0..n)
                        .map(|i| {
                            let p = prob[[i, c]];
                            [
                                sw[i] * (p - f64::from(u8::from(y[i] == c))),
                                sw[i] * (p * (1.0 - p)).max(1e-16),
                            ]
                        })
                        .collect();
                    let mut trng =
                        ChaCha8Rng::seed_from_u64(sub_seed(opts.seed, (s * k + c) as u64));
                    let mut tree =
                        grow_grad(&bins, rows.clone(), &gh, p.reg_lambda, growth, &mut trng);
                    for v in tree.value.iter_mut() {
                        *v = (f64::from(*v) * p.learning_rate) as f32;
                    }
                    Some(tree)
                })
                .collect();
            for (c, t) in trees.iter().enumerate() {
                if let Some(t) = t {
                    for (i, r) in xrows.iter().enumerate() {
                        f[[i, c]] += f64::from(t.leaf_of(r)?[0]);
                    }
                }
            }
            stages.push(trees);
        }
        Ok(GradientBoostingModel {
            n_features: x.ncols(),
            n_classes,
            learning_rate: p.learning_rate,
            init,
            stages,
        })
    }
}

impl GradientBoostingModel {
    fn scores(&self, x: ArrayView2<f32>) -> Result<Array2<f64>> {
        check_features(x, self.n_features)?;
        let k = self.n_classes;
        if self.init.len() != k || self.stages.iter().any(|s| s.len() != k) {
            return Err(Error::Corrupt("boosting stage width".into()));
        }
        for t in self.stages.iter().flatten().flatten() {
            t.check()?;
            if t.width != 1 {
                return Err(Error::Corrupt("boosting leaf width".into()));
            }
        }
        let mut out = Array2::<f64>::zeros((x.nrows(), k));
        for (i, r) in x.rows().into_iter().enumerate() {
            let r = r.to_vec();
            for c in 0..k {
                let mut s = self.init[c];
                for stage in &self.stages {
                    if let Some(t) = &stage[c] {
                        s += f64::from(t.leaf_of(&r)?[0]);
                    }
                }
                out[[i, c]] = s;
            }
        }
        Ok(out)
    }
}

#[typetag::serde(name = "gradient_boosting")]
impl FittedClassifier for GradientBoostingModel {
    /// Softmax of the boosted scores.
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Option<Array2<f32>>> {
        Ok(Some(softmax_rows(self.scores(x)?)))
    }

    /// Class with the largest boosted score (before rounding the probabilities to `f32`).
    fn predict(&self, x: ArrayView2<f32>) -> Result<Vec<usize>> {
        Ok(argmax_rows(&self.scores(x)?))
    }
}
