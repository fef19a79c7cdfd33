//! Corpus conventions: which corpora exist, how to find them under a root, how to scan them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Manifest, Note, Result, Skipped, Utterance};

mod csv_manifest;
mod schemes;
mod walk;

pub use csv_manifest::scan_csv;
use schemes::parse_with_note;
pub use schemes::{parse_file_name, scan_crema_with_demographics};
pub use walk::{AUDIO_EXTENSIONS, has_audio_extension, list_audio_files};
pub(crate) use walk::{Walk, walk};

/// The corpora `ser-io` knows, plus a user's own folder (`Custom`) and a CSV manifest (`Csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Corpus {
    /// EMO-DB (Berlin Database of Emotional Speech), German.
    Emodb,
    /// RAVDESS, English (speech and song).
    Ravdess,
    /// TESS (Toronto Emotional Speech Set), English.
    Tess,
    /// CREMA-D, English.
    Crema,
    /// SAVEE (Surrey Audio-Visual Expressed Emotion), English.
    Savee,
    /// EMOVO, Italian.
    Emovo,
    /// A user's folder of files named `*_<emotion>.<ext>` (see [`crate::scan_corpus`]).
    Custom,
    /// A CSV manifest `path,speaker,emotion[,sex,text,intensity,age]` (see [`scan_csv`]).
    Csv,
}

impl Corpus {
    /// Every corpus, in a fixed order.
    pub const ALL: [Corpus; 8] = [
        Corpus::Emodb,
        Corpus::Ravdess,
        Corpus::Tess,
        Corpus::Crema,
        Corpus::Savee,
        Corpus::Emovo,
        Corpus::Custom,
        Corpus::Csv,
    ];

    /// The six published corpora with a file naming scheme (what [`discover`] looks for).
    pub const PUBLISHED: [Corpus; 6] = [
        Corpus::Emodb,
        Corpus::Ravdess,
        Corpus::Tess,
        Corpus::Crema,
        Corpus::Savee,
        Corpus::Emovo,
    ];

    /// Lower-case name (`emodb`, `ravdess`, `tess`, `crema`, `savee`, `emovo`, `custom`, `csv`).
    pub fn as_str(self) -> &'static str {
        match self {
            Corpus::Emodb => "emodb",
            Corpus::Ravdess => "ravdess",
            Corpus::Tess => "tess",
            Corpus::Crema => "crema",
            Corpus::Savee => "savee",
            Corpus::Emovo => "emovo",
            Corpus::Custom => "custom",
            Corpus::Csv => "csv",
        }
    }

    /// Folder names (lower case, `-`/`_`/space removed) recognised by [`discover`] for this corpus.
    fn folder_aliases(self) -> &'static [&'static str] {
        match self {
            Corpus::Emodb => &["emodb", "berlin", "berlindatabaseofemotionalspeech"],
            Corpus::Ravdess => &["ravdess", "audiospeechactors0124", "audiosongactors0124"],
            Corpus::Tess => &[
                "tess",
                "torontoemotionalspeechset",
                "torontoemotionalspeechsetdata",
            ],
            Corpus::Crema => &["crema", "cremad"],
            Corpus::Savee => &["savee"],
            Corpus::Emovo => &["emovo"],
            Corpus::Custom => &["custom"],
            Corpus::Csv => &[],
        }
    }
}

impl fmt::Display for Corpus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Corpus {
    type Err = Error;
    /// Accepts the names of [`Corpus::as_str`] in any case, plus `emo-db`, `crema-d`.
    fn from_str(s: &str) -> Result<Self> {
        let key: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect::<String>()
            .to_ascii_lowercase();
        Corpus::ALL
            .into_iter()
            .find(|c| c.as_str() == key || (key == "cremad" && *c == Corpus::Crema))
            .ok_or_else(|| Error::Param {
                name: "corpus",
                expected: "one of emodb, ravdess, tess, crema, savee, emovo, custom, csv".into(),
                found: format!("{s:?}"),
            })
    }
}

