//! Power spectra of the frames of a signal, one per frame, shared by every spectral family:
//! the analysis window, the FFT plan (one per size and kind, shared by every extractor in the
//! process: plans are immutable and `Send + Sync`) and this extractor's buffers, all built once.
//! [`SpectrumMethod`] selects a paired complex FFT (two frames per transform, `f64` or `f32`) or
//! one realfft transform per frame.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use realfft::{RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use super::fill;
use crate::config::{Descriptor, PadMode};

/// The forward real-to-complex FFT plan of `n` points (realfft; its planner caches by length).
fn real_fft_plan(n: usize) -> Arc<dyn RealToComplex<f64>> {
    static PLANNER: OnceLock<Mutex<RealFftPlanner<f64>>> = OnceLock::new();
    PLANNER
        .get_or_init(|| Mutex::new(RealFftPlanner::new()))
        .lock()
        // a panic elsewhere while planning leaves the cache consistent: keep using it
        .unwrap_or_else(PoisonError::into_inner)
        .plan_fft_forward(n)
}

/// The forward complex FFT plan of `n` points (rustfft; its planner caches by length).
fn complex_fft_plan(n: usize) -> Arc<dyn Fft<f64>> {
    static PLANNER: OnceLock<Mutex<FftPlanner<f64>>> = OnceLock::new();
    PLANNER
        .get_or_init(|| Mutex::new(FftPlanner::new()))
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .plan_fft_forward(n)
}

/// The forward single-precision complex FFT plan of `n` points.
fn complex_fft_plan_f32(n: usize) -> Arc<dyn Fft<f32>> {
    static PLANNER: OnceLock<Mutex<FftPlanner<f32>>> = OnceLock::new();
    PLANNER
        .get_or_init(|| Mutex::new(FftPlanner::new()))
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .plan_fft_forward(n)
}

/// How an [`Extractor`](crate::Extractor) computes power spectra (see
/// [`Extractor::set_spectrum_method`](crate::Extractor::set_spectrum_method)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpectrumMethod {
    /// Two consecutive real frames `a`, `b` per complex FFT of `z = a + i b` (rustfft), split
    /// into both spectra afterwards. Measured 10–18 % faster end to end than
    /// [`SpectrumMethod::RealFft`] on MFCC / log-mel sets (`docs/FEATURES.md`). An extractor
    /// starts with [`SpectrumMethod::for_descriptors`]: this method, or its `f32` variant for
    /// sets of floored log-mel / MFCC outputs.
    #[default]
    PairedComplex,
    /// One real-to-complex FFT per frame (realfft).
    RealFft,
    /// [`SpectrumMethod::PairedComplex`] in single precision (windowed samples, FFT and split in
    /// `f32`; powers and everything after them in `f64`): about twice as fast an FFT, at the
    /// cost of FFT rounding noise of ~1e-7 of the frame's largest amplitude (~-140 dB), i.e. bins
    /// or mel bands far below the frame's strongest one lose relative precision (librosa itself
    /// computes in `f32` unless given `f64` input). Checked against the librosa tables.
    PairedComplexF32,
}

/// Largest `top_db` floor (dB below the signal's peak) at which log-mel and MFCC outputs are
/// computed with the single-precision FFT by default: the `f32` rounding noise sits ~140 dB
/// below each frame's strongest bin, far under a floor of at most 100 dB.
pub const F32_SAFE_TOP_DB: f64 = 100.0;

impl SpectrumMethod {
    /// The method an [`Extractor`](crate::Extractor) picks for a descriptor list:
    /// [`SpectrumMethod::PairedComplexF32`] when every spectral output is a log-mel band or MFCC
    /// floored at `top_db <= F32_SAFE_TOP_DB` (the rest being time-domain descriptors), because
    /// then the `f32` FFT's rounding noise is far below anything the output can show (the librosa
    /// MFCC and delta tables hold to the same tolerances); [`SpectrumMethod::PairedComplex`]
    /// (`f64`) otherwise, e.g. for mel powers, spectral shape, contrast or chroma.
    pub fn for_descriptors(descriptors: &[Descriptor]) -> SpectrumMethod {
        let floored = |t: &Option<f64>| t.is_some_and(|t| t <= F32_SAFE_TOP_DB);
        let safe = descriptors.iter().all(|d| match d {
            Descriptor::Mfcc { top_db, .. } | Descriptor::LogMel { top_db, .. } => floored(top_db),
            Descriptor::Zcr { .. }
            | Descriptor::Energy
            | Descriptor::LogEnergy
            | Descriptor::EnergyEntropy { .. } => true,
            Descriptor::Rms { from_spectrum } => !from_spectrum,
            _ => false,
        });
        let spectral = descriptors
            .iter()
            .any(|d| matches!(d, Descriptor::Mfcc { .. } | Descriptor::LogMel { .. }));
        if safe && spectral {
            SpectrumMethod::PairedComplexF32
        } else {
            SpectrumMethod::PairedComplex
        }
    }
}

