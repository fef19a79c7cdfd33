//! The generalisation protocols: enrolment normalisation, the text-grouped inner split of a fold
//! with one training speaker, the outer split reduced to the speakers there are, a shared
//! candidate list taken with `include`, and feature selection as a grid dimension.

use std::collections::BTreeSet;

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ser_eval::cv::{self, enrolment_rows, planned_fits};
use ser_eval::{Dataset, GridConfig, Normalisation};
use ser_models::ModelSpec;

/// `n_spk` speakers x 4 emotions x `per` utterances, 8 features: class signal + a large
/// speaker offset + noise; texts `t0..t{per-1}` (each emotion says every text once).
fn synthetic(n_spk: usize, per: usize, seed: u64) -> Dataset {
    let classes = ["angry", "happy", "neutral", "sad"];
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let d = 8;
    let n = n_spk * classes.len() * per;
    let mut x = Array2::<f32>::zeros((n, d));
    let (mut labels, mut speakers, mut paths, mut corpora, mut texts) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut r = 0;
    for s in 0..n_spk {
        let offset: Vec<f32> = (0..d).map(|_| rng.random_range(-6.0..6.0)).collect();
        for (c, name) in classes.iter().enumerate() {
            for u in 0..per {
                for j in 0..d {
                    let signal = if j % classes.len() == c { 1.5 } else { 0.0 };
                    x[[r, j]] = signal + offset[j] + rng.random_range(-1.0..1.0);
                }
                labels.push(name.to_string());
                speakers.push(format!("syn:{s:02}"));
                paths.push(format!("syn/{s:02}/{name}_{u}.wav"));
                corpora.push("syn".to_string());
                texts.push(format!("t{u}"));
                r += 1;
            }
        }
    }
    let names = (0..d).map(|j| format!("f{j}")).collect();
    Dataset::new(x, names, labels, speakers, paths, corpora)
        .and_then(|d| d.with_texts(texts))
        .expect("consistent synthetic data")
}

fn config(extra: &str) -> GridConfig {
    let text = format!(
        r#"
name = "protocols"
seed = 3
scaler = "standard"
class_weight = "balanced"
bootstrap_resamples = 50
evaluate_all = false
{extra}
[[models]]
kind = "logistic_regression"
grid = {{ c = [0.01, 1.0] }}
"#
    );
    GridConfig::from_toml_str(&text, std::path::Path::new("protocols.toml")).expect("parses")
}

#[test]
fn enrolment_rows_are_k_per_speaker_chosen_without_labels() {
    let d = synthetic(4, 5, 1);
    let rows = enrolment_rows(&d, 6, 9);
    for s in d.speaker_ids() {
        let n = rows.iter().filter(|&&r| d.speakers[r] == s).count();
        assert_eq!(n, 6, "{s}");
    }
    // the same with other labels, and the same utterances (paths) with the rows reversed
    let mut relabelled = d.clone();
    relabelled.labels.reverse();
    assert_eq!(enrolment_rows(&relabelled, 6, 9), rows);
    let rev: Vec<usize> = (0..d.n_rows()).rev().collect();
    let reversed = d.subset(&rev);
    let paths = |d: &Dataset, rows: &[usize]| -> BTreeSet<String> {
        rows.iter().map(|&r| d.paths[r].clone()).collect()
    };
    assert_eq!(
        paths(&reversed, &enrolment_rows(&reversed, 6, 9)),
        paths(&d, &rows)
    );
    // another seed, another choice; more than a speaker has: all of them
    assert_ne!(enrolment_rows(&d, 6, 10), rows);
    assert_eq!(
        enrolment_rows(&d, 100, 9),
        (0..d.n_rows()).collect::<Vec<_>>()
    );
}

