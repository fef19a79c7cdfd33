//! Serde configuration of a descriptor set and its validation (`check()`).

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A length given either in milliseconds or in samples.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Length {
    /// Milliseconds; converted with `round(ms * sample_rate_hz / 1000)`.
    Ms(f64),
    /// Samples.
    Samples(usize),
}

impl Length {
    /// Length in samples at `sample_rate_hz` (rounded to the nearest sample).
    pub fn samples(&self, sample_rate_hz: u32) -> usize {
        match *self {
            Length::Ms(ms) => (ms * f64::from(sample_rate_hz) / 1000.0).round().max(0.0) as usize,
            Length::Samples(n) => n,
        }
    }
}

/// Analysis window applied to each frame before the FFT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// `w[n] = 0.54 - 0.46 cos(2 pi n / N)` (periodic, as `scipy.signal.get_window("hamming")`).
    Hamming,
    /// `w[n] = 0.5 - 0.5 cos(2 pi n / N)` (periodic, as librosa / `scipy.signal.get_window("hann")`).
    #[default]
    Hann,
    /// `w[n] = 1`.
    Rectangular,
}

/// Padding used when frames are centred (`center = true`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PadMode {
    /// Zeros (librosa `pad_mode="constant"`).
    #[default]
    Constant,
    /// Repeat the first / last sample (numpy `mode="edge"`).
    Edge,
}

/// Framing parameters.
///
/// | name | default | unit | range |
/// |---|---|---|---|
/// | `frame` | `{ms = 25}` | ms or samples | 2 .. 2^20 samples |
/// | `hop` | `{ms = 10}` | ms or samples | >= 1 sample |
/// | `window_len` | none (= frame) | ms or samples | 1 ..= frame |
/// | `n_fft` | none (= next power of two >= frame) | samples | >= frame |
/// | `window` | `hamming` | | hamming, hann, rectangular |
/// | `center` | `true` | | frame t is centred on sample t * hop |
/// | `pad_mode` | `constant` | | constant, edge |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FrameConfig {
    /// Frame length (the samples that go into one FFT, before zero padding to `n_fft`).
    pub frame: Length,
    /// Hop between consecutive frames.
    pub hop: Length,
    /// Window length; a shorter window is centred inside the frame with zeros around it (librosa `win_length`).
    pub window_len: Option<Length>,
    /// FFT size; frames are zero-padded at the end up to this size.
    pub n_fft: Option<usize>,
    /// Window shape.
    pub window: WindowKind,
    /// Centre frames: pad `frame/2` samples on both sides (librosa `center=True`).
    pub center: bool,
    /// Padding mode when centring.
    pub pad_mode: PadMode,
}

impl Default for FrameConfig {
    fn default() -> Self {
        Self {
            frame: Length::Ms(25.0),
            hop: Length::Ms(10.0),
            window_len: None,
            n_fft: None,
            window: WindowKind::Hamming,
            center: true,
            pad_mode: PadMode::Constant,
        }
    }
}

/// Mel scale formula.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MelScale {
    /// Slaney's Auditory Toolbox scale: linear below 1 kHz, logarithmic above (librosa `htk=False`).
    #[default]
    Slaney,
    /// HTK: `mel = 2595 log10(1 + f / 700)`.
    Htk,
}

/// Mel filterbank parameters (shared by `mel`, `log_mel` and `mfcc`).
///
/// | name | default | unit | range |
/// |---|---|---|---|
/// | `n_mels` | 40 | bands | 1 ..= 512 |
/// | `fmin_hz` | 0 | Hz | 0 ..< fmax |
/// | `fmax_hz` | none (= Nyquist) | Hz | ..= Nyquist |
/// | `scale` | slaney | | slaney, htk |
/// | `slaney_norm` | true | | divide each triangle by its width (area normalisation) |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MelConfig {
    /// Number of mel bands.
    pub n_mels: usize,
    /// Lowest band edge (Hz).
    pub fmin_hz: f64,
    /// Highest band edge (Hz); `None` = sample_rate / 2.
    pub fmax_hz: Option<f64>,
    /// Mel scale.
    pub scale: MelScale,
    /// Slaney area normalisation `2 / (f[i+2] - f[i])`.
    pub slaney_norm: bool,
}

