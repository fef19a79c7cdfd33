//! The extractor: plans built once, one spectrum per frame shared by all spectral descriptors.

mod spectrum;

use ndarray::{Array2, Axis, Slice};

use crate::config::{Descriptor, DescriptorConfig, InputScaling, PadMode};
use crate::fastmath::{self, DB_PER_LN, ln_pos};
use crate::mel::{Filterbank, chroma_filterbank, dct_ortho};
use crate::pitch::{PitchFrame, PitchTracker};
use crate::pyaa::{self, PyAa};
use crate::{Error, Lld, Result, window};
use spectrum::Spectra;
pub use spectrum::SpectrumMethod;

/// Lower bound of power / energy values before taking logarithms (librosa `amin`).
const AMIN: f64 = 1e-10;

#[derive(Debug)]
enum Block {
    Zcr {
        pad_mode: PadMode,
    },
    Energy,
    Rms {
        from_spectrum: bool,
    },
    LogEnergy,
    EnergyEntropy {
        n_blocks: usize,
    },
    Centroid,
    Spread,
    SpectralEntropy,
    Flux,
    Rolloff {
        fraction: f64,
    },
    Flatness,
    Slope,
    AlphaRatio {
        lo: (usize, usize),
        hi: (usize, usize),
    },
    Hammarberg {
        lo: (usize, usize),
        hi: (usize, usize),
    },
    Mel {
        fb: Filterbank,
    },
    LogMel {
        fb: Filterbank,
        top_db: Option<f64>,
    },
    Mfcc {
        fb: Filterbank,
        top_db: Option<f64>,
        /// Orthonormal DCT-II, `n_mfcc x n_mels` row major.
        dct: Vec<f64>,
        n_mfcc: usize,
        lifter: Vec<f64>,
        scratch: Array2<f64>,
        /// Reused buffer of the DCT: folded mel-major log-mel rows, then one coefficient row.
        work: Vec<f64>,
        /// First column of an earlier `log_mel` block with the same filterbank and top_db.
        shared: Option<usize>,
    },
    Chroma {
        fb: Vec<Vec<f64>>,
    },
    Tonnetz {
        fb: Vec<Vec<f64>>,
        phi: Box<[[f64; 12]; 6]>,
    },
    Contrast {
        bands: Vec<ContrastBand>,
        scratch: Array2<f64>,
    },
    Yin,
    Pitch,
    Jitter,
    Shimmer,
    Hnr,
    PyAa,
}

