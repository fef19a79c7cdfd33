//! Room reverberation: a synthetic impulse response and FFT convolution.
//!
//! Impulse response (`fs` the sample rate, `T` = RT60 in seconds):
//!
//! `h[0] = d`, `h[n] = g w[n] exp(-6.908 n / (T fs))` for `1 <= n < ceil(T fs)`,
//!
//! with `w` white noise ([`SplitMix64::gauss_approx`]): the amplitude envelope falls by
//! `20 log10(e^{-6.908}) = -60 dB` in `T` seconds, so the energy decay curve falls 60 dB in `T`
//! (the definition of RT60). The response stops where the envelope reaches -60 dB. `d` (direct
//! path) and `g` (tail) are set so that the direct-to-reverberant energy ratio is `drr_db`,
//! `d^2 / sum_{n>=1} h[n]^2 = 10^(drr_db / 10)`, and the total energy is 1: `sum h^2 = 1`, so a
//! noise-like input keeps its power. No pre-delay, no frequency-dependent absorption.
//!
//! Convolution: one real FFT of the smallest size `2^k` or `3 2^k` at least
//! `len(x) + len(h) - 1` (no circular wrap into the kept samples); the output keeps the input's
//! length (the tail past the end is cut, the signal stays time-aligned because `h` starts with the
//! direct path).

use std::sync::Arc;

use realfft::RealFftPlanner;
use realfft::num_complex::Complex;

use super::rng::SplitMix64;

/// `ln(1000)`: amplitude factor of -60 dB.
const LN_1000: f64 = 6.907_755_278_982_137;

/// Synthetic impulse response (see the module docs) into `h`.
pub(crate) fn impulse_response(
    rt60_s: f64,
    drr_db: f64,
    sample_rate_hz: u32,
    rng: &mut SplitMix64,
    h: &mut Vec<f32>,
) {
    let fs = f64::from(sample_rate_hz);
    let len = ((rt60_s * fs).ceil() as usize).max(2);
    h.clear();
    h.push(0.0);
    let decay = -LN_1000 / (rt60_s * fs);
    let mut tail = 0.0f64;
    for n in 1..len {
        let v = f64::from(rng.gauss_approx()) * (decay * n as f64).exp();
        tail += v * v;
        h.push(v as f32);
    }
    let ratio = 10f64.powf(drr_db / 10.0);
    // d^2 = ratio e_t, e_t + d^2 = 1
    let e_t = 1.0 / (1.0 + ratio);
    let g = if tail > 0.0 { (e_t / tail).sqrt() } else { 0.0 };
    for v in &mut h[1..] {
        *v = (f64::from(*v) * g) as f32;
    }
    h[0] = (ratio * e_t).sqrt() as f32;
}

/// FFT convolution with reused buffers and cached plans.
pub(crate) struct Convolver {
    planner: RealFftPlanner<f32>,
    a: Vec<f32>,
    b: Vec<f32>,
    sa: Vec<Complex<f32>>,
    sb: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
}

/// Smallest `2^k` or `3 2^k` >= `n`.
fn fft_size(n: usize) -> usize {
    let p = n.max(2).next_power_of_two();
    if p / 4 * 3 >= n && p >= 4 {
        p / 4 * 3
    } else {
        p
    }
}

impl Convolver {
    pub(crate) fn new() -> Self {
        Self {
            planner: RealFftPlanner::new(),
            a: Vec::new(),
            b: Vec::new(),
            sa: Vec::new(),
            sb: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// The first `x.len()` samples of `x * h` into `out`.
    pub(crate) fn convolve(&mut self, x: &[f32], h: &[f32], out: &mut Vec<f32>) {
        out.clear();
        if x.is_empty() || h.is_empty() {
            out.resize(x.len(), 0.0);
            return;
        }
        let size = fft_size(x.len() + h.len() - 1);
        let fwd: Arc<dyn realfft::RealToComplex<f32>> = self.planner.plan_fft_forward(size);
        let inv = self.planner.plan_fft_inverse(size);
        self.a.clear();
        self.a.extend_from_slice(x);
        self.a.resize(size, 0.0);
        self.b.clear();
        self.b.extend_from_slice(h);
        self.b.resize(size, 0.0);
        let bins = size / 2 + 1;
        self.sa.resize(bins, Complex::default());
        self.sb.resize(bins, Complex::default());
        let need = fwd.get_scratch_len().max(inv.get_scratch_len());
        self.scratch.resize(need, Complex::default());
        // Lengths come from the plans, so the transforms cannot fail.
        let _ = fwd.process_with_scratch(&mut self.a, &mut self.sa, &mut self.scratch);
        let _ = fwd.process_with_scratch(&mut self.b, &mut self.sb, &mut self.scratch);
        let scale = 1.0 / size as f32;
        for (p, q) in self.sa.iter_mut().zip(&self.sb) {
            *p = *p * *q * scale;
        }
        self.sa[0].im = 0.0;
        self.sa[bins - 1].im = 0.0;
        let _ = inv.process_with_scratch(&mut self.sa, &mut self.a, &mut self.scratch);
        out.extend_from_slice(&self.a[..x.len()]);
    }
}
