//! Decode + resample speed on real corpus files, as multiples of real time on one core.
//!
//! `SER_DATASETS=/path/to/shared/datasets cargo bench -p ser-io --bench decode_resample`
//! (skips with a message when SER_DATASETS is unset).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn wav_files(dir: &Path, limit: usize) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "wav") {
                out.push(p);
            }
        }
    }
    out.sort();
    out.truncate(limit);
    out
}

fn audio_seconds(files: &[PathBuf]) -> f64 {
    files
        .iter()
        .map(|p| {
            ser_io::probe_info(p)
                .ok()
                .and_then(|i| i.duration_s())
                .unwrap_or(0.0)
        })
        .sum()
}

fn run(files: &[PathBuf], target_hz: u32) -> usize {
    files
        .iter()
        .map(|p| ser_io::load(p, target_hz).map_or(0, |a| a.samples.len()))
        .sum()
}

fn report(name: &str, files: &[PathBuf], seconds: f64, f: impl Fn() -> usize) {
    // Warm the page cache and the resampler plans, then time a few full passes.
    black_box(f());
    let passes = 5;
    let t = Instant::now();
    for _ in 0..passes {
        black_box(f());
    }
    let per_pass = t.elapsed().as_secs_f64() / f64::from(passes);
    println!(
        "{name}: {} files, {seconds:.1} s of audio, {:.1} ms per pass = {:.0}x real time (one core)",
        files.len(),
        per_pass * 1e3,
        seconds / per_pass
    );
}

fn bench(c: &mut Criterion) {
    let Some(root) = std::env::var_os("SER_DATASETS").map(PathBuf::from) else {
        eprintln!("skipping decode_resample: SER_DATASETS not set");
        return;
    };
    let cases = [
        ("emodb_16k_to_16k", root.join("emodb"), 16_000u32),
        ("ravdess_48k_to_16k", root.join("ravdess"), 16_000),
        ("tess_24414_to_16k", root.join("tess"), 16_000),
    ];
    let mut group = c.benchmark_group("decode_resample");
    group.sample_size(10);
    for (name, dir, target) in cases {
        let files = wav_files(&dir, 40);
        if files.is_empty() {
            eprintln!("skipping {name}: no files under {}", dir.display());
            continue;
        }
        let seconds = audio_seconds(&files);
        report(name, &files, seconds, || run(&files, target));
        // Throughput in milliseconds of audio: criterion's "Kelem/s" divided by 1 is the real-time multiple.
        group.throughput(Throughput::Elements((seconds * 1000.0) as u64));
        group.bench_function(
            format!("{name}/{}_files_{:.0}s_audio", files.len(), seconds),
            |b| b.iter(|| run(black_box(&files), target)),
        );
    }
    group.finish();

    // Resampling alone on 10 s of 48 kHz noise-like signal.
    let n = 480_000;
    let x: Vec<f32> = (0..n).map(|i| (i as f32 * 0.618).sin() * 0.3).collect();
    let mut r = ser_io::Resampler::new(48_000, 16_000).expect("plan");
    let t = Instant::now();
    for _ in 0..5 {
        black_box(r.process(&x).expect("resample"));
    }
    let per = t.elapsed().as_secs_f64() / 5.0;
    println!(
        "resample only 48k->16k: 10 s of audio in {:.2} ms = {:.0}x real time",
        per * 1e3,
        10.0 / per
    );
    let mut g = c.benchmark_group("resample");
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("48k_to_16k/480000_samples", |b| {
        b.iter(|| r.process(black_box(&x)).expect("resample"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
