//! The train → save → load → predict round trip as `cargo xtask train` / `predict` run it, through
//! the library functions they call: the synthetic demo corpus (ser_io::demo) is written, features
//! are extracted with the `default` feature set (ser-features), a pipeline is fitted and saved
//! with the feature-set configuration in its notes, loaded back, and used to predict from the
//! feature rows and from audio re-extracted with the configuration read from the model file.

use std::path::{Path, PathBuf};

use ndarray::Array2;
use ser_features::{FeatureSet, FeatureSetConfig};
use ser_models::{
    ClassWeight, Error, FitOptions, LogisticParams, ModelSpec, Pipeline, PipelineData,
    RandomForestParams, ScalerSpec,
};

/// Speaker and emotion from the demo layout `<speaker>/<speaker>_<nn>_<emotion>.wav`.
fn speaker_emotion(p: &Path) -> (String, String) {
    let stem = p
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("utf-8 file name");
    let emotion = stem.rsplit('_').next().expect("emotion").to_string();
    let speaker = p
        .parent()
        .and_then(|d| d.file_name())
        .and_then(|s| s.to_str())
        .expect("speaker folder")
        .to_string();
    (speaker, emotion)
}

struct Data {
    files: Vec<PathBuf>,
    x: Array2<f32>,
    names: Vec<String>,
    y: Vec<usize>,
    labels: Vec<String>,
    speakers: Vec<String>,
}

fn demo_features(dir: &Path, set: &FeatureSet) -> Data {
    let cfg = ser_io::demo::DemoConfig {
        n_speakers: 4,
        utterances_per_emotion: 2,
        ..Default::default()
    };
    let files = ser_io::demo::write_demo_corpus(&dir.join("custom"), &cfg).expect("demo corpus");
    assert_eq!(files.len(), 4 * 2 * 5);
    let mut ex = set.extractor().expect("extractor");
    let names = ex.names().to_vec();
    let mut rows = Vec::new();
    let mut emotions = Vec::new();
    let mut speakers = Vec::new();
    for f in &files {
        let audio = ser_io::load(f, set.sample_rate_hz()).expect("demo audio loads");
        rows.extend(ex.extract(&audio).expect("features"));
        let (s, e) = speaker_emotion(f);
        speakers.push(s);
        emotions.push(e);
    }
    let mut labels = emotions.clone();
    labels.sort();
    labels.dedup();
    let y = emotions
        .iter()
        .map(|e| labels.binary_search(e).expect("label"))
        .collect();
    Data {
        x: Array2::from_shape_vec((files.len(), names.len()), rows).expect("matrix"),
        files,
        names,
        y,
        labels,
        speakers,
    }
}

