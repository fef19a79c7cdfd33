//! The embedded demo corpus: a small, deterministic, synthetic "acted emotion" corpus that
//! `cargo xtask demo` writes when no real corpus is present, so the whole pipeline can be run
//! and tested on any machine without downloading anything.
//!
//! Each utterance is a sequence of synthetic syllables: a glottal-like harmonic source whose F0
//! contour, loudness, spectral tilt, tempo and jitter depend on the emotion and on the speaker,
//! filtered through formant resonators (cycling vowels), with unvoiced noise bursts and pauses.
//! The emotion cues follow the acoustic-phonetic literature (e.g. anger: high, wide F0, loud,
//! flat tilt, fast; sadness: low, narrow F0, soft, steep tilt, slow) so classifiers have real
//! but imperfect cues, and speakers differ enough that speaker-independent evaluation matters.
//! The cues overlap on purpose: every utterance carries its emotion with a random intensity
//! (its style is blended towards neutral), speakers differ in how expressive they are, and the
//! recording level varies by up to ±6 dB per utterance, so a classifier cannot reach 100 %.
//! It is *not* speech and no accuracy on it says anything about real corpora.
//!
//! Layout written: `<dir>/<speaker>/<speaker>_<nn>_<emotion>.wav` (the custom-folder scheme),
//! 16 kHz mono 16-bit PCM.

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use crate::{Emotion, Error, Result};

/// The emotions of the demo corpus.
pub const DEMO_EMOTIONS: [Emotion; 5] = [
    Emotion::Neutral,
    Emotion::Happy,
    Emotion::Sad,
    Emotion::Angry,
    Emotion::Fear,
];

/// Parameters of the demo corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoConfig {
    /// Number of speakers (half male, half female). Default 6.
    pub n_speakers: usize,
    /// Utterances per speaker and emotion. Default 6.
    pub utterances_per_emotion: usize,
    /// Output sample rate in Hz. Default 16 000.
    pub sample_rate_hz: u32,
    /// Seed of every random choice. Default 7.
    pub seed: u64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            n_speakers: 6,
            utterances_per_emotion: 6,
            sample_rate_hz: 16_000,
            seed: 7,
        }
    }
}

/// Emotion-dependent prosody and voice settings (multipliers relative to neutral).
struct Style {
    f0_scale: f64,
    f0_range_st: f64,
    loudness: f64,
    tilt_db_per_octave: f64,
    syllable_s: f64,
    jitter: f64,
    breathiness: f64,
}

fn style(emotion: Emotion) -> Style {
    let s =
        |f0_scale, f0_range_st, loudness, tilt_db_per_octave, syllable_s, jitter, breathiness| {
            Style {
                f0_scale,
                f0_range_st,
                loudness,
                tilt_db_per_octave,
                syllable_s,
                jitter,
                breathiness,
            }
        };
    match emotion {
        Emotion::Angry => s(1.30, 6.0, 0.80, -6.0, 0.16, 0.010, 0.02),
        Emotion::Happy => s(1.25, 8.0, 0.55, -9.0, 0.17, 0.008, 0.05),
        Emotion::Fear => s(1.40, 3.0, 0.35, -10.0, 0.14, 0.030, 0.15),
        Emotion::Sad => s(0.90, 1.5, 0.20, -15.0, 0.28, 0.012, 0.12),
        _ => s(1.00, 3.0, 0.40, -12.0, 0.21, 0.006, 0.05),
    }
}

/// A small deterministic generator (SplitMix64), so the demo needs no RNG dependency.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-12);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }
}

/// Two-pole resonator (formant filter) with centre `f_hz` and bandwidth `bw_hz`.
struct Resonator {
    a1: f64,
    a2: f64,
    gain: f64,
    y1: f64,
    y2: f64,
}

impl Resonator {
    fn new(f_hz: f64, bw_hz: f64, sr: f64) -> Self {
        let r = (-PI * bw_hz / sr).exp();
        let theta = 2.0 * PI * f_hz / sr;
        let a1 = 2.0 * r * theta.cos();
        let a2 = -r * r;
        Self {
            a1,
            a2,
            gain: 1.0 - a1 - a2,
            y1: 0.0,
            y2: 0.0,
        }
    }
    fn process(&mut self, x: f64) -> f64 {
        let y = self.gain * x + self.a1 * self.y1 + self.a2 * self.y2;
        self.y2 = self.y1;
        self.y1 = y;
        y
    }
}

