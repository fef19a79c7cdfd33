//! `ser-models`: classifiers, scalers and model files for speech emotion recognition.
//!
//! ## Classifiers
//! Every classifier has the same shape (linfa style), given by the traits in [`classifier`]:
//!
//! - its parameters are a serde struct with documented defaults implementing [`Classifier`]:
//!   [`Classifier::check`] validates them once into a [`Checked`] proof (only `check` makes one),
//!   and [`Classifier::fit`] takes that proof, so fitting checks the data but never re-checks the
//!   parameters: `params.check()?.fit(x, y, n_classes, &opts)?`;
//! - its fitted model implements [`FittedClassifier`]: `predict_proba` (class probabilities, or
//!   `None` for an SVM fitted without them) and `predict` (by default the most probable class;
//!   the SVM votes one-vs-one as libsvm does, the score-based models take the largest score).
//!   Fitted models (de)serialise as trait objects tagged with their `kind` (`typetag`).
//!
//! [`ModelSpec`] is the serde form (`kind` tag plus the parameters) used by configuration and
//! model files; [`ModelSpec::classifier`] turns it into a [`DynClassifier`] in one match, and
//! [`ModelSpec::fit`] returns a [`FittedModel`], which holds the fitted classifier as a
//! `Box<dyn FittedClassifier>` and checks feature and class counts around it. A new kind of
//! model is a parameter struct, a fitted struct, the two trait impls and one `ModelSpec`
//! variant.
//!
//! ## Scalers and model files
//! Scalers ([`ScalerSpec`] → [`FittedScaler`]) are fitted on training rows
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
//! ## Cargo features
//! - `candle` (off by default): MLP training with candle-nn. Without it everything else works,
//!   including loading and predicting with a saved MLP; fitting an MLP fails with
//!   [`Error::FeatureDisabled`]. Deep models ([`deep`]) need it to train and to predict.
//! - `cuda` (implies `candle`): deep models train and predict on the first CUDA GPU when one
//!   exists (candle's `cuda` feature; needs the CUDA toolkit to build), else on the CPU.
//!
//! ## Validation
//! Fitting fails with a typed [`Error`] on NaN/inf, an empty matrix, labels out of range, fewer
//! than two classes with rows, or fewer rows than classes; prediction fails on a feature-count
//! mismatch or NaN/inf. Constant columns are accepted (scalers map them to 0).

pub mod classifier;
mod data;
pub mod deep;
pub mod ensemble;
mod error;
pub mod knn;
pub mod logistic;
pub mod mlp;
mod model;
pub mod naive_bayes;
pub mod nap;
mod pipeline;
mod scaler;
pub mod svm;
pub mod tree;

pub use classifier::{Checked, Classifier, DynClassifier, FittedAny, FittedClassifier};
pub use data::{ClassWeight, FitOptions};
pub use deep::{
    Architecture, DeepModel, DeepParams, EpochProgress, EpochRecord, SpecAugment, set_progress,
};
pub use ensemble::{
    Combine, EnsembleModel, EnsembleParams, SelectModel, SelectParams, SelectScore, anova_f,
};
pub use error::{Error, Result};
pub use knn::{KnnModel, KnnParams, KnnWeights};
pub use logistic::{LogisticModel, LogisticParams};
pub use mlp::{MlpModel, MlpParams};
pub use model::{FittedModel, MODEL_KINDS, ModelSpec};
pub use naive_bayes::{NaiveBayesModel, NaiveBayesParams};
pub use nap::{Directions, SpeakerProjectionModel, SpeakerProjectionParams};
pub use pipeline::{
    FORMAT_VERSION, FORMAT_VERSION_SPEAKER_CENTRING, Pipeline, PipelineData, Predictions,
    SpeakerNorm, TrainingSummary, check_format_version, now_utc,
};
pub use scaler::{
    FittedScaler, ScalerSpec, ShrunkCentring, SpeakerMoments, SpeakerStatistics,
    normalise_per_speaker,
};
pub use svm::{Gamma, GammaRule, KernelKind, SvmModel, SvmParams};
pub use tree::{
    GradientBoostingModel, GradientBoostingParams, MaxFeatures, MaxFeaturesRule, RandomForestModel,
    RandomForestParams,
};
