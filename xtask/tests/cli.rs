//! The command line as a person runs it: `demo` on the synthetic corpus ends with a model file
//! and the command serving it; `predict` fails loudly when nothing could be predicted, and its
//! outputs describe the run alone.

use std::path::Path;
use std::process::{Command, Output};

fn xtask(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run xtask")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn demo_then_predict_report_what_happened() {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = tmp.path();
    // `demo` looks its configs up in ./configs: run it from the workspace root.
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = root.join("demo");
    let o = xtask(
        &["demo", "--synthetic", "--out", out.to_str().expect("utf-8")],
        &workspace,
    );
    let log = text(&o);
    assert!(o.status.success(), "{log}");
    let model = out.join("model.json");
    assert!(model.is_file(), "{log}");
    assert!(
        log.contains(&format!(
            "serve it: cargo xtask serve --model {}",
            model.display()
        )),
        "{log}"
    );

    let csv = root.join("p.csv");
    let skipped = root.join("p.skipped.csv");
    let junk = root.join("junk.wav");
    std::fs::write(&junk, b"RIFF\x10\x00\x00\x00WAVEnot audio").expect("write");
    let args = |inputs: &[&Path]| {
        let mut v = vec![
            "predict".to_string(),
            "--model".into(),
            model.display().to_string(),
            "--out".into(),
            csv.display().to_string(),
        ];
        v.extend(inputs.iter().map(|p| p.display().to_string()));
        v
    };
    let run = |inputs: &[&Path]| {
        let a = args(inputs);
        xtask(&a.iter().map(String::as_str).collect::<Vec<_>>(), root)
    };
    // Every input fails: a non-zero exit that says how many.
    let o = run(&[&junk, &root.join("no/such.wav")]);
    let log = text(&o);
    assert!(!o.status.success(), "{log}");
    assert!(
        log.contains("nothing was predicted: all 2 input(s) failed"),
        "{log}"
    );
    assert!(log.contains("no such file or folder"), "{log}");
    assert!(skipped.is_file());
    // A clean run with the same --out: predictions, exit 0, and no stale list of skipped files.
    let wav = out.join("custom").read_dir().expect("demo corpus");
    let speaker_dir = wav
        .map(|e| e.expect("entry").path())
        .find(|p| p.is_dir())
        .expect("a speaker folder");
    let o = run(&[&speaker_dir]);
    let log = text(&o);
    assert!(o.status.success(), "{log}");
    assert!(log.contains("(0 skipped)"), "{log}");
    assert!(!skipped.exists(), "the earlier run's skipped list is gone");
    let rows = std::fs::read_to_string(&csv).expect("csv").lines().count();
    assert!(rows > 1, "predictions written");
}
