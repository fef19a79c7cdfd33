//! The serde form of a feature set: which frames a statistics group reads, deltas, extras, and
//! the built-in sets (`default`, `librosa`, `pyaudioanalysis`, `rich`).

use ser_dsp::{DescriptorConfig, Length, WindowKind};
use serde::{Deserialize, Serialize};

use crate::stats::Statistic;
use crate::{Error, Result};

/// Which frames a statistics group summarises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Frames {
    /// Every frame.
    All,
    /// Voiced frames only (interior voiced frames for delta tracks).
    Voiced,
    /// Voiced frames for tracks ser-dsp marks `voiced_only` (F0, jitter, shimmer, HNR) and their
    /// deltas, all frames otherwise.
    #[default]
    Auto,
}

/// A group of statistics applied to the tracks matching `tracks` (minus `exclude`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatGroup {
    /// Glob patterns (`*` matches any run of characters) on track names.
    pub tracks: Vec<String>,
    /// Patterns of tracks to leave out.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Statistics, in output order.
    pub statistics: Vec<Statistic>,
    /// Frames to summarise.
    #[serde(default)]
    pub frames: Frames,
}

/// Deltas appended as `<name>_delta` tracks.
///
/// | name | default | unit | range |
/// |---|---|---|---|
/// | `width` | 9 | frames | odd, 3 ..= 99 |
/// | `include` | `["*"]` | | patterns on descriptor names |
/// | `exclude` | `[]` | | patterns on descriptor names |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeltaSpec {
    pub width: usize,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

impl Default for DeltaSpec {
    fn default() -> Self {
        DeltaSpec {
            width: 9,
            include: vec!["*".into()],
            exclude: Vec::new(),
        }
    }
}

/// Utterance-level features computed from the voicing decisions or from one track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Extra {
    /// `voiced_fraction`: voiced frames / frames (0 without frames or without a pitch tracker).
    VoicedFraction,
    /// `voiced_segments_per_s`: runs of consecutive voiced frames per second of audio (a
    /// syllable-rate proxy).
    VoicedSegmentsPerS,
    /// `voiced_segment_mean_s`: mean duration of the voiced runs (s).
    VoicedSegmentMeanS,
    /// `voiced_segment_std_s`: population std of the voiced-run durations (s).
    VoicedSegmentStdS,
    /// `unvoiced_segment_mean_s`: mean duration of the unvoiced runs *between* voiced runs (pauses
    /// and consonants; leading / trailing silence excluded) (s).
    UnvoicedSegmentMeanS,
    /// `<track>_peaks_per_s`: local maxima per second of the track smoothed by a 5-frame moving
    /// average, counting only maxima above the smoothed track's mean (a speaking-rate proxy on
    /// loudness).
    PeaksPerS { track: String },
}

impl Extra {
    pub(super) fn name(&self) -> String {
        match self {
            Extra::VoicedFraction => "voiced_fraction".into(),
            Extra::VoicedSegmentsPerS => "voiced_segments_per_s".into(),
            Extra::VoicedSegmentMeanS => "voiced_segment_mean_s".into(),
            Extra::VoicedSegmentStdS => "voiced_segment_std_s".into(),
            Extra::UnvoicedSegmentMeanS => "unvoiced_segment_mean_s".into(),
            Extra::PeaksPerS { track } => format!("{track}_peaks_per_s"),
        }
    }
}

fn default_rate() -> u32 {
    ser_io::DEFAULT_SAMPLE_RATE_HZ
}

/// The serialisable definition of a feature set (what a TOML file holds).
///
/// | name | default | meaning |
/// |---|---|---|
/// | `name` | required | set name, used in table file names (`<corpus>.<name>.parquet`) |
/// | `sample_rate_hz` | 16000 | audio is resampled to this rate before extraction |
/// | `preset` | none | ser-dsp descriptor preset: `default`, `librosa`, `pyaudioanalysis`, `rich` |
/// | `descriptors` | none | a full `ser_dsp::DescriptorConfig` (exactly one of `preset` / `descriptors`) |
/// | `deltas` | none | [`DeltaSpec`]; none = no delta tracks |
/// | `statistics` | required | [`StatGroup`]s |
/// | `extras` | `[]` | [`Extra`]s |
/// | `sequence` | none | [`SequenceSpec`]: the set is a fixed-size sequence of frames instead of statistics |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSetConfig {
    pub name: String,
    #[serde(default = "default_rate")]
    pub sample_rate_hz: u32,
    #[serde(default)]
    pub preset: Option<String>,
    #[serde(default)]
    pub descriptors: Option<DescriptorConfig>,
    #[serde(default)]
    pub deltas: Option<DeltaSpec>,
    #[serde(default)]
    pub statistics: Vec<StatGroup>,
    #[serde(default)]
    pub extras: Vec<Extra>,
    /// A sequence set: the frame descriptors themselves, cut into fixed windows (no statistics,
    /// deltas or extras). Absent from the serialised form of other sets, so their hashes are
    /// unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<SequenceSpec>,
}

