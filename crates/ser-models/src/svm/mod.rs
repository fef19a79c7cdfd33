//! Support vector classifier: C-SVC solved by SMO with libsvm's second-order working set
//! selection (WSS2, Fan, Chen & Lin 2005), one-vs-one for several classes, probabilities by
//! Platt scaling (5-fold internal cross-validation per pair, as libsvm) and pairwise coupling
//! (Wu, Lin & Weng 2004, method 2). This reproduces libsvm / scikit-learn's `SVC`.
//!
//! Why not smartcore: smartcore 0.7's `SVC` is a binary LaSVM-style solver without class
//! weights, probability estimates or a kernel cache; its one-vs-one wrapper is slow on 1000-dimensional
//! features. This solver precomputes the Gram matrix with a blocked matrix product when it fits in
//! `cache_mb` and falls back to computing kernel rows on demand with a bounded row cache.
//!
//! Parts: the kernel and its Gram matrix / row source (`kernel`), the SMO solver of one binary
//! problem (`smo`), Platt sigmoids and pairwise coupling (`probability`); this module holds the
//! parameters, the one-vs-one fit and prediction.

mod kernel;
mod probability;
mod smo;

use ndarray::{Array2, ArrayView2, Axis, Slice};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{
    FitOptions, check_at_least, check_features, check_positive, check_train, class_weights,
    param_err,
};
use crate::{Checked, Classifier, Error, FittedClassifier, Result};

pub use kernel::Kernel;
use kernel::{KernelSource, dot};
use probability::{multiclass_probability, platt_cv, sigmoid_predict};
use smo::fit_binary;

/// Kernel function of an SVM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KernelKind {
    /// `exp(-gamma * |x - y|^2)`.
    #[default]
    Rbf,
    /// `x . y`.
    Linear,
    /// `(gamma * x . y + coef0)^degree`.
    Poly,
}

/// How `gamma` is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GammaRule {
    /// `1 / (n_features * var(X))` over all entries of the training matrix (scikit-learn's default).
    #[default]
    Scale,
    /// `1 / n_features`.
    Auto,
}

/// Kernel coefficient: a rule (`"scale"`, `"auto"`) or a positive number.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Gamma {
    /// A fixed value (> 0).
    Value(f64),
    /// Derived from the training data.
    Rule(GammaRule),
}

impl Default for Gamma {
    fn default() -> Self {
        Gamma::Rule(GammaRule::Scale)
    }
}

/// Hyper-parameters of the support vector classifier.
///
/// | name | default | range | meaning |
/// |---|---|---|---|
/// | `kernel` | `rbf` | rbf, linear, poly | kernel function |
/// | `c` | 1.0 | > 0 | soft-margin penalty |
/// | `gamma` | `"scale"` | "scale", "auto" or > 0 | kernel coefficient (rbf, poly) |
/// | `degree` | 3 | 1..=10 | polynomial degree |
/// | `coef0` | 0.0 | finite | polynomial offset |
/// | `tol` | 1e-3 | > 0 | stopping tolerance on the KKT violation (libsvm `eps`) |
/// | `probability` | true | | fit Platt sigmoids so `predict_proba` works (about 5x fit time) |
/// | `cache_mb` | 512 | >= 1 | memory for the Gram matrix / kernel row cache, MiB |
/// | `max_iter` | 10 000 000 | >= 1 | SMO iterations per binary problem |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SvmParams {
    pub kernel: KernelKind,
    pub c: f64,
    pub gamma: Gamma,
    pub degree: u32,
    pub coef0: f64,
    pub tol: f64,
    pub probability: bool,
    pub cache_mb: usize,
    pub max_iter: usize,
}

impl Default for SvmParams {
    fn default() -> Self {
        Self {
            kernel: KernelKind::Rbf,
            c: 1.0,
            gamma: Gamma::default(),
            degree: 3,
            coef0: 0.0,
            tol: 1e-3,
            probability: true,
            cache_mb: 512,
            max_iter: 10_000_000,
        }
    }
}

/// One binary machine of the one-vs-one scheme: class `a` is +1, class `b` is -1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct PairMachine {
    a: usize,
    b: usize,
    /// Indices into the model's support vector list.
    sv: Vec<u32>,
    /// `alpha_i * y_i` of those support vectors.
    coef: Vec<f64>,
    rho: f64,
    /// Platt sigmoid `(A, B)`, present when fitted with `probability = true`.
    platt: Option<(f64, f64)>,
}

