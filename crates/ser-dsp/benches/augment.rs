//! Augmentation throughput, one thread: each transform alone, a representative mix (one
//! transform drawn per copy) and the whole chain, on 3 s of 16 kHz speech-like audio; then, when
//! `SER_DATASETS` is set and `$SER_DATASETS/emodb/wav` exists, three augmented copies of every
//! EMO-DB file with the mix. Besides criterion's timings, prints multiples of real time (seconds
//! of input audio per second of computation).
//!
//! `cargo bench -p ser-dsp --bench augment` (`-- --quick` for a short criterion run).

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use ser_dsp::{AugmentConfig, Augmentation, Augmenter, Draw, NoiseColor, Select, ShiftFill};

#[allow(dead_code)]
mod common;

use common::{SECONDS, SR, speech_like};

/// The transforms of the mix, as a fold would configure them.
fn mix_steps() -> Vec<(&'static str, Augmentation)> {
    vec![
        (
            "noise_white",
            Augmentation::Noise {
                snr_db: Draw::Uniform {
                    min: 5.0,
                    max: 20.0,
                },
                color: NoiseColor::White,
            },
        ),
        (
            "noise_pink",
            Augmentation::Noise {
                snr_db: Draw::Uniform {
                    min: 5.0,
                    max: 20.0,
                },
                color: NoiseColor::Pink,
            },
        ),
        (
            "babble",
            Augmentation::Babble {
                snr_db: Draw::Uniform {
                    min: 10.0,
                    max: 20.0,
                },
                talkers: 4,
            },
        ),
        (
            "pitch_shift",
            Augmentation::PitchShift {
                semitones: Draw::OneOf(vec![-2.0, -1.0, 1.0, 2.0]),
            },
        ),
        (
            "time_stretch",
            Augmentation::TimeStretch {
                rate: Draw::Uniform { min: 0.9, max: 1.1 },
            },
        ),
        (
            "speed",
            Augmentation::Speed {
                factor: Draw::OneOf(vec![0.9, 1.1]),
            },
        ),
        (
            "reverb",
            Augmentation::Reverb {
                rt60_s: Draw::Uniform { min: 0.2, max: 0.8 },
                drr_db: Draw::Uniform {
                    min: -5.0,
                    max: 5.0,
                },
            },
        ),
    ]
}

fn cases() -> Vec<(String, AugmentConfig)> {
    let cfg = |steps, select| AugmentConfig {
        steps,
        select,
        ..AugmentConfig::default()
    };
    let mut v: Vec<(String, AugmentConfig)> = mix_steps()
        .into_iter()
        .map(|(name, s)| (name.to_string(), cfg(vec![s], Select::All)))
        .collect();
    v.push((
        "gain".into(),
        cfg(
            vec![Augmentation::Gain {
                db: Draw::Uniform {
                    min: -6.0,
                    max: 6.0,
                },
            }],
            Select::All,
        ),
    ));
    v.push((
        "time_shift".into(),
        cfg(
            vec![Augmentation::TimeShift {
                max_s: 0.1,
                fill: ShiftFill::Zeros,
            }],
            Select::All,
        ),
    ));
    let steps: Vec<Augmentation> = mix_steps().into_iter().map(|(_, s)| s).collect();
    v.push(("mix_one_of".into(), cfg(steps.clone(), Select::OneOf)));
    v.push(("chain_all".into(), cfg(steps, Select::All)));
    v
}

fn augmenter(cfg: &AugmentConfig) -> Augmenter {
    cfg.check()
        .expect("valid config")
        .augmenter(SR)
        .expect("augmenter")
}

/// Other utterances for babble: four 2 s speech-like signals cut from a longer one.
fn others_from(x: &[f32]) -> Vec<Vec<f32>> {
    (0..4)
        .map(|i| {
            let s = i * 8000;
            x[s..(s + 32000).min(x.len())].to_vec()
        })
        .collect()
}

fn realtime_report(x: &[f32], others: &[&[f32]]) {
    println!("\nmultiples of real time (3 s of 16 kHz audio, one thread, median of 40 seeds):");
    if let Ok(l) = std::fs::read_to_string("/proc/loadavg") {
        println!("  load average: {}", l.trim());
    }
    let mut out = Vec::new();
    for (name, cfg) in cases() {
        let mut aug = augmenter(&cfg);
        aug.apply_into(x, 0, others, &mut out).expect("warm-up");
        let mut times: Vec<Duration> = (0..40u64)
            .map(|seed| {
                let t0 = Instant::now();
                aug.apply_into(black_box(x), seed, others, &mut out)
                    .expect("apply");
                black_box(&out);
                t0.elapsed()
            })
            .collect();
        times.sort();
        let med = times[times.len() / 2].as_secs_f64();
        let mean = times.iter().map(Duration::as_secs_f64).sum::<f64>() / times.len() as f64;
        println!(
            "  {name:<14} median {:>7.3} ms = {:>6.0}x | mean {:>7.3} ms = {:>6.0}x real time",
            med * 1e3,
            SECONDS / med,
            mean * 1e3,
            SECONDS / mean
        );
    }
}

