//! Named feature sets: which frame descriptors (ser-dsp), which deltas, which statistics.
//!
//! A feature set turns one utterance into one vector. The pipeline:
//!
//! 1. ser-dsp computes the frame descriptors (`Lld`, one *track* per descriptor column);
//! 2. deltas (librosa Savitzky–Golay, `ser_dsp::delta`, order 1) of the selected tracks are
//!    appended as tracks named `<track>_delta`;
//! 3. every statistics group applies its [`Statistic`]s to the tracks it matches, over all frames
//!    (`<track>_<stat>`) or over voiced frames only (`<track>_voiced_<stat>`);
//! 4. utterance-level [`Extra`]s (voicing / rhythm) are appended.
//!
//! Built-in sets ([`FeatureSet::by_name`]): `pyaudioanalysis` (680), `librosa` (193) and
//! `default` (see [`FeatureSetConfig::default_set`] and `docs/FEATURES.md`).
//! Custom sets come from TOML ([`FeatureSet::from_toml_file`]), for example:
//!
//! ```toml
//! name = "small"
//! sample_rate_hz = 16000          # default 16000
//! preset = "default"              # descriptors: a ser-dsp preset (default | librosa | pyaudioanalysis) ...
//! # [descriptors]                 # ... or a full ser_dsp::DescriptorConfig table instead
//! [deltas]
//! width = 9                       # odd, >= 3
//! include = ["mfcc_*"]            # glob patterns ('*' only) on descriptor names
//! [[statistics]]
//! tracks = ["mfcc_*"]             # patterns on track names (deltas are `<name>_delta`)
//! statistics = ["mean", "std", "p99"]
//! frames = "auto"                 # all | voiced | auto (voiced for F0 / voice-quality tracks)
//! [[extras]]
//! kind = "voiced_fraction"
//! ```
//!
//! Deltas of tracks that are only meaningful when voiced (F0, jitter, ...) are summarised over
//! *interior* voiced frames: frames whose whole delta window (±width/2) is voiced, so the jumps at
//! voicing boundaries never enter the statistics.
//!
//! Every feature is finite: non-finite frame values are ignored, empty selections give 0 (see
//! [`crate::stats`]), and values are saturated to the f32 range.

use std::path::Path;
use std::sync::Arc;

use ndarray::{Array2, Axis};
use ser_dsp::{DescriptorConfig, Length, WindowKind};
use serde::{Deserialize, Serialize};

use crate::stats::{Statistic, Summarizer, to_f32};
use crate::{Error, Result};

/// Bump when the extraction code changes in a way that changes values for the same config;
/// it is part of the config hash, so cached tables are re-extracted.
pub const EXTRACTION_REVISION: u32 = 1;

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
    fn name(&self) -> String {
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
/// | `preset` | none | ser-dsp descriptor preset: `default`, `librosa`, `pyaudioanalysis` |
/// | `descriptors` | none | a full `ser_dsp::DescriptorConfig` (exactly one of `preset` / `descriptors`) |
/// | `deltas` | none | [`DeltaSpec`]; none = no delta tracks |
/// | `statistics` | required | [`StatGroup`]s |
/// | `extras` | `[]` | [`Extra`]s |
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
    pub statistics: Vec<StatGroup>,
    #[serde(default)]
    pub extras: Vec<Extra>,
}

