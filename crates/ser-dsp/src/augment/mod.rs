//! Data augmentation: pure, seeded transforms of a mono signal (no file IO).
//!
//! An [`AugmentConfig`] lists [`Augmentation`] steps (serde, tagged by `kind`), applied in order
//! ([`Select::All`]) or one drawn per seed ([`Select::OneOf`]). [`AugmentConfig::check`] validates
//! every parameter into an [`AugmentSet`]; [`AugmentSet::augmenter`] plans an [`Augmenter`] for a
//! sample rate (FFT plans, windows, resampling tables, buffers), which is then reused for every
//! utterance on a thread: [`Augmenter::apply`] / [`Augmenter::apply_into`].
//!
//! Determinism: the output depends only on the input samples, the seed, `others` and the
//! configuration; the same call gives the same output bit for bit (on one build and CPU: FFT
//! code paths are chosen per CPU). Every step draws from its own stream of the seed
//! ([`rng`]: SplitMix64, written here instead of depending on `rand`, see there), so adding a step
//! never changes what the steps before it draw.
//!
//! Output: finite; after the last step, if the peak `max |y|` exceeds 1 the [`Overflow`] policy
//! applies (default: the whole output is scaled by `1 / peak`, keeping its shape; or hard
//! clipping to [-1, 1]). So gain can push a quiet file up to full scale but never past it.
//!
//! Formulas, units and parameters of each transform: `docs/FEATURES.md`, section "Augmentation".

mod noise;
mod resample;
mod reverb;
pub(crate) mod rng;
mod vocoder;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};
use rng::SplitMix64;

/// A parameter value: fixed, drawn from a set, or drawn uniformly from a range (per seed).
///
/// In TOML: `snr_db = 10`, `semitones = [-2, -1, 1, 2]`, `snr_db = {min = 5, max = 20}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Draw {
    /// Always this value.
    Fixed(f64),
    /// One of these values, each equally likely.
    OneOf(Vec<f64>),
    /// Uniform in `[min, max]`.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound (>= min).
        max: f64,
    },
}

impl Draw {
    fn sample(&self, rng: &mut SplitMix64) -> f64 {
        match self {
            Draw::Fixed(v) => *v,
            Draw::OneOf(vs) => vs[rng.below(vs.len())],
            Draw::Uniform { min, max } => min + (max - min) * rng.uniform(),
        }
    }

    /// Every value this can produce lies in `[lo, hi]` and is finite; sets are not empty.
    fn check(&self, name: &'static str, lo: f64, hi: f64, unit: &str) -> Result<()> {
        let expected = || {
            format!("values in [{lo}, {hi}] {unit}")
                .trim_end()
                .to_string()
        };
        let bad = |found: String| Error::Param {
            name,
            expected: expected(),
            found,
        };
        let ok = |v: f64| v.is_finite() && (lo..=hi).contains(&v);
        match self {
            Draw::Fixed(v) if !ok(*v) => Err(bad(v.to_string())),
            Draw::OneOf(vs) if vs.is_empty() => Err(Error::Param {
                name,
                expected: format!("a non-empty set of {}", expected()),
                found: "[]".into(),
            }),
            Draw::OneOf(vs) => match vs.iter().find(|v| !ok(**v)) {
                Some(v) => Err(bad(format!("{v} in {vs:?}"))),
                None => Ok(()),
            },
            Draw::Uniform { min, max } if !(ok(*min) && ok(*max) && min <= max) => {
                Err(Error::Param {
                    name,
                    expected: format!("min <= max, both {}", expected()),
                    found: format!("min {min} max {max}"),
                })
            }
            _ => Ok(()),
        }
    }
}

/// Colour of synthetic additive noise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NoiseColor {
    /// Flat power spectrum.
    #[default]
    White,
    /// Power falling 3 dB per octave (1/f).
    Pink,
}

/// What fills the samples vacated by a time shift.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ShiftFill {
    /// Zeros (the shifted-out samples are lost).
    #[default]
    Zeros,
    /// The shifted-out samples come back at the other end (circular shift).
    Roll,
}

