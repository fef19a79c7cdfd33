use std::path::PathBuf;

/// Errors of this crate. Variants carry what was expected and what was found, and the file
/// they concern where there is one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("invalid parameter {name}: expected {expected}, got {found}")]
    Param {
        name: &'static str,
        expected: String,
        found: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{context}: {source}")]
    Polars {
        context: String,
        #[source]
        source: polars::error::PolarsError,
    },
    #[error("{path}: not a ser feature table: {reason}")]
    Table { path: PathBuf, reason: String },
    #[error("feature set {name}: {reason}")]
    FeatureSet { name: String, reason: String },
    #[error(transparent)]
    Write(#[from] ser_fs::WriteError),
    #[error(transparent)]
    Audio(#[from] ser_io::Error),
    #[error(transparent)]
    Dsp(#[from] ser_dsp::Error),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn polars(
        context: impl Into<String>,
    ) -> impl FnOnce(polars::error::PolarsError) -> Self {
        let context = context.into();
        move |source| Error::Polars { context, source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
