//! Time stretching with pitch kept: a phase vocoder with identity phase locking (Laroche &
//! Dolson 1999, "Improved phase vocoder time-scale modification of audio") on realfft.
//!
//! Frames of `n` samples (the power of two nearest 64 ms: 1024 at 16 kHz), periodic Hann
//! analysis and synthesis windows, synthesis hop `R_s = n / 4`. Synthesis frame `m` is centred on
//! output sample `m R_s`, its analysis frame on input sample `a_m = round(m R_s rate)` (zeros
//! outside the input), so the output has `round(len / rate)` samples. Per frame:
//!
//! - peaks: bins whose magnitude exceeds their two neighbours on each side;
//! - per peak `p` (bin frequency `w_p = 2 pi p / n`, actual analysis hop `h = a_m - a_{m-1}`):
//!   heterodyned phase increment `d = princarg(arg(X_m[p] conj X_{m-1}[p]) - w_p h)`,
//!   instantaneous frequency `w = w_p + d / h`, and the synthesis phase advances by `w R_s`
//!   while the analysis phase advanced by `w h`: the rotation of the peak becomes
//!   `theta_m[p] = theta_{m-1}[p] + w (R_s - h)`;
//! - identity phase locking: every bin of the peak's region (up to the midpoints to the
//!   neighbouring peaks) is rotated by the peak's rotation, `Y_m[k] = X_m[k] e^{i theta_m[p]}`,
//!   which keeps the relative phases inside a partial's main lobe (less "phasiness");
//! - inverse FFT, synthesis window, overlap-add, and division by the summed squared window at
//!   each output sample (exact at the edges too).
//!
//! One `atan2` and one `sin_cos` per peak (polynomial approximations, errors below 1e-5 and
//! 1e-8), a complex multiply per bin. At `rate = 1` every rotation stays 0, so the input is
//! reproduced (up to rounding).

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

pub(crate) struct PhaseVocoder {
    n: usize,
    hop: usize,
    window: Vec<f32>,
    r2c: Arc<dyn RealToComplex<f32>>,
    c2r: Arc<dyn ComplexToReal<f32>>,
    frame: Vec<f32>,
    spec: Vec<Complex<f32>>,
    prev: Vec<Complex<f32>>,
    scratch_f: Vec<Complex<f32>>,
    scratch_i: Vec<Complex<f32>>,
    mag: Vec<f32>,
    theta: Vec<f64>,
    peaks: Vec<(usize, f64)>,
    is_peak: Vec<bool>,
    acc: Vec<f32>,
    wsum: Vec<f32>,
}

impl PhaseVocoder {
    /// Frame of the power of two nearest to 64 ms (at least 64 samples).
    pub(crate) fn new(sample_rate_hz: u32, planner: &mut RealFftPlanner<f32>) -> Self {
        let target = 0.064 * f64::from(sample_rate_hz);
        let n = (1usize << target.log2().round().max(6.0) as u32).max(64);
        let r2c = planner.plan_fft_forward(n);
        let c2r = planner.plan_fft_inverse(n);
        let window: Vec<f32> = crate::window(crate::WindowKind::Hann, n)
            .into_iter()
            .map(|w| w as f32)
            .collect();
        Self {
            n,
            hop: n / 4,
            window,
            frame: r2c.make_input_vec(),
            spec: r2c.make_output_vec(),
            prev: r2c.make_output_vec(),
            scratch_f: r2c.make_scratch_vec(),
            scratch_i: c2r.make_scratch_vec(),
            mag: vec![0.0; n / 2 + 1],
            theta: vec![0.0; n / 2 + 1],
            peaks: Vec::new(),
            is_peak: Vec::new(),
            acc: Vec::new(),
            wsum: Vec::new(),
            r2c,
            c2r,
        }
    }

    /// Frame length (samples).
    pub(crate) fn frame_len(&self) -> usize {
        self.n
    }

    /// Stretches `x` to `round(len / rate)` samples (`rate > 1` is faster), pitch kept.
    pub(crate) fn stretch(&mut self, x: &[f32], rate: f64, out: &mut Vec<f32>) {
        let out_len = (x.len() as f64 / rate).round() as usize;
        self.stretch_to(x, rate, out_len, out);
    }