/// A fitted support vector classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SvmModel {
    kernel: Kernel,
    n_features: usize,
    n_classes: usize,
    /// Classes seen in training, ascending.
    present: Vec<usize>,
    /// Support vectors, row-major `n_sv x n_features`.
    sv: Vec<f64>,
    pairs: Vec<PairMachine>,
    /// Squared norms of the support vectors, computed on first use (not saved).
    #[serde(skip)]
    sv_norms: NormCache,
}

/// A value derived from the model's contents, computed once on first use. Never saved and never
/// part of equality: two models are equal when their contents are.
#[derive(Clone, Default)]
struct NormCache(std::sync::OnceLock<Vec<f64>>);

impl PartialEq for NormCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for NormCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NormCache")
    }
}

/// Batches of at most this many rows take their kernel values row by row (dot products against
/// the support vectors in place); larger ones through one matrix product per block, whose
/// packing of the support-vector matrix only pays off over many rows. A server predicting one
/// utterance at a time spent a quarter of its CPU packing that matrix.
const ROWWISE_MAX_ROWS: usize = 8;

/// `(a, b, training rows, alpha*y per row, rho, Platt sigmoid)` of one fitted pair.
type FittedPair = (usize, usize, Vec<usize>, Vec<f64>, f64, Option<(f64, f64)>);

/// Resolves the kernel coefficient for a training matrix.
fn resolve_gamma(p: &SvmParams, x: ArrayView2<f32>) -> f64 {
    let d = x.ncols() as f64;
    match p.gamma {
        Gamma::Value(g) => g,
        Gamma::Rule(GammaRule::Auto) => 1.0 / d,
        Gamma::Rule(GammaRule::Scale) => {
            let n = x.len() as f64;
            let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
            let var = x
                .iter()
                .map(|&v| (f64::from(v) - mean).powi(2))
                .sum::<f64>()
                / n;
            if var > 0.0 { 1.0 / (d * var) } else { 1.0 }
        }
    }
}

impl Classifier for SvmParams {
    type Fitted = SvmModel;
    const KIND: &'static str = "svm";

    fn validate(&self) -> Result<()> {
        check_positive("svm.c", self.c)?;
        if let Gamma::Value(g) = self.gamma
            && !(g.is_finite() && g > 0.0)
        {
            return Err(param_err(
                "svm.gamma",
                "\"scale\", \"auto\" or finite > 0",
                g,
            ));
        }
        if !(1..=10).contains(&self.degree) {
            return Err(param_err("svm.degree", "1..=10", self.degree));
        }
        if !self.coef0.is_finite() {
            return Err(param_err("svm.coef0", "finite", self.coef0));
        }
        check_positive("svm.tol", self.tol)?;
        check_at_least("svm.cache_mb", self.cache_mb, 1)?;
        check_at_least("svm.max_iter", self.max_iter, 1)
    }

