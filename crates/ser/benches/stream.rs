//! The streaming recogniser's latency and throughput (a table, not criterion: the figures are
//! distributions over every hop of a stream, not one closure timed many times).
//!
//! `cargo bench -p ser --bench stream` (with `SER_DATASETS` set, the stream is real EMO-DB speech;
//! otherwise the synthetic demo corpus).
//!
//! - **latency**: from the arrival of the chunk holding the end of a hop (10 ms chunks) to the
//!   result being returned by `push`, i.e. the compute time of that push (VAD, resampling,
//!   features, model); the resampler's algorithmic delay (0 at 16 kHz) is printed beside it.
//! - **throughput**: stream seconds per wall-clock second with 100 ms chunks.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use ser::predict::Predictor;
use ser::stream::{EmitMode, Recogniser, StreamConfig};

fn noise(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.002
        })
        .collect()
}

/// Up to 60 EMO-DB files when `SER_DATASETS` points at the shared corpora.
fn emodb_files() -> Option<Vec<PathBuf>> {
    let root = std::env::var_os("SER_DATASETS").map(PathBuf::from)?;
    let mut f: Vec<PathBuf> = std::fs::read_dir(root.join("emodb/wav"))
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    f.sort();
    f.truncate(60);
    (!f.is_empty()).then_some(f)
}

fn main() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let demo = ser::demo::DemoModel::build(
        tmp.path(),
        &ser_io::demo::DemoConfig::default(),
        ser::train::model_spec("svm", None, &[]).expect("spec"),
    )
    .expect("demo model");
    let (audio_files, what) = match emodb_files() {
        Some(f) => (f, "60 EMO-DB files"),
        None => {
            eprintln!("SER_DATASETS not set: streaming the synthetic demo corpus");
            let f = demo.wavs.iter().take(60).cloned().collect();
            (f, "60 synthetic demo utterances")
        }
    };
    let predictor = Arc::new(Predictor::new(demo.model.clone()).expect("predictor"));
    let mut x16 = noise(8_000, 1);
    for (i, f) in audio_files.iter().enumerate() {
        x16.extend(ser_io::load(f, 16_000).expect("decode").samples);
        x16.extend(noise(8_000, 2 + i as u64));
    }
    let x48 = ser_io::resample(&x16, 16_000, 48_000).expect("resample");
    let seconds = x16.len() as f64 / 16_000.0;
    println!(
        "stream: {what} with 0.5 s gaps, {seconds:.1} s; model: RBF SVM on the demo corpus, \
         `default` feature set ({} features)\n",
        demo.model.pipeline.feature_names.len()
    );
    println!("| input | mode | results | latency p50 | p95 | max | resampler delay | throughput |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for (rate, x) in [(16_000u32, &x16), (48_000, &x48)] {
        for (mode, config) in [
            ("sliding 2 s / 0.5 s", StreamConfig::default()),
            (
                "segment",
                StreamConfig {
                    mode: EmitMode::Segment,
                    ..Default::default()
                },
            ),
        ] {
            // Latency: 10 ms chunks, time the pushes that return results.
            let mut r = Recogniser::new(predictor.clone(), &config, rate).expect("recogniser");
            let chunk = rate as usize / 100;
            let mut lat_ms = Vec::new();
            let mut results = 0;
            for piece in x.chunks(chunk) {
                let t = Instant::now();
                let out = r.push(piece).expect("push");
                let dt = t.elapsed().as_secs_f64() * 1e3;
                if !out.is_empty() {
                    lat_ms.push(dt);
                    results += out.len();
                }
            }
            results += r.finish().expect("finish").len();
            lat_ms.sort_by(f64::total_cmp);
            let q = |p: f64| lat_ms[((lat_ms.len() - 1) as f64 * p).round() as usize];
            // Throughput: 100 ms chunks.
            let mut r = Recogniser::new(predictor.clone(), &config, rate).expect("recogniser");
            let t = Instant::now();
            for piece in x.chunks(rate as usize / 10) {
                std::hint::black_box(r.push(piece).expect("push"));
            }
            std::hint::black_box(r.finish().expect("finish"));
            let wall = t.elapsed().as_secs_f64();
            println!(
                "| {} kHz | {mode} | {results} | {:.2} ms | {:.2} ms | {:.2} ms | {:.1} ms | {:.0}x real time |",
                rate / 1000,
                q(0.5),
                q(0.95),
                q(1.0),
                r.resampler_latency_s() * 1e3,
                seconds / wall
            );
        }
    }
}
