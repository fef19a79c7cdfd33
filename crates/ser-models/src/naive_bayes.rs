//! Gaussian naive Bayes (scikit-learn's `GaussianNB`).

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::data::{
    ClassWeight, FitOptions, argmax_rows, check_features, check_non_negative, check_train,
    softmax_rows,
};
use crate::{Checked, Classifier, FittedClassifier, Result};

/// Hyper-parameters of Gaussian naive Bayes. With `ClassWeight::Balanced` the class priors are
/// uniform over the training classes instead of the class frequencies.
///
/// | name | default | range | meaning |
/// |---|---|---|---|
/// | `var_smoothing` | 1e-9 | >= 0 | added to every variance, times the largest column variance |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NaiveBayesParams {
    pub var_smoothing: f64,
}

impl Default for NaiveBayesParams {
    fn default() -> Self {
        Self {
            var_smoothing: 1e-9,
        }
    }
}

/// A fitted Gaussian naive Bayes model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NaiveBayesModel {
    /// `(n_classes, n_features)`.
    mean: Array2<f64>,
    var: Array2<f64>,
    /// ln prior per class (`-inf` for classes without training rows).
    log_prior: Vec<f64>,
}

impl Classifier for NaiveBayesParams {
    type Fitted = NaiveBayesModel;
    const KIND: &'static str = "naive_bayes";

    fn validate(&self) -> Result<()> {
        check_non_negative("naive_bayes.var_smoothing", self.var_smoothing)
    }

    /// Fits per-class means and variances.
    fn fit(
        p: Checked<'_, Self>,
        x: ArrayView2<f32>,
        y: &[usize],
        n_classes: usize,
        opts: &FitOptions,
    ) -> Result<NaiveBayesModel> {
        let info = check_train(x, y, n_classes)?;
        let d = x.ncols();
        let n = x.nrows() as f64;
        let mut mean = Array2::<f64>::zeros((n_classes, d));
        let mut var = Array2::<f64>::zeros((n_classes, d));
        for (i, row) in x.rows().into_iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                mean[[y[i], j]] += f64::from(v);
            }
        }
        for c in 0..n_classes {
            let cnt = info.counts[c].max(1) as f64;
            mean.row_mut(c).mapv_inplace(|v| v / cnt);
        }
        for (i, row) in x.rows().into_iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                var[[y[i], j]] += (f64::from(v) - mean[[y[i], j]]).powi(2);
            }
        }
        for c in 0..n_classes {
            let cnt = info.counts[c].max(1) as f64;
            var.row_mut(c).mapv_inplace(|v| v / cnt);
        }
        let max_var = x
            .columns()
            .into_iter()
            .map(|c| {
                let m = c.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
                c.iter().map(|&v| (f64::from(v) - m).powi(2)).sum::<f64>() / n
            })
            .fold(0.0, f64::max);
        let eps = (p.var_smoothing * max_var).max(1e-300);
        var.mapv_inplace(|v| v + eps);
        let k = info.present.len() as f64;
        let log_prior = info
            .counts
            .iter()
            .map(|&c| match (c, opts.class_weight) {
                (0, _) => f64::NEG_INFINITY,
                (_, ClassWeight::Balanced) => (1.0 / k).ln(),
                (c, ClassWeight::None) => (c as f64 / n).ln(),
            })
            .collect();
        Ok(NaiveBayesModel {
            mean,
            var,
            log_prior,
        })
    }
}

impl NaiveBayesModel {
    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.mean.ncols()
    }

    fn joint_log_likelihood(&self, x: ArrayView2<f32>) -> Result<Array2<f64>> {
        check_features(x, self.mean.ncols())?;
        let k = self.log_prior.len();
        if self.mean.nrows() != k || self.var.dim() != self.mean.dim() {
            return Err(crate::Error::Corrupt("naive bayes parameter shapes".into()));
        }
        let mut out = Array2::<f64>::zeros((x.nrows(), k));
        for (i, row) in x.rows().into_iter().enumerate() {
            for c in 0..k {
                let mut s = self.log_prior[c];
                if s.is_finite() {
                    for (j, &v) in row.iter().enumerate() {
                        let var = self.var[[c, j]];
                        s -= 0.5
                            * ((2.0 * std::f64::consts::PI * var).ln()
                                + (f64::from(v) - self.mean[[c, j]]).powi(2) / var);
                    }
                }
                out[[i, c]] = s;
            }
        }
        Ok(out)
    }
}

#[typetag::serde(name = "naive_bayes")]
impl FittedClassifier for NaiveBayesModel {
    /// Posterior class probabilities.
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Option<Array2<f32>>> {
        Ok(Some(softmax_rows(self.joint_log_likelihood(x)?)))
    }

    /// Most probable class of each row (largest joint log-likelihood, before rounding the
    /// probabilities to `f32`).
    fn predict(&self, x: ArrayView2<f32>) -> Result<Vec<usize>> {
        Ok(argmax_rows(&self.joint_log_likelihood(x)?))
    }
}
