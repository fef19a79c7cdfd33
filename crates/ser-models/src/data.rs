//! Input validation and sample weights shared by all classifiers.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// How training rows are weighted by class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassWeight {
    /// Every row weighs 1.
    #[default]
    None,
    /// Row weight `n_rows / (n_present_classes * n_rows_of_its_class)` (scikit-learn's "balanced").
    Balanced,
}

/// Options of one fit that are not hyper-parameters of a model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FitOptions {
    /// Seed of every random choice (bootstrap, feature sampling, weight initialisation, CV folds).
    pub seed: u64,
    /// Class weighting for unbalanced training sets.
    pub class_weight: ClassWeight,
    /// Optional group (speaker) id per training row. Models that hold out a validation split
    /// (the MLP's early stopping) keep whole groups on one side of it. Other models ignore it.
    pub groups: Option<Vec<String>>,
}

/// Fails on an empty matrix or a non-finite value.
pub(crate) fn check_matrix(what: &'static str, x: ArrayView2<f32>) -> Result<()> {
    let (rows, cols) = x.dim();
    if rows == 0 || cols == 0 {
        return Err(Error::Empty { what, rows, cols });
    }
    for ((row, col), &value) in x.indexed_iter() {
        if !value.is_finite() {
            return Err(Error::NonFinite {
                what,
                row,
                col,
                value,
            });
        }
    }
    Ok(())
}

/// Fails when a matrix has another number of columns than expected.
pub(crate) fn check_features(x: ArrayView2<f32>, expected: usize) -> Result<()> {
    if x.ncols() != expected {
        return Err(Error::FeatureCount {
            expected,
            found: x.ncols(),
        });
    }
    check_matrix("X", x)
}

/// Validated training set facts.
#[derive(Debug, Clone)]
pub(crate) struct TrainInfo {
    /// Rows per class (length `n_classes`).
    pub counts: Vec<usize>,
    /// Classes that have at least one row, ascending.
    pub present: Vec<usize>,
}

/// Validates `(x, y, n_classes)` for fitting.
pub(crate) fn check_train(x: ArrayView2<f32>, y: &[usize], n_classes: usize) -> Result<TrainInfo> {
    check_matrix("training X", x)?;
    if y.len() != x.nrows() {
        return Err(Error::Length {
            what: "labels y (one per row of X)",
            expected: x.nrows(),
            found: y.len(),
        });
    }
    if n_classes < 2 {
        return Err(Error::TooFewClasses { found: n_classes });
    }
    if x.nrows() < n_classes {
        return Err(Error::TooFewRows {
            rows: x.nrows(),
            n_classes,
        });
    }
    let mut counts = vec![0usize; n_classes];
    for (row, &label) in y.iter().enumerate() {
        if label >= n_classes {
            return Err(Error::LabelOutOfRange {
                row,
                label,
                n_classes,
            });
        }
        counts[label] += 1;
    }
    let present: Vec<usize> = (0..n_classes).filter(|&c| counts[c] > 0).collect();
    if present.len() < 2 {
        return Err(Error::TooFewClasses {
            found: present.len(),
        });
    }
    Ok(TrainInfo { counts, present })
}

/// Weight of each class (0 for absent classes).
pub(crate) fn class_weights(info: &TrainInfo, cw: ClassWeight) -> Vec<f64> {
    let n: usize = info.counts.iter().sum();
    let k = info.present.len() as f64;
    info.counts
        .iter()
        .map(|&c| match (cw, c) {
            (_, 0) => 0.0,
            (ClassWeight::None, _) => 1.0,
            (ClassWeight::Balanced, c) => n as f64 / (k * c as f64),
        })
        .collect()
}

/// Index of the largest value; the first one on ties.
pub(crate) fn argmax(v: impl IntoIterator<Item = f64>) -> usize {
    let mut best = 0;
    let mut best_v = f64::NEG_INFINITY;
    for (i, x) in v.into_iter().enumerate() {
        if x > best_v {
            best_v = x;
            best = i;
        }
    }
    best
}

/// Softmax of a row in place (numerically stable).
pub(crate) fn softmax_inplace(v: &mut [f64]) {
    let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut s = 0.0;
    for x in v.iter_mut() {
        *x = (*x - m).exp();
        s += *x;
    }
    for x in v.iter_mut() {
        *x /= s;
    }
}

/// Builds a parameter error.
pub(crate) fn param_err(name: &'static str, expected: &str, found: impl ToString) -> Error {
    Error::Param {
        name,
        expected: expected.to_string(),
        found: found.to_string(),
    }
}

/// Fails unless `v` is finite and > 0.
pub(crate) fn check_positive(name: &'static str, v: f64) -> Result<()> {
    if !(v.is_finite() && v > 0.0) {
        return Err(param_err(name, "finite > 0", v));
    }
    Ok(())
}

/// Fails unless `v` is finite and >= 0.
pub(crate) fn check_non_negative(name: &'static str, v: f64) -> Result<()> {
    if !(v.is_finite() && v >= 0.0) {
        return Err(param_err(name, "finite >= 0", v));
    }
    Ok(())
}

/// Fails unless `v` is in (0, 1].
pub(crate) fn check_unit_interval(name: &'static str, v: f64) -> Result<()> {
    if !(v > 0.0 && v <= 1.0) {
        return Err(param_err(name, "(0, 1]", v));
    }
    Ok(())
}

/// Fails unless `v >= min`.
pub(crate) fn check_at_least(name: &'static str, v: usize, min: usize) -> Result<()> {
    if v < min {
        return Err(param_err(name, &format!(">= {min}"), v));
    }
    Ok(())
}

/// Class of each row of a score matrix (largest score per row, the first on ties).
pub(crate) fn argmax_rows<T: Copy + Into<f64>>(scores: &ndarray::Array2<T>) -> Vec<usize> {
    scores
        .rows()
        .into_iter()
        .map(|r| argmax(r.iter().map(|&v| v.into())))
        .collect()
}

/// Row-wise softmax of a matrix of log-scores, as `f32` probabilities.
pub(crate) fn softmax_rows(scores: ndarray::Array2<f64>) -> ndarray::Array2<f32> {
    // rows must be contiguous for `as_slice_mut` (a product with a column-major input is not)
    let mut scores = if scores.is_standard_layout() {
        scores
    } else {
        scores.as_standard_layout().into_owned()
    };
    for mut row in scores.rows_mut() {
        if let Some(rs) = row.as_slice_mut() {
            softmax_inplace(rs);
        }
    }
    scores.mapv(|v| v as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of a column-major matrix are not contiguous; they must still be normalised (they
    /// were once left as raw scores).
    #[test]
    fn softmax_rows_of_a_column_major_matrix() {
        let c = ndarray::array![[1.0f64, 2.0, 3.0], [0.0, 0.0, 0.0]];
        let f = c.t().as_standard_layout().into_owned().reversed_axes();
        assert!(!f.is_standard_layout());
        let p = softmax_rows(f);
        for row in p.rows() {
            assert!((row.sum() - 1.0).abs() < 1e-6, "{row}");
        }
        assert!((p[[1, 0]] - 1.0 / 3.0).abs() < 1e-6);
        assert_eq!(p, softmax_rows(c));
    }
}