/// One augmentation transform. Parameters (all have defaults):
///
/// | kind | name | default | unit | range |
/// |---|---|---|---|---|
/// | `noise` | `snr_db` | 10 | dB | [-10, 60] |
/// | `noise` | `color` | `white` | | white, pink |
/// | `babble` | `snr_db` | 10 | dB | [-10, 60] |
/// | `babble` | `talkers` | 4 | utterances | 1 ..= 16 |
/// | `gain` | `db` | `{min = -6, max = 6}` | dB | [-40, 40] |
/// | `time_shift` | `max_s` | 0.1 | s | [0, 10] |
/// | `time_shift` | `fill` | `zeros` | | zeros, roll |
/// | `pitch_shift` | `semitones` | `[-2, -1, 1, 2]` | semitones | [-12, 12] |
/// | `time_stretch` | `rate` | `{min = 0.9, max = 1.1}` | tempo factor | [0.5, 2] |
/// | `speed` | `factor` | `[0.9, 1.0, 1.1]` | speed factor | [0.5, 2] |
/// | `reverb` | `rt60_s` | `{min = 0.2, max = 0.8}` | s | [0.05, 3] |
/// | `reverb` | `drr_db` | 0 | dB | [-20, 20] |
///
/// Every numeric parameter except `talkers` and `max_s` is a [`Draw`]: a number, a set or a
/// range, drawn per seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Augmentation {
    /// Additive synthetic noise at `snr_db` (mean power of the signal over mean power of the
    /// noise, whole utterance).
    Noise {
        /// Signal-to-noise ratio (dB).
        #[serde(default = "default_snr")]
        snr_db: Draw,
        /// Noise colour.
        #[serde(default)]
        color: NoiseColor,
    },
    /// Babble: the sum of `talkers` other utterances (passed to [`Augmenter::apply`] as
    /// `others`; the caller passes training utterances only), each at a random offset, looped
    /// to the signal's length and normalised to unit RMS, added at `snr_db`.
    Babble {
        /// Signal-to-noise ratio (dB).
        #[serde(default = "default_snr")]
        snr_db: Draw,
        /// Number of utterances summed (drawn with replacement from `others`).
        #[serde(default = "default_talkers")]
        talkers: usize,
    },
    /// Gain: `y = x 10^(db / 20)`.
    Gain {
        /// Gain (dB).
        #[serde(default = "default_gain")]
        db: Draw,
    },
    /// Time shift by a whole number of samples drawn uniformly in `[-max_s, max_s]` (positive:
    /// later); length kept.
    TimeShift {
        /// Largest shift (seconds).
        #[serde(default = "default_max_shift")]
        max_s: f64,
        /// What fills the vacated samples.
        #[serde(default)]
        fill: ShiftFill,
    },
    /// Pitch shift with duration kept: with `alpha = 2^(semitones/12)`, a phase-vocoder stretch
    /// to `alpha` times the duration and band-limited resampling by `alpha` back to the input's
    /// length (for `alpha > 1` the resampling comes first, so the vocoder synthesises fewer
    /// samples; the result is the same transform).
    PitchShift {
        /// Shift (semitones; +12 = one octave up).
        #[serde(default = "default_semitones")]
        semitones: Draw,
    },
    /// Time stretch with pitch kept (phase vocoder). Tempo factor: the output has
    /// `round(len / rate)` samples (`rate = 1.25` is faster, 0.8 of the duration), as
    /// `librosa.effects.time_stretch`.
    TimeStretch {
        /// Tempo factor.
        #[serde(default = "default_rate")]
        rate: Draw,
    },
    /// Speed perturbation (Ko et al. 2015, Kaldi's 0.9/1.0/1.1): band-limited resampling, the
    /// output has `round(len / factor)` samples and every frequency is multiplied by `factor`.
    Speed {
        /// Speed factor.
        #[serde(default = "default_speed")]
        factor: Draw,
    },
    /// Room reverberation: convolution with a synthetic exponentially decaying noise impulse
    /// response of reverberation time `rt60_s` and direct-to-reverberant ratio `drr_db`
    /// ([`reverb_impulse_response`]); length kept.
    Reverb {
        /// Reverberation time RT60 (seconds: energy decays 60 dB).
        #[serde(default = "default_rt60")]
        rt60_s: Draw,
        /// Direct-to-reverberant energy ratio (dB).
        #[serde(default = "default_drr")]
        drr_db: Draw,
    },
}

