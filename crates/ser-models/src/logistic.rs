//! Multinomial logistic regression with an L2 penalty, solved by L-BFGS.
//!
//! Objective (scikit-learn's `LogisticRegression(multi_class="multinomial", penalty="l2")`):
//! `C * sum_i w_i * (-log softmax(W x_i + b)_{y_i}) + 0.5 * ||W||_F^2`, the intercept `b`
//! unpenalised, `w_i` the class weight of row `i`.
//!
//! Why not smartcore: smartcore 0.7's `LogisticRegression` takes no class weights and its
//! regularisation/stopping differ from scikit-learn's; this solver converges to the same optimum.
//!
//! ## Two ways to the same optimum
//!
//! `X` is `n × d` (training rows × features), `k` classes, `r = rank X <= min(n, d)`:
//!
//! | problem | used when | L-BFGS variables | one objective evaluation | once per fit |
//! |---|---|---|---|---|
//! | direct | `d <= 1.2 n` | `k × d` weights + `k` intercepts | two `n × d × k` products | nothing |
//! | row space | `d > 1.2 n` ([`REDUCE_ABOVE`]) | `k × r` weights + `k` intercepts | two `n × r × k` products on a lower-trapezoidal design, 9/16 of the dense cost | `X X^T` (`n² d`), pivoted Cholesky (`n³ / 6`), one direct gradient |
//!
//! The row-space problem is the same problem (representer theorem): the loss's gradient in `W` is
//! a combination of the rows of `X` and L-BFGS from `W = 0` only adds gradients, so the optimum and
//! every iterate lie in the row space. With `X X^T = B B^T` (pivoted Cholesky, `B = X Q^T` for an
//! orthonormal basis `Q` (r × d) of the row space, `RowSpace`) and `W = W' Q`: `X W^T = B W'^T` and
//! `||W||_F = ||W'||_F`, the same objective on the `n × r` design `B`, and `W` is recovered from
//! `W'` by a triangular solve and one product. L-BFGS with a scaled-identity initial Hessian
//! uses inner products only, which the isometry keeps, except for max-norms (the stopping rule and
//! the scale of a steepest-descent step): those are taken of the original gradient `G_W = G_W' Q`
//! (`OriginalNorm`, which usually needs a few dot products rather than the full `k × d` matrix). So
//! both problems take the same steps in exact arithmetic; in floating point their rounding differs,
//! the iterates drift apart and they stop at different points within the tolerance of the optimum
//! (measured: as far apart as each is from a direct fit at `tol / 1000`, the example's
//! `--reference`). Rank deficiency
//! (duplicate rows, rows combined of others) ends the factorisation at pivots below
//! `max(n, d) * eps * max_i ||x_i||^2`, the rounding of `X X^T`; whenever the reduced run stops by
//! the gradient rule, the original objective's gradient at the recovered `(W, b)` is computed once
//! and must pass the rule too, else the direct problem is solved (`SolverReport::fell_back`).
//! The model is the same either way: `coef` is `k × d`.
//!
//! Measured with `cargo run --release -p ser-models --example logistic_reduction` (one core, C 1,
//! tol 1e-6, k 7; seconds direct / row space, iterations direct / row space):
//!
//! | table | direct | row space | ratio | iterations |
//! |---|---|---|---|---|
//! | random 480 × 576 | 0.124 | 0.096 | 1.3 | 258 / 260 |
//! | random 480 × 1022 | 0.229 | 0.098 | 2.3 | 225 / 212 |
//! | random 480 × 3797 | 1.400 | 0.154 | 9.1 | 246 / 309 |
//! | EMO-DB `default`, 10 LOSO training sets (~480 × 1022), balanced | 3.64 | 1.23 | 3.0 | 4282 / 3634 |
//! | EMO-DB `rich`, 10 LOSO training sets (~480 × 3797), balanced | 30.3 | 2.19 | 13.8 | 4333 / 4414 |
//!
//! (`--csv` on `cargo xtask prepare --csv` tables; largest coefficient difference 6e-4 / 2e-3 of
//! the largest coefficient, probabilities within 2.3e-5.) At `d = n` a reduced evaluation is
//! cheaper too (triangular design) but the set-up and the noise of iteration counts leave little;
//! the reduction's memory, `n²` for `X X^T`, is below the design's own `n d` whenever it is used.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, Axis, Slice};
use serde::{Deserialize, Serialize};

use crate::data::{
    FitOptions, argmax_rows, check_at_least, check_features, check_positive, check_train,
    class_weights, softmax_rows,
};
use crate::{Checked, Classifier, FittedClassifier, Result};

