//! The extractor: plans built once, one spectrum per frame shared by all spectral descriptors.
//!
//! Descriptors are computed by families, one module each, behind one interface ([`Family`]):
//!
//! | module | descriptors | reads |
//! |---|---|---|
//! | `time` | ZCR, energy, RMS, log energy, energy entropy | raw frame (spectral RMS: power) |
//! | `spectral` | centroid, spread, entropy, flux, roll-off, flatness, slope, alpha ratio, Hammarberg, band energies, spectral variance / skewness / kurtosis | power, magnitudes |
//! | `cepstral` | mel, log-mel, MFCC | power |
//! | `auditory` | loudness, sharpness, RASTA-filtered auditory bands | power |
//! | `tonal` | chroma, tonnetz, spectral contrast | power, magnitudes |
//! | `prosody` | YIN F0, F0 (semitones) and voicing; the pitch pass shared with `voice` | signal |
//! | `voice` | jitter, shimmer, HNR, harmonicity | pitch pass |
//! | `pyaudioanalysis` | the 34 pyAudioAnalysis features and their deltas | raw frame, magnitudes |
//!
//! [`Extractor::new`] offers each configured descriptor, in column order, to the families'
//! [`Family::plan`]: the family computing it builds its plan (filterbanks, band edges, DCT, ...)
//! from the shared [`Planner`] context (sample rate, frame length, FFT size, bin frequencies),
//! appends its columns and registers what it reads (raw frame, magnitudes, pitch pass). Families
//! with nothing planned are dropped. [`Extractor::compute`] prepares the signal (scaling,
//! pre-emphasis), runs the pitch pass, then per frame computes one power spectrum (`spectrum`:
//! window, FFT plans shared per size, [`SpectrumMethod`]) and the registered raw frame and
//! magnitudes, and hands that [`Frame`] to every family, which writes its columns into the
//! caller-owned output row ([`Family::pair`] first offers both frames of a paired FFT at once);
//! finally the utterance-level passes ([`Family::finish`]: floors, DCT, contrast dB, pitch
//! columns, deltas of pyAudioAnalysis) and the Savitzky–Golay deltas. All buffers are sized when
//! the extractor is built or once per utterance: nothing is allocated per frame.
//!
//! A new descriptor needs its [`Descriptor`] variant (and its check in `config.rs`) and its plan
//! and computation in its family; `every_descriptor_has_a_family` (tests) lists all variants.

mod auditory;
mod cepstral;
mod prosody;
mod pyaudioanalysis;
mod spectral;
mod spectrum;
mod time;
mod tonal;
mod voice;

use ndarray::Array2;

use crate::config::{
    Descriptor, DescriptorConfig, FrameConfig, InputScaling, PadMode, PitchConfig,
};
use crate::pitch::PitchFrame;
use crate::{Error, Lld, Result, window};
use prosody::PitchPass;
use spectrum::Spectra;
pub use spectrum::SpectrumMethod;

/// Lower bound of power / energy values before taking logarithms (librosa `amin`).
const AMIN: f64 = 1e-10;

/// [`Extractor::compute`]'s body (its own loops: signal preparation, framing, windowing), also
/// compiled for AVX2 and chosen at run time; bit-identical results (see `spectral_frame`).
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn compute_wide(ex: &mut Extractor, samples: &[f32]) -> Result<Lld> {
    ex.compute_inner(samples)
}

