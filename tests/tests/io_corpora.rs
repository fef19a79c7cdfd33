//! ser-io on the real shared corpora (SER_DATASETS): counts, labels, speakers, decoding.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ser_io::{Corpus, Manifest, Sex, scan_corpus};

fn counts(m: &Manifest) -> BTreeMap<String, usize> {
    let mut c = BTreeMap::new();
    for u in &m.utterances {
        *c.entry(u.native_label.clone()).or_insert(0) += 1;
    }
    c
}

fn speakers_by_sex(m: &Manifest) -> (usize, usize, usize) {
    let spk: BTreeMap<&str, Option<Sex>> = m
        .utterances
        .iter()
        .map(|u| (u.speaker.as_str(), u.sex))
        .collect();
    let male = spk.values().filter(|s| **s == Some(Sex::Male)).count();
    let female = spk.values().filter(|s| **s == Some(Sex::Female)).count();
    (spk.len(), male, female)
}

#[test]
fn io_emodb_counts() {
    let Some(root) = ser_tests::datasets_dir("io_emodb_counts") else {
        return;
    };
    let m = scan_corpus(Corpus::Emodb, &root.join("emodb")).expect("scan EMO-DB");
    assert!(m.skipped.is_empty(), "{:#?}", m.skipped);
    assert_eq!(m.utterances.len(), 535);
    let want: BTreeMap<String, usize> = [
        ("W", 127),
        ("L", 81),
        ("N", 79),
        ("F", 71),
        ("A", 69),
        ("T", 62),
        ("E", 46),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(counts(&m), want);
    assert_eq!(speakers_by_sex(&m), (10, 5, 5));
    let males: BTreeSet<&str> = m
        .utterances
        .iter()
        .filter(|u| u.sex == Some(Sex::Male))
        .map(|u| u.speaker.as_str())
        .collect();
    assert_eq!(
        males,
        ["emodb:03", "emodb:10", "emodb:11", "emodb:12", "emodb:15"]
            .into_iter()
            .collect()
    );
    let unified: BTreeSet<&str> = m.utterances.iter().map(|u| u.emotion.as_str()).collect();
    assert_eq!(
        unified,
        [
            "angry", "boredom", "disgust", "fear", "happy", "neutral", "sad"
        ]
        .into_iter()
        .collect()
    );
}

#[test]
fn io_emodb_decodes_at_16k() {
    let Some(root) = ser_tests::datasets_dir("io_emodb_decodes_at_16k") else {
        return;
    };
    let m = scan_corpus(Corpus::Emodb, &root.join("emodb")).expect("scan EMO-DB");
    for u in m.utterances.iter().step_by(53) {
        let a = ser_io::load(&u.path, 16_000).expect("decode");
        assert_eq!(a.sample_rate_hz, 16_000);
        let info = ser_io::probe_info(&u.path).expect("header");
        assert_eq!(
            Some(a.samples.len() as u64),
            info.n_frames,
            "{}",
            u.path.display()
        );
        assert!(a.duration_s() > 1.0 && a.duration_s() < 10.0);
    }
}

#[test]
fn io_ravdess_counts_and_stereo() {
    let Some(root) = ser_tests::datasets_dir("io_ravdess_counts_and_stereo") else {
        return;
    };
    let m = scan_corpus(Corpus::Ravdess, &root.join("ravdess")).expect("scan RAVDESS");
    assert!(m.skipped.is_empty(), "{:#?}", m.skipped);
    assert_eq!(m.utterances.len(), 61);
    assert_eq!(speakers_by_sex(&m), (4, 2, 2));
    let emotions: BTreeSet<&str> = m.utterances.iter().map(|u| u.emotion.as_str()).collect();
    assert_eq!(emotions.len(), 8);
    assert!(m.utterances.iter().all(
        |u| u.intensity.is_some() && u.text.as_deref() == Some("Kids are talking by the door")
    ));
    let stereo = root.join("ravdess/Actor_01/03-01-02-01-01-02-01.wav");
    let info = ser_io::probe_info(&stereo).expect("header");
    assert_eq!((info.channels, info.sample_rate_hz), (2, 48_000));
    let native = ser_io::decode(&stereo).expect("decode stereo");
    assert_eq!(
        Some(native.samples.len() as u64),
        info.n_frames,
        "one mono sample per stereo frame"
    );
    let a = ser_io::load(&stereo, 16_000).expect("load stereo");
    assert_eq!(a.sample_rate_hz, 16_000);
    assert_eq!(
        a.samples.len() as u64,
        info.n_frames.expect("frames").div_ceil(3)
    );
    let rms = (a.samples.iter().map(|s| s * s).sum::<f32>() / a.samples.len() as f32).sqrt();
    assert!(rms > 1e-4, "silent after down-mix: rms {rms}");
    // Every file (all carry a FLLR chunk) decodes.
    for u in &m.utterances {
        ser_io::decode(&u.path).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn io_tess_counts() {
    let Some(root) = ser_tests::datasets_dir("io_tess_counts") else {
        return;
    };
    let m = scan_corpus(Corpus::Tess, &root.join("tess")).expect("scan TESS");
    assert!(m.skipped.is_empty(), "{:#?}", m.skipped);
    assert_eq!(m.utterances.len(), 42);
    assert_eq!(speakers_by_sex(&m), (2, 0, 2));
    let emotions: BTreeSet<&str> = m.utterances.iter().map(|u| u.emotion.as_str()).collect();
    assert_eq!(
        emotions,
        [
            "angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"
        ]
        .into_iter()
        .collect()
    );
    let ages: BTreeSet<(String, Option<u32>)> = m
        .utterances
        .iter()
        .map(|u| (u.speaker.clone(), u.age))
        .collect();
    assert_eq!(
        ages,
        [
            ("tess:OAF".to_string(), Some(64)),
            ("tess:YAF".to_string(), Some(26))
        ]
        .into_iter()
        .collect()
    );
    let a = ser_io::load(&m.utterances[0].path, 16_000).expect("load");
    assert_eq!(a.sample_rate_hz, 16_000);
    assert_eq!(
        ser_io::probe_info(&m.utterances[0].path)
            .expect("header")
            .sample_rate_hz,
        24_414
    );
}

#[test]
fn io_emovo_counts() {
    let Some(root) = ser_tests::datasets_dir("io_emovo_counts") else {
        return;
    };
    let m = scan_corpus(Corpus::Emovo, &root.join("emovo")).expect("scan EMOVO");
    assert!(m.skipped.is_empty(), "{:#?}", m.skipped);
    assert_eq!(m.utterances.len(), 42);
    assert_eq!(speakers_by_sex(&m), (6, 3, 3));
    assert_eq!(counts(&m).len(), 7);
    assert!(counts(&m).values().all(|&n| n == 6));
    let mono = ser_io::decode(&root.join("emovo/f1/rab-f1-b1.wav")).expect("mono file");
    let stereo = ser_io::decode(&root.join("emovo/f2/rab-f2-b1.wav")).expect("stereo file");
    assert_eq!(
        (mono.sample_rate_hz, stereo.sample_rate_hz),
        (48_000, 48_000)
    );
}

#[test]
fn io_discover_shared_root() {
    let Some(root) = ser_tests::datasets_dir("io_discover_shared_root") else {
        return;
    };
    let found: Vec<Corpus> = ser_io::discover(&root)
        .expect("discover")
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert_eq!(
        found,
        vec![
            Corpus::Emodb,
            Corpus::Ravdess,
            Corpus::Tess,
            Corpus::Crema,
            Corpus::Emovo
        ]
    );
    let m = ser_io::scan(&root).expect("scan");
    assert_eq!(m.utterances.len(), 535 + 61 + 42 + 42);
    assert!(
        m.skipped
            .iter()
            .all(|s| !s.path.starts_with(root.join("emodb")))
    );
    let speakers: BTreeSet<&str> = m.utterances.iter().map(|u| u.speaker.as_str()).collect();
    assert_eq!(
        speakers.len(),
        10 + 4 + 2 + 6,
        "speaker ids are unique across corpora"
    );
}

#[test]
fn io_inventory_of_shared_root() {
    let Some(root) = ser_tests::datasets_dir("io_inventory_of_shared_root") else {
        return;
    };
    let inv = ser_io::Inventory::of_root(&root).expect("inventory");
    let by: BTreeMap<Corpus, &ser_io::CorpusInventory> =
        inv.corpora.iter().map(|c| (c.corpus, c)).collect();
    let emodb = by[&Corpus::Emodb];
    assert_eq!((emodb.files, emodb.speakers.len()), (535, 10));
    assert_eq!(emodb.sample_rates_hz, [(16_000, 535)].into_iter().collect());
    assert!(
        emodb.hours > 0.3 && emodb.hours < 0.5,
        "EMO-DB is about 25 minutes: {}",
        emodb.hours
    );
    assert_eq!(
        by[&Corpus::Ravdess].sample_rates_hz,
        [(48_000, 61)].into_iter().collect()
    );
    assert_eq!(
        by[&Corpus::Ravdess].channels,
        [(1, 60), (2, 1)].into_iter().collect()
    );
    assert_eq!(
        by[&Corpus::Tess].sample_rates_hz,
        [(24_414, 42)].into_iter().collect()
    );
    assert_eq!(by[&Corpus::Crema].files, 0);
    assert!(inv.corpora.iter().all(|c| c.unreadable.is_empty()));
    let text = inv.to_string();
    assert!(
        text.contains("emodb") && text.contains("16000 Hz"),
        "{text}"
    );
    let json = serde_json::to_value(&inv).expect("json");
    assert_eq!(json["corpora"][0]["corpus"], "emodb");
    assert_eq!(json["corpora"][0]["emotions"]["angry"], 127);
}

/// CREMA-D: generated fixtures in the real `AudioWAV/` layout, sex and age from the shared
/// `VideoDemographics.csv`.
#[test]
fn io_crema_fixture_with_real_demographics() {
    let Some(root) = ser_tests::datasets_dir("io_crema_fixture_with_real_demographics") else {
        return;
    };
    let demo = root.join("crema/VideoDemographics.csv");
    let d = tempfile::tempdir().expect("tempdir");
    let corpus = d.path().join("CREMA-D");
    std::fs::create_dir_all(corpus.join("AudioWAV")).expect("mkdir");
    let synth = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../crates/ser-io/tests/fixtures/sine440_16k_mono.flac"),
    )
    .expect("fixture");
    let names = [
        "1001_DFA_ANG_XX.wav",
        "1002_IEO_HAP_HI.wav",
        "1091_WSI_SAD_LO.wav",
        "1050_TIE_NEU_XX.wav",
        "1050_TIE_FEA_MD.wav",
        "1001_DFA_DIS_XX.wav",
    ];
    for n in names {
        std::fs::write(corpus.join("AudioWAV").join(n), &synth).expect("write");
    }
    std::fs::write(corpus.join("AudioWAV/.DS_Store"), b"x").expect("write");
    // Given explicitly ...
    let m = ser_io::scan_crema_with_demographics(&corpus, Some(&demo)).expect("scan");
    assert_eq!(m.utterances.len(), 6);
    assert_eq!(m.skipped.len(), 1);
    let by_actor: BTreeMap<&str, (Option<Sex>, Option<u32>)> = m
        .utterances
        .iter()
        .map(|u| (u.speaker.as_str(), (u.sex, u.age)))
        .collect();
    assert_eq!(by_actor["crema:1001"], (Some(Sex::Male), Some(51)));
    assert_eq!(by_actor["crema:1002"], (Some(Sex::Female), Some(21)));
    // ... or found beside the corpus folder.
    std::fs::copy(&demo, d.path().join("VideoDemographics.csv")).expect("copy csv");
    let m2 = scan_corpus(Corpus::Crema, &corpus).expect("scan");
    assert_eq!(m2.utterances, m.utterances);
    // Real SentenceFilenames.csv: every released clip name parses.
    let list = std::fs::read_to_string(root.join("crema/SentenceFilenames.csv")).expect("list");
    let mut n = 0;
    for line in list.lines().skip(1) {
        let name = line.rsplit(',').next().expect("name").trim_matches('"');
        let p = corpus.join(format!("AudioWAV/{name}.wav"));
        ser_io::parse_file_name(Corpus::Crema, &corpus, &p)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        n += 1;
    }
    assert_eq!(n, 7442);
    let a = ser_io::load(&m.utterances[0].path, 16_000).expect("decode fixture");
    assert_eq!(a.samples.len(), 4_000);
}

/// SAVEE: generated fixtures in both real layouts (480 files each).
#[test]
fn io_savee_fixture_layouts() {
    let d = tempfile::tempdir().expect("tempdir");
    let mut names = Vec::new();
    for spk in ["DC", "JE", "JK", "KL"] {
        for (code, n) in [
            ("a", 15),
            ("d", 15),
            ("f", 15),
            ("h", 15),
            ("n", 30),
            ("sa", 15),
            ("su", 15),
        ] {
            for i in 1..=n {
                names.push((spk, format!("{code}{i:02}")));
            }
        }
    }
    assert_eq!(names.len(), 480);
    for (spk, code) in &names {
        let a = d.path().join(format!("savee/AudioData/{spk}/{code}.wav"));
        let b = d.path().join(format!("savee_flat/ALL/{spk}_{code}.wav"));
        for p in [a, b] {
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, b"RIFF").expect("write");
        }
    }
    std::fs::write(d.path().join("savee/AudioData/Info.txt"), b"x").expect("write");
    for dir in ["savee", "savee_flat"] {
        let m = scan_corpus(Corpus::Savee, &d.path().join(dir)).expect("scan");
        assert_eq!(m.utterances.len(), 480, "{dir}");
        assert_eq!(speakers_by_sex(&m), (4, 4, 0), "{dir}");
        let c = counts(&m);
        assert_eq!(
            (c["n"], c["sa"], c["su"], c["a"]),
            (120, 60, 60, 60),
            "{dir}"
        );
    }
    let found = ser_io::discover(d.path()).expect("discover");
    assert_eq!(found.iter().filter(|(c, _)| *c == Corpus::Savee).count(), 2);
}
