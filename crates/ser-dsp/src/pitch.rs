//! YIN pitch (librosa 0.11 `yin` compatible), voicing, glottal-pulse jitter / shimmer, HNR.

use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use crate::PitchConfig;

/// Per-frame output of the pitch tracker.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PitchFrame {
    /// librosa-compatible YIN F0 (Hz), defined for every frame.
    pub f0_hz: f64,
    /// CMNDF value at the chosen period (aperiodicity, >= 0).
    pub aperiodicity: f64,
    /// Mean square of the pitch frame.
    pub energy: f64,
    /// Normalised autocorrelation at the period, in [0, 1].
    pub r_period: f64,
    /// Jitter / shimmer of the pulses found in this frame (if enough pulses).
    pub pulses: Option<PulseStats>,
}

/// Jitter and shimmer from a sequence of glottal pulses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PulseStats {
    /// Local jitter: `mean |T_i - T_{i-1}| / mean T_i` (fraction).
    pub jitter_local: f64,
    /// Local shimmer: `mean |20 log10(A_{i+1} / A_i)|` (dB).
    pub shimmer_local_db: f64,
    /// Number of pulses used.
    pub n_pulses: usize,
}

pub(crate) struct PitchTracker {
    pub cfg: PitchConfig,
    pub frame_len: usize,
    sr: f64,
    min_period: usize,
    max_period: usize,
    /// Complex single-precision FFTs of `fast_len(frame + max_lag)` points; two real frames per
    /// transform (real and imaginary part), both autocorrelations from one inverse transform.
    fwd: Arc<dyn Fft<f32>>,
    inv: Arc<dyn Fft<f32>>,
    buf: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    acf: Vec<f64>,
    acf2: Vec<f64>,
    csum: Vec<f64>,
    csum2: Vec<f64>,
    yin: Vec<f64>,
    yin2: Vec<f64>,
    pulses: Vec<(f64, f64)>,
}

impl std::fmt::Debug for PitchTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PitchTracker")
            .field("cfg", &self.cfg)
            .field("frame_len", &self.frame_len)
            .finish()
    }
}

impl PitchTracker {
    pub fn new(cfg: PitchConfig, sample_rate_hz: u32) -> crate::Result<Self> {
        let sr = f64::from(sample_rate_hz);
        let frame_len = cfg.frame_len.samples(sample_rate_hz);
        let min_period = (sr / cfg.fmax_hz).floor() as usize;
        if cfg.fmax_hz >= sr / 2.0 || min_period < 2 {
            return Err(crate::Error::Param {
                name: "pitch.fmax_hz",
                expected: format!("< sample_rate / 4 ({} Hz)", sr / 4.0),
                found: cfg.fmax_hz.to_string(),
            });
        }
        let max_period = ((sr / cfg.fmin_hz).ceil() as usize).min(frame_len.saturating_sub(1));
        if frame_len < 4 || max_period <= min_period + 1 {
            return Err(crate::Error::Param {
                name: "pitch.frame_len",
                expected: format!(
                    "more than {} samples (2 periods at fmin_hz)",
                    min_period + 2
                ),
                found: frame_len.to_string(),
            });
        }
        // Linear autocorrelation up to lag max_period + 2 needs an FFT of at least frame + max_lag:
        // pick the smallest 2^a 3^b 5^c size above that.
        let n = fast_len(frame_len + max_period + 3);
        let mut planner = FftPlanner::<f32>::new();
        let fwd = planner.plan_fft_forward(n);
        let inv = planner.plan_fft_inverse(n);
        let scratch_len = fwd
            .get_inplace_scratch_len()
            .max(inv.get_inplace_scratch_len());
        Ok(Self {
            buf: vec![Complex::new(0.0, 0.0); n],
            scratch: vec![Complex::new(0.0, 0.0); scratch_len],
            fwd,
            inv,
            acf: vec![0.0; frame_len],
            acf2: vec![0.0; frame_len],
            csum: vec![0.0; frame_len],
            csum2: vec![0.0; frame_len],
            yin: vec![0.0; max_period - min_period + 1],
            yin2: vec![0.0; max_period - min_period + 1],
            pulses: Vec::with_capacity(frame_len),
            cfg,
            frame_len,
            sr,
            min_period,
            max_period,
        })
    }

