use std::path::PathBuf;

/// Errors of the workflows: each crate's own error, plus what only a workflow can get wrong
/// (a missing table, a model that does not fit its input, a bad request). Messages name the
/// file concerned and, where there is one, the command that fixes it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Corpus discovery, decoding or resampling.
    #[error(transparent)]
    Audio(#[from] ser_io::Error),
    /// Feature sets, extraction and feature tables.
    #[error(transparent)]
    Features(#[from] ser_features::Error),
    /// Signal processing parameters (augmentation transforms).
    #[error("augmentation: {0}")]
    Dsp(#[from] ser_dsp::Error),
    /// Classifiers, scalers and model files.
    #[error(transparent)]
    Models(#[from] ser_models::Error),
    /// Splits, grid search and reports.
    #[error(transparent)]
    Eval(#[from] ser_eval::Error),
    /// An output file could not be written.
    #[error(transparent)]
    Write(#[from] ser_fs::WriteError),
    /// A file or folder that a workflow needs is not there.
    #[error("{what} {} not found{hint}", path.display())]
    NotFound {
        what: &'static str,
        path: PathBuf,
        /// Text appended to the message, e.g. " (run `cargo xtask prepare` first)".
        hint: String,
    },
    /// A file could not be read.
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A configuration (file or request) is malformed or inconsistent.
    #[error("{origin}: {message}")]
    Config { origin: String, message: String },
    /// Audio that decodes but cannot be analysed (the descriptors failed, non-finite features).
    #[error("{}: {reason}", path.display())]
    Unusable { path: PathBuf, reason: String },
    /// The input does not fit the model, or there is nothing to do.
    #[error("{0}")]
    Input(String),
    /// A parameter outside its range (e.g. of [`crate::stream::StreamConfig`]).
    #[error("{name}: expected {expected}, got {found}")]
    Param {
        name: &'static str,
        expected: String,
        found: String,
    },
}

impl Error {
    pub(crate) fn config(origin: impl std::fmt::Display, message: impl std::fmt::Display) -> Self {
        Error::Config {
            origin: origin.to_string(),
            message: message.to_string(),
        }
    }
}

/// `Result` of the workflows.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Reads a text file (a config), naming it in the error.
pub(crate) fn read_text(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        action: "reading",
        path: path.to_path_buf(),
        source,
    })
}