impl Default for MelConfig {
    fn default() -> Self {
        Self {
            n_mels: 40,
            fmin_hz: 0.0,
            fmax_hz: None,
            scale: MelScale::Slaney,
            slaney_norm: true,
        }
    }
}

/// One descriptor (or a block of descriptors) of a set. Columns appear in config order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Descriptor {
    /// `zcr`: fraction of sign changes in the raw (unwindowed, un-pre-emphasised) frame,
    /// `#{n : sign(x[n]) != sign(x[n-1])} / frame_len`; samples with |x| <= 1e-10 count as positive
    /// (librosa `zero_crossing_rate`). Padding when centred: `pad_mode` (librosa uses edge).
    Zcr {
        /// Padding of the signal edges for this descriptor (librosa: `edge`).
        #[serde(default = "default_edge")]
        pad_mode: PadMode,
    },
    /// `energy`: mean square of the raw frame, `sum x^2 / N` (unit: full scale^2).
    Energy,
    /// `rms`: root mean square. Time domain `sqrt(sum x^2 / N)` of the raw frame, or, with
    /// `from_spectrum`, librosa's spectral RMS of the windowed frame
    /// `sqrt((2 sum_k |X_k|^2 - |X_0|^2 - |X_{N/2}|^2) / n_fft^2)`.
    Rms {
        /// Compute from the windowed power spectrum (librosa `rms(S=...)`).
        #[serde(default)]
        from_spectrum: bool,
    },
    /// `log_energy_db`: `10 log10(max(sum x^2 / N, 1e-10))` of the raw frame (dB re full scale, >= -100).
    LogEnergy,
    /// `energy_entropy`: entropy (bits) of the energies of `n_blocks` equal sub-blocks of the raw frame,
    /// `-sum p_j log2 p_j`, `p_j = E_j / sum E` (0 for an all-zero frame).
    EnergyEntropy {
        /// Number of sub-blocks.
        #[serde(default = "default_blocks")]
        n_blocks: usize,
    },
    /// `spectral_centroid_hz`: `sum f_k M_k / sum M_k` on the magnitude spectrum (Hz; 0 for silence).
    SpectralCentroid,
    /// `spectral_spread_hz`: `sqrt(sum M_k (f_k - centroid)^2 / sum M_k)` (Hz; librosa bandwidth p = 2).
    SpectralSpread,
    /// `spectral_entropy`: Shannon entropy (bits) of the normalised power spectrum,
    /// `-sum p_k log2 p_k / log2(K)`, normalised to [0, 1] (0 for silence).
    SpectralEntropy,
    /// `spectral_flux`: `sum_k (M_k/sum M - M'_k/sum M')^2` between the L1-normalised magnitude
    /// spectra of this and the previous frame (0 for the first frame).
    SpectralFlux,
    /// `spectral_rolloff_hz`: lowest bin frequency where the cumulative magnitude reaches
    /// `fraction` of the total (librosa `spectral_rolloff`, magnitude weighting).
    SpectralRolloff {
        /// Fraction in (0, 1).
        #[serde(default = "default_rolloff")]
        fraction: f64,
    },
    /// `spectral_flatness`: `exp(mean ln max(P_k, amin)) / mean max(P_k, amin)` over the power
    /// spectrum, amin = 1e-10 (librosa `spectral_flatness(power=2)`), in [0, 1].
    SpectralFlatness,
    /// `spectral_slope`: least-squares slope of the magnitude spectrum in dB against frequency,
    /// `dB / kHz`, over 0..fmax.
    SpectralSlope,
    /// `alpha_ratio_db`: `10 log10(sum P[1-5 kHz] / sum P[50-1000 Hz])` (dB, eGeMAPS style energy ratio).
    AlphaRatio,
    /// `hammarberg_db`: `10 log10(max P[2-5 kHz] / max P[0-2 kHz])` (dB).
    Hammarberg,
    /// `mel_<i>` (i from 0): mel filterbank energies of the power spectrum (linear).
    Mel {
        /// Filterbank.
        #[serde(default)]
        mel: MelConfig,
    },
    /// `log_mel_<i>` (i from 0): `10 log10(max(mel, 1e-10))`, then clamped from below at
    /// `max - top_db` over the whole utterance (librosa `power_to_db(ref=1, amin=1e-10, top_db)`).
    LogMel {
        /// Filterbank.
        #[serde(default)]
        mel: MelConfig,
        /// Dynamic range limit (dB); `None` = no clamp.
        #[serde(default = "default_top_db")]
        top_db: Option<f64>,
    },
    /// `mfcc_<i>` (i from 0): orthonormal DCT-II of the log-mel spectrum (dB), first `n_mfcc`
    /// coefficients, optional liftering `c_i *= 1 + lifter/2 sin(pi (i+1) / lifter)`.
    Mfcc {
        /// Number of coefficients.
        #[serde(default = "default_n_mfcc")]
        n_mfcc: usize,
        /// Filterbank.
        #[serde(default)]
        mel: MelConfig,
        /// Dynamic range clamp of the log-mel input (dB).
        #[serde(default = "default_top_db")]
        top_db: Option<f64>,
        /// Lifter parameter; 0 disables.
        #[serde(default)]
        lifter: f64,
    },
    /// `chroma_<i>` (i = 0 is C): librosa `chroma_stft` (Gaussian chroma filterbank of the power
    /// spectrum, L2-normalised per frame; 0 for silence).
    Chroma {
        /// Tuning deviation in fractions of a chroma bin.
        #[serde(default)]
        tuning: f64,
    },
    /// `contrast_<i>` (i = 0..=n_bands): librosa `spectral_contrast` on the magnitude spectrum (dB).
    SpectralContrast {
        /// Number of octave bands above `fmin_hz`.
        #[serde(default = "default_contrast_bands")]
        n_bands: usize,
        /// Upper edge of the first band (Hz).
        #[serde(default = "default_contrast_fmin")]
        fmin_hz: f64,
        /// Quantile for peaks and valleys.
        #[serde(default = "default_quantile")]
        quantile: f64,
    },
    /// `tonnetz_<i>` (i = 0..6): librosa `tonnetz` of the L1-normalised chroma (tuning 0).
    Tonnetz,
    /// `yin_f0_hz`: librosa 0.11 `yin` F0 estimate for every frame (no voicing decision).
    Yin(PitchConfig),
    /// `f0_semitones` (12 log2(F0 / 27.5 Hz), 0 when unvoiced), `voicing_prob` (1 - aperiodicity,
    /// in [0, 1]). Sets `Lld::voiced`.
    Pitch(PitchConfig),
    /// `jitter_local`: mean absolute difference of consecutive glottal periods / mean period
    /// (fraction; 0 when unvoiced). Uses the pitch tracker.
    Jitter(PitchConfig),
    /// `shimmer_local_db`: mean `|20 log10(A_{i+1} / A_i)|` of consecutive pulse peak amplitudes (dB;
    /// 0 when unvoiced).
    Shimmer(PitchConfig),
    /// `hnr_db`: `10 log10(r / (1 - r))`, r = normalised autocorrelation at the F0 period (dB,
    /// clamped to [-20, 40]).
    Hnr(PitchConfig),
    /// `band_energy_<lo>_<hi>_db`: `10 log10(max(sum_{lo_hz <= f_k <= hi_hz} P_k, 1e-10))`, the
    /// power of one spectral band (dB; ComParE's 250–650 Hz and 1–4 kHz bands).
    BandEnergy {
        /// Lower band edge (Hz).
        lo_hz: f64,
        /// Upper band edge (Hz, cut at Nyquist).
        hi_hz: f64,
    },
    /// `spectral_variance_khz2`: `sum_k p_k (f_k - mu)^2` with `p_k = P_k / sum P`,
    /// `mu = sum_k p_k f_k` (the power spectrum as a distribution over frequency; kHz^2, 0 for
    /// silence).
    SpectralVariance,
    /// `spectral_skewness`: `sum_k p_k (f_k - mu)^3 / sigma^3` (power weights as
    /// `spectral_variance`; 0 for silence or a single-bin spectrum).
    SpectralSkewness,
    /// `spectral_kurtosis`: `sum_k p_k (f_k - mu)^4 / sigma^4` (not excess; power weights as
    /// `spectral_variance`; 0 for silence or a single-bin spectrum).
    SpectralKurtosis,
    /// `loudness`: `sum_i E_i^0.3` over the auditory (mel) band energies `E_i` of the power
    /// spectrum (openSMILE-style summed compressed auditory spectrum; arbitrary units).
    Loudness {
        /// Auditory filterbank.
        #[serde(default = "default_auditory")]
        mel: MelConfig,
    },
    /// `sharpness`: Zwicker's sharpness `0.11 sum_i N_i g(z_i) z_i / sum_i N_i` over the
    /// auditory bands, `N_i = E_i^0.3`, `z_i` the band centre in Bark (Zwicker & Terhardt),
    /// `g(z) = 1` up to 16 Bark, `0.066 exp(0.171 z)` above (acum-like; 0 for silence).
    Sharpness {
        /// Auditory filterbank.
        #[serde(default = "default_auditory")]
        mel: MelConfig,
    },
    /// `rasta_mel_<i>` (i from 0): the auditory band energies in dB (`10 log10 max(E_i, 1e-10)`,
    /// floored at `top_db` below the utterance maximum) filtered along time by the RASTA band
    /// pass `H(z) = (0.2 + 0.1 z^-1 - 0.1 z^-3 - 0.2 z^-4) / (1 - pole z^-1)` (Hermansky &
    /// Morgan 1994; rastamat's start: the first 4 outputs 0, the recursion from frame 4) (dB).
    RastaMel {
        /// Auditory filterbank.
        #[serde(default = "default_auditory")]
        mel: MelConfig,
        /// Dynamic range floor of the log bands before filtering (dB); `None` = none.
        #[serde(default = "default_top_db")]
        top_db: Option<f64>,
        /// Pole of the RASTA filter, in [0, 1).
        #[serde(default = "default_rasta_pole")]
        pole: f64,
    },
    /// `harmonicity`: the normalised autocorrelation at the pitch period, `r` in [0, 1], on every
    /// frame (0 for digital silence): the quantity behind `hnr_db`, defined for unvoiced frames
    /// too (openSMILE's unclipped voicing).
    Harmonicity(PitchConfig),
    /// The 34 pyAudioAnalysis 0.3.14 short-term features plus their 34 deltas (68 columns, named as
    /// pyAudioAnalysis names them). Needs rectangular framing without centring; see docs/FEATURES.md.
    PyAudioAnalysis,
}