    /// Analyses one frame `y0` (and optionally a second frame `y1`) of `frame_len` samples.
    ///
    /// Autocorrelation (exact linear ACF for lags < frame) of both frames with one forward and
    /// one inverse complex FFT of `z = y0 + i y1`: `|Y0_k|^2 = |Z_k + conj Z_{N-k}|^2 / 4`,
    /// `|Y1_k|^2 = |Z_k - conj Z_{N-k}|^2 / 4`, both real and even, so the inverse transform of
    /// `|Y0|^2 + i |Y1|^2` carries ACF0 in its real and ACF1 in its imaginary part. Single
    /// precision (relative error ~1e-7 of the frame energy; the CMNDF is computed in f64).
    pub fn analyse_pair(
        &mut self,
        y0: &[f64],
        y1: Option<&[f64]>,
    ) -> (PitchFrame, Option<PitchFrame>) {
        let n = self.frame_len;
        debug_assert_eq!(y0.len(), n);
        let lags = (self.max_period + 3).min(n);
        pack_pair(&mut self.buf, n, y0, y1);
        self.fwd
            .process_with_scratch(&mut self.buf, &mut self.scratch);
        pair_power(&mut self.buf);
        self.inv
            .process_with_scratch(&mut self.buf, &mut self.scratch);
        let totals = unpack_pair(
            &self.buf,
            [&mut self.acf[..lags], &mut self.acf2[..lags]],
            [&mut self.csum[..lags], &mut self.csum2[..lags]],
            y0,
            y1,
        );
        let troughs = self.lag_loops(y1.is_some());
        let f0 = self.finish(y0, totals[0], false, troughs[0]);
        let f1 = y1.map(|y1| self.finish(y1, totals[1], true, troughs[1]));
        (f0, f1)
    }

    /// YIN's lag loop for the first frame (`acf`, `csum` into `yin`) and, when `both`, the
    /// second (`acf2`, `csum2` into `yin2`), side by side: each frame's own chain of sums and
    /// its own stop, so the same values and choices as one frame at a time, but the two
    /// frames' dependent adds overlap. Returns each frame's first trough below the threshold
    /// (`None`: every lag was computed).
    ///
    /// Difference function (librosa 0.11): d(k) = 2 (acf0 - acf_k) - sum_{m<k} y_m^2.
    /// Cumulative mean normalised difference over the lags of the F0 range, computed lag by lag
    /// and stopped at the first trough below the threshold (YIN's choice): a trough at `j` is
    /// known once `yin[j + 1]` is, so voiced frames skip most lags. The values and the choice
    /// are the same as computing every lag first.
    /// d(tau) / (cum(tau) / tau + tiny) = tau d(tau) / (cum(tau) + tau tiny): one division.
    fn lag_loops(&mut self, both: bool) -> [Option<usize>; 2] {
        let min_period = self.min_period;
        let thr = self.cfg.trough_threshold;
        let (a0, c0, a1, c1) = (&self.acf, &self.csum, &self.acf2, &self.csum2);
        let d0 = |k: usize| 2.0 * (a0[0] - a0[k]) - c0[k - 1];
        let d1 = |k: usize| 2.0 * (a1[0] - a1[k]) - c1[k - 1];
        let mut cum0: f64 = (1..min_period).map(d0).sum();
        let mut cum1: f64 = if both {
            (1..min_period).map(d1).sum()
        } else {
            0.0
        };
        let (y0, y1) = (&mut self.yin, &mut self.yin2);
        let m = y0.len();
        // a trough at `j` below the threshold, once `y[j + 1]` is known
        let trough_at = |y: &[f64], j: usize| {
            let trough = if j == 0 {
                y[0] < y[1]
            } else {
                y[j] < y[j - 1] && y[j] <= y[j + 1]
            };
            trough && y[j] < thr
        };
        // one lag of one frame: its difference, its running sum, its value, and whether the
        // lag before is its trough
        let step = |acf: &[f64], csum: &[f64], y: &mut [f64], cum: &mut f64, i: usize| {
            let tau = min_period + i;
            let t = tau as f64;
            let dv = 2.0 * (acf[0] - acf[tau]) - csum[tau - 1];
            *cum += dv;
            y[i] = t * dv / (*cum + t * f64::MIN_POSITIVE);
            i >= 1 && trough_at(y, i - 1)
        };
        let mut found = [None, None];
        let (mut run0, mut run1) = (true, both);
        for i in 0..m {
            if run0 && step(a0, c0, y0, &mut cum0, i) {
                found[0] = Some(i - 1);
                run0 = false;
            }
            if run1 && step(a1, c1, y1, &mut cum1, i) {
                found[1] = Some(i - 1);
                run1 = false;
            }
            if !run0 && !run1 {
                break;
            }
        }
        found
    }