/// A descriptor family: plans its descriptors once, then writes their columns into the
/// caller's output, per frame ([`Family::pair`], [`Family::frame`]) and / or once per utterance
/// ([`Family::finish`]). Its buffers are sized in [`Family::plan`] or [`Family::start`].
trait Family: Send + Sync {
    /// Plans `d` if this family computes it: appends its columns (from `p.n_columns()` on),
    /// registers what it reads and returns `true`. Returns `false`, leaving `p` as it was, for
    /// descriptors of other families.
    fn plan(&mut self, d: &Descriptor, p: &mut Planner<'_>) -> Result<bool>;

    /// No descriptor planned.
    fn is_empty(&self) -> bool;

    /// Before the frames of an utterance of `n_frames` frames: sizes per-utterance buffers,
    /// resets state carried from frame to frame.
    fn start(&mut self, _n_frames: usize) {}

    /// Frames `t` and `t + 1`, whose power spectra one paired FFT computed, before either goes
    /// to [`Family::frame`] (with [`Frame::paired`] set): a family may process both at once.
    /// `rows` are their output rows.
    fn pair(&mut self, _t: usize, _power: [&[f64]; 2], _rows: [&mut [f64]; 2]) {}

    /// One frame: writes this family's per-frame columns of `row`, the frame's output row.
    fn frame(&mut self, _f: &Frame<'_>, _row: &mut [f64]) {}

    /// After all frames: utterance-level passes over `out` (`n_frames` rows of all descriptor
    /// columns, before the deltas).
    fn finish(&mut self, _out: &mut Array2<f64>, _u: &Utterance<'_>) {}
}

/// What the families plan with: the analysis parameters, the column layout being built and
/// what they read besides the power spectrum.
struct Planner<'a> {
    sample_rate_hz: u32,
    /// Frame length (samples).
    frame_len: usize,
    /// FFT size (>= the frame length).
    n_fft: usize,
    /// Framing (centring, padding).
    frame: &'a FrameConfig,
    /// Bin frequencies `k sr / n_fft` (Hz), `n_fft / 2 + 1` bins.
    freqs: &'a [f64],
    names: Vec<String>,
    voiced_only: Vec<bool>,
    /// Some family reads the raw frame.
    raw: bool,
    /// Some family reads the magnitude spectrum.
    mag: bool,
    /// Pitch tracker parameters: the first pitch-based descriptor's.
    pitch: Option<PitchConfig>,
    /// Some family reads the glottal pulses of voiced frames.
    pulses: bool,
}

impl Planner<'_> {
    fn nyquist(&self) -> f64 {
        f64::from(self.sample_rate_hz) / 2.0
    }

    /// Columns so far.
    fn n_columns(&self) -> usize {
        self.names.len()
    }

    /// Appends a column; `voiced_only`: statistics should be taken over voiced frames only.
    fn column(&mut self, name: String, voiced_only: bool) {
        self.names.push(name);
        self.voiced_only.push(voiced_only);
    }

    /// [`Frame::raw`] is wanted.
    fn read_raw(&mut self) {
        self.raw = true;
    }

    /// [`Frame::mag`] and [`Frame::prev_mag`] are wanted.
    fn read_magnitudes(&mut self) {
        self.mag = true;
    }

    /// [`Utterance::pitch`] is wanted, tracked with `c` unless an earlier descriptor set it.
    fn read_pitch(&mut self, c: &PitchConfig) {
        self.pitch.get_or_insert_with(|| c.clone());
    }

    /// The glottal pulses of voiced frames ([`PitchFrame::pulses`]) are wanted.
    fn read_pulses(&mut self) {
        self.pulses = true;
    }
}

/// One frame as the families see it.
struct Frame<'a> {
    /// Frame index.
    t: usize,
    /// Its first sample in the signal (negative or past the end: padded).
    start: isize,
    /// Its spectrum came from a paired FFT already offered to [`Family::pair`].
    paired: bool,
    /// Power spectrum (`n_fft / 2 + 1` bins).
    power: &'a [f64],
    /// Magnitude spectrum (when a family reads it, else empty).
    mag: &'a [f64],
    /// Magnitude spectrum of the previous frame (when `mag` is read; meaningless for frame 0).
    prev_mag: &'a [f64],
    /// Bin frequencies (Hz).
    freqs: &'a [f64],
    /// Raw frame: unwindowed, without pre-emphasis, padded with the framing's `pad_mode` (when a
    /// family reads it, else empty).
    raw: &'a [f64],
    /// The signal without pre-emphasis (present whenever `raw` is).
    x: &'a [f64],
}

