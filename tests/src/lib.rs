//! Shared helpers for the workspace-level tests in `tests/tests/`.

use std::path::PathBuf;

/// The real-corpus folder from `SER_DATASETS`, or `None` (after printing why) when unset or missing.
pub fn datasets_dir(test: &str) -> Option<PathBuf> {
    match std::env::var_os("SER_DATASETS") {
        None => {
            eprintln!("skipping {test}: SER_DATASETS is not set (point it at ../shared/datasets)");
            None
        }
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_dir() {
                Some(dir)
            } else {
                eprintln!(
                    "skipping {test}: SER_DATASETS={} is not a folder",
                    dir.display()
                );
                None
            }
        }
    }
}
