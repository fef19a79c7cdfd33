//! The main job's plan (`cargo xtask demo`): the corpora under a folder, or, when there is none,
//! the synthetic demo corpus, each with its shipped grid-search config.

use std::path::{Path, PathBuf};

use crate::Result;

/// Corpora and configs of a demo run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPlan {
    /// The folder to prepare from.
    pub root: PathBuf,
    /// The corpora to prepare.
    pub corpora: Vec<String>,
    /// Per corpus: the report name and its shipped config (`configs/<name>.toml`), `None` when
    /// the repository ships none.
    pub grids: Vec<(String, Option<PathBuf>)>,
    /// Number of synthetic utterances written, when the demo corpus was used.
    pub synthetic: Option<usize>,
}

/// Plans a demo: the corpora found under `datasets` (unless `synthetic`), else the synthetic
/// demo corpus written to `<out>/custom`. Configs are looked up in `configs_dir`.
pub fn plan(datasets: &Path, out: &Path, synthetic: bool, configs_dir: &Path) -> Result<DemoPlan> {
    let found = if synthetic || !datasets.is_dir() {
        Vec::new()
    } else {
        ser_io::discover(datasets)?
    };
    let (root, corpora, synthetic) = if found.is_empty() {
        // The folder name `custom` is what `ser_io::discover` recognises the layout by.
        let written = ser_io::demo::write_demo_corpus(&out.join("custom"), &Default::default())?;
        (
            out.to_path_buf(),
            vec!["custom".to_string()],
            Some(written.len()),
        )
    } else {
        let names = found.iter().map(|(c, _)| c.as_str().to_string()).collect();
        (datasets.to_path_buf(), names, None)
    };
    let grids = corpora
        .iter()
        .map(|c| {
            let name = if c == "custom" { "demo" } else { c.as_str() };
            let config = configs_dir.join(format!("{name}.toml"));
            (name.to_string(), config.is_file().then_some(config))
        })
        .collect();
    Ok(DemoPlan {
        root,
        corpora,
        grids,
        synthetic,
    })
}

/// A small trained model on the synthetic demo corpus: for tests, examples and trying the
/// server without a real corpus.
#[derive(Debug, Clone)]
pub struct DemoModel {
    /// The trained model (not saved).
    pub model: crate::ModelFile,
    /// The folder of the `custom` table (`custom.default.parquet`).
    pub features: PathBuf,
    /// The demo corpus' audio files.
    pub wavs: Vec<PathBuf>,
}

impl DemoModel {
    /// Writes the demo corpus of `corpus` to `<dir>/custom`, prepares its `default` table in
    /// `<dir>/features` (one job) and fits `model` on it with the training defaults.
    pub fn build(
        dir: &Path,
        corpus: &ser_io::demo::DemoConfig,
        model: ser_models::ModelSpec,
    ) -> Result<DemoModel> {
        let wavs = ser_io::demo::write_demo_corpus(&dir.join("custom"), corpus)?;
        let features = dir.join("features");
        crate::prepare::prepare(
            &crate::prepare::PrepareRequest {
                datasets: dir.to_path_buf(),
                corpora: vec!["custom".into()],
                feature_set: "default".into(),
                out: features.clone(),
                jobs: 1,
                csv: false,
            },
            &ser_features::NoProgress,
        )?;
        let settings = crate::train::TrainConfig {
            model: Some(model),
            ..Default::default()
        }
        .settings()?;
        let source = crate::train::TableSource {
            features: features.clone(),
            corpora: vec!["custom".into()],
            feature_set: None,
        };
        let trained = crate::train::train(&source, &settings, Default::default())?;
        Ok(DemoModel {
            model: trained.model,
            features,
            wavs,
        })
    }
}