fn default_edge() -> PadMode {
    PadMode::Edge
}
fn default_blocks() -> usize {
    10
}
fn default_rolloff() -> f64 {
    0.85
}
fn default_top_db() -> Option<f64> {
    Some(80.0)
}
fn default_n_mfcc() -> usize {
    13
}
fn default_contrast_bands() -> usize {
    6
}
fn default_contrast_fmin() -> f64 {
    200.0
}
fn default_quantile() -> f64 {
    0.02
}
fn default_rasta_pole() -> f64 {
    0.94
}
fn default_auditory() -> MelConfig {
    MelConfig::auditory()
}

impl MelConfig {
    /// The auditory filterbank of `loudness`, `sharpness` and `rasta_mel` by default: 26 Slaney
    /// mel bands from 20 Hz to Nyquist, without area normalisation (each band sums the power
    /// under its triangle, as a critical-band energy).
    pub fn auditory() -> Self {
        MelConfig {
            n_mels: 26,
            fmin_hz: 20.0,
            fmax_hz: None,
            scale: MelScale::Slaney,
            slaney_norm: false,
        }
    }
}

/// Pitch tracker parameters (shared by `yin`, `pitch`, `jitter`, `shimmer`, `hnr`; the first
/// one in the set is used by all of them).
///
/// | name | default | unit | range |
/// |---|---|---|---|
/// | `fmin_hz` | 65 | Hz | > 0, < fmax |
/// | `fmax_hz` | 500 | Hz | < Nyquist |
/// | `frame_len` | `{samples = 1024}` | ms / samples | > 2 sr / fmin... |
/// | `trough_threshold` | 0.1 | | (0, 1] |
/// | `voicing_threshold` | 0.3 | CMNDF | (0, 1] |
/// | `silence_db` | -50 | dB re utterance max frame energy | < 0 |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PitchConfig {
    /// Lowest F0 (Hz).
    pub fmin_hz: f64,
    /// Highest F0 (Hz).
    pub fmax_hz: f64,
    /// Analysis frame of the pitch tracker (centred on the same frame centres as the spectra).
    pub frame_len: Length,
    /// YIN absolute threshold for the first trough.
    pub trough_threshold: f64,
    /// A frame is voiced when its CMNDF minimum is below this value and it is not silent.
    pub voicing_threshold: f64,
    /// Frames whose energy is below the utterance maximum frame energy by more than this (dB) are unvoiced.
    pub silence_db: f64,
}

