//! Spectral-shape family on the frame's power / magnitude spectrum: centroid, spread, entropy,
//! flux, roll-off, flatness, slope, alpha ratio, Hammarberg index, band energies and the
//! power-weighted spectral moments (variance, skewness, kurtosis). The sums several of them
//! share (magnitude sum, power sum, sums over `ln` of the floored power) are computed once per
//! frame, and only when a planned descriptor reads them.

use super::{AMIN, Family, Frame, Planner};
use crate::Result;
use crate::config::Descriptor;
use crate::fastmath::{self, ln_pos};

enum Item {
    Centroid,
    Spread,
    Entropy,
    Flux,
    Rolloff {
        fraction: f64,
    },
    Flatness,
    Slope,
    AlphaRatio {
        lo: (usize, usize),
        hi: (usize, usize),
    },
    Hammarberg {
        lo: (usize, usize),
        hi: (usize, usize),
    },
    BandEnergy {
        bins: (usize, usize),
    },
    Variance,
    Skewness,
    Kurtosis,
}

/// The spectral-shape descriptors of a set, each with its column.
#[derive(Default)]
pub(super) struct Spectral {
    items: Vec<(usize, Item)>,
    /// Some item reads the magnitude spectrum and its sum (centroid, spread, flux, roll-off).
    mag: bool,
    /// Some item reads the sum of the power spectrum (entropy).
    pow_sum: bool,
    /// `ln max(P_k, amin)` of the current frame when an item reads it (flatness, slope,
    /// entropy; else empty).
    ln_power: Vec<f64>,
    /// Sum of the previous frame's magnitudes (flux).
    prev_mag_sum: f64,
    /// (K, sum x, sum x^2) of the slope regression abscissa x = f / 1000.
    slope_x: (f64, f64, f64),
    /// Some item reads the power-weighted spectral moments (variance, skewness, kurtosis).
    moments: bool,
    /// Bin frequencies in kHz (when `moments`).
    freqs_khz: Vec<f64>,
}

impl Family for Spectral {
    fn plan(&mut self, d: &Descriptor, p: &mut Planner<'_>) -> Result<bool> {
        let nyq = p.nyquist();
        let (name, item) = match d {
            Descriptor::SpectralCentroid => ("spectral_centroid_hz", Item::Centroid),
            Descriptor::SpectralSpread => ("spectral_spread_hz", Item::Spread),
            Descriptor::SpectralEntropy => ("spectral_entropy", Item::Entropy),
            Descriptor::SpectralFlux => ("spectral_flux", Item::Flux),
            Descriptor::SpectralRolloff { fraction } => (
                "spectral_rolloff_hz",
                Item::Rolloff {
                    fraction: *fraction,
                },
            ),
            Descriptor::SpectralFlatness => ("spectral_flatness", Item::Flatness),
            Descriptor::SpectralSlope => ("spectral_slope_db_per_khz", Item::Slope),
            Descriptor::AlphaRatio => (
                "alpha_ratio_db",
                Item::AlphaRatio {
                    lo: band_bins(p.freqs, 50.0, 1000.0),
                    hi: band_bins(p.freqs, 1000.0, 5000.0_f64.min(nyq)),
                },
            ),
            Descriptor::Hammarberg => (
                "hammarberg_db",
                Item::Hammarberg {
                    lo: band_bins(p.freqs, 0.0, 2000.0),
                    hi: band_bins(p.freqs, 2000.0, 5000.0_f64.min(nyq)),
                },
            ),
            Descriptor::BandEnergy { lo_hz, hi_hz } => {
                let name = format!("band_energy_{lo_hz}_{hi_hz}_db");
                let bins = band_bins(p.freqs, *lo_hz, hi_hz.min(nyq));
                self.items.push((p.n_columns(), Item::BandEnergy { bins }));
                p.column(name, false);
                return Ok(true);
            }
            Descriptor::SpectralVariance => ("spectral_variance_khz2", Item::Variance),
            Descriptor::SpectralSkewness => ("spectral_skewness", Item::Skewness),
            Descriptor::SpectralKurtosis => ("spectral_kurtosis", Item::Kurtosis),
            _ => return Ok(false),
        };
        let n_bins = p.freqs.len();
        match item {
            Item::Centroid | Item::Spread | Item::Flux | Item::Rolloff { .. } => {
                self.mag = true;
                p.read_magnitudes();
            }
            Item::Entropy => {
                self.pow_sum = true;
                self.ln_power.resize(n_bins, 0.0);
            }
            Item::Flatness => self.ln_power.resize(n_bins, 0.0),
            Item::Slope => {
                self.ln_power.resize(n_bins, 0.0);
                let freqs = p.freqs;
                self.slope_x = (
                    freqs.len() as f64,
                    freqs.iter().map(|f| f / 1000.0).sum(),
                    freqs.iter().map(|f| (f / 1000.0).powi(2)).sum(),
                );
            }
            Item::Variance | Item::Skewness | Item::Kurtosis => {
                self.moments = true;
                self.freqs_khz = p.freqs.iter().map(|f| f / 1000.0).collect();
            }
            Item::AlphaRatio { .. } | Item::Hammarberg { .. } | Item::BandEnergy { .. } => {}
        }
        self.items.push((p.n_columns(), item));
        p.column(name.into(), false);
        Ok(true)
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn frame(&mut self, f: &Frame<'_>, row: &mut [f64]) {
        spectral_frame(self, f, row);
    }
}

/// [`Spectral::frame_inner`], also compiled for AVX2 and chosen at run time (see
/// `docs/PERFORMANCE.md`): the same operations in the same order (Rust neither contracts into
/// FMA nor reassociates sums), so bit-identical results, with its loops four doubles wide.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn spectral_frame(s: &mut Spectral, f: &Frame<'_>, row: &mut [f64]) {
    s.frame_inner(f, row);
}

