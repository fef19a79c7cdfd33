use std::path::PathBuf;

/// Everything that can go wrong in `ser-io`. Every variant names the file it concerns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: cannot decode audio: {reason}")]
    Decode { path: PathBuf, reason: String },
    #[error("{path}: unsupported audio: {reason}")]
    Unsupported { path: PathBuf, reason: String },
    /// The audio is longer than the limit in force (decoding stopped there).
    #[error("{path}: the audio is longer than the {limit_s} s limit")]
    TooLong { path: PathBuf, limit_s: f64 },
    #[error("{path}: resampling from {from_hz} Hz to {to_hz} Hz failed: {reason}")]
    Resample {
        path: PathBuf,
        from_hz: u32,
        to_hz: u32,
        reason: String,
    },
    #[error("{path}: file name does not follow the {corpus} naming scheme: {reason}")]
    Naming {
        path: PathBuf,
        corpus: String,
        reason: String,
    },
    #[error("{path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error("invalid parameter {name}: expected {expected}, got {found}")]
    Param {
        name: &'static str,
        expected: String,
        found: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
