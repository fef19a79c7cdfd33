//! One hour of synthetic speech at 44.1 kHz through the streaming recogniser (resampled to the
//! model's 16 kHz), in sliding and in segment mode: memory stays flat. Utterances of the synthetic demo corpus alternate with
//! 1 s of quiet noise, and every ten minutes a minute of speech without pauses tests the caps.
//! The test prints the peak RSS, the RSS after 20 and 60 minutes and the recogniser's buffers.
//! Its own test binary, so the process measured runs nothing else.

use std::sync::Arc;

use ser::predict::Predictor;
use ser::stream::{EmitMode, Recogniser, StreamConfig};

const RATE: u32 = 44_100;

fn status_kb(key: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[test]
fn one_hour_stream_runs_in_flat_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = ser::demo::DemoModel::build(
        dir.path(),
        &ser_io::demo::DemoConfig {
            n_speakers: 2,
            utterances_per_emotion: 2,
            sample_rate_hz: RATE,
            ..Default::default()
        },
        ser::train::model_spec("logistic_regression", None, &[]).expect("spec"),
    )
    .expect("demo model");
    let utterances: Vec<Vec<f32>> = demo
        .wavs
        .iter()
        .map(|w| ser_io::decode(w).expect("decode").samples)
        .collect();
    let predictor = Arc::new(Predictor::new(demo.model).expect("predictor"));
    for config in [
        StreamConfig::default(),
        StreamConfig {
            mode: EmitMode::Segment,
            ..Default::default()
        },
    ] {
        one_hour(&predictor, &utterances, &config);
    }
}

/// Streams an hour and checks the memory of the process and of the recogniser.
fn one_hour(predictor: &Arc<Predictor>, utterances: &[Vec<f32>], config: &StreamConfig) {
    let bound = config.max_kept_samples(16_000) as usize;
    let mut r = Recogniser::new(predictor.clone(), config, RATE).expect("recogniser");

    let total = 3600 * RATE as usize;
    let chunk = RATE as usize / 10;
    let mut noise_state = 7u64;
    let mut pending: Vec<f32> = Vec::new();
    let (mut pushed, mut next_utt, mut results) = (0usize, 0usize, 0usize);
    let (mut rss_20min, mut max_kept, mut buffers_20min) = (None, 0usize, 0usize);
    let started = std::time::Instant::now();
    while pushed < total {
        while pending.len() < chunk {
            let minute = pushed / (60 * RATE as usize);
            pending.extend_from_slice(&utterances[next_utt % utterances.len()]);
            next_utt += 1;
            // Every tenth minute: speech without pauses.
            if minute % 10 != 9 {
                for _ in 0..RATE {
                    noise_state = noise_state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    pending.push(((noise_state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.002);
                }
            }
        }
        let out = r.push(&pending[..chunk]).expect("push");
        pending.drain(..chunk);
        pushed += chunk;
        results += out.len();
        max_kept = max_kept.max(r.kept_samples());
        assert!(
            r.kept_samples() <= 2 * bound,
            "{} samples kept after {:.0} s, bound {bound}",
            r.kept_samples(),
            pushed as f64 / f64::from(RATE)
        );
        // After the first minute of speech without pauses (minute 9), so that the extractor's
        // buffers have met the longest input.
        if pushed == 1200 * RATE as usize {
            rss_20min = status_kb("VmRSS:");
            buffers_20min = r.buffer_bytes();
        }
    }
    results += r.finish().expect("finish").len();
    let rss_end = status_kb("VmRSS:");
    let peak = status_kb("VmHWM:");
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{:?} mode, one hour at {RATE} Hz in {secs:.1} s ({:.0}x real time): {results} results; \
         RSS after 20 min {} kB, after 60 min {} kB, peak {} kB; recogniser buffers {} bytes \
         after 20 min, {} bytes after 60 min; most samples kept {max_kept} (needed at most {bound}; the buffer is compacted once half of it is stale, so it holds at most twice that)",
        config.mode,
        3600.0 / secs,
        rss_20min.unwrap_or(0),
        rss_end.unwrap_or(0),
        peak.unwrap_or(0),
        buffers_20min,
        r.buffer_bytes(),
    );
    assert!(
        results > 1000,
        "an hour of speech gave only {results} results"
    );
    assert_eq!(
        r.buffer_bytes(),
        buffers_20min,
        "the recogniser's buffers grew after the first 20 minutes"
    );
    if let (Some(a), Some(b)) = (rss_20min, rss_end) {
        assert!(
            b <= a + 2 * 1024,
            "RSS grew from {a} kB (20 min) to {b} kB (60 min): memory is not flat"
        );
    } else {
        eprintln!("RSS not measured: /proc/self/status is not readable here");
    }
}
