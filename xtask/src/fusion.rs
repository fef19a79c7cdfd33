//! `cargo xtask fusion --config FILE [--features DIR] [--out DIR] [--folds 0,1]`: a deep model
//! next to a classical pipeline and their late fusion on the same speaker-independent folds
//! (`ser::fusion`); a line per fold, the pooled figures at the end.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use ser::fusion::{FoldResult, FusionJob};

/// Arguments of `fusion`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Fusion config (TOML, see configs/deep/).
    #[arg(long)]
    pub config: PathBuf,
    /// Folder of feature tables.
    #[arg(long, default_value = "out/features")]
    pub features: PathBuf,
    /// Output folder [default: out/fusion/<config file stem>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run only these folds (0-based, comma separated), overriding the config's `folds`.
    #[arg(long, value_delimiter = ',')]
    pub folds: Option<Vec<usize>>,
}

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        let stem = self
            .config
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "fusion".into());
        let out = self
            .out
            .unwrap_or_else(|| PathBuf::from("out/fusion").join(stem));
        let mut job = FusionJob::load(&self.config, &self.features, &out)?;
        if let Some(f) = self.folds {
            job.config.folds = Some(f);
        }
        println!(
            "fusion {}: {} paired rows; deep {} on {}, classical {} on {}; {}",
            self.config.display(),
            job.n_rows(),
            job.config.deep.model.kind(),
            job.config.deep.feature_set,
            job.config.classical.model.kind(),
            job.config.classical.feature_set,
            job.config.outer.describe()
        );
        let bar = ProgressBar::new(0).with_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} folds ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let epochs = crate::epochs::EpochBar::install();
        let progress = |done: usize, total: usize, f: &FoldResult| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            let line = format!(
                "fold {:>2} {:<12} deep {:.3} ({:.0} s, {} epochs, kept {})  classical {:.3}  fused {:.3}",
                f.fold,
                f.name,
                f.uar_deep,
                f.deep_fit_s,
                f.deep_epochs,
                f.deep_best_epoch,
                f.uar_classical,
                f.uar_fused
            );
            // A hidden bar (output not a terminal: a log file) prints nothing itself.
            if bar.is_hidden() {
                println!("{line}");
            } else {
                bar.println(line);
            }
        };
        let r = job.run(&progress);
        drop(epochs);
        bar.finish_and_clear();
        let r = r?;
        for (name, p) in [
            ("deep", &r.deep),
            ("classical", &r.classical),
            ("fusion", &r.fused),
        ] {
            if let Some(p) = p {
                println!(
                    "{name:<10} UAR {:.3}  fold mean {:.3} ± {:.3}  accuracy {:.3}  macro-F1 {:.3}",
                    p.uar, p.fold_uar_mean, p.fold_uar_std, p.accuracy, p.macro_f1
                );
            }
        }
        println!(
            "deep training per fold: {:.1} s mean; {} of {} folds; {:.1} s in all; report: {}",
            r.deep_fit_s_mean,
            r.folds.len(),
            r.n_folds_total,
            r.elapsed_s,
            out.join("report.md").display()
        );
        Ok(())
    }
}
