//! Band-limited sample-rate conversion (rubato's synchronous FFT resampler).

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler as _, WindowFunction};

use crate::{Audio, DecodeOptions, Error, Result};

/// Wanted FFT block length on the input side, in frames. The anti-aliasing filter is a
/// Blackman-Harris² windowed sinc of this length: longer blocks give a narrower transition band
/// (at 48 kHz → 16 kHz, blocks of ≥ 1024 input frames put the -60 dB point below 1.1 × the output
/// Nyquist frequency and keep 0.875 × Nyquist within 0.5 dB).
const FFT_BLOCK_IN: usize = 2048;

/// Input frames per processing chunk (several FFT blocks).
const CHUNK_IN: usize = 8192;

/// Both rates in 1..=`MAX_SAMPLE_RATE_HZ`.
fn check_rates(from_hz: u32, to_hz: u32) -> Result<()> {
    for (name, v) in [("from_hz", from_hz), ("to_hz", to_hz)] {
        if v == 0 || v > crate::decode::MAX_SAMPLE_RATE_HZ {
            return Err(Error::Param {
                name,
                expected: format!("1..={} Hz", crate::decode::MAX_SAMPLE_RATE_HZ),
                found: format!("{v} Hz"),
            });
        }
    }
    Ok(())
}

/// Rubato's FFT resampler from `from_hz` to `to_hz` (different rates) whose FFT input block is
/// an even number of minimal blocks, at least `block_in` frames, so that the filter delay is a
/// whole number of output frames (rubato trims `fft_size_out / 2` frames; an odd count would
/// leave the output shifted by half a frame); each call processes as many such blocks as fit in
/// `chunk_in` frames (at least one). Returns it and its FFT input block length.
fn plan_fft(
    from_hz: u32,
    to_hz: u32,
    block_in: usize,
    chunk_in: usize,
) -> Result<(Fft<f32>, usize)> {
    let gcd = gcd(from_hz as usize, to_hz as usize);
    let min_in = from_hz as usize / gcd;
    let fft_in = block_in.div_ceil(min_in).next_multiple_of(2) * min_in;
    let sub_chunks = (chunk_in / fft_in).max(1);
    let fft = Fft::<f32>::new_custom(
        from_hz as usize,
        to_hz as usize,
        fft_in * sub_chunks,
        sub_chunks,
        1,
        WindowFunction::BlackmanHarris2,
        FixedSync::Input,
    )
    .map_err(|e| Error::Param {
        name: "from_hz/to_hz",
        expected: "a rate pair rubato can plan".into(),
        found: format!("{from_hz} Hz -> {to_hz} Hz: {e}"),
    })?;
    Ok((fft, fft_in))
}

/// A reusable resampler from one fixed rate to another (planner style: build once, call often).
///
/// Band-limited: frequencies above the output Nyquist frequency are removed before decimation,
/// so nothing aliases. When both rates are equal, samples pass through unchanged.
pub struct Resampler {
    from_hz: u32,
    to_hz: u32,
    inner: Option<Fft<f32>>,
    out: Vec<f32>,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resampler")
            .field("from_hz", &self.from_hz)
            .field("to_hz", &self.to_hz)
            .finish_non_exhaustive()
    }
}

impl Resampler {
    /// Plan a conversion from `from_hz` to `to_hz` (both in 1..=768 000 Hz).
    pub fn new(from_hz: u32, to_hz: u32) -> Result<Self> {
        check_rates(from_hz, to_hz)?;
        let inner = if from_hz == to_hz {
            None
        } else {
            Some(plan_fft(from_hz, to_hz, FFT_BLOCK_IN, CHUNK_IN)?.0)
        };
        Ok(Resampler {
            from_hz,
            to_hz,
            inner,
            out: Vec::new(),
        })
    }

    /// Input rate in Hz.
    pub fn from_hz(&self) -> u32 {
        self.from_hz
    }

