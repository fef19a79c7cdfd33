//! Inventory on a generated root: counts, hours from headers, rates, skipped and unreadable files.

mod common;

use common::*;
use ser_io::{Corpus, Inventory};

#[test]
fn inventory_of_generated_root() {
    let d = tempfile::tempdir().expect("tempdir");
    let one_s_16k = wav_bytes(Pcm::I16, 16_000, 1, &sine(440.0, 16_000, 16_000, 0.5), &[]);
    let half_s_48k_stereo = wav_bytes(Pcm::I16, 48_000, 2, &sine(440.0, 48_000, 48_000, 0.5), &[]);
    write(d.path(), "emodb/wav/03a01Fa.wav", &one_s_16k);
    write(d.path(), "emodb/wav/08a01Wa.wav", &one_s_16k);
    write(d.path(), "emodb/wav/09a01Wb.wav", b"not audio at all");
    write(d.path(), "emodb/notes.txt", b"x");
    write(
        d.path(),
        "ravdess/Actor_01/03-01-05-02-01-01-01.wav",
        &half_s_48k_stereo,
    );
    write(
        d.path(),
        "custom/anna/x_happy.flac",
        &std::fs::read(fixture("sine440_16k_mono.flac")).expect("fixture"),
    );
    let inv = Inventory::of_root(d.path()).expect("inventory");
    let corpora: Vec<Corpus> = inv.corpora.iter().map(|c| c.corpus).collect();
    assert_eq!(
        corpora,
        vec![Corpus::Emodb, Corpus::Ravdess, Corpus::Custom]
    );
    let emodb = &inv.corpora[0];
    assert_eq!(emodb.files, 3);
    assert_eq!(emodb.speakers, vec!["emodb:03", "emodb:08", "emodb:09"]);
    assert_eq!(emodb.speakers_by_sex.get("male"), Some(&1));
    assert_eq!(emodb.speakers_by_sex.get("female"), Some(&2));
    assert_eq!(emodb.emotions.get("angry"), Some(&2));
    assert_eq!(emodb.sample_rates_hz.get(&16_000), Some(&2));
    assert!((emodb.hours * 3600.0 - 2.0).abs() < 1e-9, "{}", emodb.hours);
    assert_eq!(emodb.skipped.len(), 1);
    assert_eq!(emodb.unreadable.len(), 1);
    assert!(emodb.unreadable[0].reason.contains("09a01Wb.wav"));
    let rav = &inv.corpora[1];
    assert_eq!(
        (rav.channels.get(&2), rav.sample_rates_hz.get(&48_000)),
        (Some(&1), Some(&1))
    );
    assert!((rav.hours * 3600.0 - 0.5).abs() < 1e-9);
    let custom = &inv.corpora[2];
    assert!((custom.hours * 3600.0 - 0.25).abs() < 1e-6);
    let text = inv.to_string();
    for want in [
        "emodb",
        "ravdess",
        "custom",
        "16000 Hz",
        "skipped: 1",
        "unreadable audio: 1",
        "total: 3 corpora, 5 files",
    ] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
    let json = serde_json::to_string(&inv).expect("json");
    let back: Inventory = serde_json::from_str(&json).expect("round trip");
    assert_eq!(back, inv);
}