/// A sequence feature set's windows: the utterance's frame descriptors (e.g. 64 log-mel bands),
/// centre-cropped or padded at the end to `window_frames + (n_windows - 1) * hop_frames` frames,
/// then cut into `n_windows` windows of `window_frames` frames every `hop_frames` frames. Padding
/// frames hold the utterance's smallest value (its log-mel floor); a window made only of
/// padding is constant, which the deep models recognise and skip. The row is the
/// `(n_windows, window_frames, descriptors)` tensor flattened in that order, with feature names
/// `seq_w<window>_t<frame>_<descriptor>`.
///
/// | name | default | unit | range |
/// |---|---|---|---|
/// | `window_frames` | 48 | frames | 1 ..= 10000 |
/// | `hop_frames` | 24 | frames | 1 ..= 10000 |
/// | `n_windows` | 4 | windows | 1 ..= 1000 |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SequenceSpec {
    pub window_frames: usize,
    pub hop_frames: usize,
    pub n_windows: usize,
}

impl Default for SequenceSpec {
    fn default() -> Self {
        SequenceSpec {
            window_frames: 48,
            hop_frames: 24,
            n_windows: 4,
        }
    }
}

impl SequenceSpec {
    /// Frames covered by the windows.
    pub fn span_frames(&self) -> usize {
        self.window_frames + (self.n_windows.saturating_sub(1)) * self.hop_frames
    }
}

fn group(tracks: &[&str], exclude: &[&str], statistics: &[Statistic], frames: Frames) -> StatGroup {
    StatGroup {
        tracks: tracks.iter().map(|s| s.to_string()).collect(),
        exclude: exclude.iter().map(|s| s.to_string()).collect(),
        statistics: statistics.to_vec(),
        frames,
    }
}

/// The functionals of the `rich` set on every descriptor track (34).
pub const RICH_LLD: [Statistic; 34] = {
    use Statistic::*;
    [
        Mean,
        Std,
        Skewness,
        Kurtosis,
        Min,
        Max,
        P01,
        P99,
        Q1,
        Median,
        Q3,
        Iqr,
        Range0199,
        P20,
        P80,
        Range2080,
        Slope,
        LinOffset,
        LinError,
        QuadA,
        QuadB,
        QuadC,
        QuadError,
        RiseTime,
        FallTime,
        UpLevel25,
        UpLevel50,
        UpLevel75,
        UpLevel90,
        PeakRate,
        PeakDistMean,
        PeakMeanRel,
        SegLenMean,
        SegLenStd,
    ]
};

/// The functionals of the `rich` set on the plain log-mel bands (12; their detail is also in the
/// MFCCs and the RASTA bands, which get the full [`RICH_LLD`]).
pub const RICH_BANDS: [Statistic; 12] = {
    use Statistic::*;
    [
        Mean, Std, Skewness, Kurtosis, P01, P99, Median, Range2080, Slope, LinError, RiseTime,
        UpLevel50,
    ]
};

/// The functionals of the `rich` set on every delta track (15).
pub const RICH_DELTA: [Statistic; 15] = {
    use Statistic::*;
    [
        Std,
        Skewness,
        Kurtosis,
        P01,
        P99,
        Q1,
        Q3,
        Iqr,
        Range0199,
        Range2080,
        RiseTime,
        FallTime,
        PeakRate,
        PeakMeanRel,
        SegLenMean,
    ]
};

/// Patterns of the ser-dsp default tracks that are only meaningful on voiced frames.
const VOICE_TRACKS: [&str; 4] = ["f0_semitones", "jitter_local", "shimmer_local_db", "hnr_db"];

impl FeatureSetConfig {
    /// `pyaudioanalysis`: the 34 pyAudioAnalysis short-term features and their 34 deltas (as
    /// ser-dsp's `pyaudioanalysis()` preset computes them: 50 ms frames, 25 ms hop, DC removal
    /// and peak normalisation), here with the classic SVM pipeline's pre-emphasis (0.97) and
    /// Hamming window, × the 10 [`Statistic::CLASSIC`] statistics = 680 features.
    pub fn pyaudioanalysis() -> Self {
        let mut d = DescriptorConfig::pyaudioanalysis();
        d.pre_emphasis = 0.97;
        d.frame.window = WindowKind::Hamming;
        FeatureSetConfig {
            name: "pyaudioanalysis".into(),
            sample_rate_hz: 16_000,
            preset: None,
            descriptors: Some(d),
            deltas: None,
            statistics: vec![group(&["*"], &[], &Statistic::CLASSIC, Frames::All)],
            extras: Vec::new(),
            sequence: None,
        }
    }

