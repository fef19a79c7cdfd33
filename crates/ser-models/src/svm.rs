//! Support vector classifier: C-SVC solved by SMO with libsvm's second-order working set
//! selection (WSS2, Fan, Chen & Lin 2005), one-vs-one for several classes, probabilities by
//! Platt scaling (5-fold internal cross-validation per pair, as libsvm) and pairwise coupling
//! (Wu, Lin & Weng 2004, method 2). This reproduces libsvm / scikit-learn's `SVC`.
//!
//! Why not smartcore: smartcore 0.7's `SVC` is a binary LaSVM-style solver without class
//! weights, probability estimates or a kernel cache; its one-vs-one wrapper is slow on 1000-dimensional
//! features. This solver precomputes the Gram matrix with a blocked matrix product when it fits in
//! `cache_mb` and falls back to computing kernel rows on demand with a bounded row cache.

use std::collections::VecDeque;

use ndarray::{Array2, ArrayView2, Axis, Slice};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{FitOptions, check_features, check_train, class_weights, param_err};
use crate::{Error, Result};

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

impl SvmParams {
    /// Validates the parameters.
    pub fn check(&self) -> Result<()> {
        if !(self.c.is_finite() && self.c > 0.0) {
            return Err(param_err("svm.c", "finite > 0", self.c));
        }
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
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(param_err("svm.tol", "finite > 0", self.tol));
        }
        if self.cache_mb == 0 {
            return Err(param_err("svm.cache_mb", ">= 1", self.cache_mb));
        }
        if self.max_iter == 0 {
            return Err(param_err("svm.max_iter", ">= 1", self.max_iter));
        }
        Ok(())
    }
}

/// A resolved kernel function.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Kernel {
    pub kind: KernelKind,
    pub gamma: f64,
    pub degree: u32,
    pub coef0: f64,
}