/// With as many enrolment utterances as a speaker has, enrolment is per-speaker normalisation;
/// with few, it still removes most of a large speaker offset, which training-speaker scaling
/// cannot.
#[test]
fn enrolment_sits_between_training_and_per_speaker_statistics() {
    let d = synthetic(6, 6, 2);
    let run = |extra: &str| {
        let cfg = config(extra).check().expect("checks");
        cv::run(&d, &cfg, 0, &|_, _| {}).expect("runs")
    };
    let all = run(
        "normalisation = [\"per_speaker\", \"enrolment\"]\nenrolment_utterances = 24\n\
         outer = { kind = \"leave_one_speaker_out\" }\ninner = { kind = \"group_k_fold\", k = 3 }",
    );
    assert_eq!(all.nested[0].predictions, all.nested[1].predictions);
    let few = run(
        "normalisation = [\"training\", \"enrolment\"]\nenrolment_utterances = 6\n\
         outer = { kind = \"leave_one_speaker_out\" }\ninner = { kind = \"group_k_fold\", k = 3 }",
    );
    let (training, enrolment) = (few.nested[0].pooled.uar, few.nested[1].pooled.uar);
    assert!(
        enrolment > training + 0.1,
        "enrolment {enrolment} vs training {training}"
    );
    assert_ne!(few.nested[1].predictions, all.nested[1].predictions);
    // fewer enrolment utterances than min_utterances_per_speaker is refused
    let bad = config(
        "normalisation = [\"enrolment\"]\nenrolment_utterances = 1\n\
         outer = { kind = \"leave_one_speaker_out\" }",
    );
    assert!(bad.check().is_err());
}

#[test]
fn one_training_speaker_selects_on_text_groups() {
    let d = synthetic(2, 6, 3);
    let cfg = config(
        "normalisation = [\"training\"]\nouter = { kind = \"leave_one_speaker_out\" }\n\
         inner = { kind = \"group_k_fold\", k = 3 }",
    )
    .check()
    .expect("checks");
    let texts = d.texts.clone().expect("texts");
    let fits = planned_fits(&d, &cfg).expect("plans");
    let inner: Vec<_> = fits.iter().filter(|f| f.inner.is_some()).collect();
    assert_eq!(inner.len(), 2 * 3, "3 inner folds per outer fold");
    for f in &inner {
        let train: BTreeSet<&str> = f.train.rows.iter().map(|&r| texts[r].as_str()).collect();
        let test: BTreeSet<&str> = f.test.iter().map(|&r| texts[r].as_str()).collect();
        assert!(train.is_disjoint(&test), "{train:?} / {test:?}");
        let spk: BTreeSet<&str> = f
            .train
            .rows
            .iter()
            .map(|&r| d.speakers[r].as_str())
            .collect();
        assert_eq!(spk.len(), 1);
    }
    let out = cv::run(&d, &cfg, 0, &|_, _| {}).expect("runs");
    let note = out
        .inner_note
        .expect("the report says how the inner split was made");
    assert!(note.contains("by text"), "{note}");
    assert!(out.outer_note.is_none());
    // without texts there is no split of one speaker
    let mut no_text = d.clone();
    no_text.texts = None;
    assert!(cv::run(&no_text, &cfg, 0, &|_, _| {}).is_err());
}

#[test]
fn more_folds_than_speakers_runs_one_per_speaker() {
    let d = synthetic(4, 3, 4);
    let cfg = config(
        "normalisation = [\"training\"]\nouter = { kind = \"group_k_fold\", k = 6 }\n\
         inner = { kind = \"group_k_fold\", k = 3 }",
    )
    .check()
    .expect("checks");
    let out = cv::run(&d, &cfg, 0, &|_, _| {}).expect("runs");
    assert_eq!(out.nested[0].summary.n_folds, 4);
    let note = out.outer_note.expect("noted");
    assert!(
        note.contains("6 speaker-grouped folds") && note.contains("4"),
        "{note}"
    );
}

