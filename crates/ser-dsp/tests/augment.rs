//! Augmentation transforms: the acceptance figures of the issue measured on synthetic signals,
//! determinism, parameter checking and degenerate inputs. Run with `--nocapture` to see the
//! measured figures.

use realfft::RealFftPlanner;
use ser_dsp::{
    AugmentConfig, Augmentation, Augmenter, Draw, Error, NoiseColor, Overflow, Select, ShiftFill,
    reverb_impulse_response,
};

const SR: u32 = 16_000;

fn sine(f_hz: f64, seconds: f64, amp: f64) -> Vec<f32> {
    let n = (seconds * f64::from(SR)) as usize;
    (0..n)
        .map(|i| (amp * (std::f64::consts::TAU * f_hz * i as f64 / f64::from(SR)).sin()) as f32)
        .collect()
}

fn augmenter(steps: Vec<Augmentation>) -> Augmenter {
    AugmentConfig {
        steps,
        ..AugmentConfig::default()
    }
    .check()
    .expect("valid config")
    .augmenter(SR)
    .expect("augmenter")
}

fn one(step: Augmentation, x: &[f32], seed: u64, others: &[&[f32]]) -> Vec<f32> {
    augmenter(vec![step]).apply(x, seed, others).expect("apply")
}

/// F0 of a (near) sinusoid: Hann-windowed FFT of the middle 80 % of `x`, zero-padded 8x,
/// strongest bin in 50..4000 Hz, parabolic interpolation of the log magnitude.
fn f0_hz(x: &[f32]) -> f64 {
    let skip = x.len() / 10;
    let seg = &x[skip..x.len() - skip];
    let n = (seg.len() * 8).next_power_of_two();
    let mut buf = vec![0.0f64; n];
    let m = seg.len() as f64;
    for (i, (&v, b)) in seg.iter().zip(buf.iter_mut()).enumerate() {
        let w = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / m).cos();
        *b = f64::from(v) * w;
    }
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let mut spec = fft.make_output_vec();
    fft.process(&mut buf, &mut spec).expect("fft");
    let bin_hz = f64::from(SR) / n as f64;
    let (lo, hi) = ((50.0 / bin_hz) as usize, (4000.0 / bin_hz) as usize);
    let mag: Vec<f64> = spec.iter().map(|c| c.norm().max(1e-300).ln()).collect();
    let k = (lo..hi)
        .max_by(|&a, &b| mag[a].total_cmp(&mag[b]))
        .expect("range");
    let (a, b, c) = (mag[k - 1], mag[k], mag[k + 1]);
    let delta = 0.5 * (a - c) / (a - 2.0 * b + c);
    (k as f64 + delta) * bin_hz
}

fn power(x: &[f32]) -> f64 {
    x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len() as f64
}

#[test]
fn f0_estimator_is_accurate() {
    for f in [110.0, 220.0, 246.94] {
        let est = f0_hz(&sine(f, 2.0, 0.5));
        assert!((est / f - 1.0).abs() < 1e-4, "{f} Hz measured {est}");
    }
}

#[test]
fn pitch_shift_moves_f0_by_the_asked_semitones_and_keeps_duration() {
    for (f_in, semis) in [(220.0, 2.0), (150.0, 2.0), (220.0, -3.0), (180.0, 5.0)] {
        let x = sine(f_in, 2.0, 0.5);
        let y = one(
            Augmentation::PitchShift {
                semitones: Draw::Fixed(semis),
            },
            &x,
            1,
            &[],
        );
        let measured = 12.0 * (f0_hz(&y) / f_in).log2();
        let dur = y.len() as f64 / x.len() as f64;
        println!(
            "pitch_shift {semis:+} st on {f_in} Hz: measured {measured:+.5} st, duration ratio {dur:.6}"
        );
        assert!((measured - semis).abs() <= 0.1, "measured {measured} st");
        assert!((dur - 1.0).abs() <= 0.01, "duration ratio {dur}");
        // the shifted tone keeps its level (no dropout): RMS within 1.5 dB of the input's
        let db = 10.0 * (power(&y[4000..y.len() - 4000]) / power(&x)).log10();
        assert!(db.abs() < 1.5, "level change {db} dB");
    }
}

