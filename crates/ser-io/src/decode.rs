//! Decoding any supported container/codec (probed by content, never by extension) to mono `f32`.

use std::fs::File;
use std::path::Path;

use serde::{Deserialize, Serialize};
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;

use crate::{Audio, Error, Result};

/// Longest audio `decode` accepts, in seconds of audio at the native rate (a guard against
/// decompression bombs and lying headers: memory grows only with audio actually decoded, and
/// never beyond this bound).
pub const MAX_DURATION_S: u64 = 3 * 3600;

/// Highest sample rate accepted, in Hz.
pub const MAX_SAMPLE_RATE_HZ: u32 = 768_000;

/// What the container header says about a file, read without decoding the samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AudioInfo {
    /// Native sample rate in Hz.
    pub sample_rate_hz: u32,
    /// Number of channels before down-mixing.
    pub channels: u16,
    /// Number of frames (samples per channel), when the header gives it.
    pub n_frames: Option<u64>,
}

impl AudioInfo {
    /// Duration in seconds, when the header gives the number of frames.
    pub fn duration_s(&self) -> Option<f64> {
        self.n_frames
            .map(|n| n as f64 / f64::from(self.sample_rate_hz.max(1)))
    }
}

fn open(path: &Path) -> Result<Box<dyn FormatReader>> {
    let file = File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let meta = file.metadata().map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        return Err(Error::Unsupported {
            path: path.to_path_buf(),
            reason: "is a folder, expected an audio file".into(),
        });
    }
    if meta.len() == 0 {
        return Err(Error::Decode {
            path: path.to_path_buf(),
            reason: "file is empty (0 bytes)".into(),
        });
    }
    probe(Box::new(file), path)
}

/// Probes the container of `source` (read from `path`, named in errors) by its content.
fn probe(source: Box<dyn MediaSource>, path: &Path) -> Result<Box<dyn FormatReader>> {
    let mss = MediaSourceStream::new(source, Default::default());
    // An empty hint: the format is recognised from the content, never from the extension.
    let hint = Hint::new();
    symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| match e {
            SymError::Unsupported(what) => Error::Unsupported {
                path: path.to_path_buf(),
                reason: format!("not a recognised audio format ({what})"),
            },
            other => Error::Decode {
                path: path.to_path_buf(),
                reason: format!("cannot read the container header: {other}"),
            },
        })
}

/// Sample rate, channel count and length from the header, without decoding the samples.
pub fn probe_info(path: &Path) -> Result<AudioInfo> {
    let format = open(path)?;
    let track = format
        .default_track(TrackType::Audio)
        .ok_or_else(|| Error::Unsupported {
            path: path.to_path_buf(),
            reason: "no audio track".into(),
        })?;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| Error::Unsupported {
            path: path.to_path_buf(),
            reason: "the track has no audio codec parameters".into(),
        })?;
    let sample_rate_hz = params.sample_rate.ok_or_else(|| Error::Decode {
        path: path.to_path_buf(),
        reason: "the header gives no sample rate".into(),
    })?;
    check_rate(path, sample_rate_hz)?;
    let channels = params.channels.as_ref().map_or(0, |c| c.count());
    Ok(AudioInfo {
        sample_rate_hz,
        channels: u16::try_from(channels).unwrap_or(u16::MAX),
        n_frames: track.num_frames,
    })
}

fn check_rate(path: &Path, rate: u32) -> Result<()> {
    if rate == 0 || rate > MAX_SAMPLE_RATE_HZ {
        return Err(Error::Decode {
            path: path.to_path_buf(),
            reason: format!("sample rate {rate} Hz, expected 1..={MAX_SAMPLE_RATE_HZ} Hz"),
        });
    }
    Ok(())
}

/// What decoding does with samples that are NaN or infinite (float PCM may hold anything; such
/// samples would poison every later stage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NonFinitePolicy {
    /// The file is an error ([`Error::Decode`] naming it and how many samples were non-finite),
    /// so batch jobs skip it with that reason. The default.
    #[default]
    Reject,
    /// Non-finite samples become 0 (silence) and the file decodes.
    Zero,
}