    /// Fits one-vs-one machines for every pair of classes present in `y`.
    fn fit(
        p: Checked<'_, Self>,
        x: ArrayView2<f32>,
        y: &[usize],
        n_classes: usize,
        opts: &FitOptions,
    ) -> Result<SvmModel> {
        let p = p.params();
        let info = check_train(x, y, n_classes)?;
        let weights = class_weights(&info, opts.class_weight);
        let kernel = Kernel {
            kind: p.kernel,
            gamma: resolve_gamma(p, x),
            degree: p.degree,
            coef0: p.coef0,
        };
        let x64 = x.mapv(f64::from);
        let src = KernelSource::new(x64, kernel, p.cache_mb.saturating_mul(1 << 20));
        let by_class: Vec<Vec<usize>> = (0..n_classes)
            .map(|c| (0..y.len()).filter(|&i| y[i] == c).collect())
            .collect();
        let mut pair_list = Vec::new();
        for (ia, &a) in info.present.iter().enumerate() {
            for &b in &info.present[ia + 1..] {
                pair_list.push((a, b));
            }
        }
        let fitted: Vec<FittedPair> = pair_list
            .par_iter()
            .enumerate()
            .map(|(pi, &(a, b))| {
                let idx: Vec<usize> = by_class[a].iter().chain(&by_class[b]).copied().collect();
                let yv: Vec<f64> = idx
                    .iter()
                    .map(|&i| if y[i] == a { 1.0 } else { -1.0 })
                    .collect();
                let cvec: Vec<f64> = idx.iter().map(|&i| p.c * weights[y[i]]).collect();
                let platt = p.probability.then(|| {
                    platt_cv(
                        &src,
                        &idx,
                        &yv,
                        &cvec,
                        p,
                        opts.seed ^ (pi as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                    )
                });
                let (coef, rho) = fit_binary(&src, &idx, &yv, &cvec, p);
                (a, b, idx, coef, rho, platt)
            })
            .collect();
        // Union of support vectors, in training-row order.
        let mut sv_of_row = vec![u32::MAX; x.nrows()];
        for (_, _, idx, coef, _, _) in &fitted {
            for (&g, &c) in idx.iter().zip(coef) {
                if c != 0.0 {
                    sv_of_row[g] = 0;
                }
            }
        }
        let mut sv = Vec::new();
        let mut next = 0u32;
        for (g, slot) in sv_of_row.iter_mut().enumerate() {
            if *slot == 0 {
                *slot = next;
                next += 1;
                sv.extend(src.x.row(g).iter().copied());
            }
        }
        let pairs = fitted
            .into_iter()
            .map(|(a, b, idx, coef, rho, platt)| {
                let (svi, c): (Vec<u32>, Vec<f64>) = idx
                    .iter()
                    .zip(&coef)
                    .filter(|(_, c)| **c != 0.0)
                    .map(|(&g, &c)| (sv_of_row[g], c))
                    .unzip();
                PairMachine {
                    a,
                    b,
                    sv: svi,
                    coef: c,
                    rho,
                    platt,
                }
            })
            .collect();
        Ok(SvmModel {
            kernel,
            n_features: x.ncols(),
            n_classes,
            present: info.present,
            sv,
            pairs,
            sv_norms: NormCache::default(),
        })
    }
}

impl SvmModel {
    /// Number of distinct support vectors.
    pub fn n_support_vectors(&self) -> usize {
        self.sv.len() / self.n_features.max(1)
    }

    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Pairwise decision values for every row: `(n_rows, n_pairs)`.
    fn decisions(&self, x: ArrayView2<f32>) -> Result<Vec<Vec<f64>>> {
        check_features(x, self.n_features)?;
        let d = self.n_features;
        let n_sv = self.n_support_vectors();
        if self.sv.len() != n_sv * d {
            return Err(Error::Corrupt("svm support vector storage".into()));
        }
        for pm in &self.pairs {
            if pm.sv.len() != pm.coef.len() || pm.sv.iter().any(|&s| s as usize >= n_sv) {
                return Err(Error::Corrupt("svm support vector index".into()));
            }
        }
        let sv_norms = self
            .sv_norms
            .0
            .get_or_init(|| self.sv.chunks(d).map(|r| dot(r, r)).collect());
        let sv = ArrayView2::from_shape((n_sv, d), &self.sv)
            .map_err(|_| Error::Corrupt("svm support vector storage".into()))?;
        // The kernel function of one row against every support vector, then the pairwise sums.
        let pairwise = |xr: &[f64], dots: &mut dyn Iterator<Item = f64>| -> Vec<f64> {
            let xn = dot(xr, xr);
            let kv: Vec<f64> = dots
                .zip(sv_norms)
                .map(|(dt, &sn)| self.kernel.eval(dt, sn, xn))
                .collect();
            self.pairs
                .iter()
                .map(|pm| {
                    pm.sv
                        .iter()
                        .zip(&pm.coef)
                        .map(|(&s, c)| c * kv[s as usize])
                        .sum::<f64>()
                        - pm.rho
                })
                .collect()
        };
        if x.nrows() <= ROWWISE_MAX_ROWS {
            let mut xr = vec![0.0; d];
            return Ok(x
                .rows()
                .into_iter()
                .map(|row| {
                    for (a, &b) in xr.iter_mut().zip(row) {
                        *a = f64::from(b);
                    }
                    pairwise(&xr, &mut self.sv.chunks(d).map(|s| dot(&xr, s)))
                })
                .collect());
        }
        // By blocks of rows: one matrix product (X_block . SV^T) per block.
        let block = 128;
        let starts: Vec<usize> = (0..x.nrows()).step_by(block).collect();
        let parts: Vec<Vec<Vec<f64>>> = starts
            .par_iter()
            .map(|&start| {
                let end = (start + block).min(x.nrows());
                let xb = x
                    .slice_axis(Axis(0), Slice::from(start..end))
                    .as_standard_layout()
                    .mapv(f64::from);
                let dots = xb.dot(&sv.t());
                xb.rows()
                    .into_iter()
                    .zip(dots.rows())
                    .map(|(xr, dr)| match xr.as_slice() {
                        Some(xr) => pairwise(xr, &mut dr.iter().copied()),
                        None => pairwise(&xr.to_vec(), &mut dr.iter().copied()),
                    })
                    .collect()
            })
            .collect();
        Ok(parts.into_iter().flatten().collect())
    }

