//! The classifier traits every model of this crate implements.
//!
//! - [`Classifier`]: hyper-parameters (a serde struct). [`Classifier::check`] validates them once
//!   into a [`Checked`] proof; [`Classifier::fit`] takes that proof, so fitting never re-checks
//!   the parameters (it still checks the data).
//! - [`FittedClassifier`]: a fitted model. It predicts probabilities and classes and is
//!   (de)serialised as a trait object with a `kind` tag (`typetag`), which is how
//!   [`crate::FittedModel`] holds any model without a match over the kinds.
//! - [`DynClassifier`]: the object-safe face of a `Classifier` (implemented for all of them),
//!   what [`crate::ModelSpec::classifier`] returns.

use std::any::Any;
use std::fmt;
use std::ops::Deref;

use ndarray::{Array2, ArrayView2};

use crate::data::{FitOptions, argmax_rows};
use crate::{Error, Result};

/// Hyper-parameters `P` that passed [`Classifier::check`]. Only `check` makes one, so holding a
/// `Checked` proves the parameters are valid. Dereferences to `P`.
#[derive(Debug, PartialEq)]
pub struct Checked<'a, P>(&'a P);

impl<P> Clone for Checked<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for Checked<'_, P> {}

impl<'a, P> Checked<'a, P> {
    /// The validated parameters.
    pub fn params(&self) -> &'a P {
        self.0
    }
}

impl<P> Deref for Checked<'_, P> {
    type Target = P;

    fn deref(&self) -> &P {
        self.0
    }
}

impl<'a, P: Classifier> Checked<'a, P> {
    /// Fits the classifier on `x` (rows = utterances) with labels `y[i] < n_classes`; see
    /// [`Classifier::fit`].
    pub fn fit(
        self,
        x: ArrayView2<f32>,
        y: &[usize],
        n_classes: usize,
        opts: &FitOptions,
    ) -> Result<P::Fitted> {
        P::fit(self, x, y, n_classes, opts)
    }
}

/// Hyper-parameters of one kind of classifier (linfa style: checked once, then fitted).
///
/// ```
/// use ser_models::{Classifier, FitOptions, FittedClassifier, KnnParams};
/// let x = ndarray::array![[0.0f32], [0.1], [1.0], [1.1]];
/// let params = KnnParams { n_neighbors: 1, ..KnnParams::default() };
/// let model = params.check()?.fit(x.view(), &[0, 0, 1, 1], 2, &FitOptions::default())?;
/// assert_eq!(model.predict(x.view())?, [0, 0, 1, 1]);
/// # Ok::<(), ser_models::Error>(())
/// ```
pub trait Classifier: fmt::Debug + Send + Sync + Sized {
    /// The fitted model.
    type Fitted: FittedClassifier + 'static;

    /// Short name of the kind: the `kind` tag of [`crate::ModelSpec`] and of the fitted model in
    /// model files (`"svm"`, `"logistic_regression"`, ...).
    const KIND: &'static str;

    /// The range checks of every hyper-parameter (a typed [`Error::Param`] naming the first
    /// bad one). Call [`Classifier::check`] to obtain the [`Checked`] form that `fit` takes.
    fn validate(&self) -> Result<()>;

    /// Validates the parameters once.
    fn check(&self) -> Result<Checked<'_, Self>> {
        self.validate()?;
        Ok(Checked(self))
    }

    /// Fits on `x` (rows = utterances) with labels `y[i] < n_classes`. The parameters are not
    /// checked again; the data are (typed errors on NaN/inf, empty input, label range, class and
    /// row counts).
    fn fit(
        params: Checked<'_, Self>,
        x: ArrayView2<f32>,
        y: &[usize],
        n_classes: usize,
        opts: &FitOptions,
    ) -> Result<Self::Fitted>;
}

