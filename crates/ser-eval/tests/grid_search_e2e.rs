//! End-to-end: nested grid search on a synthetic speaker/emotion data set, all output files
//! written and consistent with each other.

use std::path::Path;

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ser_eval::{Dataset, GridConfig, plot, report};

/// 8 speakers x 4 emotions x 6 utterances, 12 features: class signal + speaker offset + noise.
fn synthetic() -> Dataset {
    let classes = ["angry", "happy", "neutral", "sad"];
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (n_spk, per, d) = (8, 6, 12);
    let n = n_spk * classes.len() * per;
    let mut x = Array2::<f32>::zeros((n, d));
    let (mut labels, mut speakers, mut paths, mut corpora) = (vec![], vec![], vec![], vec![]);
    let mut r = 0;
    for s in 0..n_spk {
        let offset: Vec<f32> = (0..d).map(|_| rng.random_range(-2.0..2.0)).collect();
        for (c, name) in classes.iter().enumerate() {
            for u in 0..per {
                for j in 0..d {
                    let signal = if j % classes.len() == c { 2.0 } else { 0.0 };
                    x[[r, j]] = signal + offset[j] + rng.random_range(-1.0..1.0);
                }
                labels.push(name.to_string());
                speakers.push(format!("syn:{s:02}"));
                paths.push(format!("syn/{s:02}/{name}_{u}.wav"));
                corpora.push("syn".to_string());
                r += 1;
            }
        }
    }
    let names = (0..d).map(|j| format!("f{j}")).collect();
    Dataset::new(x, names, labels, speakers, paths, corpora).expect("consistent synthetic data")
}

const CONFIG: &str = r#"
name = "synthetic"
seed = 7
normalisation = ["training", "per_speaker"]
scaler = "standard"
class_weight = "balanced"
outer = { kind = "leave_one_speaker_out" }
inner = { kind = "group_k_fold", k = 3 }
bootstrap_resamples = 300

[[models]]
kind = "logistic_regression"
grid = { c = [0.01, 1.0] }

[[models]]
kind = "knn"
grid = { n_neighbors = [3, 9] }
"#;

fn png_size(path: &Path) -> (u32, u32) {
    let file = std::fs::File::open(path).expect("png exists");
    let decoder = png::Decoder::new(std::io::BufReader::new(file));
    let mut reader = decoder.read_info().expect("png header decodes");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png frame decodes");
    (info.width, info.height)
}