impl Default for PitchConfig {
    fn default() -> Self {
        Self {
            fmin_hz: 65.0,
            fmax_hz: 500.0,
            frame_len: Length::Samples(1024),
            trough_threshold: 0.1,
            voicing_threshold: 0.3,
            silence_db: -50.0,
        }
    }
}

/// Input scaling before anything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum InputScaling {
    /// Samples are used as given.
    #[default]
    None,
    /// pyAudioAnalysis: subtract the mean, divide by `max |x - mean| + 1e-10`.
    DcNormalize,
}

/// Deltas appended after all descriptors.
///
/// | name | default | unit | range |
/// |---|---|---|---|
/// | `order` | 0 | | 0 (none), 1, 2 (adds deltas and delta-deltas) |
/// | `width` | 9 | frames | odd, >= 3 |
/// | `prefixes` | [] | | column-name prefixes to differentiate; empty = all columns |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeltaConfig {
    /// 0 = none, 1 = `d_<name>`, 2 = `d_<name>` and `dd_<name>`.
    pub order: usize,
    /// Savitzky–Golay window (librosa `delta(width)`).
    pub width: usize,
    /// Columns whose name starts with one of these get deltas; empty = all.
    pub prefixes: Vec<String>,
}

impl Default for DeltaConfig {
    fn default() -> Self {
        Self {
            order: 0,
            width: 9,
            prefixes: Vec::new(),
        }
    }
}

