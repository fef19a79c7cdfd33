//! Multinomial logistic regression with an L2 penalty, solved by L-BFGS.
//!
//! Objective (scikit-learn's `LogisticRegression(multi_class="multinomial", penalty="l2")`):
//! `C * sum_i w_i * (-log softmax(W x_i + b)_{y_i}) + 0.5 * ||W||_F^2`, the intercept `b`
//! unpenalised, `w_i` the class weight of row `i`.
//!
//! Why not smartcore: smartcore 0.7's `LogisticRegression` takes no class weights and its
//! regularisation/stopping differ from scikit-learn's; this solver converges to the same optimum.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2};
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
/// | `tol` | 1e-6 | > 0 | stop when `max|grad| <= tol * max(1, max|grad_0|)` |
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
    while iter < max_iter {
        if norm.at_most(&g, tol * g0) {
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
    Minimum { x, iter }
}

fn dotv(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
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

    /// Fits the model.
    fn fit(
        p: Checked<'_, Self>,
        x: ArrayView2<f32>,
        y: &[usize],
        n_classes: usize,
        opts: &FitOptions,
    ) -> Result<LogisticModel> {
        let info = check_train(x, y, n_classes)?;
        let cw = class_weights(&info, opts.class_weight);
        let sw: Vec<f64> = y.iter().map(|&c| p.c * cw[c]).collect();
        // row-major whatever the input's layout: the objective walks rows of products of it
        let xs = x.as_standard_layout().mapv(f64::from);
        let d = xs.ncols();
        let k = n_classes;
        let nw = k * d;
        let fit_b = p.fit_intercept;
        let mut obj = Objective::new(xs.view(), y, &sw, k, fit_b);
        let n_params = obj.n_params();
        let min = lbfgs(
            |t: &[f64], g: &mut [f64]| obj.eval(t, g),
            vec![0.0; n_params],
            p.max_iter,
            p.tol,
            &mut MaxAbs,
        );
        let theta = min.x;
        let coef =
            Array2::from_shape_vec((k, d), theta[..nw].to_vec()).expect("theta holds k*d weights");
        let intercept = if fit_b {
            theta[nw..].to_vec()
        } else {
            vec![0.0; k]
        };
        Ok(LogisticModel {
            coef,
            intercept,
            n_iter: min.iter,
        })
    }
}

/// The objective and its gradient on a design `x` (n × p) for parameters `theta` = the `k × p`
/// weights row-major, then `k` intercepts when they are fitted. The two products reuse their
/// output matrices from one evaluation to the next.
struct Objective<'a> {
    x: ArrayView2<'a, f64>,
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
        general_mat_mul(1.0, &self.x, &w.t(), 0.0, &mut self.z);
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
        general_mat_mul(1.0, &self.z.t(), &self.x, 0.0, &mut self.gw);
        let mut reg = 0.0;
        for ((g, gv), t) in gw_part.iter_mut().zip(&self.gw).zip(&theta[..nw]) {
            *g = gv + t;
            reg += t * t;
        }
        loss + 0.5 * reg
    }
}

impl LogisticModel {
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