    /// YIN on one frame whose autocorrelation, running energies and lag loop
    /// ([`PitchTracker::lag_loops`]) are in `acf`, `csum` and `yin` (or `acf2`, `csum2` and
    /// `yin2` when `second`), with its first trough.
    fn finish(
        &mut self,
        y: &[f64],
        total: f64,
        second: bool,
        first_trough: Option<usize>,
    ) -> PitchFrame {
        let n = self.frame_len;
        let lags = (self.max_period + 3).min(n);
        if second {
            std::mem::swap(&mut self.acf, &mut self.acf2);
            std::mem::swap(&mut self.csum, &mut self.csum2);
            std::mem::swap(&mut self.yin, &mut self.yin2);
        }
        // the total energy and the running sums (`csum`, only where d(k) needs them) come from
        // `analyse_pair`
        let energy = total / n as f64;
        let m = self.yin.len();
        let thr = self.cfg.trough_threshold;
        let yin = &self.yin;
        let idx = first_trough.unwrap_or_else(|| {
            // Every lag was computed: the last lag can be the trough, else the global minimum.
            if yin[m - 1] < yin[m - 2] && yin[m - 1] < thr {
                return m - 1;
            }
            first_min(yin)
        });
        let shift = if idx == 0 || idx == m - 1 {
            0.0
        } else {
            let a = yin[idx + 1] + yin[idx - 1] - 2.0 * yin[idx];
            let b = (yin[idx + 1] - yin[idx - 1]) / 2.0;
            if b.abs() >= a.abs() { 0.0 } else { -b / a }
        };
        let period = self.min_period as f64 + idx as f64 + shift;
        let f0_hz = self.sr / period;
        let aperiodicity = yin[idx].max(0.0);
        // Normalised autocorrelation around the period (for HNR).
        let t0 = period.round() as usize;
        let mut r_period: f64 = 0.0;
        let (t_lo, t_hi) = (t0.saturating_sub(1).max(1), (t0 + 1).min(lags - 1));
        // energy of the last `tau` samples, from the shortest tail up
        let mut tail = crate::fastmath::dot(&y[n - t_lo.min(n)..], &y[n - t_lo.min(n)..]);
        for tau in t_lo..=t_hi {
            if tau > t_lo {
                tail += y[n - tau] * y[n - tau];
            }
            // energies of y[..n - tau] and y[tau..]
            let e1 = (total - tail).max(0.0);
            let e2 = (total - self.csum[tau - 1]).max(0.0);
            let den = (e1 * e2).sqrt();
            if den > 0.0 {
                r_period = r_period.max(self.acf[tau] / den);
            }
        }
        if second {
            std::mem::swap(&mut self.acf, &mut self.acf2);
            std::mem::swap(&mut self.csum, &mut self.csum2);
            std::mem::swap(&mut self.yin, &mut self.yin2);
        }
        PitchFrame {
            f0_hz,
            aperiodicity,
            energy,
            r_period: r_period.clamp(0.0, 1.0),
            pulses: None,
        }
    }

    /// Jitter / shimmer of the glottal pulses in one pitch frame `y` with the frame's F0.
    pub fn pulses(&mut self, y: &[f64], f0_hz: f64) -> Option<PulseStats> {
        pulse_stats_into(
            y,
            self.sr / f0_hz,
            self.sr / self.cfg.fmax_hz,
            self.sr / self.cfg.fmin_hz,
            &mut self.pulses,
        )
    }
}