impl Spectral {
    #[inline(always)]
    fn frame_inner(&mut self, f: &Frame<'_>, row: &mut [f64]) {
        let (power, mag, freqs) = (f.power, f.mag, f.freqs);
        let mag_sum: f64 = if self.mag { fastmath::sum(mag) } else { 0.0 };
        let pow_sum: f64 = if self.pow_sum {
            fastmath::sum(power)
        } else {
            0.0
        };
        // ln of the floored power, shared by flatness, slope and entropy
        let (mut sum_ln, mut sum_x_ln, mut sum_p_ln) = (0.0, 0.0, 0.0);
        if !self.ln_power.is_empty() {
            // and whether any bin lies in (0, amin), counted in the same branch-free pass
            let mut below = 0usize;
            for (l, p) in self.ln_power.iter_mut().zip(power) {
                *l = ln_pos(p.max(AMIN));
                below += usize::from(*p < AMIN && *p > 0.0);
            }
            sum_ln = fastmath::sum(&self.ln_power);
            sum_x_ln = fastmath::dot(freqs, &self.ln_power);
            // sum P ln P: the dot product uses ln(amin) below amin; fix those (rare) bins
            sum_p_ln = fastmath::dot(power, &self.ln_power);
            if below > 0 {
                let ln_amin = AMIN.ln();
                for p in power {
                    if *p < AMIN && *p > 0.0 {
                        sum_p_ln += p * (p.ln() - ln_amin);
                    }
                }
            }
        }
        let (variance, skewness, kurtosis) = if self.moments {
            power_moments(power, &self.freqs_khz)
        } else {
            (0.0, 0.0, 0.0)
        };
        let centroid = if self.mag && mag_sum > 0.0 {
            fastmath::dot(mag, freqs) / mag_sum
        } else {
            0.0
        };
        for (col, item) in &self.items {
            row[*col] = match item {
                Item::Centroid => centroid,
                Item::Spread => {
                    if mag_sum > 0.0 {
                        // one division per frame, not per bin
                        (fastmath::sum_zip(mag, freqs, |m, f| m * (f - centroid) * (f - centroid))
                            / mag_sum)
                            .sqrt()
                    } else {
                        0.0
                    }
                }
                Item::Entropy => {
                    // -sum p ln p with p = P / S equals ln S - sum P ln P / S
                    if pow_sum > 0.0 {
                        let h = (pow_sum.ln() - sum_p_ln / pow_sum).max(0.0);
                        h / (power.len() as f64).ln()
                    } else {
                        0.0
                    }
                }
                Item::Flux => {
                    let prev_sum = self.prev_mag_sum;
                    if f.t == 0 {
                        0.0
                    } else {
                        let a = if mag_sum > 0.0 { 1.0 / mag_sum } else { 0.0 };
                        let b = if prev_sum > 0.0 { 1.0 / prev_sum } else { 0.0 };
                        fastmath::sum_zip(mag, f.prev_mag, |m, p| (m * a - p * b) * (m * a - p * b))
                    }
                }
                Item::Rolloff { fraction } => {
                    let thr = *fraction * mag_sum;
                    let mut val = 0.0;
                    if mag_sum > 0.0 {
                        // Whole blocks of 8 bins while the running sum stays below the
                        // threshold (one dependent add per block), then bin by bin.
                        let (mut cum, mut k) = (0.0, 0);
                        while k + 8 <= mag.len() {
                            let b = &mag[k..k + 8];
                            let block =
                                ((b[0] + b[1]) + (b[2] + b[3])) + ((b[4] + b[5]) + (b[6] + b[7]));
                            if cum + block >= thr {
                                break;
                            }
                            cum += block;
                            k += 8;
                        }
                        for (m, f) in mag[k..].iter().zip(&freqs[k..]) {
                            cum += m;
                            if cum >= thr {
                                val = *f;
                                break;
                            }
                        }
                    }
                    val
                }
                Item::Flatness => {
                    let n = power.len() as f64;
                    let asum = fastmath::sum_map(power, |p| p.max(AMIN));
                    (sum_ln / n).exp() / (asum / n)
                }
                Item::Slope => {
                    // regression of y = 10 log10 P' on x = f / 1000
                    let (n, sx, sxx) = self.slope_x;
                    let db = 10.0 / std::f64::consts::LN_10;
                    let (sy, sxy) = (db * sum_ln, db * sum_x_ln / 1000.0);
                    let den = n * sxx - sx * sx;
                    if den > 0.0 {
                        (n * sxy - sx * sy) / den
                    } else {
                        0.0
                    }
                }
                Item::AlphaRatio { lo, hi } => {
                    let l = fastmath::sum(&power[lo.0..lo.1]);
                    let h = fastmath::sum(&power[hi.0..hi.1]);
                    10.0 * h.max(AMIN).log10() - 10.0 * l.max(AMIN).log10()
                }
                Item::Hammarberg { lo, hi } => {
                    let l = fastmath::max(&power[lo.0..lo.1]).max(0.0);
                    let h = fastmath::max(&power[hi.0..hi.1]).max(0.0);
                    10.0 * l.max(AMIN).log10() - 10.0 * h.max(AMIN).log10()
                }
                Item::BandEnergy { bins } => {
                    10.0 * fastmath::sum(&power[bins.0..bins.1]).max(AMIN).log10()
                }
                Item::Variance => variance,
                Item::Skewness => skewness,
                Item::Kurtosis => kurtosis,
            };
        }
        self.prev_mag_sum = mag_sum;
    }
}