/// Sample type of the paired FFT.
trait PairSample: rustfft::FftNum + Into<f64> {
    fn of(v: f64) -> Self;
}

impl PairSample for f32 {
    #[inline(always)]
    fn of(v: f64) -> Self {
        v as f32
    }
}

impl PairSample for f64 {
    #[inline(always)]
    fn of(v: f64) -> Self {
        v
    }
}

/// Complex FFT plan and buffers for two real frames per transform.
struct PairFft<T: PairSample> {
    fft: Arc<dyn Fft<T>>,
    /// `n_fft` complex points.
    buf: Vec<Complex<T>>,
    scratch: Vec<Complex<T>>,
}

impl<T: PairSample> PairFft<T> {
    fn new(fft: Arc<dyn Fft<T>>) -> Self {
        let zero = Complex::new(T::of(0.0), T::of(0.0));
        Self {
            buf: vec![zero; fft.len()],
            scratch: vec![zero; fft.get_inplace_scratch_len()],
            fft,
        }
    }

    /// Power spectra of the frames starting at `s0` and `s1` (see [`Spectra::compute`]);
    /// `half_window` is `window / 2`, `frames` scratch of the frame length.
    #[allow(clippy::too_many_arguments)]
    fn spectra(
        &mut self,
        x: &[f64],
        s0: isize,
        s1: Option<isize>,
        pm: PadMode,
        half_window: &[f64],
        tmp: &mut [f64],
        frames: (&mut [f64], &mut [f64]),
        powers: (&mut [f64], &mut [f64]),
    ) {
        let (frame_a, frame_b) = frames;
        let (power, power2) = powers;
        let (fft, buf, scratch) = (&self.fft, &mut self.buf, &mut self.scratch);
        let fl = half_window.len();
        let zero = T::of(0.0);
        // frames windowed with w / 2: Z' = Z / 2, A_k = Z'_k + conj Z'_{N-k}
        let win = half_window;
        let interior = |s: isize| s >= 0 && s as usize + fl <= x.len();
        let (nz0, nz1) = match s1 {
            Some(s) if interior(s0) && interior(s) => {
                // common case: both frames inside the signal, windowed in one pass
                let (a, b) = (&x[s0 as usize..][..fl], &x[s as usize..][..fl]);
                for (((c, w), a), b) in buf[..fl].iter_mut().zip(win).zip(a).zip(b) {
                    *c = Complex::new(T::of(a * w), T::of(b * w));
                }
                (
                    buf[..fl].iter().any(|c| c.re != zero),
                    buf[..fl].iter().any(|c| c.im != zero),
                )
            }
            _ => {
                window_frame(x, s0, pm, win, tmp, frame_a);
                match s1 {
                    Some(s) => window_frame(x, s, pm, win, tmp, frame_b),
                    None => frame_b.fill(0.0),
                }
                for ((c, a), b) in buf.iter_mut().zip(frame_a.iter()).zip(frame_b.iter()) {
                    *c = Complex::new(T::of(*a), T::of(*b));
                }
                (
                    buf[..fl].iter().any(|c| c.re != zero),
                    buf[..fl].iter().any(|c| c.im != zero),
                )
            }
        };
        buf[fl..].fill(Complex::new(zero, zero));
        fft.process_with_scratch(buf, scratch);
        let (z0, rest) = buf.split_at(1);
        // k = 0: A_0 = Re Z_0 = 2 Re Z'_0, B_0 = Im Z_0 = 2 Im Z'_0
        let (r0, i0) = (z0[0].re + z0[0].re, z0[0].im + z0[0].im);
        power[0] = (r0 * r0).into();
        power2[0] = (i0 * i0).into();
        // k = 1..n_bins: Z_{N-k} runs backwards through rest
        for (((p, q), z), w) in power[1..]
            .iter_mut()
            .zip(power2[1..].iter_mut())
            .zip(rest)
            .zip(rest.iter().rev())
        {
            let (ar, ai) = (z.re + w.re, z.im - w.im);
            let (br, bi) = (z.re - w.re, z.im + w.im);
            *p = (ar * ar + ai * ai).into();
            *q = (br * br + bi * bi).into();
        }
        if !nz0 {
            power.fill(0.0);
        }
        if !nz1 {
            power2.fill(0.0);
        }
    }
}

