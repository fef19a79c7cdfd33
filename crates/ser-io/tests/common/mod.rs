//! Test helpers: write WAV and AIFF bytes by hand (no encoder dependency).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// PCM sample encodings a WAV file can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pcm {
    U8,
    I16,
    I24,
    I32,
    F32,
    F64,
}

impl Pcm {
    pub fn bytes(self) -> usize {
        match self {
            Pcm::U8 => 1,
            Pcm::I16 => 2,
            Pcm::I24 => 3,
            Pcm::I32 | Pcm::F32 => 4,
            Pcm::F64 => 8,
        }
    }
    /// Largest quantisation error for a sample in [-1, 1].
    pub fn tolerance(self) -> f32 {
        match self {
            Pcm::U8 => 1.0 / 64.0,
            Pcm::I16 => 1e-4,
            Pcm::I24 | Pcm::I32 => 1e-6,
            Pcm::F32 | Pcm::F64 => 1e-7,
        }
    }
    fn encode(self, x: f64, out: &mut Vec<u8>) {
        let x = x.clamp(-1.0, 1.0);
        match self {
            Pcm::U8 => out.push(((x * 127.0).round() + 128.0) as u8),
            Pcm::I16 => out.extend_from_slice(&((x * 32767.0).round() as i16).to_le_bytes()),
            Pcm::I24 => {
                out.extend_from_slice(&((x * 8_388_607.0).round() as i32).to_le_bytes()[..3])
            }
            Pcm::I32 => {
                out.extend_from_slice(&((x * 2_147_483_647.0).round() as i32).to_le_bytes())
            }
            Pcm::F32 => out.extend_from_slice(&(x as f32).to_le_bytes()),
            Pcm::F64 => out.extend_from_slice(&x.to_le_bytes()),
        }
    }
}

/// A WAV file: `frames` is interleaved samples in [-1, 1]; `extra` chunks go between `fmt ` and `data`.
pub fn wav_bytes(
    pcm: Pcm,
    rate_hz: u32,
    channels: u16,
    interleaved: &[f64],
    extra: &[(&[u8; 4], &[u8])],
) -> Vec<u8> {
    let mut data = Vec::new();
    for &x in interleaved {
        pcm.encode(x, &mut data);
    }
    wav_bytes_raw(pcm, rate_hz, channels, &data, None, extra)
}

/// A WAV file around raw `data` bytes; `declared_data_len` overrides the data chunk's size field.
pub fn wav_bytes_raw(
    pcm: Pcm,
    rate_hz: u32,
    channels: u16,
    data: &[u8],
    declared_data_len: Option<u32>,
    extra: &[(&[u8; 4], &[u8])],
) -> Vec<u8> {
    let bps = pcm.bytes() as u16;
    let tag: u16 = if matches!(pcm, Pcm::F32 | Pcm::F64) {
        3
    } else {
        1
    };
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&tag.to_le_bytes());
    fmt.extend_from_slice(&channels.to_le_bytes());
    fmt.extend_from_slice(&rate_hz.to_le_bytes());
    fmt.extend_from_slice(&(rate_hz * u32::from(bps) * u32::from(channels)).to_le_bytes());
    fmt.extend_from_slice(&(bps * channels).to_le_bytes());
    fmt.extend_from_slice(&(bps * 8).to_le_bytes());
    let mut body = Vec::new();
    body.extend_from_slice(b"WAVE");
    push_chunk(&mut body, b"fmt ", &fmt, None);
    for (id, payload) in extra {
        push_chunk(&mut body, id, payload, None);
    }
    push_chunk(&mut body, b"data", data, declared_data_len);
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

fn push_chunk(out: &mut Vec<u8>, id: &[u8; 4], payload: &[u8], declared: Option<u32>) {
    out.extend_from_slice(id);
    out.extend_from_slice(&declared.unwrap_or(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    if payload.len() % 2 == 1 {
        out.push(0);
    }
}

/// 80-bit IEEE extended big-endian encoding of a positive integer rate (AIFF COMM chunk).
fn extended80(rate: u32) -> [u8; 10] {
    let mut out = [0u8; 10];
    let mut mant = u64::from(rate);
    let mut exp: u16 = 16383 + 63;
    while mant & (1 << 63) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    out[..2].copy_from_slice(&exp.to_be_bytes());
    out[2..].copy_from_slice(&mant.to_be_bytes());
    out
}

/// A 16-bit big-endian AIFF file from interleaved samples in [-1, 1].
pub fn aiff_bytes(rate_hz: u32, channels: u16, interleaved: &[f64]) -> Vec<u8> {
    let frames = (interleaved.len() / usize::from(channels)) as u32;
    let mut comm = Vec::new();
    comm.extend_from_slice(&channels.to_be_bytes());
    comm.extend_from_slice(&frames.to_be_bytes());
    comm.extend_from_slice(&16u16.to_be_bytes());
    comm.extend_from_slice(&extended80(rate_hz));
    let mut ssnd = vec![0u8; 8]; // offset, block size
    for &x in interleaved {
        ssnd.extend_from_slice(&((x.clamp(-1.0, 1.0) * 32767.0).round() as i16).to_be_bytes());
    }
    let mut body = Vec::new();
    body.extend_from_slice(b"AIFF");
    for (id, payload) in [(b"COMM", &comm), (b"SSND", &ssnd)] {
        body.extend_from_slice(id);
        body.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        body.extend_from_slice(payload);
        if payload.len() % 2 == 1 {
            body.push(0);
        }
    }
    let mut out = Vec::new();
    out.extend_from_slice(b"FORM");
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// `n` samples of a sine at `freq_hz`, amplitude `amp`.
pub fn sine(freq_hz: f64, rate_hz: u32, n: usize, amp: f64) -> Vec<f64> {
    (0..n)
        .map(|i| amp * (2.0 * std::f64::consts::PI * freq_hz * i as f64 / f64::from(rate_hz)).sin())
        .collect()
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("create fixture folder");
    }
    std::fs::write(&p, bytes).expect("write fixture");
    p
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Frequency estimate from positive-going zero crossings, in Hz.
pub fn zero_crossing_freq(x: &[f32], rate_hz: u32) -> f64 {
    let crossings = x.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count();
    crossings as f64 * f64::from(rate_hz) / x.len() as f64
}

/// Fraction of the signal's energy in a pure tone at `freq_hz` (single-bin DFT, 0..=1).
pub fn tone_fraction(x: &[f32], rate_hz: u32, freq_hz: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * freq_hz / f64::from(rate_hz);
    let (mut re, mut im, mut total) = (0.0f64, 0.0f64, 0.0f64);
    for (i, &s) in x.iter().enumerate() {
        let s = f64::from(s);
        re += s * (w * i as f64).cos();
        im -= s * (w * i as f64).sin();
        total += s * s;
    }
    if total == 0.0 {
        return 0.0;
    }
    2.0 * (re * re + im * im) / x.len() as f64 / total
}
