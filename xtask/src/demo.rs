//! `cargo xtask demo`: the main job end to end. Extracts features from the corpora under
//! `--datasets` and runs each corpus's shipped grid-search config; when no corpus is there, it
//! first writes the synthetic demo corpus (`ser_io::demo`) and runs `configs/demo.toml` on it
//! (the plan is `ser::demo::plan`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ser::evaluate::{GridJob, GridResult};
use ser::train::TableSource;

use crate::{grid_search, prepare};

/// `cargo xtask demo [--datasets DIR] [--out DIR]`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder holding real corpora (default: $SER_DATASETS, else `datasets`).
    #[arg(long)]
    pub datasets: Option<PathBuf>,
    /// Output folder (features, demo corpus, reports).
    #[arg(long, default_value = "out/demo")]
    pub out: PathBuf,
    /// Use the synthetic demo corpus even when real corpora are present.
    #[arg(long)]
    pub synthetic: bool,
}

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        let datasets = ser::prepare::datasets_root(self.datasets.as_deref());
        let plan = ser::demo::plan(&datasets, &self.out, self.synthetic, Path::new("configs"))?;
        if let Some(n) = plan.synthetic {
            println!(
                "no corpus under {}: wrote the synthetic demo corpus ({n} utterances) to {}",
                datasets.display(),
                plan.root.join("custom").display()
            );
        }
        let features = self.out.join("features");
        prepare::Args {
            datasets: Some(plan.root),
            corpora: plan.corpora,
            feature_set: "default".into(),
            out: features.clone(),
            jobs: 0,
            csv: false,
            augment: None,
        }
        .run()?;
        let mut first: Option<(String, GridJob, GridResult)> = None;
        for (name, config) in plan.grids {
            let Some(config) = config else {
                println!("no shipped config configs/{name}.toml: skipping its grid search");
                continue;
            };
            let (job, result) = grid_search::Args {
                config,
                out: Some(self.out.join("grid").join(&name)),
                features: Some(features.clone()),
            }
            .run_job()?;
            if first.is_none() {
                first = Some((name, job, result));
            }
        }
        // The model to use and serve: the first corpus's most often chosen candidate, fitted on
        // all of its speakers.
        if let Some((name, job, result)) = first {
            let settings = job.final_settings(&result)?;
            let corpus = job.data.corpus_names();
            let source = TableSource {
                features: features.clone(),
                corpora: corpus,
                feature_set: Some("default".into()),
            };
            let notes = BTreeMap::from([(
                "trained_by".to_string(),
                format!("cargo xtask demo ({name}: the grid search's most chosen candidate)"),
            )]);
            let t = ser::train::train(&source, &settings, notes)?;
            for w in &t.warnings {
                eprintln!("warning: {w}");
            }
            let model_path = self.out.join("model.json");
            t.model.save(&model_path)?;
            println!(
                "model: {} ({}, {} normalisation, trained on {} rows of {} speakers)",
                model_path.display(),
                serde_json::to_string(&settings.model)?,
                settings.normalisation.as_str(),
                t.n_rows,
                t.speakers.len()
            );
            println!(
                "serve it: cargo xtask serve --model {} --data-root {}",
                model_path.display(),
                self.out.display()
            );
        }
        Ok(())
    }
}