    /// One-vs-one voting over pairwise decision values (ties: the lower class index), as libsvm.
    fn vote(&self, dec: &[Vec<f64>]) -> Vec<usize> {
        dec.iter()
            .map(|row| {
                let mut votes = vec![0usize; self.n_classes];
                for (pm, &v) in self.pairs.iter().zip(row) {
                    votes[if v > 0.0 { pm.a } else { pm.b }] += 1;
                }
                let mut best = self.present[0];
                for &c in &self.present {
                    if votes[c] > votes[best] {
                        best = c;
                    }
                }
                best
            })
            .collect()
    }

    /// Probabilities from pairwise decision values: Platt sigmoids and pairwise coupling.
    fn coupled_proba(&self, dec: &[Vec<f64>]) -> Result<Array2<f32>> {
        let k = self.present.len();
        let mut pos = vec![usize::MAX; self.n_classes];
        for (i, &c) in self.present.iter().enumerate() {
            pos[c] = i;
        }
        let mut out = Array2::<f32>::zeros((dec.len(), self.n_classes));
        for (row, d) in dec.iter().enumerate() {
            let mut r = vec![vec![0.0; k]; k];
            for (pm, &v) in self.pairs.iter().zip(d) {
                let (ia, ib) = (pos[pm.a], pos[pm.b]);
                if ia >= k || ib >= k {
                    return Err(Error::Corrupt("svm pair class".into()));
                }
                let (a, b) = pm.platt.unwrap_or((0.0, 0.0));
                let pr = sigmoid_predict(v, a, b).clamp(1e-7, 1.0 - 1e-7);
                r[ia][ib] = pr;
                r[ib][ia] = 1.0 - pr;
            }
            let p = multiclass_probability(&r);
            for (i, &c) in self.present.iter().enumerate() {
                out[[row, c]] = p[i] as f32;
            }
        }
        Ok(out)
    }

    /// Fitted with Platt sigmoids (`probability = true`).
    fn has_proba(&self) -> bool {
        self.pairs.iter().all(|p| p.platt.is_some())
    }
}

#[typetag::serde(name = "svm")]
impl FittedClassifier for SvmModel {
    /// Class of each row by one-vs-one voting (ties: the lower class index), as libsvm (and
    /// scikit-learn's `SVC.predict`, also when fitted with probabilities).
    fn predict(&self, x: ArrayView2<f32>) -> Result<Vec<usize>> {
        Ok(self.vote(&self.decisions(x)?))
    }

    /// Class probabilities by Platt sigmoids and pairwise coupling; `None` when fitted with
    /// `probability = false`.
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Option<Array2<f32>>> {
        if !self.has_proba() {
            return Ok(None);
        }
        Ok(Some(self.coupled_proba(&self.decisions(x)?)?))
    }

    /// Both from one computation of the decision values.
    fn predict_with_proba(&self, x: ArrayView2<f32>) -> Result<(Vec<usize>, Option<Array2<f32>>)> {
        let dec = self.decisions(x)?;
        let proba = if self.has_proba() {
            Some(self.coupled_proba(&dec)?)
        } else {
            None
        };
        Ok((self.vote(&dec), proba))
    }
}