fn default_snr() -> Draw {
    Draw::Fixed(10.0)
}
fn default_talkers() -> usize {
    4
}
fn default_gain() -> Draw {
    Draw::Uniform {
        min: -6.0,
        max: 6.0,
    }
}
fn default_max_shift() -> f64 {
    0.1
}
fn default_semitones() -> Draw {
    Draw::OneOf(vec![-2.0, -1.0, 1.0, 2.0])
}
fn default_rate() -> Draw {
    Draw::Uniform { min: 0.9, max: 1.1 }
}
fn default_speed() -> Draw {
    Draw::OneOf(vec![0.9, 1.0, 1.1])
}
fn default_rt60() -> Draw {
    Draw::Uniform { min: 0.2, max: 0.8 }
}
fn default_drr() -> Draw {
    Draw::Fixed(0.0)
}

impl Augmentation {
    /// Validates the parameters (table on [`Augmentation`]).
    pub fn check(&self) -> Result<()> {
        match self {
            Augmentation::Noise { snr_db, .. } => snr_db.check("noise.snr_db", -10.0, 60.0, "dB"),
            Augmentation::Babble { snr_db, talkers } => {
                snr_db.check("babble.snr_db", -10.0, 60.0, "dB")?;
                if !(1..=16).contains(talkers) {
                    return Err(Error::Param {
                        name: "babble.talkers",
                        expected: "1 ..= 16".into(),
                        found: talkers.to_string(),
                    });
                }
                Ok(())
            }
            Augmentation::Gain { db } => db.check("gain.db", -40.0, 40.0, "dB"),
            Augmentation::TimeShift { max_s, .. } => {
                if !(max_s.is_finite() && (0.0..=10.0).contains(max_s)) {
                    return Err(Error::Param {
                        name: "time_shift.max_s",
                        expected: "seconds in [0, 10]".into(),
                        found: max_s.to_string(),
                    });
                }
                Ok(())
            }
            Augmentation::PitchShift { semitones } => {
                semitones.check("pitch_shift.semitones", -12.0, 12.0, "semitones")
            }
            Augmentation::TimeStretch { rate } => rate.check("time_stretch.rate", 0.5, 2.0, ""),
            Augmentation::Speed { factor } => factor.check("speed.factor", 0.5, 2.0, ""),
            Augmentation::Reverb { rt60_s, drr_db } => {
                rt60_s.check("reverb.rt60_s", 0.05, 3.0, "s")?;
                drr_db.check("reverb.drr_db", -20.0, 20.0, "dB")
            }
        }
    }
}

/// How the steps of an [`AugmentConfig`] are used for one copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Select {
    /// Every step, in order.
    #[default]
    All,
    /// One step, drawn uniformly per seed.
    OneOf,
}

/// What happens when the output's peak exceeds full scale (|y| > 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Overflow {
    /// Scale the whole output by `1 / peak` (no distortion; the level gain asked for is capped).
    #[default]
    Normalize,
    /// Hard-clip every sample to [-1, 1] (clipping distortion, as a saturated recording).
    Clip,
}

/// An augmentation chain.
///
/// | name | default | unit | range |
/// |---|---|---|---|
/// | `steps` | [] | | 1 ..= 16 [`Augmentation`]s |
/// | `select` | `all` | | all, one_of |
/// | `overflow` | `normalize` | | normalize, clip |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct AugmentConfig {
    /// Transforms.
    pub steps: Vec<Augmentation>,
    /// All steps in order, or one drawn per seed.
    pub select: Select,
    /// Peak handling after the last step.
    pub overflow: Overflow,
}

