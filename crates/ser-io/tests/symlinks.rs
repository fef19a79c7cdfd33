//! Symlinks in corpus folders: followed, but every real file and folder listed once, and loops
//! reported as skipped entries instead of multiplying rows.
#![cfg(unix)]

mod common;

use std::os::unix::fs::symlink;
use std::path::Path;

use common::*;
use ser_io::{Corpus, list_audio_files, scan_corpus};

fn tiny_wav() -> Vec<u8> {
    wav_bytes(Pcm::I16, 16_000, 1, &sine(440.0, 16_000, 160, 0.5), &[])
}

/// Eight files of a custom corpus, four speakers in sub-folders, four named by their first token.
fn custom_corpus(root: &Path) {
    let wav = tiny_wav();
    for name in [
        "anna/take1_happy.wav",
        "anna/take2_sad.wav",
        "bob/take1_angry.wav",
        "bob/take2_neutral.wav",
        "carl_take1_happy.wav",
        "carl_take2_sad.wav",
        "dora_take1_angry.wav",
        "dora_take2_neutral.wav",
    ] {
        write(root, name, &wav);
    }
}

fn reason_for<'a>(skipped: &'a [ser_io::Skipped], path: &Path) -> &'a str {
    skipped
        .iter()
        .find(|s| s.path == path)
        .map(|s| s.reason.as_str())
        .unwrap_or_else(|| panic!("{} not skipped: {skipped:#?}", path.display()))
}

#[test]
fn folder_symlink_loop_does_not_multiply_rows() {
    let d = tempfile::tempdir().expect("tempdir");
    custom_corpus(d.path());
    let lp = d.path().join("loopdir");
    symlink(".", &lp).expect("symlink loopdir -> .");
    let up = d.path().join("anna/up");
    symlink("..", &up).expect("symlink anna/up -> ..");

    let m = scan_corpus(Corpus::Custom, d.path()).expect("scan");
    assert_eq!(m.utterances.len(), 8, "{:#?}", m.utterances);
    let mut speakers: Vec<&str> = m.utterances.iter().map(|u| u.speaker.as_str()).collect();
    speakers.dedup();
    assert_eq!(
        speakers,
        ["custom:anna", "custom:bob", "custom:carl", "custom:dora"]
    );
    assert!(
        !m.utterances.iter().any(|u| u.path.starts_with(&lp)),
        "rows under the loop"
    );
    let canonical = std::fs::canonicalize(d.path()).expect("canonical root");
    for link in [&lp, &up] {
        let reason = reason_for(&m.skipped, link);
        assert_eq!(
            reason,
            format!(
                "symlink loop: {} leads back to {}",
                link.display(),
                canonical.display()
            )
        );
    }
    assert_eq!(m.skipped.len(), 2, "{:#?}", m.skipped);

    // `predict` on a folder lists its files through the same walk.
    let (files, skipped) = list_audio_files(d.path()).expect("list");
    assert_eq!(files.len(), 8, "{files:#?}");
    assert_eq!(skipped.len(), 2, "{skipped:#?}");
    // Corpus detection samples the same tree: every candidate is one of the eight files.
    let inner = tempfile::tempdir().expect("tempdir");
    let emodb = inner.path().join("wav");
    write(&emodb, "03a01Fa.wav", &tiny_wav());
    symlink(".", emodb.join("again")).expect("symlink");
    assert_eq!(ser_io::detect(inner.path()), Some(Corpus::Emodb));
    let m = scan_corpus(Corpus::Emodb, inner.path()).expect("scan");
    assert_eq!(m.utterances.len(), 1, "{m:#?}");
}

#[test]
fn links_are_followed_once_per_real_file_and_folder() {
    let d = tempfile::tempdir().expect("tempdir");
    let corpus = d.path().join("corpus");
    custom_corpus(&corpus);
    // A folder kept elsewhere and linked in: walked (its files are new).
    let elsewhere = d.path().join("elsewhere");
    write(&elsewhere, "eve_take1_happy.wav", &tiny_wav());
    symlink(&elsewhere, corpus.join("eve")).expect("symlink eve");
    // A second link to the same folder, a link to a folder inside the corpus, and links to
    // files already listed: each skipped once with the path it duplicates.
    symlink(&elsewhere, corpus.join("eve_again")).expect("symlink eve_again");
    symlink(corpus.join("anna"), corpus.join("anna_copy")).expect("symlink anna_copy");
    symlink("carl_take1_happy.wav", corpus.join("abe_take1_happy.wav")).expect("file link");
    symlink(
        "../anna/take1_happy.wav",
        corpus.join("bob/linked_happy.wav"),
    )
    .expect("file link");
    // A dangling link is reported as before.
    symlink("nowhere.wav", corpus.join("ghost_happy.wav")).expect("dangling link");

    let m = scan_corpus(Corpus::Custom, &corpus).expect("scan");
    assert_eq!(m.utterances.len(), 9, "{:#?}", m.utterances);
    let eve: Vec<_> = m
        .utterances
        .iter()
        .filter(|u| u.speaker == "custom:eve")
        .collect();
    assert_eq!(eve.len(), 1);
    assert_eq!(eve[0].path, corpus.join("eve/eve_take1_happy.wav"));
    // Real paths win over links to them, whatever the names' order.
    assert!(
        m.utterances
            .iter()
            .any(|u| u.path == corpus.join("carl_take1_happy.wav"))
    );
    let canonical = |p: &Path| std::fs::canonicalize(p).expect("canonical");
    let r = reason_for(&m.skipped, &corpus.join("eve_again"));
    assert!(
        r.starts_with("folder already walked")
            && r.contains(&canonical(&elsewhere).display().to_string())
            && r.contains(&corpus.join("eve").display().to_string()),
        "{r}"
    );
    let r = reason_for(&m.skipped, &corpus.join("anna_copy"));
    assert!(r.starts_with("folder already walked"), "{r}");
    let r = reason_for(&m.skipped, &corpus.join("abe_take1_happy.wav"));
    assert!(
        r.starts_with("duplicate")
            && r.contains(&corpus.join("carl_take1_happy.wav").display().to_string()),
        "{r}"
    );
    let r = reason_for(&m.skipped, &corpus.join("bob/linked_happy.wav"));
    assert!(
        r.starts_with("duplicate")
            && r.contains(&corpus.join("anna/take1_happy.wav").display().to_string()),
        "{r}"
    );
    let r = reason_for(&m.skipped, &corpus.join("ghost_happy.wav"));
    assert!(r.contains("cannot read file metadata"), "{r}");
    assert_eq!(m.skipped.len(), 5, "{:#?}", m.skipped);
}
