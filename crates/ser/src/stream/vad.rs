//! Frame-based voice-activity detection: energy above an adaptive noise floor, a spectrum that is
//! not flat (speech is harmonic, steady noise is not), both on the resampled signal. Segments
//! (onset, hangover) are the recogniser's business; this module decides one frame at a time.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

/// Level of a frame of digital silence, dBFS (the floor of the energy measure).
const SILENCE_DBFS: f64 = -120.0;

/// Lowest and highest frequency of the flatness band, Hz.
const FLATNESS_BAND_HZ: (f64, f64) = (100.0, 4000.0);

/// What the detector measured on the last frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameInfo {
    /// Mean square of the frame, dBFS (0 dBFS: a full-scale square wave), at least −120.
    pub energy_db: f64,
    /// The noise floor the frame was compared with, dBFS.
    pub floor_db: f64,
    /// Spectral flatness in the 100 Hz–4 kHz band: geometric over arithmetic mean of the
    /// Hann-windowed power spectrum, 0 (a pure tone) to 1 (perfectly flat).
    pub flatness: f64,
    /// The decision.
    pub speech: bool,
}

/// The per-frame detector, planned once for one frame length and rate (FFT plan, window).
pub struct Vad {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    input: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    band: (usize, usize),
    snr_db: f64,
    min_level_dbfs: f64,
    max_flatness: f64,
    rise_per_frame_db: f64,
    adapt: f64,
    floor_db: Option<f64>,
    last: Option<FrameInfo>,
}

impl std::fmt::Debug for Vad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vad")
            .field("frame_len", &self.window.len())
            .field("floor_db", &self.floor_db)
            .finish_non_exhaustive()
    }
}

impl Vad {
    /// Plans a detector for frames of `frame_len` samples at `rate_hz` (parameters checked by
    /// [`super::StreamConfig::check`]).
    pub(crate) fn new(c: &super::config::Checked) -> Vad {
        let n = c.frame;
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
        let window = (0..n)
            .map(|i| {
                let x = std::f64::consts::PI * 2.0 * i as f64 / n as f64;
                (0.5 - 0.5 * x.cos()) as f32
            })
            .collect();
        let bin_hz = f64::from(c.rate_hz) / n as f64;
        let n_bins = n / 2 + 1;
        let lo = ((FLATNESS_BAND_HZ.0 / bin_hz).ceil() as usize).clamp(1, n_bins - 1);
        let hi = ((FLATNESS_BAND_HZ.1 / bin_hz).floor() as usize).clamp(lo, n_bins - 1);
        let frame_s = n as f64 / f64::from(c.rate_hz);
        let cfg = &c.config;
        Vad {
            input: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            fft,
            window,
            band: (lo, hi),
            snr_db: cfg.snr_db,
            min_level_dbfs: cfg.min_level_dbfs,
            max_flatness: cfg.max_flatness,
            rise_per_frame_db: cfg.noise_rise_db_per_s * frame_s,
            adapt: 1.0 - (-frame_s / cfg.noise_adapt_s).exp(),
            floor_db: None,
            last: None,
        }
    }

    /// Forgets the noise floor (a new stream).
    pub fn reset(&mut self) {
        self.floor_db = None;
        self.last = None;
    }

    /// What was measured on the last frame.
    pub fn last(&self) -> Option<FrameInfo> {
        self.last
    }

