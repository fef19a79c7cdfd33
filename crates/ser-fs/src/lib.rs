//! `ser-fs`: the one atomic file write of the workspace.
//!
//! Every file ser writes (feature tables, summaries, model files, reports, plots, predictions,
//! demo audio) goes through [`write_atomic`] (or [`persist`] for writers that insist on a path of
//! their own, such as the plotters bitmap encoder): the bytes go to a hidden temporary file in the
//! destination's folder, are flushed and `fsync`ed, and the temporary file is renamed over the
//! destination, then the folder is synced (best effort). A reader therefore sees the old file or
//! the new one, never a truncated mix, and an interrupted run loses nothing already written. On
//! any error the temporary file is removed.
//!
//! Temporary names are `.<stem>.tmp-<pid>-<n>.<ext>`: hidden, unique per process and call, in the
//! same folder (so the rename never crosses a file system), and ending in the destination's own
//! extension (encoders that pick a format by extension see the right one).
//!
//! A tiny crate of its own because ser-io, ser-features, ser-models and ser-eval all write files
//! and none of them may depend on another for it (ser-models knows nothing about audio,
//! ser-features nothing about classifiers). It depends on `thiserror` only.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A failed step of an atomic write: what was being done, to which file, and the OS error.
#[derive(Debug, thiserror::Error)]
#[error("{action} {}: {source}", path.display())]
pub struct WriteError {
    /// The step: "creating folder", "creating", "writing", "syncing", "renaming into".
    pub action: &'static str,
    /// The file or folder concerned.
    pub path: PathBuf,
    /// The underlying error.
    #[source]
    pub source: std::io::Error,
}

impl WriteError {
    /// A [`WriteError`] of `action` on `path` (for writers whose own step fails with an I/O error).
    pub fn new(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Self {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// `Result` of this crate's functions.
pub type Result<T, E = WriteError> = std::result::Result<T, E>;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The folder `path` is in (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A fresh temporary path next to `path`: `.<stem>.tmp-<pid>-<n>.<ext>` in the same folder.
pub fn temp_path_for(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = format!(".{stem}.tmp-{}-{n}", std::process::id());
    if let Some(ext) = path.extension() {
        name.push('.');
        name.push_str(&ext.to_string_lossy());
    }
    folder_of(path).join(name)
}

/// Creates the folder of `path` (and its parents) when it does not exist.
pub fn create_parent(path: &Path) -> Result<()> {
    let dir = folder_of(path);
    std::fs::create_dir_all(dir).map_err(|e| WriteError::new("creating folder", dir, e))
}

/// Writes `path` atomically through `write`, which receives a buffered writer on the temporary
/// file. The folder is created when missing. `write`'s own error type is kept (it only needs to
/// take a [`WriteError`]); on any error the temporary file is removed and `path` is untouched.
pub fn write_atomic<E: From<WriteError>>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    create_parent(path)?;
    let tmp = temp_path_for(path);
    let result = (|| {
        let file = File::create(&tmp).map_err(|e| WriteError::new("creating", &tmp, e))?;
        let mut w = BufWriter::new(file);
        write(&mut w)?;
        let file = w
            .into_inner()
            .map_err(|e| WriteError::new("writing", &tmp, e.into_error()))?;
        file.sync_all()
            .map_err(|e| WriteError::new("syncing", &tmp, e))?;
        drop(file);
        rename_synced(&tmp, path)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes `bytes` to `path` atomically (see [`write_atomic`]).
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |w| {
        w.write_all(bytes)
            .map_err(|e| WriteError::new("writing", path, e))
    })
}

/// Finishes an atomic write made by a writer that needs a path of its own: `tmp` (from
/// [`temp_path_for`]`(path)`, already complete and closed) is synced and renamed over `path`.
/// On error `tmp` is removed.
pub fn persist(tmp: &Path, path: &Path) -> Result<()> {
    let result = File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| WriteError::new("syncing", tmp, e))
        .and_then(|()| rename_synced(tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    result
}

/// Renames `tmp` over `path`, then syncs the folder so the rename itself is durable (best effort:
/// not every platform or file system lets a folder be opened and synced).
fn rename_synced(tmp: &Path, path: &Path) -> Result<()> {
    std::fs::rename(tmp, path).map_err(|e| WriteError::new("renaming into", path, e))?;
    if let Ok(dir) = File::open(folder_of(path)) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/folder/out.csv");
        write_bytes(&path, b"first").expect("first write");
        assert_eq!(std::fs::read(&path).expect("read"), b"first");
        write_bytes(&path, b"second, longer").expect("second write");
        assert_eq!(std::fs::read(&path).expect("read"), b"second, longer");
        assert!(leftovers(path.parent().expect("parent")).is_empty());
    }

    #[derive(Debug)]
    enum MyError {
        Write,
        Fs(WriteError),
    }
    impl From<WriteError> for MyError {
        fn from(e: WriteError) -> Self {
            MyError::Fs(e)
        }
    }

    #[test]
    fn a_failing_writer_keeps_the_old_file_and_removes_the_temporary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("table.parquet");
        write_bytes(&path, b"old").expect("write");
        let r = write_atomic(&path, |w| {
            w.write_all(b"half of the new")
                .map_err(|e| MyError::Fs(WriteError::new("writing", &path, e)))?;
            Err(MyError::Write)
        });
        assert!(matches!(r, Err(MyError::Write)));
        assert_eq!(std::fs::read(&path).expect("read"), b"old");
        // A step failing inside the crate arrives as the caller's own error type.
        let r = write_atomic(&dir.path().join("table.parquet/x"), |_| {
            Ok::<(), MyError>(())
        });
        assert!(
            matches!(&r, Err(MyError::Fs(e)) if e.action == "creating folder"),
            "{r:?}"
        );
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn temporary_names_are_hidden_unique_and_keep_the_extension() {
        let p = Path::new("out/grid/confusion_matrix.png");
        let (a, b) = (temp_path_for(p), temp_path_for(p));
        assert_ne!(a, b);
        assert_eq!(a.parent(), p.parent());
        assert_eq!(a.extension().and_then(|e| e.to_str()), Some("png"));
        let name = a.file_name().and_then(|n| n.to_str()).expect("name");
        assert!(name.starts_with(".confusion_matrix.tmp-"), "{name}");
        assert_eq!(temp_path_for(Path::new("x")).parent(), Some(Path::new(".")));
    }

    #[test]
    fn persist_renames_a_finished_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("plot.png");
        let tmp = temp_path_for(&path);
        std::fs::write(&tmp, b"png bytes").expect("write tmp");
        persist(&tmp, &path).expect("persist");
        assert_eq!(std::fs::read(&path).expect("read"), b"png bytes");
        assert!(!tmp.exists());
        let missing = temp_path_for(&path);
        let e = persist(&missing, &path).expect_err("missing temporary file");
        assert_eq!(e.action, "syncing");
        assert_eq!(std::fs::read(&path).expect("read"), b"png bytes");
    }

    #[test]
    fn an_unwritable_destination_names_the_step_and_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"x").expect("write");
        // A folder cannot be created below a regular file.
        let e = write_bytes(&blocker.join("out.json"), b"{}").expect_err("not a folder");
        assert_eq!(e.action, "creating folder");
        assert!(e.to_string().contains("file"), "{e}");
    }
}
