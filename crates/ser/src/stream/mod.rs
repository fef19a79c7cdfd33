//! The streaming recogniser: audio chunks of any size at any rate in, `{start_s, end_s, emotion,
//! probabilities}` out, with bounded memory and the same output whatever the chunk sizes.
//!
//! ```text
//! push(chunk) ─ StreamResampler (fixed blocks, state carried) ─ frames of frame_ms ─ Vad
//!   ─ segment state (onset after min_speech_ms, end after hangover_ms, pre/post-roll)
//!   ─ sliding windows or whole segments ─ Predictor::predict_samples ─ smoothing ─ Segment
//! ```
//!
//! Every decision is taken on whole VAD frames of the resampled signal at fixed positions, and the
//! resampler works in fixed blocks, so cutting the input differently changes nothing. Only the
//! audio a result can still need is kept ([`StreamConfig::max_kept_samples`]).
//! Features and the model are the ones [`crate::predict::predict`] uses: a segment is classified
//! exactly as a file holding the same samples would be.

mod config;
pub mod vad;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use ser_features::FeatureExtractor;
use serde::{Deserialize, Serialize};

pub use config::{EmitMode, StreamConfig};
use vad::Vad;

use crate::predict::Predictor;
use crate::{Error, Result};

/// One result: a stretch of the stream, its emotion and the probability of every label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// Start, seconds from the start of the stream.
    pub start_s: f64,
    /// End, seconds from the start of the stream.
    pub end_s: f64,
    /// The emotion (the most probable label, after smoothing).
    pub emotion: String,
    /// Probability per label of the model (empty for a model without probabilities).
    pub probabilities: BTreeMap<String, f32>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// No speech; `run` consecutive speech frames so far, the first starting at `run_start`.
    Idle { run: usize, run_start: u64 },
    /// In a speech segment.
    Speech {
        /// First sample of the segment (pre-roll included) or of its current piece.
        start: u64,
        /// First speech frame (for `min_segment_ms`).
        speech_start: u64,
        /// End of the last speech frame.
        last_speech_end: u64,
        /// End of the next sliding window.
        next_window_end: u64,
        /// End of the last window emitted in this segment (0: none).
        emitted_end: u64,
    },
}

/// The streaming recogniser, built once per stream (planner style: FFT plan, resampler, buffers
/// made here, reused for every chunk).
pub struct Recogniser {
    predictor: Arc<Predictor>,
    cfg: config::Checked,
    input_rate_hz: u32,
    resampler: ser_io::StreamResampler,
    resampled: Vec<f32>,
    vad: Vad,
    slot: Option<FeatureExtractor>,
    /// Samples at the model's rate from absolute index `buf_start`.
    buf: Vec<f32>,
    buf_start: u64,
    /// Samples passed through the VAD (absolute index of the next frame's first sample).
    framed: u64,
    /// End of the last segment emitted (the next one's pre-roll stops there).
    last_end: u64,
    state: State,
    smoothed: Option<Vec<f32>>,
    /// The span of the last result (absolute samples).
    last_span: Option<(u64, u64)>,
    out: Vec<Segment>,
}

