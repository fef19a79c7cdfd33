//! `ser-io`: from corpus folders to labelled utterances and clean mono audio.
//!
//! * [`Emotion`] — the unified label set; each corpus keeps its native code beside it.
//! * [`Utterance`] / [`Skipped`] / [`Note`] / [`Manifest`] — what a scan found, what it passed over
//!   (with reasons) and what it had to infer.
//! * [`Audio`] — decoded, down-mixed, resampled samples.
//! * [`Corpus`], [`scan_corpus`], [`discover`], [`scan`] — corpus conventions and discovery.
//! * [`decode`] (native rate, mono), [`load`] (decode + band-limited resampling), [`Resampler`];
//!   [`decode_with`] / [`load_with`] take [`DecodeOptions`] (what to do with NaN or infinite
//!   samples: [`NonFinitePolicy`], an error by default; the duration limit).
//!
//! This crate knows nothing about features or models.

mod corpus;
mod decode;
pub mod demo;
mod error;
mod inventory;
mod label;
mod manifest;
mod resample;
mod write;

pub use corpus::{
    AUDIO_EXTENSIONS, Corpus, detect, discover, has_audio_extension, list_audio_files,
    parse_file_name, scan, scan_corpus, scan_crema_with_demographics, scan_csv,
};
pub use decode::{
    AudioInfo, DecodeOptions, MAX_DURATION_S, MAX_SAMPLE_RATE_HZ, NonFinitePolicy, decode,
    decode_bytes, decode_bytes_with, decode_with, probe_info,
};
pub use error::{Error, Result};
pub use inventory::{CorpusInventory, Inventory};
pub use label::{Emotion, Sex};
pub use manifest::{Manifest, Note, Skipped, Utterance};
pub use resample::{
    Resampler, StreamResampler, load, load_bytes, load_bytes_with, load_with, resample,
};
pub use write::write_wav_pcm16;

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