#[test]
fn time_stretch_changes_duration_by_the_rate_and_keeps_f0() {
    for (f_in, rate) in [(220.0, 1.25), (220.0, 0.8), (130.0, 1.25), (300.0, 1.6)] {
        let x = sine(f_in, 2.0, 0.5);
        let y = one(
            Augmentation::TimeStretch {
                rate: Draw::Fixed(rate),
            },
            &x,
            1,
            &[],
        );
        let dur = y.len() as f64 / x.len() as f64;
        let f_out = f0_hz(&y);
        println!(
            "time_stretch rate {rate} on {f_in} Hz: duration ratio {dur:.5} (1/rate {:.5}), F0 {f_out:.4} Hz ({:+.5} %)",
            1.0 / rate,
            100.0 * (f_out / f_in - 1.0)
        );
        assert!((dur * rate - 1.0).abs() <= 0.01, "duration ratio {dur}");
        assert!((f_out / f_in - 1.0).abs() <= 0.01, "F0 {f_out}");
    }
}

#[test]
fn time_stretch_rate_one_and_phase_vocoder_identity() {
    // rate 1 is a copy; a rate close to 1 still reconstructs the waveform's level
    let x = sine(220.0, 1.0, 0.5);
    let y = one(
        Augmentation::TimeStretch {
            rate: Draw::Fixed(1.0),
        },
        &x,
        1,
        &[],
    );
    assert_eq!(x, y);
    let y = one(
        Augmentation::TimeStretch {
            rate: Draw::Fixed(1.01),
        },
        &x,
        1,
        &[],
    );
    let db = 10.0 * (power(&y[1000..y.len() - 1000]) / power(&x)).log10();
    assert!(db.abs() < 0.5, "level change {db} dB");
}

#[test]
fn speed_perturbation_scales_duration_and_frequency_together() {
    for factor in [0.9, 1.1] {
        let x = sine(200.0, 2.0, 0.5);
        let y = one(
            Augmentation::Speed {
                factor: Draw::Fixed(factor),
            },
            &x,
            1,
            &[],
        );
        let dur = y.len() as f64 / x.len() as f64;
        let ratio = f0_hz(&y) / 200.0;
        println!("speed {factor}: duration ratio {dur:.5}, frequency ratio {ratio:.5}");
        assert!((dur * factor - 1.0).abs() < 0.001, "duration {dur}");
        assert!(
            (ratio / factor - 1.0).abs() < 0.001,
            "frequency ratio {ratio}"
        );
    }
}

#[test]
fn speed_resampler_keeps_level_and_does_not_alias() {
    // a 7.8 kHz tone read 1.1x faster would land at 8.58 kHz, above Nyquist: it must be removed
    let x = sine(7800.0, 1.0, 0.5);
    let y = one(
        Augmentation::Speed {
            factor: Draw::Fixed(1.1),
        },
        &x,
        1,
        &[],
    );
    let db = 10.0 * (power(&y[200..y.len() - 200]) / power(&x)).log10();
    println!("speed 1.1 on 7.8 kHz: residual {db:.1} dB");
    assert!(db < -40.0, "aliased residual {db} dB");
    // a 1 kHz tone keeps its level
    let x = sine(1000.0, 1.0, 0.5);
    let y = one(
        Augmentation::Speed {
            factor: Draw::Fixed(1.1),
        },
        &x,
        1,
        &[],
    );
    let db = 10.0 * (power(&y[200..y.len() - 200]) / power(&x)).log10();
    assert!(db.abs() < 0.05, "passband level {db} dB");
}

fn measured_snr(x: &[f32], y: &[f32]) -> f64 {
    let e: Vec<f32> = y.iter().zip(x).map(|(a, b)| a - b).collect();
    10.0 * (power(x) / power(&e)).log10()
}

