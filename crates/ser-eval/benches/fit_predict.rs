//! Fit and predict time of every reference classifier (`ser_eval::crosscheck::reference_models`)
//! on the EMO-DB `default` feature table (535 x 1022, 7 classes), standard-scaled. Inputs are
//! built outside the timed closures; bench ids name the size.
//!
//! The table is read from CSV (ser-eval does not depend on polars), the first that exists of:
//! `$SER_BENCH_CSV`, `/tmp/feat/emodb.default.csv`, `out/features/emodb.default.csv` (write one
//! with `cargo xtask prepare --corpus emodb --csv` or `scripts/sklearn_crosscheck.py TABLE
//! --export-csv FILE`). Both layouts are accepted: ser-features' (metadata columns, `emotion`, then
//! the features after `duration_s`) and `group,label,features...`. Without a table (e.g. when
//! SER_DATASETS is unset) a synthetic matrix of the same shape is used: 7 Gaussian classes on 40
//! informative dimensions.
//!
//! `cargo bench -p ser-eval --bench fit_predict [-- FILTER]`

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ser_eval::crosscheck::reference_models;
use ser_models::*;

const N: usize = 535;
const D: usize = 1022;
const K: usize = 7;

/// Standardised Gaussian blobs: 7 class means on 40 informative dimensions, unit noise.
fn synthetic() -> (Array2<f32>, Vec<usize>) {
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
    (x, y)
}

/// Splits one CSV line, honouring double quotes.
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Features and labels of a CSV table (see the module docs), or `None` when it cannot be read.
fn read_csv(path: &PathBuf) -> Option<(Array2<f32>, Vec<usize>)> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    let header = split_csv(lines.next()?);
    let (label_col, first) = if let Some(e) = header.iter().position(|h| h == "emotion") {
        (e, header.iter().position(|h| h == "duration_s")? + 1)
    } else {
        (header.iter().position(|h| h == "label")?, 2)
    };
    let d = header.len() - first;
    let mut names: Vec<String> = Vec::new();
    let mut y = Vec::new();
    let mut vals = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let f = split_csv(line);
        if f.len() != header.len() {
            return None;
        }
        let label = &f[label_col];
        let idx = match names.iter().position(|n| n == label) {
            Some(i) => i,
            None => {
                names.push(label.clone());
                names.len() - 1
            }
        };
        y.push(idx);
        for v in &f[first..] {
            vals.push(v.parse::<f32>().ok()?);
        }
    }
    // Class indices in sorted label order.
    let mut sorted = names.clone();
    sorted.sort();
    let y = y
        .iter()
        .map(|&i| sorted.iter().position(|s| *s == names[i]).unwrap_or(0))
        .collect();
    Some((Array2::from_shape_vec((vals.len() / d, d), vals).ok()?, y))
}

fn data() -> (Array2<f32>, Vec<usize>, String) {
    let candidates: Vec<PathBuf> = std::env::var_os("SER_BENCH_CSV")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            PathBuf::from("/tmp/feat/emodb.default.csv"),
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../out/features/emodb.default.csv"
            )),
        ])
        .collect();
    let (x, y, what) = candidates
        .iter()
        .find_map(|p| read_csv(p).map(|(x, y)| (x, y, format!("table {}", p.display()))))
        .unwrap_or_else(|| {
            let (x, y) = synthetic();
            (x, y, "synthetic table".to_string())
        });
    let sc = ScalerSpec::Standard.fit(x.view()).expect("scaler");
    (sc.transform(x.view()).expect("transform"), y, what)
}

fn bench(c: &mut Criterion) {
    let (x, y, what) = data();
    let (n, d) = x.dim();
    let k = y.iter().copied().max().unwrap_or(0) + 1;
    eprintln!("fit_predict: {what}, {n} x {d}, {k} classes");
    let mut specs: Vec<(String, ModelSpec, ClassWeight)> = reference_models()
        .into_iter()
        .map(|m| (m.name.to_string(), m.spec, m.class_weight))
        .collect();
    specs.insert(
        1,
        (
            "svm_rbf_proba".into(),
            ModelSpec::Svm(SvmParams::default()),
            ClassWeight::Balanced,
        ),
    );
    specs.push((
        "gradient_boosting_defaults".into(),
        ModelSpec::GradientBoosting(GradientBoostingParams::default()),
        ClassWeight::Balanced,
    ));
    let mut g = c.benchmark_group("models");
    g.sample_size(10);
    for (name, spec, class_weight) in specs {
        let opts = FitOptions {
            seed: 0,
            class_weight,
            groups: None,
        };
        g.bench_function(format!("fit/{name}/{n}x{d}x{k}"), |b| {
            b.iter(|| spec.fit(x.view(), &y, k, &opts).expect("fit"))
        });
        let m = spec.fit(x.view(), &y, k, &opts).expect("fit");
        g.bench_function(format!("predict/{name}/{n}x{d}"), |b| {
            b.iter(|| m.predict(x.view()).expect("predict"))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
