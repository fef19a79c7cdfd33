//! Descriptor throughput on 3 s of 16 kHz speech-like audio (harmonic glide + noise), one core.
//! Besides criterion's timings, prints multiples of real time (3 s / median time per signal).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use ser_dsp::{DeltaConfig, Descriptor, DescriptorConfig, MelConfig};

const SR: u32 = 16_000;
const SECONDS: f64 = 3.0;

/// Speech-like test signal: 12 harmonics of a 100..250 Hz glide with a syllabic envelope, plus
/// white noise at -30 dB (deterministic LCG).
fn speech_like() -> Vec<f32> {
    let n = (SECONDS * f64::from(SR)) as usize;
    let mut phase = 0.0f64;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(SR);
            let f0 =
                100.0 + 150.0 * (t / SECONDS) + 20.0 * (2.0 * std::f64::consts::PI * 3.0 * t).sin();
            phase += 2.0 * std::f64::consts::PI * f0 / f64::from(SR);
            let env = 0.5 + 0.5 * (2.0 * std::f64::consts::PI * 4.0 * t).sin().abs();
            let voiced: f64 = (1..=12).map(|k| (k as f64 * phase).sin() / k as f64).sum();
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let noise = ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.03;
            (0.25 * env * voiced + noise) as f32
        })
        .collect()
}

fn mfcc_deltas_config() -> DescriptorConfig {
    DescriptorConfig {
        descriptors: vec![Descriptor::Mfcc {
            n_mfcc: 13,
            mel: MelConfig {
                n_mels: 40,
                ..MelConfig::default()
            },
            top_db: Some(80.0),
            lifter: 0.0,
        }],
        deltas: DeltaConfig {
            order: 2,
            width: 9,
            prefixes: Vec::new(),
        },
        ..DescriptorConfig::default()
    }
}

fn configs() -> Vec<(&'static str, DescriptorConfig)> {
    vec![
        ("mfcc13_d_dd", mfcc_deltas_config()),
        ("default_set", DescriptorConfig::default()),
        ("librosa_preset", DescriptorConfig::librosa()),
        (
            "pyaudioanalysis_preset",
            DescriptorConfig::pyaudioanalysis(),
        ),
    ]
}

/// CPU time of the calling thread (utime + stime from /proc/thread-self/stat, 10 ms ticks);
/// `None` where unavailable. Used because the shared machine's wall clock is noisy.
fn thread_cpu_s() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn realtime_report(x: &[f32]) {
    println!("\nmultiples of real time (3 s of 16 kHz audio, one thread):");
    println!("  wall: median of 30 runs; cpu: thread CPU time over >= 2 s of CPU");
    for (name, cfg) in configs() {
        let mut ex = cfg
            .check()
            .expect("valid config")
            .extractor(SR)
            .expect("extractor");
        let _ = ex.compute(x).expect("warm-up");
        let mut times: Vec<Duration> = (0..30)
            .map(|_| {
                let t0 = Instant::now();
                black_box(ex.compute(black_box(x)).expect("compute"));
                t0.elapsed()
            })
            .collect();
        times.sort();
        let med = times[times.len() / 2];
        let cpu = thread_cpu_s().map(|c0| {
            let wall0 = Instant::now();
            let mut iters = 0u64;
            loop {
                black_box(ex.compute(black_box(x)).expect("compute"));
                iters += 1;
                let c = thread_cpu_s().unwrap_or(c0) - c0;
                if c >= 2.0 || wall0.elapsed().as_secs_f64() > 60.0 {
                    break c / iters as f64;
                }
            }
        });
        let cpu_txt = cpu.map_or("n/a".to_string(), |c| {
            format!("{:.3} ms = {:.0}x", c * 1e3, SECONDS / c)
        });
        println!(
            "  {name:<24} wall {:>8.3} ms = {:>6.0}x real time | cpu {cpu_txt}",
            med.as_secs_f64() * 1e3,
            SECONDS / med.as_secs_f64()
        );
    }
}

fn main() {
    let x = speech_like();
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("descriptors");
    g.throughput(Throughput::Elements(x.len() as u64));
    for (name, cfg) in configs() {
        let mut ex = cfg
            .check()
            .expect("valid config")
            .extractor(SR)
            .expect("extractor");
        g.bench_function(format!("{name}/3s_16k"), |b| {
            b.iter(|| black_box(ex.compute(black_box(&x)).expect("compute")))
        });
    }
    g.finish();
    c.final_summary();
    realtime_report(&x);
}
