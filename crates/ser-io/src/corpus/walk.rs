//! Recursive folder walk that accounts for every entry: audio candidates or skipped with a reason.

use std::path::{Path, PathBuf};

use crate::{Error, Result, Skipped};

/// Extensions (lower case) of the files ser looks at as audio: the one list of the workspace
/// (corpus scans, `predict` on folders, the server). They are the extensions the enabled
/// symphonia readers claim (WAV, AIFF, FLAC, MPEG layer III, Ogg) whose codecs are enabled too:
/// not `mp1`/`mp2` (no layer I/II decoder), not `opus`/`spx`/`ogv` (no Opus, Speex or video
/// decoder), not `m4a`/`aac` (no MP4/ADTS reader or AAC decoder). A test checks the list against
/// the readers' own probe data. The decoder still probes the content; the extension only decides
/// what a scan looks at.
pub const AUDIO_EXTENSIONS: [&str; 9] = [
    "wav", "wave", "flac", "aif", "aiff", "aifc", "mp3", "ogg", "oga",
];

/// Deepest folder nesting followed (guards against symlink loops).
const MAX_DEPTH: usize = 16;

pub(crate) struct Walk {
    pub files: Vec<PathBuf>,
    pub skipped: Vec<Skipped>,
}

/// Whether `path` ends in one of [`AUDIO_EXTENSIONS`] (case-insensitive).
pub fn has_audio_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(e)))
}

/// Why a non-audio entry is skipped, or `None` if it is an audio candidate.
fn stray_reason(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy();
    if name.starts_with("._") {
        return Some("AppleDouble metadata file (._*), not audio".into());
    }
    if name.starts_with('.') {
        return Some("hidden file, not audio".into());
    }
    if !has_audio_extension(path) {
        return Some(match path.extension() {
            Some(e) => format!(
                "not an audio file: extension .{} is not one of {}",
                e.to_string_lossy(),
                AUDIO_EXTENSIONS.join(", ")
            ),
            None => "not an audio file: no extension".into(),
        });
    }
    None
}

/// The audio files under `dir` (recursively, sorted) and every other entry with the reason it
/// was passed over (stray or hidden files, unreadable folders, dangling links). The root must be
/// readable, else an error naming it.
pub fn list_audio_files(dir: &Path) -> Result<(Vec<PathBuf>, Vec<Skipped>)> {
    walk(dir).map(|w| (w.files, w.skipped))
}

/// Walk `dir` recursively. The root must be readable (else an error naming it); unreadable
/// sub-folders and stray files are reported in `skipped`.
pub(crate) fn walk(dir: &Path) -> Result<Walk> {
    let rd = std::fs::read_dir(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut out = Walk {
        files: Vec::new(),
        skipped: Vec::new(),
    };
    walk_inner(rd, dir, 0, &mut out);
    out.files.sort();
    out.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn walk_inner(rd: std::fs::ReadDir, dir: &Path, depth: usize, out: &mut Walk) {
    for entry in rd {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                out.skipped.push(Skipped {
                    path: dir.to_path_buf(),
                    reason: format!("cannot list folder entry: {e}"),
                });
                continue;
            }
        };
        let path = entry.path();
        // Follow symlinks (corpora are often linked in), but report dangling ones.
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                out.skipped.push(Skipped {
                    path,
                    reason: format!("cannot read file metadata: {e}"),
                });
                continue;
            }
        };
        if meta.is_dir() {
            if depth + 1 >= MAX_DEPTH {
                out.skipped.push(Skipped {
                    path,
                    reason: format!("folder nested deeper than {MAX_DEPTH} levels, not entered"),
                });
                continue;
            }
            match std::fs::read_dir(&path) {
                Ok(sub) => walk_inner(sub, &path, depth + 1, out),
                Err(e) => out.skipped.push(Skipped {
                    path,
                    reason: format!("cannot read folder: {e}"),
                }),
            }
        } else if let Some(reason) = stray_reason(&path) {
            out.skipped.push(Skipped { path, reason });
        } else {
            out.files.push(path);
        }
    }
}

/// Up to `limit` audio candidates under `dir`, breadth-first-ish, ignoring errors (for detection).
pub(crate) fn sample_audio_files(dir: &Path, limit: usize) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    while let Some((d, depth)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                if depth + 1 < MAX_DEPTH {
                    stack.push((p, depth + 1));
                }
            } else if stray_reason(&p).is_none() {
                out.push(p);
                if out.len() >= limit {
                    return out;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use symphonia::core::formats::probe::ProbeableFormat;
    use symphonia::default::formats::{AiffReader, FlacReader, MpaReader, OggReader, WavReader};

    /// The extensions claimed by the symphonia readers this crate enables.
    fn reader_extensions() -> Vec<&'static str> {
        [
            WavReader::probe_data(),
            AiffReader::probe_data(),
            FlacReader::probe_data(),
            MpaReader::probe_data(),
            OggReader::probe_data(),
        ]
        .iter()
        .flat_map(|d| d.iter().flat_map(|f| f.spec.extensions.iter().copied()))
        .collect()
    }

    #[test]
    fn audio_extensions_are_what_the_enabled_readers_claim_minus_disabled_codecs() {
        let claimed = reader_extensions();
        for e in AUDIO_EXTENSIONS {
            assert!(claimed.contains(&e), ".{e} is claimed by no enabled reader");
        }
        // Claimed by a reader, but the codec behind it is not enabled (no layer I/II, Opus,
        // Speex or video decoder), so listing them would promise files we cannot decode.
        let not_decodable = ["mp1", "mp2", "ogv", "ogx", "ogm", "spx", "opus"];
        for e in &claimed {
            assert!(
                AUDIO_EXTENSIONS.contains(e) || not_decodable.contains(e),
                ".{e} is claimed by an enabled reader but neither listed nor known undecodable"
            );
        }
        assert!(!AUDIO_EXTENSIONS.contains(&"m4a") && !AUDIO_EXTENSIONS.contains(&"aac"));
        assert!(has_audio_extension(Path::new("a/B.WAV")));
        assert!(has_audio_extension(Path::new("x.Flac")));
        assert!(!has_audio_extension(Path::new("x.m4a")));
        assert!(!has_audio_extension(Path::new("wav")));
    }
}