/// A descriptor set: framing, pre-processing, descriptors and deltas. `Default` is the rich
/// emotion set (see docs/FEATURES.md).
///
/// | name | default | unit | range |
/// |---|---|---|---|
/// | `pre_emphasis` | 0.97 | | [0, 1); 0 disables; spectral path only |
/// | `input_scaling` | none | | none, dc_normalize |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DescriptorConfig {
    /// Framing and window.
    pub frame: FrameConfig,
    /// `y[n] = x[n] - a x[n-1]` applied before the spectrum (time-domain and pitch descriptors use
    /// the signal without pre-emphasis).
    pub pre_emphasis: f64,
    /// Input scaling.
    pub input_scaling: InputScaling,
    /// Descriptors, in column order.
    pub descriptors: Vec<Descriptor>,
    /// Deltas.
    pub deltas: DeltaConfig,
}

impl Default for DescriptorConfig {
    fn default() -> Self {
        let pitch = PitchConfig {
            fmin_hz: 60.0,
            fmax_hz: 500.0,
            ..PitchConfig::default()
        };
        Self {
            frame: FrameConfig::default(),
            pre_emphasis: 0.97,
            input_scaling: InputScaling::None,
            descriptors: vec![
                Descriptor::LogEnergy,
                Descriptor::Rms {
                    from_spectrum: false,
                },
                Descriptor::Zcr {
                    pad_mode: PadMode::Constant,
                },
                Descriptor::SpectralCentroid,
                Descriptor::SpectralSpread,
                Descriptor::SpectralEntropy,
                Descriptor::SpectralFlux,
                Descriptor::SpectralRolloff { fraction: 0.85 },
                Descriptor::SpectralFlatness,
                Descriptor::SpectralSlope,
                Descriptor::AlphaRatio,
                Descriptor::Hammarberg,
                Descriptor::LogMel {
                    mel: MelConfig {
                        n_mels: 26,
                        fmin_hz: 20.0,
                        ..MelConfig::default()
                    },
                    top_db: Some(80.0),
                },
                Descriptor::Mfcc {
                    n_mfcc: 13,
                    mel: MelConfig {
                        n_mels: 26,
                        fmin_hz: 20.0,
                        ..MelConfig::default()
                    },
                    top_db: Some(80.0),
                    lifter: 0.0,
                },
                Descriptor::SpectralContrast {
                    n_bands: 6,
                    fmin_hz: 200.0,
                    quantile: 0.02,
                },
                Descriptor::Pitch(pitch.clone()),
                Descriptor::Jitter(pitch.clone()),
                Descriptor::Shimmer(pitch.clone()),
                Descriptor::Hnr(pitch),
            ],
            deltas: DeltaConfig::default(),
        }
    }
}