/// Hyper-parameters of the logistic regression.
///
/// | name | default | range | meaning |
/// |---|---|---|---|
/// | `c` | 1.0 | > 0 | inverse L2 strength (scikit-learn `C`) |
/// | `max_iter` | 1000 | >= 1 | L-BFGS iterations |
/// | `tol` | 1e-6 | > 0 | stop when `max|grad| <= tol * max(1, max|grad_0|)` (gradient in the `k × d` weights and the intercepts, on either solver) |
/// | `fit_intercept` | true | | learn an unpenalised bias per class |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogisticParams {
    pub c: f64,
    pub max_iter: usize,
    pub tol: f64,
    pub fit_intercept: bool,
}

impl Default for LogisticParams {
    fn default() -> Self {
        Self {
            c: 1.0,
            max_iter: 1000,
            tol: 1e-6,
            fit_intercept: true,
        }
    }
}

/// A fitted multinomial logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    /// `(n_classes, n_features)`.
    coef: Array2<f64>,
    intercept: Vec<f64>,
    /// L-BFGS iterations used.
    pub n_iter: usize,
}

/// The max-norm of a gradient as the stopping rule sees it. The L-BFGS recursion itself uses
/// only inner products; the max-norm (the stopping rule and the scale of a steepest-descent
/// step) is the one place where the coordinates matter, so a solver working in other orthonormal
/// coordinates than the caller's measures it in the caller's.
pub(crate) trait GradNorm {
    /// `max |g|` in the caller's coordinates.
    fn max_abs(&mut self, g: &[f64]) -> f64;

    /// `max_abs(g) <= bound`, possibly without computing all of it.
    fn at_most(&mut self, g: &[f64], bound: f64) -> bool {
        self.max_abs(g) <= bound
    }
}

/// The max-norm of the vector itself.
pub(crate) struct MaxAbs;

impl GradNorm for MaxAbs {
    fn max_abs(&mut self, g: &[f64]) -> f64 {
        inf_norm(g)
    }
}

fn inf_norm(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |a, b| a.max(b.abs()))
}

/// Outcome of [`lbfgs`].
pub(crate) struct Minimum {
    pub x: Vec<f64>,
    /// Iterations used.
    pub iter: usize,
    /// Stopped by the gradient rule (not by `max_iter`, a failed line search or stalled steps).
    pub converged: bool,
    /// `max(1, norm.max_abs(grad at x0))`: the rule is `norm.max_abs(grad) <= tol * g0`.
    pub g0: f64,
}

/// L-BFGS minimisation of `f` (returns value and gradient) from `x0`; `norm` measures gradients
/// for the stopping rule `max|grad| <= tol * max(1, max|grad_0|)` and the steepest-descent scale.
/// Backtracking Armijo line search; curvature pairs with `s.y <= 0` are skipped.
pub(crate) fn lbfgs(
    mut f: impl FnMut(&[f64], &mut [f64]) -> f64,
    x0: Vec<f64>,
    max_iter: usize,
    tol: f64,
    norm: &mut impl GradNorm,
) -> Minimum {
    let n = x0.len();
    let m = 10;
    let mut x = x0;
    let mut g = vec![0.0; n];
    let mut fx = f(&x, &mut g);
    let g0 = norm.max_abs(&g).max(1.0);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut rho_hist: Vec<f64> = Vec::new();
    let mut xn = vec![0.0; n];
    let mut gn = vec![0.0; n];
    let mut iter = 0;
    let mut small_steps = 0;
    let mut converged = false;
    while iter < max_iter {
        if norm.at_most(&g, tol * g0) {
            converged = true;
            break;
        }
        iter += 1;
        // Two-loop recursion: d = -H g.
        let mut q = g.clone();
        let k = s_hist.len();
        let mut alpha = vec![0.0; k];
        for i in (0..k).rev() {
            alpha[i] = rho_hist[i] * dotv(&s_hist[i], &q);
            axpy(-alpha[i], &y_hist[i], &mut q);
        }
        let gamma = if k > 0 {
            dotv(&s_hist[k - 1], &y_hist[k - 1]) / dotv(&y_hist[k - 1], &y_hist[k - 1])
        } else {
            1.0 / norm.max_abs(&g).max(1e-12)
        };
        for v in q.iter_mut() {
            *v *= gamma;
        }
        for i in 0..k {
            let beta = rho_hist[i] * dotv(&y_hist[i], &q);
            axpy(alpha[i] - beta, &s_hist[i], &mut q);
        }
        let mut d: Vec<f64> = q.iter().map(|v| -v).collect();
        let mut gd = dotv(&g, &d);
        if gd >= 0.0 {
            // Not a descent direction: restart from steepest descent.
            s_hist.clear();
            y_hist.clear();
            rho_hist.clear();
            let scale = 1.0 / norm.max_abs(&g).max(1e-12);
            d = g.iter().map(|v| -v * scale).collect();
            gd = dotv(&g, &d);
        }
        let mut step = 1.0;
        let mut fnew;
        let mut accepted = false;
        for _ in 0..60 {
            for i in 0..n {
                xn[i] = x[i] + step * d[i];
            }
            fnew = f(&xn, &mut gn);
            if fnew.is_finite() && fnew <= fx + 1e-4 * step * gd {
                let s: Vec<f64> = (0..n).map(|i| xn[i] - x[i]).collect();
                let yv: Vec<f64> = (0..n).map(|i| gn[i] - g[i]).collect();
                let sy = dotv(&s, &yv);
                if sy > 1e-12 * dotv(&yv, &yv).max(1e-300) {
                    if s_hist.len() == m {
                        s_hist.remove(0);
                        y_hist.remove(0);
                        rho_hist.remove(0);
                    }
                    s_hist.push(s);
                    y_hist.push(yv);
                    rho_hist.push(1.0 / sy);
                }
                let rel = (fx - fnew) / fx.abs().max(fnew.abs()).max(1.0);
                std::mem::swap(&mut x, &mut xn);
                std::mem::swap(&mut g, &mut gn);
                fx = fnew;
                accepted = true;
                if rel < 1e-13 {
                    small_steps += 1;
                } else {
                    small_steps = 0;
                }
                break;
            }
            step *= 0.5;
        }
        if !accepted || small_steps >= 5 {
            break;
        }
    }
    Minimum {
        x,
        iter,
        converged,
        g0,
    }
}