#[test]
fn noise_at_10_db_measures_10_db() {
    let x = sine(220.0, 2.0, 0.3);
    let o1 = sine(310.0, 1.3, 0.2);
    let o2 = sine(170.0, 0.7, 0.4);
    let others: Vec<&[f32]> = vec![&o1, &o2];
    for (name, step) in [
        (
            "white",
            Augmentation::Noise {
                snr_db: Draw::Fixed(10.0),
                color: NoiseColor::White,
            },
        ),
        (
            "pink",
            Augmentation::Noise {
                snr_db: Draw::Fixed(10.0),
                color: NoiseColor::Pink,
            },
        ),
        (
            "babble",
            Augmentation::Babble {
                snr_db: Draw::Fixed(10.0),
                talkers: 3,
            },
        ),
    ] {
        for seed in [1, 2, 3] {
            let y = one(step.clone(), &x, seed, &others);
            let snr = measured_snr(&x, &y);
            println!("{name} noise at 10 dB, seed {seed}: measured {snr:.4} dB");
            assert!((snr - 10.0).abs() <= 0.2, "{name}: {snr} dB");
        }
    }
}

#[test]
fn snr_range_draws_within_the_range() {
    let x = sine(220.0, 1.0, 0.3);
    let step = Augmentation::Noise {
        snr_db: Draw::Uniform {
            min: 5.0,
            max: 20.0,
        },
        color: NoiseColor::White,
    };
    let mut aug = augmenter(vec![step]);
    let snrs: Vec<f64> = (0..20)
        .map(|s| measured_snr(&x, &aug.apply(&x, s, &[]).expect("apply")))
        .collect();
    assert!(snrs.iter().all(|s| (4.99..=20.01).contains(s)), "{snrs:?}");
    let spread = snrs.iter().cloned().fold(f64::MIN, f64::max)
        - snrs.iter().cloned().fold(f64::MAX, f64::min);
    assert!(spread > 5.0, "draws not spread: {snrs:?}");
}

/// Mean power of `x` between `lo` and `hi` Hz (periodogram).
fn band_power(x: &[f32], lo: f64, hi: f64) -> f64 {
    let n = x.len();
    let mut buf: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let mut spec = fft.make_output_vec();
    fft.process(&mut buf, &mut spec).expect("fft");
    let bin = f64::from(SR) / n as f64;
    let ks = (lo / bin) as usize..(hi / bin) as usize;
    let len = ks.len() as f64;
    ks.map(|k| spec[k].norm_sqr()).sum::<f64>() / len
}

#[test]
fn pink_noise_falls_3_db_per_octave_and_white_is_flat() {
    let x = vec![0.0f32; 1 << 16];
    let silent_then = |color| {
        // noise alone: add to a constant-power carrier, subtract it
        let carrier = sine(5.0, 65536.0 / 16000.0, 0.5);
        let y = one(
            Augmentation::Noise {
                snr_db: Draw::Fixed(0.0),
                color,
            },
            &carrier,
            9,
            &[],
        );
        y.iter()
            .zip(&carrier)
            .map(|(a, b)| a - b)
            .collect::<Vec<f32>>()
    };
    let _ = x;
    let pink = silent_then(NoiseColor::Pink);
    let white = silent_then(NoiseColor::White);
    // three octaves: 250-500 Hz vs 2-4 kHz
    let slope_pink =
        10.0 * (band_power(&pink, 2000.0, 4000.0) / band_power(&pink, 250.0, 500.0)).log10() / 3.0;
    let slope_white = 10.0
        * (band_power(&white, 2000.0, 4000.0) / band_power(&white, 250.0, 500.0)).log10()
        / 3.0;
    println!("pink: {slope_pink:.2} dB/octave, white: {slope_white:.2} dB/octave");
    assert!((slope_pink + 3.0).abs() < 0.5, "pink slope {slope_pink}");
    assert!(slope_white.abs() < 0.5, "white slope {slope_white}");
}

