//! Savitzky–Golay deltas (librosa `feature.delta`, `mode="interp"`).

use ndarray::{Array2, ArrayView2};

use crate::{Error, Result};

/// Local derivative of order `order` (1 or 2) along axis 0 (frames), as librosa
/// `delta(x.T, width, order, mode="interp")`: a Savitzky–Golay filter of polynomial order `order`,
/// window `width` (odd, >= 3). The first / last `width / 2` frames take the value of the fit over
/// the first / last full window (scipy's "interp" edge mode). When there are fewer frames than
/// `width`, the largest odd width that fits is used (librosa would raise); with fewer than 3
/// frames the result is all zeros.
pub fn delta(x: ArrayView2<f32>, width: usize, order: usize) -> Result<Array2<f32>> {
    if width < 3 || width.is_multiple_of(2) {
        return Err(Error::Param {
            name: "delta.width",
            expected: "an odd number >= 3".into(),
            found: width.to_string(),
        });
    }
    if !(1..=2).contains(&order) {
        return Err(Error::Param {
            name: "delta.order",
            expected: "1 or 2".into(),
            found: order.to_string(),
        });
    }
    let (n, m) = x.dim();
    let mut out = Array2::<f32>::zeros((n, m));
    let mut col = vec![0.0f64; n];
    let mut res = vec![0.0f64; n];
    for j in 0..m {
        for (c, v) in col.iter_mut().zip(x.column(j)) {
            *c = f64::from(*v);
        }
        savgol_deriv(&col, width, order, &mut res);
        for (o, r) in out.column_mut(j).iter_mut().zip(&res) {
            *o = *r as f32;
        }
    }
    Ok(out)
}

/// Half width of the Savitzky–Golay window for `n` frames: `width` shrunk to the largest odd
/// length that fits (librosa's `mode="interp"` needs `width <= n`); `None` below 3 frames.
fn half_width(width: usize, n: usize) -> Option<i64> {
    if n < 3 {
        return None;
    }
    let w = if width <= n {
        width
    } else if n % 2 == 1 {
        n
    } else {
        n - 1
    };
    Some((w / 2) as i64)
}

/// Savitzky–Golay derivative of order `order` (= polynomial order) of `x` into `out` (same length).
pub(crate) fn savgol_deriv(x: &[f64], width: usize, order: usize, out: &mut [f64]) {
    let n = x.len();
    let Some(h) = half_width(width, n) else {
        out.fill(0.0);
        return;
    };
    let coeffs = savgol_coeffs(h, order);
    let hu = h as usize;
    // out[i] = sum_k c_k x[i + k - h] for the interior, using the tap symmetry c_{h-j} = -c_{h+j}
    // (order 1) or c_{h-j} = c_{h+j} (order 2): one vectorisable pass per tap pair over all frames
    let m = n - 2 * hu;
    let body = &mut out[hu..hu + m];
    let c_mid = coeffs[hu];
    for (o, v) in body.iter_mut().zip(&x[hu..hu + m]) {
        *o = c_mid * v;
    }
    for j in 1..=hu {
        let c = coeffs[hu + j];
        let (ahead, behind) = (&x[hu + j..hu + j + m], &x[hu - j..hu - j + m]);
        if order == 1 {
            for ((o, a), b) in body.iter_mut().zip(ahead).zip(behind) {
                *o += c * (a - b);
            }
        } else {
            for ((o, a), b) in body.iter_mut().zip(ahead).zip(behind) {
                *o += c * (a + b);
            }
        }
    }
    // "interp": the derivative of an order-`order` polynomial fitted to the first / last window.
    // For deriv == polyorder this is constant over the window, i.e. equal to the centre value.
    let first = out[hu];
    let last = out[n - 1 - hu];
    out[..hu].fill(first);
    out[n - hu..].fill(last);
}

/// [`savgol_deriv`] of order 1 into `out1` and of order 2 into `out2` in one pass over `x` (each
/// tap pair `x[t + j]`, `x[t - j]` loaded once for both orders).
pub(crate) fn savgol_deriv_both(x: &[f64], width: usize, out1: &mut [f64], out2: &mut [f64]) {
    let n = x.len();
    let Some(h) = half_width(width, n) else {
        out1.fill(0.0);
        out2.fill(0.0);
        return;
    };
    let (c1, c2) = (savgol_coeffs(h, 1), savgol_coeffs(h, 2));
    let hu = h as usize;
    let m = n - 2 * hu;
    {
        let (b1, b2) = (&mut out1[hu..hu + m], &mut out2[hu..hu + m]);
        let c_mid = c2[hu];
        for ((o1, o2), v) in b1.iter_mut().zip(b2.iter_mut()).zip(&x[hu..hu + m]) {
            *o1 = 0.0;
            *o2 = c_mid * v;
        }
        for j in 1..=hu {
            let (p, q) = (c1[hu + j], c2[hu + j]);
            let (ahead, behind) = (&x[hu + j..hu + j + m], &x[hu - j..hu - j + m]);
            for (((o1, o2), a), b) in b1.iter_mut().zip(b2.iter_mut()).zip(ahead).zip(behind) {
                *o1 += p * (a - b);
                *o2 += q * (a + b);
            }
        }
    }
    for out in [out1, out2] {
        let first = out[hu];
        let last = out[n - 1 - hu];
        out[..hu].fill(first);
        out[n - hu..].fill(last);
    }
}

/// Least-squares derivative weights at the window centre for offsets `-h..=h`.
fn savgol_coeffs(h: i64, order: usize) -> Vec<f64> {
    let js: Vec<f64> = (-h..=h).map(|j| j as f64).collect();
    let w = js.len() as f64;
    if order == 1 {
        let s2: f64 = js.iter().map(|j| j * j).sum();
        js.iter().map(|j| j / s2).collect()
    } else {
        let mean2 = js.iter().map(|j| j * j).sum::<f64>() / w;
        let p2: Vec<f64> = js.iter().map(|j| j * j - mean2).collect();
        let norm: f64 = p2.iter().map(|p| p * p).sum();
        p2.iter().map(|p| 2.0 * p / norm).collect()
    }
}