/// Vowel formants (F1, F2, F3) in Hz for an adult male; scaled per speaker.
const VOWELS: [[f64; 3]; 5] = [
    [730.0, 1090.0, 2440.0],
    [270.0, 2290.0, 3010.0],
    [530.0, 1840.0, 2480.0],
    [570.0, 840.0, 2410.0],
    [300.0, 870.0, 2240.0],
];

struct Speaker {
    id: String,
    f0_hz: f64,
    formant_scale: f64,
    rate_scale: f64,
    /// How strongly this speaker acts: scales every utterance's blend towards its emotion.
    expressiveness: f64,
}

impl Style {
    /// `neutral + k (self - neutral)` for every cue.
    fn blend_from(&self, neutral: &Style, k: f64) -> Style {
        let m = |a: f64, b: f64| b + k * (a - b);
        Style {
            f0_scale: m(self.f0_scale, neutral.f0_scale),
            f0_range_st: m(self.f0_range_st, neutral.f0_range_st),
            loudness: m(self.loudness, neutral.loudness),
            tilt_db_per_octave: m(self.tilt_db_per_octave, neutral.tilt_db_per_octave),
            syllable_s: m(self.syllable_s, neutral.syllable_s),
            jitter: m(self.jitter, neutral.jitter),
            breathiness: m(self.breathiness, neutral.breathiness),
        }
    }
}

/// Synthesise one utterance of `speaker` in `emotion` (samples in [-1, 1]).
fn synthesize(speaker: &Speaker, emotion: Emotion, sr: f64, rng: &mut Rng) -> Vec<f32> {
    let intensity = (speaker.expressiveness * rng.range(0.35, 1.0)).min(1.2);
    let mut st = style(emotion).blend_from(&style(Emotion::Neutral), intensity);
    st.loudness *= 10f64.powf(rng.range(-6.0, 6.0) / 20.0);
    let n_syllables = 4 + (rng.uniform() * 4.0) as usize;
    let mut out = Vec::new();
    // Leading silence with a little background noise.
    let lead = (0.15 * sr) as usize;
    out.extend((0..lead).map(|_| 0.001 * rng.normal()));
    let base_f0 = speaker.f0_hz * st.f0_scale * (1.0 + 0.03 * rng.normal());
    let mut phase = 0.0f64;
    for syl in 0..n_syllables {
        let dur = st.syllable_s * speaker.rate_scale * rng.range(0.8, 1.25);
        let n = (dur * sr) as usize;
        let vowel = VOWELS[(rng.next_u64() % VOWELS.len() as u64) as usize];
        let mut formants: Vec<Resonator> = vowel
            .iter()
            .enumerate()
            .map(|(k, f)| Resonator::new(f * speaker.formant_scale, 60.0 + 40.0 * k as f64, sr))
            .collect();
        // Syllable pitch accent: a rise-fall of f0_range_st semitones, declining over the utterance.
        let decl = 1.0 - 0.15 * syl as f64 / n_syllables as f64;
        let accent = st.f0_range_st * rng.range(0.5, 1.0);
        let n_harm = ((sr / 2.0) / (base_f0 * 1.5)).floor().clamp(1.0, 40.0) as usize;
        for i in 0..n {
            let t = i as f64 / n as f64;
            let contour_st = accent * (PI * t).sin();
            let f0 =
                base_f0 * decl * 2f64.powf(contour_st / 12.0) * (1.0 + st.jitter * rng.normal());
            phase += 2.0 * PI * f0 / sr;
            if phase > 2.0 * PI * 1e6 {
                phase %= 2.0 * PI;
            }
            // Harmonic source with spectral tilt of tilt_db_per_octave.
            let mut src = 0.0;
            for k in 1..=n_harm {
                let amp = 10f64.powf(st.tilt_db_per_octave * (k as f64).log2() / 20.0);
                src += amp * (k as f64 * phase).sin();
            }
            src += st.breathiness * 3.0 * rng.normal();
            let mut y = 0.0;
            for f in formants.iter_mut() {
                y += f.process(src);
            }
            let env = (PI * t).sin().powf(0.6);
            out.push(st.loudness * 0.25 * env * y);
        }
        // Unvoiced consonant (fricative noise) and a short gap.
        let nf = (0.05 * sr * rng.range(0.6, 1.4)) as usize;
        let mut hp_prev = 0.0;
        for _ in 0..nf {
            let w = rng.normal();
            let hp = w - hp_prev;
            hp_prev = w;
            out.push(0.03 * st.loudness * hp);
        }
        let gap = (0.04 * sr * rng.range(0.5, 2.0) * speaker.rate_scale) as usize;
        out.extend((0..gap).map(|_| 0.001 * rng.normal()));
    }
    out.extend((0..lead).map(|_| 0.001 * rng.normal()));
    let peak = out.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let scale = if peak > 0.99 { 0.99 / peak } else { 1.0 };
    out.into_iter().map(|v| (v * scale) as f32).collect()
}