impl DescriptorConfig {
    /// The librosa 0.11 parameters of `make_reference.py`: n_fft 512, Hann window 400 centred in
    /// the frame, hop 160 samples (at 16 kHz), centred frames with zero padding, no pre-emphasis.
    /// Columns: 40 mel (`mel_i`), 13 MFCC (`mfcc_i`), their deltas (`d_mfcc_i`), 12 chroma, 6 tonnetz,
    /// 7 contrast, centroid, bandwidth, roll-off 0.85, flatness, spectral RMS, ZCR (edge padding),
    /// and YIN F0 (65..500 Hz, frame 1024, threshold 0.1).
    pub fn librosa() -> Self {
        let mel = MelConfig {
            n_mels: 40,
            fmin_hz: 0.0,
            fmax_hz: Some(8000.0),
            ..MelConfig::default()
        };
        Self {
            frame: FrameConfig {
                frame: Length::Samples(512),
                hop: Length::Samples(160),
                window_len: Some(Length::Samples(400)),
                n_fft: Some(512),
                window: WindowKind::Hann,
                center: true,
                pad_mode: PadMode::Constant,
            },
            pre_emphasis: 0.0,
            input_scaling: InputScaling::None,
            descriptors: vec![
                Descriptor::Mel { mel: mel.clone() },
                Descriptor::Mfcc {
                    n_mfcc: 13,
                    mel,
                    top_db: Some(80.0),
                    lifter: 0.0,
                },
                Descriptor::Chroma { tuning: 0.0 },
                Descriptor::Tonnetz,
                Descriptor::SpectralContrast {
                    n_bands: 6,
                    fmin_hz: 200.0,
                    quantile: 0.02,
                },
                Descriptor::SpectralCentroid,
                Descriptor::SpectralSpread,
                Descriptor::SpectralRolloff { fraction: 0.85 },
                Descriptor::SpectralFlatness,
                Descriptor::Rms {
                    from_spectrum: true,
                },
                Descriptor::Zcr {
                    pad_mode: PadMode::Edge,
                },
                Descriptor::Yin(PitchConfig {
                    fmin_hz: 65.0,
                    fmax_hz: 500.0,
                    frame_len: Length::Samples(1024),
                    trough_threshold: 0.1,
                    ..PitchConfig::default()
                }),
            ],
            deltas: DeltaConfig {
                order: 1,
                width: 9,
                prefixes: vec!["mfcc_".into()],
            },
        }
    }

    /// The richer emotion set (97 columns): [`DescriptorConfig::default`]'s 63 descriptors, then
    /// `loudness`, `sharpness`, the band energies 250–650 Hz and 1–4 kHz, spectral variance,
    /// skewness and kurtosis, 26 RASTA-filtered auditory bands (`rasta_mel_<i>`) and
    /// `harmonicity`, all on the same frames, spectra and pitch pass.
    pub fn rich() -> Self {
        let mut c = Self::default();
        let pitch = c
            .descriptors
            .iter()
            .find_map(|d| match d {
                Descriptor::Pitch(p) => Some(p.clone()),
                _ => None,
            })
            .unwrap_or_default();
        c.descriptors.extend([
            Descriptor::Loudness {
                mel: default_auditory(),
            },
            Descriptor::Sharpness {
                mel: default_auditory(),
            },
            Descriptor::BandEnergy {
                lo_hz: 250.0,
                hi_hz: 650.0,
            },
            Descriptor::BandEnergy {
                lo_hz: 1000.0,
                hi_hz: 4000.0,
            },
            Descriptor::SpectralVariance,
            Descriptor::SpectralSkewness,
            Descriptor::SpectralKurtosis,
            Descriptor::RastaMel {
                mel: default_auditory(),
                top_db: Some(80.0),
                pole: default_rasta_pole(),
            },
            Descriptor::Harmonicity(pitch),
        ]);
        c
    }

    /// pyAudioAnalysis 0.3.14 `ShortTermFeatures.feature_extraction(x, sr, 0.050 sr, 0.025 sr,
    /// deltas=True)` on samples in [-1, 1] (i.e. its int16 input / 2^15): 50 ms rectangular frames,
    /// 25 ms hop, no centring, no pre-emphasis, DC removal and peak normalisation; 68 columns.
    pub fn pyaudioanalysis() -> Self {
        Self {
            frame: FrameConfig {
                frame: Length::Ms(50.0),
                hop: Length::Ms(25.0),
                window_len: None,
                n_fft: None,
                window: WindowKind::Rectangular,
                center: false,
                pad_mode: PadMode::Constant,
            },
            pre_emphasis: 0.0,
            input_scaling: InputScaling::DcNormalize,
            descriptors: vec![Descriptor::PyAudioAnalysis],
            deltas: DeltaConfig::default(),
        }
    }

