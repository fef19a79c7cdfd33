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
//! One `atan2` and one `sin_cos` per peak, a complex multiply per bin. `rate = 1` reproduces the
//! input (up to rounding).

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
        out.clear();
        let out_len = (x.len() as f64 / rate).round() as usize;
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
            let start = a - half as i64;
            for (j, f) in self.frame.iter_mut().enumerate() {
                let i = start + j as i64;
                *f = if i >= 0 && (i as usize) < x.len() {
                    x[i as usize] * self.window[j]
                } else {
                    0.0
                };
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
            for (j, (&y, &w)) in self.frame.iter().zip(&self.window).enumerate() {
                self.acc[o + j] += y * w * inv_n;
                self.wsum[o + j] += w * w;
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
        let two_pi = std::f64::consts::TAU;
        for k in 0..bins {
            let v = self.mag[k];
            if v <= 0.0 {
                continue;
            }
            let lo = k.saturating_sub(2);
            let hi = (k + 2).min(bins - 1);
            let left_ok = self.mag[lo..k].iter().all(|&u| v > u);
            let right_ok = self.mag[k + 1..=hi].iter().all(|&u| v >= u);
            if left_ok && right_ok {
                let wp = two_pi * k as f64 / self.n as f64;
                let c = self.spec[k] * self.prev[k].conj();
                let dphi = princarg(f64::from(c.im).atan2(f64::from(c.re)) - wp * h);
                let w = wp + dphi / h;
                let th = (self.theta[k] + w * (rs - h)).rem_euclid(two_pi);
                self.peaks.push((k, th));
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

    /// `spec[k] *= e^{i theta[k]}`, one `sin_cos` per run of equal rotations.
    fn rotate(&mut self) {
        if self.peaks.is_empty() {
            return;
        }
        let mut last = f64::NAN;
        let mut rot = Complex::new(1.0f32, 0.0);
        for (c, &th) in self.spec.iter_mut().zip(&self.theta) {
            if th != last {
                let (s, co) = th.sin_cos();
                rot = Complex::new(co as f32, s as f32);
                last = th;
            }
            *c *= rot;
        }
    }
}

/// Principal argument: `p` wrapped into (-pi, pi].
fn princarg(p: f64) -> f64 {
    let two_pi = std::f64::consts::TAU;
    p - two_pi * ((p + std::f64::consts::PI) / two_pi).floor()
}