impl Kernel {
    /// Kernel value from the dot product and the squared norms of the two vectors.
    #[inline]
    fn eval(&self, dot: f64, n1: f64, n2: f64) -> f64 {
        match self.kind {
            KernelKind::Linear => dot,
            KernelKind::Rbf => (-self.gamma * (n1 + n2 - 2.0 * dot).max(0.0)).exp(),
            KernelKind::Poly => (self.gamma * dot + self.coef0).powi(self.degree as i32),
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    // Four accumulators: lets the compiler vectorise and keeps the order fixed (deterministic).
    let mut acc = [0.0f64; 4];
    let chunks = a.len() / 4;
    for i in 0..chunks {
        for (l, slot) in acc.iter_mut().enumerate() {
            *slot += a[4 * i + l] * b[4 * i + l];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for i in 4 * chunks..a.len() {
        s += a[i] * b[i];
    }
    s
}

/// Where kernel values of training rows come from.
struct KernelSource {
    kernel: Kernel,
    x: Array2<f64>,
    norms: Vec<f64>,
    /// Full Gram matrix (f32) when it fits the memory budget.
    gram: Option<Array2<f32>>,
}

impl KernelSource {
    fn new(x: Array2<f64>, kernel: Kernel, cache_bytes: usize) -> Self {
        let n = x.nrows();
        let norms: Vec<f64> = x.rows().into_iter().map(|r| r.dot(&r)).collect();
        let gram = if n.saturating_mul(n).saturating_mul(4) <= cache_bytes {
            let mut g = Array2::<f32>::zeros((n, n));
            let block = 256;
            let xt = x.t();
            let chunks: Vec<(usize, Array2<f32>)> = (0..n)
                .step_by(block)
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(|start| {
                    let end = (start + block).min(n);
                    let d = x.slice_axis(Axis(0), Slice::from(start..end)).dot(&xt);
                    let mut out = Array2::<f32>::zeros(d.dim());
                    for ((i, j), v) in d.indexed_iter() {
                        out[[i, j]] = kernel.eval(*v, norms[start + i], norms[j]) as f32;
                    }
                    (start, out)
                })
                .collect();
            for (start, blk) in chunks {
                let end = start + blk.nrows();
                g.slice_axis_mut(Axis(0), Slice::from(start..end))
                    .assign(&blk);
            }
            Some(g)
        } else {
            None
        };
        Self {
            kernel,
            x,
            norms,
            gram,
        }
    }

    #[inline]
    fn k(&self, i: usize, j: usize) -> f64 {
        match &self.gram {
            Some(g) => f64::from(g[[i, j]]),
            None => self.kernel.eval(
                dot(
                    self.x.row(i).as_slice().unwrap_or(&[]),
                    self.x.row(j).as_slice().unwrap_or(&[]),
                ),
                self.norms[i],
                self.norms[j],
            ),
        }
    }
}

/// Bounded cache of Q rows (`Q_ij = y_i y_j K(x_i, x_j)`) of one binary sub-problem.
struct RowCache<'a> {
    src: &'a KernelSource,
    idx: &'a [usize],
    y: &'a [f64],
    rows: Vec<Option<Vec<f32>>>,
    order: VecDeque<usize>,
    capacity: usize,
}

impl<'a> RowCache<'a> {
    fn new(src: &'a KernelSource, idx: &'a [usize], y: &'a [f64], capacity: usize) -> Self {
        Self {
            src,
            idx,
            y,
            rows: vec![None; idx.len()],
            order: VecDeque::new(),
            capacity: capacity.max(2),
        }
    }

    fn ensure(&mut self, i: usize, protect: usize) {
        if self.rows[i].is_some() {
            return;
        }
        while self.order.len() >= self.capacity {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if old == protect {
                self.order.push_back(old);
                if self.order.len() == 1 {
                    break;
                }
                continue;
            }
            self.rows[old] = None;
        }
        let gi = self.idx[i];
        let yi = self.y[i];
        let row: Vec<f32> = self
            .idx
            .iter()
            .zip(self.y)
            .map(|(&gj, &yj)| (yi * yj * self.src.k(gi, gj)) as f32)
            .collect();
        self.rows[i] = Some(row);
        self.order.push_back(i);
    }

    fn get(&self, i: usize) -> &[f32] {
        self.rows[i].as_deref().unwrap_or(&[])
    }
}

const TAU: f64 = 1e-12;

/// Solves the dual of a binary C-SVC. `idx`: rows of the kernel source; `y`: +1/-1;
/// `cvec`: per-row upper bound. Returns `(alpha, rho)`.
fn solve(
    src: &KernelSource,
    idx: &[usize],
    y: &[f64],
    cvec: &[f64],
    tol: f64,
    max_iter: usize,
    cache_bytes: usize,
) -> (Vec<f64>, f64) {
    let m = idx.len();
    let capacity = if src.gram.is_some() {
        m
    } else {
        (cache_bytes / 4 / m.max(1)).clamp(2, m.max(2))
    };
    let mut cache = RowCache::new(src, idx, y, capacity);
    let qd: Vec<f64> = idx.iter().map(|&g| src.k(g, g)).collect();
    let mut alpha = vec![0.0f64; m];
    let mut grad = vec![-1.0f64; m];
    let upper = |a: &[f64], t: usize| a[t] >= cvec[t];
    let lower = |a: &[f64], t: usize| a[t] <= 0.0;

    let mut iter = 0usize;
    while iter < max_iter {
        iter += 1;
        // Working set selection 2.
        let mut gmax = f64::NEG_INFINITY;
        let mut gmax_idx = usize::MAX;
        for t in 0..m {
            if y[t] > 0.0 {
                if !upper(&alpha, t) && -grad[t] >= gmax {
                    gmax = -grad[t];
                    gmax_idx = t;
                }
            } else if !lower(&alpha, t) && grad[t] >= gmax {
                gmax = grad[t];
                gmax_idx = t;
            }
        }
        if gmax_idx == usize::MAX {
            break;
        }
        let i = gmax_idx;
        cache.ensure(i, usize::MAX);
        let mut gmax2 = f64::NEG_INFINITY;
        let mut gmin_idx = usize::MAX;
        let mut obj_diff_min = f64::INFINITY;
        {
            let qi = cache.get(i);
            for j in 0..m {
                if y[j] > 0.0 {
                    if !lower(&alpha, j) {
                        let grad_diff = gmax + grad[j];
                        if grad[j] >= gmax2 {
                            gmax2 = grad[j];
                        }
                        if grad_diff > 0.0 {
                            let quad = qd[i] + qd[j] - 2.0 * y[i] * f64::from(qi[j]);
                            let obj =
                                -(grad_diff * grad_diff) / if quad > 0.0 { quad } else { TAU };
                            if obj <= obj_diff_min {
                                gmin_idx = j;
                                obj_diff_min = obj;
                            }
                        }
                    }
                } else if !upper(&alpha, j) {
                    let grad_diff = gmax - grad[j];
                    if -grad[j] >= gmax2 {
                        gmax2 = -grad[j];
                    }
                    if grad_diff > 0.0 {
                        let quad = qd[i] + qd[j] + 2.0 * y[i] * f64::from(qi[j]);
                        let obj = -(grad_diff * grad_diff) / if quad > 0.0 { quad } else { TAU };
                        if obj <= obj_diff_min {
                            gmin_idx = j;
                            obj_diff_min = obj;
                        }
                    }
                }
            }
        }
        if gmax + gmax2 < tol || gmin_idx == usize::MAX {
            break;
        }
        let j = gmin_idx;
        cache.ensure(j, i);
        let qi = cache.get(i);
        let qj = cache.get(j);
        let (ci, cj) = (cvec[i], cvec[j]);
        let (old_i, old_j) = (alpha[i], alpha[j]);
        if y[i] != y[j] {
            let mut quad = qd[i] + qd[j] + 2.0 * f64::from(qi[j]);
            if quad <= 0.0 {
                quad = TAU;
            }
            let delta = (-grad[i] - grad[j]) / quad;
            let diff = alpha[i] - alpha[j];
            alpha[i] += delta;
            alpha[j] += delta;
            if diff > 0.0 {
                if alpha[j] < 0.0 {
                    alpha[j] = 0.0;
                    alpha[i] = diff;
                }
            } else if alpha[i] < 0.0 {
                alpha[i] = 0.0;
                alpha[j] = -diff;
            }
            if diff > ci - cj {
                if alpha[i] > ci {
                    alpha[i] = ci;
                    alpha[j] = ci - diff;
                }
            } else if alpha[j] > cj {
                alpha[j] = cj;
                alpha[i] = cj + diff;
            }
        } else {
            let mut quad = qd[i] + qd[j] - 2.0 * f64::from(qi[j]);
            if quad <= 0.0 {
                quad = TAU;
            }
            let delta = (grad[i] - grad[j]) / quad;
            let sum = alpha[i] + alpha[j];
            alpha[i] -= delta;
            alpha[j] += delta;
            if sum > ci {
                if alpha[i] > ci {
                    alpha[i] = ci;
                    alpha[j] = sum - ci;
                }
            } else if alpha[j] < 0.0 {
                alpha[j] = 0.0;
                alpha[i] = sum;
            }
            if sum > cj {
                if alpha[j] > cj {
                    alpha[j] = cj;
                    alpha[i] = sum - cj;
                }
            } else if alpha[i] < 0.0 {
                alpha[i] = 0.0;
                alpha[j] = sum;
            }
        }
        let dai = alpha[i] - old_i;
        let daj = alpha[j] - old_j;
        for k in 0..m {
            grad[k] += f64::from(qi[k]) * dai + f64::from(qj[k]) * daj;
        }
    }

    // rho (the bias, with decision = sum - rho).
    let mut ub = f64::INFINITY;
    let mut lb = f64::NEG_INFINITY;
    let mut sum_free = 0.0;
    let mut nr_free = 0usize;
    for t in 0..m {
        let yg = y[t] * grad[t];
        if upper(&alpha, t) {
            if y[t] < 0.0 {
                ub = ub.min(yg);
            } else {
                lb = lb.max(yg);
            }
        } else if lower(&alpha, t) {
            if y[t] > 0.0 {
                ub = ub.min(yg);
            } else {
                lb = lb.max(yg);
            }
        } else {
            nr_free += 1;
            sum_free += yg;
        }
    }
    let rho = if nr_free > 0 {
        sum_free / nr_free as f64
    } else {
        (ub + lb) / 2.0
    };
    (alpha, rho)
}

/// Platt's sigmoid fit on decision values (libsvm `sigmoid_train`). Returns `(A, B)` with
/// `P(y = +1 | f) = 1 / (1 + exp(A f + B))`.
fn sigmoid_train(dec: &[f64], labels: &[bool]) -> (f64, f64) {
    let prior1 = labels.iter().filter(|&&l| l).count() as f64;
    let prior0 = labels.len() as f64 - prior1;
    let (max_iter, min_step, sigma, eps) = (100, 1e-10, 1e-12, 1e-5);
    let hi = (prior1 + 1.0) / (prior1 + 2.0);
    let lo = 1.0 / (prior0 + 2.0);
    let t: Vec<f64> = labels.iter().map(|&l| if l { hi } else { lo }).collect();
    let fval_of = |a: f64, b: f64| -> f64 {
        dec.iter()
            .zip(&t)
            .map(|(&d, &ti)| {
                let f = d * a + b;
                if f >= 0.0 {
                    ti * f + (-f).exp().ln_1p()
                } else {
                    (ti - 1.0) * f + f.exp().ln_1p()
                }
            })
            .sum()
    };
    let mut a = 0.0;
    let mut b = ((prior0 + 1.0) / (prior1 + 1.0)).ln();
    let mut fval = fval_of(a, b);
    for _ in 0..max_iter {
        let (mut h11, mut h22, mut h21, mut g1, mut g2) = (sigma, sigma, 0.0, 0.0, 0.0);
        for (&d, &ti) in dec.iter().zip(&t) {
            let f = d * a + b;
            let (p, q) = if f >= 0.0 {
                let e = (-f).exp();
                (e / (1.0 + e), 1.0 / (1.0 + e))
            } else {
                let e = f.exp();
                (1.0 / (1.0 + e), e / (1.0 + e))
            };
            let d2 = p * q;
            h11 += d * d * d2;
            h22 += d2;
            h21 += d * d2;
            let d1 = ti - p;
            g1 += d * d1;
            g2 += d1;
        }
        if g1.abs() < eps && g2.abs() < eps {
            break;
        }
        let det = h11 * h22 - h21 * h21;
        let da = -(h22 * g1 - h21 * g2) / det;
        let db = -(-h21 * g1 + h11 * g2) / det;
        let gd = g1 * da + g2 * db;
        let mut step = 1.0;
        while step >= min_step {
            let (na, nb) = (a + step * da, b + step * db);
            let nf = fval_of(na, nb);
            if nf < fval + 1e-4 * step * gd {
                a = na;
                b = nb;
                fval = nf;
                break;
            }
            step /= 2.0;
        }
        if step < min_step {
            break;
        }
    }
    (a, b)
}

fn sigmoid_predict(dec: f64, a: f64, b: f64) -> f64 {
    let f = dec * a + b;
    if f >= 0.0 {
        (-f).exp() / (1.0 + (-f).exp())
    } else {
        1.0 / (1.0 + f.exp())
    }
}

/// Pairwise coupling (Wu, Lin & Weng 2004, method 2; libsvm `multiclass_probability`).
/// `r[i][j]`: estimated P(class i | i or j).
fn multiclass_probability(r: &[Vec<f64>]) -> Vec<f64> {
    let k = r.len();
    let mut q = vec![vec![0.0; k]; k];
    for t in 0..k {
        for j in 0..k {
            if j != t {
                q[t][t] += r[j][t] * r[j][t];
                q[t][j] = -r[j][t] * r[t][j];
            }
        }
    }
    let mut p = vec![1.0 / k as f64; k];
    let mut qp = vec![0.0; k];
    let max_iter = 100.max(k);
    let eps = 0.005 / k as f64;
    for _ in 0..max_iter {
        let mut pqp = 0.0;
        for t in 0..k {
            qp[t] = (0..k).map(|j| q[t][j] * p[j]).sum();
            pqp += p[t] * qp[t];
        }
        let max_error = (0..k).map(|t| (qp[t] - pqp).abs()).fold(0.0, f64::max);
        if max_error < eps {
            break;
        }
        for t in 0..k {
            let diff = (-qp[t] + pqp) / q[t][t];
            p[t] += diff;
            pqp = (pqp + diff * (diff * q[t][t] + 2.0 * qp[t])) / (1.0 + diff) / (1.0 + diff);
            for j in 0..k {
                qp[j] = (qp[j] + diff * q[t][j]) / (1.0 + diff);
                p[j] /= 1.0 + diff;
            }
        }
    }
    p
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
}

/// Fits a binary machine on the rows `idx` (labels +1 for class `a`), returns (alpha*y, rho).
fn fit_binary(
    src: &KernelSource,
    idx: &[usize],
    y: &[f64],
    cvec: &[f64],
    p: &SvmParams,
) -> (Vec<f64>, f64) {
    let cache_bytes = p.cache_mb.saturating_mul(1 << 20);
    let (alpha, rho) = solve(src, idx, y, cvec, p.tol, p.max_iter, cache_bytes);
    let coef = alpha.iter().zip(y).map(|(a, y)| a * y).collect();
    (coef, rho)
}

/// Decision values on `test` rows of a machine trained on `train` rows with `coef`, `rho`.
fn decision_on(
    src: &KernelSource,
    train: &[usize],
    coef: &[f64],
    rho: f64,
    test: &[usize],
) -> Vec<f64> {
    test.iter()
        .map(|&t| {
            train
                .iter()
                .zip(coef)
                .filter(|(_, c)| **c != 0.0)
                .map(|(&g, c)| c * src.k(g, t))
                .sum::<f64>()
                - rho
        })
        .collect()
}

/// libsvm's `svm_binary_svc_probability`: 5-fold CV decision values, then a Platt sigmoid.
fn platt_cv(
    src: &KernelSource,
    idx: &[usize],
    y: &[f64],
    cvec: &[f64],
    p: &SvmParams,
    seed: u64,
) -> (f64, f64) {
    let m = idx.len();
    let nr_fold = 5.min(m);
    let mut perm: Vec<usize> = (0..m).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    perm.shuffle(&mut rng);
    let mut dec = vec![0.0; m];
    for f in 0..nr_fold {
        let begin = f * m / nr_fold;
        let end = (f + 1) * m / nr_fold;
        let train: Vec<usize> = perm[..begin].iter().chain(&perm[end..]).copied().collect();
        let test = &perm[begin..end];
        let n_pos = train.iter().filter(|&&t| y[t] > 0.0).count();
        let n_neg = train.len() - n_pos;
        if n_pos == 0 || n_neg == 0 {
            let v = if n_pos > 0 {
                1.0
            } else if n_neg > 0 {
                -1.0
            } else {
                0.0
            };
            for &t in test {
                dec[t] = v;
            }
            continue;
        }
        let sub_idx: Vec<usize> = train.iter().map(|&t| idx[t]).collect();
        let sub_y: Vec<f64> = train.iter().map(|&t| y[t]).collect();
        let sub_c: Vec<f64> = train.iter().map(|&t| cvec[t]).collect();
        let (coef, rho) = fit_binary(src, &sub_idx, &sub_y, &sub_c, p);
        let test_g: Vec<usize> = test.iter().map(|&t| idx[t]).collect();
        let d = decision_on(src, &sub_idx, &coef, rho, &test_g);
        for (&t, v) in test.iter().zip(d) {
            dec[t] = v;
        }
    }
    let labels: Vec<bool> = y.iter().map(|&v| v > 0.0).collect();
    sigmoid_train(&dec, &labels)
}

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

impl SvmModel {
    /// Fits one-vs-one machines for every pair of classes present in `y`.
    pub fn fit(
        p: &SvmParams,
        x: ArrayView2<f32>,
        y: &[usize],
        n_classes: usize,
        opts: &FitOptions,
    ) -> Result<Self> {
        p.check()?;
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
        Ok(Self {
            kernel,
            n_features: x.ncols(),
            n_classes,
            present: info.present,
            sv,
            pairs,
        })
    }

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
        let sv_norms: Vec<f64> = self.sv.chunks(d).map(|r| dot(r, r)).collect();
        let sv = ArrayView2::from_shape((n_sv, d), &self.sv)
            .map_err(|_| Error::Corrupt("svm support vector storage".into()))?;
        // Kernel values against all support vectors by blocks of rows: one matrix product
        // (X_block . SV^T) per block, then the kernel function and the pairwise sums.
        let block = 128;
        let starts: Vec<usize> = (0..x.nrows()).step_by(block).collect();
        let parts: Vec<Vec<Vec<f64>>> = starts
            .par_iter()
            .map(|&start| {
                let end = (start + block).min(x.nrows());
                let xb = x
                    .slice_axis(Axis(0), Slice::from(start..end))
                    .mapv(f64::from);
                let dots = xb.dot(&sv.t());
                xb.rows()
                    .into_iter()
                    .zip(dots.rows())
                    .map(|(xr, dr)| {
                        let xn = xr.dot(&xr);
                        let kv: Vec<f64> = dr
                            .iter()
                            .zip(&sv_norms)
                            .map(|(&dt, &sn)| self.kernel.eval(dt, sn, xn))
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
                    })
                    .collect()
            })
            .collect();
        Ok(parts.into_iter().flatten().collect())
    }

    /// Class of each row by one-vs-one voting (ties: the lower class index), as libsvm.
    pub fn predict(&self, x: ArrayView2<f32>) -> Result<Vec<usize>> {
        let dec = self.decisions(x)?;
        Ok(dec
            .iter()
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
            .collect())
    }

    /// Class probabilities by Platt sigmoids and pairwise coupling; `None` when fitted with
    /// `probability = false`.
    pub fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Option<Array2<f32>>> {
        if self.pairs.iter().any(|p| p.platt.is_none()) {
            return Ok(None);
        }
        let dec = self.decisions(x)?;
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
        Ok(Some(out))
    }
}
