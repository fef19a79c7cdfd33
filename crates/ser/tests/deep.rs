//! A deep model goes through the same workflows as a classical one: prepare a sequence feature
//! set, train a model file, save, load, predict audio files, predict samples (the server's path)
//! and stream. A tiny network on a tiny sequence set, so CI stays fast.
#![cfg(feature = "candle")]

use std::sync::Arc;

use ser::predict::{PredictInputs, Predictor, predict};
use ser::stream::{Recogniser, StreamConfig};
use ser_features::NoProgress;
use ser_models::{Architecture, DeepParams, ModelSpec, ScalerSpec};

/// 16 log-mel bands of 40 ms frames every 20 ms, 2 windows of 16 frames every 8: 2 × 16 × 16.
const TINY_SET: &str = r#"
name = "tinymel"
sample_rate_hz = 16000
[descriptors]
pre_emphasis = 0.0
[descriptors.frame]
frame = { ms = 40.0 }
hop = { ms = 20.0 }
window = "hann"
[[descriptors.descriptors]]
kind = "log_mel"
mel = { n_mels = 16 }
top_db = 80.0
[sequence]
window_frames = 16
hop_frames = 8
n_windows = 2
"#;

#[test]
fn a_deep_model_file_trains_predicts_and_streams() {
    let dir = tempfile::tempdir().expect("tmp");
    let wavs = ser_io::demo::write_demo_corpus(
        &dir.path().join("custom"),
        &ser_io::demo::DemoConfig {
            n_speakers: 3,
            utterances_per_emotion: 3,
            ..Default::default()
        },
    )
    .expect("demo corpus");
    let set_file = dir.path().join("tinymel.toml");
    std::fs::write(&set_file, TINY_SET).expect("set");
    let set = ser_features::FeatureSet::from_toml_file(&set_file).expect("tiny set");
    assert_eq!(set.sequence_shape(), Some([2, 16, 16]));
    let features = dir.path().join("features");
    ser::prepare::prepare(
        &ser::prepare::PrepareRequest {
            datasets: dir.path().to_path_buf(),
            corpora: vec!["custom".into()],
            feature_set: set_file.display().to_string(),
            out: features.clone(),
            jobs: 1,
            csv: false,
        },
        &NoProgress,
    )
    .expect("prepare");
    let spec = ModelSpec::Deep(DeepParams {
        architecture: Architecture::CnnAttention,
        input_shape: [2, 16, 16],
        channels: vec![4, 8],
        attention_dim: 8,
        max_epochs: 4,
        patience: 4,
        batch_size: 16,
        ..DeepParams::default()
    });
    let settings = ser::train::TrainConfig {
        model: Some(spec.clone()),
        scaler: Some(ScalerSpec::None),
        ..Default::default()
    }
    .settings()
    .expect("settings");
    let source = ser::train::TableSource {
        features: features.clone(),
        corpora: vec!["custom".into()],
        feature_set: Some(set_file.display().to_string()),
    };
    let trained = ser::train::train(&source, &settings, Default::default()).expect("train");
    let path = dir.path().join("deep.json");
    trained.model.save(&path).expect("save");
    let model = ser::ModelFile::load(&path).expect("load");
    assert_eq!(model, trained.model, "save → load gives the same model");

    let inputs = PredictInputs {
        audio: wavs[..4].to_vec(),
        ..Default::default()
    };
    let a = predict(&trained.model, &inputs, &NoProgress).expect("predict");
    let b = predict(&model, &inputs, &NoProgress).expect("predict loaded");
    assert_eq!(a.rows.len(), 4);
    for (x, y) in a.rows.iter().zip(&b.rows) {
        assert_eq!(x.label, y.label);
        assert_eq!(
            x.probabilities, y.probabilities,
            "bit-identical after save → load"
        );
    }

    // The server's path gives what `predict` gives.
    let predictor = Arc::new(Predictor::new(model).expect("predictor"));
    let audio = ser_io::load(&wavs[0], 16_000).expect("audio");
    let mut slot = None;
    let (label, proba) = predictor
        .predict_samples(&mut slot, &audio.samples, &wavs[0], "x")
        .expect("samples");
    assert_eq!(label, a.rows[0].label);
    assert_eq!(proba, a.rows[0].probabilities);

    // The streaming recogniser takes it unchanged.
    let mut stream: Vec<f32> = vec![0.0; 8000];
    for w in &wavs[..3] {
        stream.extend(ser_io::load(w, 16_000).expect("audio").samples);
        stream.extend(vec![0.0; 16_000]);
    }
    let mut r = Recogniser::new(predictor, &StreamConfig::default(), 16_000).expect("recogniser");
    let mut segments = Vec::new();
    for chunk in stream.chunks(1600) {
        segments.extend(r.push(chunk).expect("push"));
    }
    segments.extend(r.finish().expect("finish"));
    assert!(!segments.is_empty(), "the stream gave no segment");
    assert!(
        segments
            .iter()
            .all(|s| s.probabilities.len() == a.labels.len())
    );
}