/// RT60 from the Schroeder energy decay curve of `h`: least-squares line through the points
/// between -5 dB and -5 - `range_db`, extrapolated to -60 dB (T20: range 20, T30: range 30).
fn rt60_schroeder(h: &[f32], range_db: f64) -> f64 {
    let mut edc = vec![0.0f64; h.len()];
    let mut acc = 0.0;
    for i in (0..h.len()).rev() {
        acc += f64::from(h[i]).powi(2);
        edc[i] = acc;
    }
    let total = edc[0];
    let (mut sx, mut sy, mut sxx, mut sxy, mut n) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (i, &e) in edc.iter().enumerate() {
        let db = 10.0 * (e / total).log10();
        if db <= -5.0 && db >= -5.0 - range_db {
            let t = i as f64 / f64::from(SR);
            sx += t;
            sy += db;
            sxx += t * t;
            sxy += t * db;
            n += 1.0;
        }
    }
    let slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    -60.0 / slope
}

#[test]
fn reverb_impulse_response_has_the_asked_rt60() {
    for rt60 in [0.1, 0.3, 0.5, 1.0, 2.0] {
        for (seed, drr) in [(1u64, 0.0), (2, -10.0), (3, 10.0)] {
            let h = reverb_impulse_response(rt60, drr, SR, seed).expect("ir");
            let energy: f64 = h.iter().map(|&v| f64::from(v).powi(2)).sum();
            let (t20, t30) = (rt60_schroeder(&h, 20.0), rt60_schroeder(&h, 30.0));
            println!(
                "rt60 {rt60} s, drr {drr} dB, seed {seed}: T20 {t20:.4} s ({:+.2} %), T30 {t30:.4} s ({:+.2} %)",
                100.0 * (t20 / rt60 - 1.0),
                100.0 * (t30 / rt60 - 1.0)
            );
            assert!((t20 / rt60 - 1.0).abs() <= 0.1, "T20 {t20}");
            assert!((t30 / rt60 - 1.0).abs() <= 0.1, "T30 {t30}");
            assert!((energy - 1.0).abs() < 1e-4, "energy {energy}");
            let direct = f64::from(h[0]).powi(2);
            let measured_drr = 10.0 * (direct / (energy - direct)).log10();
            assert!((measured_drr - drr).abs() < 0.01, "drr {measured_drr}");
        }
    }
}

#[test]
fn reverb_of_an_impulse_through_the_augmenter_has_the_asked_rt60() {
    // the convolution path: an impulse followed by silence comes out as the impulse response
    let mut x = vec![0.0f32; 2 * SR as usize];
    x[0] = 0.5;
    for rt60 in [0.25, 0.6, 1.2] {
        let y = one(
            Augmentation::Reverb {
                rt60_s: Draw::Fixed(rt60),
                drr_db: Draw::Fixed(0.0),
            },
            &x,
            5,
            &[],
        );
        assert_eq!(y.len(), x.len());
        let t30 = rt60_schroeder(&y, 30.0);
        println!("reverb of an impulse, asked {rt60} s: T30 {t30:.4} s");
        assert!((t30 / rt60 - 1.0).abs() <= 0.1, "T30 {t30}");
    }
}

#[test]
fn gain_scales_and_overflow_policies_bound_the_output() {
    let x = sine(220.0, 0.5, 0.5);
    let y = one(
        Augmentation::Gain {
            db: Draw::Fixed(-6.0),
        },
        &x,
        1,
        &[],
    );
    let db = 10.0 * (power(&y) / power(&x)).log10();
    assert!((db + 6.0).abs() < 1e-3, "gain {db} dB");
    // +20 dB on a 0.5 peak: normalised to peak 1 with the waveform's shape kept
    let y = one(
        Augmentation::Gain {
            db: Draw::Fixed(20.0),
        },
        &x,
        1,
        &[],
    );
    let peak = y.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(peak <= 1.0 && peak > 0.999, "peak {peak}");
    let xp = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!(y.iter().zip(&x).all(|(a, b)| (a - b / xp).abs() < 1e-5));
    // clip: the same gain saturates
    let mut aug = AugmentConfig {
        steps: vec![Augmentation::Gain {
            db: Draw::Fixed(20.0),
        }],
        overflow: Overflow::Clip,
        ..AugmentConfig::default()
    }
    .check()
    .expect("valid")
    .augmenter(SR)
    .expect("augmenter");
    let y = aug.apply(&x, 1, &[]).expect("apply");
    assert!(y.iter().all(|v| v.abs() <= 1.0));
    let clipped = y.iter().filter(|v| v.abs() == 1.0).count();
    assert!(clipped > y.len() / 2, "clipped {clipped} of {}", y.len());
}

