//! Every grid-search config shipped in `configs/` parses and checks, its `[augment]` section
//! included, so a user never meets a broken example.

use std::path::{Path, PathBuf};

use ser::augment::AugmentPlan;
use ser_eval::GridConfig;

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("configs folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            // configs/grid holds included candidate lists, not runnable configurations
            if path.file_name().is_some_and(|n| n != "grid") {
                toml_files(&path, out);
            }
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

/// The corpus configurations share one candidate list: each includes `grid/default.toml`, sets
/// no models, normalisation or scaling of its own, and so expands to the same candidates.
#[test]
fn corpus_configs_share_the_default_grid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs");
    let shared = std::fs::read_to_string(root.join("grid/default.toml")).expect("default grid");
    let shared: toml::Table = toml::from_str(&shared).expect("default grid parses");
    let mut expected = None;
    for corpus in ["emodb", "ravdess", "tess", "emovo", "crema", "savee"] {
        let path = root.join(format!("{corpus}.toml"));
        let text = std::fs::read_to_string(&path).expect("corpus config");
        let own: toml::Table = toml::from_str(&text).expect("parses");
        assert_eq!(
            own.get("include").and_then(|v| v.as_str()),
            Some("grid/default.toml"),
            "{corpus}"
        );
        for key in shared.keys() {
            assert!(!own.contains_key(key), "{corpus}.toml sets `{key}` itself");
        }
        let checked = GridConfig::from_toml_file(&path)
            .and_then(|c| c.check())
            .unwrap_or_else(|e| panic!("{corpus}: {e}"));
        let labels: Vec<String> = checked.candidates.iter().map(|c| c.label.clone()).collect();
        assert!(labels.len() >= 5, "{labels:?}");
        match &expected {
            None => expected = Some(labels),
            Some(e) => assert_eq!(&labels, e, "{corpus}"),
        }
        assert_eq!(
            checked.raw.normalisation,
            GridConfig::from_toml_file(&root.join("emodb.toml"))
                .expect("emodb")
                .normalisation
        );
    }
}
