//! pyAudioAnalysis 0.3.14 short-term features, reproduced bug for bug (compatibility mode).

/// `sys.float_info.epsilon`.
const EPS: f64 = f64::EPSILON;

/// Number of pyAudioAnalysis base features (deltas double it).
pub(crate) const N_BASE: usize = 34;

/// Column names as pyAudioAnalysis writes them (spaces as underscores).
pub(crate) fn names() -> Vec<String> {
    let mut v: Vec<String> = [
        "zcr",
        "energy",
        "energy_entropy",
        "spectral_centroid",
        "spectral_spread",
        "spectral_entropy",
        "spectral_flux",
        "spectral_rolloff",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend((1..=13).map(|i| format!("mfcc_{i}")));
    v.extend((1..=12).map(|i| format!("chroma_{i}")));
    v.push("chroma_std".into());
    let d: Vec<String> = v.iter().map(|s| format!("delta_{s}")).collect();
    v.extend(d);
    v
}

#[derive(Clone, Debug)]
pub(crate) struct PyAa {
    num_fft: usize,
    sr: f64,
    /// 40 x num_fft (dense; pyAudioAnalysis `mfcc_filter_banks`, which assumes bin k is at
    /// `k * sr / num_fft` Hz although it is at `k * sr / (2 num_fft)`).
    fbank: Vec<Vec<f64>>,
    /// Chroma index per bin (may be negative: numpy wraps it).
    num_chroma: Vec<i64>,
    num_freqs_per_chroma: Vec<f64>,
    dct: Vec<f64>,
    mag: Vec<f64>,
    prev: Vec<f64>,
    mspec: Vec<f64>,
    c: Vec<f64>,
    first: bool,
}

impl PyAa {
    pub fn new(sample_rate_hz: u32, frame_len: usize) -> Self {
        let sr = f64::from(sample_rate_hz);
        let num_fft = frame_len / 2;
        // mfcc_filter_banks(sr, num_fft, lowfreq=133.33, linc=200/3, logsc=1.0711703, 13 lin, 27 log)
        let (lowfreq, linc, logsc, nlin, nlog) =
            (133.33f64, 200.0 / 3.0, 1.0711703f64, 13usize, 27usize);
        let total = nlin + nlog;
        let mut freqs = vec![0.0f64; total + 2];
        for (i, f) in freqs.iter_mut().enumerate().take(nlin) {
            *f = lowfreq + i as f64 * linc;
        }
        for j in 0..(nlog + 2) {
            freqs[nlin + j] = freqs[nlin - 1] * logsc.powi(j as i32 + 1);
        }
        let nfreqs: Vec<f64> = (0..num_fft)
            .map(|k| k as f64 / num_fft as f64 * sr)
            .collect();
        let nf = num_fft as f64;
        let mut fbank = vec![vec![0.0f64; num_fft]; total];
        for (i, row) in fbank.iter_mut().enumerate() {
            let (lo, ce, hi) = (freqs[i], freqs[i + 1], freqs[i + 2]);
            let height = 2.0 / (hi - lo);
            let lid0 = (lo * nf / sr).floor() as i64 + 1;
            let lid1 = (ce * nf / sr).floor() as i64 + 1;
            let rid1 = (hi * nf / sr).floor() as i64 + 1;
            let lslope = height / (ce - lo);
            let rslope = height / (hi - ce);
            for k in lid0..lid1 {
                if (0..num_fft as i64).contains(&k) {
                    row[k as usize] = lslope * (nfreqs[k as usize] - lo);
                }
            }
            for k in lid1..rid1 {
                if (0..num_fft as i64).contains(&k) {
                    row[k as usize] = rslope * (hi - nfreqs[k as usize]);
                }
            }
        }
        // chroma_features_init
        let num_chroma: Vec<i64> = (0..num_fft)
            .map(|f| {
                let fr = (f as f64 + 1.0) * sr / (2.0 * nf);
                round_half_even(12.0 * (fr / 27.5).log2()) as i64
            })
            .collect();
        let mut num_freqs_per_chroma = vec![0.0f64; num_fft];
        for (i, &u) in num_chroma.iter().enumerate() {
            let count = num_chroma.iter().filter(|&&v| v == u).count();
            num_freqs_per_chroma[i] = count as f64;
        }
        Self {
            num_fft,
            sr,
            fbank,
            num_chroma,
            num_freqs_per_chroma,
            dct: crate::mel::dct_ortho(13, total),
            mag: vec![0.0; num_fft],
            prev: vec![0.0; num_fft],
            mspec: vec![0.0; total],
            c: vec![0.0; num_fft],
            first: true,
        }
    }

    pub fn reset(&mut self) {
        self.first = true;
    }

    /// Computes the 34 base features of one frame. `x`: the (DC-normalised) frame;
    /// `fft_mag`: |FFT(x)| for bins `0..num_fft`.
    pub fn frame(&mut self, x: &[f64], fft_mag: &[f64], out: &mut [f64]) {
        let nf = self.num_fft as f64;
        for (m, v) in self.mag.iter_mut().zip(fft_mag) {
            *m = v / nf;
        }
        if self.first {
            self.prev.copy_from_slice(&self.mag);
            self.first = false;
        }
        let mag = &self.mag;
        // zcr
        let sign = |v: f64| -> f64 {
            if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                0.0
            }
        };
        let zc: f64 = x
            .windows(2)
            .map(|w| (sign(w[1]) - sign(w[0])).abs())
            .sum::<f64>()
            / 2.0;
        out[0] = zc / (x.len() as f64 - 1.0);
        out[1] = x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64;
        out[2] = block_entropy(x, 10);
        // centroid / spread
        let xmax = mag.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let div = if xmax == 0.0 { EPS } else { xmax };
        let step = self.sr / (2.0 * nf);
        let mut num = 0.0;
        let mut den = 0.0;
        for (k, m) in mag.iter().enumerate() {
            let xt = m / div;
            num += (k as f64 + 1.0) * step * xt;
            den += xt;
        }
        den += EPS;
        let centroid = num / den;
        let mut sp = 0.0;
        for (k, m) in mag.iter().enumerate() {
            let ind = (k as f64 + 1.0) * step;
            sp += (ind - centroid).powi(2) * (m / div);
        }
        let spread = (sp / den).sqrt();
        out[3] = centroid / (self.sr / 2.0);
        out[4] = spread / (self.sr / 2.0);
        out[5] = block_entropy(mag, 10);
        // flux
        let s1: f64 = mag.iter().map(|m| m + EPS).sum();
        let s0: f64 = self.prev.iter().map(|m| m + EPS).sum();
        out[6] = mag
            .iter()
            .zip(&self.prev)
            .map(|(a, b)| (a / s1 - b / s0).powi(2))
            .sum();
        // rolloff 0.90
        let energy: f64 = mag.iter().map(|m| m * m).sum();
        let thr = 0.90 * energy;
        let mut cum = 0.0;
        let mut roll = 0.0;
        for (k, m) in mag.iter().enumerate() {
            cum += m * m;
            if cum + EPS > thr {
                roll = k as f64 / nf;
                break;
            }
        }
        out[7] = roll;
        // mfcc
        for (ms, row) in self.mspec.iter_mut().zip(&self.fbank) {
            let v: f64 = row.iter().zip(mag.iter()).map(|(a, b)| a * b).sum();
            *ms = (v + EPS).log10();
        }
        let nm = self.mspec.len();
        for (i, o) in out[8..21].iter_mut().enumerate() {
            *o = self.dct[i * nm..(i + 1) * nm]
                .iter()
                .zip(&self.mspec)
                .map(|(a, b)| a * b)
                .sum();
        }
        // chroma (bug-compatible: assignment with repeated indices keeps the last value, negative
        // indices wrap, the per-chroma counts are indexed by chroma number)
        let n = self.num_fft as i64;
        self.c.fill(0.0);
        for (k, &ch) in self.num_chroma.iter().enumerate() {
            let idx = ch.rem_euclid(n) as usize;
            self.c[idx] = mag[k] * mag[k];
        }
        for (k, cv) in self.c.iter_mut().enumerate() {
            let idx = self.num_chroma[k].rem_euclid(n) as usize;
            *cv /= self.num_freqs_per_chroma[idx];
        }
        let mut fin = [0.0f64; 12];
        for (k, cv) in self.c.iter().enumerate() {
            fin[k % 12] += cv;
        }
        let spec_sum: f64 = mag.iter().map(|m| m * m).sum();
        let d = if spec_sum == 0.0 { EPS } else { spec_sum };
        for f in fin.iter_mut() {
            *f /= d;
        }
        out[21..33].copy_from_slice(&fin);
        let mean = fin.iter().sum::<f64>() / 12.0;
        out[33] = (fin.iter().map(|f| (f - mean).powi(2)).sum::<f64>() / 12.0).sqrt();
        self.prev.copy_from_slice(&self.mag);
    }
}

/// pyAudioAnalysis `energy_entropy` / `spectral_entropy`: entropy (bits) of the energies of
/// `n_blocks` consecutive equal sub-blocks (trailing samples dropped), with `eps` guards.
pub(crate) fn block_entropy(x: &[f64], n_blocks: usize) -> f64 {
    let total: f64 = x.iter().map(|v| v * v).sum();
    let l = x.len() / n_blocks;
    if l == 0 {
        return 0.0;
    }
    let mut h = 0.0;
    for b in 0..n_blocks {
        let e: f64 = x[b * l..(b + 1) * l].iter().map(|v| v * v).sum();
        let s = e / (total + EPS);
        h -= s * (s + EPS).log2();
    }
    h
}

fn round_half_even(v: f64) -> f64 {
    let r = v.round();
    if (v - v.trunc()).abs() == 0.5 {
        2.0 * (v / 2.0).round()
    } else {
        r
    }
}
