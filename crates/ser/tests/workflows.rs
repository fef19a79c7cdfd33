//! The workflows as a front-end calls them, on the synthetic demo corpus: prepare → train →
//! save → load → predict (audio and tables), the model file's typed feature-set field and the
//! older notes-based layout, and the errors a user meets first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ser::predict::{PredictInputs, predict};
use ser::prepare::{PrepareRequest, prepare};
use ser::train::{TableSource, TrainConfig, model_spec, train};
use ser::{Error, ModelFile, Normalisation};
use ser_features::NoProgress;
use ser_models::ModelSpec;

/// Writes a 4-speaker demo corpus under `dir/custom` and prepares its `default` table.
fn demo_tables(dir: &Path) -> (PathBuf, Vec<PathBuf>) {
    let cfg = ser_io::demo::DemoConfig {
        n_speakers: 4,
        utterances_per_emotion: 2,
        ..Default::default()
    };
    let files = ser_io::demo::write_demo_corpus(&dir.join("custom"), &cfg).expect("demo corpus");
    let features = dir.join("features");
    let summary = prepare(
        &PrepareRequest {
            datasets: dir.to_path_buf(),
            corpora: vec!["custom".into()],
            feature_set: "default".into(),
            out: features.clone(),
            jobs: 1,
            csv: false,
        },
        &NoProgress,
    )
    .expect("prepare");
    assert_eq!(summary.corpora.len(), 1, "{summary}");
    (features, files)
}

fn settings(kind: &str, pairs: &[&str], normalisation: Normalisation) -> ser::train::TrainSettings {
    let pairs: Vec<String> = pairs.iter().map(|s| s.to_string()).collect();
    TrainConfig {
        model: Some(model_spec(kind, None, &pairs).expect("spec")),
        normalisation: Some(normalisation),
        ..Default::default()
    }
    .settings()
    .expect("settings")
}

#[test]
fn train_save_load_predict_audio_and_tables_agree() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (features, files) = demo_tables(tmp.path());
    let source = TableSource {
        features: features.clone(),
        corpora: vec!["custom".into()],
        feature_set: None,
    };
    for normalisation in [Normalisation::Training, Normalisation::PerSpeaker] {
        let s = settings("logistic_regression", &["c=0.1"], normalisation);
        let notes = BTreeMap::from([("command".to_string(), "test".to_string())]);
        let t = train(&source, &s, notes).expect("train");
        assert!(t.warnings.is_empty(), "{:?}", t.warnings);
        assert_eq!((t.n_rows, t.speakers.len()), (files.len(), 4));
        assert!(t.train_uar > 0.5, "resubstitution UAR {}", t.train_uar);
        let m = &t.model;
        assert!(
            m.feature_set_config.is_some(),
            "typed feature-set field filled"
        );
        assert_eq!(m.feature_config_hash.len(), 16, "{}", m.feature_config_hash);
        assert_eq!(
            m.pipeline.per_speaker,
            normalisation == Normalisation::PerSpeaker
        );
        assert_eq!(
            m.pipeline.summary.notes.get("command").map(String::as_str),
            Some("test")
        );

        let path = tmp.path().join("model.json");
        m.save(&path).expect("save");
        let loaded = ModelFile::load(&path).expect("load");
        assert_eq!(&loaded, m, "save → load is lossless");
        // ser-models alone still reads the file as a pipeline.
        let bare = ser_models::Pipeline::load(&path).expect("pipeline load");
        assert_eq!(bare, m.pipeline);

        let table = features.join("custom.default.parquet");
        let by_table = predict(
            &loaded,
            &PredictInputs {
                tables: vec![table],
                ..Default::default()
            },
            &NoProgress,
        )
        .expect("predict tables");
        // Audio: each demo speaker has a folder, which names the speaker for per-speaker models.
        let by_audio = predict(
            &loaded,
            &PredictInputs {
                audio: vec![tmp.path().join("custom")],
                ..Default::default()
            },
            &NoProgress,
        )
        .expect("predict audio");
        assert_eq!(by_audio.rows.len(), files.len());
        assert!(by_audio.skipped.is_empty(), "{:?}", by_audio.skipped);
        assert!(by_audio.accuracy().is_none(), "audio rows have no truth");
        let (correct, n) = by_table.accuracy().expect("table rows have truth");
        assert_eq!(n, files.len());
        assert!(correct * 2 > n, "{correct} of {n}");
        // The same files through audio and through the table give the same answer.
        let from_table: BTreeMap<&str, (&str, &Vec<f32>)> = by_table
            .rows
            .iter()
            .map(|r| {
                let p = r.probabilities.as_ref().expect("probabilities");
                (r.path.as_str(), (r.label.as_str(), p))
            })
            .collect();
        for r in &by_audio.rows {
            let path = Path::new(&r.path).canonicalize().expect("canonical");
            let key = from_table
                .keys()
                .find(|k| Path::new(k).canonicalize().ok().as_deref() == Some(path.as_path()))
                .expect("audio file is a table row");
            let (label, p) = from_table[key];
            assert_eq!(r.label, label, "{}", r.path);
            let q = r.probabilities.as_ref().expect("probabilities");
            for (a, b) in p.iter().zip(q) {
                assert!((a - b).abs() < 1e-5, "{}: {a} vs {b}", r.path);
            }
        }
        let csv_path = tmp.path().join("out/predictions.csv");
        by_table.write_csv(&csv_path).expect("csv");
        let text = std::fs::read_to_string(&csv_path).expect("read csv");
        let header = text.lines().next().expect("header");
        let mut want = vec!["path".to_string(), "predicted".to_string()];
        want.extend(m.pipeline.labels.iter().map(|l| format!("p_{l}")));
        want.extend([
            "quality".to_string(),
            "speaker".to_string(),
            "true_label".to_string(),
        ]);
        assert_eq!(header, want.join(","));
        assert_eq!(text.lines().count(), files.len() + 1);
    }
}

