//! Leave-one-group-out UAR of the reference models (`ser_eval::crosscheck::reference_models`)
//! on a CSV `group,label,f0,f1,...` (header row; `scripts/sklearn_crosscheck.py TABLE --export-csv`
//! writes one from a feature table), standard scaling fitted on each training fold. The
//! scikit-learn twin is `scripts/sklearn_crosscheck.py`; `cargo xtask crosscheck` does the same
//! straight from a parquet feature table.
//!
//! `cargo run --release -p ser-eval --example crosscheck -- table.csv [name...]`
//! Environment: `SEEDS=0,1,2` runs random models once per seed; `CLASS_WEIGHT=none|balanced` and
//! `RF_MAX_BINS=N`, `GBM_MAX_FEATURES='"sqrt"'|0.5|100` override the reference settings (for
//! experiments).

use ndarray::Array2;
use ser_eval::crosscheck::{leave_one_group_out, reference_models};
use ser_models::ModelSpec;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).ok_or("usage: crosscheck TABLE.csv [name...]")?;
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
    let seeds: Vec<u64> = std::env::var("SEEDS")
        .unwrap_or_else(|_| "0".into())
        .split(',')
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()?;
    let wanted: Vec<&String> = args.iter().skip(2).collect();
    println!("# {path}: {n} rows, {d} features, {k} classes");
    println!(
        "{:<20} {:>4} {:>10} {:>9} {:>7}",
        "model", "seed", "pooled_uar", "fold_mean", "secs"
    );
    for mut m in reference_models() {
        if let (Ok(b), ModelSpec::RandomForest(p)) = (std::env::var("RF_MAX_BINS"), &mut m.spec) {
            p.max_bins = b.parse()?;
        }
        if let (Ok(f), ModelSpec::GradientBoosting(p)) =
            (std::env::var("GBM_MAX_FEATURES"), &mut m.spec)
        {
            p.max_features = serde_json::from_str(&f)?;
        }
        if let Ok(cw) = std::env::var("CLASS_WEIGHT") {
            m.class_weight = serde_json::from_value(serde_json::Value::String(cw))?;
        }
        if !wanted.is_empty() && !wanted.iter().any(|w| w.as_str() == m.name) {
            continue;
        }
        let random = matches!(m.name, "random_forest" | "gradient_boosting" | "mlp");
        let mut pooled = Vec::new();
        for &seed in if random { &seeds[..] } else { &seeds[..1] } {
            let r = leave_one_group_out(x.view(), &y, k, &groups, &m.spec, m.class_weight, seed)?;
            println!(
                "{:<20} {:>4} {:>10.4} {:>9.4} {:>7.1}",
                m.name, seed, r.pooled_uar, r.fold_mean_uar, r.wall_s
            );
            pooled.push(r.pooled_uar);
        }
        if pooled.len() > 1 {
            println!(
                "{:<20} mean {:>10.4}",
                m.name,
                pooled.iter().sum::<f64>() / pooled.len() as f64
            );
        }
    }
    Ok(())
}
