//! Property test of the streaming recogniser: random streams (digital silence, noise of any level,
//! harmonic "voices", in blocks of 10 ms to 3 s) under random parameters (both modes, short
//! windows and pieces, any hangover and rolls), pushed in random chunk sizes at 16 or 44.1 kHz.
//! Never a panic or an error; the results are those of the stream pushed in one piece; every
//! span lies inside the stream and is at least 0.1 s long; the audio kept stays under its bound.

mod common;

use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use ser::predict::Predictor;
use ser::stream::{EmitMode, Recogniser, StreamConfig};

fn predictor() -> Arc<Predictor> {
    static P: OnceLock<(tempfile::TempDir, Arc<Predictor>)> = OnceLock::new();
    P.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let demo = common::two_speaker_demo(dir.path(), 1);
        let p = Arc::new(Predictor::new(demo.model).expect("predictor"));
        (dir, p)
    })
    .1
    .clone()
}

/// One block of a stream: 0 silence, 1 noise, 2 voice; level in dBFS; length in ms.
fn render(blocks: &[(u8, f32, u32)], rate: u32, seed: u64) -> Vec<f32> {
    let mut s = seed | 1;
    let mut x = Vec::new();
    for &(kind, level_db, ms) in blocks {
        let n = (u64::from(ms) * u64::from(rate) / 1000) as usize;
        let amp = 10f32.powf(level_db / 20.0);
        let f0 = 100.0 + f32::from(kind) * 37.0 + level_db.abs();
        for i in 0..n {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let noise = ((s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * amp;
            let t = i as f32 / rate as f32;
            x.push(match kind {
                0 => 0.0,
                1 => noise,
                _ => {
                    (1..=8)
                        .map(|k| (std::f32::consts::TAU * f0 * k as f32 * t).sin() / k as f32)
                        .sum::<f32>()
                        * amp
                        * 0.5
                        + noise * 0.01
                }
            });
        }
    }
    x
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_streams_and_parameters(
        blocks in prop::collection::vec((0u8..3, -90f32..-3.0, 10u32..3000), 1..12),
        segment in any::<bool>(),
        window_s in 0.25f64..3.0,
        hop_frac in 0.1f64..1.0,
        max_segment_s in 0.5f64..4.0,
        hangover_ms in 0f64..800.0,
        roll_frac in 0f64..1.0,
        pre_roll_ms in 0f64..400.0,
        min_speech_ms in 0f64..200.0,
        smoothing in 0f64..0.9,
        high_rate in any::<bool>(),
        chunk_seed in any::<u64>(),
    ) {
        let config = StreamConfig {
            mode: if segment { EmitMode::Segment } else { EmitMode::Sliding },
            window_s,
            hop_s: (window_s * hop_frac).max(0.05),
            max_segment_s,
            hangover_ms,
            post_roll_ms: hangover_ms * roll_frac,
            pre_roll_ms,
            min_speech_ms,
            smoothing,
            ..Default::default()
        };
        prop_assert!(config.check().is_ok(), "{:?}", config.check());
        let rate = if high_rate { 44_100 } else { 16_000 };
        let x = render(&blocks, rate, chunk_seed);
        let p = predictor();
        let bound = 2 * config.max_kept_samples(16_000) as usize + 2 * 16_000;

        let mut whole = Recogniser::new(p.clone(), &config, rate).expect("recogniser");
        let mut expected = whole.push(&x).expect("push whole");
        expected.extend(whole.finish().expect("finish whole"));

        let mut r = Recogniser::new(p, &config, rate).expect("recogniser");
        let mut got = Vec::new();
        let mut s = chunk_seed;
        let mut at = 0;
        while at < x.len() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let n = 1 + (s >> 33) as usize % (rate as usize / 2);
            let end = (at + n).min(x.len());
            got.extend(r.push(&x[at..end]).expect("push"));
            prop_assert!(r.kept_samples() <= bound, "kept {} > {bound}", r.kept_samples());
            at = end;
        }
        got.extend(r.finish().expect("finish"));
        prop_assert_eq!(&got, &expected);
        // At 16 kHz after resampling: ceil(n · 16000 / rate) samples.
        let duration = x.len() as f64 / f64::from(rate);
        for seg in &got {
            prop_assert!(seg.start_s >= 0.0 && seg.end_s <= duration + 1.0 / 16_000.0 + 1e-9, "{seg:?} in {duration} s");
            prop_assert!(seg.end_s - seg.start_s >= 0.1 - 1e-9, "{seg:?}");
            if segment {
                prop_assert!(seg.end_s - seg.start_s <= max_segment_s + 1e-3, "{seg:?}");
            } else {
                prop_assert!(seg.end_s - seg.start_s <= window_s + 1e-3, "{seg:?}");
            }
            let sum: f32 = seg.probabilities.values().sum();
            prop_assert!((sum - 1.0).abs() < 1e-3, "{seg:?}");
        }
    }
}