/// The utterance as [`Family::finish`] sees it.
struct Utterance<'a> {
    /// Pitch pass result per frame (empty when no family reads it).
    pitch: &'a [PitchFrame],
    /// Voicing decision per frame (all false without a pitch pass).
    voiced: &'a [bool],
}

/// Computes a descriptor set on signals at one sample rate. Built by
/// [`crate::DescriptorSet::extractor`]; reuse it for many signals (it owns all buffers). `Send`.
pub struct Extractor {
    cfg: DescriptorConfig,
    sr: u32,
    frame_len: usize,
    hop: usize,
    n_fft: usize,
    /// Window, FFT plan and power spectra of the current frame (pair).
    spectra: Spectra,
    /// The spectrum method cannot be changed (`py_audio_analysis`: one real FFT per frame).
    fixed_method: bool,
    /// The families with planned descriptors.
    families: Vec<Box<dyn Family>>,
    /// The pitch tracker, when a family reads it.
    pitch: Option<PitchPass>,
    freqs: Vec<f64>,
    /// Raw frame (`frame_len` when a family reads it, else empty).
    raw: Vec<f64>,
    /// Magnitude spectrum (`n_fft / 2 + 1` bins when a family reads it, else empty).
    mag: Vec<f64>,
    /// The previous frame's `mag` (swapped with it after each frame).
    prev_mag: Vec<f64>,
    /// Reused `(n_frames, n_base)` output buffer.
    out_buf: Vec<f64>,
    /// Reused delta buffer (column-major delta columns, then one input column).
    delta_buf: Vec<f64>,
    n_base: usize,
    names: Vec<String>,
    voiced_only: Vec<bool>,
    delta_cols: Vec<usize>,
    x: Vec<f64>,
    /// The pre-emphasised signal (empty when `pre_emphasis` is 0: the spectral path reads `x`).
    xp: Vec<f64>,
    /// Something besides the spectral path reads `x` (raw frames, the pitch tracker, DC
    /// normalisation); otherwise `x` stays empty and only `xp` is built.
    need_x: bool,
}

impl std::fmt::Debug for Extractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extractor")
            .field("sample_rate_hz", &self.sr)
            .field("frame_len", &self.frame_len)
            .field("hop", &self.hop)
            .field("n_fft", &self.n_fft)
            .field("names", &self.names)
            .finish()
    }
}

