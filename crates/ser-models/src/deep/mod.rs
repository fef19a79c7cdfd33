//! Deep models on log-mel sequences, trained with candle (`kind = "deep"`).
//!
//! Input: each row is one utterance's fixed-size sequence tensor, flattened in C order as
//! `(windows, frames, bins)` — what a sequence feature set of `ser-features` (e.g. the built-in
//! `logmel`: 4 windows × 96 frames × 64 log-mel bands) writes. [`DeepParams::input_shape`]
//! states the shape and every fit and prediction checks it: a row of another length is an
//! [`Error::InputShape`], never a panic. A window whose values are all equal (pure padding of a
//! short utterance) is skipped by the per-window models.
//!
//! Architectures ([`Architecture`]); a conv block is `conv 3×3 (same) → batch norm → ELU →
//! max-pool 2×2`, one block per entry of [`DeepParams::channels`]:
//!
//! | architecture | per window | over the utterance |
//! |---|---|---|
//! | `td_cnn_lstm` | conv blocks → global average pool → embedding | the window embeddings in order → `lstm_layers` LSTM layers → last state → dropout → softmax (one prediction per utterance) |
//! | `cnn_lstm` | conv blocks → the feature map's time axis as a sequence (channels × bands per step) → `lstm_layers` LSTM layers → last state → dropout → softmax | posteriors averaged over the utterance's windows |
//! | `cnn_attention` | conv blocks → mean over bands → attention pooling over time (`softmax(v·tanh(W h))`) → dropout → softmax | posteriors averaged over the utterance's windows |
//!
//! Training (`candle` feature): inputs standardised per band with the training rows' mean and
//! standard deviation (kept in the model), class-weighted cross-entropy, AdamW, a cosine
//! learning-rate schedule, dropout, optional SpecAugment-style time and frequency masks, early
//! stopping on the utterance-level UAR of a speaker-disjoint validation split of the training
//! speakers (`FitOptions::groups`; the weights of the best epoch are kept), a fixed seed: weights
//! are initialised, batches shuffled and dropout/mask positions drawn from a ChaCha generator
//! seeded with `FitOptions::seed`, so a fit on the CPU is reproducible.
//!
//! The fitted model ([`DeepModel`]) keeps its weights as named `f32` tensors in the model file's
//! JSON (shortest round-trip decimal form, so save → load → predict is bit-identical) together
//! with the training curve (loss, validation UAR per epoch). Predicting needs the `candle`
//! feature as well (the network runs in candle on the CPU, or the GPU with `cuda`).

#[cfg(feature = "candle")]
mod net;
#[cfg(feature = "candle")]
mod train;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::data::{FitOptions, check_at_least, check_non_negative, check_positive, param_err};
use crate::{Checked, Classifier, Error, FittedClassifier, Result};

/// Which network ([module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Architecture {
    /// Time-distributed CNN over the windows, feeding an LSTM (one prediction per utterance).
    TdCnnLstm,
    /// CNN then LSTM over the time axis of each window; window posteriors averaged.
    CnnLstm,
    /// Small CNN with attention pooling over time; window posteriors averaged.
    #[default]
    CnnAttention,
}

impl Architecture {
    /// Snake-case name as in configs.
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::TdCnnLstm => "td_cnn_lstm",
            Architecture::CnnLstm => "cnn_lstm",
            Architecture::CnnAttention => "cnn_attention",
        }
    }
}

/// SpecAugment-style masking of training windows (after standardisation, masked values are 0,
/// the training mean). Each mask's width is drawn uniformly in `0..=max width`.
///
/// | name | default | unit | range |
/// |---|---|---|---|
/// | `time_masks` | 2 | masks per window | 0 ..= 10 |
/// | `time_width` | 12 | frames | >= 1 |
/// | `freq_masks` | 2 | masks per window | 0 ..= 10 |
/// | `freq_width` | 8 | bins | >= 1 |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpecAugment {
    pub time_masks: usize,
    pub time_width: usize,
    pub freq_masks: usize,
    pub freq_width: usize,
}

impl Default for SpecAugment {
    fn default() -> Self {
        Self {
            time_masks: 2,
            time_width: 12,
            freq_masks: 2,
            freq_width: 8,
        }
    }
}