    /// As [`PhaseVocoder::stretch`] with the output length given (analysis frame `m` centred on
    /// input sample `m R_s rate` whatever the length).
    pub(crate) fn stretch_to(&mut self, x: &[f32], rate: f64, out_len: usize, out: &mut Vec<f32>) {
        out.clear();
        if out_len == 0 {
            return;
        }
        let (n, half, rs) = (self.n, self.n / 2, self.hop);
        let frames = out_len.div_ceil(rs) + 1;
        let buf_len = (frames - 1) * rs + n;
        self.acc.clear();
        self.acc.resize(buf_len, 0.0);
        self.wsum.clear();
        self.wsum.resize(buf_len, 0.0);
        self.theta.fill(0.0);
        let inv_n = 1.0 / n as f32;
        let mut prev_a = 0i64;
        for m in 0..frames {
            let a = (m as f64 * rs as f64 * rate).round() as i64;
            // frame sample j reads input a - half + j: zeros outside the input
            let start = a - half as i64;
            let j0 = (-start).clamp(0, n as i64) as usize;
            let j1 = (x.len() as i64 - start).clamp(j0 as i64, n as i64) as usize;
            self.frame[..j0].fill(0.0);
            self.frame[j1..].fill(0.0);
            if j1 > j0 {
                let src = &x[(start + j0 as i64) as usize..(start + j1 as i64) as usize];
                for ((f, &v), &w) in self.frame[j0..j1]
                    .iter_mut()
                    .zip(src)
                    .zip(&self.window[j0..j1])
                {
                    *f = v * w;
                }
            }
            // Lengths come from the plan, so the transform cannot fail.
            let _ =
                self.r2c
                    .process_with_scratch(&mut self.frame, &mut self.spec, &mut self.scratch_f);
            if m > 0 {
                self.lock_phases((a - prev_a) as f64);
            }
            self.prev.copy_from_slice(&self.spec);
            prev_a = a;
            if m > 0 {
                self.rotate();
            }
            self.spec[0].im = 0.0;
            self.spec[half].im = 0.0;
            let _ =
                self.c2r
                    .process_with_scratch(&mut self.spec, &mut self.frame, &mut self.scratch_i);
            let o = m * rs;
            let acc = &mut self.acc[o..o + n];
            let wsum = &mut self.wsum[o..o + n];
            for (((a, ws), &y), &w) in acc.iter_mut().zip(wsum).zip(&self.frame).zip(&self.window) {
                *a += y * w * inv_n;
                *ws += w * w;
            }
        }
        out.extend(
            self.acc[half..half + out_len]
                .iter()
                .zip(&self.wsum[half..half + out_len])
                .map(|(&a, &w)| if w > 1e-3 { a / w } else { 0.0 }),
        );
    }

    /// New rotations `theta` of the peaks of `spec` (analysis hop `h` samples since `prev`),
    /// spread over their regions.
    fn lock_phases(&mut self, h: f64) {
        let bins = self.spec.len();
        for (m, c) in self.mag.iter_mut().zip(&self.spec) {
            *m = c.norm_sqr();
        }
        self.peaks.clear();
        let rs = self.hop as f64;
        let step = std::f64::consts::TAU / self.n as f64;
        let mag = &self.mag;
        let edge_peak = |k: usize| {
            let v = mag[k];
            v > 0.0
                && (k < 1 || v > mag[k - 1])
                && (k < 2 || v > mag[k - 2])
                && (k + 1 >= bins || v >= mag[k + 1])
                && (k + 2 >= bins || v >= mag[k + 2])
        };
        // interior bins: non-short-circuit comparisons over 5-bin windows (vectorisable)
        self.is_peak.clear();
        self.is_peak.extend(mag.windows(5).map(|w| {
            (w[2] > w[0]) & (w[2] > w[1]) & (w[2] >= w[3]) & (w[2] >= w[4]) & (w[2] > 0.0)
        }));
        for k in 0..bins {
            let peak = if k >= 2 && k + 2 < bins {
                self.is_peak[k - 2]
            } else {
                edge_peak(k)
            };
            if peak {
                let wp = step * k as f64;
                let c = self.spec[k] * self.prev[k].conj();
                let dphi = princarg(f64::from(fast_atan2(c.im, c.re)) - wp * h);
                let w = wp + dphi / h;
                self.peaks.push((k, wrap(self.theta[k] + w * (rs - h))));
            }
        }
        if self.peaks.is_empty() {
            return;
        }
        let mut lo = 0;
        for (i, &(k, th)) in self.peaks.iter().enumerate() {
            let hi = match self.peaks.get(i + 1) {
                Some(&(k2, _)) => (k + k2).div_ceil(2),
                None => bins,
            };
            self.theta[lo..hi].fill(th);
            lo = hi;
        }
    }