impl Extractor {
    pub(crate) fn new(cfg: DescriptorConfig, sample_rate_hz: u32) -> Result<Self> {
        if !(1000..=384_000).contains(&sample_rate_hz) {
            return Err(Error::Param {
                name: "sample_rate_hz",
                expected: "1000 ..= 384000".into(),
                found: sample_rate_hz.to_string(),
            });
        }
        let sr = f64::from(sample_rate_hz);
        let frame_len = cfg.frame.frame.samples(sample_rate_hz);
        let hop = cfg.frame.hop.samples(sample_rate_hz);
        if frame_len < 2 || hop < 1 {
            return Err(Error::Param {
                name: "frame",
                expected: "frame >= 2 samples and hop >= 1 sample".into(),
                found: format!("frame {frame_len}, hop {hop}"),
            });
        }
        let win_len = cfg
            .frame
            .window_len
            .map_or(frame_len, |l| l.samples(sample_rate_hz));
        if win_len == 0 || win_len > frame_len {
            return Err(Error::Param {
                name: "frame.window_len",
                expected: format!("1 ..= frame ({frame_len})"),
                found: win_len.to_string(),
            });
        }
        let has_pyaa = cfg
            .descriptors
            .iter()
            .any(|d| matches!(d, Descriptor::PyAudioAnalysis));
        // pyAudioAnalysis takes the FFT of the unpadded frame.
        let default_n_fft = if has_pyaa {
            frame_len
        } else {
            frame_len.next_power_of_two()
        };
        let n_fft = cfg.frame.n_fft.unwrap_or(default_n_fft);
        if has_pyaa && n_fft != frame_len {
            return Err(Error::Param {
                name: "frame.n_fft",
                expected: format!("none or the frame length ({frame_len}) for py_audio_analysis"),
                found: n_fft.to_string(),
            });
        }
        if n_fft < frame_len {
            return Err(Error::Param {
                name: "frame.n_fft",
                expected: format!(">= frame ({frame_len})"),
                found: n_fft.to_string(),
            });
        }
        let mut window = vec![0.0; frame_len];
        let off = (frame_len - win_len) / 2;
        window[off..off + win_len].copy_from_slice(&window::window(cfg.frame.window, win_len));
        let method = if has_pyaa {
            // pyAudioAnalysis takes log10(mel + 2.2e-16): its near-silent frames would see the
            // ~1e-16 relative rounding crosstalk of a partner frame, so one frame per transform
            SpectrumMethod::RealFft
        } else {
            SpectrumMethod::for_descriptors(&cfg.descriptors)
        };
        let n_bins = n_fft / 2 + 1;
        let freqs: Vec<f64> = (0..n_bins).map(|k| k as f64 * sr / n_fft as f64).collect();
        let mut p = Planner {
            sample_rate_hz,
            frame_len,
            n_fft,
            frame: &cfg.frame,
            freqs: &freqs,
            names: Vec::new(),
            voiced_only: Vec::new(),
            raw: false,
            mag: false,
            pitch: None,
            pulses: false,
        };
        let mut families: Vec<Box<dyn Family>> = vec![
            Box::<time::Time>::default(),
            Box::<spectral::Spectral>::default(),
            Box::<cepstral::Cepstral>::default(),
            Box::<auditory::Auditory>::default(),
            Box::<tonal::Tonal>::default(),
            Box::<prosody::Prosody>::default(),
            Box::<voice::Voice>::default(),
            Box::<pyaudioanalysis::PyAudioAnalysis>::default(),
        ];
        for d in &cfg.descriptors {
            let mut planned = false;
            for f in families.iter_mut() {
                if f.plan(d, &mut p)? {
                    planned = true;
                    break;
                }
            }
            if !planned {
                return Err(Error::Param {
                    name: "descriptors",
                    expected: "a descriptor this extractor implements".into(),
                    found: format!("{d:?}"),
                });
            }
        }
        families.retain(|f| !f.is_empty());
        let Planner {
            mut names,
            mut voiced_only,
            raw,
            mag,
            pitch,
            pulses,
            ..
        } = p;
        let n_base = names.len();
        let mut delta_cols = Vec::new();
        if cfg.deltas.order > 0 {
            for (j, n) in names.iter().enumerate() {
                if cfg.deltas.prefixes.is_empty()
                    || cfg
                        .deltas
                        .prefixes
                        .iter()
                        .any(|p| n.starts_with(p.as_str()))
                {
                    delta_cols.push(j);
                }
            }
            for o in 1..=cfg.deltas.order {
                let pre = if o == 1 { "d_" } else { "dd_" };
                for &j in &delta_cols {
                    names.push(format!("{pre}{}", names[j]));
                    voiced_only.push(voiced_only[j]);
                }
            }
        }
        let pitch = match pitch {
            Some(c) => Some(PitchPass::new(c, pulses, sample_rate_hz)?),
            None => None,
        };
        let need_x = raw || pitch.is_some() || cfg.input_scaling != InputScaling::None;
        Ok(Self {
            spectra: Spectra::new(method, window, n_fft, cfg.frame.pad_mode),
            fixed_method: has_pyaa,
            families,
            pitch,
            raw: vec![0.0; if raw { frame_len } else { 0 }],
            mag: vec![0.0; if mag { n_bins } else { 0 }],
            prev_mag: vec![0.0; if mag { n_bins } else { 0 }],
            freqs,
            out_buf: Vec::new(),
            delta_buf: Vec::new(),
            n_base,
            names,
            voiced_only,
            delta_cols,
            x: Vec::new(),
            xp: Vec::new(),
            need_x,
            cfg,
            sr: sample_rate_hz,
            frame_len,
            hop,
            n_fft,
        })
    }