    /// Validates all parameters and returns the checked set.
    pub fn check(&self) -> Result<crate::DescriptorSet> {
        let p = |name: &'static str, expected: &str, found: String| Error::Param {
            name,
            expected: expected.to_string(),
            found,
        };
        if !(0.0..1.0).contains(&self.pre_emphasis) {
            return Err(p(
                "pre_emphasis",
                "a value in [0, 1)",
                self.pre_emphasis.to_string(),
            ));
        }
        for (name, l) in [
            ("frame.frame", Some(self.frame.frame)),
            ("frame.hop", Some(self.frame.hop)),
            ("frame.window_len", self.frame.window_len),
        ] {
            if let Some(Length::Ms(ms)) = l
                && !(ms.is_finite() && ms > 0.0 && ms <= 10_000.0)
            {
                return Err(p(name, "milliseconds in (0, 10000]", ms.to_string()));
            }
            if let Some(Length::Samples(n)) = l
                && !(1..=1 << 20).contains(&n)
            {
                return Err(p(name, "samples in 1 ..= 2^20", n.to_string()));
            }
        }
        if let Some(n) = self.frame.n_fft
            && !(2..=1 << 20).contains(&n)
        {
            return Err(p("frame.n_fft", "2 ..= 2^20", n.to_string()));
        }
        if self.descriptors.is_empty() {
            return Err(p("descriptors", "at least one descriptor", "none".into()));
        }
        for d in &self.descriptors {
            check_descriptor(d)?;
        }
        if self.deltas.order > 2 {
            return Err(p(
                "deltas.order",
                "0, 1 or 2",
                self.deltas.order.to_string(),
            ));
        }
        if self.deltas.order > 0 && (self.deltas.width < 3 || self.deltas.width.is_multiple_of(2)) {
            return Err(p(
                "deltas.width",
                "an odd number >= 3",
                self.deltas.width.to_string(),
            ));
        }
        Ok(crate::DescriptorSet {
            config: self.clone(),
        })
    }
}

fn check_mel(m: &MelConfig) -> Result<()> {
    if !(1..=512).contains(&m.n_mels) {
        return Err(Error::Param {
            name: "mel.n_mels",
            expected: "1 ..= 512".into(),
            found: m.n_mels.to_string(),
        });
    }
    let fmax = m.fmax_hz.unwrap_or(f64::INFINITY);
    if !(m.fmin_hz.is_finite() && m.fmin_hz >= 0.0 && m.fmin_hz < fmax) {
        return Err(Error::Param {
            name: "mel.fmin_hz",
            expected: "0 <= fmin_hz < fmax_hz".into(),
            found: format!("fmin_hz {} fmax_hz {:?}", m.fmin_hz, m.fmax_hz),
        });
    }
    Ok(())
}

fn check_pitch(c: &PitchConfig) -> Result<()> {
    if !(c.fmin_hz.is_finite() && c.fmin_hz > 0.0 && c.fmin_hz < c.fmax_hz && c.fmax_hz.is_finite())
    {
        return Err(Error::Param {
            name: "pitch.fmin_hz",
            expected: "0 < fmin_hz < fmax_hz".into(),
            found: format!("fmin_hz {} fmax_hz {}", c.fmin_hz, c.fmax_hz),
        });
    }
    if !(c.trough_threshold > 0.0 && c.trough_threshold <= 1.0) {
        return Err(Error::Param {
            name: "pitch.trough_threshold",
            expected: "(0, 1]".into(),
            found: c.trough_threshold.to_string(),
        });
    }
    if !(c.voicing_threshold > 0.0 && c.voicing_threshold <= 1.0) {
        return Err(Error::Param {
            name: "pitch.voicing_threshold",
            expected: "(0, 1]".into(),
            found: c.voicing_threshold.to_string(),
        });
    }
    if !(c.silence_db.is_finite() && c.silence_db < 0.0) {
        return Err(Error::Param {
            name: "pitch.silence_db",
            expected: "a negative number".into(),
            found: c.silence_db.to_string(),
        });
    }
    Ok(())
}

