//! [`StreamConfig`]: the streaming recogniser's parameters, with their defaults and ranges.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// What the recogniser emits over a speech segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum EmitMode {
    /// Every `hop_s` while speech goes on, a result over the last `window_s` of it (shorter at a
    /// segment's start), and one over the segment's last `window_s` when it ends: live feedback.
    #[default]
    Sliding,
    /// One result per speech segment, over the whole segment, when it ends; speech longer than
    /// `max_segment_s` is cut into pieces of that length (each its own result).
    Segment,
}

/// Parameters of the streaming recogniser ([`super::Recogniser`]). Plain serde struct (missing
/// keys take their defaults); [`StreamConfig::check`] validates it.
///
/// | name | default | unit | range | meaning |
/// |---|---|---|---|---|
/// | `frame_ms` | 20 | ms | 5–100 | voice-activity frame (non-overlapping, on the resampled signal) |
/// | `snr_db` | 10 | dB | 0–60 | a speech frame is this far above the adaptive noise floor |
/// | `min_level_dbfs` | −55 | dBFS | −120–0 | frames quieter than this are never speech |
/// | `max_flatness` | 0.4 | – | 0–1 | frames with a flatter spectrum (100 Hz–4 kHz; white noise ≈ 0.56) are not speech |
/// | `noise_rise_db_per_s` | 3 | dB/s | 0–100 | how fast the noise floor may rise during speech (it falls at once) |
/// | `noise_adapt_s` | 0.5 | s | 0.01–60 | time constant of the floor following non-speech frames |
/// | `min_speech_ms` | 60 | ms | 0–2000 | consecutive speech frames that start a segment |
/// | `hangover_ms` | 400 | ms | 0–5000 | non-speech that ends a segment |
/// | `pre_roll_ms` | 100 | ms | 0–2000 | audio kept before the first speech frame |
/// | `post_roll_ms` | 100 | ms | 0–`hangover_ms` | audio kept after the last speech frame |
/// | `min_segment_ms` | 250 | ms | 0–10000 | speech shorter than this (first to last speech frame) emits nothing |
/// | `mode` | `sliding` | – | `sliding`, `segment` | see [`EmitMode`] |
/// | `window_s` | 2.0 | s | 0.25–60 | sliding window length |
/// | `hop_s` | 0.5 | s | 0.05–`window_s` | sliding window step |
/// | `max_segment_s` | 10 | s | 0.5–120 | longest piece classified at once in `segment` mode |
/// | `smoothing` | 0 | – | 0–0.99 | weight of the previous probabilities within a segment (exponential moving average; 0: off) |
/// | `speaker` | `stream` | – | – | speaker id given to per-speaker models |
///
/// Pre- and post-roll guard soft onsets and endings the detector misses, but they also add
/// non-speech to what the model sees, and models on global statistics (minima, percentiles) react
/// to that: on 7 EMO-DB files with white noise between them, the label of the file alone was kept
/// by 7, 6, 6 and 2 segments with rolls of 0, 50, 100 and 200 ms (`crates/ser/tests/stream.rs`).
/// Hence the short default.
///
/// Memory is bounded by the longest audio kept: `pre_roll_ms + max(window_s, max_segment_s) +
/// hangover_ms` of samples at the model's rate, however long the stream runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StreamConfig {
    pub frame_ms: f64,
    pub snr_db: f64,
    pub min_level_dbfs: f64,
    pub max_flatness: f64,
    pub noise_rise_db_per_s: f64,
    pub noise_adapt_s: f64,
    pub min_speech_ms: f64,
    pub hangover_ms: f64,
    pub pre_roll_ms: f64,
    pub post_roll_ms: f64,
    pub min_segment_ms: f64,
    pub mode: EmitMode,
    pub window_s: f64,
    pub hop_s: f64,
    pub max_segment_s: f64,
    pub smoothing: f64,
    pub speaker: String,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            frame_ms: 20.0,
            snr_db: 10.0,
            min_level_dbfs: -55.0,
            max_flatness: 0.4,
            noise_rise_db_per_s: 3.0,
            noise_adapt_s: 0.5,
            min_speech_ms: 60.0,
            hangover_ms: 400.0,
            pre_roll_ms: 100.0,
            post_roll_ms: 100.0,
            min_segment_ms: 250.0,
            mode: EmitMode::Sliding,
            window_s: 2.0,
            hop_s: 0.5,
            max_segment_s: 10.0,
            smoothing: 0.0,
            speaker: "stream".into(),
        }
    }
}

