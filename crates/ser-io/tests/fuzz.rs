//! Fuzz-style property tests: the decoder never panics on random, truncated or corrupted bytes,
//! and every error names the file.

mod common;

use common::*;
use proptest::prelude::*;

fn decode_bytes(
    bytes: &[u8],
) -> (
    std::path::PathBuf,
    ser_io::Result<ser_io::Audio>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = write(dir.path(), "fuzz.wav", bytes);
    let r = ser_io::decode(&p);
    (p, r, dir)
}

fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    let (p, r, _dir) = decode_bytes(bytes);
    match r {
        Ok(a) => {
            prop_assert!(a.sample_rate_hz > 0);
            prop_assert!(a.samples.iter().all(|s| s.is_finite()));
            // Never more audio than the bytes could hold (no allocation from header claims).
            prop_assert!(
                a.samples.len() <= bytes.len().max(1) * 8,
                "{} samples from {} bytes",
                a.samples.len(),
                bytes.len()
            );
        }
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(
                msg.contains(&p.display().to_string()),
                "error does not name the file: {}",
                msg
            );
        }
    }
    Ok(())
}

fn valid_wav() -> Vec<u8> {
    wav_bytes(
        Pcm::I16,
        16_000,
        2,
        &sine(440.0, 16_000, 800, 0.5),
        &[(b"FLLR", &[0u8; 30])],
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        check(&bytes)?;
    }

    #[test]
    fn random_bytes_after_a_riff_header_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut bytes = b"RIFF\xff\xff\xff\x7fWAVEfmt ".to_vec();
        bytes.extend_from_slice(&tail);
        check(&bytes)?;
    }

    #[test]
    fn truncated_wav_never_panics(cut in 0usize..3_300) {
        let full = valid_wav();
        check(&full[..cut.min(full.len())])?;
    }

    #[test]
    fn corrupted_wav_never_panics(edits in proptest::collection::vec((0usize..3_300, any::<u8>()), 1..12)) {
        let mut bytes = valid_wav();
        for (pos, val) in edits {
            let n = bytes.len();
            bytes[pos % n] = val;
        }
        check(&bytes)?;
    }

    #[test]
    fn corrupted_flac_never_panics(edits in proptest::collection::vec((0usize..2_456, any::<u8>()), 1..8), cut in 0usize..2_456) {
        let mut bytes = std::fs::read(fixture("sine440_16k_mono.flac")).expect("fixture");
        for (pos, val) in edits {
            let n = bytes.len();
            bytes[pos % n] = val;
        }
        bytes.truncate(cut.max(4));
        check(&bytes)?;
    }
}

/// In-memory decoding ([`ser_io::decode_bytes`], the server's path), with the same guarantees:
/// no panic, finite samples, no more audio than the bytes hold, errors naming the input.
fn check_in_memory(bytes: &[u8]) -> Result<(), TestCaseError> {
    let origin = std::path::Path::new("upload.bin");
    match ser_io::decode_bytes(bytes.to_vec(), origin, 60.0) {
        Ok(a) => {
            prop_assert!(a.sample_rate_hz > 0);
            prop_assert!(a.samples.iter().all(|s| s.is_finite()));
            prop_assert!(a.samples.len() <= bytes.len().max(1) * 8);
        }
        Err(e) => prop_assert!(e.to_string().contains("upload.bin"), "{}", e),
    }
    Ok(())
}

fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8)], cut: usize) -> Vec<u8> {
    for &(pos, val) in edits {
        let n = bytes.len();
        bytes[pos % n] = val;
    }
    let keep = cut % (bytes.len() + 1);
    bytes.truncate(keep.max(1));
    bytes
}

fn seed(kind: usize) -> Vec<u8> {
    match kind % 5 {
        0 => valid_wav(),
        1 => aiff_bytes(16_000, 1, &sine(440.0, 16_000, 800, 0.5)),
        2 => std::fs::read(fixture("sine440_16k_mono.flac")).expect("fixture"),
        3 => std::fs::read(fixture("sine440_16k_mono.mp3")).expect("fixture"),
        _ => std::fs::read(fixture("sine440_16k_mono.ogg")).expect("fixture"),
    }
}

// 10,000 cases in all: mutated and truncated WAV, AIFF, FLAC, MP3 and Ogg (2,000 each kind on
// average) plus random bytes, decoded from memory. A few seconds in release.
proptest! {
    #![proptest_config(ProptestConfig { cases: 8_000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_audio_of_every_format_never_panics_in_memory(
        kind in 0usize..5,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..10),
        cut in any::<usize>(),
    ) {
        check_in_memory(&mutate(seed(kind), &edits, cut))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_in_memory(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        check_in_memory(&bytes)?;
    }
}