fn group(tracks: &[&str], exclude: &[&str], statistics: &[Statistic], frames: Frames) -> StatGroup {
    StatGroup {
        tracks: tracks.iter().map(|s| s.to_string()).collect(),
        exclude: exclude.iter().map(|s| s.to_string()).collect(),
        statistics: statistics.to_vec(),
        frames,
    }
}

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
        }
    }

    /// The built-in set with this name.
    pub fn by_name(name: &str) -> Result<Self> {
        match name {
            "default" => Ok(Self::default_set()),
            "librosa" => Ok(Self::librosa()),
            "pyaudioanalysis" => Ok(Self::pyaudioanalysis()),
            other => Err(Error::Param {
                name: "feature_set",
                expected: "default, librosa, pyaudioanalysis or a .toml file".into(),
                found: format!("{other:?}"),
            }),
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
                other => Err(err(format!(
                    "unknown preset {other:?}; expected default, librosa or pyaudioanalysis"
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

/// Glob match with `*` as the only wildcard.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

fn matches_any(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|p| glob_match(p, name))
}

/// Lower snake case: ASCII alphanumerics kept (lower-cased), everything else becomes `_`.
fn sanitize(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    s.trim_matches('_').to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mask {
    All,
    Voiced,
    /// Voiced frames whose whole delta window is voiced.
    VoicedInterior,
}

#[derive(Debug, Clone)]
struct Item {
    track: usize,
    mask: Mask,
    stats: Vec<Statistic>,
}

#[derive(Debug, Clone)]
enum ResolvedExtra {
    Voicing(Extra),
    Peaks(usize),
}

/// What to compute, resolved against the descriptor names of one extractor.
#[derive(Debug)]
struct Plan {
    n_descriptors: usize,
    /// Descriptor columns that get deltas.
    delta_sources: Vec<usize>,
    delta_width: usize,
    items: Vec<Item>,
    extras: Vec<ResolvedExtra>,
    names: Vec<String>,
}

impl Plan {
    fn build(
        config: &FeatureSetConfig,
        descriptor_names: &[String],
        voiced_only: &[bool],
    ) -> Result<Plan> {
        let err = |reason: String| Error::FeatureSet {
            name: config.name.clone(),
            reason,
        };
        let base: Vec<String> = descriptor_names.iter().map(|n| sanitize(n)).collect();
        let n = base.len();
        let mut tracks = base.clone();
        let mut track_voiced: Vec<bool> = (0..n)
            .map(|i| voiced_only.get(i).copied().unwrap_or(false))
            .collect();
        let mut is_delta = vec![false; n];
        let mut delta_sources = Vec::new();
        let mut delta_width = 9;
        if let Some(d) = &config.deltas {
            if d.width < 3 || d.width % 2 == 0 || d.width > 99 {
                return Err(err(format!(
                    "deltas.width must be odd and in 3 ..= 99, got {}",
                    d.width
                )));
            }
            delta_width = d.width;
            for (i, name) in base.iter().enumerate() {
                if matches_any(&d.include, name) && !matches_any(&d.exclude, name) {
                    delta_sources.push(i);
                    tracks.push(format!("{name}_delta"));
                    track_voiced.push(track_voiced[i]);
                    is_delta.push(true);
                }
            }
        }
        let mut items = Vec::new();
        let mut names = Vec::new();
        for (gi, g) in config.statistics.iter().enumerate() {
            if g.statistics.is_empty() {
                return Err(err(format!("statistics group {gi} has no statistics")));
            }
            let mut matched = 0;
            for (t, name) in tracks.iter().enumerate() {
                if !matches_any(&g.tracks, name) || matches_any(&g.exclude, name) {
                    continue;
                }
                matched += 1;
                let voiced = match g.frames {
                    Frames::All => false,
                    Frames::Voiced => true,
                    Frames::Auto => track_voiced[t],
                };
                let mask = match (voiced, is_delta[t]) {
                    (false, _) => Mask::All,
                    (true, false) => Mask::Voiced,
                    (true, true) => Mask::VoicedInterior,
                };
                let infix = if voiced { "_voiced" } else { "" };
                for st in &g.statistics {
                    names.push(format!("{name}{infix}_{st}"));
                }
                items.push(Item {
                    track: t,
                    mask,
                    stats: g.statistics.clone(),
                });
            }
            if matched == 0 {
                return Err(err(format!(
                    "statistics group {gi} ({:?}) matches no track; tracks are {}",
                    g.tracks,
                    tracks.join(", ")
                )));
            }
        }
        let mut extras = Vec::new();
        for e in &config.extras {
            names.push(e.name());
            extras.push(match e {
                Extra::PeaksPerS { track } => {
                    let t = tracks.iter().position(|x| x == track).ok_or_else(|| {
                        err(format!("extra peaks_per_s: no track named {track:?}"))
                    })?;
                    ResolvedExtra::Peaks(t)
                }
                other => ResolvedExtra::Voicing(other.clone()),
            });
        }
        let mut seen = std::collections::HashSet::new();
        for name in &names {
            if !seen.insert(name.as_str())
                || crate::table::METADATA_COLUMNS.contains(&name.as_str())
            {
                return Err(err(format!("feature name {name:?} is produced twice")));
            }
        }
        if names.is_empty() {
            return Err(err("the set produces no feature".into()));
        }
        Ok(Plan {
            n_descriptors: n,
            delta_sources,
            delta_width,
            items,
            extras,
            names,
        })
    }
}

/// A checked feature set. Cheap to clone and `Send + Sync`; make one [`FeatureExtractor`] per
/// thread with [`FeatureSet::extractor`].
#[derive(Debug, Clone)]
pub struct FeatureSet {
    config: Arc<FeatureSetConfig>,
    descriptors: Arc<ser_dsp::DescriptorSet>,
    names: Arc<Vec<String>>,
    hash: String,
}

impl FeatureSet {
    /// Checks a configuration (descriptors, patterns, unique names).
    pub fn from_config(config: FeatureSetConfig) -> Result<FeatureSet> {
        if config.name.is_empty()
            || !config
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(Error::Param {
                name: "feature_set.name",
                expected: "a non-empty name of [A-Za-z0-9_-]".into(),
                found: format!("{:?}", config.name),
            });
        }
        if !(1000..=384_000).contains(&config.sample_rate_hz) {
            return Err(Error::Param {
                name: "feature_set.sample_rate_hz",
                expected: "1000 ..= 384000".into(),
                found: config.sample_rate_hz.to_string(),
            });
        }
        let descriptors = config.descriptor_config()?.check()?;
        let json = serde_json::to_string(&config).map_err(|e| Error::FeatureSet {
            name: config.name.clone(),
            reason: format!("cannot serialise: {e}"),
        })?;
        let hash = format!(
            "{:016x}",
            fnv1a64(
                format!(
                    "{json}|rev={EXTRACTION_REVISION}|ser-features={}",
                    env!("CARGO_PKG_VERSION")
                )
                .as_bytes()
            )
        );
        let mut set = FeatureSet {
            config: Arc::new(config),
            descriptors: Arc::new(descriptors),
            names: Arc::new(Vec::new()),
            hash,
        };
        let ex = set.extractor()?;
        set.names = Arc::new(ex.plan.names.clone());
        Ok(set)
    }

    /// A built-in set: `default`, `librosa`, `pyaudioanalysis`.
    pub fn by_name(name: &str) -> Result<FeatureSet> {
        FeatureSet::from_config(FeatureSetConfig::by_name(name)?)
    }

    /// A set defined in a TOML file (see the module docs).
    pub fn from_toml_file(path: &Path) -> Result<FeatureSet> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let config: FeatureSetConfig = toml::from_str(&text).map_err(|e| Error::FeatureSet {
            name: path.display().to_string(),
            reason: e.to_string(),
        })?;
        FeatureSet::from_config(config)
    }

    /// A built-in name, or a path to a TOML file (anything ending in `.toml` or naming an
    /// existing file).
    pub fn resolve(name_or_path: &str) -> Result<FeatureSet> {
        let p = Path::new(name_or_path);
        if name_or_path.ends_with(".toml") || p.is_file() {
            FeatureSet::from_toml_file(p)
        } else {
            FeatureSet::by_name(name_or_path)
        }
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn config(&self) -> &FeatureSetConfig {
        &self.config
    }

    /// Sample rate the audio is resampled to before extraction.
    pub fn sample_rate_hz(&self) -> u32 {
        self.config.sample_rate_hz
    }

    /// Hex FNV-1a hash of the full configuration and [`EXTRACTION_REVISION`]: the cache key of
    /// incremental `prepare`.
    pub fn config_hash(&self) -> &str {
        &self.hash
    }

    /// Feature names, in output order. Audio is always resampled to the set's own rate, so the
    /// names do not depend on the input rate; the argument is kept for the contract.
    pub fn names(&self, _sample_rate_hz: u32) -> Vec<String> {
        self.names.as_ref().clone()
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// A reusable extractor (plans FFTs, filterbanks etc. once). One per thread.
    pub fn extractor(&self) -> Result<FeatureExtractor> {
        let mut dsp = self.descriptors.extractor(self.config.sample_rate_hz)?;
        // Resolve names and voiced-only flags once on a short probe signal.
        let probe = vec![0.0f32; self.config.sample_rate_hz as usize / 2];
        let lld = dsp.compute(&probe)?;
        let plan = Plan::build(&self.config, &lld.names, &lld.voiced_only)?;
        Ok(FeatureExtractor {
            set: self.clone(),
            dsp,
            plan: Arc::new(plan),
            summarizer: Summarizer::new(),
        })
    }

    /// Features of one utterance (allocating convenience: builds an extractor each call; use
    /// [`FeatureSet::extractor`] in loops).
    pub fn extract(&self, audio: &ser_io::Audio) -> Result<Vec<f32>> {
        self.extractor()?.extract(audio)
    }
}

/// Per-thread extractor: owns the ser-dsp extractor and the statistics buffers.
#[derive(Debug)]
pub struct FeatureExtractor {
    set: FeatureSet,
    dsp: ser_dsp::Extractor,
    plan: Arc<Plan>,
    summarizer: Summarizer,
}

/// Shortest input (in samples at the set's rate) handed to ser-dsp; shorter audio is zero-padded
/// at the end so that every descriptor has at least a few frames (64 ms).
const MIN_SAMPLES_MS: u32 = 64;

impl FeatureExtractor {
    pub fn names(&self) -> &[String] {
        &self.plan.names
    }

    pub fn feature_set(&self) -> &FeatureSet {
        &self.set
    }

    /// Features of one utterance; resamples first when `audio` is not at the set's rate.
    pub fn extract(&mut self, audio: &ser_io::Audio) -> Result<Vec<f32>> {
        let rate = self.set.sample_rate_hz();
        if audio.sample_rate_hz == rate {
            self.extract_samples(&audio.samples)
        } else {
            let s = ser_io::resample(&audio.samples, audio.sample_rate_hz, rate)?;
            self.extract_samples(&s)
        }
    }

    /// Features of samples already at the set's rate.
    pub fn extract_samples(&mut self, samples: &[f32]) -> Result<Vec<f32>> {
        let rate = self.set.sample_rate_hz();
        let min_len = (rate * MIN_SAMPLES_MS / 1000) as usize;
        let duration_s = samples.len() as f64 / f64::from(rate);
        let padded;
        let input: &[f32] = if samples.len() < min_len {
            let mut p = samples.to_vec();
            p.resize(min_len, 0.0);
            padded = p;
            &padded
        } else {
            samples
        };
        let lld = self.dsp.compute(input)?;
        let plan = Arc::clone(&self.plan);
        if lld.values.ncols() != plan.n_descriptors {
            return Err(Error::FeatureSet {
                name: self.set.name().to_string(),
                reason: format!(
                    "ser-dsp returned {} descriptor columns, expected {}",
                    lld.values.ncols(),
                    plan.n_descriptors
                ),
            });
        }
        let n_frames = lld.values.nrows();
        let deltas = if plan.delta_sources.is_empty() {
            None
        } else {
            Some(deltas_of(
                &lld.values,
                &plan.delta_sources,
                plan.delta_width,
            )?)
        };
        let voiced: Vec<bool> = if lld.voiced.len() == n_frames {
            lld.voiced.clone()
        } else {
            vec![false; n_frames]
        };
        let half = plan.delta_width / 2;
        let interior: Vec<bool> = (0..n_frames)
            .map(|i| {
                let lo = i.saturating_sub(half);
                let hi = (i + half).min(n_frames.saturating_sub(1));
                voiced[lo..=hi].iter().all(|&v| v)
            })
            .collect();
        let hop_s = if lld.hop_s.is_finite() && lld.hop_s > 0.0 {
            lld.hop_s
        } else {
            1.0 / f64::from(rate)
        };

        let mut out = Vec::with_capacity(plan.names.len());
        for item in &plan.items {
            let column = if item.track < plan.n_descriptors {
                lld.values.column(item.track)
            } else {
                match &deltas {
                    Some(d) => d.column(item.track - plan.n_descriptors),
                    None => lld.values.column(0), // unreachable: delta tracks imply deltas
                }
            };
            let mask = match item.mask {
                Mask::All => None,
                Mask::Voiced => Some(voiced.as_slice()),
                Mask::VoicedInterior => Some(interior.as_slice()),
            };
            let s = self
                .summarizer
                .summarize_column(column, hop_s, mask, &item.stats);
            out.extend(item.stats.iter().map(|&st| to_f32(s.get(st))));
        }
        for e in &plan.extras {
            let v = match e {
                ResolvedExtra::Voicing(x) => voicing_extra(x, &voiced, hop_s, duration_s),
                ResolvedExtra::Peaks(t) => {
                    let column = if *t < plan.n_descriptors {
                        lld.values.column(*t).to_vec()
                    } else {
                        deltas
                            .as_ref()
                            .map(|d| d.column(*t - plan.n_descriptors).to_vec())
                            .unwrap_or_default()
                    };
                    peaks_per_s(&column, duration_s)
                }
            };
            out.push(to_f32(v));
        }
        for v in &mut out {
            if !v.is_finite() {
                *v = 0.0;
            }
        }
        debug_assert_eq!(out.len(), plan.names.len());
        Ok(out)
    }
}

/// Deltas (order 1) of the selected columns; with fewer frames than the window the width shrinks
/// to the largest odd width that fits (zeros below 3 frames).
fn deltas_of(values: &Array2<f32>, sources: &[usize], width: usize) -> Result<Array2<f32>> {
    let n = values.nrows();
    let selected = values.select(Axis(1), sources);
    let w = if n >= width {
        width
    } else if n >= 3 {
        if n % 2 == 1 { n } else { n - 1 }
    } else {
        return Ok(Array2::zeros((n, sources.len())));
    };
    // Non-finite frame values would spread over the whole window; zero them for the delta.
    let clean = selected.mapv(|v| if v.is_finite() { v } else { 0.0 });
    Ok(ser_dsp::delta(clean.view(), w, 1)?)
}

fn runs(voiced: &[bool]) -> (Vec<usize>, Vec<usize>) {
    // (voiced run lengths, unvoiced run lengths between voiced runs)
    let mut v_runs = Vec::new();
    let mut u_runs = Vec::new();
    let mut i = 0;
    let n = voiced.len();
    while i < n {
        let start = i;
        let state = voiced[i];
        while i < n && voiced[i] == state {
            i += 1;
        }
        let len = i - start;
        if state {
            v_runs.push(len);
        } else if start > 0 && i < n {
            u_runs.push(len);
        }
    }
    (v_runs, u_runs)
}

fn voicing_extra(e: &Extra, voiced: &[bool], hop_s: f64, duration_s: f64) -> f64 {
    let (v_runs, u_runs) = runs(voiced);
    let mean_len = |r: &[usize]| {
        if r.is_empty() {
            0.0
        } else {
            r.iter().sum::<usize>() as f64 / r.len() as f64 * hop_s
        }
    };
    match e {
        Extra::VoicedFraction => {
            if voiced.is_empty() {
                0.0
            } else {
                voiced.iter().filter(|&&v| v).count() as f64 / voiced.len() as f64
            }
        }
        Extra::VoicedSegmentsPerS => {
            if duration_s > 0.0 {
                v_runs.len() as f64 / duration_s
            } else {
                0.0
            }
        }
        Extra::VoicedSegmentMeanS => mean_len(&v_runs),
        Extra::VoicedSegmentStdS => {
            if v_runs.is_empty() {
                0.0
            } else {
                let m = mean_len(&v_runs);
                let var = v_runs
                    .iter()
                    .map(|&l| (l as f64 * hop_s - m).powi(2))
                    .sum::<f64>()
                    / v_runs.len() as f64;
                var.sqrt()
            }
        }
        Extra::UnvoicedSegmentMeanS => mean_len(&u_runs),
        Extra::PeaksPerS { .. } => 0.0,
    }
}

fn peaks_per_s(track: &[f32], duration_s: f64) -> f64 {
    let x: Vec<f64> = track
        .iter()
        .map(|&v| if v.is_finite() { f64::from(v) } else { 0.0 })
        .collect();
    let n = x.len();
    if n < 3 || duration_s <= 0.0 {
        return 0.0;
    }
    let smooth: Vec<f64> = (0..n)
        .map(|i| {
            let lo = i.saturating_sub(2);
            let hi = (i + 2).min(n - 1);
            x[lo..=hi].iter().sum::<f64>() / (hi - lo + 1) as f64
        })
        .collect();
    let mean = smooth.iter().sum::<f64>() / n as f64;
    let peaks = (1..n - 1)
        .filter(|&i| smooth[i] > smooth[i - 1] && smooth[i] >= smooth[i + 1] && smooth[i] > mean)
        .count();
    peaks as f64 / duration_s
}

/// 64-bit FNV-1a (stable across platforms and Rust versions, unlike `DefaultHasher`).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob() {
        assert!(glob_match("*", "x"));
        assert!(glob_match("mfcc_*", "mfcc_3"));
        assert!(!glob_match("mfcc_*", "log_mfcc_3"));
        assert!(glob_match("*_delta", "mfcc_3_delta"));
        assert!(!glob_match("*_delta", "mfcc_3"));
        assert!(glob_match("mfcc_*_delta", "mfcc_3_delta"));
        assert!(glob_match("a*b*c", "aXbYc"));
        assert!(!glob_match("a*b*c", "aXcYb"));
        assert!(glob_match("f0_semitones", "f0_semitones"));
        assert!(!glob_match("ab*ba", "aba"));
    }

    #[test]
    fn voiced_runs() {
        let v = [false, true, true, false, false, true, false];
        let (vr, ur) = runs(&v);
        assert_eq!(vr, [2, 1]);
        assert_eq!(ur, [2]);
        assert_eq!(
            voicing_extra(&Extra::VoicedFraction, &v, 0.01, 0.07),
            3.0 / 7.0
        );
        assert!((voicing_extra(&Extra::VoicedSegmentsPerS, &v, 0.01, 0.5) - 4.0).abs() < 1e-12);
        assert!((voicing_extra(&Extra::UnvoicedSegmentMeanS, &v, 0.01, 0.5) - 0.02).abs() < 1e-12);
        assert_eq!(
            voicing_extra(&Extra::VoicedSegmentMeanS, &[], 0.01, 0.0),
            0.0
        );
    }

    #[test]
    fn peaks_count_syllable_like_bumps() {
        // 4 bumps in 1 s at 100 frames per second
        let x: Vec<f32> = (0..100)
            .map(|i| (i as f32 / 100.0 * 4.0 * std::f32::consts::TAU).sin())
            .collect();
        assert_eq!(peaks_per_s(&x, 1.0), 4.0);
        assert_eq!(peaks_per_s(&[1.0; 50], 0.5), 0.0);
    }

    #[test]
    fn sanitize_names() {
        assert_eq!(sanitize("delta zcr"), "delta_zcr");
        assert_eq!(sanitize("Spectral Centroid"), "spectral_centroid");
    }

    #[test]
    fn config_round_trips_through_toml() {
        for c in [
            FeatureSetConfig::default_set(),
            FeatureSetConfig::librosa(),
            FeatureSetConfig::pyaudioanalysis(),
        ] {
            let text = toml::to_string(&c).expect("serialise");
            let back: FeatureSetConfig = toml::from_str(&text).expect("parse");
            assert_eq!(back, c);
        }
    }
}
