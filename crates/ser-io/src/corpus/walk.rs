//! Recursive folder walk that accounts for every entry: audio candidates or skipped with a reason.

use std::collections::{HashMap, HashSet, VecDeque};
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

/// Deepest folder nesting followed (a guard against absurdly deep trees; symlink loops are
/// caught by canonical path, see [`walk`]).
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
/// was passed over (stray or hidden files, unreadable folders, dangling links, symlink loops,
/// second links to a file or folder already listed). Symlinks are followed, each real file and
/// folder at most once (see [`walk`]). The root must be readable, else an error naming it.
pub fn list_audio_files(dir: &Path) -> Result<(Vec<PathBuf>, Vec<Skipped>)> {
    walk(dir).map(|w| (w.files, w.skipped))
}

/// Walk `dir` recursively. The root must be readable (else an error naming it); unreadable
/// sub-folders and stray files are reported in `skipped`.
///
/// Symlinks are followed (corpora are often linked in), but every real file and folder is
/// listed at most once, judged by canonical path: the real tree is walked first and linked
/// entries afterwards (breadth-first, in sorted order), so a file reachable both directly and
/// through a link is listed under its direct path. A link to a folder that contains it (`loop ->
/// .`, `up -> ..`, or back to a folder on the way to it) is skipped as a symlink loop; a second
/// link to a folder or file already listed is skipped as a duplicate. Both are `Skipped` entries,
/// so the scan still accounts for every entry.
pub(crate) fn walk(dir: &Path) -> Result<Walk> {
    let io = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    let rd = std::fs::read_dir(dir).map_err(io)?;
    let root = std::fs::canonicalize(dir).map_err(io)?;
    let mut w = Walker::default();
    w.dirs.insert(root.clone(), dir.to_path_buf());
    w.folder(rd, dir, &[root], 0);
    while let Some(link) = w.links.pop_front() {
        w.link(link);
    }
    let mut out = Walk {
        files: w.files,
        skipped: w.skipped,
    };
    out.files.sort();
    out.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// A symlink met during the walk, followed once the real tree is done.
struct Link {
    path: PathBuf,
    /// Canonical paths of the folders on the way to it (root first, its own folder last).
    ancestors: Vec<PathBuf>,
    depth: usize,
}

#[derive(Default)]
struct Walker {
    files: Vec<PathBuf>,
    skipped: Vec<Skipped>,
    /// Canonical path of every folder entered → the path it was entered by.
    dirs: HashMap<PathBuf, PathBuf>,
    /// Canonical path of every audio file listed → the path it is listed under.
    seen: HashMap<PathBuf, PathBuf>,
    /// Symlinks waiting to be followed.
    links: VecDeque<Link>,
}

impl Walker {
    fn skip(&mut self, path: PathBuf, reason: String) {
        self.skipped.push(Skipped { path, reason });
    }

    /// The entries of one folder (`ancestors` ends with its canonical path), in sorted order.
    fn folder(&mut self, rd: std::fs::ReadDir, dir: &Path, ancestors: &[PathBuf], depth: usize) {
        let mut entries = Vec::new();
        for entry in rd {
            match entry {
                Ok(e) => entries.push(e),
                Err(e) => self.skip(dir.to_path_buf(), format!("cannot list folder entry: {e}")),
            }
        }
        entries.sort_by_key(|e| e.file_name());
        let here = ancestors.last().map_or(dir, PathBuf::as_path);
        for entry in entries {
            let path = entry.path();
            let kind = match entry.file_type() {
                Ok(k) => k,
                Err(e) => {
                    self.skip(path, format!("cannot read file metadata: {e}"));
                    continue;
                }
            };
            if kind.is_symlink() {
                self.links.push_back(Link {
                    path,
                    ancestors: ancestors.to_vec(),
                    depth,
                });
            } else if kind.is_dir() {
                // Not a link: its canonical path is its folder's plus its name.
                let canonical = here.join(entry.file_name());
                self.enter(path, canonical, ancestors, depth);
            } else {
                let canonical = here.join(entry.file_name());
                self.file(path, canonical);
            }
        }
    }

    /// Enters the folder `path` (canonical path `canonical`) unless it was entered before.
    fn enter(&mut self, path: PathBuf, canonical: PathBuf, ancestors: &[PathBuf], depth: usize) {
        if let Some(first) = self.dirs.get(&canonical) {
            let reason = format!(
                "folder already walked: {} leads to {}, listed once under {}",
                path.display(),
                canonical.display(),
                first.display()
            );
            self.skip(path, reason);
            return;
        }
        if depth + 1 >= MAX_DEPTH {
            self.skip(
                path,
                format!("folder nested deeper than {MAX_DEPTH} levels, not entered"),
            );
            return;
        }
        match std::fs::read_dir(&path) {
            Ok(sub) => {
                self.dirs.insert(canonical.clone(), path.clone());
                let mut chain = ancestors.to_vec();
                chain.push(canonical);
                self.folder(sub, &path, &chain, depth + 1);
            }
            Err(e) => self.skip(path, format!("cannot read folder: {e}")),
        }
    }

    /// Lists the file `path` (canonical path `canonical`) once, or says why it is passed over.
    fn file(&mut self, path: PathBuf, canonical: PathBuf) {
        if let Some(reason) = stray_reason(&path) {
            self.skip(path, reason);
        } else if let Some(first) = self.seen.get(&canonical) {
            let reason = format!(
                "duplicate: {} leads to {}, already listed as {}",
                path.display(),
                canonical.display(),
                first.display()
            );
            self.skip(path, reason);
        } else {
            self.seen.insert(canonical, path.clone());
            self.files.push(path);
        }
    }

    /// Follows one symlink: a loop, a folder or file already listed, or something new.
    fn link(&mut self, link: Link) {
        let Link {
            path,
            ancestors,
            depth,
        } = link;
        // Follows the link; a dangling one fails here.
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                self.skip(path, format!("cannot read file metadata: {e}"));
                return;
            }
        };
        let canonical = match std::fs::canonicalize(&path) {
            Ok(c) => c,
            Err(e) => {
                self.skip(path, format!("cannot resolve symlink: {e}"));
                return;
            }
        };
        if !meta.is_dir() {
            self.file(path, canonical);
            return;
        }
        let here = ancestors.last();
        let is_loop =
            ancestors.contains(&canonical) || here.is_some_and(|h| h.starts_with(&canonical));
        if is_loop {
            let reason = format!(
                "symlink loop: {} leads back to {}",
                path.display(),
                canonical.display()
            );
            self.skip(path, reason);
            return;
        }
        self.enter(path, canonical, &ancestors, depth);
    }
}

/// Up to `limit` audio candidates under `dir`, breadth-first-ish, ignoring errors (for
/// detection). Symlinks are followed; a folder already visited (by canonical path) is not
/// entered again, so a symlink loop cannot repeat files.
pub(crate) fn sample_audio_files(dir: &Path, limit: usize) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut visited = HashSet::new();
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    while let Some((d, depth)) = stack.pop() {
        if !std::fs::canonicalize(&d).is_ok_and(|c| visited.insert(c)) {
            continue;
        }
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
