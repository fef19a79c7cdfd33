//! Feature scalers fitted on training rows, and the per-speaker normaliser.
//!
//! Constant columns are not an error: their scale is taken as 1, so after centring they
//! become exactly 0 (scikit-learn's behaviour). The same holds in per-speaker normalisation.

use std::collections::HashMap;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::data::{check_features, check_matrix};
use crate::{Error, Result};

/// Which scaler to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScalerSpec {
    /// Identity.
    None,
    /// `(x - mean) / std` (population std).
    #[default]
    Standard,
    /// `(x - median) / (q75 - q25)` (linear-interpolated quantiles).
    Robust,
    /// `(x - min) / (max - min)`, into [0, 1] on the training rows.
    MinMax,
}

/// A fitted scaler: `transform(x) = (x - offset) / scale` per column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedScaler {
    pub spec: ScalerSpec,
    /// Number of columns it was fitted on.
    pub n_features: usize,
    /// Subtracted per column (empty for `None`).
    pub offset: Vec<f64>,
    /// Divisor per column, never 0 (empty for `None`).
    pub scale: Vec<f64>,
}

/// Linear-interpolated quantile of sorted data (numpy's default).
fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// A usable divisor: `s` unless it is 0, non-finite or rounding noise relative to `reference`
/// (a constant column's computed spread), in which case 1.
fn nonzero(s: f64, reference: f64) -> f64 {
    if s.is_finite() && s > 0.0 && s > 1e-10 * reference.abs() {
        s
    } else {
        1.0
    }
}

/// Mean and population standard deviation of a column.
fn mean_std(col: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let n = col.clone().count() as f64;
    let mean = col.clone().sum::<f64>() / n;
    let var = col.map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

impl ScalerSpec {
    /// Fits the scaler on training rows (no NaN/inf allowed).
    pub fn fit(&self, x: ArrayView2<f32>) -> Result<FittedScaler> {
        check_matrix("scaler training X", x)?;
        let d = x.ncols();
        let (offset, scale) = match self {
            ScalerSpec::None => (Vec::new(), Vec::new()),
            ScalerSpec::Standard => x
                .columns()
                .into_iter()
                .map(|c| {
                    let (m, s) = mean_std(c.iter().map(|&v| f64::from(v)));
                    (m, nonzero(s, m))
                })
                .unzip(),
            ScalerSpec::Robust => x
                .columns()
                .into_iter()
                .map(|c| {
                    let mut v: Vec<f64> = c.iter().map(|&v| f64::from(v)).collect();
                    v.sort_by(f64::total_cmp);
                    let med = quantile_sorted(&v, 0.5);
                    let iqr = quantile_sorted(&v, 0.75) - quantile_sorted(&v, 0.25);
                    (med, nonzero(iqr, med))
                })
                .unzip(),
            ScalerSpec::MinMax => x
                .columns()
                .into_iter()
                .map(|c| {
                    let lo = c.iter().fold(f32::INFINITY, |a, &b| a.min(b));
                    let hi = c.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
                    (
                        f64::from(lo),
                        nonzero(f64::from(hi) - f64::from(lo), f64::from(hi)),
                    )
                })
                .unzip(),
        };
        Ok(FittedScaler {
            spec: *self,
            n_features: d,
            offset,
            scale,
        })
    }
}

impl FittedScaler {
    /// Scales `x` with the training statistics. Fails on a column-count mismatch or NaN/inf.
    pub fn transform(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        check_features(x, self.n_features)?;
        if self.spec == ScalerSpec::None {
            return Ok(x.to_owned());
        }
        if self.offset.len() != self.n_features || self.scale.len() != self.n_features {
            return Err(Error::Corrupt("scaler parameter length".into()));
        }
        let mut out = x.to_owned();
        for mut row in out.rows_mut() {
            for ((v, o), s) in row.iter_mut().zip(&self.offset).zip(&self.scale) {
                *v = ((f64::from(*v) - o) / s) as f32;
            }
        }
        Ok(out)
    }
}

/// Standardises each speaker's rows with that speaker's own mean and population standard
/// deviation per column (constant columns within a speaker become 0). Needs no labels, so it
/// applies to test speakers too, given a batch of their utterances.
///
/// Errors: `speakers.len() != x.nrows()`, NaN/inf in `x`, or a speaker with fewer than
/// `min_utterances` rows ([`Error::TooFewUtterances`]).
pub fn normalize_per_speaker(
    x: ArrayView2<f32>,
    speakers: &[String],
    min_utterances: usize,
) -> Result<Array2<f32>> {
    check_matrix("X", x)?;
    if speakers.len() != x.nrows() {
        return Err(Error::Length {
            what: "speaker ids (one per row of X)",
            expected: x.nrows(),
            found: speakers.len(),
        });
    }
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in speakers.iter().enumerate() {
        groups.entry(s.as_str()).or_default().push(i);
    }
    let mut names: Vec<&&str> = groups.keys().collect();
    names.sort();
    for name in names {
        let rows = &groups[*name];
        if rows.len() < min_utterances.max(1) {
            return Err(Error::TooFewUtterances {
                speaker: (*name).to_string(),
                found: rows.len(),
                min: min_utterances.max(1),
            });
        }
    }
    let mut out = Array2::<f32>::zeros(x.dim());
    for rows in groups.values() {
        for c in 0..x.ncols() {
            let (m, s) = mean_std(rows.iter().map(|&r| f64::from(x[[r, c]])));
            let s = nonzero(s, m);
            for &r in rows {
                out[[r, c]] = ((f64::from(x[[r, c]]) - m) / s) as f32;
            }
        }
    }
    Ok(out)
}
