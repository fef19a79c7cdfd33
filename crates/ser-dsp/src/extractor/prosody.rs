//! Prosody family: the pitch pass (YIN-style tracker, [`crate::pitch`]) that runs once per
//! utterance and is shared with the voice-quality family, and its descriptors: librosa's YIN F0
//! and the voiced F0 in semitones with the voicing probability.

use ndarray::Array2;

use super::{Family, Planner, Utterance, frame_at};
use crate::Result;
use crate::config::{Descriptor, PadMode, PitchConfig};
use crate::pitch::{PitchFrame, PitchTracker};

/// The pitch tracker of a set (its first pitch-based descriptor's parameters), its frame
/// buffers and the per-frame results of the current utterance.
pub(super) struct PitchPass {
    tracker: PitchTracker,
    /// Glottal pulses of voiced frames are wanted (jitter, shimmer).
    pulses: bool,
    /// Pitch frames (`tracker.frame_len`): frame t and t + 1 of one tracker call.
    buf: Vec<f64>,
    buf2: Vec<f64>,
    frames: Vec<PitchFrame>,
}

impl PitchPass {
    pub fn new(cfg: PitchConfig, pulses: bool, sample_rate_hz: u32) -> Result<Self> {
        let tracker = PitchTracker::new(cfg, sample_rate_hz)?;
        let n = tracker.frame_len;
        Ok(Self {
            tracker,
            pulses,
            buf: vec![0.0; n],
            buf2: vec![0.0; n],
            frames: Vec::new(),
        })
    }

    /// Per-frame results of the last [`PitchPass::run`].
    pub fn frames(&self) -> &[PitchFrame] {
        &self.frames
    }

    /// Pitch of the `n_frames` frames of `x` (frames of `frame_len` samples every `hop`,
    /// centred or not): each pitch frame is centred on its analysis frame. Returns the voicing
    /// decisions.
    pub fn run(
        &mut self,
        x: &[f64],
        n_frames: usize,
        hop: usize,
        frame_len: usize,
        center: bool,
    ) -> Vec<bool> {
        let tracker = &mut self.tracker;
        let n = tracker.frame_len;
        let centre_off = if center { 0 } else { (frame_len / 2) as isize };
        let start_of = |t: usize| (t * hop) as isize + centre_off - (n / 2) as isize;
        self.frames.clear();
        for t in (0..n_frames).step_by(2) {
            // two frames per FFT
            let y0 = frame_at(x, start_of(t), PadMode::Constant, &mut self.buf);
            let y1 = (t + 1 < n_frames)
                .then(|| frame_at(x, start_of(t + 1), PadMode::Constant, &mut self.buf2));
            let (p0, p1) = tracker.analyse_pair(y0, y1);
            self.frames.push(p0);
            self.frames.extend(p1);
        }
        let max_e = self.frames.iter().map(|p| p.energy).fold(0.0, f64::max);
        let floor = max_e * 10f64.powf(tracker.cfg.silence_db / 10.0);
        let (fmin, fmax, thr) = (
            tracker.cfg.fmin_hz,
            tracker.cfg.fmax_hz,
            tracker.cfg.voicing_threshold,
        );
        let voiced: Vec<bool> = self
            .frames
            .iter()
            .map(|p| {
                p.energy > 0.0
                    && p.energy >= floor
                    && p.aperiodicity < thr
                    && p.f0_hz >= fmin * 0.99
                    && p.f0_hz <= fmax * 1.01
            })
            .collect();
        if self.pulses {
            // glottal pulses only where they are used: voiced frames
            for (t, &v) in voiced.iter().enumerate() {
                if v {
                    let y = frame_at(x, start_of(t), PadMode::Constant, &mut self.buf);
                    self.frames[t].pulses = tracker.pulses(y, self.frames[t].f0_hz);
                }
            }
        }
        voiced
    }
}

enum Item {
    Yin,
    Pitch,
}

/// The F0 descriptors of a set, each with its first column.
#[derive(Default)]
pub(super) struct Prosody {
    items: Vec<(usize, Item)>,
}

impl Family for Prosody {
    fn plan(&mut self, d: &Descriptor, p: &mut Planner<'_>) -> Result<bool> {
        let col = p.n_columns();
        let item = match d {
            Descriptor::Yin(c) => {
                p.read_pitch(c);
                p.column("yin_f0_hz".into(), false);
                Item::Yin
            }
            Descriptor::Pitch(c) => {
                p.read_pitch(c);
                p.column("f0_semitones".into(), true);
                p.column("voicing_prob".into(), false);
                Item::Pitch
            }
            _ => return Ok(false),
        };
        self.items.push((col, item));
        Ok(true)
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn finish(&mut self, out: &mut Array2<f64>, u: &Utterance<'_>) {
        for (col, item) in &self.items {
            let col = *col;
            for (t, (p, &voiced)) in u.pitch.iter().zip(u.voiced).enumerate() {
                match item {
                    Item::Yin => out[(t, col)] = p.f0_hz,
                    Item::Pitch => {
                        out[(t, col)] = if voiced {
                            12.0 * (p.f0_hz / 27.5).log2()
                        } else {
                            0.0
                        };
                        out[(t, col + 1)] = if p.energy > 0.0 {
                            (1.0 - p.aperiodicity).clamp(0.0, 1.0)
                        } else {
                            0.0
                        };
                    }
                }
            }
        }
    }
}