    /// `librosa`: the popular notebook recipe — per-utterance means of 40 MFCCs, 12 chroma,
    /// 128 mel bands, 7 spectral-contrast bands and 6 tonnetz dimensions = 193 features, with
    /// librosa's defaults (n_fft 2048, hop 512, Hann, centred, 128 Slaney mel bands up to
    /// Nyquist, MFCC from `power_to_db(top_db=80)`). Differences from the notebook: chroma uses
    /// tuning 0 (the notebook estimates it) and tonnetz comes from the STFT chroma of the full
    /// signal (the notebook uses the CQT chroma of the harmonic part).
    pub fn librosa() -> Self {
        use ser_dsp::{Descriptor, FrameConfig, InputScaling, MelConfig, PadMode};
        let mel = MelConfig {
            n_mels: 128,
            fmin_hz: 0.0,
            fmax_hz: None,
            ..MelConfig::default()
        };
        let d = DescriptorConfig {
            frame: FrameConfig {
                frame: Length::Samples(2048),
                hop: Length::Samples(512),
                window_len: None,
                n_fft: Some(2048),
                window: WindowKind::Hann,
                center: true,
                pad_mode: PadMode::Constant,
            },
            pre_emphasis: 0.0,
            input_scaling: InputScaling::None,
            descriptors: vec![
                Descriptor::Mfcc {
                    n_mfcc: 40,
                    mel: mel.clone(),
                    top_db: Some(80.0),
                    lifter: 0.0,
                },
                Descriptor::Chroma { tuning: 0.0 },
                Descriptor::Mel { mel },
                Descriptor::SpectralContrast {
                    n_bands: 6,
                    fmin_hz: 200.0,
                    quantile: 0.02,
                },
                Descriptor::Tonnetz,
            ],
            deltas: ser_dsp::DeltaConfig::default(),
        };
        FeatureSetConfig {
            name: "librosa".into(),
            sample_rate_hz: 16_000,
            preset: None,
            descriptors: Some(d),
            deltas: None,
            statistics: vec![group(&["*"], &[], &[Statistic::Mean], Frames::All)],
            extras: Vec::new(),
            sequence: None,
        }
    }

    /// `default`: our emotion set on ser-dsp's default descriptors (energy, spectral shape,
    /// 26 log-mel bands, 13 MFCCs, spectral contrast, F0 in semitones, voicing probability,
    /// jitter, shimmer, HNR):
    ///
    /// * every non-voice track: 12 statistics (mean, median, std, skewness, kurtosis, p01, p99,
    ///   range, q1, q3, iqr, slope);
    /// * deltas of every track: std, p01, p99, iqr (voice tracks: over interior voiced frames);
    /// * F0 / jitter / shimmer / HNR over voiced frames: all 14 statistics;
    /// * voicing and rhythm extras: voiced fraction, voiced segments per second, voiced segment
    ///   mean / std duration, pause mean duration, log-energy peaks per second.
    pub fn default_set() -> Self {
        use Statistic::*;
        FeatureSetConfig {
            name: "default".into(),
            sample_rate_hz: 16_000,
            preset: Some("default".into()),
            descriptors: None,
            deltas: Some(DeltaSpec::default()),
            statistics: vec![
                group(
                    &["*"],
                    &["*_delta"],
                    &[
                        Mean, Median, Std, Skewness, Kurtosis, P01, P99, Range, Q1, Q3, Iqr, Slope,
                    ],
                    Frames::Auto,
                )
                .without(&VOICE_TRACKS),
                group(&VOICE_TRACKS, &[], &Statistic::ALL, Frames::Voiced),
                group(&["*_delta"], &[], &[Std, P01, P99, Iqr], Frames::Auto),
            ],
            extras: vec![
                Extra::VoicedFraction,
                Extra::VoicedSegmentsPerS,
                Extra::VoicedSegmentMeanS,
                Extra::VoicedSegmentStdS,
                Extra::UnvoicedSegmentMeanS,
                Extra::PeaksPerS {
                    track: "log_energy_db".into(),
                },
            ],
            sequence: None,
        }
    }