/// Options of [`decode_with`], [`decode_bytes_with`], [`crate::load_with`] and
/// [`crate::load_bytes_with`]. `DecodeOptions::default()` is what [`decode`] and [`crate::load`]
/// use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodeOptions {
    /// What to do with NaN or infinite samples (default [`NonFinitePolicy::Reject`]).
    pub non_finite: NonFinitePolicy,
    /// Longest audio accepted, in seconds at the native rate (capped at [`MAX_DURATION_S`], the
    /// default): longer audio is refused ([`Error::TooLong`]) as soon as the decoder passes that
    /// length, before the rest is decoded.
    pub max_duration_s: f64,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            non_finite: NonFinitePolicy::Reject,
            max_duration_s: MAX_DURATION_S as f64,
        }
    }
}

impl DecodeOptions {
    /// The duration limit in force: `max_duration_s` capped at [`MAX_DURATION_S`].
    fn limit_s(&self) -> f64 {
        self.max_duration_s.min(MAX_DURATION_S as f64)
    }
}

/// Decode a whole file at its native rate, down-mixed to mono by averaging the channels, with
/// the default [`DecodeOptions`]: a file holding any NaN or infinite sample is an error naming
/// the file and how many samples were non-finite (see [`decode_with`] to zero them instead).
///
/// The format is probed from the content (the extension is ignored). Errors name the file.
/// Memory grows only with the audio actually decoded (at most [`MAX_DURATION_S`] seconds), never
/// with what a header claims.
pub fn decode(path: &Path) -> Result<Audio> {
    decode_with(path, &DecodeOptions::default())
}

/// [`decode`] with explicit options (non-finite samples, duration limit).
pub fn decode_with(path: &Path, opts: &DecodeOptions) -> Result<Audio> {
    decode_format(open(path)?, path, opts)
}

/// Decodes audio held in memory (an upload, say) like [`decode`] decodes a file: the format is
/// probed from the content, channels are averaged, non-finite samples are an error, and `origin`
/// names the input in errors. Audio longer than `max_duration_s` (capped at [`MAX_DURATION_S`])
/// is refused as soon as the decoder passes that length, before the rest is decoded.
pub fn decode_bytes(bytes: Vec<u8>, origin: &Path, max_duration_s: f64) -> Result<Audio> {
    let opts = DecodeOptions {
        max_duration_s,
        ..DecodeOptions::default()
    };
    decode_bytes_with(bytes, origin, &opts)
}

/// [`decode_bytes`] with explicit options; the duration limit is `opts.max_duration_s`.
pub fn decode_bytes_with(bytes: Vec<u8>, origin: &Path, opts: &DecodeOptions) -> Result<Audio> {
    if bytes.is_empty() {
        return Err(Error::Decode {
            path: origin.to_path_buf(),
            reason: "empty input (0 bytes)".into(),
        });
    }
    let format = probe(Box::new(std::io::Cursor::new(bytes)), origin)?;
    decode_format(format, origin, opts)
}

/// The frame count of `limit_s` seconds at `rate` Hz.
fn frame_limit(rate: u32, limit_s: f64) -> u64 {
    (f64::from(rate) * limit_s.max(0.0)).ceil() as u64
}

fn decode_format(
    format: Box<dyn FormatReader>,
    path: &Path,
    opts: &DecodeOptions,
) -> Result<Audio> {
    decode_packets(format, path, opts, true)
}

/// The channel count when the track is 16-bit signed little-endian PCM with all 16 bits coded
/// (by far the commonest WAV), whose samples [`decode_packets`] converts straight from the
/// packet bytes: symphonia's PCM decoder reads them one by one through a byte reader into an
/// `i16` buffer that is then converted again, ~30 instructions per sample and 2–4 % of a
/// `prepare`. The values are the decoder's to the bit (`i16 as f32 / 32768`, symphonia's own
/// conversion; tested against it). Any other codec or layout goes through the decoder.
fn plain_s16le_channels(
    params: &symphonia::core::codecs::audio::AudioCodecParameters,
) -> Option<usize> {
    use symphonia::core::codecs::audio::well_known::CODEC_ID_PCM_S16LE;
    let channels = params.channels.as_ref()?.count();
    (params.codec == CODEC_ID_PCM_S16LE
        && params.sample_rate.is_some()
        && params.bits_per_sample.unwrap_or(16) == 16
        && params.bits_per_coded_sample.unwrap_or(16) == 16
        && channels >= 1)
        .then_some(channels)
}

