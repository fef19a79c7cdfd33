//! Fuzz-style test of prediction from bytes in memory (the server's path): mutated and truncated
//! WAV, AIFF, FLAC, MP3 and Ogg files never panic; each gives a prediction with finite
//! probabilities summing to 1, or a typed error naming the input.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use ser::predict::Predictor;
use ser::train::model_spec;

struct Fixture {
    _tmp: tempfile::TempDir,
    predictor: Predictor,
    seeds: Vec<Vec<u8>>,
}

/// A 16-bit mono AIFF of `samples` at `rate_hz`.
fn aiff(samples: &[f32], rate_hz: u32) -> Vec<u8> {
    let n = samples.len() as u32;
    let mut comm = Vec::new();
    comm.extend_from_slice(&1u16.to_be_bytes());
    comm.extend_from_slice(&n.to_be_bytes());
    comm.extend_from_slice(&16u16.to_be_bytes());
    // 80-bit extended sample rate: exponent 16383 + e, mantissa with the explicit leading bit.
    let e = 31 - rate_hz.leading_zeros();
    comm.extend_from_slice(&((16_383 + e) as u16).to_be_bytes());
    comm.extend_from_slice(&(u64::from(rate_hz) << (63 - e)).to_be_bytes());
    let mut ssnd = vec![0u8; 8];
    for s in samples {
        ssnd.extend_from_slice(&((s.clamp(-1.0, 1.0) * 32_767.0) as i16).to_be_bytes());
    }
    let mut body = b"AIFF".to_vec();
    for (id, chunk) in [(b"COMM", comm), (b"SSND", ssnd)] {
        body.extend_from_slice(id);
        body.extend_from_slice(&(chunk.len() as u32).to_be_bytes());
        body.extend_from_slice(&chunk);
    }
    let mut out = b"FORM".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("tempdir");
        let cfg = ser_io::demo::DemoConfig {
            n_speakers: 3,
            utterances_per_emotion: 2,
            ..Default::default()
        };
        let spec = model_spec("logistic_regression", None, &[]).expect("spec");
        let model = ser::demo::DemoModel::build(tmp.path(), &cfg, spec)
            .expect("demo model")
            .model;
        let tone: Vec<f32> = (0..1_600)
            .map(|i| (i as f32 * 0.17).sin() * 0.4 + (i as f32 * 0.031).sin() * 0.2)
            .collect();
        let wav_path = tmp.path().join("seed.wav");
        ser_io::write_wav_pcm16(&wav_path, &tone, 16_000).expect("wav");
        let io_fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ser-io/tests/fixtures");
        let read =
            |p: PathBuf| std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let seeds = vec![
            read(wav_path),
            aiff(&tone, 16_000),
            read(io_fixtures.join("sine440_16k_mono.flac")),
            read(io_fixtures.join("sine440_16k_mono.mp3")),
            read(io_fixtures.join("sine440_16k_mono.ogg")),
        ];
        Fixture {
            predictor: Predictor::new(model).expect("predictor"),
            _tmp: tmp,
            seeds,
        }
    })
}

#[test]
fn the_seeds_themselves_predict() {
    let f = fixture();
    let mut slot = None;
    for (i, s) in f.seeds.iter().enumerate() {
        let p = f
            .predictor
            .predict_bytes(&mut slot, s.clone(), Path::new("seed"), 60.0, "x")
            .unwrap_or_else(|e| panic!("seed {i}: {e}"));
        assert!(p.duration_s > 0.0, "seed {i}");
    }
}

// 3,000 predictions from mutated inputs (a few seconds in release).
proptest! {
    #![proptest_config(ProptestConfig { cases: 3_000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_audio_never_panics_predict(
        kind in 0usize..5,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..10),
        cut in any::<usize>(),
    ) {
        let f = fixture();
        let mut bytes = f.seeds[kind].clone();
        for (pos, val) in edits {
            let n = bytes.len();
            bytes[pos % n] = val;
        }
        let keep = cut % (bytes.len() + 1);
        bytes.truncate(keep.max(1));
        let mut slot = None;
        let origin = Path::new("mutated.bin");
        match f.predictor.predict_bytes(&mut slot, bytes, origin, 60.0, "x") {
            Ok(p) => {
                let probs = p.probabilities.expect("logistic regression gives probabilities");
                prop_assert!(probs.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)));
                let sum: f32 = probs.iter().sum();
                prop_assert!((sum - 1.0).abs() < 1e-3, "sum {}", sum);
                prop_assert!(p.duration_s.is_finite() && p.duration_s > 0.0);
            }
            Err(e) => prop_assert!(e.to_string().contains("mutated.bin"), "{}", e),
        }
    }
}
