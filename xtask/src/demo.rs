//! `cargo xtask demo`: the main job end to end. Extracts features from the corpora under
//! `--datasets` and runs each corpus's shipped grid-search config; when no corpus is there, it
//! first writes the synthetic demo corpus (`ser_io::demo`) and runs `configs/demo.toml` on it
//! (the plan is `ser::demo::plan`).

use std::path::{Path, PathBuf};

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
        }
        .run()?;
        for (name, config) in plan.grids {
            let Some(config) = config else {
                println!("no shipped config configs/{name}.toml: skipping its grid search");
                continue;
            };
            grid_search::Args {
                config,
                out: Some(self.out.join("grid").join(&name)),
                features: Some(features.clone()),
            }
            .run()?;
        }
        Ok(())
    }
}
