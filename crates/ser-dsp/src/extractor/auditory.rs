//! Auditory family on mel ("auditory") band energies of the power spectrum: loudness (summed
//! compressed band energies), Zwicker sharpness, and the RASTA-filtered log bands. Each distinct
//! filterbank is applied once per frame and read by every item on it; the RASTA filter runs once
//! per utterance over the stored log bands ([`Family::finish`]).

use ndarray::Array2;

use super::cepstral::check_fmax;
use super::{AMIN, Family, Frame, Planner, Utterance, reshape};
use crate::config::{Descriptor, MelConfig};
use crate::mel::{Filterbank, hz_to_mel, mel_to_hz};
use crate::{Result, fastmath};

/// Compression exponent of the band energies (Stevens' power law, as openSMILE's loudness).
const COMPRESSION: f64 = 0.3;

/// RASTA numerator `[0.2, 0.1, 0, -0.1, -0.2]` (rastamat `rastafilt`: `-[-2..2] / 10`).
const RASTA_B: [f64; 5] = [0.2, 0.1, 0.0, -0.1, -0.2];

/// One filterbank, its band energies of the current frame and what is derived from them.
struct Bank {
    mel: MelConfig,
    fb: Filterbank,
    /// Band energies `E_i` of the current frame.
    bands: Vec<f64>,
    /// `E_i^0.3` of the current frame (when loudness or sharpness reads them).
    loud: Vec<f64>,
    /// Some item reads `loud`.
    compress: bool,
    /// Sharpness weights `0.11 g(z_i) z_i` of the band centres (Bark).
    sharp_w: Vec<f64>,
}

enum Item {
    Loudness,
    Sharpness,
    Rasta {
        top_db: Option<f64>,
        pole: f64,
        /// Log bands (dB) of every frame, `(n_frames, n_mels)`.
        scratch: Array2<f64>,
    },
}

/// The auditory descriptors of a set: `(first column, bank, item)`.
#[derive(Default)]
pub(super) struct Auditory {
    banks: Vec<Bank>,
    items: Vec<(usize, usize, Item)>,
}

/// Critical-band rate (Bark) of `f_hz`, Zwicker & Terhardt (1980):
/// `13 atan(0.00076 f) + 3.5 atan((f / 7500)^2)`.
pub fn bark(f_hz: f64) -> f64 {
    13.0 * (0.00076 * f_hz).atan() + 3.5 * (f_hz / 7500.0).powi(2).atan()
}

/// Zwicker's sharpness weighting `g(z)`: 1 up to 16 Bark, `0.066 exp(0.171 z)` above.
pub fn sharpness_weight(z: f64) -> f64 {
    if z <= 16.0 {
        1.0
    } else {
        0.066 * (0.171 * z).exp()
    }
}

impl Auditory {
    /// Index of the bank with filterbank `mel`, built on first use.
    fn bank(&mut self, mel: &MelConfig, p: &Planner<'_>) -> Result<usize> {
        if let Some(i) = self.banks.iter().position(|b| &b.mel == mel) {
            return Ok(i);
        }
        check_fmax(mel.fmax_hz, p.nyquist())?;
        let fb = Filterbank::mel(mel, p.sample_rate_hz, p.n_fft);
        let fmax = mel.fmax_hz.unwrap_or(p.nyquist());
        let (lo, hi) = (
            hz_to_mel(mel.fmin_hz, mel.scale),
            hz_to_mel(fmax, mel.scale),
        );
        let n = mel.n_mels;
        let sharp_w = (0..n)
            .map(|i| {
                let centre = mel_to_hz(lo + (hi - lo) * (i + 1) as f64 / (n + 1) as f64, mel.scale);
                let z = bark(centre);
                0.11 * sharpness_weight(z) * z
            })
            .collect();
        self.banks.push(Bank {
            mel: mel.clone(),
            fb,
            bands: vec![0.0; n],
            loud: vec![0.0; n],
            compress: false,
            sharp_w,
        });
        Ok(self.banks.len() - 1)
    }
}