/// [`decode_format`]; `direct_s16: false` sends 16-bit PCM through symphonia's decoder too (the
/// reference the direct conversion is tested against).
fn decode_packets(
    mut format: Box<dyn FormatReader>,
    path: &Path,
    opts: &DecodeOptions,
    direct_s16: bool,
) -> Result<Audio> {
    let limit_s = opts.limit_s();
    let track = format
        .default_track(TrackType::Audio)
        .ok_or_else(|| Error::Unsupported {
            path: path.to_path_buf(),
            reason: "no audio track".into(),
        })?;
    let track_id = track.id;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| Error::Unsupported {
            path: path.to_path_buf(),
            reason: "the track has no audio codec parameters".into(),
        })?
        .clone();
    let header_rate = params.sample_rate;
    let direct = plain_s16le_channels(&params).filter(|_| direct_s16);
    if let (Some(_), Some(r)) = (direct, header_rate) {
        check_rate(path, r)?;
    }
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(|e| Error::Unsupported {
            path: path.to_path_buf(),
            reason: format!("no decoder for codec {}: {e}", params.codec),
        })?;

    let mut mono: Vec<f32> = Vec::new();
    let mut interleaved: Vec<f32> = Vec::new();
    let mut rate: Option<u32> = header_rate;
    let mut decode_errors = 0usize;
    let mut packets = 0usize;
    let mut max_channels = 0usize;
    let mut max_frames: Option<u64> = header_rate.map(|r| frame_limit(r, limit_s));
    loop {
        let packet = match format.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(Error::Decode {
                    path: path.to_path_buf(),
                    reason: format!(
                        "truncated: the stream ends early after {} decoded frames ({e})",
                        mono.len()
                    ),
                });
            }
            Err(e) => {
                return Err(Error::Decode {
                    path: path.to_path_buf(),
                    reason: format!("cannot read packet: {e}"),
                });
            }
        };
        if packet.track_id != track_id {
            continue;
        }
        packets += 1;
        if let (Some(channels), Some(limit)) = (direct, max_frames) {
            let frames = packet.data.len() / (2 * channels);
            if frames == 0 {
                continue;
            }
            max_channels = max_channels.max(channels);
            if (mono.len() + frames) as u64 > limit {
                return Err(Error::TooLong {
                    path: path.to_path_buf(),
                    limit_s,
                });
            }
            let bytes = &packet.data[..2 * channels * frames];
            let sample = |b: &[u8]| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32_768.0;
            if channels == 1 {
                mono.extend(bytes.chunks_exact(2).map(sample));
            } else {
                interleaved.clear();
                interleaved.extend(bytes.chunks_exact(2).map(sample));
                push_downmixed(&mut mono, &interleaved, channels);
            }
            continue;
        }
        let buf = match decoder.decode(&packet) {
            Ok(buf) => buf,
            Err(SymError::DecodeError(_)) | Err(SymError::IoError(_)) => {
                // A corrupt packet: skip it, as players do, but refuse a file that is mostly corrupt.
                decode_errors += 1;
                continue;
            }
            Err(e) => {
                return Err(Error::Decode {
                    path: path.to_path_buf(),
                    reason: format!("decoder failed: {e}"),
                });
            }
        };
        let spec_rate = buf.spec().rate();
        check_rate(path, spec_rate)?;
        match rate {
            None => {
                rate = Some(spec_rate);
                max_frames = Some(frame_limit(spec_rate, limit_s));
            }
            Some(r) if r != spec_rate => {
                return Err(Error::Unsupported {
                    path: path.to_path_buf(),
                    reason: format!("sample rate changes mid-stream from {r} Hz to {spec_rate} Hz"),
                });
            }
            Some(_) => {}
        }
        let channels = buf.spec().channels().count();
        let frames = buf.frames();
        if channels == 0 || frames == 0 {
            continue;
        }
        max_channels = max_channels.max(channels);
        if let Some(limit) = max_frames
            && (mono.len() + frames) as u64 > limit
        {
            return Err(Error::TooLong {
                path: path.to_path_buf(),
                limit_s,
            });
        }
        interleaved.resize(buf.samples_interleaved(), 0.0);
        buf.copy_to_slice_interleaved(&mut interleaved[..]);
        push_downmixed(&mut mono, &interleaved, channels);
    }
    if packets > 0 && decode_errors * 2 > packets {
        return Err(Error::Decode {
            path: path.to_path_buf(),
            reason: format!("{decode_errors} of {packets} packets are corrupt"),
        });
    }
    let sample_rate_hz = rate.ok_or_else(|| Error::Decode {
        path: path.to_path_buf(),
        reason: "no sample rate in the header and no decodable audio".into(),
    })?;
    if mono.is_empty() {
        return Err(Error::Decode {
            path: path.to_path_buf(),
            reason: "contains no audio samples (zero length)".into(),
        });
    }
    non_finite(
        &mut mono,
        path,
        sample_rate_hz,
        max_channels,
        opts.non_finite,
    )?;
    Ok(Audio {
        samples: mono,
        sample_rate_hz,
    })
}

