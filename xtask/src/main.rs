//! `cargo xtask <command>`: the ser command line. One module per command, each with a `run`.
//! xtask parses arguments, shows progress and prints; the workflows live in the `ser` crate and
//! the algorithms in the crates below it.

use std::path::Path;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

mod bench_prepare;
mod crosscheck;
mod datasets;
mod demo;
mod epochs;
mod fusion;
mod grid_search;
mod listen;
mod loadtest;
mod mic;
mod predict;
mod prepare;
mod serve;
mod train;

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    about = "ser: speech emotion recognition toolkit"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Time `prepare` stage by stage (and openSMILE, given a Python) on one corpus.
    BenchPrepare(bench_prepare::Args),
    /// Leave-one-speaker-out UAR of the fixed reference models (compare with scripts/sklearn_crosscheck.py).
    Crosscheck(crosscheck::Args),
    /// Inventory of the corpora under a folder.
    Datasets(datasets::Args),
    /// The main job: features + grid search on the corpora present, or on the synthetic demo corpus.
    Demo(demo::Args),
    /// A deep model next to a classical pipeline and their late fusion, same speaker-independent folds.
    Fusion(fusion::Args),
    /// Nested, speaker-grouped grid search over feature tables; writes reports and plots.
    GridSearch(grid_search::Args),
    /// Live emotion lines from a microphone or a file played as a stream.
    Listen(listen::Args),
    /// Post audio to a running server from many clients; print throughput and latency.
    Loadtest(loadtest::Args),
    /// Extract one feature table per corpus (incremental, parallel).
    Prepare(prepare::Args),
    /// Predict emotions of audio files/folders or feature tables with a model file.
    Predict(predict::Args),
    /// Serve a model over HTTP: /predict, /train, /docs, /metrics and a web page.
    Serve(serve::Args),
    /// Fit one pipeline on feature tables and save it as a model file.
    Train(train::Args),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::BenchPrepare(args) => args.run(),
        Command::Datasets(args) => args.run(),
        Command::Demo(args) => args.run(),
        Command::Fusion(args) => args.run(),
        Command::GridSearch(args) => args.run(),
        Command::Listen(args) => args.run(),
        Command::Loadtest(args) => args.run(),
        Command::Prepare(args) => args.run(),
        Command::Serve(args) => args.run(),
        Command::Predict(args) => args.run(),
        Command::Train(args) => args.run(),
        Command::Crosscheck(args) => args.run(),
    }
}

/// Parses a snake-case serde enum value from the command line (dashes read as underscores).
pub(crate) fn parse_snake<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(s.replace('-', "_")))
        .map_err(|e| format!("{s:?}: {e}"))
}

/// A progress bar fed by the workflows' [`ser_features::Progress`] hooks.
pub(crate) struct Bar(ProgressBar);

impl Bar {
    pub(crate) fn new(style: ProgressStyle) -> Self {
        Bar(ProgressBar::new(0).with_style(style))
    }
}

impl ser_features::Progress for Bar {
    fn start(&self, name: &str, to_extract: usize) {
        self.0.reset();
        self.0.set_length(to_extract as u64);
        self.0.set_message(name.to_string());
    }
    fn advance(&self, _path: &Path) {
        self.0.inc(1);
    }
    fn finish(&self, _name: &str) {
        self.0.finish_and_clear();
    }
}