#[test]
fn include_fills_in_what_a_config_leaves_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("grid")).expect("mkdir");
    std::fs::write(
        dir.path().join("grid/shared.toml"),
        "seed = 5\nscaler = \"robust\"\n[[models]]\nkind = \"naive_bayes\"\n\
         [[models]]\nkind = \"logistic_regression\"\ngrid = { select = [2, \"all\"] }\n",
    )
    .expect("write");
    let main = dir.path().join("corpus.toml");
    std::fs::write(
        &main,
        "name = \"c\"\ninclude = \"grid/shared.toml\"\nseed = 9\n\
         outer = { kind = \"leave_one_speaker_out\" }\n[[tables]]\ncorpus = \"x\"\n",
    )
    .expect("write");
    let cfg = GridConfig::from_toml_file(&main).expect("reads");
    assert_eq!(cfg.seed, 9, "the including file wins");
    assert_eq!(cfg.scaler, ser_models::ScalerSpec::Robust);
    assert_eq!(cfg.include, vec!["grid/shared.toml".to_string()]);
    let checked = cfg.check().expect("checks");
    let labels: Vec<&str> = checked
        .candidates
        .iter()
        .map(|c| c.label.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "naive_bayes",
            "logistic_regression select=2",
            "logistic_regression select=all"
        ]
    );
    match &checked.candidates[1].spec {
        ModelSpec::Select(s) => {
            assert_eq!(s.k, 2);
            assert!(matches!(*s.model, ModelSpec::LogisticRegression(_)));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        checked.candidates[2].spec,
        ModelSpec::LogisticRegression(_)
    ));
    // a missing file is named; an include inside an include is refused; select 0 is refused
    std::fs::write(&main, "include = \"grid/none.toml\"\n").expect("write");
    let e = GridConfig::from_toml_file(&main).unwrap_err().to_string();
    assert!(e.contains("none.toml"), "{e}");
    std::fs::write(
        dir.path().join("grid/shared.toml"),
        "include = \"x.toml\"\n",
    )
    .expect("w");
    std::fs::write(&main, "include = \"grid/shared.toml\"\n").expect("write");
    let e = GridConfig::from_toml_file(&main).unwrap_err().to_string();
    assert!(e.contains("one level"), "{e}");
    let zero = "outer = { kind = \"leave_one_speaker_out\" }\n[[models]]\nkind = \"naive_bayes\"\nselect = 0\n";
    let e = GridConfig::from_toml_str(zero, &main)
        .expect("parses")
        .check()
        .unwrap_err()
        .to_string();
    assert!(e.contains("select"), "{e}");
}

/// Normalisation names round-trip and enrolment makes a per-speaker model file.
#[test]
fn enrolment_is_a_per_speaker_model() {
    let n: Normalisation = serde_json::from_str("\"enrolment\"").expect("parses");
    assert_eq!(n, Normalisation::Enrolment);
    assert_eq!(n.as_str(), "enrolment");
    assert_eq!(n.speaker_norm(), ser_models::SpeakerNorm::Standardise);
    assert_eq!(
        Normalisation::Training.speaker_norm(),
        ser_models::SpeakerNorm::None
    );
    assert_eq!(
        Normalisation::EnrolmentShrunk.speaker_norm(),
        ser_models::SpeakerNorm::ShrunkCentring
    );
}

/// `nap` is a grid dimension: `"none"` leaves the model alone, `"all"` or a count wraps it (and
/// any selection) in the speaker projection, and a nested search fits and scores both.
#[test]
fn speaker_projection_is_a_grid_dimension() {
    let extra = "normalisation = [\"training\"]\nouter = { kind = \"leave_one_speaker_out\" }\n\
         inner = { kind = \"group_k_fold\", k = 2 }\nevaluate_all = true\n\
         [[models]]\nname = \"lr\"\nkind = \"logistic_regression\"\n\
         grid = { nap = [\"none\", \"all\", 2], select = [4] }\n";
    let text = format!(
        "name = \"nap\"\nseed = 1\nbootstrap_resamples = 20\n{extra}\n[[tables]]\ncorpus = \"syn\"\n"
    );
    let main = std::path::Path::new("nap.toml");
    let cfg = GridConfig::from_toml_str(&text, main)
        .expect("parses")
        .check()
        .expect("checks");
    let labels: Vec<&str> = cfg.candidates.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "lr nap=none select=4",
            "lr nap=all select=4",
            "lr nap=2 select=4"
        ]
    );
    for c in &cfg.candidates {
        let inner = match &c.spec {
            ModelSpec::SpeakerProjection(p) => {
                let want = if c.label.contains("nap=2") {
                    ser_models::Directions::Count(2)
                } else {
                    ser_models::Directions::All(ser_models::nap::AllTag::All)
                };
                assert_eq!(p.directions, want, "{}", c.label);
                &*p.model
            }
            other => {
                assert!(c.label.contains("nap=none"), "{}", c.label);
                other
            }
        };
        assert!(
            matches!(inner, ModelSpec::Select(s) if s.k == 4),
            "{}: {inner:?}",
            c.label
        );
    }
    let d = synthetic(4, 3, 8);
    let out = cv::run(&d, &cfg, 0, &|_, _| {}).expect("runs");
    assert_eq!(out.nested[0].summary.n_folds, 4);
    for bad in ["\"some\"", "-1", "1.5"] {
        let t = text.replace("[\"none\", \"all\", 2]", &format!("[{bad}]"));
        let e = GridConfig::from_toml_str(&t, main)
            .expect("parses")
            .check()
            .unwrap_err()
            .to_string();
        assert!(e.contains("nap"), "{bad}: {e}");
    }
}

