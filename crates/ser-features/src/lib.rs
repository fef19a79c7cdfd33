//! `ser-features`: from decoded audio to one feature vector per utterance, and feature tables.
//!
//! * [`featureset`] — [`FeatureSet`] (`default`, `librosa`, `pyaudioanalysis`, TOML) and the
//!   per-thread [`FeatureExtractor`].
//! * [`prepare`] — [`Batch`]: whole corpora to tables, incremental, parallel.
//! * [`table`] — [`FeatureTable`]: metadata + f32 feature columns, Parquet / CSV.
//! * [`stats`] — global statistics over descriptor tracks ([`Statistic`], [`stats::Summariser`]).
//!
//! See `docs/ARCHITECTURE.md`.

mod error;
pub mod featureset;
pub mod prepare;
pub mod quality;
pub mod stats;
pub mod table;
pub mod tensor;

pub use error::{Error, Result};
pub use featureset::{
    FeatureExtractor, FeatureSet, FeatureSetConfig, RICH_BANDS, RICH_DELTA, RICH_LLD, SequenceSpec,
};
pub use prepare::{
    Batch, CorpusSummary, Extracted, NoProgress, Progress, StageTimes, Summary, check_min_duration,
    extract_file, extract_samples, scan_corpora, table_path,
};
pub use quality::Quality;
pub use stats::Statistic;
pub use table::{FeatureRow, FeatureTable, FileStamp, METADATA_COLUMNS, TableMeta};