/// Scan one corpus at `dir` (for [`Corpus::Csv`], `dir` is the CSV file, or a folder holding
/// exactly one `*.csv`).
///
/// Every file under `dir` ends up either in `utterances` or in `skipped` with a reason (stray
/// files such as `README`, `.DS_Store`, `._*` AppleDouble files, unreadable sub-folders and names
/// that fit no scheme). Sorted by path, so scans are deterministic. What a scan had to infer for
/// a kept file is in `notes` (TESS: a speaker taken from the `<SPEAKER>_<emotion>/` folder when
/// the file name misspells it, as TESS's own `OAF_neutral/OA_bite_neutral.wav`).
///
/// Symlinks are followed, each real file and folder at most once (by canonical path); a
/// symlink loop or a second link to something already listed is a skipped entry with the reason.
///
/// Custom folders: every audio file whose name ends in `_<emotion>.<ext>` (emotion words as in
/// [`crate::Emotion::from_synonym`], including `pleasant_surprise(d)`). The speaker is the name
/// of the first sub-folder under `dir` that holds the file (`dir/anna/take1_happy.wav` → `custom:anna`);
/// for files directly in `dir`, it is the first `_`-separated token of the file name
/// (`dir/anna_take1_happy.wav` → `custom:anna`). Sex is never guessed.
pub fn scan_corpus(corpus: Corpus, dir: &Path) -> Result<Manifest> {
    match corpus {
        Corpus::Csv => {
            let csv = if dir.is_dir() {
                find_single_csv(dir)?
            } else {
                dir.to_path_buf()
            };
            scan_csv(&csv)
        }
        Corpus::Crema => scan_crema_with_demographics(dir, None),
        _ => {
            let Walk { files, mut skipped } = walk(dir)?;
            let mut utterances = Vec::with_capacity(files.len());
            let mut notes = Vec::new();
            for path in files {
                match parse_with_note(corpus, dir, &path) {
                    Ok((u, note)) => {
                        if let Some(message) = note {
                            notes.push(Note {
                                path: path.clone(),
                                message,
                            });
                        }
                        utterances.push(u);
                    }
                    Err(reason) => skipped.push(Skipped { path, reason }),
                }
            }
            Ok(finish(utterances, skipped, notes))
        }
    }
}

pub(crate) fn finish(
    mut utterances: Vec<Utterance>,
    mut skipped: Vec<Skipped>,
    mut notes: Vec<Note>,
) -> Manifest {
    utterances.sort_by(|a, b| a.path.cmp(&b.path));
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    notes.sort_by(|a, b| a.path.cmp(&b.path));
    Manifest {
        utterances,
        skipped,
        notes,
    }
}

fn find_single_csv(dir: &Path) -> Result<PathBuf> {
    let rd = std::fs::read_dir(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut csvs: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
        .collect();
    csvs.sort();
    match csvs.len() {
        1 => Ok(csvs.remove(0)),
        n => Err(Error::Manifest {
            path: dir.to_path_buf(),
            reason: format!("expected exactly one *.csv manifest in the folder, found {n}"),
        }),
    }
}

fn normalise_name(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '-' | '_' | ' ' | '.'))
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Which published corpus a folder holds, judged by its name first, then by its files' names
/// (the corpus whose scheme fits most of up to 200 audio files, if it fits more than half).
pub fn detect(dir: &Path) -> Option<Corpus> {
    let name = dir
        .file_name()
        .map(|n| normalise_name(&n.to_string_lossy()));
    if let Some(name) = name {
        for c in Corpus::PUBLISHED.into_iter().chain([Corpus::Custom]) {
            if c.folder_aliases().contains(&name.as_str()) {
                return Some(c);
            }
        }
    }
    let files = walk::sample_audio_files(dir, 200);
    if files.is_empty() {
        return None;
    }
    let mut best: Option<(Corpus, usize)> = None;
    for c in Corpus::PUBLISHED {
        let hits = files
            .iter()
            .filter(|p| parse_file_name(c, dir, p).is_ok())
            .count();
        if hits * 2 > files.len() && best.is_none_or(|(_, h)| hits > h) {
            best = Some((c, hits));
        }
    }
    best.map(|(c, _)| c)
}

/// Find the corpora under `root` by layout: `root` itself if it is a corpus folder, otherwise
/// each immediate sub-folder that is one (by name, e.g. `emodb/`, `crema-d/`, or by the naming
/// scheme of the files inside). Sorted by corpus, then path.
pub fn discover(root: &Path) -> Result<Vec<(Corpus, PathBuf)>> {
    let meta = std::fs::metadata(root).map_err(|source| Error::Io {
        path: root.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(Error::Param {
            name: "root",
            expected: "a folder holding corpora".into(),
            found: format!("{} is not a folder", root.display()),
        });
    }
    let rd = std::fs::read_dir(root).map_err(|source| Error::Io {
        path: root.to_path_buf(),
        source,
    })?;
    let mut found = Vec::new();
    let mut subdirs: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    subdirs.sort();
    for sub in subdirs {
        if let Some(c) = detect(&sub) {
            found.push((c, sub));
        }
    }
    if found.is_empty()
        && let Some(c) = detect(root)
    {
        found.push((c, root.to_path_buf()));
    }
    found.sort();
    Ok(found)
}

/// [`discover`] + [`scan_corpus`] for each corpus found, merged into one manifest.
pub fn scan(root: &Path) -> Result<Manifest> {
    let mut utterances = Vec::new();
    let mut skipped = Vec::new();
    let mut notes = Vec::new();
    for (corpus, dir) in discover(root)? {
        let m = scan_corpus(corpus, &dir)?;
        utterances.extend(m.utterances);
        skipped.extend(m.skipped);
        notes.extend(m.notes);
    }
    Ok(finish(utterances, skipped, notes))
}