/// Shrunk enrolment centres each speaker: a large speaker offset is gone even from 6 enrolment
/// utterances (well above training-speaker scaling), and it runs only with enough enrolment
/// utterances.
#[test]
fn shrunk_enrolment_removes_speaker_offsets() {
    let d = synthetic(6, 6, 2);
    let cfg = config(
        "normalisation = [\"training\", \"enrolment_shrunk\"]\nenrolment_utterances = 6\n\
         outer = { kind = \"leave_one_speaker_out\" }\ninner = { kind = \"group_k_fold\", k = 3 }",
    )
    .check()
    .expect("checks");
    let out = cv::run(&d, &cfg, 0, &|_, _| {}).expect("runs");
    assert_eq!(out.nested[1].normalisation, Normalisation::EnrolmentShrunk);
    let (training, shrunk) = (out.nested[0].pooled.uar, out.nested[1].pooled.uar);
    assert!(
        shrunk > training + 0.1,
        "shrunk {shrunk} vs training {training}"
    );
    assert!(Normalisation::EnrolmentShrunk.model_file());
    assert!(!Normalisation::PerCorpus.model_file());
    let n: Normalisation = serde_json::from_str("\"enrolment_shrunk\"").expect("parses");
    assert_eq!(n.as_str(), "enrolment_shrunk");
    let bad = config(
        "normalisation = [\"enrolment_shrunk\"]\nenrolment_utterances = 1\n\
         outer = { kind = \"leave_one_speaker_out\" }",
    );
    assert!(bad.check().is_err());
}

/// Under shrunk enrolment nothing fitted for a fold sees its test rows beyond the test
/// speakers' enrolment utterances: with a split that puts a speaker on both sides, changing
/// one of its test utterances that is not an enrolment utterance changes no other prediction.
#[test]
fn shrunk_enrolment_fits_on_training_rows_only() {
    let d = synthetic(4, 6, 5);
    let cfg = config(
        "normalisation = [\"enrolment_shrunk\"]\nenrolment_utterances = 6\n\
         outer = { kind = \"random\", test_fraction = 0.5 }\ninner = { kind = \"group_k_fold\", k = 2 }",
    )
    .check()
    .expect("checks");
    let before = cv::run(&d, &cfg, 0, &|_, _| {}).expect("runs");
    let enrol: BTreeSet<usize> = enrolment_rows(&d, 6, 3).into_iter().collect();
    let fits = planned_fits(&d, &cfg).expect("plans");
    let outer = fits
        .iter()
        .find(|f| f.inner.is_none())
        .expect("an outer fit");
    let train_speakers: BTreeSet<&str> = outer
        .train
        .rows
        .iter()
        .map(|&r| d.speakers[r].as_str())
        .collect();
    // a test row of a speaker that also trains, outside the enrolment rows
    let r = *outer
        .test
        .iter()
        .find(|&&r| !enrol.contains(&r) && train_speakers.contains(d.speakers[r].as_str()))
        .expect("such a row");
    let mut changed = d.clone();
    changed.x.row_mut(r).mapv_inplace(|v| v + 50.0);
    let after = cv::run(&changed, &cfg, 0, &|_, _| {}).expect("runs");
    let others = |o: &cv::GridOutcome| -> Vec<(usize, Option<Vec<f32>>)> {
        o.nested[0]
            .predictions
            .iter()
            .filter(|p| p.row != r)
            .map(|p| (p.row, p.proba.clone()))
            .collect()
    };
    assert_eq!(others(&before), others(&after));
}
