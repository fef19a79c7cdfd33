//! `ser-dsp`: see `docs/ARCHITECTURE.md`.

mod error;
pub use error::{Error, Result};