/// The FFT plan of a [`SpectrumMethod`] and its buffers.
enum Transform {
    Pair(PairFft<f64>),
    PairF32(PairFft<f32>),
    Real {
        fft: Arc<dyn RealToComplex<f64>>,
        /// `n_fft` real points (used as scratch by realfft).
        input: Vec<f64>,
        /// `n_fft / 2 + 1` bins.
        output: Vec<Complex<f64>>,
        scratch: Vec<Complex<f64>>,
    },
}

impl Transform {
    fn new(method: SpectrumMethod, n_fft: usize) -> Self {
        match method {
            SpectrumMethod::PairedComplex => Transform::Pair(PairFft::new(complex_fft_plan(n_fft))),
            SpectrumMethod::PairedComplexF32 => {
                Transform::PairF32(PairFft::new(complex_fft_plan_f32(n_fft)))
            }
            SpectrumMethod::RealFft => {
                let fft = real_fft_plan(n_fft);
                Transform::Real {
                    input: fft.make_input_vec(),
                    output: fft.make_output_vec(),
                    scratch: fft.make_scratch_vec(),
                    fft,
                }
            }
        }
    }

    fn method(&self) -> SpectrumMethod {
        match self {
            Transform::Pair(_) => SpectrumMethod::PairedComplex,
            Transform::PairF32(_) => SpectrumMethod::PairedComplexF32,
            Transform::Real { .. } => SpectrumMethod::RealFft,
        }
    }
}

/// Power spectra of windowed, zero-padded frames: [`Spectra::compute`] fills [`Spectra::power`]
/// with the spectrum of one frame, and with a paired method the next frame's into a second
/// buffer that [`Spectra::advance`] swaps in.
pub(super) struct Spectra {
    pad_mode: PadMode,
    n_fft: usize,
    /// Analysis window (`frame_len`).
    window: Vec<f64>,
    /// `window / 2` (exact): the paired FFT's split then needs no factor 1/4 on the powers.
    half_window: Vec<f64>,
    /// The FFT plan and its buffers (see [`SpectrumMethod`]).
    transform: Transform,
    /// Windowed frames (`frame_len`): frame t and, for a complex-FFT pair, frame t + 1.
    frame_a: Vec<f64>,
    frame_b: Vec<f64>,
    /// Scratch for frames that need padding (`frame_len`).
    pad_buf: Vec<f64>,
    /// Power spectrum of the current frame (`n_fft / 2 + 1` bins).
    power: Vec<f64>,
    /// Power spectrum of frame t + 1 (from the same complex FFT as frame t).
    power2: Vec<f64>,
}

impl Spectra {
    /// Spectra of frames of `window.len()` samples padded with `pad_mode` outside the signal,
    /// zero-padded to `n_fft` (>= the frame length).
    pub fn new(method: SpectrumMethod, window: Vec<f64>, n_fft: usize, pad_mode: PadMode) -> Self {
        let (frame_len, n_bins) = (window.len(), n_fft / 2 + 1);
        Self {
            pad_mode,
            n_fft,
            half_window: window.iter().map(|w| 0.5 * w).collect(),
            window,
            transform: Transform::new(method, n_fft),
            frame_a: vec![0.0; frame_len],
            frame_b: vec![0.0; frame_len],
            pad_buf: vec![0.0; frame_len],
            power: vec![0.0; n_bins],
            power2: vec![0.0; n_bins],
        }
    }

    pub fn method(&self) -> SpectrumMethod {
        self.transform.method()
    }

    /// Switches to `method` (a new plan when it differs).
    pub fn set_method(&mut self, method: SpectrumMethod) {
        if method != self.method() {
            self.transform = Transform::new(method, self.n_fft);
        }
    }

    /// Frames per transform: 2 with a paired method, 1 with realfft.
    pub fn frames_per_transform(&self) -> usize {
        match self.transform {
            Transform::Pair(_) | Transform::PairF32(_) => 2,
            Transform::Real { .. } => 1,
        }
    }

    /// Power spectrum of the current frame.
    pub fn power(&self) -> &[f64] {
        &self.power
    }

    /// Power spectra of the frames just computed by a paired transform, in frame order.
    pub fn pair(&self) -> [&[f64]; 2] {
        [&self.power, &self.power2]
    }

    /// Makes the second frame of a pair the current one.
    pub fn advance(&mut self) {
        std::mem::swap(&mut self.power, &mut self.power2);
    }