    /// Output rate in Hz.
    pub fn to_hz(&self) -> u32 {
        self.to_hz
    }

    /// Resample a whole clip (mono). The output has `ceil(len · to/from)` samples and is aligned
    /// with the input (the filter delay is removed). The resampler is reset first, so clips are
    /// independent.
    pub fn process(&mut self, input: &[f32]) -> Result<Vec<f32>> {
        let mut out = Vec::new();
        self.process_into(input, &mut out)?;
        Ok(out)
    }

    /// Like [`Resampler::process`], writing into `out` (cleared first) to reuse its allocation.
    pub fn process_into(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<()> {
        out.clear();
        let Some(fft) = self.inner.as_mut() else {
            out.extend_from_slice(input);
            return Ok(());
        };
        if input.is_empty() {
            return Ok(());
        }
        let err = |reason: String| Error::Resample {
            path: PathBuf::new(),
            from_hz: self.from_hz,
            to_hz: self.to_hz,
            reason,
        };
        fft.reset();
        let needed = fft.process_all_needed_output_len(input.len());
        self.out.clear();
        self.out.resize(needed, 0.0);
        let buf_in =
            InterleavedSlice::new(input, 1, input.len()).map_err(|e| err(e.to_string()))?;
        let mut buf_out = InterleavedSlice::new_mut(&mut self.out[..], 1, needed)
            .map_err(|e| err(e.to_string()))?;
        let (_, produced) = fft
            .process_all_into_buffer(&buf_in, &mut buf_out, input.len(), None)
            .map_err(|e| err(e.to_string()))?;
        out.extend_from_slice(&self.out[..produced.min(needed)]);
        Ok(())
    }
}

/// Wanted FFT block length on the input side of [`StreamResampler`], in frames: shorter than the
/// whole-clip resampler's, because every block is a wait before output (1024 frames are 21 ms at
/// 48 kHz). At 48 kHz → 16 kHz the -60 dB point stays below 1.2 × the output Nyquist frequency.
const STREAM_BLOCK_IN: usize = 1024;

/// A resampler for audio that arrives in pieces (planner style: build once, push often).
///
/// Input of any length is gathered into fixed blocks of [`StreamResampler::block_len_in`] frames
/// and each full block is resampled with the filter state carried over from the previous one.
/// Because the blocks do not depend on how the input was cut, the output is the same, bit for
/// bit, whatever the sizes of the pieces pushed. The filter delay is removed: output sample `k`
/// is aligned with input time `k / to_hz`, and after [`StreamResampler::finish`] the output holds
/// `ceil(n_in · to / from)` samples, as [`Resampler::process`] gives for the whole clip (the
/// values differ slightly: the blocks, hence the filters, are shorter). When both rates are
/// equal, samples pass through unchanged and nothing is delayed.
pub struct StreamResampler {
    from_hz: u32,
    to_hz: u32,
    inner: Option<Fft<f32>>,
    /// Input frames waiting for a full block (fewer than `block_in`).
    pending: Vec<f32>,
    block_in: usize,
    /// One block's output.
    scratch: Vec<f32>,
    /// Output frames still to drop (the filter delay).
    to_trim: usize,
    consumed_in: u64,
    produced_out: u64,
}

impl std::fmt::Debug for StreamResampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamResampler")
            .field("from_hz", &self.from_hz)
            .field("to_hz", &self.to_hz)
            .field("block_in", &self.block_in)
            .finish_non_exhaustive()
    }
}

impl StreamResampler {
    /// Plan a streaming conversion from `from_hz` to `to_hz` (both in 1..=768 000 Hz).
    pub fn new(from_hz: u32, to_hz: u32) -> Result<Self> {
        check_rates(from_hz, to_hz)?;
        let (inner, block_in, to_trim) = if from_hz == to_hz {
            (None, 0, 0)
        } else {
            let (fft, fft_in) = plan_fft(from_hz, to_hz, STREAM_BLOCK_IN, 0)?;
            let delay = fft.output_delay();
            (Some(fft), fft_in, delay)
        };
        Ok(StreamResampler {
            from_hz,
            to_hz,
            scratch: Vec::with_capacity(inner.as_ref().map_or(0, |f| f.output_frames_max())),
            inner,
            pending: Vec::with_capacity(block_in),
            block_in,
            to_trim,
            consumed_in: 0,
            produced_out: 0,
        })
    }

