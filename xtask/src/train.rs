//! `cargo xtask train`: fit one pipeline (normalisation, scaler, classifier) on feature tables
//! written by `cargo xtask prepare` and save it as one model file (`ser::train`).
//!
//! ```text
//! cargo xtask train --features out/features --corpus emodb --model svm --set c=10 --out model.json
//! cargo xtask train --features out/features --config configs/train_svm.toml --out model.json
//! ```
//!
//! Hyper-parameters: `--set key=value` (repeatable; values are read as JSON when they parse,
//! else as strings: `--set c=10 --set gamma=scale --set hidden_layers=[128,64]`) on top of the
//! defaults of `--model KIND`, or a TOML file `--config FILE` (keys in `ser::train`'s docs:
//! `normalisation`, `scaler`, `class_weight`, `seed`, `min_utterances`, `[model]`).
//!
//! Command-line flags override the file. The model file records the feature set's full
//! configuration (so `predict` can extract the same features from audio), the training speakers,
//! corpora, seed and the resubstitution UAR (optimistic; use `grid-search` for an estimate).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use ser::Normalisation;
use ser::train::{TrainConfig, model_spec, train};
use ser_models::{ClassWeight, ScalerSpec};

use crate::parse_snake;

/// Arguments of `train`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder of `<corpus>.<feature_set>.parquet` tables, or one `.parquet` file.
    /// [default: out/features]
    #[arg(long)]
    pub features: Option<PathBuf>,
    /// Corpora to train on (tables `<corpus>.<feature_set>.parquet`); repeatable. Default: every
    /// table of the feature set in the folder.
    #[arg(long = "corpus", num_args = 1..)]
    pub corpora: Vec<String>,
    /// Feature set: a built-in name or a TOML file (default: the tables' set, `default`).
    #[arg(long)]
    pub feature_set: Option<String>,
    /// Classifier: svm, logistic_regression, knn, naive_bayes, random_forest, gradient_boosting,
    /// mlp. Models holding other models (`select`, `speaker_projection`, `ensemble`) are given as a `[model]` table in
    /// `--config`.
    #[arg(long)]
    pub model: Option<String>,
    /// Hyper-parameter `key=value` of the model (repeatable), e.g. `c=10`, `kernel=linear`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// TOML file with `[model]` and optional normalisation/scaler/class_weight/seed.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Normalisation protocol: training | per-speaker | enrolment (a per-speaker model) |
    /// enrolment-shrunk (each speaker centred on its shrunk mean) [default: training].
    #[arg(long, value_parser = parse_snake::<Normalisation>)]
    pub normalisation: Option<Normalisation>,
    /// Scaler fitted on the (normalised) training rows: none | standard | robust | min-max |
    /// quantile [default: standard].
    #[arg(long, value_parser = parse_snake::<ScalerSpec>)]
    pub scaler: Option<ScalerSpec>,
    /// Class weighting: none | balanced [default: balanced].
    #[arg(long, value_parser = parse_snake::<ClassWeight>)]
    pub class_weight: Option<ClassWeight>,
    /// Seed of every random choice [default: 42].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Minimum utterances per speaker for per-speaker normalisation [default: 5].
    #[arg(long)]
    pub min_utterances: Option<usize>,
    /// Output model file (written through a temporary file and a rename).
    #[arg(long, default_value = "out/model.json")]
    pub out: PathBuf,
}

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        let start = Instant::now();
        let file = match &self.config {
            Some(p) => TrainConfig::from_toml_file(p)?,
            None => TrainConfig::default(),
        };
        let model = match (&self.model, &file.model) {
            (Some(kind), base) => Some(model_spec(kind, base.as_ref(), &self.set)?),
            (None, Some(base)) => Some(model_spec(base.kind(), Some(base), &self.set)?),
            (None, None) => None,
        };
        let flags = TrainConfig {
            features: self.features,
            corpora: (!self.corpora.is_empty()).then_some(self.corpora),
            feature_set: self.feature_set,
            model,
            normalisation: self.normalisation,
            scaler: self.scaler,
            class_weight: self.class_weight,
            seed: self.seed,
            min_utterances: self.min_utterances,
            augment: None,
        };
        let config = flags.over(file);
        let settings = config.settings()?;
        let source = config.source();
        let notes = BTreeMap::from([(
            "command".to_string(),
            std::env::args().collect::<Vec<_>>().join(" "),
        )]);
        println!(
            "training {} (normalisation {:?}, scaler {:?}, class weight {:?}, seed {})",
            settings.model.kind(),
            settings.normalisation,
            settings.scaler,
            settings.class_weight,
            settings.seed
        );
        let epochs = crate::epochs::EpochBar::install();
        let t = train(&source, &settings, notes);
        drop(epochs);
        let t = t?;
        for w in &t.warnings {
            eprintln!("warning: {w}");
        }
        let p = &t.model.pipeline;
        println!(
            "trained on {} rows x {} features ({} speakers, corpora {:?}), labels {:?}",
            t.n_rows,
            t.n_features,
            t.speakers.len(),
            t.corpora,
            p.labels
        );
        t.model.save(&self.out)?;
        println!("model: {}", serde_json::to_string(&settings.model)?);
        if let Some(d) = p
            .model
            .fitted()
            .as_any()
            .downcast_ref::<ser_models::DeepModel>()
        {
            let png = self.out.with_extension("training_curve.png");
            let curve = ser_eval::plot::TrainingCurve {
                label: "validation speakers".into(),
                epochs: d
                    .history
                    .iter()
                    .map(|e| (e.epoch, e.train_loss, e.val_loss, e.val_uar))
                    .collect(),
            };
            ser_eval::plot::training_curve_png(&png, &[curve], d.params.architecture.as_str())?;
            println!(
                "{} epochs, kept epoch {} (validation speakers {:?}); training curve: {}",
                d.history.len(),
                d.best_epoch,
                d.validation_groups,
                png.display()
            );
        }
        for (label, n) in p.labels.iter().zip(&p.summary.rows_per_label) {
            println!("  {label:<10} {n:>6} rows");
        }
        println!(
            "fit {:.2} s; training-set UAR {:.4} (resubstitution, optimistic: use \
             `cargo xtask grid-search` for a speaker-independent estimate)",
            t.fit_s, t.train_uar
        );
        println!(
            "wrote {} ({:.1} s total)",
            self.out.display(),
            start.elapsed().as_secs_f64()
        );
        Ok(())
    }
}
