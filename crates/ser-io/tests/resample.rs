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

/// The streaming resampler's output for `x` pushed in pieces of the given lengths (cycled).
fn stream_in_pieces(x: &[f32], from_hz: u32, to_hz: u32, pieces: &[usize]) -> Vec<f32> {
    let mut r = ser_io::StreamResampler::new(from_hz, to_hz).expect("valid rates");
    let mut out = Vec::new();
    let mut at = 0;
    for &n in pieces.iter().cycle() {
        if at >= x.len() {
            break;
        }
        let end = (at + n).min(x.len());
        r.push(&x[at..end], &mut out).expect("push");
        at = end;
    }
    r.finish(&mut out).expect("finish");
    out
}

#[test]
fn stream_output_is_independent_of_piece_sizes() {
    // A chirp-like mix so that every sample matters.
    let x: Vec<f32> = (0..48_000 * 2)
        .map(|i| {
            let t = i as f64 / 48_000.0;
            (0.3 * (2.0 * std::f64::consts::PI * (200.0 + 900.0 * t) * t).sin()
                + 0.1 * (2.0 * std::f64::consts::PI * 3_100.0 * t).sin()) as f32
        })
        .collect();
    for (from, to) in [
        (48_000, 16_000),
        (44_100, 16_000),
        (16_000, 16_000),
        (8_000, 16_000),
    ] {
        let x = &x[..x.len() * from as usize / 48_000];
        let reference = stream_in_pieces(x, from, to, &[x.len()]);
        let expected_len = (x.len() as u64 * u64::from(to)).div_ceil(u64::from(from)) as usize;
        assert_eq!(
            reference.len(),
            expected_len,
            "{from} -> {to}: output length"
        );
        for pieces in [&[1usize][..], &[7, 1000, 3], &[160], &[4801, 17]] {
            let y = stream_in_pieces(x, from, to, pieces);
            assert!(
                y == reference,
                "{from} -> {to}: pieces {pieces:?} changed the output (lengths {} vs {})",
                y.len(),
                reference.len()
            );
        }
    }
}

#[test]
fn stream_output_is_aligned_with_the_whole_clip_resampler() {
    for from in [48_000, 44_100, 24_414] {
        let x = sine(1_000.0, from, 1.0);
        let whole = Resampler::new(from, 16_000)
            .expect("valid rates")
            .process(&x)
            .expect("resample");
        let streamed = stream_in_pieces(&x, from, 16_000, &[441]);
        assert_eq!(streamed.len(), whole.len(), "{from}: lengths");
        // Away from the edges both are the same 1 kHz sine, in phase (no delay left).
        let n = whole.len();
        let max_diff = whole[n / 5..n - n / 5]
            .iter()
            .zip(&streamed[n / 5..n - n / 5])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        println!("{from} Hz -> 16 kHz, streamed vs whole clip: max difference {max_diff:.2e}");
        assert!(
            max_diff < 1e-3,
            "{from}: streamed differs from whole by {max_diff}"
        );
        // The delay: one block plus the filter's. Common rates get short blocks; a rate pair
        // with a large ratio of coprime parts (24414 / 16000 = 12207 / 8000) needs blocks of
        // whole multiples of 12207 frames.
        let r = ser_io::StreamResampler::new(from, 16_000).expect("valid rates");
        let block_s = r.block_len_in() as f64 / f64::from(from);
        println!(
            "{from} Hz: blocks of {} frames, latency {:.1} ms",
            r.block_len_in(),
            r.latency_s() * 1e3
        );
        assert!(
            r.latency_s() > block_s && r.latency_s() < 2.0 * block_s,
            "{from}: latency {}",
            r.latency_s()
        );
        if from != 24_414 {
            assert!(r.latency_s() < 0.1, "{from}: latency {} s", r.latency_s());
        }
    }
}

#[test]
fn stream_rejects_bad_rates() {
    for (from, to) in [(0, 16_000), (16_000, 0), (1_000_000, 16_000)] {
        let e = ser_io::StreamResampler::new(from, to).expect_err("bad rate");
        assert!(e.to_string().contains("Hz"), "{e}");
    }
}