impl Family for Auditory {
    fn plan(&mut self, d: &Descriptor, p: &mut Planner<'_>) -> Result<bool> {
        let col = p.n_columns();
        let (mel, item) = match d {
            Descriptor::Loudness { mel } => (mel, Item::Loudness),
            Descriptor::Sharpness { mel } => (mel, Item::Sharpness),
            Descriptor::RastaMel { mel, top_db, pole } => (
                mel,
                Item::Rasta {
                    top_db: *top_db,
                    pole: *pole,
                    scratch: Array2::zeros((0, mel.n_mels)),
                },
            ),
            _ => return Ok(false),
        };
        let b = self.bank(mel, p)?;
        match item {
            Item::Loudness => {
                self.banks[b].compress = true;
                p.column("loudness".into(), false);
            }
            Item::Sharpness => {
                self.banks[b].compress = true;
                p.column("sharpness".into(), false);
            }
            Item::Rasta { .. } => {
                for i in 0..mel.n_mels {
                    p.column(format!("rasta_mel_{i}"), false);
                }
            }
        }
        self.items.push((col, b, item));
        Ok(true)
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn start(&mut self, n_frames: usize) {
        for (_, _, item) in &mut self.items {
            if let Item::Rasta { scratch, .. } = item {
                // every row is written in frame() before finish() reads it
                let nm = scratch.ncols();
                reshape(scratch, n_frames, nm);
            }
        }
    }

    fn frame(&mut self, f: &Frame<'_>, row: &mut [f64]) {
        for b in &mut self.banks {
            b.fb.apply(f.power, &mut b.bands);
            if b.compress {
                for (l, e) in b.loud.iter_mut().zip(&b.bands) {
                    // e^0.3 as exp(0.3 ln e) with the crate's fast ln (libm's pow was ~1.5 %
                    // of a `rich` prepare); subnormal energies (e^0.3 < 1e-92) count as 0
                    *l = if *e >= f64::MIN_POSITIVE {
                        (COMPRESSION * fastmath::ln_pos(*e)).exp()
                    } else {
                        0.0
                    };
                }
            }
        }
        for (col, bi, item) in &mut self.items {
            let b = &self.banks[*bi];
            match item {
                Item::Loudness => row[*col] = fastmath::sum(&b.loud),
                Item::Sharpness => {
                    let total = fastmath::sum(&b.loud);
                    row[*col] = if total > 0.0 {
                        fastmath::dot(&b.loud, &b.sharp_w) / total
                    } else {
                        0.0
                    };
                }
                Item::Rasta { scratch, .. } => {
                    let mut r = scratch.row_mut(f.t);
                    let r = r.as_slice_mut().expect("standard layout");
                    r.copy_from_slice(&b.bands);
                    fastmath::power_to_db_inplace(r, AMIN);
                }
            }
        }
    }

    fn finish(&mut self, out: &mut Array2<f64>, _u: &Utterance<'_>) {
        for (col, _, item) in &mut self.items {
            if let Item::Rasta {
                top_db,
                pole,
                scratch,
            } = item
            {
                if let Some(td) = top_db {
                    let sl = scratch.as_slice_mut().expect("standard layout");
                    let floor = fastmath::max(sl) - *td;
                    for v in sl.iter_mut() {
                        *v = v.max(floor);
                    }
                }
                rasta_filter(scratch, *pole, out, *col);
            }
        }
    }
}

/// The RASTA band pass along time of every column of `x` (`(n_frames, n_bands)`), into columns
/// `col..col + n_bands` of `out`: `y[t] = 0` for `t < 4`, then
/// `y[t] = sum_j b_j x[t - j] + pole y[t - 1]` with `y[3] = 0` (rastamat's start, which primes
/// the numerator with the first four frames and zeroes their outputs).
fn rasta_filter(x: &Array2<f64>, pole: f64, out: &mut Array2<f64>, col: usize) {
    let (n, nb) = x.dim();
    let nc = out.ncols();
    let xs = x.as_slice().expect("standard layout");
    let o = out.as_slice_mut().expect("standard layout");
    for t in 0..n {
        let (prev, cur) = o.split_at_mut(t * nc);
        let y = &mut cur[col..col + nb];
        if t < 4 {
            y.fill(0.0);
            continue;
        }
        let yp = &prev[(t - 1) * nc + col..(t - 1) * nc + col + nb];
        let row = |k: usize| &xs[(t - k) * nb..(t - k + 1) * nb];
        let (x0, x1, x3, x4) = (row(0), row(1), row(3), row(4));
        let fb = if t == 4 { 0.0 } else { pole };
        for i in 0..nb {
            y[i] = RASTA_B[0] * x0[i]
                + RASTA_B[1] * x1[i]
                + RASTA_B[3] * x3[i]
                + RASTA_B[4] * x4[i]
                + fb * yp[i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bark_scale_known_values() {
        // Zwicker & Terhardt (1980) formula, evaluated independently (python math.atan)
        assert!(
            (bark(1000.0) - 8.510_531_510_721_993).abs() < 1e-12,
            "{}",
            bark(1000.0)
        );
        assert!(
            (bark(4000.0) - 17.258_916_587_789_276).abs() < 1e-12,
            "{}",
            bark(4000.0)
        );
        assert_eq!(sharpness_weight(10.0), 1.0);
        assert!((sharpness_weight(20.0) - 0.066 * (3.42f64).exp()).abs() < 1e-12);
    }
}