    /// Input rate in Hz.
    pub fn from_hz(&self) -> u32 {
        self.from_hz
    }

    /// Output rate in Hz.
    pub fn to_hz(&self) -> u32 {
        self.to_hz
    }

    /// Input frames per internal block (0 when the rates are equal).
    pub fn block_len_in(&self) -> usize {
        self.block_in
    }

    /// How long an input sample can wait before its output appears, seconds: up to one block
    /// being gathered plus the filter delay (0 when the rates are equal).
    pub fn latency_s(&self) -> f64 {
        match &self.inner {
            None => 0.0,
            Some(f) => {
                self.block_in as f64 / f64::from(self.from_hz)
                    + f.output_delay() as f64 / f64::from(self.to_hz)
            }
        }
    }

    /// Resamples `input` (the next piece of the stream), appending the output that is ready to
    /// `out`. Allocates nothing once `out` has grown to the largest piece's output.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<()> {
        self.consumed_in += input.len() as u64;
        if self.inner.is_none() {
            out.extend_from_slice(input);
            self.produced_out += input.len() as u64;
            return Ok(());
        }
        let mut rest = input;
        while !rest.is_empty() {
            let take = (self.block_in - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == self.block_in {
                self.run_block(self.block_in, out, u64::MAX)?;
                self.pending.clear();
            }
        }
        Ok(())
    }

    /// Ends the stream: flushes the partial block and the filter's tail so that the output holds
    /// `ceil(n_in · to / from)` samples in all, appended to `out`. The resampler is then ready
    /// for a new stream.
    pub fn finish(&mut self, out: &mut Vec<f32>) -> Result<()> {
        if self.inner.is_some() {
            let total = (self.consumed_in as u128 * u128::from(self.to_hz))
                .div_ceil(u128::from(self.from_hz)) as u64;
            let valid = self.pending.len();
            self.pending.resize(self.block_in, 0.0);
            self.run_block(valid, out, total)?;
            self.pending.fill(0.0);
            // The filter's tail: zeros in until the promised length is out.
            while self.produced_out < total {
                self.run_block(0, out, total)?;
            }
            self.pending.clear();
            if let Some(f) = self.inner.as_mut() {
                f.reset();
                self.to_trim = f.output_delay();
            }
        }
        self.consumed_in = 0;
        self.produced_out = 0;
        Ok(())
    }

