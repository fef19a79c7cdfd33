//! libsvm's SMO solver of the binary C-SVC dual with second-order working set selection.

use std::collections::VecDeque;

use super::SvmParams;
use super::kernel::KernelSource;

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
pub(super) fn solve(
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

/// Fits a binary machine on the rows `idx` (labels +1 for class `a`), returns (alpha*y, rho).
pub(super) fn fit_binary(
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