impl AugmentConfig {
    /// Validates every step.
    pub fn check(&self) -> Result<AugmentSet> {
        if !(1..=16).contains(&self.steps.len()) {
            return Err(Error::Param {
                name: "steps",
                expected: "1 ..= 16 augmentations".into(),
                found: self.steps.len().to_string(),
            });
        }
        for s in &self.steps {
            s.check()?;
        }
        Ok(AugmentSet {
            config: self.clone(),
        })
    }
}

/// A validated [`AugmentConfig`] (see [`AugmentConfig::check`]).
#[derive(Clone, Debug, PartialEq)]
pub struct AugmentSet {
    config: AugmentConfig,
}

impl AugmentSet {
    /// The validated configuration.
    pub fn config(&self) -> &AugmentConfig {
        &self.config
    }

    /// Plans an [`Augmenter`] for `sample_rate_hz` (4000 ..= 384000).
    pub fn augmenter(&self, sample_rate_hz: u32) -> Result<Augmenter> {
        Augmenter::new(self, sample_rate_hz)
    }
}

/// A synthetic room impulse response as [`Augmentation::Reverb`] makes it (formula in
/// `docs/FEATURES.md`), its noise drawn from a generator seeded with `seed` itself (inside an
/// [`Augmenter`] the generator is the step's stream, after `rt60_s` and `drr_db` are drawn):
/// `ceil(rt60_s fs)` samples, direct path first, energy 1. Allocates.
pub fn reverb_impulse_response(
    rt60_s: f64,
    drr_db: f64,
    sample_rate_hz: u32,
    seed: u64,
) -> Result<Vec<f32>> {
    check_rate(sample_rate_hz)?;
    Draw::Fixed(rt60_s).check("reverb.rt60_s", 0.05, 3.0, "s")?;
    Draw::Fixed(drr_db).check("reverb.drr_db", -20.0, 20.0, "dB")?;
    let mut h = Vec::new();
    reverb::impulse_response(
        rt60_s,
        drr_db,
        sample_rate_hz,
        &mut SplitMix64::new(seed),
        &mut h,
    );
    Ok(h)
}

fn check_rate(sample_rate_hz: u32) -> Result<()> {
    if !(4000..=384_000).contains(&sample_rate_hz) {
        return Err(Error::Param {
            name: "sample_rate_hz",
            expected: "4000 ..= 384000 Hz".into(),
            found: sample_rate_hz.to_string(),
        });
    }
    Ok(())
}

/// Applies an [`AugmentSet`] at one sample rate; holds the FFT plans, windows, resampling tables
/// and buffers, so build one per thread and reuse it. Allocation after the first calls happens
/// only when a longer input or a new resampling cutoff comes.
pub struct Augmenter {
    config: AugmentConfig,
    sample_rate_hz: u32,
    vocoder: vocoder::PhaseVocoder,
    resampler: resample::Resampler,
    convolver: reverb::Convolver,
    a: Vec<f32>,
    b: Vec<f32>,
    tmp: Vec<f32>,
    noise: Vec<f32>,
}

impl std::fmt::Debug for Augmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Augmenter")
            .field("config", &self.config)
            .field("sample_rate_hz", &self.sample_rate_hz)
            .field("vocoder_frame_len", &self.vocoder.frame_len())
            .finish_non_exhaustive()
    }
}

impl Augmenter {
    /// Plans the transforms of `set` for `sample_rate_hz` (4000 ..= 384000).
    pub fn new(set: &AugmentSet, sample_rate_hz: u32) -> Result<Self> {
        check_rate(sample_rate_hz)?;
        let mut planner = realfft::RealFftPlanner::new();
        Ok(Self {
            config: set.config.clone(),
            sample_rate_hz,
            vocoder: vocoder::PhaseVocoder::new(sample_rate_hz, &mut planner),
            resampler: resample::Resampler::new(),
            convolver: reverb::Convolver::new(),
            a: Vec::new(),
            b: Vec::new(),
            tmp: Vec::new(),
            noise: Vec::new(),
        })
    }

    /// Sample rate this augmenter was planned for.
    pub fn sample_rate_hz(&self) -> u32 {
        self.sample_rate_hz
    }

    /// Phase-vocoder frame length (samples; the power of two nearest 64 ms).
    pub fn vocoder_frame_len(&self) -> usize {
        self.vocoder.frame_len()
    }