    /// Resamples the block in `pending` (its first `valid` frames are input, the rest zeros),
    /// appending at most `limit - produced_out` samples after the delay is trimmed.
    fn run_block(&mut self, valid: usize, out: &mut Vec<f32>, limit: u64) -> Result<()> {
        let (from_hz, to_hz) = (self.from_hz, self.to_hz);
        let err = |reason: String| Error::Resample {
            path: PathBuf::from("<stream>"),
            from_hz,
            to_hz,
            reason,
        };
        let Some(fft) = self.inner.as_mut() else {
            return Ok(());
        };
        let n_out = fft.output_frames_next();
        self.scratch.clear();
        self.scratch.resize(n_out, 0.0);
        let buf_in = InterleavedSlice::new(&self.pending[..], 1, self.block_in)
            .map_err(|e| err(e.to_string()))?;
        let mut buf_out = InterleavedSlice::new_mut(&mut self.scratch[..], 1, n_out)
            .map_err(|e| err(e.to_string()))?;
        let indexing = (valid < self.block_in).then(|| rubato::Indexing::new().partial_len(valid));
        let (_, produced) = fft
            .process_into_buffer(&buf_in, &mut buf_out, indexing.as_ref())
            .map_err(|e| err(e.to_string()))?;
        let trim = self.to_trim.min(produced);
        self.to_trim -= trim;
        let ready = &self.scratch[trim..produced];
        let room = limit.saturating_sub(self.produced_out);
        let n = (ready.len() as u64).min(room) as usize;
        out.extend_from_slice(&ready[..n]);
        self.produced_out += n as u64;
        Ok(())
    }
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

thread_local! {
    static RESAMPLERS: RefCell<Vec<Resampler>> = const { RefCell::new(Vec::new()) };
}

/// Resample with a per-thread cache of planned resamplers (one per rate pair).
pub fn resample(samples: &[f32], from_hz: u32, to_hz: u32) -> Result<Vec<f32>> {
    if from_hz == to_hz {
        return Ok(samples.to_vec());
    }
    RESAMPLERS.with(|cell| {
        let mut cache = cell.borrow_mut();
        let idx = match cache
            .iter()
            .position(|r| r.from_hz == from_hz && r.to_hz == to_hz)
        {
            Some(i) => i,
            None => {
                cache.push(Resampler::new(from_hz, to_hz)?);
                cache.len() - 1
            }
        };
        cache[idx].process(samples)
    })
}

/// Decode `path` (mono, see [`crate::decode`]; a file with NaN or infinite samples is an error)
/// and resample it to `target_rate_hz`. Audio already at the target rate is returned unchanged.
pub fn load(path: &Path, target_rate_hz: u32) -> Result<Audio> {
    load_with(path, target_rate_hz, &DecodeOptions::default())
}

/// [`load`] with explicit [`DecodeOptions`] (e.g. [`crate::NonFinitePolicy::Zero`]).
pub fn load_with(path: &Path, target_rate_hz: u32, opts: &DecodeOptions) -> Result<Audio> {
    to_rate(
        crate::decode::decode_with(path, opts)?,
        path,
        target_rate_hz,
    )
}

/// [`crate::decode_bytes`] (audio in memory, at most `max_duration_s` long), then resampled to
/// `target_rate_hz` as [`load`] does; `origin` names the input in errors.
pub fn load_bytes(
    bytes: Vec<u8>,
    origin: &Path,
    target_rate_hz: u32,
    max_duration_s: f64,
) -> Result<Audio> {
    let opts = DecodeOptions {
        max_duration_s,
        ..DecodeOptions::default()
    };
    load_bytes_with(bytes, origin, target_rate_hz, &opts)
}

/// [`load_bytes`] with explicit [`DecodeOptions`]; the duration limit is `opts.max_duration_s`.
pub fn load_bytes_with(
    bytes: Vec<u8>,
    origin: &Path,
    target_rate_hz: u32,
    opts: &DecodeOptions,
) -> Result<Audio> {
    let audio = crate::decode::decode_bytes_with(bytes, origin, opts)?;
    to_rate(audio, origin, target_rate_hz)
}

/// `audio` (decoded from `path`) at `target_rate_hz`.
fn to_rate(audio: Audio, path: &Path, target_rate_hz: u32) -> Result<Audio> {
    if audio.sample_rate_hz == target_rate_hz {
        return Ok(audio);
    }
    let samples =
        resample(&audio.samples, audio.sample_rate_hz, target_rate_hz).map_err(|e| match e {
            Error::Resample {
                from_hz,
                to_hz,
                reason,
                ..
            } => Error::Resample {
                path: path.to_path_buf(),
                from_hz,
                to_hz,
                reason,
            },
            Error::Param {
                name,
                expected,
                found,
            } => Error::Resample {
                path: path.to_path_buf(),
                from_hz: audio.sample_rate_hz,
                to_hz: target_rate_hz,
                reason: format!("invalid {name}: expected {expected}, got {found}"),
            },
            other => other,
        })?;
    Ok(Audio {
        samples,
        sample_rate_hz: target_rate_hz,
    })
}