#[test]
fn train_save_load_predict_round_trip() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let set = FeatureSet::by_name("default").expect("default set");
    let d = demo_features(tmp.path(), &set);
    let data = PipelineData {
        x: d.x.view(),
        y: &d.y,
        labels: &d.labels,
        feature_names: &d.names,
        feature_set: set.name(),
        speakers: Some(&d.speakers),
        corpora: None,
    };
    let opts = FitOptions {
        seed: 3,
        class_weight: ClassWeight::Balanced,
        groups: Some(d.speakers.clone()),
    };
    for (spec, per_speaker) in [
        (
            ModelSpec::LogisticRegression(LogisticParams::default()),
            false,
        ),
        (
            ModelSpec::RandomForest(RandomForestParams {
                n_estimators: 20,
                ..Default::default()
            }),
            true,
        ),
    ] {
        let mut p = Pipeline::fit(
            data,
            ScalerSpec::Standard,
            speaker_norm(per_speaker),
            5,
            &spec,
            &opts,
        )
        .expect("pipeline fits");
        // What `cargo xtask train` records so that `predict` can extract from audio.
        p.summary.notes.insert(
            "feature_set_config".into(),
            serde_json::to_string(set.config()).expect("config json"),
        );
        let before = p
            .predict(d.x.view(), &d.names, Some(&d.speakers))
            .expect("predict");
        // The demo corpus has real cues: training-set accuracy is well above chance (0.2).
        let acc = before
            .classes
            .iter()
            .zip(&d.y)
            .filter(|(a, b)| a == b)
            .count() as f64
            / d.y.len() as f64;
        assert!(acc > 0.6, "{} training accuracy {acc}", spec.kind());

        let path = tmp.path().join(format!("{}.json", spec.kind()));
        p.save(&path).expect("save");
        assert!(!path.with_extension("json.tmp").exists());
        let loaded = Pipeline::load(&path).expect("load");
        assert_eq!(loaded, p);
        let after = loaded
            .predict(d.x.view(), &d.names, Some(&d.speakers))
            .expect("predict after load");
        assert_eq!(after, before, "identical predictions after save/load");

        // `predict` from audio: the feature set comes from the model file.
        let cfg: FeatureSetConfig =
            serde_json::from_str(&loaded.summary.notes["feature_set_config"])
                .expect("config in model");
        let set2 = FeatureSet::from_config(cfg).expect("set from model");
        assert_eq!(set2.config_hash(), set.config_hash());
        let mut ex = set2.extractor().expect("extractor");
        let rows: Vec<f32> = d
            .files
            .iter()
            .flat_map(|f| {
                ex.extract(&ser_io::load(f, set2.sample_rate_hz()).expect("audio"))
                    .expect("features")
            })
            .collect();
        let x2 = Array2::from_shape_vec(d.x.dim(), rows).expect("matrix");
        assert_eq!(x2, d.x, "re-extraction is deterministic");
        let again = loaded
            .predict(x2.view(), ex.names(), Some(&d.speakers))
            .expect("predict from audio features");
        assert_eq!(again, before);

        // Mismatched feature names are refused: another set, and the same names reordered.
        let other = FeatureSet::by_name("librosa").expect("librosa set");
        let other_names = other.names(other.sample_rate_hz());
        let xo = Array2::<f32>::zeros((3, other_names.len()));
        let err = loaded
            .predict(xo.view(), &other_names, Some(&d.speakers[..3]))
            .expect_err("other feature set refused");
        assert!(matches!(err, Error::FeatureNames { .. }), "{err}");
        let mut swapped = d.names.clone();
        swapped.swap(0, 1);
        let err = loaded
            .predict(d.x.view(), &swapped, Some(&d.speakers))
            .expect_err("reordered names refused");
        assert!(err.to_string().contains("another order"), "{err}");

        if per_speaker {
            // A per-speaker model needs speaker ids and enough utterances per speaker.
            let err = loaded
                .predict(d.x.view(), &d.names, None)
                .expect_err("speakers required");
            assert!(matches!(err, Error::SpeakersRequired), "{err}");
            let err = loaded
                .predict(
                    d.x.slice_axis(ndarray::Axis(0), ndarray::Slice::from(..2)),
                    &d.names,
                    Some(&d.speakers[..2]),
                )
                .expect_err("two utterances are too few");
            assert!(matches!(err, Error::TooFewUtterances { .. }), "{err}");
        }
    }

    // A broken audio file is an error value (predict skips and lists it), never a panic.
    let bad = tmp.path().join("broken.wav");
    std::fs::write(&bad, b"RIFF\x10\x00\x00\x00WAVEjunkjunk").expect("write");
    assert!(ser_io::load(&bad, 16_000).is_err());
    let mut tampered: serde_json::Value = serde_json::from_slice(
        &std::fs::read(tmp.path().join("logistic_regression.json")).expect("read"),
    )
    .expect("json");
    tampered["format_version"] = serde_json::json!(99);
    let tpath = tmp.path().join("future.json");
    std::fs::write(&tpath, tampered.to_string()).expect("write");
    assert!(matches!(
        Pipeline::load(&tpath),
        Err(Error::FormatVersion { found: 99, .. })
    ));
}

fn speaker_norm(per_speaker: bool) -> ser_models::SpeakerNorm {
    if per_speaker {
        ser_models::SpeakerNorm::Standardise
    } else {
        ser_models::SpeakerNorm::None
    }
}
