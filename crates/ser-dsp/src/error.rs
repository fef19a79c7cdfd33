/// Errors of this crate. Variants carry what was expected and what was found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration parameter is out of range.
    #[error("invalid parameter {name}: expected {expected}, got {found}")]
    Param {
        /// Parameter name (as in the config).
        name: &'static str,
        /// What was expected.
        expected: String,
        /// What was found.
        found: String,
    },
    /// The input signal contains a NaN or an infinite sample.
    #[error("non-finite sample at index {index}: expected finite samples, got {value}")]
    NonFinite {
        /// Sample index.
        index: usize,
        /// The offending value.
        value: f32,
    },
    /// The signal is too short for a single analysis frame.
    #[error("signal too short: expected at least {needed} samples, got {found}")]
    TooShort {
        /// Minimum number of samples.
        needed: usize,
        /// Number of samples given.
        found: usize,
    },
}

/// Result of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
