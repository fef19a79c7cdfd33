//! `ser-eval`: speaker-independent evaluation of speech-emotion classifiers.
//!
//! - [`split`]: the [`Dataset`] type and speaker-grouped splits ([`SplitSpec`], [`Fold`]).
//! - [`metrics`]: UAR, accuracy, macro/weighted F1, per-class P/R/F1, confusion matrix,
//!   bootstrap confidence interval, per-speaker breakdown (scikit-learn definitions).
//! - [`grid`]: the TOML grid-search configuration ([`GridConfig`]) and its candidates.
//! - [`cv`]: nested cross-validation ([`cv::run`]) producing a [`GridOutcome`].
//! - [`crosscheck`]: the fixed reference models compared with scikit-learn and their
//!   leave-one-group-out runner.
//! - [`report`] and [`plot`]: `report.md`, `results.csv/json`, `predictions.csv`, confusion
//!   matrix PNG/SVG and the emotion distribution chart.
//!
//! ser-eval knows nothing about how features were made; it depends on ser-models only.

pub mod crosscheck;
pub mod cv;
mod error;
pub mod grid;
pub mod metrics;
pub mod plot;
pub mod report;
pub mod split;

pub use cv::{GridOutcome, select_rows};
pub use error::{Error, Result};
pub use grid::{CheckedConfig, GridConfig, Normalisation};
pub use metrics::{ClassMetrics, Interval, Metrics, SpeakerMetrics};
pub use split::{Dataset, Fold, SplitSpec};

/// Restricts the rows ([`select_rows`]), runs the nested search ([`cv::run`]) and returns the
/// evaluated data with the outcome.
pub fn run_grid_search(
    data: &Dataset,
    cfg: &CheckedConfig,
    progress: cv::Progress<'_>,
) -> Result<(Dataset, GridOutcome)> {
    let (d, dropped) = select_rows(data, cfg)?;
    let out = cv::run(&d, cfg, dropped, progress)?;
    Ok((d, out))
}
