//! Every grid-search config shipped in `configs/` parses and checks, its `[augment]` section
//! included, so a user never meets a broken example.

use std::path::{Path, PathBuf};

use ser::augment::AugmentPlan;
use ser_eval::GridConfig;

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("configs folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            toml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

#[test]
fn every_shipped_config_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs");
    let mut files = Vec::new();
    toml_files(&root, &mut files);
    files.sort();
    assert!(files.len() >= 12, "{files:?}");
    for f in &files {
        // The deep-vs-classical comparisons of configs/deep are `cargo xtask fusion` configs.
        let text = std::fs::read_to_string(f).expect("read");
        if text.lines().any(|l| l.trim() == "[deep]") {
            let c = ser::fusion::FusionConfig::from_toml_file(f)
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            c.deep
                .model
                .check()
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            c.classical
                .model
                .check()
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            continue;
        }
        let cfg = GridConfig::from_toml_file(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let checked = cfg
            .check()
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(!checked.candidates.is_empty(), "{}", f.display());
        assert!(!cfg.tables.is_empty(), "{}: no tables", f.display());
        if let Some(v) = &cfg.augment {
            let plan = AugmentPlan::from_value(v, f).unwrap_or_else(|e| panic!("{e}"));
            plan.check()
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            // `prepare --augment FILE` reads the same section
            assert_eq!(AugmentPlan::from_toml_file(f).expect("[augment]"), plan);
        }
    }
}
