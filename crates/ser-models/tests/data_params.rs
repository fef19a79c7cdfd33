//! Hyper-parameters that are valid on their own but not for the training set they are fitted
//! on: refused at fit time with the value and the size of the data, never a silent fallback.

mod common;

use common::blobs;
use ser_models::*;

#[test]
fn knn_with_more_neighbours_than_training_rows_is_refused() {
    // 12 rows, 3 classes.
    let (x, y) = blobs(4, 3, 5, 5, 3.0, 11);
    let spec = ModelSpec::Knn(KnnParams {
        n_neighbors: 50,
        ..KnnParams::default()
    });
    // The parameters alone are fine; the data decide.
    spec.check()
        .expect("n_neighbors = 50 is a valid parameter on its own");
    let e = spec
        .fit(x.view(), &y, 3, &FitOptions::default())
        .expect_err("50 neighbours among 12 rows");
    assert!(
        matches!(
            &e,
            Error::Param {
                name: "knn.n_neighbors",
                ..
            }
        ),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("n_neighbors = 50 but the training set has 12 rows"),
        "{msg}"
    );
    // The typed path says the same.
    let p = KnnParams {
        n_neighbors: 13,
        ..KnnParams::default()
    };
    let e = p
        .check()
        .expect("valid")
        .fit(x.view(), &y, 3, &FitOptions::default())
        .expect_err("13 > 12");
    assert!(
        e.to_string()
            .contains("n_neighbors = 13 but the training set has 12 rows")
    );
    // Exactly as many neighbours as rows is allowed.
    let p = KnnParams {
        n_neighbors: 12,
        ..KnnParams::default()
    };
    let m = p
        .check()
        .expect("valid")
        .fit(x.view(), &y, 3, &FitOptions::default())
        .expect("12 of 12");
    assert_eq!(m.n_features(), 5);
}

#[test]
fn tree_max_features_count_above_the_feature_count_is_refused() {
    let (x, y) = blobs(10, 2, 4, 4, 3.0, 3);
    let opts = FitOptions::default();
    for (spec, name) in [
        (
            ModelSpec::RandomForest(RandomForestParams {
                n_estimators: 3,
                max_features: MaxFeatures::Count(5),
                ..RandomForestParams::default()
            }),
            "random_forest.max_features",
        ),
        (
            ModelSpec::GradientBoosting(GradientBoostingParams {
                n_estimators: 3,
                max_features: MaxFeatures::Count(5),
                ..GradientBoostingParams::default()
            }),
            "gradient_boosting.max_features",
        ),
    ] {
        spec.check().expect("a count of 5 is valid on its own");
        let e = spec
            .fit(x.view(), &y, 2, &opts)
            .expect_err("5 features of 4");
        assert!(
            matches!(&e, Error::Param { name: n, .. } if *n == name),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .contains("max_features = 5 but the training set has 4 features"),
            "{e}"
        );
    }
    // All four is fine.
    ModelSpec::RandomForest(RandomForestParams {
        n_estimators: 3,
        max_features: MaxFeatures::Count(4),
        ..RandomForestParams::default()
    })
    .fit(x.view(), &y, 2, &opts)
    .expect("4 of 4 features");
}
