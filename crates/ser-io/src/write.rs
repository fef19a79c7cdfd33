use std::path::Path;

use crate::{Error, Result};

/// Write `samples` (clamped to [-1, 1]) as a 16-bit PCM mono WAV file.
///
/// The file is written to a temporary file and renamed ([`ser_fs::write_bytes`]), so an interrupted write never leaves a
/// truncated file under `path`.
pub fn write_wav_pcm16(path: &Path, samples: &[f32], sample_rate_hz: u32) -> Result<()> {
    let data_len = samples
        .len()
        .checked_mul(2)
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n <= u32::MAX - 36)
        .ok_or_else(|| Error::Param {
            name: "samples",
            expected: "at most 2^31 - 18 samples for a WAV file".into(),
            found: samples.len().to_string(),
        })?;
    let mut bytes = Vec::with_capacity(44 + data_len as usize);
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data_len).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes()); // PCM
    bytes.extend_from_slice(&1u16.to_le_bytes()); // mono
    bytes.extend_from_slice(&sample_rate_hz.to_le_bytes());
    bytes.extend_from_slice(&(sample_rate_hz * 2).to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&16u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data_len.to_le_bytes());
    for &s in samples {
        let v = (s.clamp(-1.0, 1.0) * 32767.0).round() as i16;
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    ser_fs::write_bytes(path, &bytes).map_err(|e| Error::Io {
        path: e.path,
        source: e.source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_through_decoder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.wav");
        let samples: Vec<f32> = (0..1600).map(|i| (i as f32 * 0.05).sin() * 0.5).collect();
        write_wav_pcm16(&path, &samples, 16_000).unwrap();
        let audio = crate::decode(&path).unwrap();
        assert_eq!(audio.sample_rate_hz, 16_000);
        assert_eq!(audio.samples.len(), samples.len());
        for (a, b) in audio.samples.iter().zip(&samples) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
    }
}