/// `buf = y0 + i y1` in single precision (`y1` absent: 0), zero-padded after the first `n`.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn pack_pair(buf: &mut [Complex<f32>], n: usize, y0: &[f64], y1: Option<&[f64]>) {
    match y1 {
        Some(y1) => {
            for ((c, a), b) in buf.iter_mut().zip(y0).zip(y1) {
                *c = Complex::new(*a as f32, *b as f32);
            }
        }
        None => {
            for (c, a) in buf.iter_mut().zip(y0) {
                *c = Complex::new(*a as f32, 0.0);
            }
        }
    }
    buf[n..].fill(Complex::new(0.0, 0.0));
}

/// From the transform `Z` of `y0 + i y1`, `|Y0_k|^2 + i |Y1_k|^2` in place: with `W = Z_{N-k}`,
/// `|Y0_k|^2 = |Z_k + conj W|^2 / 4` and `|Y1_k|^2 = |Z_k - conj W|^2 / 4`, the same at `k` and
/// `N - k` (real, even). Bins `k` and `N - k` are walked as two slices, one reversed.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn pair_power(buf: &mut [Complex<f32>]) {
    let big_n = buf.len();
    debug_assert!(big_n.is_multiple_of(2));
    let power = |z: Complex<f32>, w: Complex<f32>| {
        let (ar, ai) = (z.re + w.re, z.im - w.im);
        let (br, bi) = (z.re - w.re, z.im + w.im);
        Complex::new(0.25 * (ar * ar + ai * ai), 0.25 * (br * br + bi * bi))
    };
    let z0 = buf[0];
    buf[0] = Complex::new(z0.re * z0.re, z0.im * z0.im);
    let half = big_n / 2;
    let zh = buf[half];
    buf[half] = power(zh, zh);
    // bins 1..half pair with N-1 down to half+1
    let (lo, hi) = buf[1..].split_at_mut(half - 1);
    for (z, w) in lo.iter_mut().zip(hi[1..].iter_mut().rev()) {
        let pq = power(*z, *w);
        *z = pq;
        *w = pq;
    }
}

/// The first `lags` autocorrelation values of both frames (real and imaginary part of the
/// inverse transform, scaled by `1 / N`) into `acf`, and the running energies of both frames
/// into `csum` in one loop: two independent add chains, each summed in the same order as alone.
/// Returns both frames' total energies (`fastmath::dot(y, y)`; 0 for a missing second frame).
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn unpack_pair(
    buf: &[Complex<f32>],
    acf: [&mut [f64]; 2],
    csum: [&mut [f64]; 2],
    y0: &[f64],
    y1: Option<&[f64]>,
) -> [f64; 2] {
    let scale = 1.0 / buf.len() as f64;
    let [acf0, acf1] = acf;
    let [cs0, cs1] = csum;
    for ((a, b), c) in acf0.iter_mut().zip(acf1.iter_mut()).zip(buf) {
        *a = f64::from(c.re) * scale;
        *b = f64::from(c.im) * scale;
    }
    match y1 {
        Some(y1) => {
            let (mut a0, mut a1) = (0.0, 0.0);
            for (((c0, c1), v0), v1) in cs0.iter_mut().zip(cs1.iter_mut()).zip(y0).zip(y1) {
                a0 += v0 * v0;
                a1 += v1 * v1;
                *c0 = a0;
                *c1 = a1;
            }
        }
        None => {
            let mut acc = 0.0;
            for (c, v) in cs0.iter_mut().zip(y0) {
                acc += v * v;
                *c = acc;
            }
        }
    }
    match y1 {
        Some(y1) => energies(y0, y1),
        None => [crate::fastmath::dot(y0, y0), 0.0],
    }
}

