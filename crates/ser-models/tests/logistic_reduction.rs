//! The logistic regression's row-space reduction (tables wider than they are long) reaches the
//! optimum of the direct problem: same coefficients and probabilities to well within the solver's
//! tolerance, on random, rank-deficient and class-weighted problems, and the model is stored as
//! before (`coef` is `n_classes × n_features`).

mod common;

use common::normal;
use ndarray::{Array2, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ser_models::logistic::{REDUCE_ABOVE, Solver, SolverReport};
use ser_models::{ClassWeight, FitOptions, FittedClassifier, LogisticModel, LogisticParams};

/// Tighter than the default 1e-6 so that the comparison measures the paths more than the
/// tolerance (much tighter and the solver stops on stalled steps instead).
const TOL: f64 = 1e-8;

fn params(c: f64) -> LogisticParams {
    LogisticParams {
        c,
        tol: TOL,
        max_iter: 5000,
        ..LogisticParams::default()
    }
}

/// `n × d` Gaussian rows; class means along two random directions so the classes overlap.
fn wide(n: usize, d: usize, k: usize, seed: u64) -> (Array2<f32>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let dirs: Vec<Vec<f64>> = (0..2)
        .map(|_| (0..d).map(|_| normal(&mut rng)).collect())
        .collect();
    let means: Vec<[f64; 2]> = (0..k)
        .map(|_| [normal(&mut rng), normal(&mut rng)])
        .collect();
    let y: Vec<usize> = (0..n).map(|i| i % k).collect();
    let x = Array2::from_shape_fn((n, d), |(i, j)| {
        (0.4 * (means[y[i]][0] * dirs[0][j] + means[y[i]][1] * dirs[1][j]) + normal(&mut rng))
            as f32
    });
    (x, y)
}

fn fit(
    p: &LogisticParams,
    x: ArrayView2<f32>,
    y: &[usize],
    k: usize,
    cw: ClassWeight,
    solver: Solver,
) -> (LogisticModel, SolverReport) {
    let opts = FitOptions {
        class_weight: cw,
        ..FitOptions::default()
    };
    p.fit_with_solver(x, y, k, &opts, solver).expect("fit")
}

/// Fits both ways, checks the reduced fit used `rank` and did not fall back, and that the two
/// solutions agree: coefficients within 1e-5 of the largest, intercepts, probabilities within
/// 1e-6, the same classes. (Measured: up to 1.2e-6 of the largest coefficient, on the constant
/// columns of the rank-deficient problem, whose optimal weights are 0 and which both solvers
/// leave at about `tol * |grad_0|`; elsewhere 1e-10 to 1e-7.)
fn same_optimum(
    p: &LogisticParams,
    x: ArrayView2<f32>,
    y: &[usize],
    k: usize,
    cw: ClassWeight,
    rank: usize,
) {
    let (direct, rd) = fit(p, x, y, k, cw, Solver::Direct);
    let (reduced, rr) = fit(p, x, y, k, cw, Solver::RowSpace);
    assert_eq!(rd.rank, None);
    assert_eq!(rr.rank, Some(rank), "{rr:?}");
    assert!(!rr.fell_back, "{rr:?}");
    assert_eq!(reduced.coef().dim(), (k, x.ncols()));
    let scale = direct.coef().iter().fold(0.0f64, |a, v| a.max(v.abs()));
    assert!(
        scale > 1e-3,
        "a trivial problem: coefficients up to {scale}"
    );
    for (a, b) in direct.coef().iter().zip(reduced.coef()) {
        assert!(
            (a - b).abs() <= 1e-5 * scale,
            "coef {a} vs {b} (scale {scale})"
        );
    }
    for (a, b) in direct.intercept().iter().zip(reduced.intercept()) {
        assert!(
            (a - b).abs() <= 1e-5 * scale.max(1.0),
            "intercept {a} vs {b}"
        );
    }
    let pd = direct.predict_proba(x).expect("proba").expect("some");
    let pr = reduced.predict_proba(x).expect("proba").expect("some");
    for (a, b) in pd.iter().zip(&pr) {
        assert!((a - b).abs() <= 1e-6, "probability {a} vs {b}");
    }
    assert_eq!(
        direct.predict(x).expect("predict"),
        reduced.predict(x).expect("predict")
    );
}

#[test]
fn reduced_and_direct_reach_the_same_optimum_on_a_wide_problem() {
    let (x, y) = wide(60, 170, 4, 1);
    for c in [0.1, 1.0] {
        same_optimum(&params(c), x.view(), &y, 4, ClassWeight::None, 60);
    }
    // without intercept too
    let p = LogisticParams {
        fit_intercept: false,
        ..params(1.0)
    };
    same_optimum(&p, x.view(), &y, 4, ClassWeight::None, 60);
}

#[test]
fn reduced_and_direct_agree_on_a_rank_deficient_problem() {
    // Integer-valued features, so that combinations of rows are exact in f32: 50 rows of rank
    // 50 (a class signal in columns 30.., constant columns 5, 17, 90), then 12 duplicates and 8
    // affine combinations `2 a - b` of them (70 rows of rank 50; the constants stay constant).
    let (n0, d, k) = (50, 160, 3);
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut y: Vec<usize> = (0..n0).map(|i| i % k).collect();
    let mut rows: Vec<Vec<f32>> = (0..n0)
        .map(|i| {
            let mut r: Vec<f32> = (0..d).map(|_| rng.random_range(-3i32..=3) as f32).collect();
            r[30 + y[i]] += 2.0;
            r[5] = 2.0;
            r[17] = 0.0;
            r[90] = -1.5;
            r
        })
        .collect();
    for i in 0..12 {
        let src = (i * 7) % n0;
        rows.push(rows[src].clone());
        y.push(y[src]);
    }
    for i in 0..8 {
        let (a, b) = (&rows[i], &rows[i + 20]);
        let r: Vec<f32> = a.iter().zip(b).map(|(u, v)| 2.0 * u - v).collect();
        rows.push(r);
        y.push((i + 1) % k);
    }
    let n = rows.len();
    let x = Array2::from_shape_vec((n, d), rows.concat()).expect("rectangular");
    assert!(d as f64 > REDUCE_ABOVE * n as f64);
    for j in [5, 17, 90] {
        assert!(x.column(j).iter().all(|&v| v == x[[0, j]]));
    }
    same_optimum(&params(1.0), x.view(), &y, k, ClassWeight::None, n0);
    same_optimum(&params(0.05), x.view(), &y, k, ClassWeight::Balanced, n0);
}

#[test]
fn reduced_and_direct_agree_with_class_weights() {
    // unbalanced: 30 rows of class 0, 8 of class 1, 7 of class 2
    let (x, y) = wide(90, 240, 3, 3);
    let keep: Vec<usize> = (0..90).filter(|&i| y[i] == 0 || i % 4 == 0).collect();
    let xs = x.select(Axis(0), &keep);
    let ys: Vec<usize> = keep.iter().map(|&i| y[i]).collect();
    same_optimum(
        &params(1.0),
        xs.view(),
        &ys,
        3,
        ClassWeight::Balanced,
        keep.len(),
    );
}

#[test]
fn auto_reduces_only_wide_tables_and_the_model_file_is_unchanged() {
    let p = LogisticParams::default();
    let (n, k) = (40, 3);
    for (d, reduced) in [(30, false), (48, false), (49, true), (200, true)] {
        let (x, y) = wide(n, d, k, 4);
        let (m, rep) = fit(&p, x.view(), &y, k, ClassWeight::None, Solver::Auto);
        assert_eq!(rep.rank.is_some(), reduced, "d = {d}: {rep:?}");
        assert_eq!(m.n_features(), d);
        // the fitted model serialises with the fields and shapes of a direct fit
        let (direct, _) = fit(&p, x.view(), &y, k, ClassWeight::None, Solver::Direct);
        let (a, b) = (
            serde_json::to_value(&m).expect("json"),
            serde_json::to_value(&direct).expect("json"),
        );
        let keys = |v: &serde_json::Value| {
            v.as_object()
                .expect("object")
                .keys()
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&a), keys(&b));
        assert_eq!(a["coef"]["dim"], serde_json::json!([k, d]));
        assert_eq!(a["coef"]["dim"], b["coef"]["dim"]);
        assert_eq!(a["intercept"].as_array().map(Vec::len), Some(k));
        let back: LogisticModel = serde_json::from_value(a).expect("load");
        assert_eq!(back, m);
    }
}

#[test]
fn an_all_zero_table_falls_back_to_the_direct_problem() {
    let x = Array2::<f32>::zeros((10, 40));
    let y: Vec<usize> = (0..10).map(|i| i % 2).collect();
    let (m, rep) = fit(
        &LogisticParams::default(),
        x.view(),
        &y,
        2,
        ClassWeight::None,
        Solver::RowSpace,
    );
    assert_eq!(rep.rank, None);
    assert!(m.coef().iter().all(|&v| v == 0.0));
}