/// Inner product in eight running sums: a single sum waits on each addition's latency, eight
/// independent ones vectorise (the L-BFGS recursion's dot products were a third of an iteration
/// of the reduced problem).
fn dotv(a: &[f64], b: &[f64]) -> f64 {
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .map(|(x, y)| x * y)
        .sum();
    let mut acc = [0.0; 8];
    for (x, y) in a8.zip(b8) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    acc.iter().sum::<f64>() + tail
}

fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

impl Classifier for LogisticParams {
    type Fitted = LogisticModel;
    const KIND: &'static str = "logistic_regression";

    fn validate(&self) -> Result<()> {
        check_positive("logistic_regression.c", self.c)?;
        check_at_least("logistic_regression.max_iter", self.max_iter, 1)?;
        check_positive("logistic_regression.tol", self.tol)
    }

    /// Fits the model (the row-space reduction when `x` is wider than [`REDUCE_ABOVE`] times
    /// its row count, else the direct problem).
    fn fit(
        p: Checked<'_, Self>,
        x: ArrayView2<f32>,
        y: &[usize],
        n_classes: usize,
        opts: &FitOptions,
    ) -> Result<LogisticModel> {
        fit_solver(p.params(), x, y, n_classes, opts, Solver::Auto).map(|(m, _)| m)
    }
}

/// Which problem a fit solves. `Auto` is what [`Classifier::fit`] does; the others exist for
/// tests and benchmarks, which compare the two on the same data.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Solver {
    /// `RowSpace` when the table has more than [`REDUCE_ABOVE`] columns per row, else `Direct`.
    Auto,
    /// L-BFGS over the `k × d` weights.
    Direct,
    /// L-BFGS over `k × r` weights in an orthonormal basis of the row space of `x` (rank `r`).
    RowSpace,
}

/// How a fit went (tests and benchmarks).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SolverReport {
    /// Rank of the row space the reduced problem used; `None` when the direct problem was solved.
    pub rank: Option<usize>,
    /// Gradient max-norms computed in full on the original coordinates (reduced problem only).
    pub full_norms: usize,
    /// The reduced solution failed the stopping rule on the original problem's gradient and the
    /// direct problem was solved instead.
    pub fell_back: bool,
}

impl LogisticParams {
    /// Fits with the given [`Solver`], reporting which problem was solved.
    #[doc(hidden)]
    pub fn fit_with_solver(
        &self,
        x: ArrayView2<f32>,
        y: &[usize],
        n_classes: usize,
        opts: &FitOptions,
        solver: Solver,
    ) -> Result<(LogisticModel, SolverReport)> {
        fit_solver(self.check()?.params(), x, y, n_classes, opts, solver)
    }
}

