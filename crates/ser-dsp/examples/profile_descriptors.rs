//! Profiling driver for callgrind / perf: runs one benchmarked descriptor set `iters` times on the
//! bench signal (3 s of 16 kHz speech-like audio).
//!
//! `cargo build --release -p ser-dsp --example profile_descriptors`, then e.g.
//! `valgrind --tool=callgrind target/release/examples/profile_descriptors default_set 10`.
//! Sets: `mfcc13_d_dd`, `mfcc13_d_dd_realfft`, `mfcc13_d_dd_f32fft`, `log_mel40`,
//! `log_mel40_realfft`, `log_mel40_f32fft`, `default_set`,
//! `librosa_preset`, `pyaudioanalysis_preset`, `all`.
//! With `iters` = 0 it instead measures thread CPU time over >= 3 s of CPU per set and prints
//! the multiple of real time (quick check without criterion).
//!
//! `profile_descriptors rounds SET[,SET...] N`: N rounds, each measuring every listed set (comma
//! separated, or `all`) for >= 0.5 s of thread CPU time in turn (interleaved, so that load from
//! other processes affects all sets alike); prints the best and the median round per set.

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

/// Thread CPU seconds per `compute` call, measured over >= `min_cpu_s`.
fn cpu_per_call(ex: &mut ser_dsp::Extractor, x: &[f32], min_cpu_s: f64) -> f64 {
    let c0 = thread_cpu_s().expect("/proc/thread-self/stat");
    let mut n = 0u64;
    loop {
        black_box(ex.compute(black_box(x)).expect("compute"));
        n += 1;
        let c = thread_cpu_s().unwrap_or(c0) - c0;
        if c >= min_cpu_s {
            break c / n as f64;
        }
    }
}

fn rounds(names: &str, n_rounds: usize) {
    let x = common::speech_like();
    let mut sets: Vec<_> = common::configs()
        .into_iter()
        .filter(|(n, _, _)| names == "all" || names.split(',').any(|s| s == *n))
        .map(|(n, cfg, m)| {
            let mut ex = common::extractor(&cfg, m);
            black_box(ex.compute(&x).expect("warm-up"));
            (n, ex, Vec::new())
        })
        .collect();
    for _ in 0..n_rounds {
        for (_, ex, times) in sets.iter_mut() {
            times.push(cpu_per_call(ex, &x, 0.5));
        }
    }
    if let Ok(l) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average after: {}", l.trim());
    }
    for (name, _, mut times) in sets {
        times.sort_by(f64::total_cmp);
        let (best, med) = (times[0], times[times.len() / 2]);
        println!(
            "{name:<24} best {:.4} ms = {:.0}x | median {:.4} ms = {:.0}x real time ({n_rounds} rounds)",
            best * 1e3,
            common::SECONDS / best,
            med * 1e3,
            common::SECONDS / med
        );
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "default_set".into());
    if name == "rounds" {
        let sets = args.next().unwrap_or_else(|| "all".into());
        let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
        rounds(&sets, n.max(1));
        return;
    }
    let iters: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let sets: Vec<_> = common::configs()
        .into_iter()
        .filter(|(n, _, _)| name == "all" || *n == name)
        .collect();
    if sets.is_empty() {
        eprintln!("unknown set {name}");
        std::process::exit(2);
    }
    let x = common::speech_like();
    for (name, cfg, method) in sets {
        let mut ex = common::extractor(&cfg, method);
        if iters > 0 {
            for _ in 0..iters {
                black_box(ex.compute(black_box(&x)).expect("compute"));
            }
            println!("{name}: {iters} runs");
            continue;
        }
        black_box(ex.compute(black_box(&x)).expect("warm-up"));
        let cpu = cpu_per_call(&mut ex, &x, 3.0);
        println!(
            "{name:<24} cpu {:.4} ms = {:.0}x real time",
            cpu * 1e3,
            common::SECONDS / cpu
        );
    }
}
