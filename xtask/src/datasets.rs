use std::path::PathBuf;

use anyhow::Context;
use ser_io::{Corpus, Inventory};

/// `cargo xtask datasets [--root DIR] [--corpus NAME=PATH ...] [--json]`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder holding the corpora (`emodb/`, `ravdess/`, ...), found by layout.
    #[arg(long, default_value = "datasets")]
    pub root: PathBuf,
    /// An explicit corpus, e.g. `--corpus emodb=/data/emodb` (repeatable); replaces discovery.
    #[arg(long = "corpus", value_name = "NAME=PATH")]
    pub corpora: Vec<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Parse `NAME=PATH` into a corpus and its folder.
pub fn parse_corpus_arg(arg: &str) -> anyhow::Result<(Corpus, PathBuf)> {
    let (name, path) = arg.split_once('=').with_context(|| {
        format!("--corpus {arg:?}: expected NAME=PATH, e.g. emodb=datasets/emodb")
    })?;
    let corpus: Corpus = name.parse()?;
    Ok((corpus, PathBuf::from(path)))
}

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        let inventory = if self.corpora.is_empty() {
            Inventory::of_root(&self.root)
                .with_context(|| format!("inventory of {}", self.root.display()))?
        } else {
            let list = self
                .corpora
                .iter()
                .map(|a| parse_corpus_arg(a))
                .collect::<anyhow::Result<Vec<_>>>()?;
            Inventory::of_corpora(&list)?
        };
        if self.json {
            println!("{}", serde_json::to_string_pretty(&inventory)?);
        } else {
            print!("{inventory}");
        }
        Ok(())
    }
}
