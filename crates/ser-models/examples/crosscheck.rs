//! Leave-one-group-out UAR of every classifier on a CSV `group,label,f0,f1,...` (header row),
//! standard scaling fitted on each training fold. Used to compare against scikit-learn on the
//! same table and folds: `cargo run --release -p ser-models --example crosscheck -- table.csv [kind...]`.

use std::time::Instant;

use ndarray::{Array2, Axis};
use ser_models::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).ok_or("usage: crosscheck TABLE.csv [kind...]")?;
    let text = std::fs::read_to_string(path)?;
    let mut lines = text.lines();
    let header = lines.next().ok_or("empty csv")?;
    let d = header.split(',').count() - 2;
    let mut groups = Vec::new();
    let mut y = Vec::new();
    let mut vals = Vec::new();
    for line in lines {
        let mut it = line.split(',');
        groups.push(it.next().ok_or("group")?.to_string());
        y.push(it.next().ok_or("label")?.parse::<usize>()?);
        for v in it {
            vals.push(v.parse::<f32>()?);
        }
    }
    let n = y.len();
    let x = Array2::from_shape_vec((n, d), vals)?;
    let k = y.iter().copied().max().unwrap_or(0) + 1;
    let mut uniq = groups.clone();
    uniq.sort();
    uniq.dedup();
    let specs: Vec<ModelSpec> = vec![
        ModelSpec::Svm(SvmParams {
            probability: false,
            ..SvmParams::default()
        }),
        ModelSpec::Svm(SvmParams {
            kernel: KernelKind::Linear,
            c: 0.01,
            probability: false,
            ..SvmParams::default()
        }),
        ModelSpec::LogisticRegression(LogisticParams::default()),
        ModelSpec::RandomForest(RandomForestParams {
            max_bins: std::env::var("BINS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(255),
            ..RandomForestParams::default()
        }),
        ModelSpec::Knn(KnnParams::default()),
        ModelSpec::NaiveBayes(NaiveBayesParams::default()),
        ModelSpec::GradientBoosting(GradientBoostingParams::default()),
        ModelSpec::Mlp(MlpParams::default()),
    ];
    let wanted: Vec<&String> = args.iter().skip(2).collect();
    for spec in specs {
        if !wanted.is_empty() && !wanted.iter().any(|w| w.as_str() == spec.kind()) {
            continue;
        }
        for cw in [ClassWeight::None, ClassWeight::Balanced] {
            let t0 = Instant::now();
            let mut pred = vec![0usize; n];
            for g in &uniq {
                let tr: Vec<usize> = (0..n).filter(|&i| &groups[i] != g).collect();
                let te: Vec<usize> = (0..n).filter(|&i| &groups[i] == g).collect();
                let xtr = x.select(Axis(0), &tr);
                let xte = x.select(Axis(0), &te);
                let sc = ScalerSpec::Standard.fit(xtr.view())?;
                let (xtr, xte) = (sc.transform(xtr.view())?, sc.transform(xte.view())?);
                let ytr: Vec<usize> = tr.iter().map(|&i| y[i]).collect();
                let gtr: Vec<String> = tr.iter().map(|&i| groups[i].clone()).collect();
                let seed = std::env::var("SEED")
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let opts = FitOptions {
                    seed,
                    class_weight: cw,
                    groups: Some(gtr),
                };
                let m = spec.fit(xtr.view(), &ytr, k, &opts)?;
                for (&i, p) in te.iter().zip(m.predict(xte.view())?) {
                    pred[i] = p;
                }
            }
            let recall: Vec<f64> = (0..k)
                .map(|c| {
                    let tot = (0..n).filter(|&i| y[i] == c).count();
                    let ok = (0..n).filter(|&i| y[i] == c && pred[i] == c).count();
                    ok as f64 / tot.max(1) as f64
                })
                .collect();
            let uar = recall.iter().sum::<f64>() / k as f64;
            println!(
                "{:<22} {:<9} UAR {:.4}  ({:.2} s for {} folds)",
                format!("{}", serde_json::to_string(&spec.kind())?),
                format!("{cw:?}"),
                uar,
                t0.elapsed().as_secs_f64(),
                uniq.len()
            );
        }
    }
    Ok(())
}