    /// `spec[k] *= e^{i theta[k]}`: one rotation per peak region.
    fn rotate(&mut self) {
        if self.peaks.is_empty() {
            return;
        }
        let bins = self.spec.len();
        let mut lo = 0;
        for (i, &(k, th)) in self.peaks.iter().enumerate() {
            let hi = match self.peaks.get(i + 1) {
                Some(&(k2, _)) => (k + k2).div_ceil(2),
                None => bins,
            };
            let (s, c) = fast_sin_cos(th);
            let rot = Complex::new(c as f32, s as f32);
            for v in &mut self.spec[lo..hi] {
                *v *= rot;
            }
            lo = hi;
        }
    }
}

const INV_TAU: f64 = 1.0 / std::f64::consts::TAU;

/// `p` minus a whole number of turns, in (-2 pi, 2 pi) (truncation: no libm call).
fn wrap(p: f64) -> f64 {
    p - (p * INV_TAU) as i64 as f64 * std::f64::consts::TAU
}

/// `atan2(y, x)` to within 1e-5 rad: octant reduction and an odd degree-11 polynomial for
/// `atan` on [0, 1] (the vocoder needs the phase increment far less precisely; libm's
/// `atan2` was 15 % of the stretch time).
fn fast_atan2(y: f32, x: f32) -> f32 {
    let (ax, ay) = (x.abs(), y.abs());
    let (mn, mx) = if ax < ay { (ax, ay) } else { (ay, ax) };
    if mx == 0.0 {
        return 0.0;
    }
    let a = mn / mx;
    let s = a * a;
    let mut r = a
        * (0.999_977_26
            + s * (-0.332_623_47
                + s * (0.193_543_46 + s * (-0.116_432_87 + s * (0.052_653_32 - s * 0.011_721_2)))));
    if ay > ax {
        r = std::f32::consts::FRAC_PI_2 - r;
    }
    if x < 0.0 {
        r = std::f32::consts::PI - r;
    }
    if y < 0.0 { -r } else { r }
}

/// `(sin t, cos t)` for |t| < 2^50 to within 1e-8 (Taylor remainder at pi/4: 2e-9): reduction
/// to [-pi/4, pi/4] by quarter turns and Taylor polynomials (degree 9 and 10).
fn fast_sin_cos(t: f64) -> (f64, f64) {
    let q = t * std::f64::consts::FRAC_2_PI;
    let k = (q + if q >= 0.0 { 0.5 } else { -0.5 }) as i64;
    let r = t - k as f64 * std::f64::consts::FRAC_PI_2;
    let r2 = r * r;
    let s =
        r * (1.0 + r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 / 362_880.0))));
    let c = 1.0
        + r2 * (-0.5
            + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40_320.0 - r2 / 3_628_800.0))));
    match k & 3 {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    }
}

/// Principal argument: `p` wrapped into [-pi, pi].
fn princarg(p: f64) -> f64 {
    let q = p * INV_TAU;
    p - (q + if q >= 0.0 { 0.5 } else { -0.5 }) as i64 as f64 * std::f64::consts::TAU
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_one_reproduces_the_input() {
        let mut planner = RealFftPlanner::new();
        let mut pv = PhaseVocoder::new(16_000, &mut planner);
        assert_eq!(pv.frame_len(), 1024);
        let x: Vec<f32> = (0..5000)
            .map(|i| ((i as f32 * 0.05).sin() + 0.3 * (i as f32 * 0.71).sin()) * 0.4)
            .collect();
        let mut y = Vec::new();
        pv.stretch(&x, 1.0, &mut y);
        assert_eq!(y.len(), x.len());
        let err = x
            .iter()
            .zip(&y)
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(err < 1e-5, "max error {err}");
    }

    #[test]
    fn fast_trig_matches_libm() {
        let mut worst = (0.0f64, 0.0f64, 0.0f64);
        for i in -2000..=2000 {
            let t = i as f64 * 0.0123;
            let (s, c) = fast_sin_cos(t);
            worst.0 = worst.0.max((s - t.sin()).abs()).max((c - t.cos()).abs());
            let p = princarg(t * 7.0);
            worst.2 = worst.2.max(if p.abs() <= std::f64::consts::PI + 1e-12 {
                ((p - t * 7.0) / std::f64::consts::TAU
                    - ((p - t * 7.0) / std::f64::consts::TAU).round())
                .abs()
            } else {
                1.0
            });
            for j in -40..=40 {
                let (y, x) = (i as f32 * 0.01, j as f32 * 0.37);
                let e = f64::from(fast_atan2(y, x) - y.atan2(x)).abs();
                worst.1 = worst.1.max(e);
            }
        }
        assert!(worst.0 < 1e-8, "sin/cos error {}", worst.0);
        assert!(worst.1 < 2e-5, "atan2 error {}", worst.1);
        assert!(worst.2 < 1e-9, "princarg error {}", worst.2);
    }
}
