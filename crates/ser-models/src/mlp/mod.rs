//! Multi-layer perceptron trained with candle-nn (autograd, AdamW) on the CPU.
//!
//! Layers: `[Linear → BatchNorm (optional) → ReLU → Dropout] × hidden_layers → Linear`, trained
//! on class-weighted cross-entropy with mini-batches, AdamW (decoupled weight decay) and early
//! stopping on a validation split that keeps whole speakers (`FitOptions::groups`) on one side
//! (monitored: class-weighted validation accuracy, ties broken by the validation loss; the
//! weights of the best epoch are kept).
//! Determinism: weights are initialised, batches shuffled and dropout masks drawn from a ChaCha
//! generator seeded with `FitOptions::seed` (candle's own CPU generator cannot be seeded).
//! The fitted model is plain ndarray (no candle at prediction time).
//!
//! Training (`train`) is compiled with the `candle` cargo feature only; without it
//! [`MlpParams`] still parses and checks and a saved [`MlpModel`] still loads and predicts, but
//! fitting fails with [`Error::FeatureDisabled`].

#[cfg(feature = "candle")]
pub(crate) mod train;

#[cfg(feature = "candle")]
use train::fit as train_mlp;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::data::{
    FitOptions, argmax_rows, check_at_least, check_features, check_non_negative, check_positive,
    param_err, softmax_rows,
};
use crate::{Checked, Classifier, Error, FittedClassifier, Result};

/// Hyper-parameters of the MLP.
///
/// | name | default | range | meaning |
/// |---|---|---|---|
/// | `hidden_layers` | [256, 128] | each >= 1 | width of each hidden layer |
/// | `batch_norm` | true | | batch normalisation after each hidden linear layer |
/// | `dropout` | 0.3 | [0, 1) | dropout probability after each hidden activation |
/// | `learning_rate` | 1e-3 | > 0 | AdamW step size |
/// | `weight_decay` | 1e-4 | >= 0 | AdamW decoupled weight decay |
/// | `batch_size` | 32 | >= 2 | rows per mini-batch |
/// | `max_epochs` | 200 | >= 1 | passes over the training rows |
/// | `patience` | 20 | >= 1 | epochs without validation improvement before stopping |
/// | `validation_fraction` | 0.15 | [0, 0.5] | share of rows (whole groups when given) held out; 0 trains `max_epochs` without early stopping |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MlpParams {
    pub hidden_layers: Vec<usize>,
    pub batch_norm: bool,
    pub dropout: f64,
    pub learning_rate: f64,
    pub weight_decay: f64,
    pub batch_size: usize,
    pub max_epochs: usize,
    pub patience: usize,
    pub validation_fraction: f64,
}

impl Default for MlpParams {
    fn default() -> Self {
        Self {
            hidden_layers: vec![256, 128],
            batch_norm: true,
            dropout: 0.3,
            learning_rate: 1e-3,
            weight_decay: 1e-4,
            batch_size: 32,
            max_epochs: 200,
            patience: 20,
            validation_fraction: 0.15,
        }
    }
}

impl Classifier for MlpParams {
    type Fitted = MlpModel;
    const KIND: &'static str = "mlp";

    fn validate(&self) -> Result<()> {
        if self.hidden_layers.contains(&0) || self.hidden_layers.iter().any(|&h| h > 1 << 16) {
            return Err(param_err(
                "mlp.hidden_layers",
                "widths in 1..=65536",
                format!("{:?}", self.hidden_layers),
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(param_err("mlp.dropout", "[0, 1)", self.dropout));
        }
        check_positive("mlp.learning_rate", self.learning_rate)?;
        check_non_negative("mlp.weight_decay", self.weight_decay)?;
        check_at_least("mlp.batch_size", self.batch_size, 2)?;
        check_at_least("mlp.max_epochs", self.max_epochs, 1)?;
        check_at_least("mlp.patience", self.patience, 1)?;
        if !(0.0..=0.5).contains(&self.validation_fraction) {
            return Err(param_err(
                "mlp.validation_fraction",
                "[0, 0.5]",
                self.validation_fraction,
            ));
        }
        Ok(())
    }

    /// Trains the network (needs the `candle` feature).
    fn fit(
        p: Checked<'_, Self>,
        x: ArrayView2<f32>,
        y: &[usize],
        n_classes: usize,
        opts: &FitOptions,
    ) -> Result<MlpModel> {
        train_mlp(p.params(), x, y, n_classes, opts)
    }
}

/// Without the `candle` feature there is no MLP training.
#[cfg(not(feature = "candle"))]
fn train_mlp(
    _: &MlpParams,
    _: ArrayView2<f32>,
    _: &[usize],
    _: usize,
    _: &FitOptions,
) -> Result<MlpModel> {
    Err(Error::FeatureDisabled {
        what: "training an mlp",
        feature: "candle",
    })
}

/// Inference-time batch normalisation: `(x - mean) / sqrt(var + eps) * gamma + beta`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct BnParams {
    mean: Vec<f32>,
    var: Vec<f32>,
    gamma: Vec<f32>,
    beta: Vec<f32>,
    eps: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Dense {
    /// `(out, in)`.
    w: Array2<f32>,
    b: Vec<f32>,
    bn: Option<BnParams>,
}

/// A fitted MLP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpModel {
    n_features: usize,
    n_classes: usize,
    /// Hidden layers then the output layer (no batch norm, no activation).
    layers: Vec<Dense>,
    /// Epochs trained and the epoch whose weights were kept.
    pub epochs_trained: usize,
    pub best_epoch: usize,
}

impl MlpModel {
    fn logits(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        check_features(x, self.n_features)?;
        let mut h = x.to_owned();
        let last = self.layers.len().saturating_sub(1);
        for (i, l) in self.layers.iter().enumerate() {
            if l.w.ncols() != h.ncols() || l.b.len() != l.w.nrows() {
                return Err(Error::Corrupt("mlp layer shapes".into()));
            }
            h = h.dot(&l.w.t());
            for mut row in h.rows_mut() {
                for (v, b) in row.iter_mut().zip(&l.b) {
                    *v += b;
                }
                if let Some(bn) = &l.bn {
                    if bn.mean.len() != l.b.len()
                        || bn.var.len() != l.b.len()
                        || bn.gamma.len() != l.b.len()
                        || bn.beta.len() != l.b.len()
                    {
                        return Err(Error::Corrupt("mlp batch-norm shapes".into()));
                    }
                    for (j, v) in row.iter_mut().enumerate() {
                        *v = ((f64::from(*v) - f64::from(bn.mean[j]))
                            / (f64::from(bn.var[j]) + bn.eps).sqrt()
                            * f64::from(bn.gamma[j])
                            + f64::from(bn.beta[j])) as f32;
                    }
                }
                if i < last {
                    row.mapv_inplace(|v| v.max(0.0));
                }
            }
        }
        if h.ncols() != self.n_classes {
            return Err(Error::Corrupt("mlp output width".into()));
        }
        Ok(h)
    }

    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.n_features
    }
}

#[typetag::serde(name = "mlp")]
impl FittedClassifier for MlpModel {
    /// Softmax of the output layer.
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Option<Array2<f32>>> {
        Ok(Some(softmax_rows(self.logits(x)?.mapv(f64::from))))
    }

    /// Class with the largest logit.
    fn predict(&self, x: ArrayView2<f32>) -> Result<Vec<usize>> {
        Ok(argmax_rows(&self.logits(x)?))
    }
}
