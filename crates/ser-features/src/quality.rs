//! Signal quality of an utterance: what a user may want to filter out before trusting a
//! prediction or a table row. Computed from the samples the features are extracted from.
//!
//! | measure | unit | flag |
//! |---|---|---|
//! | `peak_dbfs` = 20 log10 max \|x\| (floored at −200) | dB full scale | `silent` when below [`SILENT_PEAK_DBFS`] (digital silence is −200) |
//! | `clipped_fraction` = share of samples with \|x\| ≥ [`CLIP_LEVEL`] | 0..1 | `clipped` when above [`CLIPPED_FRACTION`] |
//!
//! Audio shorter than a minimum duration ([`DEFAULT_MIN_DURATION_S`], configurable) is not
//! analysed at all: a few milliseconds give descriptors of padding, not of speech.

use serde::{Deserialize, Serialize};

/// Peak level below which an utterance counts as silent, dBFS.
pub const SILENT_PEAK_DBFS: f32 = -60.0;
/// Magnitude from which a sample counts as clipped (full scale is 1).
pub const CLIP_LEVEL: f32 = 0.999;
/// Share of clipped samples above which an utterance counts as clipped (0.1 %).
pub const CLIPPED_FRACTION: f32 = 0.001;
/// Shortest audio analysed by default, seconds.
pub const DEFAULT_MIN_DURATION_S: f64 = 0.1;
/// Floor of `peak_dbfs` (digital silence).
const FLOOR_DBFS: f32 = -200.0;

/// Quality measures of one utterance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Peak level, dBFS (−200 for digital silence).
    pub peak_dbfs: f32,
    /// Share of samples at full scale.
    pub clipped_fraction: f32,
}

impl Quality {
    /// The measures of `samples` (mono, full scale 1).
    pub fn of(samples: &[f32]) -> Quality {
        // Eight independent lanes (vectorised): `a > m` ignores a NaN as `f32::max` does.
        let (mut lanes, mut counts) = ([0.0f32; 8], [0u32; 8]);
        let mut blocks = samples.chunks_exact(8);
        for b in &mut blocks {
            for j in 0..8 {
                let a = b[j].abs();
                lanes[j] = if a > lanes[j] { a } else { lanes[j] };
                counts[j] += u32::from(a >= CLIP_LEVEL);
            }
        }
        let mut peak = lanes.iter().fold(0.0f32, |m, &a| m.max(a));
        let mut clipped: usize = counts.iter().map(|&c| c as usize).sum();
        for &s in blocks.remainder() {
            let a = s.abs();
            peak = peak.max(a);
            clipped += usize::from(a >= CLIP_LEVEL);
        }
        Quality {
            peak_dbfs: if peak > 0.0 {
                (20.0 * peak.log10()).max(FLOOR_DBFS)
            } else {
                FLOOR_DBFS
            },
            clipped_fraction: if samples.is_empty() {
                0.0
            } else {
                clipped as f32 / samples.len() as f32
            },
        }
    }

    pub fn silent(&self) -> bool {
        self.peak_dbfs < SILENT_PEAK_DBFS
    }

    pub fn clipped(&self) -> bool {
        self.clipped_fraction > CLIPPED_FRACTION
    }

    /// The flags that apply: `silent`, `clipped`; empty for clean input.
    pub fn flags(&self) -> Vec<&'static str> {
        let mut f = Vec::new();
        if self.silent() {
            f.push("silent");
        }
        if self.clipped() {
            f.push("clipped");
        }
        f
    }

    /// The flags joined with `+` (`""`, `silent`, `clipped`, `silent+clipped`), as in tables.
    pub fn flag_string(&self) -> String {
        self.flags().join("+")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_clipping_and_clean_speech_are_told_apart() {
        let silence = Quality::of(&[0.0; 1600]);
        assert_eq!(silence.peak_dbfs, -200.0);
        assert_eq!(silence.flags(), vec!["silent"]);
        let quiet = Quality::of(&vec![0.0005; 1600]);
        assert!(quiet.silent(), "{quiet:?}");
        let tone: Vec<f32> = (0..1600).map(|i| (i as f32 * 0.1).sin() * 0.5).collect();
        let clean = Quality::of(&tone);
        assert!(clean.flags().is_empty(), "{clean:?}");
        assert!((clean.peak_dbfs - 20.0 * 0.5f32.log10()).abs() < 0.01);
        let hard: Vec<f32> = tone.iter().map(|s| (s * 10.0).clamp(-1.0, 1.0)).collect();
        let clipped = Quality::of(&hard);
        assert_eq!(clipped.flags(), vec!["clipped"]);
        assert!(clipped.clipped_fraction > 0.5, "{clipped:?}");
        assert_eq!(clipped.flag_string(), "clipped");
        assert_eq!(Quality::of(&[]).clipped_fraction, 0.0);
    }

    /// The lane-wise scan gives the sample-by-sample result: every length around the lane
    /// width, the peak in the tail or in a lane, clipped samples anywhere, a NaN ignored.
    #[test]
    fn lanes_give_the_scalar_peak_and_count() {
        let reference = |x: &[f32]| {
            let (mut peak, mut clipped) = (0.0f32, 0usize);
            for &s in x {
                peak = peak.max(s.abs());
                clipped += usize::from(s.abs() >= CLIP_LEVEL);
            }
            (peak, clipped)
        };
        let mut seed = 7u32;
        for n in 0usize..40 {
            for peak_at in [0, n / 2, n.saturating_sub(1)] {
                let mut x: Vec<f32> = (0..n)
                    .map(|_| {
                        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                        (seed >> 8) as f32 / (1 << 24) as f32 * 1.6 - 0.8
                    })
                    .collect();
                if n > 0 {
                    x[peak_at] = if n % 2 == 0 { -1.0 } else { 0.999 };
                }
                if n > 3 {
                    x[3] = f32::NAN;
                }
                let q = Quality::of(&x);
                let (peak, clipped) = reference(&x);
                let want = Quality {
                    peak_dbfs: if peak > 0.0 {
                        (20.0 * peak.log10()).max(FLOOR_DBFS)
                    } else {
                        FLOOR_DBFS
                    },
                    clipped_fraction: if n == 0 {
                        0.0
                    } else {
                        clipped as f32 / n as f32
                    },
                };
                assert_eq!(q, want, "n = {n}, peak at {peak_at}");
            }
        }
    }
}
