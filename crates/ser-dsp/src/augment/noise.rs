//! Noise sources and mixing at a signal-to-noise ratio.

use super::rng::SplitMix64;

/// White noise: [`SplitMix64::gauss_approx`] per sample.
pub(crate) fn white(rng: &mut SplitMix64, out: &mut [f32]) {
    for v in out {
        *v = rng.gauss_approx();
    }
}

/// Pink (1/f power, -3 dB per octave) noise: white noise through Paul Kellett's "refined"
/// filter, a sum of six one-pole low-passes plus a direct term (within ±0.05 dB of 1/f above
/// 9.2 Hz at 44.1 kHz, i.e. above 2.1e-4 of the sample rate: the filter is defined on normalised
/// frequency and 1/f is scale free, so it holds at any sample rate). The first 4096 outputs are
/// discarded so the slowest pole (time constant ~880 samples) has settled.
pub(crate) fn pink(rng: &mut SplitMix64, out: &mut [f32]) {
    let mut b = [0.0f32; 7];
    let mut step = |w: f32| {
        b[0] = 0.99886 * b[0] + w * 0.055_517_9;
        b[1] = 0.99332 * b[1] + w * 0.075_075_9;
        b[2] = 0.96900 * b[2] + w * 0.153_852;
        b[3] = 0.86650 * b[3] + w * 0.310_485_6;
        b[4] = 0.55000 * b[4] + w * 0.532_952_2;
        b[5] = -0.7616 * b[5] - w * 0.016_898;
        let p = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362;
        b[6] = w * 0.115_926;
        p
    };
    for _ in 0..4096 {
        step(rng.gauss_approx());
    }
    for v in out {
        *v = step(rng.gauss_approx());
    }
}

/// Mean power `sum x^2 / N` in f64 (0 for an empty slice).
pub(crate) fn power(x: &[f32]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64
}

/// `out = x + g n` with `g = sqrt(P_x / (P_n 10^(snr_db / 10)))`, so that
/// `10 log10(P_x / P_{g n}) = snr_db` exactly (up to f32 rounding); `P` is the mean power over the
/// whole signal. When either power is 0 (silent signal or silent noise) there is no such `g` and
/// `out = x`. `n` is at least as long as `x`.
pub(crate) fn mix_at_snr(x: &[f32], n: &[f32], snr_db: f64, out: &mut Vec<f32>) {
    out.clear();
    let n = &n[..x.len()];
    let (px, pn) = (power(x), power(n));
    if px == 0.0 || pn == 0.0 {
        out.extend_from_slice(x);
        return;
    }
    let g = (px / (pn * 10f64.powf(snr_db / 10.0))).sqrt() as f32;
    out.extend(x.iter().zip(n).map(|(&a, &b)| a + g * b));
}