#[test]
fn older_model_files_with_the_feature_set_in_notes_still_predict_from_audio() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (features, files) = demo_tables(tmp.path());
    let source = TableSource {
        features,
        corpora: Vec::new(),
        feature_set: Some("default".into()),
    };
    let t = train(
        &source,
        &settings("svm", &["c=10"], Normalisation::Training),
        BTreeMap::new(),
    )
    .expect("train");
    // The layout written before the typed field: the configuration as JSON text in the notes.
    let mut legacy = serde_json::to_value(&t.model.pipeline).expect("json");
    let config = serde_json::to_string(&t.model.feature_set_config).expect("config");
    legacy["summary"]["notes"]["feature_set_config"] = config.into();
    legacy["summary"]["notes"]["feature_config_hash"] = t.model.feature_config_hash.clone().into();
    let path = tmp.path().join("legacy.json");
    std::fs::write(&path, serde_json::to_vec(&legacy).expect("bytes")).expect("write");
    let loaded = ModelFile::load(&path).expect("legacy file loads");
    assert_eq!(loaded.feature_set_config, t.model.feature_set_config);
    assert_eq!(loaded.feature_config_hash, t.model.feature_config_hash);
    let inputs = PredictInputs {
        audio: vec![files[0].clone(), files[1].clone()],
        ..Default::default()
    };
    let a = predict(&loaded, &inputs, &NoProgress).expect("legacy predicts");
    let b = predict(&t.model, &inputs, &NoProgress).expect("new predicts");
    assert_eq!(a, b);
}

/// A kNN model on every table in `features`.
fn train_knn(features: &Path) -> ser::train::Trained {
    train(
        &TableSource {
            features: features.to_path_buf(),
            corpora: Vec::new(),
            feature_set: None,
        },
        &settings("knn", &[], Normalisation::Training),
        BTreeMap::new(),
    )
    .expect("train")
}

#[test]
fn bad_inputs_are_skipped_with_reasons_and_bad_requests_are_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (features, files) = demo_tables(tmp.path());
    let t = train_knn(&features);
    let junk = tmp.path().join("junk");
    std::fs::create_dir_all(&junk).expect("mkdir");
    std::fs::write(
        junk.join("broken.wav"),
        b"RIFF\x10\x00\x00\x00WAVEnot really",
    )
    .expect("write");
    std::fs::write(junk.join("notes.txt"), b"not audio").expect("write");
    let missing = tmp.path().join("no/such/file.wav");
    let p = predict(
        &t.model,
        &PredictInputs {
            audio: vec![files[0].clone(), junk.clone(), missing.clone()],
            ..Default::default()
        },
        &NoProgress,
    )
    .expect("a batch carries on");
    assert_eq!(p.rows.len(), 1);
    let reason = |name: &str| {
        p.skipped
            .iter()
            .find(|s| s.path.ends_with(name))
            .map(|s| s.reason.clone())
            .unwrap_or_else(|| panic!("{name} not listed in {:?}", p.skipped))
    };
    assert!(
        reason("broken.wav").contains("broken.wav"),
        "{}",
        reason("broken.wav")
    );
    assert!(reason("notes.txt").contains("not an audio file"));
    assert_eq!(reason("file.wav"), "no such file or folder");
    let skipped_csv = tmp.path().join("p.skipped.csv");
    p.write_skipped_csv(&skipped_csv).expect("skipped csv");
    assert_eq!(
        std::fs::read_to_string(&skipped_csv)
            .expect("read")
            .lines()
            .count(),
        4
    );

    let e = predict(&t.model, &PredictInputs::default(), &NoProgress).expect_err("nothing given");
    assert!(e.to_string().contains("nothing to predict"), "{e}");
    let e = ser::tables::table_files(&tmp.path().join("absent"), &[], "default")
        .expect_err("no folder");
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
    assert!(e.to_string().contains("cargo xtask prepare"), "{e}");
    let e = TrainConfig::default().settings().expect_err("no model");
    assert!(e.to_string().contains("logistic_regression"), "{e}");
}

