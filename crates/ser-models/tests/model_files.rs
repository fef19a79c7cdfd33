//! The model-file layout does not change: files of every kind written by commit cdeb2e9 (before
//! fitted models became `FittedClassifier` trait objects) still load, predict what they predicted
//! then, and serialise back to the same bytes. Needs no cargo feature: a saved MLP predicts
//! without candle.
//!
//! `tests/fixtures/{name}.model.json` is a `Pipeline::save` output (3 classes, 4 features, 24 rows;
//! `created_utc` fixed); `{name}.expected.json` holds the rows, their speakers and the classes and
//! probabilities that commit predicted for them.

use std::path::{Path, PathBuf};

use ndarray::Array2;
use ser_models::{Error, Pipeline};
use serde::Deserialize;

const NAMES: [&str; 8] = [
    "svm",
    "svm_no_proba",
    "logistic_regression",
    "knn",
    "naive_bayes",
    "random_forest",
    "gradient_boosting",
    "mlp",
];

#[derive(Deserialize)]
struct Expected {
    x: Vec<Vec<f32>>,
    speakers: Vec<String>,
    classes: Vec<usize>,
    proba: Option<Vec<Vec<f32>>>,
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn matrix(rows: &[Vec<f32>]) -> Array2<f32> {
    let cols = rows.first().map_or(0, Vec::len);
    Array2::from_shape_vec((rows.len(), cols), rows.concat()).expect("rectangular rows")
}

#[test]
fn saved_models_load_predict_and_serialise_as_before() {
    for name in NAMES {
        let path = fixture(&format!("{name}.model.json"));
        let bytes = std::fs::read(&path).expect("fixture");
        let p = Pipeline::load(&path).expect(name);
        let kind = name.strip_suffix("_no_proba").unwrap_or(name);
        assert_eq!(p.model.spec().kind(), kind);
        assert_eq!(
            serde_json::to_vec(&p).expect("serialise"),
            bytes,
            "{name}: serialised again, the model file differs"
        );
        let e: Expected = serde_json::from_slice(
            &std::fs::read(fixture(&format!("{name}.expected.json"))).expect("fixture"),
        )
        .expect("expected predictions");
        let x = matrix(&e.x);
        let pred = p
            .predict(x.view(), &p.feature_names, Some(&e.speakers))
            .expect("predict");
        assert_eq!(pred.classes, e.classes, "{name}");
        match (pred.proba, e.proba) {
            (Some(got), Some(want)) => {
                let want = matrix(&want);
                assert_eq!(got.dim(), want.dim(), "{name}");
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).abs() <= 1e-6, "{name}: probability {g} against {w}");
                }
            }
            (None, None) => {}
            (got, want) => panic!("{name}: probabilities {got:?}, expected {want:?}"),
        }
    }
}

#[test]
fn unknown_fitted_kind_is_a_json_error() {
    let text = std::fs::read_to_string(fixture("knn.model.json")).expect("fixture");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("m.json");
    // The fitted model's tag is the last `"kind":"knn"` (the spec's comes first).
    let at = text.rfind(r#""kind":"knn""#).expect("fitted kind tag");
    let edited = format!(
        "{}\"kind\":\"transformer\"{}",
        &text[..at],
        &text[at + 12..]
    );
    std::fs::write(&path, edited).expect("write");
    let e = Pipeline::load(&path).expect_err("unknown kind");
    assert!(matches!(e, Error::Json { .. }), "{e}");
    assert!(e.to_string().contains("transformer"), "{e}");
}
