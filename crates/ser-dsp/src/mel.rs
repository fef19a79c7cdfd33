//! Mel scale, mel filterbank, chroma filterbank and DCT (librosa 0.11 definitions).

use crate::{MelConfig, MelScale};

const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;

fn logstep() -> f64 {
    6.4f64.ln() / 27.0
}

/// Hz to mel (Slaney: linear 0..1 kHz with 200/3 Hz per mel, logarithmic above;
/// HTK: `2595 log10(1 + f / 700)`), as librosa `hz_to_mel`.
pub fn hz_to_mel(f_hz: f64, scale: MelScale) -> f64 {
    match scale {
        MelScale::Htk => 2595.0 * (1.0 + f_hz / 700.0).log10(),
        MelScale::Slaney => {
            if f_hz >= MIN_LOG_HZ {
                MIN_LOG_HZ / F_SP + (f_hz / MIN_LOG_HZ).ln() / logstep()
            } else {
                f_hz / F_SP
            }
        }
    }
}

/// Mel to Hz, inverse of [`hz_to_mel`].
pub fn mel_to_hz(mel: f64, scale: MelScale) -> f64 {
    match scale {
        MelScale::Htk => 700.0 * (10f64.powf(mel / 2595.0) - 1.0),
        MelScale::Slaney => {
            let min_log_mel = MIN_LOG_HZ / F_SP;
            if mel >= min_log_mel {
                MIN_LOG_HZ * (logstep() * (mel - min_log_mel)).exp()
            } else {
                F_SP * mel
            }
        }
    }
}

/// Sparse triangular filterbank: per band the first bin and its weights.
#[derive(Clone, Debug)]
pub(crate) struct Filterbank {
    pub bands: Vec<(usize, Vec<f64>)>,
}

impl Filterbank {
    /// librosa `filters.mel(sr, n_fft, n_mels, fmin, fmax, htk, norm)`; weights rounded to f32 like
    /// librosa's default dtype.
    pub fn mel(cfg: &MelConfig, sample_rate_hz: u32, n_fft: usize) -> Self {
        let sr = f64::from(sample_rate_hz);
        let n_bins = n_fft / 2 + 1;
        let fmax = cfg.fmax_hz.unwrap_or(sr / 2.0);
        let (lo, hi) = (
            hz_to_mel(cfg.fmin_hz, cfg.scale),
            hz_to_mel(fmax, cfg.scale),
        );
        let n = cfg.n_mels + 2;
        let mel_f: Vec<f64> = (0..n)
            .map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (n - 1) as f64, cfg.scale))
            .collect();
        let fft_f: Vec<f64> = (0..n_bins).map(|k| k as f64 * sr / n_fft as f64).collect();
        let bands = (0..cfg.n_mels)
            .map(|i| {
                let (f0, f1, f2) = (mel_f[i], mel_f[i + 1], mel_f[i + 2]);
                let enorm = if cfg.slaney_norm {
                    2.0 / (f2 - f0)
                } else {
                    1.0
                };
                let w: Vec<f64> = fft_f
                    .iter()
                    .map(|&f| {
                        let lower = (f - f0) / (f1 - f0);
                        let upper = (f2 - f) / (f2 - f1);
                        let v = lower.min(upper).max(0.0) * enorm;
                        f64::from(v as f32)
                    })
                    .collect();
                let first = w.iter().position(|&v| v > 0.0).unwrap_or(0);
                let last = w.iter().rposition(|&v| v > 0.0).map_or(first, |l| l + 1);
                (first, w[first..last.max(first)].to_vec())
            })
            .collect();
        Self { bands }
    }

    /// `out[i] = sum_k w_ik spec[k]`.
    #[inline]
    pub fn apply(&self, spec: &[f64], out: &mut [f64]) {
        for ((start, w), o) in self.bands.iter().zip(out.iter_mut()) {
            *o = crate::fastmath::dot(w, &spec[*start..*start + w.len()]);
        }
    }
}