    /// Column names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Sample rate (Hz) this extractor was built for.
    pub fn sample_rate_hz(&self) -> u32 {
        self.sr
    }

    /// Hop between frames (samples).
    pub fn hop_samples(&self) -> usize {
        self.hop
    }

    /// Frame length (samples).
    pub fn frame_len_samples(&self) -> usize {
        self.frame_len
    }

    /// How power spectra are computed (default [`SpectrumMethod::PairedComplex`]; always
    /// [`SpectrumMethod::RealFft`] with the `py_audio_analysis` descriptor).
    pub fn spectrum_method(&self) -> SpectrumMethod {
        self.spectra.method()
    }

    /// Selects how power spectra are computed. Both methods give the same spectra up to
    /// rounding (~1e-16 relative); the paired complex FFT is the faster one (see
    /// `docs/FEATURES.md`). Ignored with the `py_audio_analysis` descriptor, which always uses
    /// [`SpectrumMethod::RealFft`].
    pub fn set_spectrum_method(&mut self, method: SpectrumMethod) {
        if !self.fixed_method {
            self.spectra.set_method(method);
        }
    }

    /// Number of frames for `n_samples` input samples (an error when no frame fits).
    pub fn n_frames(&self, n_samples: usize) -> Result<usize> {
        let pad = if self.cfg.frame.center {
            self.frame_len / 2
        } else {
            0
        };
        let padded = n_samples + 2 * pad;
        if n_samples == 0 || padded < self.frame_len {
            let needed = if self.cfg.frame.center {
                1
            } else {
                self.frame_len
            };
            return Err(Error::TooShort {
                needed: needed.max(1),
                found: n_samples,
            });
        }
        Ok(1 + (padded - self.frame_len) / self.hop)
    }

    /// Computes all descriptors of `samples` (mono, nominally in [-1, 1]).
    ///
    /// Errors: [`Error::NonFinite`] for NaN / infinite samples, [`Error::TooShort`] when no frame
    /// fits (empty input, or shorter than one frame without centring).
    pub fn compute(&mut self, samples: &[f32]) -> Result<Lld> {
        compute_wide(self, samples)
    }