    /// Power spectra of the windowed frames of `x` starting at `s0` (the current frame) and,
    /// with a paired method, `s1` (the next one).
    ///
    /// Paired: one complex FFT of `z = a + i b`, `A_k = (Z_k + conj Z_{N-k}) / 2`,
    /// `B_k = (Z_k - conj Z_{N-k}) / 2i`; a frame whose windowed samples are all zero gets an
    /// exactly zero spectrum (no rounding crosstalk from its partner). Real: one realfft
    /// transform of frame `s0` (`s1` is then always `None`).
    pub fn compute(&mut self, x: &[f64], s0: isize, s1: Option<isize>) {
        let (fl, pm) = (self.window.len(), self.pad_mode);
        let (win, tmp) = (&self.window, &mut self.pad_buf);
        match &mut self.transform {
            Transform::Real {
                fft,
                input,
                output,
                scratch,
            } => {
                window_frame(x, s0, pm, win, tmp, &mut input[..fl]);
                // realfft uses its input as scratch: the zero padding is rewritten every frame
                input[fl..].fill(0.0);
                fft.process_with_scratch(input, output, scratch)
                    .expect("buffer lengths fixed at construction");
                for (p, z) in self.power.iter_mut().zip(output.iter()) {
                    *p = z.re * z.re + z.im * z.im;
                }
            }
            Transform::Pair(p) => p.spectra(
                x,
                s0,
                s1,
                pm,
                &self.half_window,
                tmp,
                (&mut self.frame_a, &mut self.frame_b),
                (&mut self.power, &mut self.power2),
            ),
            Transform::PairF32(p) => p.spectra(
                x,
                s0,
                s1,
                pm,
                &self.half_window,
                tmp,
                (&mut self.frame_a, &mut self.frame_b),
                (&mut self.power, &mut self.power2),
            ),
        }
    }
}

/// Windowed frame of `x` (the pre-emphasised signal on the spectral path) starting at `start`
/// (zero / edge padded outside) into `dst` (`window.len()` samples, contiguous: vectorisable);
/// `tmp` (>= window length) is scratch for frames that need padding.
fn window_frame(
    x: &[f64],
    start: isize,
    mode: PadMode,
    window: &[f64],
    tmp: &mut [f64],
    dst: &mut [f64],
) {
    let fl = window.len();
    let frame: &[f64] = if start >= 0 && start as usize + fl <= x.len() {
        &x[start as usize..start as usize + fl]
    } else {
        fill(x, start, mode, &mut tmp[..fl]);
        &tmp[..fl]
    };
    for ((d, v), w) in dst.iter_mut().zip(frame).zip(window) {
        *d = v * w;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DescriptorConfig;

    #[test]
    fn plans_are_shared_per_size() {
        assert!(Arc::ptr_eq(&real_fft_plan(512), &real_fft_plan(512)));
        assert!(Arc::ptr_eq(&complex_fft_plan(512), &complex_fft_plan(512)));
        assert!(Arc::ptr_eq(
            &complex_fft_plan_f32(400),
            &complex_fft_plan_f32(400)
        ));
        assert_eq!(real_fft_plan(400).len(), 400);
        // extractors (which hold the plans) can move to and be shared with other threads
        fn send_sync<T: Send + Sync>() {}
        send_sync::<crate::Extractor>();
    }

    #[test]
    fn spectrum_method_follows_the_descriptors() {
        let mfcc = |top_db| Descriptor::Mfcc {
            n_mfcc: 13,
            mel: crate::MelConfig::default(),
            top_db,
            lifter: 0.0,
        };
        let f32_pair = SpectrumMethod::PairedComplexF32;
        let f64_pair = SpectrumMethod::PairedComplex;
        assert_eq!(
            SpectrumMethod::for_descriptors(&[mfcc(Some(80.0))]),
            f32_pair
        );
        assert_eq!(
            SpectrumMethod::for_descriptors(&[Descriptor::LogEnergy, mfcc(Some(80.0))]),
            f32_pair
        );
        // unfloored MFCC, a floor beyond the f32 noise margin, or any other spectral output: f64
        assert_eq!(SpectrumMethod::for_descriptors(&[mfcc(None)]), f64_pair);
        assert_eq!(
            SpectrumMethod::for_descriptors(&[mfcc(Some(120.0))]),
            f64_pair
        );
        assert_eq!(
            SpectrumMethod::for_descriptors(&[mfcc(Some(80.0)), Descriptor::SpectralCentroid]),
            f64_pair
        );
        assert_eq!(
            SpectrumMethod::for_descriptors(&[Descriptor::LogEnergy]),
            f64_pair
        );
        assert_eq!(
            SpectrumMethod::for_descriptors(&DescriptorConfig::default().descriptors),
            f64_pair
        );
        assert_eq!(
            SpectrumMethod::for_descriptors(&DescriptorConfig::librosa().descriptors),
            f64_pair
        );
    }
}
