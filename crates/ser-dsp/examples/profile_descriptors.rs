//! Profiling driver for callgrind / perf: runs one benchmarked descriptor set `iters` times on the
//! bench signal (3 s of 16 kHz speech-like audio).
//!
//! `cargo build --release -p ser-dsp --example profile_descriptors`, then e.g.
//! `valgrind --tool=callgrind target/release/examples/profile_descriptors default_set 10`.
//! Sets: `mfcc13_d_dd`, `default_set`, `librosa_preset`, `pyaudioanalysis_preset`, `all`.
//! With `iters` = 0 it instead measures thread CPU time over >= 3 s of CPU per set and prints
//! the multiple of real time (quick check without criterion).

use std::hint::black_box;

#[path = "../benches/common/mod.rs"]
mod common;

/// CPU time of the calling thread (utime + stime, 10 ms ticks) from /proc/thread-self/stat.
fn thread_cpu_s() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "default_set".into());
    let iters: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let sets: Vec<_> = common::configs()
        .into_iter()
        .filter(|(n, _)| name == "all" || *n == name)
        .collect();
    if sets.is_empty() {
        eprintln!("unknown set {name}");
        std::process::exit(2);
    }
    let x = common::speech_like();
    for (name, cfg) in sets {
        let mut ex = cfg
            .check()
            .expect("valid config")
            .extractor(common::SR)
            .expect("extractor");
        if iters > 0 {
            for _ in 0..iters {
                black_box(ex.compute(black_box(&x)).expect("compute"));
            }
            println!("{name}: {iters} runs");
            continue;
        }
        black_box(ex.compute(black_box(&x)).expect("warm-up"));
        let c0 = thread_cpu_s().expect("/proc/thread-self/stat");
        let mut n = 0u64;
        let cpu = loop {
            black_box(ex.compute(black_box(&x)).expect("compute"));
            n += 1;
            let c = thread_cpu_s().unwrap_or(c0) - c0;
            if c >= 3.0 {
                break c / n as f64;
            }
        };
        println!(
            "{name:<24} cpu {:.4} ms = {:.0}x real time ({n} runs)",
            cpu * 1e3,
            common::SECONDS / cpu
        );
    }
}
