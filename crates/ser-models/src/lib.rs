//! `ser-models`: classifiers, scalers and model files for speech emotion recognition.
//!
//! Every classifier follows the same shape (linfa style): a serde parameter struct with
//! documented defaults and a `check()`, selected through [`ModelSpec`]; [`ModelSpec::fit`]
//! returns a [`FittedModel`] that predicts class indices and, where the model supports it,
//! class probabilities. Scalers ([`ScalerSpec`] → [`FittedScaler`]) are fitted on training rows
//! only; [`normalise_per_speaker`] standardises each speaker with its own utterances.
//! A [`Pipeline`] bundles feature names, scaler, model and label names into one JSON model file.
//! The reference models compared with scikit-learn (`scripts/sklearn_crosscheck.py`) live in
//! `ser_eval::crosscheck`.
//!
//! ## Solvers and why they are written here
//! smartcore 0.7 was checked first: its `SVC` is a binary LaSVM-style solver (no class weights, no
//! probabilities, no kernel cache; slow one-vs-one on 1000 features), its logistic regression takes
//! no class weights and its random forest takes no sample weights. To match scikit-learn
//! (within 0.02 UAR) the SVM (libsvm's SMO with second-order working set selection, Platt
//! scaling and pairwise coupling), the multinomial logistic regression (L-BFGS), the trees
//! (histogram CART), kNN and Gaussian naive Bayes are implemented in this crate. The MLP trains
//! with candle-nn (autograd, AdamW) and predicts with plain ndarray.
//!
//! ## Validation
//! Fitting fails with a typed [`Error`] on NaN/inf, an empty matrix, labels out of range, fewer
//! than two classes with rows, or fewer rows than classes; prediction fails on a feature-count
//! mismatch or NaN/inf. Constant columns are accepted (scalers map them to 0).

mod data;
mod error;
pub mod knn;
pub mod logistic;
pub mod mlp;
pub mod naive_bayes;
mod pipeline;
mod scaler;
pub mod svm;
pub mod tree;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

pub use data::{ClassWeight, FitOptions};
pub use error::{Error, Result};
pub use knn::{KnnModel, KnnParams, KnnWeights};
pub use logistic::{LogisticModel, LogisticParams};
pub use mlp::{MlpModel, MlpParams};
pub use naive_bayes::{NaiveBayesModel, NaiveBayesParams};
pub use pipeline::{FORMAT_VERSION, Pipeline, PipelineData, Predictions, TrainingSummary};
pub use scaler::{FittedScaler, ScalerSpec, normalise_per_speaker};
pub use svm::{Gamma, GammaRule, KernelKind, SvmModel, SvmParams};
pub use tree::{
    GradientBoostingModel, GradientBoostingParams, MaxFeatures, MaxFeaturesRule, RandomForestModel,
    RandomForestParams,
};

/// Which classifier to fit, with its hyper-parameters. Serialised with a `kind` tag, e.g.
/// `{"kind": "svm", "c": 10.0, "gamma": "scale"}` or in TOML `kind = "logistic_regression"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ModelSpec {
    /// Support vector classifier ([`SvmParams`]).
    Svm(SvmParams),
    /// Multinomial logistic regression ([`LogisticParams`]).
    LogisticRegression(LogisticParams),
    /// k-nearest neighbours ([`KnnParams`]).
    Knn(KnnParams),
    /// Gaussian naive Bayes ([`NaiveBayesParams`]).
    NaiveBayes(NaiveBayesParams),
    /// Random forest of histogram CART trees ([`RandomForestParams`]).
    RandomForest(RandomForestParams),
    /// Gradient-boosted trees ([`GradientBoostingParams`]).
    GradientBoosting(GradientBoostingParams),
    /// Multi-layer perceptron trained with candle-nn ([`MlpParams`]).
    Mlp(MlpParams),
}