/// Hyper-parameters of the deep models (`kind = "deep"`).
///
/// | name | default | range | meaning |
/// |---|---|---|---|
/// | `architecture` | `cnn_attention` | `td_cnn_lstm`, `cnn_lstm`, `cnn_attention` | the network ([`Architecture`]) |
/// | `input_shape` | [4, 96, 64] | each >= 1; frames and bins divisible by 2^blocks | windows × frames × bins of each row (the sequence feature set's shape) |
/// | `channels` | [8, 16, 24, 32] | 1–6 blocks, each 1 ..= 512 | output channels of each conv block |
/// | `lstm_hidden` | 32 | 1 ..= 1024 | LSTM width (LSTM architectures) |
/// | `lstm_layers` | 2 | 1 ..= 4 | stacked LSTM layers (LSTM architectures) |
/// | `attention_dim` | 32 | 1 ..= 1024 | width of the attention scorer (`cnn_attention`) |
/// | `dropout` | 0.3 | [0, 1) | before the output layer |
/// | `learning_rate` | 2e-3 | > 0 | AdamW step size at epoch 0 |
/// | `min_learning_rate` | 1e-4 | > 0, <= learning_rate | cosine schedule floor at `max_epochs` |
/// | `weight_decay` | 1e-4 | >= 0 | AdamW decoupled weight decay |
/// | `batch_size` | 32 | >= 2 | windows (utterances for `td_cnn_lstm`) per step |
/// | `max_epochs` | 30 | >= 1 | passes over the training rows |
/// | `patience` | 8 | >= 1 | epochs without validation-UAR improvement before stopping |
/// | `validation_fraction` | 0.15 | [0, 0.5] | share of rows (whole speakers when groups are given) held out for early stopping; 0 trains `max_epochs` |
/// | `spec_augment` | none | | [`SpecAugment`] masks on training windows |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeepParams {
    pub architecture: Architecture,
    pub input_shape: [usize; 3],
    pub channels: Vec<usize>,
    pub lstm_hidden: usize,
    pub lstm_layers: usize,
    pub attention_dim: usize,
    pub dropout: f64,
    pub learning_rate: f64,
    pub min_learning_rate: f64,
    pub weight_decay: f64,
    pub batch_size: usize,
    pub max_epochs: usize,
    pub patience: usize,
    pub validation_fraction: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec_augment: Option<SpecAugment>,
}

impl Default for DeepParams {
    fn default() -> Self {
        Self {
            architecture: Architecture::default(),
            input_shape: [4, 48, 64],
            channels: vec![8, 16, 24, 32],
            lstm_hidden: 32,
            lstm_layers: 2,
            attention_dim: 32,
            dropout: 0.3,
            learning_rate: 2e-3,
            min_learning_rate: 1e-4,
            weight_decay: 1e-4,
            batch_size: 32,
            max_epochs: 30,
            patience: 8,
            validation_fraction: 0.15,
            spec_augment: None,
        }
    }
}

impl DeepParams {
    /// Values per row: windows × frames × bins.
    pub fn row_len(&self) -> usize {
        self.input_shape.iter().product()
    }

    /// Fails with [`Error::InputShape`] unless rows of `x` have [`DeepParams::row_len`] values.
    pub fn check_input(&self, n_cols: usize) -> Result<()> {
        if n_cols != self.row_len() {
            let [w, t, b] = self.input_shape;
            return Err(Error::InputShape {
                expected: format!(
                    "{w} windows × {t} frames × {b} bins = {} values per row",
                    self.row_len()
                ),
                found: n_cols,
            });
        }
        Ok(())
    }
}

impl Classifier for DeepParams {
    type Fitted = DeepModel;
    const KIND: &'static str = "deep";