/// Use the row-space reduction when the table has more than this many columns per row. Measured
/// with `cargo run --release -p ser-models --example logistic_reduction` (module docs).
pub const REDUCE_ABOVE: f64 = 1.2;

fn fit_solver(
    p: &LogisticParams,
    x: ArrayView2<f32>,
    y: &[usize],
    n_classes: usize,
    opts: &FitOptions,
    solver: Solver,
) -> Result<(LogisticModel, SolverReport)> {
    let info = check_train(x, y, n_classes)?;
    let cw = class_weights(&info, opts.class_weight);
    let sw: Vec<f64> = y.iter().map(|&c| p.c * cw[c]).collect();
    // row-major whatever the input's layout: the objective walks rows of products of it
    let xs = x.as_standard_layout().mapv(f64::from);
    let (n, d) = xs.dim();
    let reduce = match solver {
        Solver::Auto => d as f64 > REDUCE_ABOVE * n as f64,
        Solver::Direct => false,
        Solver::RowSpace => true,
    };
    let mut report = SolverReport {
        rank: None,
        full_norms: 0,
        fell_back: false,
    };
    if reduce && let Some(rs) = RowSpace::new(xs.view()) {
        match fit_reduced(p, &rs, xs.view(), y, &sw, n_classes) {
            Ok((model, full_norms)) => {
                report.rank = Some(rs.piv.len());
                report.full_norms = full_norms;
                return Ok((model, report));
            }
            Err(full_norms) => {
                report.full_norms = full_norms;
                report.fell_back = true;
            }
        }
    }
    Ok((fit_direct(p, xs.view(), y, &sw, n_classes), report))
}

/// L-BFGS over the `k × d` weights (and the intercepts).
fn fit_direct(
    p: &LogisticParams,
    xs: ArrayView2<f64>,
    y: &[usize],
    sw: &[f64],
    k: usize,
) -> LogisticModel {
    let d = xs.ncols();
    let nw = k * d;
    let mut obj = Objective::new(xs, y, sw, k, p.fit_intercept);
    let n_params = obj.n_params();
    let min = lbfgs(
        |t: &[f64], g: &mut [f64]| obj.eval(t, g),
        vec![0.0; n_params],
        p.max_iter,
        p.tol,
        &mut MaxAbs,
    );
    let coef =
        Array2::from_shape_vec((k, d), min.x[..nw].to_vec()).expect("theta holds k*d weights");
    model(coef, &min.x[nw..], k, min.iter)
}

fn model(coef: Array2<f64>, bias: &[f64], k: usize, n_iter: usize) -> LogisticModel {
    LogisticModel {
        coef,
        intercept: if bias.is_empty() {
            vec![0.0; k]
        } else {
            bias.to_vec()
        },
        n_iter,
    }
}

/// L-BFGS over `k × r` weights `W'` on the design `B` of [`RowSpace`]: `W = W' Q` gives `X W^T =
/// B W'^T` and `||W||_F = ||W'||_F`, the same objective, and the gradient `G_W = G_W' Q`, whose
/// max-norm is the stopping rule, as on the direct problem. When the run stops by that rule, the
/// original objective's gradient at the recovered `(W, b)` is computed once and must pass it too,
/// else `Err` (number of full norms so far) and the caller solves the direct problem.
fn fit_reduced(
    p: &LogisticParams,
    rs: &RowSpace,
    xs: ArrayView2<f64>,
    y: &[usize],
    sw: &[f64],
    k: usize,
) -> std::result::Result<(LogisticModel, usize), usize> {
    let r = rs.piv.len();
    let nw = k * r;
    // B's pivot rows first: lower-triangular, then the rest (full)
    let n = y.len();
    let mut order = rs.piv.clone();
    let mut is_piv = vec![false; n];
    for &i in &rs.piv {
        is_piv[i] = true;
    }
    order.extend((0..n).filter(|&i| !is_piv[i]));
    let b = rs.b.select(Axis(0), &order);
    let yo: Vec<usize> = order.iter().map(|&i| y[i]).collect();
    let swo: Vec<f64> = order.iter().map(|&i| sw[i]).collect();
    let mut obj = Objective::new(b.view(), &yo, &swo, k, p.fit_intercept);
    obj.blocks = (1..=STAIRS)
        .map(|t| r * t / STAIRS)
        .filter(|&e| e > 0)
        .map(|e| (if e == r { n } else { e }, e))
        .collect();
    obj.blocks.dedup();
    let n_params = obj.n_params();
    let mut norm = OriginalNorm::new(rs, xs, k);
    let min = lbfgs(
        |t: &[f64], g: &mut [f64]| obj.eval(t, g),
        vec![0.0; n_params],
        p.max_iter,
        p.tol,
        &mut norm,
    );
    let wp = ArrayView2::from_shape((k, r), &min.x[..nw]).expect("theta holds k*r weights");
    let coef = rs.to_original(wp, xs);
    let bias = &min.x[nw..];
    if min.converged {
        let mut theta = coef
            .as_slice()
            .expect("a fresh product is standard")
            .to_vec();
        theta.extend_from_slice(bias);
        let mut g = vec![0.0; theta.len()];
        Objective::new(xs, y, sw, k, p.fit_intercept).eval(&theta, &mut g);
        if inf_norm(&g) > p.tol * min.g0 {
            return Err(norm.full);
        }
    }
    Ok((model(coef, bias, k, min.iter), norm.full))
}

