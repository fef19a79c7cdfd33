//! `cargo xtask demo`: the main job end to end. Extracts features from the corpora under
//! `--datasets` and runs each corpus's shipped grid-search config; when no corpus is there, it
//! first writes the synthetic demo corpus (`ser_io::demo`) and runs `configs/demo.toml` on it.

use std::path::PathBuf;

use anyhow::Context;

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
        let datasets = self
            .datasets
            .or_else(|| std::env::var_os("SER_DATASETS").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("datasets"));
        let found = if self.synthetic || !datasets.is_dir() {
            Vec::new()
        } else {
            ser_io::discover(&datasets)
                .with_context(|| format!("looking for corpora under {}", datasets.display()))?
        };
        let features = self.out.join("features");
        let (root, corpora) = if found.is_empty() {
            // The folder name `custom` is what `ser_io::discover` recognises the layout by.
            let corpus = self.out.join("custom");
            println!(
                "no corpus under {}: writing the synthetic demo corpus to {}",
                datasets.display(),
                corpus.display()
            );
            let written = ser_io::demo::write_demo_corpus(&corpus, &Default::default())?;
            println!("{} synthetic utterances written", written.len());
            (self.out.clone(), vec!["custom".to_string()])
        } else {
            let names = found.iter().map(|(c, _)| c.as_str().to_string()).collect();
            (datasets, names)
        };
        prepare::Args {
            datasets: Some(root),
            corpora: corpora.clone(),
            feature_set: "default".into(),
            out: features.clone(),
            jobs: 0,
            csv: false,
        }
        .run()?;
        for corpus in corpora {
            let name = if corpus == "custom" {
                "demo"
            } else {
                corpus.as_str()
            };
            let config = PathBuf::from("configs").join(format!("{name}.toml"));
            if !config.is_file() {
                println!(
                    "no shipped config {}: skipping its grid search",
                    config.display()
                );
                continue;
            }
            grid_search::Args {
                config,
                out: Some(self.out.join("grid").join(name)),
                features: Some(features.clone()),
            }
            .run()?;
        }
        Ok(())
    }
}