#[test]
fn time_shift_moves_samples_within_the_range() {
    let x: Vec<f32> = (0..1600)
        .map(|i| (i as f32 * 0.37).sin() * 0.5 + 0.0001 * i as f32)
        .collect();
    for fill in [ShiftFill::Zeros, ShiftFill::Roll] {
        let mut shifts = Vec::new();
        for seed in 0..20 {
            let y = one(Augmentation::TimeShift { max_s: 0.01, fill }, &x, seed, &[]);
            assert_eq!(y.len(), x.len());
            let s = (-160i64..=160)
                .find(|&s| {
                    (0..x.len()).all(|n| {
                        let src = n as i64 - s;
                        let expect = if (0..x.len() as i64).contains(&src) {
                            x[src as usize]
                        } else if fill == ShiftFill::Roll {
                            x[src.rem_euclid(x.len() as i64) as usize]
                        } else {
                            0.0
                        };
                        y[n] == expect
                    })
                })
                .expect("output is a shift of at most 0.01 s");
            shifts.push(s);
        }
        assert!(
            shifts.iter().any(|&s| s < 0) && shifts.iter().any(|&s| s > 0),
            "{shifts:?}"
        );
    }
}

fn full_chain() -> Vec<Augmentation> {
    vec![
        Augmentation::Gain {
            db: Draw::Uniform {
                min: -6.0,
                max: 6.0,
            },
        },
        Augmentation::TimeShift {
            max_s: 0.1,
            fill: ShiftFill::Zeros,
        },
        Augmentation::PitchShift {
            semitones: Draw::OneOf(vec![-2.0, -1.0, 1.0, 2.0]),
        },
        Augmentation::TimeStretch {
            rate: Draw::Uniform { min: 0.9, max: 1.1 },
        },
        Augmentation::Speed {
            factor: Draw::OneOf(vec![0.9, 1.0, 1.1]),
        },
        Augmentation::Reverb {
            rt60_s: Draw::Uniform { min: 0.2, max: 0.8 },
            drr_db: Draw::Fixed(0.0),
        },
        Augmentation::Noise {
            snr_db: Draw::Uniform {
                min: 5.0,
                max: 20.0,
            },
            color: NoiseColor::Pink,
        },
        Augmentation::Babble {
            snr_db: Draw::Fixed(15.0),
            talkers: 3,
        },
    ]
}

#[test]
fn same_seed_same_bits_different_seeds_differ() {
    let x = sine(180.0, 1.5, 0.4);
    let o = sine(260.0, 0.9, 0.3);
    let others: Vec<&[f32]> = vec![&o];
    let mut a = augmenter(full_chain());
    let first = a.apply(&x, 42, &others).expect("apply");
    // the same augmenter again (after another seed), and a fresh one
    let _ = a.apply(&x, 7, &others).expect("apply");
    let again = a.apply(&x, 42, &others).expect("apply");
    let fresh = augmenter(full_chain())
        .apply(&x, 42, &others)
        .expect("apply");
    let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<u32>>();
    assert_eq!(bits(&first), bits(&again));
    assert_eq!(bits(&first), bits(&fresh));
    let other = a.apply(&x, 43, &others).expect("apply");
    assert_ne!(bits(&first), bits(&other));
    assert!(first.iter().all(|v| v.is_finite() && v.abs() <= 1.0));
    // one_of picks different steps for different seeds
    let mut pick = AugmentConfig {
        steps: full_chain(),
        select: Select::OneOf,
        ..AugmentConfig::default()
    }
    .check()
    .expect("valid")
    .augmenter(SR)
    .expect("augmenter");
    let lens: std::collections::BTreeSet<usize> = (0..40)
        .map(|s| pick.apply(&x, s, &others).expect("apply").len())
        .collect();
    assert!(
        lens.len() >= 3,
        "one_of always picks the same kind: lengths {lens:?}"
    );
}

