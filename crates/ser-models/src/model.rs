//! [`ModelSpec`], the serde form of "which classifier with which hyper-parameters", and
//! [`FittedModel`], a fitted classifier of any kind.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::data::{FitOptions, check_features};
use crate::ensemble::{EnsembleParams, SelectParams};
use crate::nap::SpeakerProjectionParams;
use crate::{
    Classifier, DeepParams, DynClassifier, Error, FittedClassifier, GradientBoostingParams,
    KnnParams, LogisticParams, MlpParams, NaiveBayesParams, RandomForestParams, Result, SvmParams,
};

/// The `kind` tag of every [`ModelSpec`] variant, in declaration order (for messages and help).
pub const MODEL_KINDS: [&str; 11] = [
    SvmParams::KIND,
    LogisticParams::KIND,
    KnnParams::KIND,
    NaiveBayesParams::KIND,
    RandomForestParams::KIND,
    GradientBoostingParams::KIND,
    MlpParams::KIND,
    SelectParams::KIND,
    SpeakerProjectionParams::KIND,
    EnsembleParams::KIND,
    DeepParams::KIND,
];

/// Which classifier to fit, with its hyper-parameters. Serialised with a `kind` tag, e.g.
/// `{"kind": "svm", "c": 10.0, "gamma": "scale"}` or in TOML `kind = "logistic_regression"`.
/// Every variant holds a [`crate::Classifier`]; [`ModelSpec::classifier`] is the one place that
/// matches on the variants.
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
    /// Multi-layer perceptron trained with candle-nn ([`MlpParams`]; fitting needs the `candle`
    /// feature).
    Mlp(MlpParams),
    /// Feature selection fitted on the training rows, then a model ([`SelectParams`]).
    Select(SelectParams),
    /// Between-speaker directions of the training rows projected out, then a model
    /// ([`SpeakerProjectionParams`], nuisance attribute projection).
    SpeakerProjection(SpeakerProjectionParams),
    /// Soft voting or stacking over member models ([`EnsembleParams`]).
    Ensemble(EnsembleParams),
    /// Deep networks on log-mel sequences ([`DeepParams`]: `td_cnn_lstm`, `cnn_lstm`,
    /// `cnn_attention`; fitting and predicting need the `candle` feature).
    Deep(DeepParams),
}

impl ModelSpec {
    /// The parameters as a classifier of their kind.
    pub fn classifier(&self) -> &dyn DynClassifier {
        match self {
            ModelSpec::Svm(p) => p,
            ModelSpec::LogisticRegression(p) => p,
            ModelSpec::Knn(p) => p,
            ModelSpec::NaiveBayes(p) => p,
            ModelSpec::RandomForest(p) => p,
            ModelSpec::GradientBoosting(p) => p,
            ModelSpec::Mlp(p) => p,
            ModelSpec::Select(p) => p,
            ModelSpec::SpeakerProjection(p) => p,
            ModelSpec::Ensemble(p) => p,
            ModelSpec::Deep(p) => p,
        }
    }

    /// Short name of the model kind (the serde tag).
    pub fn kind(&self) -> &'static str {
        self.classifier().kind()
    }

    /// Validates the hyper-parameters.
    pub fn check(&self) -> Result<()> {
        self.classifier().check_params()
    }

    /// Fits the model on `x` (rows = utterances) with labels `y[i] < n_classes`.
    pub fn fit(
        &self,
        x: ArrayView2<f32>,
        y: &[usize],
        n_classes: usize,
        opts: &FitOptions,
    ) -> Result<FittedModel> {
        let inner = self.classifier().fit_boxed(x, y, n_classes, opts)?;
        Ok(FittedModel {
            n_features: x.ncols(),
            n_classes,
            spec: self.clone(),
            inner,
        })
    }
}

/// A fitted classifier of any kind, with the specification it was fitted from. Serialised as
/// `{"n_features", "n_classes", "spec": {"kind", ...}, "inner": {"kind", ...}}`. Equal when the
/// counts, the specification and the fitted models (same kind, equal contents) are.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedModel {
    n_features: usize,
    n_classes: usize,
    /// The specification it was fitted from.
    spec: ModelSpec,
    inner: Box<dyn FittedClassifier>,
}

impl PartialEq for FittedModel {
    fn eq(&self, other: &Self) -> bool {
        self.n_features == other.n_features
            && self.n_classes == other.n_classes
            && self.spec == other.spec
            && *self.inner == *other.inner
    }
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

    /// The fitted classifier itself (downcast with `as_any()` to read a kind's own fields, e.g.
    /// a [`crate::DeepModel`]'s training curve).
    pub fn fitted(&self) -> &dyn FittedClassifier {
        self.inner.as_ref()
    }

    /// Predicted class index of each row.
    pub fn predict(&self, x: ArrayView2<f32>) -> Result<Vec<usize>> {
        check_features(x, self.n_features)?;
        let out = self.inner.predict(x)?;
        self.check_classes(&out)?;
        Ok(out)
    }

    /// Class probabilities `(n_rows, n_classes)`, rows summing to 1; `None` when the model
    /// was fitted without probability support (an SVM with `probability = false`).
    pub fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Option<Array2<f32>>> {
        check_features(x, self.n_features)?;
        let out = self.inner.predict_proba(x)?;
        self.check_proba(&out)?;
        Ok(out)
    }

    /// [`FittedModel::predict`] and [`FittedModel::predict_proba`] of the same rows, sharing
    /// the work both rest on where the model allows it (the SVM's decision values).
    pub fn predict_with_proba(
        &self,
        x: ArrayView2<f32>,
    ) -> Result<(Vec<usize>, Option<Array2<f32>>)> {
        check_features(x, self.n_features)?;
        let (classes, proba) = self.inner.predict_with_proba(x)?;
        self.check_classes(&classes)?;
        self.check_proba(&proba)?;
        Ok((classes, proba))
    }

    fn check_classes(&self, classes: &[usize]) -> Result<()> {
        if classes.iter().any(|&c| c >= self.n_classes) {
            return Err(Error::Corrupt("predicted class out of range".into()));
        }
        Ok(())
    }

    fn check_proba(&self, proba: &Option<Array2<f32>>) -> Result<()> {
        if let Some(p) = proba
            && p.ncols() != self.n_classes
        {
            return Err(Error::Corrupt("probability columns".into()));
        }
        Ok(())
    }
}