#[test]
fn model_spec_overrides_defaults_and_checks_parameters() {
    let s = model_spec("svm", None, &["c=10".into(), "kernel=linear".into()]).expect("spec");
    let ModelSpec::Svm(p) = &s else {
        panic!("not an svm: {s:?}")
    };
    assert_eq!(p.c, 10.0);
    assert_eq!(p.kernel, ser_models::KernelKind::Linear);
    // Overrides land on a base of the same kind; another kind starts from its defaults.
    let again = model_spec("svm", Some(&s), &["c=2".into()]).expect("spec");
    let ModelSpec::Svm(q) = again else {
        panic!("not an svm")
    };
    assert_eq!((q.c, q.kernel), (2.0, ser_models::KernelKind::Linear));
    assert!(model_spec("svm", None, &["c=-1".into()]).is_err());
    assert!(model_spec("svm", None, &["nope=1".into()]).is_err());
    assert!(model_spec("svm", None, &["c".into()]).is_err());
    let m = model_spec("mlp", None, &["hidden-layers=[8,4]".into()]).expect("mlp");
    let ModelSpec::Mlp(p) = m else {
        panic!("not an mlp")
    };
    assert_eq!(p.hidden_layers, vec![8, 4]);
    let c = TrainConfig {
        seed: Some(1),
        ..Default::default()
    }
    .over(TrainConfig {
        seed: Some(2),
        min_utterances: Some(9),
        ..Default::default()
    });
    assert_eq!((c.seed, c.min_utterances), (Some(1), Some(9)));
}

/// A table whose columns have the model's names but another feature configuration (here a
/// different delta width) is refused, naming both hashes; two such tables are not concatenated.
#[test]
fn tables_of_another_feature_configuration_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (features, _) = demo_tables(tmp.path());
    let t = train_knn(&features);
    // The default set with a 5-frame delta window instead of its own: same names, other values.
    let mut config = ser_features::FeatureSetConfig::by_name("default").expect("default");
    let deltas = config.deltas.as_mut().expect("default has deltas");
    assert_ne!(deltas.width, 5);
    deltas.width = 5;
    let toml_path = tmp.path().join("default.toml");
    std::fs::write(&toml_path, toml::to_string(&config).expect("toml")).expect("write");
    let other = tmp.path().join("other");
    prepare(
        &PrepareRequest {
            datasets: tmp.path().to_path_buf(),
            corpora: vec!["custom".into()],
            feature_set: toml_path.display().to_string(),
            out: other.clone(),
            jobs: 1,
            csv: false,
        },
        &NoProgress,
    )
    .expect("prepare with another delta width");
    let table = other.join("custom.default.parquet");
    let own = features.join("custom.default.parquet");
    let a = ser_features::FeatureTable::read_parquet(&own).expect("read");
    let b = ser_features::FeatureTable::read_parquet(&table).expect("read");
    assert_eq!(a.feature_names(), b.feature_names(), "same column names");
    assert_ne!(a.config_hash(), b.config_hash());
    let e = predict(
        &t.model,
        &PredictInputs {
            tables: vec![table.clone()],
            ..Default::default()
        },
        &NoProgress,
    )
    .expect_err("another configuration");
    let msg = e.to_string();
    assert!(
        msg.contains(b.config_hash()) && msg.contains(&t.model.feature_config_hash),
        "{msg}"
    );
    let e = ser::tables::read_tables(&[own, table]).expect_err("mixed configurations");
    assert!(e.to_string().contains(b.config_hash()), "{e}");
}
