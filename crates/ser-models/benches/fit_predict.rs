//! Fit and predict time of every classifier on a synthetic 535 x 1000 matrix with 7 classes
//! (the size of the EMO-DB `default` feature table). Inputs are built outside the timed closures.
//! `cargo bench -p ser-models --bench fit_predict`

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ser_models::*;

const N: usize = 535;
const D: usize = 1000;
const K: usize = 7;

/// Standardised Gaussian blobs: 7 class means on 40 informative dimensions, unit noise.
fn data() -> (Array2<f32>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut normal = move || {
        let u1: f64 = rng.random::<f64>().max(1e-300);
        let u2: f64 = rng.random();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    };
    let means: Vec<Vec<f64>> = (0..K)
        .map(|_| {
            (0..D)
                .map(|j| if j < 40 { 0.5 * normal() } else { 0.0 })
                .collect()
        })
        .collect();
    let mut x = Array2::<f32>::zeros((N, D));
    let y: Vec<usize> = (0..N).map(|i| i % K).collect();
    for i in 0..N {
        for j in 0..D {
            x[[i, j]] = (means[y[i]][j] + normal()) as f32;
        }
    }
    let sc = ScalerSpec::Standard.fit(x.view()).expect("scaler");
    (sc.transform(x.view()).expect("transform"), y)
}

fn specs() -> Vec<(&'static str, ModelSpec)> {
    vec![
        (
            "svm_rbf",
            ModelSpec::Svm(SvmParams {
                probability: false,
                ..SvmParams::default()
            }),
        ),
        ("svm_rbf_proba", ModelSpec::Svm(SvmParams::default())),
        (
            "svm_linear",
            ModelSpec::Svm(SvmParams {
                kernel: KernelKind::Linear,
                probability: false,
                ..SvmParams::default()
            }),
        ),
        (
            "logistic_regression",
            ModelSpec::LogisticRegression(LogisticParams::default()),
        ),
        (
            "random_forest",
            ModelSpec::RandomForest(RandomForestParams::default()),
        ),
        ("knn", ModelSpec::Knn(KnnParams::default())),
        (
            "naive_bayes",
            ModelSpec::NaiveBayes(NaiveBayesParams::default()),
        ),
        (
            "gradient_boosting",
            ModelSpec::GradientBoosting(GradientBoostingParams::default()),
        ),
        ("mlp", ModelSpec::Mlp(MlpParams::default())),
    ]
}

fn bench(c: &mut Criterion) {
    let (x, y) = data();
    let opts = FitOptions::default();
    let mut g = c.benchmark_group("models");
    g.sample_size(10);
    for (name, spec) in specs() {
        g.bench_function(format!("fit/{name}/{N}x{D}x{K}"), |b| {
            b.iter(|| spec.fit(x.view(), &y, K, &opts).expect("fit"))
        });
        let m = spec.fit(x.view(), &y, K, &opts).expect("fit");
        g.bench_function(format!("predict/{name}/{N}x{D}"), |b| {
            b.iter(|| m.predict(x.view()).expect("predict"))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