    fn validate(&self) -> Result<()> {
        let [w, t, b] = self.input_shape;
        if w == 0 || t == 0 || b == 0 || self.row_len() > 1 << 24 {
            return Err(param_err(
                "deep.input_shape",
                "windows, frames, bins >= 1 (at most 2^24 values)",
                format!("{:?}", self.input_shape),
            ));
        }
        if self.channels.is_empty()
            || self.channels.len() > 6
            || self.channels.iter().any(|&c| c == 0 || c > 512)
        {
            return Err(param_err(
                "deep.channels",
                "1 to 6 blocks of 1 ..= 512 channels",
                format!("{:?}", self.channels),
            ));
        }
        let div = 1usize << self.channels.len();
        if t % div != 0 || b % div != 0 {
            return Err(param_err(
                "deep.input_shape",
                &format!(
                    "frames and bins divisible by 2^{} = {div} (one 2×2 pool per conv block)",
                    self.channels.len()
                ),
                format!("{:?}", self.input_shape),
            ));
        }
        if !(1..=1024).contains(&self.lstm_hidden) {
            return Err(param_err(
                "deep.lstm_hidden",
                "1 ..= 1024",
                self.lstm_hidden,
            ));
        }
        if !(1..=4).contains(&self.lstm_layers) {
            return Err(param_err("deep.lstm_layers", "1 ..= 4", self.lstm_layers));
        }
        if !(1..=1024).contains(&self.attention_dim) {
            return Err(param_err(
                "deep.attention_dim",
                "1 ..= 1024",
                self.attention_dim,
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(param_err("deep.dropout", "[0, 1)", self.dropout));
        }
        check_positive("deep.learning_rate", self.learning_rate)?;
        check_positive("deep.min_learning_rate", self.min_learning_rate)?;
        if self.min_learning_rate > self.learning_rate {
            return Err(param_err(
                "deep.min_learning_rate",
                &format!("<= learning_rate ({})", self.learning_rate),
                self.min_learning_rate,
            ));
        }
        check_non_negative("deep.weight_decay", self.weight_decay)?;
        check_at_least("deep.batch_size", self.batch_size, 2)?;
        check_at_least("deep.max_epochs", self.max_epochs, 1)?;
        check_at_least("deep.patience", self.patience, 1)?;
        if !(0.0..=0.5).contains(&self.validation_fraction) {
            return Err(param_err(
                "deep.validation_fraction",
                "[0, 0.5]",
                self.validation_fraction,
            ));
        }
        if let Some(s) = &self.spec_augment
            && (s.time_masks > 10 || s.freq_masks > 10 || s.time_width == 0 || s.freq_width == 0)
        {
            return Err(param_err(
                "deep.spec_augment",
                "time_masks, freq_masks <= 10; widths >= 1",
                format!("{s:?}"),
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
    ) -> Result<DeepModel> {
        p.check_input(x.ncols())?;
        fit_deep(p.params(), x, y, n_classes, opts)
    }
}

#[cfg(feature = "candle")]
fn fit_deep(
    p: &DeepParams,
    x: ArrayView2<f32>,
    y: &[usize],
    n_classes: usize,
    opts: &FitOptions,
) -> Result<DeepModel> {
    train::fit(p, x, y, n_classes, opts)
}

#[cfg(not(feature = "candle"))]
fn fit_deep(
    _: &DeepParams,
    _: ArrayView2<f32>,
    _: &[usize],
    _: usize,
    _: &FitOptions,
) -> Result<DeepModel> {
    Err(Error::FeatureDisabled {
        what: "training a deep model",
        feature: "candle",
    })
}

/// What a training run reports after every epoch to the [progress observer](set_progress).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochProgress {
    pub record: EpochRecord,
    /// `max_epochs` of the fit (early stopping may end it sooner).
    pub max_epochs: usize,
    /// Best validation UAR so far (NaN without a validation split).
    pub best_val_uar: f64,
}

/// A display hook called after every epoch of every deep fit in this process.
pub type ProgressObserver = Arc<dyn Fn(&EpochProgress) + Send + Sync>;

static OBSERVER: RwLock<Option<ProgressObserver>> = RwLock::new(None);

/// Installs (or with `None` removes) the process-wide epoch observer: how a front-end draws a
/// progress bar per epoch (`cargo xtask train`, `fusion`) without the fit knowing about
/// terminals. It only observes; it cannot change a fit.
pub fn set_progress(observer: Option<ProgressObserver>) {
    if let Ok(mut o) = OBSERVER.write() {
        *o = observer;
    }
}

#[cfg_attr(not(feature = "candle"), allow(dead_code))]
pub(crate) fn report_progress(p: &EpochProgress) {
    if let Ok(o) = OBSERVER.read()
        && let Some(f) = o.as_ref()
    {
        f(p);
    }
}

/// One named weight tensor of a fitted network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredTensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// One epoch of the training curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch.
    pub epoch: usize,
    /// Learning rate of the epoch.
    pub learning_rate: f64,
    /// Mean class-weighted training loss over the epoch's batches.
    pub train_loss: f64,
    /// Class-weighted validation loss (utterance level; NaN without a validation split).
    pub val_loss: f64,
    /// Validation UAR (utterance level; NaN without a validation split).
    pub val_uar: f64,
    /// Seconds since the fit started.
    pub elapsed_s: f64,
}

/// A fitted deep model ([module docs](self)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeepModel {
    pub params: DeepParams,
    pub n_classes: usize,
    /// Per-band input standardisation fitted on the training rows.
    pub band_mean: Vec<f32>,
    pub band_std: Vec<f32>,
    /// Network weights and batch-norm statistics by name.
    pub tensors: BTreeMap<String, StoredTensor>,
    /// Training curve, one record per epoch trained.
    pub history: Vec<EpochRecord>,
    /// Epoch whose weights were kept (1-based).
    pub best_epoch: usize,
    /// Wall-clock seconds of the fit.
    pub fit_s: f64,
    /// Training speakers held out for early stopping.
    #[serde(default)]
    pub validation_groups: Vec<String>,
}

impl DeepModel {
    fn check_consistent(&self, x: ArrayView2<f32>) -> Result<()> {
        self.params.check_input(x.ncols())?;
        let bins = self.params.input_shape[2];
        if self.band_mean.len() != bins || self.band_std.len() != bins {
            return Err(Error::Corrupt("deep model band statistics".into()));
        }
        Ok(())
    }
}

#[typetag::serde(name = "deep")]
impl FittedClassifier for DeepModel {
    /// Utterance posteriors (window posteriors averaged for the per-window architectures).
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Option<Array2<f32>>> {
        self.check_consistent(x)?;
        predict_deep(self, x).map(Some)
    }
}

#[cfg(feature = "candle")]
fn predict_deep(m: &DeepModel, x: ArrayView2<f32>) -> Result<Array2<f32>> {
    train::predict(m, x)
}

#[cfg(not(feature = "candle"))]
fn predict_deep(_: &DeepModel, _: ArrayView2<f32>) -> Result<Array2<f32>> {
    Err(Error::FeatureDisabled {
        what: "predicting with a deep model",
        feature: "candle",
    })
}