/// The row space of `X` (n × d, `d > n` in use) in coordinates where it is `R^r`.
///
/// `K = X X^T = L L^T` by Cholesky with diagonal pivoting; the `r` pivot rows `X_S` span the row
/// space and `L_1` (the pivot rows of `L`, lower-triangular) factors `X_S X_S^T`, so the rows of
/// `Q = L_1^{-1} X_S` are an orthonormal basis of it and `B = X Q^T = L`. Pivots at or below
/// `max(n, d) * eps * max K_ii` end the factorisation: they are rounding of `K` (whose entries
/// are sums of `d` products), i.e. duplicate rows or rows combined of others. The dropped
/// directions have squared singular values below that bound, far under the `f32` precision of
/// the features; the reduced fit is checked on the original gradient anyway (`fit_reduced`).
///
/// Written by hand: the workspace has no linear algebra beyond products (ndarray's
/// matrixmultiply), and an `n × n` pivoted Cholesky and triangular solves are a few lines, where
/// a LAPACK or faer dependency would be a heavy one.
struct RowSpace {
    /// `B` (n × r), rows in `X`'s order: the design of the reduced problem.
    b: Array2<f64>,
    /// The `r` rows of `X` spanning its row space, in pivot order.
    piv: Vec<usize>,
    /// `L_1` (r × r, lower-triangular): rows `piv` of `B`.
    l1: Array2<f64>,
    /// `L_1^T`, row-major (back substitution walks its rows).
    u1: Array2<f64>,
}

impl RowSpace {
    /// `None` when `X` is zero.
    fn new(x: ArrayView2<f64>) -> Option<Self> {
        let (n, d) = x.dim();
        Self::with_tol(x, n.max(d) as f64 * f64::EPSILON)
    }

    /// Drops pivots at or below `rel_tol * max K_ii`.
    fn with_tol(x: ArrayView2<f64>, rel_tol: f64) -> Option<Self> {
        let gram = x.dot(&x.t());
        let (l, piv) = pivoted_cholesky(&gram, rel_tol);
        let r = piv.len();
        if r == 0 {
            return None;
        }
        let b = l.slice_axis(Axis(1), Slice::from(..r)).to_owned();
        let l1 = b.select(Axis(0), &piv);
        let u1 = l1.t().as_standard_layout().into_owned();
        Some(Self { b, piv, l1, u1 })
    }

    /// `A Q` (k × d) for `A` (k × r): `C = A L_1^{-1}` by back substitution, then `C X_S`.
    fn to_original(&self, a: ArrayView2<f64>, x: ArrayView2<f64>) -> Array2<f64> {
        let r = self.piv.len();
        let mut c = Array2::<f64>::zeros((a.nrows(), x.nrows()));
        let mut v = vec![0.0; r];
        for (arow, mut crow) in a.rows().into_iter().zip(c.rows_mut()) {
            // v L_1 = a, i.e. L_1^T v^T = a^T: row j of L_1^T holds L_1[j.., j]
            for j in (0..r).rev() {
                let u = &self.u1.row(j).to_slice().expect("standard layout")[j..];
                v[j] = (arow[j] - dotv(&u[1..], &v[j + 1..])) / u[0];
            }
            // C X_S as C' X with C' zero outside the pivot rows
            for (&i, &vj) in self.piv.iter().zip(&v) {
                crow[i] = vj;
            }
        }
        c.dot(&x)
    }

    /// Column `j` of `Q`: `L_1 q = X_S[:, j]` by forward substitution.
    fn q_column(&self, x: ArrayView2<f64>, j: usize, q: &mut [f64]) {
        for a in 0..q.len() {
            let l = &self.l1.row(a).to_slice().expect("standard layout")[..=a];
            q[a] = (x[[self.piv[a], j]] - dotv(&l[..a], &q[..a])) / l[a];
        }
    }
}

