//! Decoding: every supported format, down-mixing, content probing, and bad input.

mod common;

use common::*;
use ser_io::{Error, decode, load, probe_info};

const ALL_PCM: [Pcm; 6] = [Pcm::U8, Pcm::I16, Pcm::I24, Pcm::I32, Pcm::F32, Pcm::F64];

#[test]
fn wav_pcm_formats_decode_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let x = sine(440.0, 22_050, 2_205, 0.6);
    for pcm in ALL_PCM {
        let p = write(
            dir.path(),
            &format!("{pcm:?}.wav"),
            &wav_bytes(pcm, 22_050, 1, &x, &[]),
        );
        let a = decode(&p).unwrap_or_else(|e| panic!("{pcm:?}: {e}"));
        assert_eq!(a.sample_rate_hz, 22_050, "{pcm:?}");
        assert_eq!(a.samples.len(), x.len(), "{pcm:?}");
        let max_err = a
            .samples
            .iter()
            .zip(&x)
            .map(|(&d, &e)| (f64::from(d) - e).abs())
            .fold(0.0, f64::max);
        assert!(
            max_err <= f64::from(pcm.tolerance()),
            "{pcm:?}: max error {max_err}"
        );
        let info = probe_info(&p).expect("header");
        assert_eq!(
            (info.sample_rate_hz, info.channels, info.n_frames),
            (22_050, 1, Some(2_205)),
            "{pcm:?}"
        );
    }
}

#[test]
fn stereo_is_averaged_to_mono() {
    let dir = tempfile::tempdir().expect("tempdir");
    let left = sine(300.0, 16_000, 1_000, 0.5);
    let right = sine(1_000.0, 16_000, 1_000, 0.25);
    let inter: Vec<f64> = left
        .iter()
        .zip(&right)
        .flat_map(|(&l, &r)| [l, r])
        .collect();
    for pcm in [Pcm::I16, Pcm::F32] {
        let p = write(
            dir.path(),
            &format!("st{pcm:?}.wav"),
            &wav_bytes(pcm, 16_000, 2, &inter, &[]),
        );
        let a = decode(&p).expect("stereo decodes");
        assert_eq!(a.samples.len(), 1_000);
        for (i, &s) in a.samples.iter().enumerate() {
            let want = (left[i] + right[i]) / 2.0;
            assert!(
                (f64::from(s) - want).abs() < 1e-4,
                "{pcm:?} frame {i}: {s} vs {want}"
            );
        }
    }
}

#[test]
fn extra_chunks_before_data_are_skipped() {
    // RAVDESS files carry a `FLLR` padding chunk between `fmt ` and `data`; others carry LIST.
    let dir = tempfile::tempdir().expect("tempdir");
    let x = sine(440.0, 48_000, 4_800, 0.5);
    let fllr = vec![0u8; 4_042];
    let list = b"INFOISFT\x05\x00\x00\x00test\x00\x00".to_vec();
    let bytes = wav_bytes(
        Pcm::I16,
        48_000,
        1,
        &x,
        &[(b"FLLR", &fllr), (b"LIST", &list), (b"odd!", b"abc")],
    );
    let p = write(dir.path(), "fllr.wav", &bytes);
    let a = decode(&p).expect("decodes");
    assert_eq!(a.samples.len(), 4_800);
    assert!((f64::from(a.samples[100]) - x[100]).abs() < 1e-4);
}

#[test]
fn aiff_decodes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let x = sine(440.0, 44_100, 4_410, 0.5);
    let inter: Vec<f64> = x.iter().flat_map(|&v| [v, v]).collect();
    let p = write(dir.path(), "tone.aiff", &aiff_bytes(44_100, 2, &inter));
    let a = decode(&p).expect("aiff decodes");
    assert_eq!(a.sample_rate_hz, 44_100);
    assert_eq!(a.samples.len(), 4_410);
    assert!((f64::from(a.samples[50]) - x[50]).abs() < 1e-4);
}