impl std::fmt::Debug for Recogniser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recogniser")
            .field("input_rate_hz", &self.input_rate_hz)
            .field("rate_hz", &self.cfg.rate_hz)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Recogniser {
    /// A recogniser for a stream of mono samples at `input_rate_hz`, classifying with
    /// `predictor`'s model and feature set (whose rate the audio is resampled to).
    pub fn new(
        predictor: Arc<Predictor>,
        config: &StreamConfig,
        input_rate_hz: u32,
    ) -> Result<Recogniser> {
        let rate_hz = predictor.feature_set().sample_rate_hz();
        let cfg = config.checked(rate_hz)?;
        let resampler =
            ser_io::StreamResampler::new(input_rate_hz, rate_hz).map_err(|e| Error::Param {
                name: "input_rate_hz",
                expected: format!("1..={} Hz", ser_io::MAX_SAMPLE_RATE_HZ),
                found: format!("{input_rate_hz} Hz ({e})"),
            })?;
        let vad = Vad::new(&cfg);
        let capacity = 2 * config.max_kept_samples(rate_hz) as usize + cfg.frame;
        Ok(Recogniser {
            predictor,
            input_rate_hz,
            resampler,
            resampled: Vec::new(),
            vad,
            slot: None,
            buf: Vec::with_capacity(capacity),
            buf_start: 0,
            framed: 0,
            last_end: 0,
            state: State::Idle {
                run: 0,
                run_start: 0,
            },
            smoothed: None,
            last_span: None,
            out: Vec::new(),
            cfg,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &StreamConfig {
        &self.cfg.config
    }

    /// The input rate, Hz.
    pub fn input_rate_hz(&self) -> u32 {
        self.input_rate_hz
    }

    /// The model's labels (the keys of every [`Segment::probabilities`]).
    pub fn labels(&self) -> &[String] {
        &self.predictor.model().pipeline.labels
    }

    /// Seconds of stream analysed so far (at the model's rate, after the resampler's delay).
    pub fn position_s(&self) -> f64 {
        (self.buf_start + self.buf.len() as u64) as f64 / f64::from(self.cfg.rate_hz)
    }

    /// Samples held now (the memory that grows with audio; bounded, see
    /// [`StreamConfig::max_kept_samples`]).
    pub fn kept_samples(&self) -> usize {
        self.buf.len()
    }

    /// Bytes allocated for audio by the recogniser's own buffers (their capacities).
    pub fn buffer_bytes(&self) -> usize {
        (self.buf.capacity() + self.resampled.capacity()) * std::mem::size_of::<f32>()
    }

    /// Algorithmic delay of the resampler, seconds (0 when the input is at the model's rate):
    /// how long an input sample can wait before the recogniser sees it.
    pub fn resampler_latency_s(&self) -> f64 {
        self.resampler.latency_s()
    }

    /// Takes the next piece of the stream (mono, in [-1, 1], at the input rate) and returns the
    /// results completed by it. Non-finite samples are an error naming how many (the chunk is
    /// then ignored and the stream can go on).
    pub fn push(&mut self, chunk: &[f32]) -> Result<Vec<Segment>> {
        if let Some(i) = chunk.iter().position(|x| !x.is_finite()) {
            let n = chunk.iter().filter(|x| !x.is_finite()).count();
            return Err(Error::Input(format!(
                "audio chunk of {} samples holds {n} NaN or infinite samples (the first at \
                 index {i}); samples must be finite, in [-1, 1]",
                chunk.len()
            )));
        }
        let mut resampled = std::mem::take(&mut self.resampled);
        resampled.clear();
        self.resampler.push(chunk, &mut resampled)?;
        let r = self.feed(&resampled);
        self.resampled = resampled;
        r?;
        Ok(std::mem::take(&mut self.out))
    }

    /// Ends the stream: flushes the resampler, closes an open segment and returns the last
    /// results. The recogniser is then ready for a new stream (time starts again at 0).
    pub fn finish(&mut self) -> Result<Vec<Segment>> {
        let mut resampled = std::mem::take(&mut self.resampled);
        resampled.clear();
        self.resampler.finish(&mut resampled)?;
        let r = self.feed(&resampled);
        self.resampled = resampled;
        r?;
        // The stream ends at the last sample received (a partial frame included).
        let stream_end = self.buf_start + self.buf.len() as u64;
        if let State::Speech { .. } = self.state {
            self.close(stream_end)?;
        }
        let out = std::mem::take(&mut self.out);
        self.buf.clear();
        self.buf_start = 0;
        self.framed = 0;
        self.last_end = 0;
        self.state = State::Idle {
            run: 0,
            run_start: 0,
        };
        self.smoothed = None;
        self.last_span = None;
        self.vad.reset();
        Ok(out)
    }

    /// Appends resampled samples and runs every whole frame through the VAD and the segment
    /// state.
    fn feed(&mut self, samples: &[f32]) -> Result<()> {
        let frame = self.cfg.frame;
        let mut rest = samples;
        while !rest.is_empty() {
            let end = self.buf_start + self.buf.len() as u64;
            let missing = (self.framed + frame as u64 - end) as usize;
            let take = missing.min(rest.len());
            self.buf.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if take == missing {
                self.frame_done()?;
            }
        }
        Ok(())
    }

    /// One VAD frame `[framed, framed + frame)` is complete in `buf`.
    fn frame_done(&mut self) -> Result<()> {
        let frame = self.cfg.frame as u64;
        let f0 = self.framed;
        let f1 = f0 + frame;
        let lo = (f0 - self.buf_start) as usize;
        let speech = self.vad.is_speech(&self.buf[lo..lo + frame as usize]);
        self.framed = f1;
        let c = &self.cfg;
        match self.state {
            State::Idle { run, run_start } => {
                if speech {
                    let run_start = if run == 0 { f0 } else { run_start };
                    let run = run + 1;
                    if run >= c.min_speech_frames {
                        let start = run_start
                            .saturating_sub(c.pre_roll)
                            .max(self.last_end)
                            .max(self.buf_start);
                        self.smoothed = None;
                        self.state = State::Speech {
                            start,
                            speech_start: run_start,
                            last_speech_end: f1,
                            next_window_end: start + c.window,
                            emitted_end: 0,
                        };
                    } else {
                        self.state = State::Idle { run, run_start };
                    }
                } else {
                    self.state = State::Idle {
                        run: 0,
                        run_start: 0,
                    };
                }
            }
            State::Speech {
                ref mut last_speech_end,
                ..
            } => {
                if speech {
                    *last_speech_end = f1;
                }
                let last = *last_speech_end;
                if f1 - last >= c.hangover {
                    self.close(f1)?;
                } else {
                    self.emit_ready(f1)?;
                }
            }
        }
        self.compact();
        Ok(())
    }

    /// Emits what is due while a segment goes on, up to stream position `now`.
    fn emit_ready(&mut self, now: u64) -> Result<()> {
        let State::Speech {
            start,
            speech_start,
            last_speech_end,
            next_window_end,
            emitted_end,
        } = self.state
        else {
            return Ok(());
        };
        let (mode, window, hop, post_roll, max_segment) = (
            self.cfg.config.mode,
            self.cfg.window,
            self.cfg.hop,
            self.cfg.post_roll,
            self.cfg.max_segment,
        );
        match mode {
            EmitMode::Sliding => {
                // A window ends at most post_roll after the last speech known: during a pause
                // the due windows wait (and are emitted if speech resumes).
                let limit = now.min(last_speech_end + post_roll);
                let (mut end, mut emitted) = (next_window_end, emitted_end);
                while end <= limit {
                    let from = end.saturating_sub(window).max(start);
                    self.classify(from, end)?;
                    emitted = end;
                    end += hop;
                }
                self.state = State::Speech {
                    start,
                    speech_start,
                    last_speech_end,
                    next_window_end: end,
                    emitted_end: emitted,
                };
            }
            EmitMode::Segment => {
                // As for windows: a piece ends at most post_roll after the last speech known.
                let limit = now.min(last_speech_end + post_roll);
                let mut start = start;
                while start + max_segment <= limit {
                    let end = start + max_segment;
                    self.classify(start, end)?;
                    self.state = State::Speech {
                        start: end,
                        speech_start: end,
                        last_speech_end,
                        next_window_end: end + window,
                        emitted_end: end,
                    };
                    start = end;
                }
            }
        }
        Ok(())
    }

    /// Ends the segment at stream position `now`: its audio runs to `post_roll` after the last
    /// speech frame (at most `now`).
    fn close(&mut self, now: u64) -> Result<()> {
        let State::Speech {
            last_speech_end, ..
        } = self.state
        else {
            return Ok(());
        };
        let end = (last_speech_end + self.cfg.post_roll).min(now);
        // Emit the windows (or the pieces) due before the end, then the tail.
        self.emit_ready(end)?;
        let State::Speech {
            start,
            speech_start,
            emitted_end,
            ..
        } = self.state
        else {
            return Ok(());
        };
        let c = &self.cfg;
        let long_enough = last_speech_end.saturating_sub(speech_start) >= c.min_segment;
        let from = match c.config.mode {
            EmitMode::Sliding => end.saturating_sub(c.window).max(start),
            EmitMode::Segment => start,
        };
        // The shortest audio classified: min_segment_ms, and never under the feature
        // extractor's minimum duration (0.1 s).
        let shortest = c.min_segment.max(u64::from(c.rate_hz) / 10);
        if end > emitted_end && (long_enough || emitted_end > 0) && end >= from + shortest {
            self.classify(from, end)?;
        }
        self.last_end = end;
        self.state = State::Idle {
            run: 0,
            run_start: 0,
        };
        self.smoothed = None;
        Ok(())
    }

    /// Classifies samples `[from, to)` (absolute indices, held in `buf`) and queues the result.
    ///
    /// Digital silence (samples exactly 0) at either end is left out first: it is an absence of
    /// signal (a muted input, padding between recordings), not a room's background, and frames
    /// of it would skew the global statistics the model sees (a recording padded with 0.1 s of
    /// zeros can change label in `predict` too). The span reported is the one classified; a
    /// span with less than 0.1 s left gives no result.
    fn classify(&mut self, from: u64, to: u64) -> Result<()> {
        // Within the samples held (always so by construction; clamped so that a slip can only
        // shorten a result, never index outside the buffer).
        let held_end = self.buf_start + self.buf.len() as u64;
        debug_assert!(self.buf_start <= from && from <= to && to <= held_end);
        let from = from.clamp(self.buf_start, held_end);
        let to = to.clamp(from, held_end);
        let mut lo = (from - self.buf_start) as usize;
        let mut hi = (to - self.buf_start) as usize;
        while lo < hi && self.buf[lo] == 0.0 {
            lo += 1;
        }
        while hi > lo && self.buf[hi - 1] == 0.0 {
            hi -= 1;
        }
        if ((hi - lo) as u64) < u64::from(self.cfg.rate_hz) / 10 {
            return Ok(());
        }
        let (from, to) = (self.buf_start + lo as u64, self.buf_start + hi as u64);
        // Once trimmed, a segment's tail window can end where the last result ended: it would
        // add nothing new.
        if self.last_span.is_some_and(|(_, last_to)| to <= last_to) {
            return Ok(());
        }
        self.last_span = Some((from, to));
        let (label, proba) = self.predictor.predict_samples(
            &mut self.slot,
            &self.buf[lo..hi],
            Path::new("<stream>"),
            &self.cfg.config.speaker,
        )?;
        let labels = &self.predictor.model().pipeline.labels;
        let (emotion, probabilities) = match proba {
            Some(mut p) => {
                let a = self.cfg.config.smoothing as f32;
                if let Some(prev) = &self.smoothed
                    && a > 0.0
                    && prev.len() == p.len()
                {
                    for (x, &q) in p.iter_mut().zip(prev) {
                        *x = a * q + (1.0 - a) * *x;
                    }
                }
                let best = p
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map(|(i, _)| i);
                let emotion = match (a > 0.0, best) {
                    (true, Some(i)) => labels.get(i).cloned().unwrap_or(label),
                    _ => label,
                };
                let map = labels.iter().cloned().zip(p.iter().copied()).collect();
                self.smoothed = Some(p);
                (emotion, map)
            }
            None => (label, BTreeMap::new()),
        };
        let rate = f64::from(self.cfg.rate_hz);
        self.out.push(Segment {
            start_s: from as f64 / rate,
            end_s: to as f64 / rate,
            emotion,
            probabilities,
        });
        Ok(())
    }

    /// Drops audio no result can need any more (amortised: only once half the buffer is dead).
    fn compact(&mut self) {
        let c = &self.cfg;
        let keep_from = match self.state {
            State::Idle { run, run_start } => {
                let onset = if run > 0 { run_start } else { self.framed };
                onset.saturating_sub(c.pre_roll)
            }
            State::Speech {
                start,
                next_window_end,
                ..
            } => match c.config.mode {
                // The next window, and the last one should the segment close now.
                EmitMode::Sliding => start.max(
                    next_window_end.saturating_sub(c.window).min(
                        self.framed
                            .saturating_sub(c.window + c.hangover + c.frame as u64),
                    ),
                ),
                EmitMode::Segment => start,
            },
        }
        .max(self.buf_start)
        .min(self.framed);
        let dead = (keep_from - self.buf_start) as usize;
        if dead > 0 && dead >= self.buf.len() / 2 {
            self.buf.drain(..dead);
            self.buf_start = keep_from;
        }
    }
}
