//! Probability estimates: Platt sigmoids fitted on 5-fold cross-validated decision values
//! (libsvm's `svm_binary_svc_probability`) and pairwise coupling of the binary estimates.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::SvmParams;
use super::kernel::KernelSource;
use super::smo::fit_binary;

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
pub(super) fn platt_cv(
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

pub(super) fn sigmoid_predict(dec: f64, a: f64, b: f64) -> f64 {
    let f = dec * a + b;
    if f >= 0.0 {
        (-f).exp() / (1.0 + (-f).exp())
    } else {
        1.0 / (1.0 + f.exp())
    }
}

/// Pairwise coupling (Wu, Lin & Weng 2004, method 2; libsvm `multiclass_probability`).
/// `r[i][j]`: estimated P(class i | i or j).
pub(super) fn multiclass_probability(r: &[Vec<f64>]) -> Vec<f64> {
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
