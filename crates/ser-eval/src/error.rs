use std::path::PathBuf;

/// Errors of this crate. Variants carry what was expected and what was found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("invalid parameter {name}: expected {expected}, got {found}")]
    Param {
        name: &'static str,
        expected: String,
        found: String,
    },
    /// Inconsistent or unusable data (shapes, labels, empty folds).
    #[error("{0}")]
    Data(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An output file could not be written (atomically, through a temporary file).
    #[error(transparent)]
    Write(#[from] ser_fs::WriteError),
    /// A configuration file could not be parsed.
    #[error("config {path}: {message}")]
    Config { path: PathBuf, message: String },
    /// JSON (de)serialisation failed.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// CSV writing failed.
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    /// Drawing a plot failed.
    #[error("plot {path}: {message}")]
    Plot { path: PathBuf, message: String },
    /// A model or scaler failed to fit or predict.
    #[error("model: {0}")]
    Model(#[from] ser_models::Error),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
