//! `cargo xtask crosscheck --table FILE.parquet [--models a,b] [--seeds 0,1,2]`: leave-one-speaker-out
//! UAR of the fixed reference models (`ser_eval::crosscheck::reference_models`, standard scaler
//! fitted on the training speakers, balanced class weights where supported), printed in the same
//! table as `scripts/sklearn_crosscheck.py` prints for scikit-learn on the same file.

use std::path::PathBuf;

use anyhow::bail;
use ser_eval::crosscheck::{leave_one_group_out, reference_models};

use ser::tables::{encode_labels, read_tables};

/// Arguments of `crosscheck`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Feature table (`.parquet` written by `cargo xtask prepare`).
    #[arg(long)]
    pub table: PathBuf,
    /// Comma-separated subset of: svm_rbf, svm_linear, svm_poly, logistic_regression,
    /// random_forest, knn, gradient_boosting, naive_bayes, mlp.
    #[arg(long, default_value = "")]
    pub models: String,
    /// Comma-separated seeds; random models (forest, boosting, MLP) run once per seed.
    #[arg(long, default_value = "0")]
    pub seeds: String,
}

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        let t = read_tables(std::slice::from_ref(&self.table))?;
        let (labels, y) = encode_labels(&t.data)?;
        let seeds: Vec<u64> = self
            .seeds
            .split(',')
            .map(|s| s.trim().parse())
            .collect::<Result<_, _>>()?;
        let wanted: Vec<&str> = self.models.split(',').filter(|s| !s.is_empty()).collect();
        let all = reference_models();
        if let Some(w) = wanted.iter().find(|w| !all.iter().any(|m| m.name == **w)) {
            bail!("unknown model {w:?}");
        }
        let mut speakers = t.data.speakers.clone();
        speakers.sort();
        speakers.dedup();
        println!(
            "# {}: {} rows, {} features, {} classes {:?}, {} speaker folds",
            self.table.display(),
            t.data.x.nrows(),
            t.data.x.ncols(),
            labels.len(),
            labels,
            speakers.len()
        );
        println!(
            "{:<20} {:>4} {:>10} {:>9} {:>7}",
            "model", "seed", "pooled_uar", "fold_mean", "secs"
        );
        for m in all {
            if !wanted.is_empty() && !wanted.contains(&m.name) {
                continue;
            }
            let random = matches!(m.name, "random_forest" | "gradient_boosting" | "mlp");
            let mut runs = Vec::new();
            for &seed in if random { &seeds[..] } else { &seeds[..1] } {
                let r = leave_one_group_out(
                    t.data.x.view(),
                    &y,
                    labels.len(),
                    &t.data.speakers,
                    &m.spec,
                    m.class_weight,
                    seed,
                )?;
                println!(
                    "{:<20} {:>4} {:>10.4} {:>9.4} {:>7.1}",
                    m.name, seed, r.pooled_uar, r.fold_mean_uar, r.wall_s
                );
                runs.push((r.pooled_uar, r.fold_mean_uar));
            }
            if runs.len() > 1 {
                let k = runs.len() as f64;
                println!(
                    "{:<20} mean {:>10.4} {:>9.4}",
                    m.name,
                    runs.iter().map(|r| r.0).sum::<f64>() / k,
                    runs.iter().map(|r| r.1).sum::<f64>() / k
                );
            }
        }
        Ok(())
    }
}