/// `[dot(y0, y0), dot(y1, y1)]` (`fastmath::dot`, frames of one length) in one loop: each sum
/// keeps its four lanes and its order, so the same bits, but the two add chains run side by
/// side instead of one after the other (one AVX2 register per sum: alone, each block waits on
/// the previous block's add).
#[inline(always)]
fn energies(y0: &[f64], y1: &[f64]) -> [f64; 2] {
    debug_assert_eq!(y0.len(), y1.len());
    let n = y0.len().min(y1.len());
    let (c0, c1) = (y0[..n].chunks_exact(4), y1[..n].chunks_exact(4));
    let (r0, r1) = (c0.remainder(), c1.remainder());
    let (mut a, mut b) = ([0.0f64; 4], [0.0f64; 4]);
    for (x, y) in c0.zip(c1) {
        for j in 0..4 {
            a[j] += x[j] * x[j];
            b[j] += y[j] * y[j];
        }
    }
    let (mut ta, mut tb) = (0.0, 0.0);
    for (x, y) in r0.iter().zip(r1) {
        ta += x * x;
        tb += y * y;
    }
    [
        (a[0] + a[2]) + (a[1] + a[3]) + ta,
        (b[0] + b[2]) + (b[1] + b[3]) + tb,
    ]
}

/// The index a scan `best = 0; for i in 1.. { if v[i] < v[best] { best = i } }` ends with,
/// computed as the smallest value in four lanes (vectorised; `x < m` skips NaNs as the scan's
/// `<` does) and then its first position. A NaN at index 0 keeps index 0, as the scan does.
fn first_min(v: &[f64]) -> usize {
    let Some(&v0) = v.first() else {
        return 0;
    };
    if v0.is_nan() {
        return 0;
    }
    let mut lanes = [v0; 4];
    let mut blocks = v.chunks_exact(4);
    for b in &mut blocks {
        for j in 0..4 {
            lanes[j] = if b[j] < lanes[j] { b[j] } else { lanes[j] };
        }
    }
    let mut low = lanes[0];
    for &x in lanes[1..].iter().chain(blocks.remainder()) {
        low = if x < low { x } else { low };
    }
    v.iter().position(|&x| x == low).unwrap_or(0)
}

/// Smallest `2^a 3^b 5^c >= n` (sizes the FFT handles fastest), even.
fn fast_len(n: usize) -> usize {
    let mut m = n.max(2);
    loop {
        let mut r = m;
        for p in [2, 3, 5] {
            while r.is_multiple_of(p) {
                r /= p;
            }
        }
        if r == 1 && m.is_multiple_of(2) {
            return m;
        }
        m += 1;
    }
}

/// Finds glottal pulses in `y` for an expected period `period` (samples) and returns local jitter
/// and shimmer, or `None` when fewer than 3 pulses are found.
///
/// Pulses: the polarity of the largest |y| decides; from that anchor, the next pulse is the
/// maximum of `s * y` within `[0.7, 1.3] * period` after (and before) the previous one, refined by
/// parabolic interpolation (position and amplitude). Periods outside `[min_period, max_period]`
/// samples or changing by more than a factor 1.3 are not used; a candidate that is not a local
/// maximum inside the frame (a truncated pulse at the frame edge) ends the search.
pub fn pulse_stats(y: &[f64], period: f64, min_period: f64, max_period: f64) -> Option<PulseStats> {
    let mut buf = Vec::with_capacity(y.len());
    pulse_stats_into(y, period, min_period, max_period, &mut buf)
}

