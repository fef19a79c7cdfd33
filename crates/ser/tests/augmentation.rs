//! Augmented tables as a user makes them: prepare a corpus with an `[augment]` plan, run it
//! again (nothing extracted), and run a grid search whose config has the same `[augment]`
//! section: every copy is attached to its source utterance and used in training folds only.

use std::path::Path;

use ser::Normalisation;
use ser::augment::{AugmentPlan, augmented_table_path, prepare_augmented_for, source_of};
use ser::evaluate::GridJob;
use ser::prepare::{PrepareRequest, prepare};
use ser::train::{TableSource, TrainConfig, TrainSettings, model_spec, train};
use ser_features::{FeatureTable, NoProgress};

const CONFIG: &str = r#"
name = "demo, augmented"
seed = 3
normalisation = ["training", "per_speaker"]
outer = { kind = "leave_one_speaker_out" }
inner = { kind = "group_k_fold", k = 2 }
bootstrap_resamples = 50

[[tables]]
corpus = "custom"
feature_set = "default"

[[models]]
kind = "logistic_regression"
grid = { c = [0.01, 0.1] }

[augment]
copies = 2
seed = 11
select = "one_of"
steps = [
  { kind = "noise", snr_db = { min = 10, max = 20 } },
  { kind = "pitch_shift", semitones = [-1, 1] },
  { kind = "speed", factor = [0.9, 1.1] },
  { kind = "reverb", rt60_s = 0.3 },
  { kind = "babble", snr_db = 15, talkers = 2 },
]
"#;

fn request(dir: &Path) -> PrepareRequest {
    PrepareRequest {
        datasets: dir.to_path_buf(),
        corpora: vec!["custom".into()],
        feature_set: "default".into(),
        out: dir.join("features"),
        jobs: 2,
        csv: false,
    }
}

#[test]
fn augmented_tables_are_cached_and_feed_training_folds_only() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = ser_io::demo::DemoConfig {
        n_speakers: 4,
        utterances_per_emotion: 2,
        ..Default::default()
    };
    let files = ser_io::demo::write_demo_corpus(&tmp.path().join("custom"), &cfg).expect("demo");
    let req = request(tmp.path());
    prepare(&req, &NoProgress).expect("prepare");
    let config = tmp.path().join("grid.toml");
    std::fs::write(&config, CONFIG).expect("config");
    let plan = AugmentPlan::from_toml_file(&config).expect("[augment] reads");
    assert_eq!(plan.copies, 2);

    let first = prepare_augmented_for(&req, &plan).expect("augment");
    assert_eq!(first.len(), 1);
    let c = &first[0];
    assert!(c.skipped.is_empty(), "{c}");
    assert_eq!(
        (c.rows, c.extracted, c.reused),
        (2 * files.len(), 2 * files.len(), 0)
    );
    // the copies' table: each copy names its source, which is a corpus file
    let table = FeatureTable::read_parquet(&c.table).expect("table");
    let corpus = FeatureTable::read_parquet(&req.out.join("custom.default.parquet")).expect("t");
    assert_eq!(
        c.table,
        augmented_table_path(
            &req.out.join("custom.default.parquet"),
            &plan.id(corpus.config_hash())
        )
    );
    let sources: Vec<String> = corpus.strings("path").expect("paths");
    for p in table.strings("path").expect("paths") {
        let src = source_of(&p).expect("a copy's path");
        assert!(sources.iter().any(|s| s == src), "{p}");
    }
    // augmented audio gives other features than the original
    let (x, xa) = (corpus.matrix().expect("x"), table.matrix().expect("xa"));
    assert!((0..x.nrows()).all(|r| (0..xa.nrows()).all(|c| x.row(r) != xa.row(c))));

    // a second run extracts nothing and gives the same table
    let second = prepare_augmented_for(&req, &plan).expect("augment again");
    assert_eq!(
        (second[0].extracted, second[0].reused),
        (0, 2 * files.len())
    );
    let again = FeatureTable::read_parquet(&c.table).expect("table");
    assert_eq!(again.matrix().expect("x"), xa);

    // another seed is another table
    let other = AugmentPlan {
        seed: 12,
        ..plan.clone()
    };
    assert_ne!(
        other.id(corpus.config_hash()),
        plan.id(corpus.config_hash())
    );

    // the grid search attaches the copies to their sources
    let job = GridJob::load(&config, Some(&req.out), Some(&tmp.path().join("grid"))).expect("load");
    let aug = job.data.augmented.as_ref().expect("copies attached");
    assert_eq!(aug.source.len(), 2 * files.len());
    for (c, &src) in aug.source.iter().enumerate() {
        let copy = table.strings("path").expect("paths")[c].clone();
        assert_eq!(source_of(&copy), Some(job.data.paths[src].as_str()));
    }
    let result = job.run(&|_, _| {}).expect("grid search");
    assert_eq!(result.outcome.augmented_rows, 2 * files.len());
    let report = std::fs::read_to_string(&result.written.report_md).expect("report.md");
    assert!(report.contains(&format!("{} augmented copies", 2 * files.len())));

    // `train` with the same [augment] section fits on the rows and their copies
    let source = TableSource {
        features: req.out.clone(),
        corpora: vec!["custom".into()],
        feature_set: None,
    };
    let config = |normalisation| TrainConfig {
        model: Some(model_spec("logistic_regression", None, &["c=0.1".into()]).expect("spec")),
        normalisation: Some(normalisation),
        augment: Some(plan.clone()),
        ..Default::default()
    };
    let settings = config(Normalisation::Training)
        .settings()
        .expect("settings");
    let plain = TrainSettings {
        augment: None,
        ..settings.clone()
    };
    let with = train(&source, &settings, Default::default()).expect("train with copies");
    let without = train(&source, &plain, Default::default()).expect("train without");
    let metrics = &with.model.pipeline.summary.metrics;
    assert_eq!(
        metrics.get("augmented_rows"),
        Some(&(2.0 * files.len() as f64))
    );
    assert_eq!(
        with.n_rows,
        files.len(),
        "the table's rows; copies are counted apart"
    );
    assert!(
        !without
            .model
            .pipeline
            .summary
            .metrics
            .contains_key("augmented_rows")
    );
    assert_ne!(
        with.model.pipeline, without.model.pipeline,
        "the copies changed the fit"
    );
    // per-speaker statistics would be fitted on the copies too: refused with the reason
    let err = config(Normalisation::PerSpeaker)
        .settings()
        .expect_err("refused");
    assert!(err.to_string().contains("per_speaker"), "{err}");
}

#[test]
fn a_missing_augmented_table_names_the_command_that_makes_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cfg = ser_io::demo::DemoConfig {
        n_speakers: 2,
        utterances_per_emotion: 1,
        ..Default::default()
    };
    ser_io::demo::write_demo_corpus(&tmp.path().join("custom"), &cfg).expect("demo");
    let req = request(tmp.path());
    prepare(&req, &NoProgress).expect("prepare");
    let config = tmp.path().join("grid.toml");
    std::fs::write(&config, CONFIG).expect("config");
    let err = GridJob::load(&config, Some(&req.out), None).expect_err("no augmented table yet");
    let msg = err.to_string();
    assert!(
        msg.contains("augmented feature table") && msg.contains("--augment"),
        "{msg}"
    );
    // a bad plan is refused before anything is read
    let bad = CONFIG.replace("copies = 2", "copies = 0");
    std::fs::write(&config, bad).expect("config");
    let err = GridJob::load(&config, Some(&req.out), None).expect_err("copies = 0");
    assert!(err.to_string().contains("copies"), "{err}");
}