/// One spectral-contrast band: bins `start..end`, how many of them enter the quantile means.
#[derive(Debug, Clone)]
struct ContrastBand {
    start: usize,
    end: usize,
    take: usize,
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
    /// Reused `(n_frames, n_base)` output buffer.
    out_buf: Vec<f64>,
    /// Reused delta buffer (column-major delta columns, then one input column).
    delta_buf: Vec<f64>,
    mag: Vec<f64>,
    prev_mag: Vec<f64>,
    /// Sum of `prev_mag`.
    prev_mag_sum: f64,
    /// Some block applies a mel filterbank.
    has_mel: bool,
    /// The current FFT pair's filterbank outputs are already in place (`mel_pair`).
    mel_batched: bool,
    freqs: Vec<f64>,
    raw: Vec<f64>,
    sorted: Vec<f64>,
    blocks: Vec<(usize, usize, Block)>,
    n_base: usize,
    names: Vec<String>,
    voiced_only: Vec<bool>,
    delta_cols: Vec<usize>,
    pitch: Option<PitchTracker>,
    pitch_buf: Vec<f64>,
    pitch_buf2: Vec<f64>,
    pitch_frames: Vec<PitchFrame>,
    want_pulses: bool,
    pyaa: Option<PyAa>,
    need_mag: bool,
    need_ln: bool,
    /// Some block reads the raw (unwindowed) frame.
    need_raw: bool,
    /// Some block reads the sum of the power spectrum.
    need_pow_sum: bool,
    /// `ln max(P_k, amin)` of the current frame (when `need_ln`).
    ln_power: Vec<f64>,
    /// (K, sum x, sum x^2) of the slope regression abscissa x = f / 1000.
    slope_x: (f64, f64, f64),
    x: Vec<f64>,
    /// The pre-emphasised signal (empty when `pre_emphasis` is 0: the spectral path reads `x`).
    xp: Vec<f64>,
    /// Something besides the spectral path reads `x` (time-domain descriptors, the pitch
    /// tracker, DC normalisation); otherwise `x` stays empty and only `xp` is built.
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

fn band_bins(freqs: &[f64], lo_hz: f64, hi_hz: f64) -> (usize, usize) {
    let start = freqs
        .iter()
        .position(|&f| f >= lo_hz)
        .unwrap_or(freqs.len());
    let end = freqs
        .iter()
        .rposition(|&f| f <= hi_hz)
        .map_or(start, |e| (e + 1).max(start));
    (start, end)
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
        let nyq = sr / 2.0;

        let mut blocks = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let mut voiced_only = Vec::new();
        let mut pitch_cfg = None;
        let mut want_pulses = false;
        let mut pyaa = None;
        let mut log_mels: Vec<(crate::MelConfig, Option<f64>, usize)> = Vec::new();
        for d in &cfg.descriptors {
            let start = names.len();
            let mut push = |n: &str, vo: bool| {
                names.push(n.to_string());
                voiced_only.push(vo);
            };
            let block = match d {
                Descriptor::Zcr { pad_mode } => {
                    push("zcr", false);
                    Block::Zcr {
                        pad_mode: *pad_mode,
                    }
                }
                Descriptor::Energy => {
                    push("energy", false);
                    Block::Energy
                }
                Descriptor::Rms { from_spectrum } => {
                    push("rms", false);
                    Block::Rms {
                        from_spectrum: *from_spectrum,
                    }
                }
                Descriptor::LogEnergy => {
                    push("log_energy_db", false);
                    Block::LogEnergy
                }
                Descriptor::EnergyEntropy { n_blocks } => {
                    push("energy_entropy", false);
                    Block::EnergyEntropy {
                        n_blocks: *n_blocks,
                    }
                }
                Descriptor::SpectralCentroid => {
                    push("spectral_centroid_hz", false);
                    Block::Centroid
                }
                Descriptor::SpectralSpread => {
                    push("spectral_spread_hz", false);
                    Block::Spread
                }
                Descriptor::SpectralEntropy => {
                    push("spectral_entropy", false);
                    Block::SpectralEntropy
                }
                Descriptor::SpectralFlux => {
                    push("spectral_flux", false);
                    Block::Flux
                }
                Descriptor::SpectralRolloff { fraction } => {
                    push("spectral_rolloff_hz", false);
                    Block::Rolloff {
                        fraction: *fraction,
                    }
                }
                Descriptor::SpectralFlatness => {
                    push("spectral_flatness", false);
                    Block::Flatness
                }
                Descriptor::SpectralSlope => {
                    push("spectral_slope_db_per_khz", false);
                    Block::Slope
                }
                Descriptor::AlphaRatio => {
                    push("alpha_ratio_db", false);
                    Block::AlphaRatio {
                        lo: band_bins(&freqs, 50.0, 1000.0),
                        hi: band_bins(&freqs, 1000.0, 5000.0_f64.min(nyq)),
                    }
                }
                Descriptor::Hammarberg => {
                    push("hammarberg_db", false);
                    Block::Hammarberg {
                        lo: band_bins(&freqs, 0.0, 2000.0),
                        hi: band_bins(&freqs, 2000.0, 5000.0_f64.min(nyq)),
                    }
                }
                Descriptor::Mel { mel } => {
                    check_fmax(mel.fmax_hz, nyq)?;
                    for i in 0..mel.n_mels {
                        push(&format!("mel_{i}"), false);
                    }
                    Block::Mel {
                        fb: Filterbank::mel(mel, sample_rate_hz, n_fft),
                    }
                }
                Descriptor::LogMel { mel, top_db } => {
                    check_fmax(mel.fmax_hz, nyq)?;
                    log_mels.push((mel.clone(), *top_db, start));
                    for i in 0..mel.n_mels {
                        push(&format!("log_mel_{i}"), false);
                    }
                    Block::LogMel {
                        fb: Filterbank::mel(mel, sample_rate_hz, n_fft),
                        top_db: *top_db,
                    }
                }
                Descriptor::Mfcc {
                    n_mfcc,
                    mel,
                    top_db,
                    lifter,
                } => {
                    check_fmax(mel.fmax_hz, nyq)?;
                    for i in 0..*n_mfcc {
                        push(&format!("mfcc_{i}"), false);
                    }
                    let lift = (0..*n_mfcc)
                        .map(|i| {
                            if *lifter > 0.0 {
                                1.0 + lifter / 2.0
                                    * (std::f64::consts::PI * (i as f64 + 1.0) / lifter).sin()
                            } else {
                                1.0
                            }
                        })
                        .collect();
                    Block::Mfcc {
                        fb: Filterbank::mel(mel, sample_rate_hz, n_fft),
                        top_db: *top_db,
                        dct: dct_ortho(*n_mfcc, mel.n_mels),
                        n_mfcc: *n_mfcc,
                        lifter: lift,
                        scratch: Array2::zeros((0, mel.n_mels)),
                        work: Vec::new(),
                        shared: log_mels
                            .iter()
                            .find(|(c, t, _)| c == mel && t == top_db)
                            .map(|(_, _, col)| *col),
                    }
                }
                Descriptor::Chroma { tuning } => {
                    for i in 0..12 {
                        push(&format!("chroma_{i}"), false);
                    }
                    Block::Chroma {
                        fb: chroma_filterbank(sample_rate_hz, n_fft, *tuning),
                    }
                }
                Descriptor::Tonnetz => {
                    for i in 0..6 {
                        push(&format!("tonnetz_{i}"), false);
                    }
                    let scale = [7.0 / 6.0, 7.0 / 6.0, 1.5, 1.5, 2.0 / 3.0, 2.0 / 3.0];
                    let r = [1.0, 1.0, 1.0, 1.0, 0.5, 0.5];
                    let mut phi = [[0.0; 12]; 6];
                    for p in 0..6 {
                        for (c, v) in phi[p].iter_mut().enumerate() {
                            let mut vv = scale[p] * c as f64;
                            if p % 2 == 0 {
                                vv -= 0.5;
                            }
                            *v = r[p] * (std::f64::consts::PI * vv).cos();
                        }
                    }
                    Block::Tonnetz {
                        fb: chroma_filterbank(sample_rate_hz, n_fft, 0.0),
                        phi: Box::new(phi),
                    }
                }
                Descriptor::SpectralContrast {
                    n_bands,
                    fmin_hz,
                    quantile,
                } => {
                    for i in 0..=*n_bands {
                        push(&format!("contrast_{i}"), false);
                    }
                    Block::Contrast {
                        bands: contrast_bands(&freqs, *n_bands, *fmin_hz, *quantile)?,
                        scratch: Array2::zeros((0, 2 * (n_bands + 1))),
                    }
                }
                Descriptor::Yin(c) => {
                    pitch_cfg.get_or_insert_with(|| c.clone());
                    push("yin_f0_hz", false);
                    Block::Yin
                }
                Descriptor::Pitch(c) => {
                    pitch_cfg.get_or_insert_with(|| c.clone());
                    push("f0_semitones", true);
                    push("voicing_prob", false);
                    Block::Pitch
                }
                Descriptor::Jitter(c) => {
                    pitch_cfg.get_or_insert_with(|| c.clone());
                    want_pulses = true;
                    push("jitter_local", true);
                    Block::Jitter
                }
                Descriptor::Shimmer(c) => {
                    pitch_cfg.get_or_insert_with(|| c.clone());
                    want_pulses = true;
                    push("shimmer_local_db", true);
                    Block::Shimmer
                }
                Descriptor::Hnr(c) => {
                    pitch_cfg.get_or_insert_with(|| c.clone());
                    push("hnr_db", true);
                    Block::Hnr
                }
                Descriptor::PyAudioAnalysis => {
                    if cfg.frame.center || !frame_len.is_multiple_of(2) {
                        return Err(Error::Param {
                            name: "frame",
                            expected:
                                "center = false and an even frame length for py_audio_analysis"
                                    .into(),
                            found: format!("center = {}, frame {frame_len}", cfg.frame.center),
                        });
                    }
                    for n in pyaa::names() {
                        push(&n, false);
                    }
                    pyaa = Some(PyAa::new(sample_rate_hz, frame_len));
                    Block::PyAa
                }
            };
            blocks.push((start, names.len(), block));
        }
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
        let pitch = match pitch_cfg {
            Some(c) => Some(PitchTracker::new(c, sample_rate_hz)?),
            None => None,
        };
        let pitch_len = pitch.as_ref().map_or(0, |p| p.frame_len);
        let need_mag = blocks.iter().any(|(_, _, b)| {
            matches!(
                b,
                Block::Centroid
                    | Block::Spread
                    | Block::Flux
                    | Block::Rolloff { .. }
                    | Block::Contrast { .. }
                    | Block::PyAa
            )
        });
        let need_ln = blocks
            .iter()
            .any(|(_, _, b)| matches!(b, Block::Flatness | Block::Slope | Block::SpectralEntropy));
        let need_raw = blocks.iter().any(|(_, _, b)| {
            matches!(
                b,
                Block::Zcr { .. }
                    | Block::Energy
                    | Block::Rms {
                        from_spectrum: false
                    }
                    | Block::LogEnergy
                    | Block::EnergyEntropy { .. }
                    | Block::PyAa
            )
        });
        let has_mel = blocks.iter().any(|(_, _, b)| {
            matches!(
                b,
                Block::Mel { .. } | Block::LogMel { .. } | Block::Mfcc { .. }
            )
        });
        let need_pow_sum = blocks.iter().any(|(_, _, b)| {
            matches!(
                b,
                Block::SpectralEntropy
                    | Block::Rms {
                        from_spectrum: true
                    }
            )
        });
        let slope_x = (
            freqs.len() as f64,
            freqs.iter().map(|f| f / 1000.0).sum(),
            freqs.iter().map(|f| (f / 1000.0).powi(2)).sum(),
        );
        let need_x = need_raw
            || pitch.is_some()
            || pyaa.is_some()
            || cfg.input_scaling != InputScaling::None;
        Ok(Self {
            spectra: Spectra::new(method, window, n_fft, cfg.frame.pad_mode),
            out_buf: Vec::new(),
            delta_buf: Vec::new(),
            mag: vec![0.0; n_bins],
            prev_mag: vec![0.0; n_bins],
            prev_mag_sum: 0.0,
            has_mel,
            mel_batched: false,
            freqs,
            raw: vec![0.0; frame_len],
            sorted: Vec::with_capacity(n_bins),
            blocks,
            n_base,
            names,
            voiced_only,
            delta_cols,
            pitch,
            pitch_buf: vec![0.0; pitch_len],
            pitch_buf2: vec![0.0; pitch_len],
            pitch_frames: Vec::new(),
            want_pulses,
            pyaa,
            need_mag,
            need_ln,
            need_raw,
            need_pow_sum,
            ln_power: vec![0.0; n_bins],
            slope_x,
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
        if self.pyaa.is_none() {
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
        for (_, _, b) in self.blocks.iter_mut() {
            match b {
                // every row is overwritten before it is read (frame() / mel_pair() / post())
                Block::Mfcc { scratch, fb, .. } => reshape(scratch, n_frames, fb.bands.len()),
                Block::Contrast { scratch, bands, .. } => {
                    reshape(scratch, n_frames, 2 * bands.len())
                }
                _ => {}
            }
        }
        if let Some(p) = self.pyaa.as_mut() {
            p.reset();
        }
        let voiced = self.run_pitch(n_frames);
        let pad = if self.cfg.frame.center {
            (self.frame_len / 2) as isize
        } else {
            0
        };
        let hop = self.hop;
        let start_of = |t: usize| (t * hop) as isize - pad;
        let step = self.spectra.frames_per_transform();
        for t in (0..n_frames).step_by(step) {
            // one complex FFT for frames t and t + 1, or one real FFT for frame t
            let pair = step == 2 && t + 1 < n_frames;
            let x = if self.xp.is_empty() {
                &self.x
            } else {
                &self.xp
            };
            self.spectra
                .compute(x, start_of(t), pair.then(|| start_of(t + 1)));
            self.mel_batched = pair && self.has_mel;
            if self.mel_batched {
                self.mel_pair(t, &mut out);
            }
            for u in t..(t + step).min(n_frames) {
                if u > t {
                    self.spectra.advance();
                }
                let mut row = out.row_mut(u);
                let row = row
                    .as_slice_mut()
                    .expect("rows of a standard-layout array are contiguous");
                self.frame(u, start_of(u), row);
            }
        }
        self.post(&mut out, &voiced);
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

    /// Pitch pass over all frames; returns the voicing decisions.
    fn run_pitch(&mut self, n_frames: usize) -> Vec<bool> {
        let Some(tracker) = self.pitch.as_mut() else {
            return vec![false; n_frames];
        };
        let n = tracker.frame_len;
        let centre_off = if self.cfg.frame.center {
            0
        } else {
            (self.frame_len / 2) as isize
        };
        let start_of = |t: usize| (t * self.hop) as isize + centre_off - (n / 2) as isize;
        self.pitch_frames.clear();
        for t in (0..n_frames).step_by(2) {
            // two frames per FFT
            fill(&self.x, start_of(t), PadMode::Constant, &mut self.pitch_buf);
            let second = t + 1 < n_frames;
            if second {
                fill(
                    &self.x,
                    start_of(t + 1),
                    PadMode::Constant,
                    &mut self.pitch_buf2,
                );
            }
            let (p0, p1) =
                tracker.analyse_pair(&self.pitch_buf, second.then_some(&self.pitch_buf2[..]));
            self.pitch_frames.push(p0);
            self.pitch_frames.extend(p1);
        }
        let max_e = self
            .pitch_frames
            .iter()
            .map(|p| p.energy)
            .fold(0.0, f64::max);
        let floor = max_e * 10f64.powf(tracker.cfg.silence_db / 10.0);
        let (fmin, fmax, thr) = (
            tracker.cfg.fmin_hz,
            tracker.cfg.fmax_hz,
            tracker.cfg.voicing_threshold,
        );
        let voiced: Vec<bool> = self
            .pitch_frames
            .iter()
            .map(|p| {
                p.energy > 0.0
                    && p.energy >= floor
                    && p.aperiodicity < thr
                    && p.f0_hz >= fmin * 0.99
                    && p.f0_hz <= fmax * 1.01
            })
            .collect();
        if self.want_pulses {
            // glottal pulses only where they are used: voiced frames
            for (t, &v) in voiced.iter().enumerate() {
                if v {
                    fill(&self.x, start_of(t), PadMode::Constant, &mut self.pitch_buf);
                    self.pitch_frames[t].pulses =
                        tracker.pulses(&self.pitch_buf, self.pitch_frames[t].f0_hz);
                }
            }
        }
        voiced
    }

    /// Mel / log-mel / MFCC-input filterbank outputs of frames `t` (spectrum in `power`) and
    /// `t + 1` (in `power2`) into their rows of `out` / the MFCC scratch.
    fn mel_pair(&mut self, t: usize, out: &mut Array2<f64>) {
        let [pa, pb] = self.spectra.pair();
        let nc = out.ncols();
        let flat = out.as_slice_mut().expect("standard layout");
        let (ra, rb) = flat[t * nc..(t + 2) * nc].split_at_mut(nc);
        for (lo, hi, b) in self.blocks.iter_mut() {
            let (lo, hi) = (*lo, *hi);
            match b {
                Block::Mel { fb } => fb.apply2(pa, pb, &mut ra[lo..hi], &mut rb[lo..hi]),
                Block::LogMel { fb, .. } => {
                    fb.apply2(pa, pb, &mut ra[lo..hi], &mut rb[lo..hi]);
                    fastmath::power_to_db_inplace(&mut ra[lo..hi], AMIN);
                    fastmath::power_to_db_inplace(&mut rb[lo..hi], AMIN);
                }
                Block::Mfcc {
                    fb,
                    scratch,
                    shared: None,
                    ..
                } => {
                    let nm = scratch.ncols();
                    let sf = scratch.as_slice_mut().expect("standard layout");
                    let (sa, sb) = sf[t * nm..(t + 2) * nm].split_at_mut(nm);
                    fb.apply2(pa, pb, sa, sb);
                    fastmath::power_to_db_inplace(sa, AMIN);
                    fastmath::power_to_db_inplace(sb, AMIN);
                }
                _ => {}
            }
        }
    }

    /// One frame (its power spectrum already in `power`): fills its row of `row`.
    fn frame(&mut self, t: usize, start: isize, row: &mut [f64]) {
        let fl = self.frame_len;
        let power = self.spectra.power();
        let mut raw_energy = 0.0;
        if self.need_raw {
            fill(&self.x, start, self.cfg.frame.pad_mode, &mut self.raw);
            // mean square of the raw frame (energy, RMS, log energy)
            raw_energy = fastmath::dot(&self.raw, &self.raw) / fl as f64;
        }
        if self.need_mag {
            for (m, p) in self.mag.iter_mut().zip(power) {
                *m = p.sqrt();
            }
        }
        let mag_sum: f64 = if self.need_mag {
            fastmath::sum(&self.mag)
        } else {
            0.0
        };
        let pow_sum: f64 = if self.need_pow_sum {
            fastmath::sum(power)
        } else {
            0.0
        };
        // ln of the floored power, shared by flatness, slope and entropy
        let (mut sum_ln, mut sum_x_ln, mut sum_p_ln) = (0.0, 0.0, 0.0);
        if self.need_ln {
            for (l, p) in self.ln_power.iter_mut().zip(power) {
                *l = ln_pos(p.max(AMIN));
            }
            sum_ln = fastmath::sum(&self.ln_power);
            sum_x_ln = fastmath::dot(&self.freqs, &self.ln_power);
            // sum P ln P: the dot product uses ln(amin) below amin; fix those (rare) bins
            sum_p_ln = fastmath::dot(power, &self.ln_power);
            let ln_amin = AMIN.ln();
            for p in power {
                if *p < AMIN && *p > 0.0 {
                    sum_p_ln += p * (p.ln() - ln_amin);
                }
            }
        }
        let centroid = if self.need_mag && mag_sum > 0.0 {
            fastmath::dot(&self.mag, &self.freqs) / mag_sum
        } else {
            0.0
        };
        for (lo, hi, b) in self.blocks.iter_mut() {
            let cols = &mut row[*lo..*hi];
            match b {
                Block::Zcr { pad_mode } => {
                    let frame: &[f64] = if *pad_mode == self.cfg.frame.pad_mode {
                        &self.raw
                    } else {
                        self.sorted.clear();
                        self.sorted.resize(fl, 0.0);
                        fill(&self.x, start, *pad_mode, &mut self.sorted);
                        &self.sorted
                    };
                    let sb = |v: f64| v.abs() > 1e-10 && v < 0.0;
                    let mut c = 0usize;
                    for w in frame.windows(2) {
                        if sb(w[0]) != sb(w[1]) {
                            c += 1;
                        }
                    }
                    cols[0] = c as f64 / fl as f64;
                }
                Block::Energy => cols[0] = raw_energy,
                Block::Rms { from_spectrum } => {
                    cols[0] = if *from_spectrum {
                        let nb = power.len();
                        let mut s = 2.0 * pow_sum - power[0];
                        if self.n_fft.is_multiple_of(2) {
                            s -= power[nb - 1];
                        }
                        (s.max(0.0) / (self.n_fft as f64).powi(2)).sqrt()
                    } else {
                        raw_energy.sqrt()
                    }
                }
                Block::LogEnergy => {
                    cols[0] = 10.0 * raw_energy.max(AMIN).log10();
                }
                Block::EnergyEntropy { n_blocks } => {
                    cols[0] = pyaa::block_entropy(&self.raw, *n_blocks)
                }
                Block::Centroid => cols[0] = centroid,
                Block::Spread => {
                    cols[0] = if mag_sum > 0.0 {
                        fastmath::sum_zip(&self.mag, &self.freqs, |m, f| {
                            m / mag_sum * (f - centroid) * (f - centroid)
                        })
                        .sqrt()
                    } else {
                        0.0
                    }
                }
                Block::SpectralEntropy => {
                    // -sum p ln p with p = P / S equals ln S - sum P ln P / S
                    cols[0] = if pow_sum > 0.0 {
                        let h = (pow_sum.ln() - sum_p_ln / pow_sum).max(0.0);
                        h / (power.len() as f64).ln()
                    } else {
                        0.0
                    }
                }
                Block::Flux => {
                    let prev_sum = self.prev_mag_sum;
                    cols[0] = if t == 0 {
                        0.0
                    } else {
                        let a = if mag_sum > 0.0 { 1.0 / mag_sum } else { 0.0 };
                        let b = if prev_sum > 0.0 { 1.0 / prev_sum } else { 0.0 };
                        fastmath::sum_zip(&self.mag, &self.prev_mag, |m, p| {
                            (m * a - p * b) * (m * a - p * b)
                        })
                    };
                }
                Block::Rolloff { fraction } => {
                    let thr = *fraction * mag_sum;
                    let mut cum = 0.0;
                    let mut val = 0.0;
                    if mag_sum > 0.0 {
                        for (m, f) in self.mag.iter().zip(&self.freqs) {
                            cum += m;
                            if cum >= thr {
                                val = *f;
                                break;
                            }
                        }
                    }
                    cols[0] = val;
                }
                Block::Flatness => {
                    let n = power.len() as f64;
                    let asum = fastmath::sum_map(power, |p| p.max(AMIN));
                    cols[0] = (sum_ln / n).exp() / (asum / n);
                }
                Block::Slope => {
                    // regression of y = 10 log10 P' on x = f / 1000
                    let (n, sx, sxx) = self.slope_x;
                    let db = 10.0 / std::f64::consts::LN_10;
                    let (sy, sxy) = (db * sum_ln, db * sum_x_ln / 1000.0);
                    let den = n * sxx - sx * sx;
                    cols[0] = if den > 0.0 {
                        (n * sxy - sx * sy) / den
                    } else {
                        0.0
                    };
                }
                Block::AlphaRatio { lo, hi } => {
                    let l = fastmath::sum(&power[lo.0..lo.1]);
                    let h = fastmath::sum(&power[hi.0..hi.1]);
                    cols[0] = 10.0 * h.max(AMIN).log10() - 10.0 * l.max(AMIN).log10();
                }
                Block::Hammarberg { lo, hi } => {
                    let l = power[lo.0..lo.1].iter().cloned().fold(0.0, f64::max);
                    let h = power[hi.0..hi.1].iter().cloned().fold(0.0, f64::max);
                    cols[0] = 10.0 * l.max(AMIN).log10() - 10.0 * h.max(AMIN).log10();
                }
                // filterbanks of both frames of an FFT pair are done in mel_pair()
                Block::Mel { .. } | Block::LogMel { .. } | Block::Mfcc { .. }
                    if self.mel_batched => {}
                Block::Mel { fb } => fb.apply(power, cols),
                Block::LogMel { fb, .. } => {
                    fb.apply(power, cols);
                    fastmath::power_to_db_inplace(cols, AMIN);
                }
                Block::Mfcc {
                    shared: Some(_), ..
                } => {}
                Block::Mfcc { fb, scratch, .. } => {
                    let mut r = scratch.row_mut(t);
                    let r = r.as_slice_mut().expect("standard layout");
                    fb.apply(power, r);
                    fastmath::power_to_db_inplace(r, AMIN);
                }
                Block::Chroma { fb } => {
                    chroma(fb, power, cols);
                }
                Block::Tonnetz { fb, phi } => {
                    let mut ch = [0.0; 12];
                    chroma(fb, power, &mut ch);
                    let s: f64 = ch.iter().map(|v| v.abs()).sum();
                    if s > f64::MIN_POSITIVE {
                        for v in ch.iter_mut() {
                            *v /= s;
                        }
                    }
                    for (p, c) in phi.iter().zip(cols.iter_mut()) {
                        *c = p.iter().zip(&ch).map(|(a, b)| a * b).sum();
                    }
                }
                Block::Contrast { bands, scratch } => {
                    let nb = bands.len();
                    let mut r = scratch.row_mut(t);
                    let r = r.as_slice_mut().expect("standard layout");
                    for (k, band) in bands.iter().enumerate() {
                        let (valley, peak) = extreme_means(
                            &self.mag[band.start..band.end],
                            band.take,
                            &mut self.sorted,
                        );
                        r[nb + k] = valley;
                        r[k] = peak;
                    }
                }
                Block::Yin => cols[0] = self.pitch_frames[t].f0_hz,
                Block::Pitch | Block::Jitter | Block::Shimmer | Block::Hnr => {} // in post()
                Block::PyAa => {
                    if let Some(p) = self.pyaa.as_mut() {
                        let nf = fl / 2;
                        p.frame(&self.raw, &self.mag[..nf], &mut cols[..pyaa::N_BASE]);
                    }
                }
            }
        }
        std::mem::swap(&mut self.prev_mag, &mut self.mag);
        self.prev_mag_sum = mag_sum;
    }

    /// Utterance-level passes: top_db clamps, MFCC DCT, contrast dB, pitch columns, pyAA deltas.
    fn post(&mut self, out: &mut Array2<f64>, voiced: &[bool]) {
        let n_frames = out.nrows();
        for (lo, hi, b) in self.blocks.iter_mut() {
            let (lo, hi) = (*lo, *hi);
            match b {
                Block::LogMel {
                    top_db: Some(td), ..
                } => {
                    let mx = out
                        .slice_axis(Axis(1), Slice::from(lo..hi))
                        .rows()
                        .into_iter()
                        .map(|r| fastmath::max(r.to_slice().expect("contiguous rows")))
                        .fold(f64::NEG_INFINITY, f64::max);
                    out.slice_axis_mut(Axis(1), Slice::from(lo..hi))
                        .mapv_inplace(|v| v.max(mx - *td));
                }
                Block::Mfcc {
                    top_db,
                    dct,
                    n_mfcc,
                    lifter,
                    scratch,
                    work,
                    shared,
                    ..
                } => {
                    if let Some(c0) = *shared {
                        // the log-mel block (earlier, already clamped with the same top_db)
                        let nm = scratch.ncols();
                        scratch.assign(&out.slice_axis(Axis(1), Slice::from(c0..c0 + nm)));
                    } else if let Some(td) = top_db {
                        let sl = scratch.as_slice_mut().expect("standard layout");
                        let floor = fastmath::max(sl) - *td;
                        for v in sl.iter_mut() {
                            *v = v.max(floor);
                        }
                    }
                    // C = S D^T over all frames at once, with S transposed (mel-major) so that
                    // each coefficient is a sum of scaled contiguous rows (vectorisable axpys).
                    // DCT-II symmetry: row k of D is even (k even) or odd (k odd) about the
                    // centre, so only half of each row is needed, applied to the folded sums /
                    // differences u_n = s_n + s_{N-1-n}, v_n = s_n - s_{N-1-n} (half the MACs).
                    let nm = scratch.ncols();
                    let half = nm / 2;
                    let n_fold = 2 * half + nm % 2;
                    work.clear();
                    work.resize((n_fold + 1) * n_frames, 0.0);
                    let (folded, acc) = work.split_at_mut(n_fold * n_frames);
                    let sl = scratch.as_slice().expect("standard layout");
                    for (t, s) in sl.chunks_exact(nm).enumerate() {
                        for j in 0..half {
                            let (x, y) = (s[j], s[nm - 1 - j]);
                            folded[j * n_frames + t] = x + y;
                            folded[(half + j) * n_frames + t] = x - y;
                        }
                        if nm % 2 == 1 {
                            folded[2 * half * n_frames + t] = s[half];
                        }
                    }
                    let nc = out.ncols();
                    let o = out.as_slice_mut().expect("standard layout");
                    for (i, l) in lifter.iter().enumerate().take(*n_mfcc) {
                        let d = &dct[i * nm..(i + 1) * nm];
                        let off = if i % 2 == 0 { 0 } else { half };
                        // the centre sample only for even rows of an odd-sized DCT (odd rows
                        // vanish there)
                        let centre = (nm % 2 == 1 && i % 2 == 0).then(|| {
                            (
                                d[half],
                                &folded[2 * half * n_frames..(2 * half + 1) * n_frames],
                            )
                        });
                        // blocks of B frames accumulated in registers
                        const B: usize = 8;
                        let n_blk = n_frames / B * B;
                        for t0 in (0..n_blk).step_by(B) {
                            let mut a = [0.0f64; B];
                            for (j, &c) in d[..half].iter().enumerate() {
                                let base = (off + j) * n_frames + t0;
                                let row: &[f64; B] = folded[base..base + B]
                                    .try_into()
                                    .expect("slice of length B");
                                for q in 0..B {
                                    a[q] += c * row[q];
                                }
                            }
                            if let Some((c, row)) = centre {
                                for q in 0..B {
                                    a[q] += c * row[t0 + q];
                                }
                            }
                            acc[t0..t0 + B].copy_from_slice(&a);
                        }
                        for (t, a) in acc.iter_mut().enumerate().skip(n_blk) {
                            *a = d[..half]
                                .iter()
                                .enumerate()
                                .map(|(j, &c)| c * folded[(off + j) * n_frames + t])
                                .sum::<f64>()
                                + centre.map_or(0.0, |(c, row)| c * row[t]);
                        }
                        for (o, a) in o[lo + i..].iter_mut().step_by(nc).zip(acc.iter()) {
                            *o = a * l;
                        }
                    }
                }
                Block::Contrast { scratch, bands } => {
                    let nb = bands.len();
                    let to_db = |m: &mut Array2<f64>, a: usize, b: usize| {
                        let mut sl = m.slice_axis_mut(Axis(1), Slice::from(a..b));
                        sl.mapv_inplace(|v| DB_PER_LN * ln_pos(v.max(AMIN)));
                        let mx = sl.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                        sl.mapv_inplace(|v| v.max(mx - 80.0));
                    };
                    to_db(scratch, 0, nb);
                    to_db(scratch, nb, 2 * nb);
                    for t in 0..n_frames {
                        for k in 0..nb {
                            out[(t, lo + k)] = scratch[(t, k)] - scratch[(t, nb + k)];
                        }
                    }
                }
                Block::Pitch => {
                    for t in 0..n_frames {
                        let p = &self.pitch_frames[t];
                        out[(t, lo)] = if voiced[t] {
                            12.0 * (p.f0_hz / 27.5).log2()
                        } else {
                            0.0
                        };
                        out[(t, lo + 1)] = if p.energy > 0.0 {
                            (1.0 - p.aperiodicity).clamp(0.0, 1.0)
                        } else {
                            0.0
                        };
                    }
                }
                Block::Jitter | Block::Shimmer => {
                    let is_j = matches!(b, Block::Jitter);
                    for t in 0..n_frames {
                        out[(t, lo)] = match (voiced[t], self.pitch_frames[t].pulses) {
                            (true, Some(ps)) => {
                                if is_j {
                                    ps.jitter_local
                                } else {
                                    ps.shimmer_local_db
                                }
                            }
                            _ => 0.0,
                        };
                    }
                }
                Block::Hnr => {
                    for t in 0..n_frames {
                        let r = self.pitch_frames[t].r_period.clamp(0.01, 0.9999);
                        out[(t, lo)] = 10.0 * (r / (1.0 - r)).log10();
                    }
                }
                Block::PyAa => {
                    for t in (1..n_frames).rev() {
                        for j in 0..pyaa::N_BASE {
                            out[(t, lo + pyaa::N_BASE + j)] =
                                out[(t, lo + j)] - out[(t - 1, lo + j)];
                        }
                    }
                    debug_assert_eq!(hi - lo, 2 * pyaa::N_BASE);
                }
                _ => {}
            }
        }
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

fn check_fmax(fmax: Option<f64>, nyq: f64) -> Result<()> {
    match fmax {
        Some(f) if !(f.is_finite() && f > 0.0 && f <= nyq * 1.000001) => Err(Error::Param {
            name: "mel.fmax_hz",
            expected: format!("(0, {nyq}] (Nyquist)"),
            found: f.to_string(),
        }),
        _ => Ok(()),
    }
}

/// librosa `chroma_stft` column: filterbank times power, L2-normalised (unchanged when ~0).
fn chroma(fb: &[Vec<f64>], power: &[f64], out: &mut [f64]) {
    for (row, o) in fb.iter().zip(out.iter_mut()) {
        *o = row.iter().zip(power).map(|(a, b)| a * b).sum();
    }
    let n: f64 = out.iter().map(|v| v * v).sum::<f64>().sqrt();
    if n > f64::MIN_POSITIVE {
        for v in out.iter_mut() {
            *v /= n;
        }
    }
}

/// librosa `spectral_contrast` octave bands.
fn contrast_bands(
    freqs: &[f64],
    n_bands: usize,
    fmin: f64,
    quantile: f64,
) -> Result<Vec<ContrastBand>> {
    let mut octa = vec![0.0; n_bands + 2];
    for (i, o) in octa.iter_mut().enumerate().skip(1) {
        *o = fmin * 2f64.powi(i as i32 - 1);
    }
    let nyq = freqs.last().copied().unwrap_or(0.0);
    if octa[n_bands] >= nyq {
        return Err(Error::Param {
            name: "spectral_contrast.fmin_hz",
            expected: format!("fmin_hz * 2^(n_bands-1) < Nyquist ({nyq} Hz)"),
            found: format!("fmin_hz {fmin}, n_bands {n_bands}"),
        });
    }
    let nb = freqs.len();
    let mut bands = Vec::new();
    for k in 0..=n_bands {
        let (f_lo, f_hi) = (octa[k], octa[k + 1]);
        let mut mask: Vec<bool> = freqs.iter().map(|&f| f >= f_lo && f <= f_hi).collect();
        let idx: Vec<usize> = (0..nb).filter(|&i| mask[i]).collect();
        let (Some(&first), Some(&last)) = (idx.first(), idx.last()) else {
            return Err(Error::Param {
                name: "spectral_contrast",
                expected: "a non-empty band".into(),
                found: format!("band {k} has no bins"),
            });
        };
        if k > 0 && first > 0 {
            mask[first - 1] = true;
        }
        if k == n_bands {
            for m in mask.iter_mut().skip(last + 1) {
                *m = true;
            }
        }
        let count = mask.iter().filter(|&&m| m).count();
        let start = mask.iter().position(|&m| m).unwrap_or(0);
        let mut end = start + count;
        if k < n_bands {
            end -= 1;
        }
        let take = ((quantile * count as f64).round_ties_even() as usize).max(1);
        bands.push(ContrastBand { start, end, take });
    }
    Ok(bands)
}

/// Copies `dst.len()` samples of `x` starting at `start` (may be negative or run past the end;
/// padded with zeros or edge values).
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

/// Means of the `take` smallest and the `take` largest values of `v` (`take` clamped to
/// `1..=len`; (0, 0) for an empty slice). One pass with small insertion lists for `take <= 8`
/// (spectral contrast takes 1 to 3 bins per band at usual sizes), partial selection otherwise.
fn extreme_means(v: &[f64], take: usize, buf: &mut Vec<f64>) -> (f64, f64) {
    let m = v.len();
    if m == 0 {
        return (0.0, 0.0);
    }
    let take = take.clamp(1, m);
    if take == 1 {
        let (mut lo, mut hi) = (v[0], v[0]);
        for &x in &v[1..] {
            lo = lo.min(x);
            hi = hi.max(x);
        }
        return (lo, hi);
    }
    if take <= 8 {
        // lo: ascending `take` smallest so far; hi: descending `take` largest so far
        let mut lo = [f64::INFINITY; 8];
        let mut hi = [f64::NEG_INFINITY; 8];
        let (lo, hi) = (&mut lo[..take], &mut hi[..take]);
        for &x in v {
            if x < lo[take - 1] {
                let mut i = take - 1;
                while i > 0 && lo[i - 1] > x {
                    lo[i] = lo[i - 1];
                    i -= 1;
                }
                lo[i] = x;
            }
            if x > hi[take - 1] {
                let mut i = take - 1;
                while i > 0 && hi[i - 1] < x {
                    hi[i] = hi[i - 1];
                    i -= 1;
                }
                hi[i] = x;
            }
        }
        let n = take as f64;
        return (lo.iter().sum::<f64>() / n, hi.iter().sum::<f64>() / n);
    }
    buf.clear();
    buf.extend_from_slice(v);
    let n = take as f64;
    if take < m {
        buf.select_nth_unstable_by(take - 1, f64::total_cmp);
    }
    let valley = buf[..take].iter().sum::<f64>() / n;
    if take < m {
        buf.select_nth_unstable_by(m - take, f64::total_cmp);
    }
    let peak = buf[m - take..].iter().sum::<f64>() / n;
    (valley, peak)
}

#[cfg(test)]
mod tests {

    use super::extreme_means;

    #[test]
    fn extreme_means_match_sorting() {
        let mut state = 7u64;
        let mut buf = Vec::new();
        for len in [1usize, 2, 3, 7, 20, 129] {
            let v: Vec<f64> = (0..len)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    ((state >> 33) % 50) as f64 // many ties
                })
                .collect();
            let mut s = v.clone();
            s.sort_by(f64::total_cmp);
            for take in [1usize, 2, 3, 8, 9, 40, 200] {
                let t = take.clamp(1, len);
                let lo = s[..t].iter().sum::<f64>() / t as f64;
                let hi = s[len - t..].iter().sum::<f64>() / t as f64;
                let (a, b) = extreme_means(&v, take, &mut buf);
                assert!(
                    (a - lo).abs() < 1e-12 && (b - hi).abs() < 1e-12,
                    "{len} {take}"
                );
            }
        }
        assert_eq!(extreme_means(&[], 3, &mut buf), (0.0, 0.0));
    }
}
