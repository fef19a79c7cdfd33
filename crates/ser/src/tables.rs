//! Feature tables as data sets: which tables to read, and the table → [`Dataset`] adapter that
//! every workflow (train, predict `--table`, grid search, crosscheck) reads through.

use std::path::{Path, PathBuf};

use ser_eval::Dataset;
use ser_features::FeatureTable;

use crate::{Error, Result};

pub(crate) const PREPARE_HINT: &str = " (run `cargo xtask prepare` first or pass --features DIR)";

/// Rows of one or more feature tables, concatenated.
#[derive(Debug, Clone)]
pub struct Tables {
    /// Matrix, feature names, emotions (`labels`), speakers, paths and corpora of every row.
    pub data: Dataset,
    /// Feature-set name recorded in the (first) table.
    pub feature_set: String,
    /// Feature-configuration hash recorded in the (first) table.
    pub config_hash: String,
    /// The table files, in reading order.
    pub files: Vec<PathBuf>,
    /// Each row's signal quality (`None`: unknown, a table from before the quality columns).
    pub quality: Vec<Option<ser_features::Quality>>,
}

/// The rows of `table` (read from `path`, named in errors) as a ser-eval data set.
pub fn dataset_of(table: &FeatureTable, path: &Path) -> Result<Dataset> {
    let col = |c: &str| -> Result<Vec<String>> {
        table
            .strings(c)
            .map_err(|e| Error::config(path.display(), format_args!("column {c}: {e}")))
    };
    Ok(Dataset::new(
        table.matrix()?,
        table.feature_names(),
        col("emotion")?,
        col("speaker")?,
        col("path")?,
        col("corpus")?,
    )?
    .with_texts(col("text")?)?)
}

/// Reads one feature table as a data set.
pub fn read_table(path: &Path) -> Result<Dataset> {
    let t = FeatureTable::read_parquet(path)?;
    dataset_of(&t, path)
}

/// Table files to read: `features` itself when it is a file, else the corpora's tables of
/// `feature_set` in that folder (every `*.<feature_set>.parquet` when no corpus is named).
pub fn table_files(features: &Path, corpora: &[String], feature_set: &str) -> Result<Vec<PathBuf>> {
    if features.is_file() {
        return Ok(vec![features.to_path_buf()]);
    }
    if !features.is_dir() {
        return Err(Error::NotFound {
            what: "feature tables",
            path: features.to_path_buf(),
            hint: PREPARE_HINT.into(),
        });
    }
    let files: Vec<PathBuf> = if corpora.is_empty() {
        let suffix = format!(".{feature_set}.parquet");
        let mut v: Vec<PathBuf> = std::fs::read_dir(features)
            .map_err(|source| Error::Io {
                action: "listing",
                path: features.to_path_buf(),
                source,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(&suffix))
            })
            .collect();
        v.sort();
        v
    } else {
        corpora
            .iter()
            .map(|c| ser_features::table_path(features, c, feature_set))
            .collect()
    };
    if files.is_empty() {
        return Err(Error::NotFound {
            what: "feature tables of the set",
            path: features.join(format!("*.{feature_set}.parquet")),
            hint: " (run `cargo xtask prepare`)".into(),
        });
    }
    if let Some(f) = files.iter().find(|f| !f.is_file()) {
        return Err(Error::NotFound {
            what: "feature table",
            path: f.clone(),
            hint: " (run `cargo xtask prepare --corpus ...`)".into(),
        });
    }
    Ok(files)
}

/// Reads and concatenates tables; all must have the same feature names, in the same order, and
/// the same feature configuration (hash).
pub fn read_tables(files: &[PathBuf]) -> Result<Tables> {
    let mut parts = Vec::with_capacity(files.len());
    let mut quality = Vec::new();
    let mut meta: Option<(String, String)> = None;
    for f in files {
        let t = FeatureTable::read_parquet(f)?;
        let (_, hash) = meta.get_or_insert_with(|| {
            (
                t.feature_set_name().to_string(),
                t.config_hash().to_string(),
            )
        });
        // Equal column names do not make equal features: the configurations must agree too.
        if hash.as_str() != t.config_hash() {
            return Err(Error::config(
                f.display(),
                format_args!(
                    "written with feature configuration {} but {} was written with {}:                      prepare both with the same feature set",
                    t.config_hash(),
                    files[0].display(),
                    hash
                ),
            ));
        }
        quality.extend(t.qualities()?);
        parts.push(dataset_of(&t, f)?);
    }
    let (feature_set, config_hash) =
        meta.ok_or_else(|| Error::Input("no feature tables given".into()))?;
    let data = Dataset::concat(&parts).map_err(|e| {
        Error::config(
            format_args!("feature tables {files:?}"),
            format_args!("{e} (another feature set or revision?)"),
        )
    })?;
    Ok(Tables {
        data,
        feature_set,
        config_hash,
        files: files.to_vec(),
        quality,
    })
}

/// Sorted distinct labels of `data` and each row's index into them (the encoding every model
/// file records in its `labels`).
pub fn encode_labels(data: &Dataset) -> Result<(Vec<String>, Vec<usize>)> {
    let labels = data.classes();
    let y = data.label_indices(&labels)?;
    Ok((labels, y))
}