#[test]
fn grid_search_writes_consistent_outputs() {
    let data = synthetic();
    let cfg = GridConfig::from_toml_str(CONFIG, Path::new("synthetic.toml"))
        .expect("config parses")
        .check()
        .expect("config is valid");
    assert_eq!(cfg.candidates.len(), 4);
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let progress = |done: usize, total: usize| {
        assert!(done <= total);
        calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    let (evaluated, outcome) =
        ser_eval::run_grid_search(&data, &cfg, &progress).expect("grid search runs");
    // 2 protocols x 8 outer folds x (3 inner folds x 4 candidates + 4 flat + 1 refit)
    assert_eq!(calls.into_inner(), 2 * 8 * (3 * 4 + 4 + 1));
    assert_eq!(outcome.nested.len(), 2);
    assert_eq!(outcome.all.len(), 2 * 4);
    assert!(outcome.speaker_independent);

    let dir = tempfile::tempdir().expect("temp dir");
    let w = report::write_all(&outcome, &evaluated, dir.path()).expect("outputs written");
    for p in [
        &w.report_md,
        &w.results_csv,
        &w.results_json,
        &w.predictions_csv,
        &w.confusion_png,
        &w.confusion_svg,
        &w.distribution_png,
    ] {
        assert!(p.exists(), "{} missing", p.display());
    }
    assert!(dir.path().join("confusion_matrix_per_speaker.png").exists());
    assert!(
        std::fs::read_dir(dir.path()).expect("list").all(|e| !e
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .contains(".tmp")),
        "temporary files left behind"
    );

    for n in &outcome.nested {
        // every utterance predicted exactly once; confusion matrix sums to the rows
        assert_eq!(n.predictions.len(), data.n_rows());
        assert!(n.predictions.iter().enumerate().all(|(i, p)| p.row == i));
        assert_eq!(n.pooled.confusion.sum() as usize, data.n_rows());
        assert_eq!(n.pooled.n, data.n_rows());
        assert!(n.uar_ci.low <= n.pooled.uar && n.pooled.uar <= n.uar_ci.high);
        assert_eq!(n.chosen.len(), 8);
        assert_eq!(n.per_speaker.len(), 8);
        // the signal is strong: the search must do far better than chance (0.25)
        assert!(
            n.pooled.uar > 0.6,
            "{} UAR {}",
            n.normalisation.as_str(),
            n.pooled.uar
        );
        for p in &n.predictions {
            let pr = p.proba.as_ref().expect("both models give probabilities");
            assert_eq!(pr.len(), 4);
            assert!((pr.iter().sum::<f32>() - 1.0).abs() < 1e-3);
        }
    }

    // predictions.csv: header + one line per row, columns path..p_sad
    let pred = std::fs::read_to_string(&w.predictions_csv).expect("read predictions");
    let mut lines = pred.lines();
    assert_eq!(
        lines.next().expect("header"),
        "path,corpus,speaker,fold,truth,prediction,correct,p_angry,p_happy,p_neutral,p_sad"
    );
    assert_eq!(lines.count(), data.n_rows());
    // correct column agrees with the best protocol's accuracy
    let correct = pred
        .lines()
        .skip(1)
        .filter(|l| l.contains(",true,"))
        .count();
    let best = outcome.best();
    assert!((correct as f64 / data.n_rows() as f64 - best.pooled.accuracy).abs() < 1e-12);

    // results.csv: header + 2 nested + 8 fixed rows
    let res = std::fs::read_to_string(&w.results_csv).expect("read results");
    assert_eq!(res.lines().count(), 1 + 2 + 8);
    assert!(
        res.lines()
            .next()
            .expect("header")
            .contains("uar_mean,uar_std")
    );

    // results.json round-trips to the same outcome
    let json = std::fs::read_to_string(&w.results_json).expect("read json");
    let back: ser_eval::GridOutcome = serde_json::from_str(&json).expect("json parses");
    assert_eq!(
        back.nested[0].pooled.confusion,
        outcome.nested[0].pooled.confusion
    );
    assert!(back.wall_time_s > 0.0);

    let md = std::fs::read_to_string(&w.report_md).expect("read report");
    assert!(md.contains("leave-one-speaker-out"));
    assert!(md.contains("speaker-independent"));
    assert!(md.contains("seed: 7"));
    assert!(md.contains("weighted avg"));

    // images decode at the stated sizes
    assert_eq!(png_size(&w.confusion_png), plot::confusion_image_size(4));
    assert_eq!(png_size(&w.distribution_png), plot::DISTRIBUTION_SIZE);
    let svg = std::fs::read_to_string(&w.confusion_svg).expect("read svg");
    assert!(svg.starts_with("<svg") && svg.contains("neutral"));

    if let Ok(keep) = std::env::var("SER_EVAL_KEEP_OUTPUT") {
        for p in [&w.confusion_png, &w.distribution_png, &w.report_md] {
            let name = p.file_name().expect("file name");
            std::fs::copy(p, Path::new(&keep).join(name)).expect("copy output");
        }
    }
}

#[test]
fn random_split_is_flagged_in_report() {
    let data = synthetic();
    let text = CONFIG
        .replace(
            "outer = { kind = \"leave_one_speaker_out\" }",
            "outer = { kind = \"random\", test_fraction = 0.25 }",
        )
        .replace(
            "inner = { kind = \"group_k_fold\", k = 3 }",
            "inner = { kind = \"random\", test_fraction = 0.25 }",
        )
        .replace("[\"training\", \"per_speaker\"]", "[\"training\"]");
    let cfg = GridConfig::from_toml_str(&text, Path::new("random.toml"))
        .expect("parses")
        .check()
        .expect("random inner allowed with a random outer split");
    let (d, outcome) = ser_eval::run_grid_search(&data, &cfg, &|_, _| {}).expect("runs");
    assert!(!outcome.speaker_independent);
    assert_eq!(outcome.nested[0].predictions.len(), data.n_rows() / 4);
    let md = report::report_md(&outcome);
    assert!(md.contains("SPEAKER-DEPENDENT"));
    let dir = tempfile::tempdir().expect("temp dir");
    report::write_all(&outcome, &d, dir.path()).expect("outputs written");
}

#[test]
fn emotion_filter_and_cross_corpus() {
    let mut data = synthetic();
    // second half of the speakers become corpus "b", which has no "sad"
    for i in 0..data.n_rows() {
        if data.speakers[i].as_str() >= "syn:04" {
            data.corpora[i] = "b".into();
        }
    }
    let keep: Vec<usize> = (0..data.n_rows())
        .filter(|&i| !(data.corpora[i] == "b" && data.labels[i] == "sad"))
        .collect();
    let data = data.subset(&keep);
    let text = CONFIG
        .replace(
            "outer = { kind = \"leave_one_speaker_out\" }",
            "outer = { kind = \"corpus_holdout\", train = [\"syn\"], test = [\"b\"] }",
        )
        .replace("[\"training\", \"per_speaker\"]", "[\"per_speaker\"]");
    let cfg = GridConfig::from_toml_str(&text, Path::new("x.toml"))
        .expect("parses")
        .check()
        .expect("valid");
    let (d, outcome) = ser_eval::run_grid_search(&data, &cfg, &|_, _| {}).expect("runs");
    assert_eq!(outcome.classes, vec!["angry", "happy", "neutral"]);
    assert_eq!(outcome.dropped_rows, 4 * 6); // sad rows of corpus syn
    assert!(d.corpora.iter().any(|c| c == "b"));
    assert_eq!(outcome.nested[0].predictions.len(), 4 * 3 * 6);
}