    #[inline(always)]
    fn compute_inner(&mut self, samples: &[f32]) -> Result<Lld> {
        // branch-free scan first (vectorisable), the index only on failure
        if samples.iter().fold(false, |bad, v| bad | !v.is_finite())
            && let Some((index, &value)) = samples.iter().enumerate().find(|(_, v)| !v.is_finite())
        {
            return Err(Error::NonFinite { index, value });
        }
        let n_frames = self.n_frames(samples.len())?;
        let pre = self.cfg.pre_emphasis;
        self.x.clear();
        self.xp.clear();
        if !self.need_x && pre != 0.0 {
            // only the spectral path reads the signal: pre-emphasise straight from the input
            self.xp.push(f64::from(samples[0]));
            self.xp.extend(
                samples[1..]
                    .iter()
                    .zip(samples)
                    .map(|(&a, &b)| f64::from(a) - pre * f64::from(b)),
            );
        } else {
            self.x.extend(samples.iter().map(|&v| f64::from(v)));
        }
        if self.cfg.input_scaling == InputScaling::DcNormalize {
            let mean = self.x.iter().sum::<f64>() / self.x.len() as f64;
            let mut mx: f64 = 0.0;
            for v in self.x.iter_mut() {
                *v -= mean;
                mx = mx.max(v.abs());
            }
            let d = mx + 1e-10;
            for v in self.x.iter_mut() {
                *v /= d;
            }
        }
        // pre-emphasis once per signal (frames overlap): y[0] = x[0], y[n] = x[n] - a x[n-1]
        if pre != 0.0 && self.xp.is_empty() {
            let x = &self.x;
            self.xp.push(x[0]);
            self.xp
                .extend(x[1..].iter().zip(x).map(|(a, b)| a - pre * b));
        }
        let mut out_buf = std::mem::take(&mut self.out_buf);
        out_buf.clear();
        out_buf.resize(n_frames * self.n_base, 0.0);
        let mut out = Array2::from_shape_vec((n_frames, self.n_base), out_buf)
            .expect("buffer sized n_frames * n_base");
        for f in self.families.iter_mut() {
            f.start(n_frames);
        }
        let voiced = match self.pitch.as_mut() {
            Some(p) => p.run(
                &self.x,
                n_frames,
                self.hop,
                self.frame_len,
                self.cfg.frame.center,
            ),
            None => vec![false; n_frames],
        };
        self.frames(&mut out);
        let u = Utterance {
            pitch: self.pitch.as_ref().map_or(&[][..], PitchPass::frames),
            voiced: &voiced,
        };
        for f in self.families.iter_mut() {
            f.finish(&mut out, &u);
        }
        // deltas: column-major into a reused buffer, (order * n_delta_cols) x n_frames
        let n_cols = self.names.len();
        let clean = |v: f64| if v.is_finite() { v as f32 } else { 0.0 };
        let nb = self.n_base;
        let nd = self.delta_cols.len();
        let order = self.cfg.deltas.order;
        let src = out.as_slice().expect("standard layout");
        let mut dbuf = std::mem::take(&mut self.delta_buf);
        dbuf.clear();
        dbuf.resize((order * nd + 1) * n_frames, 0.0);
        let (dcols, col) = dbuf.split_at_mut(order * nd * n_frames);
        for (k, &j) in self.delta_cols.iter().enumerate() {
            for (c, v) in col.iter_mut().zip(src[j..].iter().step_by(nb)) {
                *c = *v;
            }
            let width = self.cfg.deltas.width;
            if order == 2 {
                // delta and delta-delta in one pass
                let (d1, d2) = dcols.split_at_mut(nd * n_frames);
                let r1 = &mut d1[k * n_frames..(k + 1) * n_frames];
                let r2 = &mut d2[k * n_frames..(k + 1) * n_frames];
                crate::delta::savgol_deriv_both(col, width, r1, r2);
            } else {
                for o in 1..=order {
                    let c0 = ((o - 1) * nd + k) * n_frames;
                    let res = &mut dcols[c0..c0 + n_frames];
                    crate::delta::savgol_deriv(col, width, o, res);
                }
            }
        }
        // row-major f32 output
        let mut vals = vec![0.0f32; n_frames * n_cols];
        for (d, s) in vals.chunks_exact_mut(n_cols).zip(src.chunks_exact(nb)) {
            for (d, s) in d.iter_mut().zip(s) {
                *d = clean(*s);
            }
        }
        for (c, dc) in dcols.chunks_exact(n_frames.max(1)).enumerate() {
            for (d, s) in vals[nb + c..].iter_mut().step_by(n_cols).zip(dc) {
                *d = clean(*s);
            }
        }
        self.delta_buf = dbuf;
        let full = Array2::from_shape_vec((n_frames, n_cols), vals)
            .expect("n_frames rows of n_cols values");
        self.out_buf = out.into_raw_vec_and_offset().0;
        Ok(Lld {
            values: full,
            names: self.names.clone(),
            hop_s: self.hop as f64 / f64::from(self.sr),
            voiced,
            voiced_only: self.voiced_only.clone(),
        })
    }