/// Variance (kHz^2), skewness and kurtosis (not excess) of the power spectrum taken as a
/// distribution over frequency, `p_k = P_k / sum P`; all 0 for silence, skewness and kurtosis 0
/// when the variance vanishes (a single bin).
pub(super) fn power_moments(power: &[f64], freqs_khz: &[f64]) -> (f64, f64, f64) {
    let s = fastmath::sum(power);
    if s.is_nan() || s <= 0.0 {
        return (0.0, 0.0, 0.0);
    }
    let mu = fastmath::dot(power, freqs_khz) / s;
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for (p, f) in power.iter().zip(freqs_khz) {
        let d = f - mu;
        let d2 = d * d;
        let w = p * d2;
        m2 += w;
        m3 += w * d;
        m4 += w * d2;
    }
    let (m2, m3, m4) = (m2 / s, m3 / s, m4 / s);
    // a variance at rounding level of the frequency scale: one bin, no shape
    if m2 <= 1e-12 * mu.max(1e-3).powi(2) {
        return (m2.max(0.0), 0.0, 0.0);
    }
    (m2, m3 / (m2 * m2.sqrt()), m4 / (m2 * m2))
}

/// Bins `start..end` with frequencies in `[lo_hz, hi_hz]` (empty when there are none).
fn band_bins(freqs: &[f64], lo_hz: f64, hi_hz: f64) -> (usize, usize) {
    let start = freqs
        .iter()
        .position(|&f| f >= lo_hz)
        .unwrap_or(freqs.len());
    let end = freqs
        .iter()
        .rposition(|&f| f <= hi_hz)
        .map_or(start, |e| (e + 1).max(start));
    (start, end)
}
