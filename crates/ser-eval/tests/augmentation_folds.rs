//! Augmented copies stay on the training side: every training row of every fit a nested search
//! makes (outer and inner folds) is traced back to its source utterance, and no source belongs
//! to a speaker tested by that fit.

use std::collections::BTreeSet;
use std::path::Path;

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ser_eval::cv::{self, planned_fits};
use ser_eval::{Dataset, GridConfig};

/// 6 speakers x 3 emotions x 4 utterances, 6 features, and `copies` augmented copies of every
/// utterance (the utterance plus small noise, as features of augmented audio would be).
fn synthetic(copies: usize) -> Dataset {
    let classes = ["angry", "neutral", "sad"];
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (n_spk, per, d) = (6, 4, 6);
    let n = n_spk * classes.len() * per;
    let mut x = Array2::<f32>::zeros((n, d));
    let (mut labels, mut speakers, mut paths, mut corpora) = (vec![], vec![], vec![], vec![]);
    let mut r = 0;
    for s in 0..n_spk {
        for (c, name) in classes.iter().enumerate() {
            for u in 0..per {
                for j in 0..d {
                    let signal = if j % classes.len() == c { 1.5 } else { 0.0 };
                    x[[r, j]] = signal + rng.random_range(-1.0..1.0);
                }
                labels.push(name.to_string());
                speakers.push(format!("syn:{s}"));
                paths.push(format!("syn/{s}/{name}_{u}.wav"));
                corpora.push("syn".to_string());
                r += 1;
            }
        }
    }
    let names = (0..d).map(|j| format!("f{j}")).collect();
    let data = Dataset::new(x.clone(), names, labels, speakers, paths, corpora).expect("data");
    let mut ax = Array2::<f32>::zeros((n * copies, d));
    let mut source = Vec::new();
    for row in 0..n {
        for _ in 0..copies {
            for j in 0..d {
                ax[[source.len(), j]] = x[[row, j]] + rng.random_range(-0.2..0.2);
            }
            source.push(row);
        }
    }
    data.with_augmented(ax, source).expect("augmented copies")
}

fn config(inner: &str) -> ser_eval::CheckedConfig {
    let text = format!(
        r#"
name = "augmented"
seed = 1
normalisation = ["training", "per_speaker"]
outer = {{ kind = "leave_one_speaker_out" }}
inner = {inner}
bootstrap_resamples = 50

[[models]]
kind = "logistic_regression"
grid = {{ c = [0.1, 1.0] }}
"#
    );
    GridConfig::from_toml_str(&text, Path::new("augmented.toml"))
        .expect("parses")
        .check()
        .expect("valid")
}

#[test]
fn no_copy_of_a_test_speakers_utterance_reaches_a_training_side() {
    let data = synthetic(3);
    let aug = data.augmented.clone().expect("copies");
    for inner in [
        r#"{ kind = "leave_one_speaker_out" }"#,
        r#"{ kind = "group_k_fold", k = 2 }"#,
    ] {
        let fits = planned_fits(&data, &config(inner)).expect("plan");
        // 6 outer folds, each with its inner folds
        assert_eq!(fits.iter().filter(|f| f.inner.is_none()).count(), 6);
        assert!(fits.iter().filter(|f| f.inner.is_some()).count() >= 12);
        for f in &fits {
            let tested: BTreeSet<&str> =
                f.test.iter().map(|&r| data.speakers[r].as_str()).collect();
            let train_rows: BTreeSet<usize> = f.train.rows.iter().copied().collect();
            // trace every training row (original or copy) to its source utterance
            let sources = f
                .train
                .rows
                .iter()
                .copied()
                .chain(f.train.copies.iter().map(|&c| aug.source[c]));
            for src in sources {
                let spk = data.speakers[src].as_str();
                assert!(
                    !tested.contains(spk),
                    "{} / {:?}: training row from {spk}, a tested speaker",
                    f.outer,
                    f.inner
                );
            }
            // the copies are exactly those of the training rows: three each
            assert_eq!(f.train.copies.len(), 3 * f.train.rows.len());
            for &c in &f.train.copies {
                assert!(train_rows.contains(&aug.source[c]));
            }
            // test rows are original rows, none of them trained on
            assert!(f.test.iter().all(|r| !train_rows.contains(r)));
        }
    }
}

#[test]
fn subsets_and_concatenation_keep_copies_with_their_sources() {
    let data = synthetic(2);
    let keep = vec!["angry".to_string(), "sad".to_string()];
    let sub = data.filter_labels(&keep);
    let a = sub.augmented.as_ref().expect("copies kept");
    assert_eq!(a.source.len(), 2 * sub.n_rows());
    for (c, &src) in a.source.iter().enumerate() {
        assert_ne!(sub.labels[src], "neutral");
        // a copy is its source plus noise below 0.2 in every feature
        for j in 0..sub.x.ncols() {
            assert!((a.x[[c, j]] - sub.x[[src, j]]).abs() <= 0.2 + 1e-6);
        }
    }
    let both = Dataset::concat(&[sub.clone(), sub.clone()]).expect("concat");
    let b = both.augmented.as_ref().expect("copies");
    assert_eq!(b.source.len(), 2 * a.source.len());
    assert_eq!(b.source[a.source.len()], a.source[0] + sub.n_rows());
    // a copy of a row that does not exist is refused
    let bad = sub
        .clone()
        .with_augmented(Array2::zeros((1, 6)), vec![sub.n_rows()]);
    assert!(bad.is_err());
}

#[test]
fn a_search_with_copies_runs_and_reports_them() {
    let data = synthetic(2);
    let cfg = config(r#"{ kind = "group_k_fold", k = 2 }"#);
    let out = cv::run(&data, &cfg, 0, &|_, _| {}).expect("search");
    assert_eq!(out.augmented_rows, 2 * data.n_rows());
    let md = ser_eval::report::report_md(&out);
    assert!(
        md.contains(&format!("{} augmented copies", 2 * data.n_rows())),
        "report.md names the copies"
    );
    assert_eq!(out.nested.len(), 2);
    for n in &out.nested {
        // every original row is predicted once; no copy is predicted
        assert_eq!(n.predictions.len(), data.n_rows());
        assert!(
            n.pooled.uar > 0.5,
            "{:?}: UAR {}",
            n.normalisation,
            n.pooled.uar
        );
    }
}
