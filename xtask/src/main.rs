//! `cargo xtask <command>`: the ser command line. One module per command, each with a `run`.
//! xtask only wires the library crates together; algorithms live in the crates.

use clap::{Parser, Subcommand};

mod datasets;
mod demo;
mod grid_search;
mod prepare;

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
    /// Inventory of the corpora under a folder.
    Datasets(datasets::Args),
    /// The main job: features + grid search on the corpora present, or on the synthetic demo corpus.
    Demo(demo::Args),
    /// Nested, speaker-grouped grid search over feature tables; writes reports and plots.
    GridSearch(grid_search::Args),
    /// Extract one feature table per corpus (incremental, parallel).
    Prepare(prepare::Args),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Datasets(args) => args.run(),
        Command::Demo(args) => args.run(),
        Command::GridSearch(args) => args.run(),
        Command::Prepare(args) => args.run(),
    }
}