#[test]
fn bad_parameters_are_typed_errors() {
    let cases: Vec<(Augmentation, &str)> = vec![
        (
            Augmentation::Noise {
                snr_db: Draw::Fixed(f64::NAN),
                color: NoiseColor::White,
            },
            "noise.snr_db",
        ),
        (
            Augmentation::Babble {
                snr_db: Draw::Fixed(10.0),
                talkers: 0,
            },
            "babble.talkers",
        ),
        (
            Augmentation::Gain {
                db: Draw::Fixed(80.0),
            },
            "gain.db",
        ),
        (
            Augmentation::TimeShift {
                max_s: -1.0,
                fill: ShiftFill::Zeros,
            },
            "time_shift.max_s",
        ),
        (
            Augmentation::PitchShift {
                semitones: Draw::OneOf(vec![]),
            },
            "pitch_shift.semitones",
        ),
        (
            Augmentation::PitchShift {
                semitones: Draw::OneOf(vec![1.0, 24.0]),
            },
            "pitch_shift.semitones",
        ),
        (
            Augmentation::TimeStretch {
                rate: Draw::Uniform { min: 1.2, max: 0.9 },
            },
            "time_stretch.rate",
        ),
        (
            Augmentation::TimeStretch {
                rate: Draw::Fixed(0.0),
            },
            "time_stretch.rate",
        ),
        (
            Augmentation::Speed {
                factor: Draw::Fixed(3.0),
            },
            "speed.factor",
        ),
        (
            Augmentation::Reverb {
                rt60_s: Draw::Fixed(0.0),
                drr_db: Draw::Fixed(0.0),
            },
            "reverb.rt60_s",
        ),
        (
            Augmentation::Reverb {
                rt60_s: Draw::Fixed(0.5),
                drr_db: Draw::Fixed(f64::INFINITY),
            },
            "reverb.drr_db",
        ),
    ];
    for (step, expected) in cases {
        let err = AugmentConfig {
            steps: vec![step.clone()],
            ..AugmentConfig::default()
        }
        .check()
        .expect_err("must be rejected");
        match err {
            Error::Param { name, .. } => assert_eq!(name, expected, "{step:?}"),
            other => panic!("{step:?}: unexpected error {other}"),
        }
    }
    let empty = AugmentConfig::default().check().expect_err("no steps");
    assert!(
        matches!(empty, Error::Param { name: "steps", .. }),
        "{empty}"
    );
    let set = AugmentConfig {
        steps: vec![Augmentation::Gain {
            db: Draw::Fixed(0.0),
        }],
        ..AugmentConfig::default()
    }
    .check()
    .expect("valid");
    assert!(matches!(
        set.augmenter(100),
        Err(Error::Param {
            name: "sample_rate_hz",
            ..
        })
    ));
    assert!(matches!(
        reverb_impulse_response(9.0, 0.0, SR, 1),
        Err(Error::Param {
            name: "reverb.rt60_s",
            ..
        })
    ));
}