/// Appends the frames of `interleaved` (`channels` samples each) to `mono`, their channels
/// averaged.
fn push_downmixed(mono: &mut Vec<f32>, interleaved: &[f32], channels: usize) {
    if channels == 1 {
        mono.extend_from_slice(interleaved);
    } else {
        let scale = 1.0 / channels as f32;
        mono.extend(
            interleaved
                .chunks_exact(channels)
                .map(|frame| frame.iter().sum::<f32>() * scale),
        );
    }
}

/// Applies `policy` to the NaN or infinite samples of `mono` (decoded from `path`, averaged over
/// `channels` channels at `rate` Hz): an error naming the file, how many samples and where the
/// first one is, or zeros in their place.
fn non_finite(
    mono: &mut [f32],
    path: &Path,
    rate: u32,
    channels: usize,
    policy: NonFinitePolicy,
) -> Result<()> {
    // Blocks of 64 tested without branching (vectorised), the first bad sample found after.
    let all_finite = mono
        .chunks(64)
        .all(|c| c.iter().fold(true, |ok, s| ok & s.is_finite()));
    if all_finite {
        return Ok(());
    }
    let Some(first) = mono.iter().position(|s| !s.is_finite()) else {
        return Ok(());
    };
    match policy {
        NonFinitePolicy::Zero => {
            for s in &mut mono[first..] {
                if !s.is_finite() {
                    *s = 0.0;
                }
            }
            Ok(())
        }
        NonFinitePolicy::Reject => {
            let n = mono[first..].iter().filter(|s| !s.is_finite()).count();
            let averaged = if channels > 1 {
                format!(" (after averaging {channels} channels)")
            } else {
                String::new()
            };
            Err(Error::Decode {
                path: path.to_path_buf(),
                reason: format!(
                    "{n} of {} samples{averaged} are NaN or infinite, the first at sample {first} \
                     ({:.3} s); expected finite samples",
                    mono.len(),
                    first as f64 / f64::from(rate.max(1)),
                ),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 16-bit PCM WAV (format tag 1, or 0xFFFE WAVE_FORMAT_EXTENSIBLE) of interleaved samples,
    /// with `extra` stray bytes after them (a partial frame).
    fn wav(rate: u32, channels: u16, samples: &[i16], extensible: bool, extra: usize) -> Vec<u8> {
        let data_len = samples.len() * 2 + extra;
        let fmt_len: u32 = if extensible { 40 } else { 16 };
        let mut b = Vec::new();
        b.extend_from_slice(b"RIFF");
        b.extend_from_slice(&(4 + 8 + fmt_len + 8 + data_len as u32).to_le_bytes());
        b.extend_from_slice(b"WAVEfmt ");
        b.extend_from_slice(&fmt_len.to_le_bytes());
        b.extend_from_slice(&(if extensible { 0xFFFEu16 } else { 1 }).to_le_bytes());
        b.extend_from_slice(&channels.to_le_bytes());
        b.extend_from_slice(&rate.to_le_bytes());
        b.extend_from_slice(&(rate * 2 * u32::from(channels)).to_le_bytes());
        b.extend_from_slice(&(2 * channels).to_le_bytes());
        b.extend_from_slice(&16u16.to_le_bytes());
        if extensible {
            b.extend_from_slice(&22u16.to_le_bytes());
            b.extend_from_slice(&16u16.to_le_bytes()); // valid bits
            let mask: u32 = if channels == 1 {
                0x4
            } else {
                (1 << channels) - 1
            };
            b.extend_from_slice(&mask.to_le_bytes());
            // KSDATAFORMAT_SUBTYPE_PCM
            b.extend_from_slice(&[
                1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71,
            ]);
        }
        b.extend_from_slice(b"data");
        b.extend_from_slice(&(data_len as u32).to_le_bytes());
        for s in samples {
            b.extend_from_slice(&s.to_le_bytes());
        }
        b.extend(std::iter::repeat_n(0x7Fu8, extra));
        b
    }

    fn both(bytes: &[u8], opts: &DecodeOptions) -> (Result<Audio>, Result<Audio>) {
        let path = Path::new("test.wav");
        let run = |direct| {
            let format = probe(Box::new(std::io::Cursor::new(bytes.to_vec())), path)?;
            decode_packets(format, path, opts, direct)
        };
        (run(true), run(false))
    }

    /// The direct conversion of 16-bit PCM gives symphonia's decoder's samples to the bit: mono
    /// and multichannel (averaged), both header kinds, extreme values, a partial last frame,
    /// lengths across many packets.
    #[test]
    fn direct_s16_samples_are_the_decoders() {
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 48) as u16 as i16
        };
        for (channels, frames, extensible, extra) in [
            (1u16, 48_001usize, false, 0usize),
            (1, 3, true, 1),
            (2, 20_000, false, 3),
            (2, 1, true, 0),
            (3, 9_999, true, 5),
            (6, 4_000, false, 0),
        ] {
            let mut samples: Vec<i16> = (0..frames * usize::from(channels))
                .map(|_| next())
                .collect();
            samples[0] = i16::MIN;
            if samples.len() > 1 {
                samples[1] = i16::MAX;
            }
            let bytes = wav(22_050, channels, &samples, extensible, extra);
            let (direct, decoder) = both(&bytes, &DecodeOptions::default());
            let (direct, decoder) = (direct.unwrap(), decoder.unwrap());
            assert_eq!(direct.sample_rate_hz, decoder.sample_rate_hz);
            assert_eq!(direct.samples.len(), frames, "{channels} channels");
            let bits = |a: &Audio| a.samples.iter().map(|s| s.to_bits()).collect::<Vec<_>>();
            assert!(
                bits(&direct) == bits(&decoder),
                "{channels} channels, {frames} frames"
            );
            if channels == 1 {
                assert_eq!(direct.samples[0], -1.0);
            }
        }
    }

    /// The direct path refuses what the decoder path refuses, with the same error.
    #[test]
    fn direct_s16_keeps_the_limits() {
        let samples = vec![100i16; 16_000 * 3];
        let bytes = wav(16_000, 1, &samples, false, 0);
        let opts = DecodeOptions {
            max_duration_s: 2.0,
            ..DecodeOptions::default()
        };
        let (direct, decoder) = both(&bytes, &opts);
        let (d, s) = (direct.unwrap_err(), decoder.unwrap_err());
        assert!(matches!(d, Error::TooLong { .. }), "{d}");
        assert_eq!(d.to_string(), s.to_string());
        // no samples at all
        let (direct, decoder) = both(&wav(16_000, 1, &[], false, 1), &DecodeOptions::default());
        assert_eq!(
            direct.unwrap_err().to_string(),
            decoder.unwrap_err().to_string()
        );
    }
}