#[multiversion::multiversion(targets("x86_64+avx2"))]
fn pulse_stats_into(
    y: &[f64],
    period: f64,
    min_period: f64,
    max_period: f64,
    pulses: &mut Vec<(f64, f64)>,
) -> Option<PulseStats> {
    let n = y.len();
    if !(period.is_finite() && period >= 2.0) || n < 3 {
        return None;
    }
    // anchor: the first sample of largest |y|
    let anchor = first_argmax_by(y, f64::abs);
    // work on the polarity-corrected signal (read through the sign, not copied)
    if y[anchor] < 0.0 {
        collect_pulses::<true>(y, anchor, period, pulses);
    } else {
        collect_pulses::<false>(y, anchor, period, pulses);
    }
    // Keep the longest run of consecutive plausible periods around the anchor.
    let mut sum_t = 0.0;
    let mut sum_dt = 0.0;
    let mut n_dt = 0usize;
    let mut n_t = 0usize;
    let mut sum_da = 0.0;
    let mut n_da = 0usize;
    let mut prev_t: Option<f64> = None;
    for w in pulses.windows(2) {
        let t = w[1].0 - w[0].0;
        let ok = t >= min_period * 0.999 && t <= max_period * 1.001 && w[0].1 > 0.0 && w[1].1 > 0.0;
        if !ok {
            prev_t = None;
            continue;
        }
        if let Some(pt) = prev_t
            && (t / pt > 1.3 || pt / t > 1.3)
        {
            prev_t = Some(t);
            continue;
        }
        sum_t += t;
        n_t += 1;
        if let Some(pt) = prev_t {
            sum_dt += (t - pt).abs();
            n_dt += 1;
        }
        sum_da += (20.0 * (w[1].1 / w[0].1).log10()).abs();
        n_da += 1;
        prev_t = Some(t);
    }
    if n_dt == 0 || n_t == 0 || n_da == 0 {
        return None;
    }
    Some(PulseStats {
        jitter_local: (sum_dt / n_dt as f64) / (sum_t / n_t as f64),
        shimmer_local_db: sum_da / n_da as f64,
        n_pulses: n_t + 1,
    })
}

/// The pulses of `y` read with polarity `NEG` (`-y` when true: the same values as multiplying by
/// -1), from `anchor` backward and forward, in time order, into `pulses`
/// ([`pulse_stats`] describes the search).
#[inline(always)]
fn collect_pulses<const NEG: bool>(
    y: &[f64],
    anchor: usize,
    period: f64,
    pulses: &mut Vec<(f64, f64)>,
) {
    let n = y.len();
    let at = |i: usize| if NEG { -y[i] } else { y[i] };
    let refine = |i: usize| -> (f64, f64) {
        if i == 0 || i + 1 >= n {
            return (i as f64, at(i));
        }
        let (l, c, r) = (at(i - 1), at(i), at(i + 1));
        let a = l + r - 2.0 * c;
        if a.abs() < 1e-300 {
            return (i as f64, c);
        }
        let sh = ((l - r) / (2.0 * a)).clamp(-0.5, 0.5);
        (i as f64 + sh, c - 0.25 * (l - r) * sh)
    };
    // first index of the maximum of the signed y[lo..=hi]
    let argmax = |lo: usize, hi: usize| -> usize {
        lo + first_argmax_by(&y[lo..=hi], |v| if NEG { -v } else { v })
    };
    // a pulse must be a local maximum inside the frame (not a search-interval or frame edge)
    let is_peak =
        |q: usize| q > 0 && q + 1 < n && at(q) >= at(q - 1) && at(q) >= at(q + 1) && at(q) > 0.0;
    pulses.clear();
    let lo_off = (0.7 * period).round().max(1.0) as usize;
    let hi_off = (1.3 * period).round() as usize;
    // backward from the anchor (collected in reverse order, flipped below)
    let mut p = anchor;
    while p >= lo_off {
        let q = argmax(p.saturating_sub(hi_off), p - lo_off);
        if !is_peak(q) {
            break;
        }
        pulses.push(refine(q));
        p = q;
    }
    pulses.reverse();
    pulses.push(refine(anchor));
    // forward
    let mut p = anchor;
    while p + lo_off < n {
        let q = argmax(p + lo_off, (p + hi_off).min(n - 1));
        if !is_peak(q) {
            break;
        }
        pulses.push(refine(q));
        p = q;
    }
}