#[test]
fn config_reads_the_forms_of_the_issue() {
    // the TOML of the issue (`{kind = "noise", snr_db = 10, color = "pink"}`, ...) in its JSON
    // form: integers where floats are expected, sets, ranges and defaults
    let text = r#"{
        "select": "all",
        "overflow": "clip",
        "steps": [
          {"kind": "noise", "snr_db": 10, "color": "pink"},
          {"kind": "noise", "snr_db": {"min": 5, "max": 20}},
          {"kind": "babble", "snr_db": 15, "talkers": 3},
          {"kind": "pitch_shift", "semitones": 2},
          {"kind": "pitch_shift", "semitones": [-2, -1, 1, 2]},
          {"kind": "time_stretch", "rate": 1.25},
          {"kind": "speed", "factor": 1.1},
          {"kind": "speed"},
          {"kind": "gain", "db": -6},
          {"kind": "time_shift", "max_s": 0.1},
          {"kind": "reverb", "rt60_s": 0.5}
        ]
    }"#;
    let cfg: AugmentConfig = serde_json::from_str(text).expect("parses");
    cfg.check().expect("valid");
    assert_eq!(cfg.overflow, Overflow::Clip);
    assert_eq!(
        cfg.steps[0],
        Augmentation::Noise {
            snr_db: Draw::Fixed(10.0),
            color: NoiseColor::Pink
        }
    );
    assert_eq!(
        cfg.steps[1],
        Augmentation::Noise {
            snr_db: Draw::Uniform {
                min: 5.0,
                max: 20.0
            },
            color: NoiseColor::White
        }
    );
    assert_eq!(
        cfg.steps[7],
        Augmentation::Speed {
            factor: Draw::OneOf(vec![0.9, 1.0, 1.1])
        }
    );
    let json = serde_json::to_string(&cfg).expect("json");
    let back: AugmentConfig = serde_json::from_str(&json).expect("json back");
    assert_eq!(back, cfg);
    // unknown keys and kinds are rejected
    assert!(
        serde_json::from_str::<AugmentConfig>(r#"{"steps": [{"kind": "gain", "dbs": 3}]}"#)
            .is_err()
    );
    assert!(serde_json::from_str::<AugmentConfig>(r#"{"steps": [{"kind": "flanger"}]}"#).is_err());
}

#[test]
fn empty_short_and_non_finite_inputs_do_not_panic() {
    let o = sine(300.0, 0.2, 0.3);
    let others: Vec<&[f32]> = vec![&o];
    for step in full_chain() {
        let mut aug = augmenter(vec![step.clone()]);
        for len in [0usize, 1, 2, 10, 100, 1023, 1025] {
            let x: Vec<f32> = (0..len)
                .map(|i| ((i * 7919) % 13) as f32 / 13.0 - 0.5)
                .collect();
            let y = aug
                .apply(&x, 3, &others)
                .unwrap_or_else(|e| panic!("{step:?} len {len}: {e}"));
            assert!(
                y.iter().all(|v| v.is_finite() && v.abs() <= 1.0),
                "{step:?} len {len}"
            );
            if len == 0 {
                assert!(y.is_empty());
            }
        }
        let silent = vec![0.0f32; 3000];
        let y = aug.apply(&silent, 3, &others).expect("silence");
        assert!(y.iter().all(|v| v.is_finite()), "{step:?} on silence");
        let mut bad = sine(200.0, 0.1, 0.5);
        bad[17] = f32::NAN;
        assert!(matches!(
            aug.apply(&bad, 3, &others),
            Err(Error::NonFinite { index: 17, .. })
        ));
    }
    // babble without usable others, or with a non-finite one
    let mut babble = augmenter(vec![Augmentation::Babble {
        snr_db: Draw::Fixed(10.0),
        talkers: 2,
    }]);
    let x = sine(200.0, 0.2, 0.5);
    assert!(matches!(
        babble.apply(&x, 1, &[]),
        Err(Error::Param { name: "others", .. })
    ));
    let empty: &[f32] = &[];
    assert!(matches!(
        babble.apply(&x, 1, &[empty]),
        Err(Error::Param { name: "others", .. })
    ));
    let nan = [0.1f32, f32::INFINITY];
    assert!(matches!(
        babble.apply(&x, 1, &[&nan]),
        Err(Error::Param { name: "others", .. })
    ));
    // a silent signal gets no noise (no SNR can be reached), a silent noise source adds nothing
    let silent = vec![0.0f32; 1000];
    assert_eq!(babble.apply(&silent, 1, &[&o]).expect("ok"), silent);
    assert_eq!(babble.apply(&x, 1, &[&silent]).expect("ok"), x);
}

/// 12 harmonics (amplitude 1/k) of a 100 → 250 Hz glide with 3 Hz vibrato: a voiced-speech-like
/// test signal with a moving F0.
fn harmonic_glide(seconds: f64) -> Vec<f32> {
    let n = (seconds * f64::from(SR)) as usize;
    let mut phase = 0.0f64;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(SR);
            let f0 = 100.0 + 150.0 * (t / seconds) + 10.0 * (std::f64::consts::TAU * 3.0 * t).sin();
            phase += std::f64::consts::TAU * f0 / f64::from(SR);
            let v: f64 = (1..=12).map(|k| (k as f64 * phase).sin() / k as f64).sum();
            (0.2 * v) as f32
        })
        .collect()
}

