//! `ser-dsp`: frame-level speech descriptors (low-level descriptors, LLDs) from plain mono sample
//! slices: framing, windows, power spectra, spectral / cepstral / chroma descriptors, YIN pitch,
//! voicing, jitter, shimmer, HNR and Savitzky–Golay deltas.
//!
//! Power spectra: FFT plans are made once per size and shared process-wide; by default two real
//! frames go through one complex rustfft transform ([`SpectrumMethod::PairedComplex`]), which
//! measured 10–18 % faster end to end than one realfft real-to-complex transform per frame
//! ([`SpectrumMethod::RealFft`], selectable with [`Extractor::set_spectrum_method`]): realfft's
//! generic scalar split step costs more than the FFT it saves. [`SpectrumMethod::PairedComplexF32`]
//! (opt-in) runs the paired FFT in single precision (~20 % faster MFCC extraction; MFCC, deltas,
//! chroma and tonnetz still within the librosa tolerances, weak mel powers not). All are checked
//! against the librosa reference tables; figures and the command in `docs/FEATURES.md`.
//!
//! No file IO: the caller decodes audio. Build a [`DescriptorConfig`] (serde; presets
//! [`DescriptorConfig::librosa`] and [`DescriptorConfig::pyaudioanalysis`]), validate it with
//! [`DescriptorConfig::check`], build an [`Extractor`] for a sample rate (all plans, windows and
//! filterbanks are built once) and call [`Extractor::compute`] per utterance.
//!
//! The extractor (`src/extractor/`) computes each descriptor family in its own module (time
//! domain, spectral shape, mel / cepstral, chroma / tonal, prosody, voice quality,
//! pyAudioAnalysis) behind one plan / compute interface, on one shared power spectrum per frame
//! (`extractor/spectrum.rs`); see the `extractor` module docs.
//!
//! Augmentation (`src/augment/`): seeded transforms of a signal (noise at an SNR, babble, gain,
//! time shift, pitch shift, time stretch, speed perturbation, reverberation) planned once per
//! sample rate as an [`Augmenter`] from a checked [`AugmentConfig`].
//!
//! Every descriptor, its formula and unit are documented in `docs/FEATURES.md`.

mod augment;
mod config;
mod delta;
mod error;
mod extractor;
mod fastmath;
mod mel;
mod pitch;
mod pyaa;
mod window;

pub use augment::{
    AugmentConfig, AugmentSet, Augmentation, Augmenter, Draw, NoiseColor, Overflow, Select,
    ShiftFill, reverb_impulse_response,
};
pub use config::{
    DeltaConfig, Descriptor, DescriptorConfig, FrameConfig, InputScaling, Length, MelConfig,
    MelScale, PadMode, PitchConfig, WindowKind,
};
pub use delta::delta;
pub use error::{Error, Result};
pub use extractor::{Extractor, SpectrumMethod};
pub use mel::{hz_to_mel, mel_to_hz};
pub use pitch::{PulseStats, pulse_stats};
pub use window::window;

/// A validated descriptor configuration (see [`DescriptorConfig::check`]).
#[derive(Clone, Debug, PartialEq)]
pub struct DescriptorSet {
    pub(crate) config: DescriptorConfig,
}

impl DescriptorSet {
    /// The validated configuration.
    pub fn config(&self) -> &DescriptorConfig {
        &self.config
    }

    /// Builds an extractor for `sample_rate_hz` (FFT plans, window, filterbanks precomputed).
    pub fn extractor(&self, sample_rate_hz: u32) -> Result<Extractor> {
        Extractor::new(self.config.clone(), sample_rate_hz)
    }
}

/// Frame-level descriptors of one signal.
#[derive(Clone, Debug, PartialEq)]
pub struct Lld {
    /// `(n_frames, n_descriptors)`, frame `t` centred at `t * hop_s` seconds (centred framing) or
    /// at `t * hop_s + frame_len / 2` (uncentred). Never NaN or infinite.
    pub values: ndarray::Array2<f32>,
    /// Column names (lower snake case).
    pub names: Vec<String>,
    /// Hop between frames (seconds).
    pub hop_s: f64,
    /// Per frame: voiced according to the pitch tracker; all false when no `pitch`, `jitter`,
    /// `shimmer` or `hnr` descriptor ran.
    pub voiced: Vec<bool>,
    /// Per column: statistics should be taken over voiced frames only (F0, jitter, shimmer, HNR).
    pub voiced_only: Vec<bool>,
}
