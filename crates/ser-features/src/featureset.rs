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
//! Built-in sets ([`FeatureSet::by_name`]): `pyaudioanalysis` (680), `librosa` (193),
//! `default` (see [`FeatureSetConfig::default_set`]) and `rich` (3797, in the spirit of openSMILE
//! ComParE: [`FeatureSetConfig::rich`]); see `docs/FEATURES.md`.
//! Custom sets come from TOML ([`FeatureSet::from_toml_file`]), for example:
//!
//! ```toml
//! name = "small"
//! sample_rate_hz = 16000          # default 16000
//! preset = "default"              # descriptors: a ser-dsp preset (default | librosa | pyaudioanalysis | rich) ...
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

use crate::stats::{Summariser, to_f32};
use crate::{Error, Result};

mod config;
mod plan;

pub use config::{
    DeltaSpec, Extra, FeatureSetConfig, Frames, RICH_BANDS, RICH_DELTA, RICH_LLD, SequenceSpec,
    StatGroup,
};
pub use plan::glob_match;
use plan::{Mask, Plan, ResolvedExtra};

/// Bump when the extraction code changes in a way that changes values for the same config;
/// it is part of the config hash, so cached tables are re-extracted.
pub const EXTRACTION_REVISION: u32 = 1;

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
        if let Some(seq) = &config.sequence {
            let ok = (1..=10_000).contains(&seq.window_frames)
                && (1..=10_000).contains(&seq.hop_frames)
                && (1..=1000).contains(&seq.n_windows);
            if !ok {
                return Err(Error::Param {
                    name: "feature_set.sequence",
                    expected:
                        "window_frames and hop_frames in 1 ..= 10000, n_windows in 1 ..= 1000"
                            .into(),
                    found: format!("{seq:?}"),
                });
            }
            if !config.statistics.is_empty() || !config.extras.is_empty() || config.deltas.is_some()
            {
                return Err(Error::FeatureSet {
                    name: config.name.clone(),
                    reason: "a sequence set has no statistics, extras or deltas (it keeps the \
                             frames themselves)"
                        .into(),
                });
            }
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

    /// A built-in set: `default`, `librosa`, `pyaudioanalysis`, `rich`, `logmel`.
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

    /// `(windows, frames, descriptors)` of a sequence set ([`SequenceSpec`]): the input shape a
    /// deep model trained on it must have. `None` for a statistics set.
    pub fn sequence_shape(&self) -> Option<[usize; 3]> {
        let seq = self.config.sequence?;
        let per_frame = self.names.len() / (seq.n_windows * seq.window_frames).max(1);
        Some([seq.n_windows, seq.window_frames, per_frame])
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
        let mut plan = Plan::build(&self.config, &lld.names, &lld.voiced_only)?;
        if let Some(seq) = &self.config.sequence {
            plan.names = sequence_names(seq, &lld.names);
        }
        Ok(FeatureExtractor {
            set: self.clone(),
            dsp,
            plan: Arc::new(plan),
            summariser: Summariser::new(),
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
    summariser: Summariser,
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

    /// The frame descriptors alone (ser-dsp's tracks, before deltas and statistics) of samples
    /// at the set's rate, padded as [`FeatureExtractor::extract_samples`] pads them.
    pub fn descriptors(&mut self, samples: &[f32]) -> Result<ser_dsp::Lld> {
        let rate = self.set.sample_rate_hz();
        let min_len = (rate * MIN_SAMPLES_MS / 1000) as usize;
        if samples.len() < min_len {
            let mut p = samples.to_vec();
            p.resize(min_len, 0.0);
            Ok(self.dsp.compute(&p)?)
        } else {
            Ok(self.dsp.compute(samples)?)
        }
    }

    /// Features of samples already at the set's rate.
    pub fn extract_samples(&mut self, samples: &[f32]) -> Result<Vec<f32>> {
        let rate = self.set.sample_rate_hz();
        let duration_s = samples.len() as f64 / f64::from(rate);
        let lld = self.descriptors(samples)?;
        let plan = Arc::clone(&self.plan);
        if let Some(seq) = self.set.config.sequence {
            let out = sequence_of(&seq, &lld.values);
            if out.len() != plan.names.len() {
                return Err(Error::FeatureSet {
                    name: self.set.name().to_string(),
                    reason: format!(
                        "sequence of {} values, expected {}",
                        out.len(),
                        plan.names.len()
                    ),
                });
            }
            return Ok(out);
        }
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
                .summariser
                .summarise_column(column, hop_s, mask, &item.stats);
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

/// Feature names of a sequence set: `seq_w<window>_t<frame>_<descriptor>`.
fn sequence_names(seq: &SequenceSpec, descriptors: &[String]) -> Vec<String> {
    let mut names = Vec::with_capacity(seq.n_windows * seq.window_frames * descriptors.len());
    for w in 0..seq.n_windows {
        for t in 0..seq.window_frames {
            for d in descriptors {
                names.push(format!("seq_w{w}_t{t}_{d}"));
            }
        }
    }
    names
}

/// The windows of a sequence set from frame descriptors `(frames, descriptors)`: centre-cropped
/// or padded at the end with the smallest finite value (non-finite values become it too).
fn sequence_of(seq: &SequenceSpec, values: &Array2<f32>) -> Vec<f32> {
    let (n, d) = values.dim();
    let floor = values
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f32::INFINITY, f32::min);
    let floor = if floor.is_finite() { floor } else { 0.0 };
    let span = seq.span_frames();
    let start = n.saturating_sub(span) / 2;
    let mut out = Vec::with_capacity(seq.n_windows * seq.window_frames * d);
    for w in 0..seq.n_windows {
        for t in 0..seq.window_frames {
            let frame = start + w * seq.hop_frames + t;
            if frame < n {
                out.extend(
                    values
                        .row(frame)
                        .iter()
                        .map(|&v| if v.is_finite() { v } else { floor }),
                );
            } else {
                out.extend(std::iter::repeat_n(floor, d));
            }
        }
    }
    out
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
    use super::plan::sanitise;
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
    fn sanitise_names() {
        assert_eq!(sanitise("delta zcr"), "delta_zcr");
        assert_eq!(sanitise("Spectral Centroid"), "spectral_centroid");
    }

    #[test]
    fn sequence_windows_crop_pad_and_name() {
        let seq = SequenceSpec {
            window_frames: 2,
            hop_frames: 1,
            n_windows: 3,
        };
        // 6 frames, 1 descriptor: span 4 → centre crop starts at frame 1.
        let v = Array2::from_shape_fn((6, 1), |(i, _)| i as f32);
        assert_eq!(sequence_of(&seq, &v), [1.0, 2.0, 2.0, 3.0, 3.0, 4.0]);
        // 3 frames: padded at the end with the smallest value.
        let v = Array2::from_shape_fn((3, 1), |(i, _)| 5.0 + i as f32);
        assert_eq!(sequence_of(&seq, &v), [5.0, 6.0, 6.0, 7.0, 7.0, 5.0]);
        let names = sequence_names(&seq, &["a".into(), "b".into()]);
        assert_eq!(names.len(), 12);
        assert_eq!(names[3], "seq_w0_t1_b");
    }

    #[test]
    fn logmel_is_a_sequence_set_of_the_deep_models_default_shape() {
        let set = FeatureSet::by_name("logmel").expect("logmel");
        assert_eq!(set.sequence_shape(), Some([4, 48, 64]));
        assert_eq!(set.len(), 4 * 48 * 64);
        let samples: Vec<f32> = (0..16_000).map(|i| (i as f32 * 0.05).sin() * 0.1).collect();
        let x = set
            .extractor()
            .expect("extractor")
            .extract_samples(&samples)
            .expect("extract");
        assert_eq!(x.len(), set.len());
        assert!(x.iter().all(|v| v.is_finite()));
        // 1 s of audio fills 51 of the 120 frames: the last window is padding, constant.
        let last = &x[3 * 48 * 64..];
        assert!(last.iter().all(|&v| v == last[0]));
        // Statistics sets keep their hash: `sequence` is not serialised when absent.
        let json = serde_json::to_string(&FeatureSetConfig::default_set()).expect("json");
        assert!(!json.contains("sequence"));
    }

    #[test]
    fn config_round_trips_through_toml() {
        for c in [
            FeatureSetConfig::logmel(),
            FeatureSetConfig::default_set(),
            FeatureSetConfig::librosa(),
            FeatureSetConfig::pyaudioanalysis(),
            FeatureSetConfig::rich(),
        ] {
            let text = toml::to_string(&c).expect("serialise");
            let back: FeatureSetConfig = toml::from_str(&text).expect("parse");
            assert_eq!(back, c);
        }
    }
}