    /// Decides whether `frame` (exactly the planned length) is speech, then updates the noise
    /// floor: it drops at once to a quieter frame, follows non-speech frames with the
    /// `noise_adapt_s` time constant, and rises at most `noise_rise_db_per_s` during speech.
    pub fn is_speech(&mut self, frame: &[f32]) -> bool {
        debug_assert_eq!(frame.len(), self.window.len());
        let ms = frame
            .iter()
            .map(|&x| f64::from(x) * f64::from(x))
            .sum::<f64>()
            / frame.len().max(1) as f64;
        // 0 dBFS is a full-scale square wave (mean square 1).
        let energy_db = if ms > 0.0 {
            (10.0 * ms.log10()).max(SILENCE_DBFS)
        } else {
            SILENCE_DBFS
        };
        let flatness = self.flatness(frame);
        let floor_db = *self.floor_db.get_or_insert(energy_db);
        let speech = energy_db >= self.min_level_dbfs
            && energy_db >= floor_db + self.snr_db
            && flatness <= self.max_flatness;
        let next = if energy_db < floor_db {
            energy_db
        } else if speech {
            (floor_db + self.rise_per_frame_db).min(energy_db)
        } else {
            floor_db + self.adapt * (energy_db - floor_db)
        };
        self.floor_db = Some(next);
        self.last = Some(FrameInfo {
            energy_db,
            floor_db,
            flatness,
            speech,
        });
        speech
    }

    fn flatness(&mut self, frame: &[f32]) -> f64 {
        for ((o, &x), &w) in self.input.iter_mut().zip(frame).zip(&self.window) {
            *o = x * w;
        }
        if self
            .fft
            .process_with_scratch(&mut self.input, &mut self.spectrum, &mut self.scratch)
            .is_err()
        {
            return 1.0;
        }
        let (lo, hi) = self.band;
        let bins = &self.spectrum[lo..=hi];
        let eps = 1e-20f64;
        let (mut log_sum, mut sum) = (0.0f64, 0.0f64);
        for c in bins {
            let p = f64::from(c.norm_sqr()) + eps;
            log_sum += p.ln();
            sum += p;
        }
        let n = bins.len() as f64;
        ((log_sum / n).exp() / (sum / n)).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vad() -> Vad {
        Vad::new(
            &super::super::StreamConfig::default()
                .checked(16_000)
                .expect("defaults"),
        )
    }

    /// A deterministic white noise of RMS `rms`.
    fn noise(n: usize, rms: f32, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * rms * 3f32.sqrt()
            })
            .collect()
    }

    /// A vowel-like frame: harmonics of 150 Hz.
    fn voiced(n: usize, amp: f32, offset: usize) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let t = (i + offset) as f32 / 16_000.0;
                (1..=10)
                    .map(|k| {
                        amp / k as f32 * (2.0 * std::f32::consts::PI * 150.0 * k as f32 * t).sin()
                    })
                    .sum()
            })
            .collect()
    }

    #[test]
    fn white_noise_is_flat_and_a_vowel_is_not() {
        let mut v = vad();
        v.is_speech(&noise(320, 0.1, 1));
        let f = v.last().expect("measured").flatness;
        assert!(f > 0.4, "white noise flatness {f}");
        v.is_speech(&voiced(320, 0.1, 0));
        let f = v.last().expect("measured").flatness;
        assert!(f < 0.1, "vowel flatness {f}");
    }

    #[test]
    fn speech_over_noise_is_found_and_loud_noise_is_not_speech() {
        let mut v = vad();
        // Quiet noise sets the floor; nothing there is speech.
        for k in 0..50 {
            assert!(
                !v.is_speech(&noise(320, 0.001, k)),
                "frame {k} of quiet noise"
            );
        }
        let floor = v.last().expect("measured").floor_db;
        assert!(
            (-65.0..-55.0).contains(&floor),
            "floor {floor} dBFS for −60 dBFS noise"
        );
        for k in 0..20 {
            let mut f = voiced(320, 0.1, k * 320);
            for (x, n) in f.iter_mut().zip(noise(320, 0.001, 100 + k as u64)) {
                *x += n;
            }
            assert!(v.is_speech(&f), "voiced frame {k}: {:?}", v.last());
        }
        // Loud white noise: energetic but flat, never speech.
        for k in 0..20 {
            assert!(!v.is_speech(&noise(320, 0.1, 200 + k)), "{:?}", v.last());
        }
        // Digital silence is not speech and the floor follows it down.
        assert!(!v.is_speech(&[0.0; 320]));
        assert!(!v.is_speech(&[0.0; 320]));
        assert_eq!(v.last().expect("measured").floor_db, SILENCE_DBFS);
    }
}
