//! A user's CSV manifest for any other corpus.

use std::path::{Path, PathBuf};

use super::finish;
use crate::{Emotion, Error, Manifest, Result, Sex, Skipped, Utterance};

/// Read a CSV manifest with a header row and the columns `path,speaker,emotion` (required) and
/// `sex,text,intensity,age` (optional), in any order, names case-insensitive.
///
/// * `path`: relative paths are resolved against the CSV file's folder.
/// * `speaker`: prefixed with `csv:` to keep it unique across corpora, unless it already has a
///   `corpus:` prefix.
/// * `emotion`: any word [`Emotion::from_synonym`] accepts; kept verbatim as `native_label`.
/// * `sex`: `male`/`m`/`female`/`f` or empty; `age`: whole years or empty.
///
/// A row with a bad value or a missing audio file is skipped with the reason (and its line
/// number); a missing required column or an unreadable file is an error.
pub fn scan_csv(csv_path: &Path) -> Result<Manifest> {
    let err = |reason: String| Error::Manifest {
        path: csv_path.to_path_buf(),
        reason,
    };
    let base = csv_path.parent().unwrap_or(Path::new("."));
    let file = std::fs::File::open(csv_path).map_err(|source| Error::Io {
        path: csv_path.to_path_buf(),
        source,
    })?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(file);
    let headers = rdr
        .headers()
        .map_err(|e| err(format!("cannot read the header row: {e}")))?
        .clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
    };
    let required = |name: &str| {
        find(name).ok_or_else(|| {
            err(format!(
                "missing column {name:?}: expected a header with path,speaker,emotion (found {:?})",
                headers.iter().collect::<Vec<_>>()
            ))
        })
    };
    let (c_path, c_spk, c_emo) = (
        required("path")?,
        required("speaker")?,
        required("emotion")?,
    );
    let (c_sex, c_text, c_int, c_age) = (find("sex"), find("text"), find("intensity"), find("age"));

    let mut utterances = Vec::new();
    let mut skipped = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                skipped.push(Skipped {
                    path: csv_path.to_path_buf(),
                    reason: format!("line {line}: unreadable CSV row: {e}"),
                });
                continue;
            }
        };
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").to_string();
        let raw_path = get(Some(c_path));
        if raw_path.is_empty() {
            skipped.push(Skipped {
                path: csv_path.to_path_buf(),
                reason: format!("line {line}: empty path"),
            });
            continue;
        }
        let p = PathBuf::from(&raw_path);
        let path = if p.is_absolute() { p } else { base.join(p) };
        let skip = |reason: String| Skipped {
            path: path.clone(),
            reason: format!("{} line {line}: {reason}", csv_path.display()),
        };
        if !path.is_file() {
            skipped.push(skip("audio file does not exist".into()));
            continue;
        }
        let speaker = get(Some(c_spk));
        if speaker.is_empty() {
            skipped.push(skip("empty speaker".into()));
            continue;
        }
        let native = get(Some(c_emo));
        let Some(emotion) = Emotion::from_synonym(&native) else {
            skipped.push(skip(format!("unknown emotion {native:?}")));
            continue;
        };
        let sex_s = get(c_sex);
        let sex = if sex_s.is_empty() {
            None
        } else {
            match sex_s.parse::<Sex>() {
                Ok(s) => Some(s),
                Err(e) => {
                    skipped.push(skip(e));
                    continue;
                }
            }
        };
        let age_s = get(c_age);
        let age = if age_s.is_empty() {
            None
        } else {
            match age_s.parse::<u32>() {
                Ok(a) if a <= 130 => Some(a),
                _ => {
                    skipped.push(skip(format!("age {age_s:?} is not whole years 0-130")));
                    continue;
                }
            }
        };
        let non_empty = |s: String| (!s.is_empty()).then_some(s);
        utterances.push(Utterance {
            path,
            corpus: "csv".into(),
            speaker: if speaker.contains(':') {
                speaker
            } else {
                format!("csv:{speaker}")
            },
            sex,
            emotion,
            native_label: native,
            text: non_empty(get(c_text)),
            intensity: non_empty(get(c_int)),
            age,
        });
    }
    Ok(finish(utterances, skipped, Vec::new()))
}