/// Cholesky factorisation with diagonal pivoting of a positive semi-definite `gram` (n × n),
/// stopped when the largest remaining pivot is at most `rel_tol * max_i gram_ii`. Returns `L`
/// (n × n; columns `r..` zero) with rows in `gram`'s order and the pivot order (length `r`):
/// `L[:, ..r] L[:, ..r]^T` equals `gram` up to the dropped remainder, and rows `piv` of `L` are
/// lower-triangular. Left-looking: column `j` costs one length-`j` dot per remaining row.
fn pivoted_cholesky(gram: &Array2<f64>, rel_tol: f64) -> (Array2<f64>, Vec<usize>) {
    let n = gram.nrows();
    let mut l = Array2::<f64>::zeros((n, n));
    // diagonal of the remainder `gram - L L^T`
    let mut rest: Vec<f64> = gram.diag().to_vec();
    let tol = rel_tol * rest.iter().copied().fold(0.0, f64::max);
    let mut done = vec![false; n];
    let mut piv = Vec::new();
    let mut lp = vec![0.0; n];
    for j in 0..n {
        let mut best: Option<usize> = None;
        for i in (0..n).filter(|&i| !done[i]) {
            if best.is_none_or(|b| rest[i] > rest[b]) {
                best = Some(i);
            }
        }
        let Some(p) = best.filter(|&p| rest[p] > tol) else {
            break;
        };
        done[p] = true;
        piv.push(p);
        let lpp = rest[p].sqrt();
        lp[..j].copy_from_slice(&l.row(p).to_slice().expect("standard layout")[..j]);
        l[[p, j]] = lpp;
        for i in (0..n).filter(|&i| !done[i]) {
            let mut row = l.row_mut(i);
            let li = row.as_slice_mut().expect("standard layout");
            let v = (gram[[i, p]] - dotv(&li[..j], &lp[..j])) / lpp;
            li[j] = v;
            rest[i] -= v * v;
        }
    }
    (l, piv)
}

/// Row blocks of the reduced design (`Objective::blocks`): its pivot rows are lower-triangular,
/// so block `t` of `STAIRS` needs only the first `t / STAIRS` of the columns, and the products cost
/// `(STAIRS + 1) / (2 STAIRS)` of the dense ones (r = n). Measured per evaluation on 480 rows of
/// rank 480, k = 7: 0.29 ms dense, 0.22 ms in 2 blocks, 0.18 to 0.19 ms in 4 to 12, no better in 16.
const STAIRS: usize = 8;

/// How many columns of `Q` [`OriginalNorm`] keeps to try first.
const HOT: usize = 8;

/// The max-norm of a reduced gradient `(G_W', g_b)` on the original coordinates: of `G_W = G_W'
/// Q` (k × d) and `g_b`. `at_most` first tries the columns of `Q` where `|G_W|` was largest at the
/// last full computation (a few dot products), which shows `max|G_W| > bound` on almost every
/// iteration; only the iteration that stops and the rare ones whose largest entry moved compute
/// `G_W` in full (`k r^2 / 2 + k n d`, about half a direct evaluation).
struct OriginalNorm<'a> {
    rs: &'a RowSpace,
    x: ArrayView2<'a, f64>,
    k: usize,
    /// Rows: the columns of `Q` at the [`HOT`] columns of the last full `G_W` with the largest
    /// entries.
    hot_q: Array2<f64>,
    /// Full computations of `G_W`.
    full: usize,
}

impl<'a> OriginalNorm<'a> {
    fn new(rs: &'a RowSpace, x: ArrayView2<'a, f64>, k: usize) -> Self {
        Self {
            rs,
            x,
            k,
            hot_q: Array2::zeros((0, rs.piv.len())),
            full: 0,
        }
    }
}

impl GradNorm for OriginalNorm<'_> {
    fn max_abs(&mut self, g: &[f64]) -> f64 {
        let r = self.rs.piv.len();
        let nw = self.k * r;
        let gw_red = ArrayView2::from_shape((self.k, r), &g[..nw]).expect("k*r weights");
        let gw = self.rs.to_original(gw_red, self.x);
        self.full += 1;
        let mut cols: Vec<(f64, usize)> = gw
            .columns()
            .into_iter()
            .enumerate()
            .map(|(j, c)| (c.iter().fold(0.0f64, |a, v| a.max(v.abs())), j))
            .collect();
        let hot = HOT.min(cols.len());
        if hot > 0 {
            cols.select_nth_unstable_by(hot - 1, |a, b| b.0.total_cmp(&a.0));
        }
        self.hot_q = Array2::zeros((hot, r));
        for (mut q, &(_, j)) in self.hot_q.rows_mut().into_iter().zip(&cols[..hot]) {
            let q = q.as_slice_mut().expect("standard layout");
            self.rs.q_column(self.x, j, q);
        }
        inf_norm(gw.as_slice().expect("standard layout")).max(inf_norm(&g[nw..]))
    }

    fn at_most(&mut self, g: &[f64], bound: f64) -> bool {
        let r = self.rs.piv.len();
        let nw = self.k * r;
        if inf_norm(&g[nw..]) > bound {
            return false;
        }
        for q in self.hot_q.rows() {
            let q = q.to_slice().expect("standard layout");
            if g[..nw].chunks(r).any(|gc| dotv(gc, q).abs() > bound) {
                return false;
            }
        }
        self.max_abs(g) <= bound
    }
}

