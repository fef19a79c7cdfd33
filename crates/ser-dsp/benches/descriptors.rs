//! Descriptor throughput on 3 s of 16 kHz speech-like audio (harmonic glide + noise), one core.
//! Besides criterion's timings, prints multiples of real time (3 s / median time per signal).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};

mod common;

use common::{SECONDS, configs, extractor, speech_like};

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
    if let Ok(l) = std::fs::read_to_string("/proc/loadavg") {
        println!("  load average: {}", l.trim());
    }
    println!("  wall: median of 30 runs; cpu: thread CPU time over >= 2 s of CPU");
    for (name, cfg, method) in configs() {
        let mut ex = extractor(&cfg, method);
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
    for (name, cfg, method) in configs() {
        let mut ex = extractor(&cfg, method);
        g.bench_function(format!("{name}/3s_16k"), |b| {
            b.iter(|| black_box(ex.compute(black_box(&x)).expect("compute")))
        });
    }
    g.finish();
    c.final_summary();
    realtime_report(&x);
}