/// The first index `i` where `f(v_i)` takes its largest value (NaN never counts; 0 when no
/// value exceeds -inf and none equals it): what `m = max f(v_i); position(f(v_i) == m)` finds.
/// The maximum in sixteen lanes (four independent vectors, so the compares do not wait on each
/// other), then the position by blocks of eight tested at once.
#[inline(always)]
fn first_argmax_by(v: &[f64], f: impl Fn(f64) -> f64) -> usize {
    const L: usize = 16;
    let mut m = [f64::NEG_INFINITY; L];
    let mut ch = v.chunks_exact(L);
    for c in &mut ch {
        for j in 0..L {
            let x = f(c[j]);
            m[j] = if x > m[j] { x } else { m[j] };
        }
    }
    for (j, &x) in ch.remainder().iter().enumerate() {
        let x = f(x);
        m[j] = if x > m[j] { x } else { m[j] };
    }
    let best = m
        .iter()
        .fold(f64::NEG_INFINITY, |a, &b| if b > a { b } else { a });
    const B: usize = 8;
    let mut blocks = v.chunks_exact(B);
    let mut base = 0;
    for c in &mut blocks {
        let mut hit = false;
        for &x in c {
            hit |= f(x) == best;
        }
        if hit {
            return base + c.iter().position(|&x| f(x) == best).unwrap_or(0);
        }
        base += B;
    }
    // not found at all (nothing above -inf, no -inf either): 0, as `position(..).unwrap_or(0)`
    match blocks.remainder().iter().position(|&x| f(x) == best) {
        Some(i) => base + i,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` values drawn from `pool` by a small LCG.
    fn draws(pool: &[f64], n: usize, seed: &mut u64) -> Vec<f64> {
        (0..n)
            .map(|_| {
                *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                pool[(*seed >> 33) as usize % pool.len()]
            })
            .collect()
    }

    /// `first_min` is the scan it replaces: ties (the first wins), signed zeros, NaNs anywhere
    /// (first place included), infinities, every length around the lane width.
    #[test]
    fn first_min_is_the_scan() {
        let scan = |v: &[f64]| {
            let mut best = 0;
            for i in 1..v.len() {
                if v[i] < v[best] {
                    best = i;
                }
            }
            best
        };
        let pool = [
            0.5,
            0.25,
            0.25,
            -0.0,
            0.0,
            f64::NAN,
            f64::INFINITY,
            1e-300,
            0.75,
        ];
        let mut seed = 99u64;
        for n in 1..40 {
            for _ in 0..200 {
                let v = draws(&pool, n, &mut seed);
                assert_eq!(first_min(&v), scan(&v), "{v:?}");
            }
        }
        assert_eq!(first_min(&[]), 0);
    }

    /// `energies` is `fastmath::dot(y, y)` of each frame, bit for bit, at every length around
    /// the block of four.
    #[test]
    fn energies_are_the_dots() {
        let mut seed = 3u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            ((seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 10f64.powi((seed >> 60) as i32 - 8)
        };
        for n in 0..40 {
            let a: Vec<f64> = (0..n).map(|_| next()).collect();
            let b: Vec<f64> = (0..n).map(|_| next()).collect();
            let [ea, eb] = energies(&a, &b);
            let dot = crate::fastmath::dot;
            assert_eq!(ea.to_bits(), dot(&a, &a).to_bits(), "n = {n}");
            assert_eq!(eb.to_bits(), dot(&b, &b).to_bits(), "n = {n}");
        }
    }

    /// `first_argmax_by` is the two passes it replaces (largest `f(v_i)`, then its first
    /// position): ties, signed zeros, NaNs, infinities, every length around the lane width, for
    /// `abs`, identity and negation.
    #[test]
    fn first_argmax_is_max_then_position() {
        fn two_pass(v: &[f64], f: &dyn Fn(f64) -> f64) -> usize {
            let m = v.iter().map(|&x| f(x)).fold(f64::NEG_INFINITY, f64::max);
            v.iter().position(|&x| f(x) == m).unwrap_or(0)
        }
        let pool = [
            0.5,
            -0.5,
            0.25,
            -0.0,
            0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e-300,
            -0.75,
        ];
        let fs: [&dyn Fn(f64) -> f64; 3] = [&f64::abs, &|x| x, &|x: f64| -x];
        let mut seed = 7u64;
        for n in 0..40 {
            for _ in 0..300 {
                let v = draws(&pool, n, &mut seed);
                for f in fs {
                    assert_eq!(first_argmax_by(&v, f), two_pass(&v, f), "{v:?}");
                }
            }
        }
    }
}
