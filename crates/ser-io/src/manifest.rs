use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::{Emotion, Sex};

/// One labelled recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Utterance {
    pub path: PathBuf,
    /// Corpus name, lower case (`emodb`, `ravdess`, `tess`, `crema`, `savee`, `emovo`, `custom`, `csv`).
    pub corpus: String,
    /// Speaker id, unique across corpora: `<corpus>:<native id>` (e.g. `emodb:03`).
    pub speaker: String,
    pub sex: Option<Sex>,
    pub emotion: Emotion,
    /// The corpus's own label code (`W`, `05`, `ps`, `ANG`, `sa`, `rab`, ...).
    pub native_label: String,
    /// Text or sentence id, where the corpus has one.
    pub text: Option<String>,
    /// Intensity, where the corpus has one (`normal`, `strong`, `LO`, ...).
    pub intensity: Option<String>,
    /// Age in years, where the corpus publishes it.
    pub age: Option<u32>,
}

/// A file a scan passed over, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// Something a scan did to a file it kept that the file name alone does not say (e.g. a TESS
/// speaker taken from the folder because the file name is misspelt), for the inventory to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub path: PathBuf,
    pub message: String,
}

/// The result of scanning one or more corpora.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub utterances: Vec<Utterance>,
    pub skipped: Vec<Skipped>,
    /// Notes on kept utterances (each names one of `utterances` by path), sorted by path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
}
