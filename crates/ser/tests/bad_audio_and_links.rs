//! The workflows on folders with a symlink loop and a float WAV holding NaN/inf: the loop is
//! listed once as skipped (no repeated rows), the NaN file is skipped with its count, by
//! `prepare` and by `predict` alike.
#![cfg(unix)]

use std::collections::BTreeMap;
use std::path::Path;

use ser::Normalisation;
use ser::predict::{PredictInputs, audio_files, predict};
use ser::prepare::{PrepareRequest, prepare};
use ser::train::{TableSource, TrainConfig, model_spec, train};
use ser_features::NoProgress;

/// A 32-bit IEEE float WAV (format tag 3) of a quiet tone with one NaN and one +inf.
fn nan_wav(path: &Path) {
    let x: Vec<f32> = (0..16_000)
        .map(|i| match i {
            1_000 => f32::NAN,
            2_000 => f32::INFINITY,
            _ => 0.2 * (i as f32 * 0.06).sin(),
        })
        .collect();
    let data_len = (x.len() * 4) as u32;
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&3u16.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&16_000u32.to_le_bytes());
    b.extend_from_slice(&64_000u32.to_le_bytes());
    b.extend_from_slice(&4u16.to_le_bytes());
    b.extend_from_slice(&32u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for s in &x {
        b.extend_from_slice(&s.to_le_bytes());
    }
    std::fs::write(path, b).expect("write NaN wav");
}

#[test]
fn loops_and_nan_audio_are_skipped_with_reasons() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let custom = tmp.path().join("custom");
    let cfg = ser_io::demo::DemoConfig {
        n_speakers: 4,
        utterances_per_emotion: 2,
        ..Default::default()
    };
    let files = ser_io::demo::write_demo_corpus(&custom, &cfg).expect("demo corpus");
    let nan_dir = custom.join("nan_speaker");
    std::fs::create_dir_all(&nan_dir).expect("mkdir");
    let nan = nan_dir.join("take1_happy.wav");
    nan_wav(&nan);
    std::os::unix::fs::symlink(".", custom.join("loopdir")).expect("symlink loopdir -> .");

    let features = tmp.path().join("features");
    let summary = prepare(
        &PrepareRequest {
            datasets: tmp.path().to_path_buf(),
            corpora: vec!["custom".into()],
            feature_set: "default".into(),
            out: features.clone(),
            jobs: 1,
            csv: false,
        },
        &NoProgress,
    )
    .expect("prepare");
    let c = &summary.corpora[0];
    assert_eq!(c.rows, files.len(), "{summary}");
    let reasons: BTreeMap<String, &str> = c
        .skipped
        .iter()
        .map(|s| (s.path.clone(), s.reason.as_str()))
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:#?}");
    let r = reasons[&nan.display().to_string()];
    assert!(r.contains("2 of 16000 samples are NaN or infinite"), "{r}");
    let r = reasons[&custom.join("loopdir").display().to_string()];
    assert!(r.starts_with("symlink loop"), "{r}");

    let (listed, skipped) = audio_files(std::slice::from_ref(&custom));
    assert_eq!(listed.len(), files.len() + 1, "{listed:#?}");
    assert_eq!(skipped.len(), 1, "{skipped:#?}");

    let pairs: Vec<String> = Vec::new();
    let settings = TrainConfig {
        model: Some(model_spec("knn", None, &pairs).expect("spec")),
        normalisation: Some(Normalisation::Training),
        ..Default::default()
    }
    .settings()
    .expect("settings");
    let source = TableSource {
        features,
        corpora: vec!["custom".into()],
        feature_set: None,
    };
    let t = train(&source, &settings, BTreeMap::new()).expect("train");
    let p = predict(
        &t.model,
        &PredictInputs {
            audio: vec![custom.clone()],
            ..Default::default()
        },
        &NoProgress,
    )
    .expect("predict carries on");
    assert_eq!(p.rows.len(), files.len());
    let r = p
        .skipped
        .iter()
        .find(|s| s.path == nan)
        .map(|s| s.reason.as_str())
        .unwrap_or_else(|| panic!("NaN file not skipped: {:#?}", p.skipped));
    assert!(r.contains("NaN or infinite"), "{r}");
    assert_eq!(p.skipped.len(), 2, "{:#?}", p.skipped);
}
