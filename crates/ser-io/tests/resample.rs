//! Band-limited resampling: passband level, stopband rejection (no aliasing), pass-through.

use ser_io::Resampler;

fn sine(freq_hz: f64, rate_hz: u32, seconds: f64) -> Vec<f32> {
    let n = (seconds * f64::from(rate_hz)) as usize;
    (0..n)
        .map(|i| {
            (0.5 * (2.0 * std::f64::consts::PI * freq_hz * i as f64 / f64::from(rate_hz)).sin())
                as f32
        })
        .collect()
}

/// RMS over the middle of the signal (edges hold filter transients).
fn rms_middle(x: &[f32]) -> f64 {
    let start = x.len() / 5;
    let end = x.len() - x.len() / 5;
    let s = &x[start..end];
    (s.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / s.len() as f64).sqrt()
}

/// Output level relative to input level, in dB.
fn gain_db(freq_hz: f64, from_hz: u32, to_hz: u32) -> f64 {
    let x = sine(freq_hz, from_hz, 1.0);
    let mut r = Resampler::new(from_hz, to_hz).expect("valid rates");
    let y = r.process(&x).expect("resampling succeeds");
    let expected_len = (x.len() as f64 * f64::from(to_hz) / f64::from(from_hz)).ceil() as usize;
    assert_eq!(y.len(), expected_len, "{from_hz} -> {to_hz}: output length");
    20.0 * (rms_middle(&y) / rms_middle(&x)).log10()
}

#[test]
fn passband_7khz_within_half_db() {
    for from in [48_000, 44_100, 24_414] {
        let g = gain_db(7_000.0, from, 16_000);
        println!("7 kHz at {from} Hz -> 16 kHz: {g:.3} dB");
        assert!(
            g.abs() <= 0.5,
            "7 kHz at {from} Hz: gain {g:.3} dB, expected within ±0.5 dB"
        );
    }
}

#[test]
fn stopband_10khz_at_least_60db_down() {
    for from in [48_000, 44_100, 24_414] {
        let g = gain_db(10_000.0, from, 16_000);
        println!("10 kHz at {from} Hz -> 16 kHz: {g:.1} dB");
        assert!(
            g <= -60.0,
            "10 kHz at {from} Hz: {g:.1} dB, expected <= -60 dB (aliasing)"
        );
    }
}

#[test]
fn same_rate_passes_unchanged() {
    let x = sine(1_000.0, 16_000, 0.3);
    let mut r = Resampler::new(16_000, 16_000).expect("valid rates");
    assert_eq!(r.process(&x).expect("pass-through"), x);
    assert_eq!(
        ser_io::resample(&x, 16_000, 16_000).expect("pass-through"),
        x
    );
}

#[test]
fn low_tone_keeps_waveform_alignment() {
    // A 440 Hz tone resampled 48k -> 16k must match the same tone generated at 16 kHz
    // (the filter delay is removed, the phase is kept).
    for from in [48_000, 44_100, 24_414, 8_000] {
        let x = sine(440.0, from, 0.5);
        let y = ser_io::resample(&x, from, 16_000).expect("resampling succeeds");
        let reference = sine(440.0, 16_000, 0.5);
        let mid = y.len() / 4..y.len() * 3 / 4;
        let max_err = mid
            .map(|i| (y[i] - reference[i]).abs())
            .fold(0.0f32, f32::max);
        assert!(max_err < 1e-3, "{from} Hz: max deviation {max_err}");
    }
}

#[test]
fn reuse_gives_identical_results() {
    let x = sine(3_000.0, 44_100, 0.2);
    let mut r = Resampler::new(44_100, 16_000).expect("valid rates");
    let a = r.process(&x).expect("first");
    let b = r.process(&x).expect("second");
    assert_eq!(a, b);
    assert!(r.process(&[]).expect("empty").is_empty());
}

#[test]
fn invalid_rates_are_errors() {
    assert!(Resampler::new(0, 16_000).is_err());
    assert!(Resampler::new(16_000, 0).is_err());
    let e = Resampler::new(48_000, 10_000_000).expect_err("too high");
    assert!(e.to_string().contains("to_hz"), "{e}");
}