/// The objective and its gradient on a design `x` (n × p) for parameters `theta` = the `k × p`
/// weights row-major, then `k` intercepts when they are fitted. The two products reuse their
/// output matrices from one evaluation to the next.
struct Objective<'a> {
    x: ArrayView2<'a, f64>,
    /// Row blocks `(end row, end column)`, in order: the rows of a block are zero from its end
    /// column on, and the end columns do not decrease (the last is `p`). One block `(n, p)` for a
    /// dense design; the reduced design is lower-trapezoidal and skips its zeros this way.
    blocks: Vec<(usize, usize)>,
    y: &'a [usize],
    /// `C *` class weight of each row.
    sw: &'a [f64],
    k: usize,
    fit_b: bool,
    /// `x W^T + b`, then the weighted residuals `sw_i * (softmax - onehot)` (n × k).
    z: Array2<f64>,
    /// `z^T x` (k × p).
    gw: Array2<f64>,
}

impl<'a> Objective<'a> {
    fn new(x: ArrayView2<'a, f64>, y: &'a [usize], sw: &'a [f64], k: usize, fit_b: bool) -> Self {
        let (n, p) = x.dim();
        Self {
            x,
            blocks: vec![(n, p)],
            y,
            sw,
            k,
            fit_b,
            z: Array2::zeros((n, k)),
            gw: Array2::zeros((k, p)),
        }
    }

    fn n_params(&self) -> usize {
        self.k * self.x.ncols() + if self.fit_b { self.k } else { 0 }
    }

    fn eval(&mut self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let nw = self.k * self.x.ncols();
        let w = ArrayView2::from_shape((self.k, self.x.ncols()), &theta[..nw])
            .expect("theta holds k*p weights");
        let mut r0 = 0;
        for &(r1, c1) in &self.blocks {
            let cols = Slice::from(..c1);
            general_mat_mul(
                1.0,
                &self
                    .x
                    .slice_axis(Axis(0), Slice::from(r0..r1))
                    .slice_axis(Axis(1), cols),
                &w.slice_axis(Axis(1), cols).t(),
                0.0,
                &mut self.z.slice_axis_mut(Axis(0), Slice::from(r0..r1)),
            );
            r0 = r1;
        }
        let bias = &theta[nw..];
        let (gw_part, gb) = grad.split_at_mut(nw);
        gb.fill(0.0);
        let mut loss = 0.0;
        for (i, mut row) in self.z.rows_mut().into_iter().enumerate() {
            let rs = row
                .as_slice_mut()
                .expect("rows of a standard matrix are contiguous");
            if self.fit_b {
                for (v, b) in rs.iter_mut().zip(bias) {
                    *v += b;
                }
            }
            let yi = self.y[i];
            let zy = rs[yi];
            let mx = rs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let mut sum = 0.0;
            for v in rs.iter_mut() {
                *v = (*v - mx).exp();
                sum += *v;
            }
            let swi = self.sw[i];
            loss += swi * ((mx + sum.ln()) - zy);
            // softmax minus the one-hot label, times the row's weight
            for (c, v) in rs.iter_mut().enumerate() {
                let pr = *v / sum;
                *v = swi * if c == yi { pr - 1.0 } else { pr };
            }
            if self.fit_b {
                for (g, v) in gb.iter_mut().zip(rs.iter()) {
                    *g += v;
                }
            }
        }
        // columns c0..c1 of block t are zero in the rows before it
        let (mut r0, mut c0) = (0, 0);
        for &(r1, c1) in &self.blocks {
            let (rows, cols) = (Slice::from(r0..), Slice::from(c0..c1));
            general_mat_mul(
                1.0,
                &self.z.slice_axis(Axis(0), rows).t(),
                &self.x.slice_axis(Axis(0), rows).slice_axis(Axis(1), cols),
                0.0,
                &mut self.gw.slice_axis_mut(Axis(1), cols),
            );
            (r0, c0) = (r1, c1);
        }
        let mut reg = 0.0;
        for ((g, gv), t) in gw_part.iter_mut().zip(&self.gw).zip(&theta[..nw]) {
            *g = gv + t;
            reg += t * t;
        }
        loss + 0.5 * reg
    }
}

