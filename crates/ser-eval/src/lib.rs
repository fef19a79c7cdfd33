//! `ser-eval`: see `docs/ARCHITECTURE.md`.

mod error;
pub use error::{Error, Result};
