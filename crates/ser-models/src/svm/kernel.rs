//! Kernel functions and where the solver reads kernel values of training rows from.

use ndarray::{Array2, Axis, Slice};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::KernelKind;

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
    pub(super) fn eval(&self, dot: f64, n1: f64, n2: f64) -> f64 {
        match self.kind {
            KernelKind::Linear => dot,
            KernelKind::Rbf => (-self.gamma * (n1 + n2 - 2.0 * dot).max(0.0)).exp(),
            KernelKind::Poly => (self.gamma * dot + self.coef0).powi(self.degree as i32),
        }
    }
}

/// Dot product of two equally long rows.
pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
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
pub(super) struct KernelSource {
    kernel: Kernel,
    /// The training rows.
    pub(super) x: Array2<f64>,
    norms: Vec<f64>,
    /// Full Gram matrix (f32) when it fits the memory budget.
    pub(super) gram: Option<Array2<f32>>,
}

impl KernelSource {
    pub(super) fn new(x: Array2<f64>, kernel: Kernel, cache_bytes: usize) -> Self {
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
    pub(super) fn k(&self, i: usize, j: usize) -> f64 {
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
