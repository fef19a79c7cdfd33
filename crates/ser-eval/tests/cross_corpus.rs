//! Leave-one-corpus-out over the emotions every corpus shares, and per-corpus normalisation.

use std::path::Path;

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ser_eval::{Dataset, GridConfig, Normalisation, SplitSpec, cv, select_rows};

/// Three corpora of 4 speakers; `a` and `b` have angry/happy/sad/neutral, `c` lacks neutral.
/// Each corpus shifts each feature by its own large offset (a channel: another microphone,
/// room, language), the class signal is the same everywhere.
fn corpora() -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let d = 8;
    let mut rows: Vec<Vec<f32>> = Vec::new();
    let (mut labels, mut speakers, mut paths, mut names) = (vec![], vec![], vec![], vec![]);
    for (corpus, emotions) in [
        ("a", &["angry", "happy", "neutral", "sad"][..]),
        ("b", &["angry", "happy", "neutral", "sad"][..]),
        ("c", &["angry", "happy", "sad"][..]),
    ] {
        let offset: Vec<f32> = (0..d).map(|_| rng.random_range(-4.0..4.0)).collect();
        for s in 0..4 {
            for (e, emotion) in emotions.iter().enumerate() {
                let class = ["angry", "happy", "neutral", "sad"]
                    .iter()
                    .position(|c| c == emotion)
                    .unwrap_or(0);
                for u in 0..5 {
                    rows.push(
                        (0..d)
                            .map(|j| {
                                let signal = if j % 4 == class { 1.6 } else { 0.0 };
                                offset[j] + signal + rng.random_range(-1.0..1.0)
                            })
                            .collect(),
                    );
                    labels.push(emotion.to_string());
                    speakers.push(format!("{corpus}:{s}"));
                    paths.push(format!("{corpus}/{s}/{e}_{u}.wav"));
                    names.push(corpus.to_string());
                }
            }
        }
    }
    let x = Array2::from_shape_fn((rows.len(), d), |(i, j)| rows[i][j]);
    let feature_names = (0..d).map(|j| format!("f{j}")).collect();
    Dataset::new(x, feature_names, labels, speakers, paths, names).expect("data")
}

const CONFIG: &str = r#"
name = "loco"
seed = 4
normalisation = ["training", "per_corpus"]
outer = { kind = "leave_one_corpus_out" }
inner = { kind = "group_k_fold", k = 3 }
bootstrap_resamples = 50

[[models]]
kind = "logistic_regression"
grid = { c = [0.1, 1.0] }
"#;

#[test]
fn leave_one_corpus_out_tests_each_corpus_on_the_shared_emotions() {
    let data = corpora();
    let cfg = GridConfig::from_toml_str(CONFIG, Path::new("loco.toml"))
        .expect("parses")
        .check()
        .expect("valid");
    let (d, dropped) = select_rows(&data, &cfg).expect("shared emotions");
    assert_eq!(d.classes(), vec!["angry", "happy", "sad"]);
    assert_eq!(dropped, 2 * 4 * 5, "neutral of a and b dropped");
    let y = d.label_indices(&d.classes()).expect("labels");
    let folds = SplitSpec::LeaveOneCorpusOut
        .folds(&d.speakers, &y, &d.corpora, 0)
        .expect("folds");
    assert_eq!(folds.len(), 3);
    for f in &folds {
        let test: Vec<&str> = f.test.iter().map(|&r| d.corpora[r].as_str()).collect();
        assert!(
            test.windows(2).all(|w| w[0] == w[1]),
            "{}: one corpus",
            f.name
        );
        assert!(
            f.train.iter().all(|&r| d.corpora[r] != test[0]),
            "{}",
            f.name
        );
        assert_eq!(f.train.len() + f.test.len(), d.n_rows());
    }
    // one corpus is not a cross-corpus data set
    let one = d.subset(
        &(0..d.n_rows())
            .filter(|&r| d.corpora[r] == "a")
            .collect::<Vec<_>>(),
    );
    assert!(
        SplitSpec::LeaveOneCorpusOut
            .folds(&one.speakers, &vec![0; one.n_rows()], &one.corpora, 0)
            .is_err()
    );
}

#[test]
fn per_corpus_normalisation_removes_a_channel_offset() {
    let data = corpora();
    let cfg = GridConfig::from_toml_str(CONFIG, Path::new("loco.toml"))
        .expect("parses")
        .check()
        .expect("valid");
    let (d, dropped) = select_rows(&data, &cfg).expect("rows");
    let out = cv::run(&d, &cfg, dropped, &|_, _| {}).expect("search");
    let uar = |n: Normalisation| {
        out.nested
            .iter()
            .find(|r| r.normalisation == n)
            .map(|r| r.pooled.uar)
            .expect("protocol ran")
    };
    // the training-statistics scaler cannot undo a test corpus's offset; per-corpus can
    let (training, per_corpus) = (uar(Normalisation::Training), uar(Normalisation::PerCorpus));
    assert!(per_corpus > 0.9, "per-corpus UAR {per_corpus}");
    assert!(per_corpus > training + 0.2, "{per_corpus} vs {training}");
    let md = ser_eval::report::report_md(&out);
    assert!(md.contains("leave-one-corpus-out") && md.contains("per_corpus"));
}