impl ModelSpec {
    /// Short name of the model kind (the serde tag).
    pub fn kind(&self) -> &'static str {
        match self {
            ModelSpec::Svm(_) => "svm",
            ModelSpec::LogisticRegression(_) => "logistic_regression",
            ModelSpec::Knn(_) => "knn",
            ModelSpec::NaiveBayes(_) => "naive_bayes",
            ModelSpec::RandomForest(_) => "random_forest",
            ModelSpec::GradientBoosting(_) => "gradient_boosting",
            ModelSpec::Mlp(_) => "mlp",
        }
    }

    /// Validates the hyper-parameters.
    pub fn check(&self) -> Result<()> {
        match self {
            ModelSpec::Svm(p) => p.check(),
            ModelSpec::LogisticRegression(p) => p.check(),
            ModelSpec::Knn(p) => p.check(),
            ModelSpec::NaiveBayes(p) => p.check(),
            ModelSpec::RandomForest(p) => p.check(),
            ModelSpec::GradientBoosting(p) => p.check(),
            ModelSpec::Mlp(p) => p.check(),
        }
    }

    /// Fits the model on `x` (rows = utterances) with labels `y[i] < n_classes`.
    pub fn fit(
        &self,
        x: ArrayView2<f32>,
        y: &[usize],
        n_classes: usize,
        opts: &FitOptions,
    ) -> Result<FittedModel> {
        let inner = match self {
            ModelSpec::Svm(p) => FittedInner::Svm(SvmModel::fit(p, x, y, n_classes, opts)?),
            ModelSpec::LogisticRegression(p) => {
                FittedInner::LogisticRegression(LogisticModel::fit(p, x, y, n_classes, opts)?)
            }
            ModelSpec::Knn(p) => FittedInner::Knn(KnnModel::fit(p, x, y, n_classes, opts)?),
            ModelSpec::NaiveBayes(p) => {
                FittedInner::NaiveBayes(NaiveBayesModel::fit(p, x, y, n_classes, opts)?)
            }
            ModelSpec::RandomForest(p) => {
                FittedInner::RandomForest(RandomForestModel::fit(p, x, y, n_classes, opts)?)
            }
            ModelSpec::GradientBoosting(p) => {
                FittedInner::GradientBoosting(GradientBoostingModel::fit(p, x, y, n_classes, opts)?)
            }
            ModelSpec::Mlp(p) => FittedInner::Mlp(MlpModel::fit(p, x, y, n_classes, opts)?),
        };
        Ok(FittedModel {
            n_features: x.ncols(),
            n_classes,
            spec: self.clone(),
            inner,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum FittedInner {
    Svm(SvmModel),
    LogisticRegression(LogisticModel),
    Knn(KnnModel),
    NaiveBayes(NaiveBayesModel),
    RandomForest(RandomForestModel),
    GradientBoosting(GradientBoostingModel),
    Mlp(MlpModel),
}

/// A fitted classifier of any kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedModel {
    n_features: usize,
    n_classes: usize,
    /// The specification it was fitted from.
    spec: ModelSpec,
    inner: FittedInner,
}

impl FittedModel {
    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Number of classes (columns of `predict_proba`).
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// The specification it was fitted from.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    fn check_input(&self, x: ArrayView2<f32>) -> Result<()> {
        data::check_features(x, self.n_features)
    }

    /// Predicted class index of each row.
    pub fn predict(&self, x: ArrayView2<f32>) -> Result<Vec<usize>> {
        self.check_input(x)?;
        let out = match &self.inner {
            FittedInner::Svm(m) => m.predict(x)?,
            FittedInner::LogisticRegression(m) => m.predict(x)?,
            FittedInner::Knn(m) => m.predict(x)?,
            FittedInner::NaiveBayes(m) => m.predict(x)?,
            FittedInner::RandomForest(m) => m.predict(x)?,
            FittedInner::GradientBoosting(m) => m.predict(x)?,
            FittedInner::Mlp(m) => m.predict(x)?,
        };
        if out.iter().any(|&c| c >= self.n_classes) {
            return Err(Error::Corrupt("predicted class out of range".into()));
        }
        Ok(out)
    }

    /// Class probabilities `(n_rows, n_classes)`, rows summing to 1; `None` when the model
    /// was fitted without probability support (an SVM with `probability = false`).
    pub fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Option<Array2<f32>>> {
        self.check_input(x)?;
        let out = match &self.inner {
            FittedInner::Svm(m) => m.predict_proba(x)?,
            FittedInner::LogisticRegression(m) => Some(m.predict_proba(x)?),
            FittedInner::Knn(m) => Some(m.predict_proba(x)?),
            FittedInner::NaiveBayes(m) => Some(m.predict_proba(x)?),
            FittedInner::RandomForest(m) => Some(m.predict_proba(x)?),
            FittedInner::GradientBoosting(m) => Some(m.predict_proba(x)?),
            FittedInner::Mlp(m) => Some(m.predict_proba(x)?),
        };
        if let Some(p) = &out
            && p.ncols() != self.n_classes
        {
            return Err(Error::Corrupt("probability columns".into()));
        }
        Ok(out)
    }
}
