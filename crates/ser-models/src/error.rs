use std::path::PathBuf;

/// Errors of this crate. Variants carry what was expected and what was found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A hyper-parameter is out of its documented range.
    #[error("invalid parameter {name}: expected {expected}, got {found}")]
    Param {
        name: &'static str,
        expected: String,
        found: String,
    },
    /// The feature matrix has no rows or no columns.
    #[error("empty input: {what} has {rows} rows and {cols} columns")]
    Empty {
        what: &'static str,
        rows: usize,
        cols: usize,
    },
    /// A NaN or infinite value in a feature matrix.
    #[error("non-finite value {value} in {what} at row {row}, column {col}")]
    NonFinite {
        what: &'static str,
        row: usize,
        col: usize,
        value: f32,
    },
    /// Two lengths that must agree do not.
    #[error("length mismatch for {what}: expected {expected}, got {found}")]
    Length {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    /// A matrix at predict/transform time has another number of features than at fit time.
    #[error("feature count mismatch: model was fitted on {expected} features, got {found}")]
    FeatureCount { expected: usize, found: usize },
    /// A label is not below `n_classes`.
    #[error("label {label} at row {row} is out of range: expected < {n_classes}")]
    LabelOutOfRange {
        row: usize,
        label: usize,
        n_classes: usize,
    },
    /// Fewer than two classes have training rows.
    #[error("need at least 2 classes with training rows, found {found}")]
    TooFewClasses { found: usize },
    /// Fewer training rows than classes.
    #[error("fewer rows ({rows}) than classes ({n_classes})")]
    TooFewRows { rows: usize, n_classes: usize },
    /// A speaker has too few utterances for per-speaker normalisation.
    #[error(
        "speaker {speaker:?} has {found} utterances, per-speaker normalisation needs at least {min}"
    )]
    TooFewUtterances {
        speaker: String,
        found: usize,
        min: usize,
    },
    /// Speaker statistics were applied to a row of a speaker they were not fitted on.
    #[error("speaker {0:?} has no fitted per-speaker statistics")]
    UnknownSpeaker(String),
    /// Per-speaker normalisation was asked for but no speakers were given.
    #[error("this pipeline normalises per speaker: speaker ids for every row are required")]
    SpeakersRequired,
    /// The feature names given at predict time differ from the model's.
    #[error("feature names do not match the model's: {detail}")]
    FeatureNames { detail: String },
    /// The model file has an unsupported format version.
    #[error(
        "model file {path}: format version {found} is not supported (expected {expected} or lower)"
    )]
    FormatVersion {
        path: PathBuf,
        expected: u32,
        found: u32,
    },
    /// Reading or writing a file failed.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Writing a file (atomically, through a temporary file) failed.
    #[error(transparent)]
    Write(#[from] ser_fs::WriteError),
    /// A model file is not valid JSON of the expected shape.
    #[error("model file {path}: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// A deep model was given rows of the wrong length for its input shape.
    #[error(
        "wrong input shape for a deep model: expected {expected}, got {found} values per row \
         (train and predict it on a sequence feature set of that shape, e.g. `logmel`)"
    )]
    InputShape { expected: String, found: usize },
    /// The neural-network backend (candle) failed.
    #[error("neural network (candle) failed: {0}")]
    Candle(String),
    /// The operation needs a cargo feature of ser-models that this build was compiled without.
    #[error("{what} needs ser-models built with its `{feature}` cargo feature")]
    FeatureDisabled {
        what: &'static str,
        feature: &'static str,
    },
    /// An internal invariant of a fitted model does not hold (corrupt model file).
    #[error("corrupt model: {0}")]
    Corrupt(String),
}

#[cfg(feature = "candle")]
impl From<candle_core::Error> for Error {
    fn from(e: candle_core::Error) -> Self {
        Error::Candle(e.to_string())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