/// CPU time of the calling thread (utime + stime from /proc/thread-self/stat, 10 ms ticks);
/// `None` where unavailable. The shared machine's wall clock is noisy.
fn thread_cpu_s() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// 16-bit PCM mono WAV samples in [-1, 1) (RIFF chunks walked; anything else is `None`).
fn read_wav_pcm16_mono(path: &Path) -> Option<(u32, Vec<f32>)> {
    let b = std::fs::read(path).ok()?;
    if b.len() < 12 || &b[0..4] != b"RIFF" || &b[8..12] != b"WAVE" {
        return None;
    }
    let (mut pos, mut rate, mut ok) = (12usize, 0u32, false);
    while pos + 8 <= b.len() {
        let id = &b[pos..pos + 4];
        let len = u32::from_le_bytes(b[pos + 4..pos + 8].try_into().ok()?) as usize;
        let body = b.get(pos + 8..(pos + 8 + len).min(b.len()))?;
        if id == b"fmt " && body.len() >= 16 {
            let format = u16::from_le_bytes([body[0], body[1]]);
            let channels = u16::from_le_bytes([body[2], body[3]]);
            rate = u32::from_le_bytes(body[4..8].try_into().ok()?);
            let bits = u16::from_le_bytes([body[14], body[15]]);
            ok = format == 1 && channels == 1 && bits == 16;
        } else if id == b"data" {
            if !ok {
                return None;
            }
            let s = body
                .chunks_exact(2)
                .map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])) / 32768.0)
                .collect();
            return Some((rate, s));
        }
        pos += 8 + len + (len & 1);
    }
    None
}

/// Three copies of every EMO-DB file with the mix (seeds 3 i + c), one thread; babble draws
/// from the four files after each one.
fn emodb_report() {
    let Some(root) = std::env::var_os("SER_DATASETS") else {
        println!("\nEMO-DB: skipped (SER_DATASETS is not set)");
        return;
    };
    let dir = Path::new(&root).join("emodb").join("wav");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("\nEMO-DB: skipped ({} not found)", dir.display());
        return;
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "wav"))
        .collect();
    paths.sort();
    let files: Vec<Vec<f32>> = paths
        .iter()
        .filter_map(|p| {
            read_wav_pcm16_mono(p)
                .filter(|(r, _)| *r == SR)
                .map(|(_, s)| s)
        })
        .collect();
    let audio_s = files.iter().map(|f| f.len()).sum::<usize>() as f64 / f64::from(SR);
    println!(
        "\nEMO-DB: {} of {} files read ({audio_s:.1} s of audio), 3 copies each, one thread",
        files.len(),
        paths.len()
    );
    let steps: Vec<Augmentation> = mix_steps().into_iter().map(|(_, s)| s).collect();
    for (name, select) in [("mix_one_of", Select::OneOf), ("chain_all", Select::All)] {
        let mut aug = augmenter(&AugmentConfig {
            steps: steps.clone(),
            select,
            ..AugmentConfig::default()
        });
        let mut out = Vec::new();
        let mut out_s = 0.0;
        let t0 = Instant::now();
        let c0 = thread_cpu_s();
        for (i, x) in files.iter().enumerate() {
            let others: Vec<&[f32]> = (1..=4)
                .map(|k| files[(i + k) % files.len()].as_slice())
                .collect();
            for c in 0..3u64 {
                aug.apply_into(x, 3 * i as u64 + c, &others, &mut out)
                    .expect("apply");
                out_s += out.len() as f64 / f64::from(SR);
            }
        }
        let t = t0.elapsed().as_secs_f64();
        let cpu = c0.and_then(|c0| Some(thread_cpu_s()? - c0));
        println!(
            "  {name:<11} wall {t:.2} s for {:.0} s of input audio x 3 copies ({out_s:.0} s out): {:.0}x real time per file (3 copies), {:.0}x per copy",
            audio_s,
            audio_s / t,
            3.0 * audio_s / t
        );
        if let Some(c) = cpu.filter(|c| *c > 0.0) {
            println!(
                "  {:<11} cpu  {c:.2} s: {:.0}x real time per file (3 copies), {:.0}x per copy",
                "",
                audio_s / c,
                3.0 * audio_s / c
            );
        }
    }
}

fn main() {
    let x = speech_like();
    let long: Vec<f32> = x.iter().chain(&x).copied().collect();
    let others_owned = others_from(&long);
    let others: Vec<&[f32]> = others_owned.iter().map(Vec::as_slice).collect();
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("augment");
    g.throughput(Throughput::Elements(x.len() as u64));
    for (name, cfg) in cases() {
        let mut aug = augmenter(&cfg);
        let mut out = Vec::new();
        let mut seed = 0u64;
        g.bench_function(format!("{name}/3s_16k"), |b| {
            b.iter(|| {
                seed += 1;
                aug.apply_into(black_box(&x), seed, &others, &mut out)
                    .expect("apply");
                black_box(&out);
            })
        });
    }
    g.finish();
    c.final_summary();
    realtime_report(&x, &others);
    emodb_report();
}