/// A [`StreamConfig`] whose values were checked, in samples of one rate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Checked {
    pub config: StreamConfig,
    pub rate_hz: u32,
    pub frame: usize,
    pub min_speech_frames: usize,
    pub hangover: u64,
    pub pre_roll: u64,
    pub post_roll: u64,
    pub min_segment: u64,
    pub window: u64,
    pub hop: u64,
    pub max_segment: u64,
}

fn range(name: &'static str, v: f64, lo: f64, hi: f64, unit: &str) -> Result<()> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(Error::Param {
            name,
            expected: format!("{lo}..={hi}{unit}"),
            found: format!("{v}{unit}"),
        })
    }
}

impl StreamConfig {
    /// Parses TOML text (`origin` names it in errors); missing keys take their defaults.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| Error::config(origin, e))
    }

    /// Reads and parses a TOML file of stream parameters.
    pub fn from_toml_file(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            action: "reading stream config",
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml_str(&text, &path.display().to_string())
    }

    /// Checks every value against its range (the table above); the first bad one is the error.
    pub fn check(&self) -> Result<()> {
        range("frame_ms", self.frame_ms, 5.0, 100.0, " ms")?;
        range("snr_db", self.snr_db, 0.0, 60.0, " dB")?;
        range("min_level_dbfs", self.min_level_dbfs, -120.0, 0.0, " dBFS")?;
        range("max_flatness", self.max_flatness, 0.0, 1.0, "")?;
        range(
            "noise_rise_db_per_s",
            self.noise_rise_db_per_s,
            0.0,
            100.0,
            " dB/s",
        )?;
        range("noise_adapt_s", self.noise_adapt_s, 0.01, 60.0, " s")?;
        range("min_speech_ms", self.min_speech_ms, 0.0, 2000.0, " ms")?;
        range("hangover_ms", self.hangover_ms, 0.0, 5000.0, " ms")?;
        range("pre_roll_ms", self.pre_roll_ms, 0.0, 2000.0, " ms")?;
        range(
            "post_roll_ms",
            self.post_roll_ms,
            0.0,
            self.hangover_ms.max(0.0),
            " ms (at most hangover_ms: the audio after speech is only known that long)",
        )?;
        range("min_segment_ms", self.min_segment_ms, 0.0, 10_000.0, " ms")?;
        range("window_s", self.window_s, 0.25, 60.0, " s")?;
        range(
            "hop_s",
            self.hop_s,
            0.05,
            self.window_s.max(0.05),
            " s (at most window_s)",
        )?;
        range("max_segment_s", self.max_segment_s, 0.5, 120.0, " s")?;
        range("smoothing", self.smoothing, 0.0, 0.99, "")?;
        Ok(())
    }

    /// Checks, then converts the durations to samples at `rate_hz`.
    pub(crate) fn checked(&self, rate_hz: u32) -> Result<Checked> {
        self.check()?;
        let r = f64::from(rate_hz);
        let samples = |ms: f64| (ms * r / 1000.0).round() as u64;
        let frame = samples(self.frame_ms).max(1) as usize;
        Ok(Checked {
            config: self.clone(),
            rate_hz,
            frame,
            min_speech_frames: ((self.min_speech_ms / self.frame_ms).ceil() as usize).max(1),
            hangover: samples(self.hangover_ms),
            pre_roll: samples(self.pre_roll_ms),
            post_roll: samples(self.post_roll_ms),
            min_segment: samples(self.min_segment_ms),
            window: samples(self.window_s * 1000.0),
            hop: samples(self.hop_s * 1000.0).max(1),
            max_segment: samples(self.max_segment_s * 1000.0),
        })
    }

    /// Most samples the recogniser keeps at `rate_hz` (its memory bound, besides fixed buffers).
    pub fn max_kept_samples(&self, rate_hz: u32) -> u64 {
        let r = f64::from(rate_hz);
        let longest = match self.mode {
            EmitMode::Sliding => self.window_s + self.hop_s,
            EmitMode::Segment => self.max_segment_s,
        };
        ((self.pre_roll_ms + self.hangover_ms + 2.0 * self.frame_ms + self.min_speech_ms) / 1000.0
            * r
            + longest * r)
            .ceil() as u64
    }
}