impl LogisticModel {
    /// Weights, `(n_classes, n_features)`.
    pub fn coef(&self) -> ArrayView2<'_, f64> {
        self.coef.view()
    }

    /// Intercept per class (zeros when not fitted).
    pub fn intercept(&self) -> &[f64] {
        &self.intercept
    }

    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.coef.ncols()
    }

    fn scores(&self, x: ArrayView2<f32>) -> Result<Array2<f64>> {
        check_features(x, self.coef.ncols())?;
        if self.intercept.len() != self.coef.nrows() {
            return Err(crate::Error::Corrupt("logistic intercept length".into()));
        }
        let mut z = x.as_standard_layout().mapv(f64::from).dot(&self.coef.t());
        for mut row in z.rows_mut() {
            for (c, v) in row.iter_mut().enumerate() {
                *v += self.intercept[c];
            }
        }
        Ok(z)
    }
}

#[typetag::serde(name = "logistic_regression")]
impl FittedClassifier for LogisticModel {
    /// Softmax class probabilities.
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Option<Array2<f32>>> {
        Ok(Some(softmax_rows(self.scores(x)?)))
    }

    /// Class of each row (largest score, before rounding the probabilities to `f32`).
    fn predict(&self, x: ArrayView2<f32>) -> Result<Vec<usize>> {
        Ok(argmax_rows(&self.scores(x)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// 30 random rows of 70 columns, then 5 duplicates and 3 sums of two rows (rank 30).
    fn rank_deficient() -> Array2<f64> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut x = Array2::from_shape_fn((38, 70), |_| f64::from(rng.random_range(-4i32..=4)));
        for i in 0..5 {
            let src = x.row(3 * i).to_owned();
            x.row_mut(30 + i).assign(&src);
        }
        for i in 0..3 {
            let sum = &x.row(i) + &x.row(10 + i);
            x.row_mut(35 + i).assign(&sum);
        }
        x
    }

    fn max_abs_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
        assert_eq!(a.dim(), b.dim());
        a.iter().zip(b).fold(0.0, |m, (u, v)| m.max((u - v).abs()))
    }

    #[test]
    fn row_space_factors_the_gram_matrix_with_an_orthonormal_basis() {
        let x = rank_deficient();
        let rs = RowSpace::new(x.view()).expect("non-zero");
        let r = rs.piv.len();
        assert_eq!(r, 30);
        let gram = x.dot(&x.t());
        let scale = gram.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(max_abs_diff(&rs.b.dot(&rs.b.t()), &gram) <= 1e-12 * scale);
        // the pivot rows of B are lower-triangular
        for a in 0..r {
            assert!(rs.l1.row(a).iter().skip(a + 1).all(|&v| v == 0.0));
        }
        // Q = I Q: orthonormal rows, and X Q^T = B
        let q = rs.to_original(Array2::eye(r).view(), x.view());
        assert!(max_abs_diff(&q.dot(&q.t()), &Array2::eye(r)) <= 1e-10);
        assert!(max_abs_diff(&x.dot(&q.t()), &rs.b) <= 1e-9 * scale.sqrt());
        let mut col = vec![0.0; r];
        for j in [0, 7, 69] {
            rs.q_column(x.view(), j, &mut col);
            for (a, v) in col.iter().enumerate() {
                assert!((v - q[[a, j]]).abs() <= 1e-12, "Q[{a}, {j}]");
            }
        }
    }

    #[test]
    fn a_reduction_that_drops_real_directions_is_refused() {
        let x = rank_deficient();
        let y: Vec<usize> = (0..x.nrows()).map(|i| i % 3).collect();
        let sw = vec![1.0; y.len()];
        let p = LogisticParams::default();
        let exact = RowSpace::new(x.view()).expect("non-zero");
        assert!(fit_reduced(&p, &exact, x.view(), &y, &sw, 3).is_ok());
        // keep only the pivots above half the largest: the fit misses directions of X
        let coarse = RowSpace::with_tol(x.view(), 0.5).expect("non-zero");
        assert!(coarse.piv.len() < 30);
        assert!(fit_reduced(&p, &coarse, x.view(), &y, &sw, 3).is_err());
    }
}
