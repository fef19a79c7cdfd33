//! Global statistics against `../shared/reference/global_statistics.json` (numpy / scipy).
//!
//! Two inputs: the `energy` column of `pyaudioanalysis_short_term.csv` (written with 9 significant
//! digits, so order statistics can differ from the full-precision reference by the rounding of that
//! one value), and the same energy track recomputed in f64 from `synth.wav` exactly as
//! pyAudioAnalysis 0.3.14 does — that one must match to 1e-9 relative for every statistic.

use std::path::PathBuf;

use ser_features::stats::{Statistic, summarise};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn reference() -> Vec<(Statistic, f64)> {
    let text = std::fs::read_to_string(fixture("global_statistics.json")).expect("fixture");
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    let values = json["values"].as_object().expect("values object");
    assert_eq!(values.len(), 10);
    values
        .iter()
        .map(|(k, v)| {
            (
                k.parse().expect("known statistic"),
                v.as_f64().expect("number"),
            )
        })
        .collect()
}

fn csv_energy() -> Vec<f64> {
    let text = std::fs::read_to_string(fixture("pyaudioanalysis_short_term.csv")).expect("fixture");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "energy")
        .expect("energy column");
    lines
        .map(|l| {
            l.split(',')
                .nth(col)
                .expect("field")
                .parse()
                .expect("number")
        })
        .collect()
}

/// pyAudioAnalysis 0.3.14 `feature_extraction(pcm, 16000, 800, 400)`: x / 2^15, DC removal,
/// scaling to max |x| = 1 (+1e-10), then energy = sum(frame^2) / 800 for every full 800-sample
/// frame with a 400-sample step.
fn recomputed_energy() -> Vec<f64> {
    let bytes = std::fs::read(fixture("synth.wav")).expect("fixture");
    // Canonical 44-byte header of a 16-bit mono PCM file written by soundfile.
    assert_eq!(&bytes[36..40], b"data");
    let pcm: Vec<f64> = bytes[44..]
        .chunks_exact(2)
        .map(|b| f64::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
        .collect();
    let mean = pcm.iter().sum::<f64>() / pcm.len() as f64;
    let centred: Vec<f64> = pcm.iter().map(|x| x - mean).collect();
    let peak = centred.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let signal: Vec<f64> = centred.iter().map(|x| x / (peak + 1e-10)).collect();
    let (window, step) = (800usize, 400usize);
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + window - 1 < signal.len() {
        let frame = &signal[pos..pos + window];
        out.push(frame.iter().map(|x| x * x).sum::<f64>() / window as f64);
        pos += step;
    }
    out
}

#[test]
fn recomputed_energy_matches_reference_to_1e9() {
    let x = recomputed_energy();
    let csv = csv_energy();
    assert_eq!(x.len(), csv.len());
    for (a, b) in x.iter().zip(&csv) {
        assert!((a - b).abs() <= 5e-9 * b.abs().max(1e-300), "{a} vs {b}");
    }
    let s = summarise(&x, 0.025);
    for (st, expected) in reference() {
        let got = s.get(st);
        let rel = (got - expected).abs() / expected.abs();
        assert!(
            rel <= 1e-9,
            "{st}: got {got:e}, expected {expected:e}, relative error {rel:e}"
        );
    }
}

#[test]
fn csv_energy_matches_reference() {
    let x = csv_energy();
    let s = summarise(&x, 0.025);
    for (st, expected) in reference() {
        let got = s.get(st);
        let rel = (got - expected).abs() / expected.abs();
        // Order statistics are single CSV values rounded to 9 significant digits
        // (relative rounding error <= 5e-9); moments average the rounding out.
        let tol = match st {
            Statistic::Mean | Statistic::Std | Statistic::Kurtosis | Statistic::Skewness => 1e-9,
            _ => 5e-9,
        };
        assert!(
            rel <= tol,
            "{st}: got {got:e}, expected {expected:e}, relative error {rel:e}"
        );
    }
}