    /// One augmented copy of `samples` for `seed`. `others` are other (training) utterances at
    /// the same sample rate, used by [`Augmentation::Babble`] only. Allocates the output; see
    /// [`Augmenter::apply_into`].
    pub fn apply(&mut self, samples: &[f32], seed: u64, others: &[&[f32]]) -> Result<Vec<f32>> {
        let mut out = Vec::new();
        self.apply_into(samples, seed, others, &mut out)?;
        Ok(out)
    }

    /// As [`Augmenter::apply`], into `out` (cleared first; its length is the output's, which
    /// differs from the input's after `time_stretch` and `speed`).
    ///
    /// Errors: a non-finite sample in `samples` ([`Error::NonFinite`]); for babble, no non-empty
    /// utterance in `others` or a non-finite sample in one ([`Error::Param`] `others`). Empty
    /// input gives empty output.
    pub fn apply_into(
        &mut self,
        samples: &[f32],
        seed: u64,
        others: &[&[f32]],
        out: &mut Vec<f32>,
    ) -> Result<()> {
        out.clear();
        if let Some((index, &value)) = samples.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::NonFinite { index, value });
        }
        let steps: Vec<usize> = match self.config.select {
            Select::All => (0..self.config.steps.len()).collect(),
            Select::OneOf => {
                let mut r = SplitMix64::new(rng::derive(seed, 0));
                vec![r.below(self.config.steps.len())]
            }
        };
        let mut cur = std::mem::take(&mut self.a);
        let mut next = std::mem::take(&mut self.b);
        cur.clear();
        cur.extend_from_slice(samples);
        let mut result = Ok(());
        for i in steps {
            let step = self.config.steps[i].clone();
            let mut r = SplitMix64::new(rng::derive(seed, i as u64 + 1));
            result = self.step(&step, &cur, &mut r, others, &mut next);
            if result.is_err() {
                break;
            }
            std::mem::swap(&mut cur, &mut next);
        }
        if result.is_ok() {
            limit(&mut cur, self.config.overflow);
            out.extend_from_slice(&cur);
        }
        self.a = cur;
        self.b = next;
        result
    }

    fn step(
        &mut self,
        step: &Augmentation,
        x: &[f32],
        r: &mut SplitMix64,
        others: &[&[f32]],
        out: &mut Vec<f32>,
    ) -> Result<()> {
        out.clear();
        let fs = f64::from(self.sample_rate_hz);
        match step {
            Augmentation::Noise { snr_db, color } => {
                let snr = snr_db.sample(r);
                self.noise.resize(x.len(), 0.0);
                match color {
                    NoiseColor::White => noise::white(r, &mut self.noise),
                    NoiseColor::Pink => noise::pink(r, &mut self.noise),
                }
                noise::mix_at_snr(x, &self.noise, snr, out);
            }
            Augmentation::Babble { snr_db, talkers } => {
                let snr = snr_db.sample(r);
                self.babble(x.len(), *talkers, r, others)?;
                noise::mix_at_snr(x, &self.noise, snr, out);
            }
            Augmentation::Gain { db } => {
                let g = 10f64.powf(db.sample(r) / 20.0) as f32;
                out.extend(x.iter().map(|&v| v * g));
            }
            Augmentation::TimeShift { max_s, fill } => {
                let max = ((max_s * fs).round() as usize).min(x.len());
                let shift = r.below(2 * max + 1) as i64 - max as i64;
                shift_into(x, shift, *fill, out);
            }
            Augmentation::PitchShift { semitones } => {
                let s = semitones.sample(r);
                if s == 0.0 {
                    out.extend_from_slice(x);
                } else {
                    let alpha = 2f64.powf(s / 12.0);
                    let mut tmp = std::mem::take(&mut self.tmp);
                    if alpha > 1.0 {
                        // up: resample first, so the vocoder makes len samples, not alpha len
                        let m = (x.len() as f64 / alpha).round() as usize;
                        self.resampler.resample(x, alpha, m, &mut tmp);
                        self.vocoder.stretch_to(&tmp, 1.0 / alpha, x.len(), out);
                    } else {
                        self.vocoder.stretch(x, 1.0 / alpha, &mut tmp);
                        self.resampler.resample(&tmp, alpha, x.len(), out);
                    }
                    self.tmp = tmp;
                }
            }
            Augmentation::TimeStretch { rate } => {
                let rate = rate.sample(r);
                if rate == 1.0 {
                    out.extend_from_slice(x);
                } else {
                    self.vocoder.stretch(x, rate, out);
                }
            }
            Augmentation::Speed { factor } => {
                let f = factor.sample(r);
                if f == 1.0 {
                    out.extend_from_slice(x);
                } else {
                    let n = (x.len() as f64 / f).round() as usize;
                    self.resampler.resample(x, f, n, out);
                }
            }
            Augmentation::Reverb { rt60_s, drr_db } => {
                let (t, d) = (rt60_s.sample(r), drr_db.sample(r));
                let mut h = std::mem::take(&mut self.tmp);
                reverb::impulse_response(t, d, self.sample_rate_hz, r, &mut h);
                self.convolver.convolve(x, &h, out);
                self.tmp = h;
            }
        }
        Ok(())
    }

    /// Babble noise of `len` samples into `self.noise`.
    fn babble(
        &mut self,
        len: usize,
        talkers: usize,
        r: &mut SplitMix64,
        others: &[&[f32]],
    ) -> Result<()> {
        let usable: Vec<&[f32]> = others.iter().copied().filter(|o| !o.is_empty()).collect();
        if usable.is_empty() {
            return Err(Error::Param {
                name: "others",
                expected: "at least one non-empty other utterance for babble noise".into(),
                found: format!("{} utterances, none with samples", others.len()),
            });
        }
        for (j, o) in others.iter().enumerate() {
            if let Some((i, v)) = o.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(Error::Param {
                    name: "others",
                    expected: "finite samples".into(),
                    found: format!("{v} at index {i} of other utterance {j}"),
                });
            }
        }
        self.noise.clear();
        self.noise.resize(len, 0.0);
        for _ in 0..talkers {
            let o = usable[r.below(usable.len())];
            let start = r.below(o.len());
            let p = noise::power(o);
            if p == 0.0 {
                continue;
            }
            let g = (1.0 / p.sqrt()) as f32;
            let looped = o[start..].iter().chain(o[..start].iter()).cycle();
            for (v, &s) in self.noise.iter_mut().zip(looped) {
                *v += g * s;
            }
        }
        Ok(())
    }
}