impl Filterbank {
    /// [`Filterbank::apply`] on two spectra at once (each weight loaded once for both frames).
    #[inline]
    pub fn apply2(&self, a: &[f64], b: &[f64], out_a: &mut [f64], out_b: &mut [f64]) {
        for (((start, w), oa), ob) in self
            .bands
            .iter()
            .zip(out_a.iter_mut())
            .zip(out_b.iter_mut())
        {
            let pa = &a[*start..*start + w.len()];
            let pb = &b[*start..*start + w.len()];
            let mut acc = [0.0f64; 4];
            let mut cw = w.chunks_exact(2);
            let mut ca = pa.chunks_exact(2);
            let mut cb = pb.chunks_exact(2);
            for ((w2, a2), b2) in (&mut cw).zip(&mut ca).zip(&mut cb) {
                acc[0] += w2[0] * a2[0];
                acc[1] += w2[1] * a2[1];
                acc[2] += w2[0] * b2[0];
                acc[3] += w2[1] * b2[1];
            }
            let (mut sa, mut sb) = (acc[0] + acc[1], acc[2] + acc[3]);
            for ((wv, av), bv) in cw
                .remainder()
                .iter()
                .zip(ca.remainder())
                .zip(cb.remainder())
            {
                sa += wv * av;
                sb += wv * bv;
            }
            *oa = sa;
            *ob = sb;
        }
    }
}

/// Orthonormal DCT-II matrix, `n_out x n_in` row major:
/// `c_k = s_k sum_n x_n cos(pi k (2n + 1) / (2 N))`, `s_0 = sqrt(1/N)`, `s_k = sqrt(2/N)`.
pub(crate) fn dct_ortho(n_out: usize, n_in: usize) -> Vec<f64> {
    let nf = n_in as f64;
    let mut m = Vec::with_capacity(n_out * n_in);
    for k in 0..n_out {
        let s = if k == 0 {
            (1.0 / nf).sqrt()
        } else {
            (2.0 / nf).sqrt()
        };
        for n in 0..n_in {
            m.push(
                s * (std::f64::consts::PI * k as f64 * (2.0 * n as f64 + 1.0) / (2.0 * nf)).cos(),
            );
        }
    }
    m
}

/// librosa `filters.chroma(sr, n_fft, tuning, n_chroma=12, ctroct=5, octwidth=2, norm=2,
/// base_c=True)`, dense `12 x (n_fft/2 + 1)`, rounded to f32 like librosa.
pub(crate) fn chroma_filterbank(sample_rate_hz: u32, n_fft: usize, tuning: f64) -> Vec<Vec<f64>> {
    let sr = f64::from(sample_rate_hz);
    let n_chroma = 12usize;
    let nc = n_chroma as f64;
    let a440 = 440.0 * 2f64.powf(tuning / nc);
    let mut frqbins = Vec::with_capacity(n_fft);
    for k in 1..n_fft {
        let f = k as f64 * sr / n_fft as f64;
        frqbins.push(nc * (f / (a440 / 16.0)).log2());
    }
    frqbins.insert(0, frqbins[0] - 1.5 * nc);
    let mut bw: Vec<f64> = frqbins.windows(2).map(|p| (p[1] - p[0]).max(1.0)).collect();
    bw.push(1.0);
    let half = (nc / 2.0).round();
    let mut wts = vec![vec![0.0f64; n_fft]; n_chroma];
    for k in 0..n_fft {
        let mut norm = 0.0;
        for (c, row) in wts.iter_mut().enumerate() {
            let d = frqbins[k] - c as f64;
            let d = (d + half + 10.0 * nc).rem_euclid(nc) - half;
            let v = (-0.5 * (2.0 * d / bw[k]).powi(2)).exp();
            row[k] = v;
            norm += v * v;
        }
        let norm = norm.sqrt();
        let oct = (-0.5 * ((frqbins[k] / nc - 5.0) / 2.0).powi(2)).exp();
        for row in wts.iter_mut() {
            row[k] = row[k] / norm * oct;
        }
    }
    let n_bins = n_fft / 2 + 1;
    (0..n_chroma)
        .map(|c| {
            wts[(c + 3) % n_chroma][..n_bins]
                .iter()
                .map(|&v| f64::from(v as f32))
                .collect()
        })
        .collect()
}
