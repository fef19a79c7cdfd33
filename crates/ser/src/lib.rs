//! `ser`: speech emotion recognition workflows, the one API every front-end calls.
//!
//! The crates below do the work — `ser-io` (corpora, decoding), `ser-dsp` (descriptors),
//! `ser-features` (feature sets, tables), `ser-models` (classifiers, pipelines), `ser-eval`
//! (splits, grid search, reports) — and this crate composes them into the workflows a user runs,
//! with typed inputs and outputs and no printing:
//!
//! | workflow | function | front-end |
//! |---|---|---|
//! | corpora → feature tables | [`prepare::prepare`] | `cargo xtask prepare` |
//! | tables → model file | [`train::train`] | `cargo xtask train`, the server's `/train` |
//! | audio / tables → predictions | [`predict::predict`] | `cargo xtask predict`, `/predict` |
//! | tables → nested grid search, reports | [`evaluate::GridJob`] | `cargo xtask grid-search` |
//! | tables → deep vs classical vs late fusion | [`fusion::FusionJob`] | `cargo xtask fusion` |
//! | the main job | [`demo::plan`] + the above | `cargo xtask demo` |
//! | audio chunks → live segments | [`stream::Recogniser`] | `cargo xtask listen`, `/stream` |
//!
//! Front-ends (xtask's command line, the HTTP server, a notebook binding one day) parse
//! arguments, show progress and print; they never re-implement a workflow, as rust-analyzer's
//! front-ends all call its `ide` crate. The [`ModelFile`] is the model on disk: the fitted
//! [`ser_models::Pipeline`] with the feature-set configuration it was trained on, typed.

pub mod augment;
pub mod bench;
pub mod demo;
mod error;
pub mod evaluate;
pub mod fusion;
mod model_file;
pub mod predict;
pub mod prepare;
pub mod stream;
pub mod tables;
pub mod train;

pub use error::{Error, Result};
pub use model_file::ModelFile;

pub use ser_eval::Normalisation;