/// `y[n] = x[n - shift]`, vacated samples per `fill`.
fn shift_into(x: &[f32], shift: i64, fill: ShiftFill, out: &mut Vec<f32>) {
    let n = x.len();
    if n == 0 {
        return;
    }
    let s = shift.unsigned_abs() as usize % (n + 1);
    match (fill, shift >= 0) {
        (ShiftFill::Zeros, true) => {
            out.resize(s, 0.0);
            out.extend_from_slice(&x[..n - s]);
        }
        (ShiftFill::Zeros, false) => {
            out.extend_from_slice(&x[s..]);
            out.resize(n, 0.0);
        }
        (ShiftFill::Roll, true) => {
            let s = s % n;
            out.extend_from_slice(&x[n - s..]);
            out.extend_from_slice(&x[..n - s]);
        }
        (ShiftFill::Roll, false) => {
            let s = s % n;
            out.extend_from_slice(&x[s..]);
            out.extend_from_slice(&x[..s]);
        }
    }
}

/// Applies the overflow policy when `max |y| > 1`.
fn limit(y: &mut [f32], overflow: Overflow) {
    let peak = y.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if peak <= 1.0 {
        return;
    }
    match overflow {
        Overflow::Normalize => {
            let g = 1.0 / peak;
            for v in y.iter_mut() {
                *v = (*v * g).clamp(-1.0, 1.0);
            }
        }
        Overflow::Clip => {
            for v in y.iter_mut() {
                *v = v.clamp(-1.0, 1.0);
            }
        }
    }
}
