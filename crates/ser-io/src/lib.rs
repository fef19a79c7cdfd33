//! `ser-io`: from corpus folders to labelled utterances and clean mono audio.
//!
//! * [`Emotion`] — the unified label set; each corpus keeps its native code beside it.
//! * [`Utterance`] / [`Skipped`] / [`Manifest`] — what a scan found and what it passed over, with reasons.
//! * [`Audio`] — decoded, down-mixed, resampled samples.
//!
//! This crate knows nothing about features or models.

mod error;
mod label;
mod manifest;

pub use error::{Error, Result};
pub use label::{Emotion, Sex};
pub use manifest::{Manifest, Skipped, Utterance};

/// Decoded mono audio: samples in [-1, 1] at `sample_rate_hz`.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    pub samples: Vec<f32>,
    pub sample_rate_hz: u32,
}

impl Audio {
    /// Duration in seconds.
    pub fn duration_s(&self) -> f64 {
        if self.sample_rate_hz == 0 {
            0.0
        } else {
            self.samples.len() as f64 / self.sample_rate_hz as f64
        }
    }
}

/// Default internal sample rate (see `../shared/DESIGN.md`).
pub const DEFAULT_SAMPLE_RATE_HZ: u32 = 16_000;