/// Write the demo corpus under `dir` and return the paths written.
///
/// Existing files with the same names are overwritten (each through a temporary file and a rename).
pub fn write_demo_corpus(dir: &Path, config: &DemoConfig) -> Result<Vec<PathBuf>> {
    if config.n_speakers < 2 || config.utterances_per_emotion == 0 || config.sample_rate_hz < 8000 {
        return Err(Error::Param {
            name: "demo",
            expected: "n_speakers >= 2, utterances_per_emotion >= 1, sample_rate_hz >= 8000".into(),
            found: format!("{config:?}"),
        });
    }
    let sr = config.sample_rate_hz as f64;
    let mut rng = Rng(config.seed);
    let speakers: Vec<Speaker> = (0..config.n_speakers)
        .map(|i| {
            let female = i % 2 == 1;
            Speaker {
                id: format!("{}{:02}", if female { "f" } else { "m" }, i + 1),
                f0_hz: if female {
                    rng.range(185.0, 235.0)
                } else {
                    rng.range(95.0, 135.0)
                },
                formant_scale: if female {
                    rng.range(1.12, 1.22)
                } else {
                    rng.range(0.95, 1.05)
                },
                rate_scale: rng.range(0.85, 1.15),
                expressiveness: rng.range(0.6, 1.2),
            }
        })
        .collect();
    let mut written = Vec::new();
    for sp in &speakers {
        let sp_dir = dir.join(&sp.id);
        std::fs::create_dir_all(&sp_dir).map_err(|source| Error::Io {
            path: sp_dir.clone(),
            source,
        })?;
        for emotion in DEMO_EMOTIONS {
            for n in 0..config.utterances_per_emotion {
                let samples = synthesize(sp, emotion, sr, &mut rng);
                let path = sp_dir.join(format!("{}_{:02}_{}.wav", sp.id, n + 1, emotion.as_str()));
                crate::write_wav_pcm16(&path, &samples, config.sample_rate_hz)?;
                written.push(path);
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_corpus_scans_as_custom_corpus_with_every_file_labelled() {
        let dir = tempfile::tempdir().unwrap();
        let config = DemoConfig {
            n_speakers: 2,
            utterances_per_emotion: 1,
            ..DemoConfig::default()
        };
        let written = write_demo_corpus(dir.path(), &config).unwrap();
        assert_eq!(written.len(), 2 * DEMO_EMOTIONS.len());
        let manifest = crate::scan_corpus(crate::Corpus::Custom, dir.path()).unwrap();
        assert!(manifest.skipped.is_empty(), "{:?}", manifest.skipped);
        assert_eq!(manifest.utterances.len(), written.len());
        let speakers: std::collections::BTreeSet<_> = manifest
            .utterances
            .iter()
            .map(|u| u.speaker.clone())
            .collect();
        assert_eq!(speakers.len(), 2);
        for u in &manifest.utterances {
            let audio = crate::decode(&u.path).unwrap();
            assert!(audio.duration_s() > 0.5, "{} too short", u.path.display());
            assert!(
                audio
                    .samples
                    .iter()
                    .all(|s| s.is_finite() && s.abs() <= 1.0)
            );
        }
    }

    #[test]
    fn same_seed_same_audio() {
        let sp = Speaker {
            id: "m01".into(),
            f0_hz: 120.0,
            formant_scale: 1.0,
            rate_scale: 1.0,
            expressiveness: 1.0,
        };
        let a = synthesize(&sp, Emotion::Angry, 16_000.0, &mut Rng(3));
        let b = synthesize(&sp, Emotion::Angry, 16_000.0, &mut Rng(3));
        assert_eq!(a, b);
        let rms = |x: &[f32]| (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt();
        // Same seed, so the same intensity and level draw: anger's loudness factor is at least
        // (0.40 + 0.35 * 0.40) / (0.40 - 0.35 * 0.20) = 1.64 times sadness's (less in RMS: pauses).
        for seed in 0..6 {
            let angry = synthesize(&sp, Emotion::Angry, 16_000.0, &mut Rng(seed));
            let sad = synthesize(&sp, Emotion::Sad, 16_000.0, &mut Rng(seed));
            assert!(
                rms(&angry) > 1.1 * rms(&sad),
                "seed {seed}: anger should be louder than sadness"
            );
        }
    }
}
