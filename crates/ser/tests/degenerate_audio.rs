//! Degenerate audio is never analysed silently: audio shorter than the minimum duration is
//! skipped with the reason; silent and clipped audio is flagged in the table's quality columns
//! and in every prediction resting on it.

use std::path::Path;

use ser::predict::{PredictInputs, predict};
use ser::prepare::{PrepareRequest, prepare};
use ser::train::model_spec;
use ser_features::{FeatureTable, NoProgress};

fn tone(n: usize, amp: f32) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let t = i as f32 / 16_000.0;
            amp * ((2.0 * std::f32::consts::PI * 180.0 * t).sin()
                + 0.3 * (2.0 * std::f32::consts::PI * 900.0 * t).sin())
        })
        .collect()
}

fn write(dir: &Path, name: &str, samples: &[f32]) -> std::path::PathBuf {
    let p = dir.join(name);
    ser_io::write_wav_pcm16(&p, samples, 16_000).expect("write wav");
    p
}

#[test]
fn short_silent_and_clipped_audio_is_skipped_or_flagged() {
    let tmp = tempfile::tempdir().expect("tmp");
    let spk = tmp.path().join("custom/s1");
    std::fs::create_dir_all(&spk).expect("mkdir");
    let one_sample = write(&spk, "one_angry.wav", &[0.3]);
    let ten_ms = write(&spk, "tenms_angry.wav", &tone(160, 0.4));
    let silent = write(&spk, "silence_sad.wav", &vec![0.0; 16_000]);
    let clipped = write(
        &spk,
        "loud_angry.wav",
        &tone(16_000, 8.0)
            .iter()
            .map(|s| s.clamp(-1.0, 1.0))
            .collect::<Vec<_>>(),
    );
    let clean = write(&spk, "clean_sad.wav", &tone(16_000, 0.3));

    let out = tmp.path().join("features");
    let summary = prepare(
        &PrepareRequest {
            datasets: tmp.path().to_path_buf(),
            corpora: vec!["custom".into()],
            feature_set: "default".into(),
            out: out.clone(),
            jobs: 1,
            csv: false,
        },
        &NoProgress,
    )
    .expect("prepare");
    let c = &summary.corpora[0];
    let reason = |p: &Path| {
        c.skipped
            .iter()
            .find(|s| s.path == p.to_string_lossy())
            .map(|s| s.reason.clone())
            .unwrap_or_else(|| panic!("{} not skipped: {:?}", p.display(), c.skipped))
    };
    for short in [&one_sample, &ten_ms] {
        let r = reason(short);
        assert!(r.contains("shorter than the 0.100 s minimum"), "{r}");
    }
    assert_eq!(c.rows, 3);
    let t = FeatureTable::read_parquet(&out.join("custom.default.parquet")).expect("table");
    let paths = t.strings("path").expect("paths");
    let flags = t.strings("quality").expect("quality");
    let flag_of = |p: &Path| {
        let i = paths
            .iter()
            .position(|x| *x == p.to_string_lossy())
            .expect("row");
        flags[i].clone()
    };
    assert_eq!(flag_of(&silent), "silent");
    assert_eq!(flag_of(&clipped), "clipped");
    assert_eq!(flag_of(&clean), "");
    let q = t.qualities().expect("qualities");
    assert!(q.iter().all(Option::is_some));

    // Predictions say which rest on such input, from audio and from the table.
    let demo_dir = tmp.path().join("demo");
    let cfg = ser_io::demo::DemoConfig {
        n_speakers: 3,
        utterances_per_emotion: 2,
        ..Default::default()
    };
    let model = ser::demo::DemoModel::build(
        &demo_dir,
        &cfg,
        model_spec("logistic_regression", None, &[]).expect("spec"),
    )
    .expect("demo model")
    .model;
    let p = predict(
        &model,
        &PredictInputs {
            audio: vec![spk.clone()],
            ..Default::default()
        },
        &NoProgress,
    )
    .expect("predict");
    assert_eq!(p.rows.len(), 3);
    assert_eq!(p.skipped.len(), 2, "the two short files: {:?}", p.skipped);
    assert_eq!(p.flagged(), 2);
    let csv = tmp.path().join("p.csv");
    p.write_csv(&csv).expect("csv");
    let text = std::fs::read_to_string(&csv).expect("read");
    let header: Vec<&str> = text.lines().next().expect("header").split(',').collect();
    let qcol = header
        .iter()
        .position(|h| *h == "quality")
        .expect("quality column");
    let mut seen: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(qcol).unwrap_or_default().to_string())
        .collect();
    seen.sort();
    assert_eq!(seen, ["", "clipped", "silent"]);
    // A shorter minimum lets the 10 ms file through, and says nothing else changed.
    let p = predict(
        &model,
        &PredictInputs {
            audio: vec![ten_ms.clone()],
            min_duration_s: Some(0.005),
            ..Default::default()
        },
        &NoProgress,
    )
    .expect("predict");
    assert_eq!(p.rows.len(), 1);
}
