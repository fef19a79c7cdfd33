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
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