fn check_descriptor(d: &Descriptor) -> Result<()> {
    match d {
        Descriptor::EnergyEntropy { n_blocks } if !(1..=1000).contains(n_blocks) => {
            Err(Error::Param {
                name: "energy_entropy.n_blocks",
                expected: "1 ..= 1000".into(),
                found: n_blocks.to_string(),
            })
        }
        Descriptor::SpectralRolloff { fraction } if !(*fraction > 0.0 && *fraction < 1.0) => {
            Err(Error::Param {
                name: "spectral_rolloff.fraction",
                expected: "(0, 1)".into(),
                found: fraction.to_string(),
            })
        }
        Descriptor::Mel { mel } => check_mel(mel),
        Descriptor::LogMel { mel, top_db } | Descriptor::Mfcc { mel, top_db, .. } => {
            check_mel(mel)?;
            if let Some(t) = top_db
                && !(t.is_finite() && *t >= 0.0)
            {
                return Err(Error::Param {
                    name: "top_db",
                    expected: ">= 0".into(),
                    found: t.to_string(),
                });
            }
            if let Descriptor::Mfcc { n_mfcc, lifter, .. } = d {
                if *n_mfcc == 0 || *n_mfcc > mel.n_mels {
                    return Err(Error::Param {
                        name: "mfcc.n_mfcc",
                        expected: format!("1 ..= n_mels ({})", mel.n_mels),
                        found: n_mfcc.to_string(),
                    });
                }
                if !(lifter.is_finite() && *lifter >= 0.0) {
                    return Err(Error::Param {
                        name: "mfcc.lifter",
                        expected: ">= 0".into(),
                        found: lifter.to_string(),
                    });
                }
            }
            Ok(())
        }
        Descriptor::Chroma { tuning } if !(tuning.is_finite() && tuning.abs() <= 0.5) => {
            Err(Error::Param {
                name: "chroma.tuning",
                expected: "[-0.5, 0.5]".into(),
                found: tuning.to_string(),
            })
        }
        Descriptor::SpectralContrast {
            n_bands,
            fmin_hz,
            quantile,
        } => {
            if !(1..=12).contains(n_bands) {
                return Err(Error::Param {
                    name: "spectral_contrast.n_bands",
                    expected: "1 ..= 12".into(),
                    found: n_bands.to_string(),
                });
            }
            if !(fmin_hz.is_finite() && *fmin_hz > 0.0) {
                return Err(Error::Param {
                    name: "spectral_contrast.fmin_hz",
                    expected: "> 0".into(),
                    found: fmin_hz.to_string(),
                });
            }
            if !(*quantile > 0.0 && *quantile < 1.0) {
                return Err(Error::Param {
                    name: "spectral_contrast.quantile",
                    expected: "(0, 1)".into(),
                    found: quantile.to_string(),
                });
            }
            Ok(())
        }
        Descriptor::BandEnergy { lo_hz, hi_hz } => {
            if !(lo_hz.is_finite() && hi_hz.is_finite() && *lo_hz >= 0.0 && lo_hz < hi_hz) {
                return Err(Error::Param {
                    name: "band_energy.lo_hz",
                    expected: "0 <= lo_hz < hi_hz".into(),
                    found: format!("lo_hz {lo_hz} hi_hz {hi_hz}"),
                });
            }
            Ok(())
        }
        Descriptor::Loudness { mel } | Descriptor::Sharpness { mel } => check_mel(mel),
        Descriptor::RastaMel { mel, top_db, pole } => {
            check_mel(mel)?;
            if let Some(t) = top_db
                && !(t.is_finite() && *t >= 0.0)
            {
                return Err(Error::Param {
                    name: "rasta_mel.top_db",
                    expected: ">= 0".into(),
                    found: t.to_string(),
                });
            }
            if !(0.0..1.0).contains(pole) {
                return Err(Error::Param {
                    name: "rasta_mel.pole",
                    expected: "[0, 1)".into(),
                    found: pole.to_string(),
                });
            }
            Ok(())
        }
        Descriptor::Yin(c)
        | Descriptor::Harmonicity(c)
        | Descriptor::Pitch(c)
        | Descriptor::Jitter(c)
        | Descriptor::Shimmer(c)
        | Descriptor::Hnr(c) => check_pitch(c),
        _ => Ok(()),
    }
}
