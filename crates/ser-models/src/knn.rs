//! k-nearest neighbours with Euclidean distance.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{FitOptions, check_at_least, check_features, check_train, param_err};
use crate::{Checked, Classifier, FittedClassifier, Result};

/// How neighbours vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KnnWeights {
    /// Each neighbour has one vote.
    #[default]
    Uniform,
    /// A neighbour's vote is `1 / distance` (an exact match takes all the weight).
    Distance,
}

/// Hyper-parameters of k-nearest neighbours. Class weights do not apply and are ignored.
///
/// | name | default | range | meaning |
/// |---|---|---|---|
/// | `n_neighbors` | 5 | >= 1, <= training rows | neighbours consulted |
/// | `weights` | `uniform` | uniform, distance | vote weighting |
///
/// `n_neighbors` larger than the training set is refused at fit time (as scikit-learn does):
/// every query would consult every row and predict the majority class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KnnParams {
    pub n_neighbors: usize,
    pub weights: KnnWeights,
}

impl Default for KnnParams {
    fn default() -> Self {
        Self {
            n_neighbors: 5,
            weights: KnnWeights::Uniform,
        }
    }
}

impl Classifier for KnnParams {
    type Fitted = KnnModel;
    const KIND: &'static str = "knn";

    fn validate(&self) -> Result<()> {
        check_at_least("knn.n_neighbors", self.n_neighbors, 1)
    }

    /// Stores the training set. An [`crate::Error::Param`] when `n_neighbors` exceeds its rows.
    fn fit(
        p: Checked<'_, Self>,
        x: ArrayView2<f32>,
        y: &[usize],
        n_classes: usize,
        _opts: &FitOptions,
    ) -> Result<KnnModel> {
        check_train(x, y, n_classes)?;
        if p.n_neighbors > x.nrows() {
            return Err(param_err(
                "knn.n_neighbors",
                "at most the number of training rows",
                format!(
                    "n_neighbors = {} but the training set has {} rows",
                    p.n_neighbors,
                    x.nrows()
                ),
            ));
        }
        Ok(KnnModel {
            params: p.params().clone(),
            x: x.to_owned(),
            y: y.to_vec(),
            n_classes,
        })
    }
}

/// Squared Euclidean distance with eight independent accumulators (vectorisable; the
/// summation order is fixed, so results are deterministic).
fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..8 {
            let d = x[l] - y[l];
            acc[l] += d * d;
        }
    }
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| (x - y) * (x - y))
        .sum();
    acc.iter().sum::<f64>() + tail
}

/// A fitted kNN classifier (it stores the training rows). Predicts the majority class among the
/// neighbours (ties: the lower class index).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnnModel {
    params: KnnParams,
    x: Array2<f32>,
    y: Vec<usize>,
    n_classes: usize,
}

impl KnnModel {
    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.x.ncols()
    }
}

#[typetag::serde(name = "knn")]
impl FittedClassifier for KnnModel {
    /// Neighbour vote shares, rows summing to 1.
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Option<Array2<f32>>> {
        check_features(x, self.x.ncols())?;
        if self.y.len() != self.x.nrows() || self.y.iter().any(|&c| c >= self.n_classes) {
            return Err(crate::Error::Corrupt("knn labels".into()));
        }
        let k = self.params.n_neighbors.min(self.x.nrows());
        let train: Vec<Vec<f64>> = self
            .x
            .rows()
            .into_iter()
            .map(|r| r.iter().map(|&v| f64::from(v)).collect())
            .collect();
        let queries: Vec<Vec<f64>> = x
            .rows()
            .into_iter()
            .map(|r| r.iter().map(|&v| f64::from(v)).collect())
            .collect();
        let rows: Vec<Vec<f32>> = queries
            .par_iter()
            .map(|q| {
                let mut d: Vec<(f64, usize)> = train
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let s = sq_dist(r, q);
                        (s, i)
                    })
                    .collect();
                let cmp =
                    |a: &(f64, usize), b: &(f64, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
                if k < d.len() {
                    d.select_nth_unstable_by(k - 1, cmp);
                    d.truncate(k);
                }
                let mut votes = vec![0.0f64; self.n_classes];
                let exact = d.iter().any(|(s, _)| *s == 0.0);
                for &(s, i) in &d {
                    let w = match self.params.weights {
                        KnnWeights::Uniform => 1.0,
                        KnnWeights::Distance if exact => f64::from(u8::from(s == 0.0)),
                        KnnWeights::Distance => 1.0 / s.sqrt(),
                    };
                    votes[self.y[i]] += w;
                }
                let total: f64 = votes.iter().sum();
                votes.iter().map(|v| (v / total) as f32).collect()
            })
            .collect();
        let mut out = Array2::<f32>::zeros((rows.len(), self.n_classes));
        for (i, r) in rows.iter().enumerate() {
            for (c, v) in r.iter().enumerate() {
                out[[i, c]] = *v;
            }
        }
        Ok(Some(out))
    }
}
