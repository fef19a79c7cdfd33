//! `cargo xtask grid-search --config FILE [--out DIR] [--features DIR]`: nested, speaker-grouped
//! grid search over feature tables written by `cargo xtask prepare` (`ser::evaluate`).

use std::path::PathBuf;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use ser::evaluate::{GridJob, GridResult};

/// Arguments of `grid-search`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Grid-search config (TOML, see configs/).
    #[arg(long)]
    pub config: PathBuf,
    /// Output folder [default: out/grid/<config name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Folder of `<corpus>.<feature_set>.parquet` tables [default: the config's
    /// `features_dir`, else out/features].
    #[arg(long)]
    pub features: Option<PathBuf>,
}

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        self.run_job().map(drop)
    }

    /// Runs the search, prints its figures, and returns the job and its result.
    pub fn run_job(self) -> anyhow::Result<(GridJob, GridResult)> {
        let start = Instant::now();
        let job = GridJob::load(&self.config, self.features.as_deref(), self.out.as_deref())?;
        println!(
            "grid-search {}: {} rows, {} features, {} candidate(s), normalisation {:?}",
            self.config.display(),
            job.data.n_rows(),
            job.data.x.ncols(),
            job.config.candidates.len(),
            job.config
                .raw
                .normalisation
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
        );
        let bar = ProgressBar::new(0).with_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} fits ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let progress = |done: usize, total: usize| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        };
        let r = job.run(&progress)?;
        bar.finish_and_clear();
        let outcome = &r.outcome;
        if !outcome.speaker_independent {
            println!("WARNING: speaker-DEPENDENT split (random); see report.md");
        }
        println!("split: {}", outcome.outer.describe());
        for n in &outcome.nested {
            let [uar, ci, fold, acc, f1] = ser_eval::report::nested_figures(n);
            println!(
                "{:<12} UAR {uar} 95% CI {ci}  fold mean {fold}  accuracy {acc}  macro-F1 {f1}",
                n.normalisation.as_str()
            );
        }
        let best = outcome.best();
        let mut chosen: Vec<&str> = best.chosen.iter().map(|c| c.1.as_str()).collect();
        chosen.sort_unstable();
        chosen.dedup();
        println!(
            "best: {} normalisation, chosen per fold: {}",
            best.normalisation.as_str(),
            chosen.join(" | ")
        );
        println!(
            "time: {:.1} s (search {:.1} s); report: {}",
            start.elapsed().as_secs_f64(),
            outcome.wall_time_s,
            r.written.report_md.display()
        );
        Ok((job, r))
    }
}