#[test]
fn compressed_fixtures_decode() {
    // (file, rate, channels, approximate seconds)
    for (name, rate, secs) in [
        ("sine440_16k_mono.flac", 16_000, 0.25),
        ("sine440_44k_stereo_24bit.flac", 44_100, 0.1),
        ("sine440_16k_mono.mp3", 16_000, 0.5),
        ("sine440_16k_mono.ogg", 16_000, 0.5),
    ] {
        let p = fixture(name);
        let a = decode(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(a.sample_rate_hz, rate, "{name}");
        let dur = a.duration_s();
        // MP3 frames pad the end (encoder delay and padding), up to one 576-sample granule.
        assert!(
            dur >= secs - 0.01 && dur <= secs + 0.08,
            "{name}: {dur} s, expected about {secs} s"
        );
        let tone = tone_fraction(&a.samples, rate, 440.0);
        assert!(
            tone > 0.8,
            "{name}: only {tone:.3} of the energy is at 440 Hz"
        );
        let peak = a.samples.iter().fold(0.0f32, |m, &s| m.max(s.abs()));
        assert!((0.4..=0.6).contains(&peak), "{name}: peak {peak}");
    }
}

#[test]
fn format_is_probed_from_content_not_extension() {
    let dir = tempfile::tempdir().expect("tempdir");
    let flac = std::fs::read(fixture("sine440_16k_mono.flac")).expect("fixture");
    let p = write(dir.path(), "really_flac.wav", &flac);
    assert_eq!(decode(&p).expect("flac named .wav").samples.len(), 4_000);
    let wav = wav_bytes(Pcm::I16, 8_000, 1, &sine(200.0, 8_000, 800, 0.5), &[]);
    let p = write(dir.path(), "really_wav.MP3", &wav);
    assert_eq!(decode(&p).expect("wav named .MP3").samples.len(), 800);
}

#[test]
fn load_resamples_and_passes_through() {
    let dir = tempfile::tempdir().expect("tempdir");
    let x = sine(440.0, 48_000, 48_000, 0.5);
    let p = write(
        dir.path(),
        "48k.wav",
        &wav_bytes(Pcm::I16, 48_000, 1, &x, &[]),
    );
    let a = load(&p, 16_000).expect("load");
    assert_eq!((a.sample_rate_hz, a.samples.len()), (16_000, 16_000));
    assert!((zero_crossing_freq(&a.samples, 16_000) - 440.0).abs() < 2.0);
    let native = decode(&p).expect("decode");
    assert_eq!(load(&p, 48_000).expect("same rate"), native);
}

fn assert_names(e: &Error, path: &std::path::Path, what: &str) {
    let msg = e.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "error does not name the file: {msg}"
    );
    assert!(
        msg.to_lowercase().contains(what),
        "error {msg:?} does not say {what:?}"
    );
}

#[test]
fn missing_empty_and_non_audio_files_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope.wav");
    assert_names(
        &decode(&missing).expect_err("missing"),
        &missing,
        "no such file",
    );
    let empty = write(dir.path(), "empty.wav", b"");
    assert_names(&decode(&empty).expect_err("empty"), &empty, "empty");
    let text = write(
        dir.path(),
        "readme.wav",
        b"This is not audio, just a README that got renamed.\n",
    );
    assert_names(
        &decode(&text).expect_err("text"),
        &text,
        "not a recognised audio format",
    );
    assert_names(
        &decode(dir.path()).expect_err("folder"),
        dir.path(),
        "folder",
    );
    assert!(probe_info(&text).is_err());
}

#[test]
fn zero_length_data_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(
        dir.path(),
        "zero.wav",
        &wav_bytes(Pcm::I16, 16_000, 1, &[], &[]),
    );
    assert_names(&decode(&p).expect_err("zero frames"), &p, "no audio");
}

#[test]
fn truncated_files_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let full = wav_bytes(Pcm::I16, 16_000, 1, &sine(440.0, 16_000, 1_600, 0.5), &[]);
    // Cut inside the header, and inside the data chunk.
    for cut in [10, 30, 44 + 1_001] {
        let p = write(dir.path(), &format!("cut{cut}.wav"), &full[..cut]);
        let e = decode(&p).expect_err("truncated");
        assert_names(&e, &p, "");
        println!("cut at {cut}: {e}");
    }
}

#[test]
fn lying_data_length_does_not_allocate_from_the_header() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data: Vec<u8> = (0..2_000u32)
        .flat_map(|i| ((i as i16).wrapping_mul(7)).to_le_bytes())
        .collect();
    for (claim, riff_lies_too) in [
        (u32::MAX - 1, false),
        (1 << 31, false),
        (u32::MAX - 1, true),
        (1 << 30, true),
    ] {
        let mut bytes = wav_bytes_raw(Pcm::I16, 16_000, 1, &data, Some(claim), &[]);
        if riff_lies_too {
            bytes[4..8].copy_from_slice(&(claim.saturating_add(36)).to_le_bytes());
        }
        let p = write(
            dir.path(),
            &format!("lie{claim}{riff_lies_too}.wav"),
            &bytes,
        );
        match decode(&p) {
            Err(e) => {
                assert_names(&e, &p, "");
                println!("claim {claim}: {e}");
            }
            Ok(a) => panic!(
                "claim {claim}: decoded {} samples from a lying header",
                a.samples.len()
            ),
        }
    }
}