/// The crate's YIN F0 track (Hz per 10 ms frame, 60..500 Hz).
fn yin_track(x: &[f32]) -> Vec<f64> {
    let cfg = ser_dsp::DescriptorConfig {
        descriptors: vec![ser_dsp::Descriptor::Yin(ser_dsp::PitchConfig {
            fmin_hz: 60.0,
            fmax_hz: 500.0,
            ..ser_dsp::PitchConfig::default()
        })],
        ..ser_dsp::DescriptorConfig::default()
    };
    let mut ex = cfg
        .check()
        .expect("valid")
        .extractor(SR)
        .expect("extractor");
    let lld = ex.compute(x).expect("yin");
    lld.values.column(0).iter().map(|&v| f64::from(v)).collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn pitch_shift_and_stretch_on_a_harmonic_glide_measured_by_yin() {
    let x = harmonic_glide(2.0);
    let f_in = yin_track(&x);
    // pitch shift +2 st: frame by frame (duration kept, frames aligned), middle frames
    let y = one(
        Augmentation::PitchShift {
            semitones: Draw::Fixed(2.0),
        },
        &x,
        1,
        &[],
    );
    let f_out = yin_track(&y);
    assert_eq!(f_in.len(), f_out.len());
    let k = f_in.len();
    let st: Vec<f64> = (10..k - 10)
        .map(|t| 12.0 * (f_out[t] / f_in[t]).log2())
        .collect();
    let med = median(st.clone());
    let within = st.iter().filter(|s| (*s - 2.0).abs() <= 0.1).count() as f64 / st.len() as f64;
    println!(
        "harmonic glide, pitch shift +2 st: YIN median {med:+.4} st, {:.1} % of frames within ±0.1 st",
        100.0 * within
    );
    assert!((med - 2.0).abs() <= 0.1, "median shift {med}");
    assert!(within >= 0.9, "only {within} of frames within 0.1 st");
    // time stretch 1.25: a uniform time scaling keeps the F0 distribution; compare deciles
    let y = one(
        Augmentation::TimeStretch {
            rate: Draw::Fixed(1.25),
        },
        &x,
        1,
        &[],
    );
    let f_str = yin_track(&y);
    let decile = |v: &[f64], q: f64| {
        let mut s: Vec<f64> = v[10..v.len() - 10].to_vec();
        s.sort_by(f64::total_cmp);
        s[((s.len() - 1) as f64 * q) as usize]
    };
    for q in [0.1, 0.5, 0.9] {
        let (a, b) = (decile(&f_in, q), decile(&f_str, q));
        println!(
            "harmonic glide, stretch 1.25: F0 quantile {q}: {a:.2} -> {b:.2} Hz ({:+.3} %)",
            100.0 * (b / a - 1.0)
        );
        assert!((b / a - 1.0).abs() <= 0.01, "quantile {q}: {a} -> {b}");
    }
}

#[test]
fn augmenter_and_config_can_move_between_threads() {
    fn send<T: Send>() {}
    fn sync<T: Send + Sync>() {}
    send::<Augmenter>();
    sync::<ser_dsp::AugmentSet>();
    // one augmenter per thread, as a parallel fold would use it: same bits as on this thread
    let x = sine(200.0, 0.5, 0.4);
    let expected = augmenter(full_chain()).apply(&x, 11, &[&x]).expect("apply");
    let got = std::thread::spawn(move || {
        let x2 = sine(200.0, 0.5, 0.4);
        augmenter(full_chain())
            .apply(&x2, 11, &[&x2])
            .expect("apply")
    })
    .join()
    .expect("thread");
    assert_eq!(expected, got);
}
