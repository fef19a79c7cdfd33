//! Float WAV files holding NaN or infinite samples: an error naming the file and the count by
//! default, zeros on request.

use std::path::Path;

use ser_io::{DecodeOptions, Error, NonFinitePolicy};

/// A 32-bit IEEE float WAV (format tag 3), written field by field.
fn float_wav(rate_hz: u32, channels: u16, interleaved: &[f32]) -> Vec<u8> {
    let data_len = (interleaved.len() * 4) as u32;
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVE");
    b.extend_from_slice(b"fmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&3u16.to_le_bytes()); // WAVE_FORMAT_IEEE_FLOAT
    b.extend_from_slice(&channels.to_le_bytes());
    b.extend_from_slice(&rate_hz.to_le_bytes());
    b.extend_from_slice(&(rate_hz * 4 * u32::from(channels)).to_le_bytes()); // bytes per second
    b.extend_from_slice(&(4 * channels).to_le_bytes()); // block align
    b.extend_from_slice(&32u16.to_le_bytes()); // bits per sample
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for s in interleaved {
        b.extend_from_slice(&s.to_le_bytes());
    }
    b
}

/// One second at 48 kHz: a quiet tone with a NaN at 17, +inf at 100 and -inf at 4 000.
fn poisoned() -> Vec<f32> {
    let mut x: Vec<f32> = (0..48_000)
        .map(|i| 0.25 * (i as f32 * 0.05).sin())
        .collect();
    x[17] = f32::NAN;
    x[100] = f32::INFINITY;
    x[4_000] = f32::NEG_INFINITY;
    x
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write fixture");
    p
}

fn assert_reason(e: &Error, path: &Path, want: &str) {
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "no file in {msg}"
    );
    assert!(msg.contains(want), "{want:?} missing from {msg}");
}

#[test]
fn non_finite_samples_are_an_error_naming_the_file_and_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let x = poisoned();
    let p = write(dir.path(), "nan.wav", &float_wav(48_000, 1, &x));
    let want = "3 of 48000 samples are NaN or infinite, the first at sample 17";
    assert_reason(&ser_io::decode(&p).expect_err("NaN file"), &p, want);
    assert_reason(&ser_io::load(&p, 16_000).expect_err("NaN file"), &p, want);
    let bytes = std::fs::read(&p).expect("read");
    let origin = Path::new("upload.wav");
    assert_reason(
        &ser_io::decode_bytes(bytes.clone(), origin, 10.0).expect_err("NaN upload"),
        origin,
        want,
    );
    assert_reason(
        &ser_io::load_bytes(bytes, origin, 16_000, 10.0).expect_err("NaN upload"),
        origin,
        want,
    );
    // Stereo: counted after averaging the channels (a frame with a NaN channel is NaN).
    let stereo: Vec<f32> = x.iter().flat_map(|&s| [0.1, s]).collect();
    let p2 = write(dir.path(), "nan_stereo.wav", &float_wav(48_000, 2, &stereo));
    assert_reason(
        &ser_io::decode(&p2).expect_err("NaN stereo"),
        &p2,
        "3 of 48000 samples (after averaging 2 channels) are NaN or infinite",
    );
    // A clean float file still decodes.
    let clean: Vec<f32> = x
        .iter()
        .map(|s| if s.is_finite() { *s } else { 0.5 })
        .collect();
    let p3 = write(dir.path(), "clean.wav", &float_wav(48_000, 1, &clean));
    assert_eq!(ser_io::decode(&p3).expect("clean").samples, clean);
}

#[test]
fn zero_policy_replaces_non_finite_samples_with_silence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let x = poisoned();
    let p = write(dir.path(), "nan.wav", &float_wav(48_000, 1, &x));
    let opts = DecodeOptions {
        non_finite: NonFinitePolicy::Zero,
        ..DecodeOptions::default()
    };
    assert_eq!(DecodeOptions::default().non_finite, NonFinitePolicy::Reject);
    let a = ser_io::decode_with(&p, &opts).expect("zeroed");
    assert_eq!((a.sample_rate_hz, a.samples.len()), (48_000, 48_000));
    for i in [17, 100, 4_000] {
        assert_eq!(a.samples[i], 0.0, "sample {i}");
    }
    for (i, (&got, &orig)) in a.samples.iter().zip(&x).enumerate() {
        if orig.is_finite() {
            assert_eq!(got, orig, "sample {i} changed");
        }
    }
    let r = ser_io::load_with(&p, 16_000, &opts).expect("zeroed and resampled");
    assert_eq!(r.samples.len(), 16_000);
    assert!(r.samples.iter().all(|s| s.is_finite()));
    let bytes = std::fs::read(&p).expect("read");
    let up = ser_io::decode_bytes_with(bytes.clone(), Path::new("upload.wav"), &opts)
        .expect("zeroed upload");
    assert_eq!(up, a);
    let lb = ser_io::load_bytes_with(bytes, Path::new("upload.wav"), 16_000, &opts)
        .expect("zeroed upload, resampled");
    assert_eq!(lb, r);
    // The duration limit of the options applies as `decode_bytes`' does.
    let short = DecodeOptions {
        max_duration_s: 0.5,
        ..opts
    };
    assert!(matches!(
        ser_io::decode_with(&p, &short),
        Err(Error::TooLong { .. })
    ));
}