/// Object-safe face of a [`Classifier`], implemented for every one: what
/// [`crate::ModelSpec::classifier`] returns, so `ModelSpec` checks and fits any kind without a
/// match per operation.
pub trait DynClassifier: fmt::Debug + Send + Sync {
    /// [`Classifier::KIND`].
    fn kind(&self) -> &'static str;

    /// [`Classifier::check`], keeping only the outcome.
    fn check_params(&self) -> Result<()>;

    /// Checks the parameters once, fits, and boxes the fitted model.
    fn fit_boxed(
        &self,
        x: ArrayView2<f32>,
        y: &[usize],
        n_classes: usize,
        opts: &FitOptions,
    ) -> Result<Box<dyn FittedClassifier>>;
}

impl<C: Classifier> DynClassifier for C {
    fn kind(&self) -> &'static str {
        C::KIND
    }

    fn check_params(&self) -> Result<()> {
        self.check().map(|_| ())
    }

    fn fit_boxed(
        &self,
        x: ArrayView2<f32>,
        y: &[usize],
        n_classes: usize,
        opts: &FitOptions,
    ) -> Result<Box<dyn FittedClassifier>> {
        let fitted = self.check()?.fit(x, y, n_classes, opts)?;
        Ok(Box::new(fitted))
    }
}

/// A fitted classifier. Serialised as an internally tagged trait object:
/// `{"kind": "svm", ...fields of the model}` (the tag is the implementation's typetag name,
/// equal to its parameters' [`Classifier::KIND`]).
#[typetag::serde(tag = "kind")]
pub trait FittedClassifier: FittedAny + fmt::Debug + Send + Sync {
    /// Class probabilities `(n_rows, n_classes)`, rows summing to 1; `None` when the model was
    /// fitted without probability support (an SVM with `probability = false`).
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Option<Array2<f32>>>;

    /// Predicted class index of each row. Default: the most probable class (the first on ties).
    /// A model whose [`predict_proba`](FittedClassifier::predict_proba) can be `None`, or that
    /// decides on other scores than its probabilities, overrides it.
    fn predict(&self, x: ArrayView2<f32>) -> Result<Vec<usize>> {
        match self.predict_proba(x)? {
            Some(p) => Ok(argmax_rows(&p)),
            None => Err(Error::Corrupt(
                "model gives no probabilities and does not implement predict".into(),
            )),
        }
    }

    /// [`predict`](FittedClassifier::predict) and
    /// [`predict_proba`](FittedClassifier::predict_proba) of the same rows. Default: the two
    /// calls; a model whose classes and probabilities come from the same scores (the SVM's
    /// pairwise decision values) overrides it to compute those scores once.
    fn predict_with_proba(&self, x: ArrayView2<f32>) -> Result<(Vec<usize>, Option<Array2<f32>>)> {
        Ok((self.predict(x)?, self.predict_proba(x)?))
    }
}

/// Clone, downcast and equality of boxed [`FittedClassifier`]s (the `dyn-clone` pattern),
/// implemented for every fitted model that is `Clone + PartialEq`.
pub trait FittedAny {
    /// A boxed copy.
    fn box_clone(&self) -> Box<dyn FittedClassifier>;
    /// The model as [`Any`], for downcasting to its concrete type.
    fn as_any(&self) -> &dyn Any;
    /// Whether `other` is the same kind of model with equal contents.
    fn dyn_eq(&self, other: &dyn FittedClassifier) -> bool;
}

impl<T: FittedClassifier + Clone + PartialEq + 'static> FittedAny for T {
    fn box_clone(&self) -> Box<dyn FittedClassifier> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn dyn_eq(&self, other: &dyn FittedClassifier) -> bool {
        other.as_any().downcast_ref::<T>() == Some(self)
    }
}

impl Clone for Box<dyn FittedClassifier> {
    fn clone(&self) -> Self {
        self.box_clone()
    }
}

impl PartialEq for dyn FittedClassifier {
    fn eq(&self, other: &Self) -> bool {
        self.dyn_eq(other)
    }
}
