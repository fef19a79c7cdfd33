//! Synthetic data for the tests and benches.
#![allow(dead_code)]

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Standard normal by Box–Muller.
pub fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-300);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// `n_classes` Gaussian blobs in `d` dimensions: class means drawn at distance `sep` scale on the
/// first `informative` dimensions, unit noise everywhere. Returns (x, y).
pub fn blobs(
    n_per_class: usize,
    n_classes: usize,
    d: usize,
    informative: usize,
    sep: f64,
    seed: u64,
) -> (Array2<f32>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let means: Vec<Vec<f64>> = (0..n_classes)
        .map(|_| {
            (0..d)
                .map(|j| {
                    if j < informative {
                        sep * normal(&mut rng)
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    let n = n_per_class * n_classes;
    let mut x = Array2::<f32>::zeros((n, d));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let c = i % n_classes;
        y.push(c);
        for j in 0..d {
            x[[i, j]] = (means[c][j] + normal(&mut rng)) as f32;
        }
    }
    (x, y)
}

/// Share of correct predictions.
pub fn accuracy(pred: &[usize], y: &[usize]) -> f64 {
    pred.iter().zip(y).filter(|(a, b)| a == b).count() as f64 / y.len() as f64
}
