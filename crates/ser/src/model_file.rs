//! The model file: a fitted [`Pipeline`] plus the feature set it was trained on, typed.
//!
//! On disk it is the pipeline's JSON (ser-models' layout, [`ser_models::FORMAT_VERSION`]) with
//! two more top-level keys: `feature_set_config` (the full [`FeatureSetConfig`], so `predict`
//! extracts exactly the training features from audio) and `feature_config_hash` (the hash the
//! training tables recorded). ser-models alone can still load such a file as a [`Pipeline`] (it
//! ignores the two keys). Files written before these keys existed kept the same facts as JSON
//! text in the pipeline's `summary.notes`; [`ModelFile::load`] reads them from there.

use std::path::Path;

use ser_features::{FeatureSet, FeatureSetConfig};
use ser_models::Pipeline;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Note key under which older model files kept the feature-set configuration (JSON text).
const LEGACY_NOTE_FEATURE_SET_CONFIG: &str = "feature_set_config";
/// Note key under which older model files kept the tables' configuration hash.
const LEGACY_NOTE_FEATURE_CONFIG_HASH: &str = "feature_config_hash";

/// A fitted pipeline and the feature set that produces its input columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    /// Normalisation, scaler, classifier, feature and label names, training summary.
    #[serde(flatten)]
    pub pipeline: Pipeline,
    /// Full configuration of the feature set; `None` when the tables' set was not known at
    /// training time (the model then predicts from feature tables only, not from audio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_set_config: Option<FeatureSetConfig>,
    /// Configuration hash recorded in the training tables (empty when unknown).
    #[serde(default)]
    pub feature_config_hash: String,
}

impl ModelFile {
    /// Writes the model file atomically (temporary file, fsync, rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        let json = self.to_json(path)?;
        Ok(ser_fs::write_bytes(path, &json)?)
    }

    /// The file's bytes as [`ModelFile::save`] writes them (`origin` names the file in errors).
    pub fn to_json(&self, origin: &Path) -> Result<Vec<u8>> {
        serde_json::to_vec(self)
            .map_err(|e| Error::config(origin.display(), format_args!("serialising: {e}")))
    }

    /// Reads a model file, checking its format version and consistency.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            action: "reading model file",
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&bytes, path)
    }

    /// Parses model-file JSON read from `origin` (named in errors).
    pub fn from_json(bytes: &[u8], origin: &Path) -> Result<Self> {
        ser_models::check_format_version(bytes, origin)?;
        let mut m: ModelFile =
            serde_json::from_slice(bytes).map_err(|source| ser_models::Error::Json {
                path: origin.to_path_buf(),
                source,
            })?;
        m.pipeline.check_consistency(origin)?;
        let notes = &mut m.pipeline.summary.notes;
        if m.feature_set_config.is_none()
            && let Some(json) = notes.remove(LEGACY_NOTE_FEATURE_SET_CONFIG)
        {
            m.feature_set_config = Some(serde_json::from_str(&json).map_err(|e| {
                Error::config(
                    origin.display(),
                    format_args!("feature set configuration in the model file: {e}"),
                )
            })?);
        }
        if let Some(hash) = notes.remove(LEGACY_NOTE_FEATURE_CONFIG_HASH)
            && m.feature_config_hash.is_empty()
        {
            m.feature_config_hash = hash;
        }
        Ok(m)
    }

    /// The feature set that makes this model's input from audio: the recorded configuration,
    /// else the built-in set of the recorded name. Checks that it still yields exactly the
    /// model's feature names.
    pub fn feature_set(&self) -> Result<FeatureSet> {
        let set = match &self.feature_set_config {
            Some(cfg) => FeatureSet::from_config(cfg.clone())?,
            None => FeatureSet::by_name(&self.pipeline.feature_set).map_err(|_| {
                Error::Input(format!(
                    "the model does not record its feature set configuration and {:?} is not \
                     built in: predict from a feature table (--table) instead",
                    self.pipeline.feature_set
                ))
            })?,
        };
        self.pipeline
            .check_feature_names(&set.names(set.sample_rate_hz()))
            .map_err(|e| {
                Error::Input(format!(
                    "the model's feature set now yields other features: {e}"
                ))
            })?;
        Ok(set)
    }
}