    /// `rich`: the fuller set in the spirit of openSMILE ComParE, on ser-dsp's
    /// [`DescriptorConfig::rich`] descriptors (the default set's 63 plus loudness, sharpness,
    /// band energies 250–650 Hz and 1–4 kHz, spectral variance / skewness / kurtosis, 26
    /// RASTA-filtered auditory bands, harmonicity: 97 tracks) and their deltas:
    ///
    /// * every non-voice track except the plain log-mel bands: the 34 [`RICH_LLD`] functionals
    ///   (moments, extremes, percentiles and percentile ranges, linear and quadratic regression
    ///   with errors, rise / fall times, up-level times, peaks, segments);
    /// * F0 / jitter / shimmer / HNR over voiced frames: the same 34;
    /// * the 26 log-mel bands: the 12 [`RICH_BANDS`] functionals, no deltas (the MFCCs are their
    ///   DCT and the RASTA bands their modulation-filtered form, both fully summarised);
    /// * deltas of every other track: the 15 [`RICH_DELTA`] functionals (voice tracks: over
    ///   interior voiced frames);
    /// * the default set's voicing and rhythm extras.
    pub fn rich() -> Self {
        FeatureSetConfig {
            name: "rich".into(),
            sample_rate_hz: 16_000,
            preset: Some("rich".into()),
            descriptors: None,
            deltas: Some(DeltaSpec {
                exclude: vec!["log_mel_*".into()],
                ..DeltaSpec::default()
            }),
            statistics: vec![
                group(&["*"], &["*_delta", "log_mel_*"], &RICH_LLD, Frames::Auto)
                    .without(&VOICE_TRACKS),
                group(&VOICE_TRACKS, &[], &RICH_LLD, Frames::Voiced),
                group(&["log_mel_*"], &[], &RICH_BANDS, Frames::All),
                group(&["*_delta"], &[], &RICH_DELTA, Frames::Auto),
            ],
            extras: Self::default_set().extras,
            sequence: None,
        }
    }

    /// The built-in set with this name.
    pub fn by_name(name: &str) -> Result<Self> {
        match name {
            "default" => Ok(Self::default_set()),
            "librosa" => Ok(Self::librosa()),
            "pyaudioanalysis" => Ok(Self::pyaudioanalysis()),
            "rich" => Ok(Self::rich()),
            "logmel" => Ok(Self::logmel()),
            other => Err(Error::Param {
                name: "feature_set",
                expected: "default, librosa, pyaudioanalysis, rich, logmel or a .toml file".into(),
                found: format!("{other:?}"),
            }),
        }
    }

    /// `logmel`: the deep models' input, a sequence set ([`SequenceSpec`] defaults: 4 windows of
    /// 48 frames, hop 24 frames = 0.96 s windows every 0.48 s, 2.4 s in all) of 64 log-mel
    /// bands (Slaney, 0–8000 Hz, `10 log10(max(mel, 1e-10))` clamped at 80 dB below the
    /// utterance's maximum) of 40 ms Hann frames every 20 ms (n_fft 640), centred, no
    /// pre-emphasis: 4 × 48 × 64 = 12,288 values per utterance.
    pub fn logmel() -> Self {
        use ser_dsp::{Descriptor, FrameConfig, MelConfig};
        let d = DescriptorConfig {
            frame: FrameConfig {
                frame: Length::Ms(40.0),
                hop: Length::Ms(20.0),
                window: WindowKind::Hann,
                ..FrameConfig::default()
            },
            pre_emphasis: 0.0,
            descriptors: vec![Descriptor::LogMel {
                mel: MelConfig {
                    n_mels: 64,
                    ..MelConfig::default()
                },
                top_db: Some(80.0),
            }],
            ..DescriptorConfig::default()
        };
        FeatureSetConfig {
            name: "logmel".into(),
            sample_rate_hz: 16_000,
            preset: None,
            descriptors: Some(d),
            deltas: None,
            statistics: Vec::new(),
            extras: Vec::new(),
            sequence: Some(SequenceSpec::default()),
        }
    }

    /// The ser-dsp descriptor configuration: the named preset's, or the inline `descriptors`.
    pub fn descriptor_config(&self) -> Result<DescriptorConfig> {
        let err = |reason: String| Error::FeatureSet {
            name: self.name.clone(),
            reason,
        };
        match (&self.preset, &self.descriptors) {
            (Some(_), Some(_)) => {
                Err(err("give either `preset` or `descriptors`, not both".into()))
            }
            (None, None) => Err(err("missing `preset` or `descriptors`".into())),
            (None, Some(d)) => Ok(d.clone()),
            (Some(p), None) => match p.as_str() {
                "default" => Ok(DescriptorConfig::default()),
                "librosa" => Ok(DescriptorConfig::librosa()),
                "pyaudioanalysis" => Ok(DescriptorConfig::pyaudioanalysis()),
                "rich" => Ok(DescriptorConfig::rich()),
                other => Err(err(format!(
                    "unknown preset {other:?}; expected default, librosa, pyaudioanalysis or rich"
                ))),
            },
        }
    }
}

impl StatGroup {
    fn without(mut self, patterns: &[&str]) -> Self {
        self.exclude.extend(patterns.iter().map(|s| s.to_string()));
        self
    }
}