    /// The frame loop: one spectrum per frame (two per paired FFT), the raw frame and
    /// magnitudes when read, each family's per-frame columns into the rows of `out`.
    fn frames(&mut self, out: &mut Array2<f64>) {
        let (n_frames, nc) = out.dim();
        let pad = if self.cfg.frame.center {
            (self.frame_len / 2) as isize
        } else {
            0
        };
        let (hop, pad_mode) = (self.hop, self.cfg.frame.pad_mode);
        let start_of = |t: usize| (t * hop) as isize - pad;
        let step = self.spectra.frames_per_transform();
        let x = &self.x;
        let spectral_x = if self.xp.is_empty() { x } else { &self.xp };
        let flat = out.as_slice_mut().expect("standard layout");
        for t in (0..n_frames).step_by(step) {
            // one complex FFT for frames t and t + 1, or one real FFT for frame t
            let pair = step == 2 && t + 1 < n_frames;
            self.spectra
                .compute(spectral_x, start_of(t), pair.then(|| start_of(t + 1)));
            if pair {
                let (ra, rb) = flat[t * nc..(t + 2) * nc].split_at_mut(nc);
                let power = self.spectra.pair();
                for f in self.families.iter_mut() {
                    f.pair(t, power, [&mut *ra, &mut *rb]);
                }
            }
            for u in t..(t + step).min(n_frames) {
                if u > t {
                    self.spectra.advance();
                }
                let start = start_of(u);
                let power = self.spectra.power();
                let raw: &[f64] = if self.raw.is_empty() {
                    &[]
                } else {
                    frame_at(x, start, pad_mode, &mut self.raw)
                };
                sqrt_into(&mut self.mag, power);
                let frame = Frame {
                    t: u,
                    start,
                    paired: pair,
                    power,
                    mag: &self.mag,
                    prev_mag: &self.prev_mag,
                    freqs: &self.freqs,
                    raw,
                    x,
                };
                let row = &mut flat[u * nc..(u + 1) * nc];
                for f in self.families.iter_mut() {
                    f.frame(&frame, row);
                }
                std::mem::swap(&mut self.mag, &mut self.prev_mag);
            }
        }
    }
}

/// `out_k = sqrt(power_k)` (magnitudes), compiled for AVX2 too: four square roots per
/// instruction instead of two, the same correctly rounded values.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn sqrt_into(out: &mut [f64], power: &[f64]) {
    for (m, p) in out.iter_mut().zip(power) {
        *m = p.sqrt();
    }
}

/// Reshapes `a` to `(rows, cols)` reusing its allocation; the contents are unspecified.
fn reshape(a: &mut Array2<f64>, rows: usize, cols: usize) {
    if a.dim() == (rows, cols) {
        return;
    }
    let mut v = std::mem::take(a).into_raw_vec_and_offset().0;
    v.resize(rows * cols, 0.0);
    *a = Array2::from_shape_vec((rows, cols), v).expect("buffer sized rows * cols");
}

/// Copies `dst.len()` samples of `x` starting at `start` (may be negative or run past the end;
/// padded with zeros or edge values).
/// The `len` samples of `x` from `start`: borrowed from `x` when they lie inside it, else
/// padded into `buf` (as [`fill`] pads) and borrowed from there. Saves the copy of every
/// interior frame.
fn frame_at<'a>(x: &'a [f64], start: isize, mode: PadMode, buf: &'a mut [f64]) -> &'a [f64] {
    let len = buf.len();
    match usize::try_from(start) {
        Ok(s) if s + len <= x.len() => &x[s..s + len],
        _ => {
            fill(x, start, mode, buf);
            buf
        }
    }
}

fn fill(x: &[f64], start: isize, mode: PadMode, dst: &mut [f64]) {
    let n = x.len() as isize;
    let len = dst.len() as isize;
    if start >= 0 && start + len <= n {
        let s = start as usize;
        dst.copy_from_slice(&x[s..s + dst.len()]);
        return;
    }
    for (i, d) in dst.iter_mut().enumerate() {
        let j = start + i as isize;
        *d = if (0..n).contains(&j) {
            x[j as usize]
        } else {
            match mode {
                PadMode::Constant => 0.0,
                PadMode::Edge => {
                    if n == 0 {
                        0.0
                    } else {
                        x[j.clamp(0, n - 1) as usize]
                    }
                }
            }
        };
    }
}

#[cfg(test)]
mod tests;
