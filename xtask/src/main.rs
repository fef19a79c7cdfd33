//! `cargo xtask <command>`: the ser command line. One module per command, each with a `run`.
//! xtask only wires the library crates together; algorithms live in the crates.

use clap::{Parser, Subcommand};

mod crosscheck;
mod datasets;
mod demo;
mod grid_search;
mod predict;
mod prepare;
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
    /// Leave-one-speaker-out UAR of the fixed reference models (compare with scripts/sklearn_crosscheck.py).
    Crosscheck(crosscheck::Args),
    /// Inventory of the corpora under a folder.
    Datasets(datasets::Args),
    /// The main job: features + grid search on the corpora present, or on the synthetic demo corpus.
    Demo(demo::Args),
    /// Nested, speaker-grouped grid search over feature tables; writes reports and plots.
    GridSearch(grid_search::Args),
    /// Extract one feature table per corpus (incremental, parallel).
    Prepare(prepare::Args),
    /// Predict emotions of audio files/folders or feature tables with a model file.
    Predict(predict::Args),
    /// Fit one pipeline on feature tables and save it as a model file.
    Train(train::Args),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Datasets(args) => args.run(),
        Command::Demo(args) => args.run(),
        Command::GridSearch(args) => args.run(),
        Command::Prepare(args) => args.run(),
        Command::Predict(args) => args.run(),
        Command::Train(args) => args.run(),
        Command::Crosscheck(args) => args.run(),
    }
}
