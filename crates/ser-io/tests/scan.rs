//! Corpus scanning on generated folders in each corpus's real layout, including download quirks.

mod common;

use std::path::Path;

use common::*;
use proptest::prelude::*;
use ser_io::{Corpus, Emotion, Manifest, Sex, scan_corpus};

fn tiny_wav() -> Vec<u8> {
    wav_bytes(Pcm::I16, 16_000, 1, &sine(440.0, 16_000, 160, 0.5), &[])
}

fn touch_all(root: &Path, names: &[&str]) {
    let wav = tiny_wav();
    for n in names {
        write(root, n, &wav);
    }
}

fn skipped_reason<'a>(m: &'a Manifest, name: &str) -> &'a str {
    m.skipped
        .iter()
        .find(|s| s.path.file_name().is_some_and(|f| f == name))
        .map(|s| s.reason.as_str())
        .unwrap_or_else(|| panic!("{name} not in skipped: {:#?}", m.skipped))
}

fn utt<'a>(m: &'a Manifest, name: &str) -> &'a ser_io::Utterance {
    m.utterances
        .iter()
        .find(|u| u.path.file_name().is_some_and(|f| f == name))
        .unwrap_or_else(|| panic!("{name} not in utterances: {:#?}", m.skipped))
}

#[test]
fn corpus_names_round_trip() {
    for c in Corpus::ALL {
        assert_eq!(c.as_str().parse::<Corpus>().expect("parses"), c);
        assert_eq!(c.to_string(), c.as_str());
    }
    assert_eq!("EMO-DB".parse::<Corpus>().expect("alias"), Corpus::Emodb);
    assert_eq!("crema-d".parse::<Corpus>().expect("alias"), Corpus::Crema);
    let e = "iemocap".parse::<Corpus>().expect_err("unknown");
    assert!(e.to_string().contains("iemocap"), "{e}");
}

#[test]
fn emodb_with_download_quirks() {
    let d = tempfile::tempdir().expect("tempdir");
    touch_all(
        d.path(),
        &[
            "wav/03a01Fa.wav",
            "wav/16b10Wb.WAV",
            "wav/extra/nested/09a05Lc.wav",
            "wav/03a01Xa.wav",
            "wav/07a01Fa.wav",
            "wav/._03a01Fa.wav",
        ],
    );
    write(d.path(), "wav/.DS_Store", b"junk");
    write(d.path(), "README", b"readme");
    write(d.path(), "lablaut/03a01Fa.lab", b"label");
    let m = scan_corpus(Corpus::Emodb, d.path()).expect("scan");
    assert_eq!(m.utterances.len(), 3, "{m:#?}");
    let u = utt(&m, "03a01Fa.wav");
    assert_eq!(
        (
            u.speaker.as_str(),
            u.sex,
            u.emotion,
            u.native_label.as_str()
        ),
        ("emodb:03", Some(Sex::Male), Emotion::Happy, "F")
    );
    assert_eq!(
        (u.text.as_deref(), u.corpus.as_str()),
        (Some("a01"), "emodb")
    );
    let u = utt(&m, "16b10Wb.WAV");
    assert_eq!(
        (u.speaker.as_str(), u.sex, u.emotion),
        ("emodb:16", Some(Sex::Female), Emotion::Angry)
    );
    assert_eq!(utt(&m, "09a05Lc.wav").emotion, Emotion::Boredom);
    assert!(skipped_reason(&m, "03a01Xa.wav").contains("emotion letter"));
    assert!(skipped_reason(&m, "07a01Fa.wav").contains("speaker"));
    assert!(skipped_reason(&m, "._03a01Fa.wav").contains("AppleDouble"));
    assert!(skipped_reason(&m, ".DS_Store").contains("hidden"));
    assert!(skipped_reason(&m, "README").contains("not an audio file"));
    assert!(skipped_reason(&m, "03a01Fa.lab").contains("not an audio file"));
    assert_eq!(m.skipped.len(), 6);
}

#[test]
fn ravdess_speech_and_song() {
    let d = tempfile::tempdir().expect("tempdir");
    touch_all(
        d.path(),
        &[
            "Actor_01/03-01-05-02-01-01-01.wav",
            "Actor_02/03-01-01-01-02-02-02.wav",
            "Audio_Song_Actors_01-24/Actor_24/03-02-06-01-02-01-24.wav",
            "Actor_01/02-01-05-02-01-01-01.wav",
            "Actor_01/03-01-09-01-01-01-01.wav",
            "Actor_01/03-01-05-02-01-01-25.wav",
            "Actor_01/03-01-05-02-01-01.wav",
        ],
    );
    write(d.path(), "Actor_01/01-01-05-02-01-01-01.mp4", b"video");
    let m = scan_corpus(Corpus::Ravdess, d.path()).expect("scan");
    assert_eq!(m.utterances.len(), 3);
    let u = utt(&m, "03-01-05-02-01-01-01.wav");
    assert_eq!(
        (u.speaker.as_str(), u.sex, u.emotion, u.intensity.as_deref()),
        (
            "ravdess:01",
            Some(Sex::Male),
            Emotion::Angry,
            Some("strong")
        )
    );
    assert_eq!(
        (u.text.as_deref(), u.native_label.as_str()),
        (Some("Kids are talking by the door"), "05")
    );
    let u = utt(&m, "03-01-01-01-02-02-02.wav");
    assert_eq!(
        (u.sex, u.emotion, u.intensity.as_deref(), u.text.as_deref()),
        (
            Some(Sex::Female),
            Emotion::Neutral,
            Some("normal"),
            Some("Dogs are sitting by the door")
        )
    );
    let u = utt(&m, "03-02-06-01-02-01-24.wav");
    assert_eq!(
        (u.speaker.as_str(), u.sex, u.emotion),
        ("ravdess:24", Some(Sex::Female), Emotion::Fear)
    );
    assert!(skipped_reason(&m, "02-01-05-02-01-01-01.wav").contains("modality"));
    assert!(skipped_reason(&m, "03-01-09-01-01-01-01.wav").contains("emotion"));
    assert!(skipped_reason(&m, "03-01-05-02-01-01-25.wav").contains("actor"));
    assert!(skipped_reason(&m, "03-01-05-02-01-01.wav").contains("7 two-digit"));
    assert!(skipped_reason(&m, "01-01-05-02-01-01-01.mp4").contains("not an audio file"));
}

#[test]
fn tess_mixed_case_folders_and_pleasant_surprise() {
    let d = tempfile::tempdir().expect("tempdir");
    touch_all(
        d.path(),
        &[
            "TESS Toronto emotional speech set data/OAF_Pleasant_surprise/OAF_back_ps.wav",
            "TESS Toronto emotional speech set data/YAF_pleasant_surprised/YAF_bar_pleasant_surprised.wav",
            "OAF_Fear/OAF_base_fear.WAV",
            "YAF_angry/yaf_bath_angry.wav",
            "XAF_angry/XAF_bath_angry.wav",
            "OAF_angry/OAF_bath_furious.wav",
            "OAF_angry/OAF_angry.wav",
        ],
    );
    let m = scan_corpus(Corpus::Tess, d.path()).expect("scan");
    assert_eq!(m.utterances.len(), 4, "{m:#?}");
    let u = utt(&m, "OAF_back_ps.wav");
    assert_eq!(
        (
            u.speaker.as_str(),
            u.sex,
            u.age,
            u.emotion,
            u.text.as_deref(),
            u.native_label.as_str()
        ),
        (
            "tess:OAF",
            Some(Sex::Female),
            Some(64),
            Emotion::Surprise,
            Some("back"),
            "ps"
        )
    );
    let u = utt(&m, "YAF_bar_pleasant_surprised.wav");
    assert_eq!(
        (u.speaker.as_str(), u.age, u.emotion),
        ("tess:YAF", Some(26), Emotion::Surprise)
    );
    assert_eq!(utt(&m, "OAF_base_fear.WAV").emotion, Emotion::Fear);
    assert_eq!(utt(&m, "yaf_bath_angry.wav").speaker, "tess:YAF");
    assert!(skipped_reason(&m, "XAF_bath_angry.wav").contains("speaker"));
    assert!(skipped_reason(&m, "OAF_bath_furious.wav").contains("emotion"));
    assert!(skipped_reason(&m, "OAF_angry.wav").contains("expected"));
}

#[test]
fn crema_with_demographics_beside_the_corpus() {
    let d = tempfile::tempdir().expect("tempdir");
    let corpus = d.path().join("crema");
    touch_all(
        &corpus,
        &[
            "AudioWAV/1001_DFA_ANG_XX.wav",
            "AudioWAV/1002_IEO_HAP_HI.wav",
            "AudioWAV/1091_WSI_SAD_LO.wav",
            "AudioWAV/1001_XYZ_ANG_XX.wav",
            "AudioWAV/1092_DFA_ANG_XX.wav",
            "AudioWAV/1001_DFA_ANG_ZZ.wav",
        ],
    );
    write(d.path(), "VideoDemographics.csv", b"\"ActorID\",\"Age\",\"Sex\",\"Race\",\"Ethnicity\"\n1001,51,\"Male\",\"Caucasian\",\"Not Hispanic\"\n1002,21,\"Female\",\"Caucasian\",\"Not Hispanic\"\n");
    let m = scan_corpus(Corpus::Crema, &corpus).expect("scan");
    let u = utt(&m, "1001_DFA_ANG_XX.wav");
    assert_eq!(
        (
            u.speaker.as_str(),
            u.sex,
            u.age,
            u.emotion,
            u.text.as_deref(),
            u.intensity.as_deref()
        ),
        (
            "crema:1001",
            Some(Sex::Male),
            Some(51),
            Emotion::Angry,
            Some("DFA"),
            Some("XX")
        )
    );
    let u = utt(&m, "1002_IEO_HAP_HI.wav");
    assert_eq!(
        (u.sex, u.age, u.emotion, u.intensity.as_deref()),
        (Some(Sex::Female), Some(21), Emotion::Happy, Some("HI"))
    );
    assert!(skipped_reason(&m, "1091_WSI_SAD_LO.wav").contains("not in the demographics"));
    assert!(skipped_reason(&m, "1001_XYZ_ANG_XX.wav").contains("sentence"));
    assert!(skipped_reason(&m, "1092_DFA_ANG_XX.wav").contains("actor"));
    assert!(skipped_reason(&m, "1001_DFA_ANG_ZZ.wav").contains("level"));
    assert_eq!(m.utterances.len(), 2);
    // Without a demographics file, sex and age stay unknown (never guessed).
    let alone = tempfile::tempdir().expect("tempdir");
    touch_all(alone.path(), &["AudioWAV/1001_DFA_ANG_XX.wav"]);
    let m = scan_corpus(Corpus::Crema, alone.path()).expect("scan");
    assert_eq!((m.utterances[0].sex, m.utterances[0].age), (None, None));
}

#[test]
fn savee_original_and_flattened_layouts() {
    let d = tempfile::tempdir().expect("tempdir");
    touch_all(
        d.path(),
        &[
            "AudioData/DC/a01.wav",
            "AudioData/JE/sa15.wav",
            "AudioData/KL/n30.wav",
            "ALL/JK_su03.wav",
            "ALL/DC_h01.wav",
            "AudioData/DC/a16.wav",
            "AudioData/XX/a01.wav",
            "ALL/DC_x01.wav",
            "ALL/ZZ_a01.wav",
        ],
    );
    let m = scan_corpus(Corpus::Savee, d.path()).expect("scan");
    assert_eq!(m.utterances.len(), 5, "{:#?}", m.skipped);
    let u = utt(&m, "a01.wav");
    assert_eq!(
        (
            u.speaker.as_str(),
            u.sex,
            u.emotion,
            u.native_label.as_str(),
            u.text.as_deref()
        ),
        (
            "savee:DC",
            Some(Sex::Male),
            Emotion::Angry,
            "a",
            Some("a01")
        )
    );
    assert_eq!(
        (
            utt(&m, "sa15.wav").emotion,
            utt(&m, "sa15.wav").speaker.as_str()
        ),
        (Emotion::Sad, "savee:JE")
    );
    assert_eq!(utt(&m, "n30.wav").emotion, Emotion::Neutral);
    let u = utt(&m, "JK_su03.wav");
    assert_eq!(
        (u.speaker.as_str(), u.emotion, u.native_label.as_str()),
        ("savee:JK", Emotion::Surprise, "su")
    );
    assert_eq!(utt(&m, "DC_h01.wav").emotion, Emotion::Happy);
    assert!(skipped_reason(&m, "a16.wav").contains("outside 01-15"));
    assert!(skipped_reason(&m, "ZZ_a01.wav").contains("speaker"));
    assert!(skipped_reason(&m, "DC_x01.wav").contains("emotion"));
    assert!(
        m.skipped
            .iter()
            .any(|s| s.path.ends_with("XX/a01.wav") && s.reason.contains("folder"))
    );
}

#[test]
fn emovo_folder_per_speaker() {
    let d = tempfile::tempdir().expect("tempdir");
    touch_all(
        d.path(),
        &[
            "f1/rab-f1-b1.wav",
            "m3/gio-m3-n5.wav",
            "m2/pau-m2-l4.wav",
            "m2/pau-m4-l4.wav",
            "m2/xxx-m2-l4.wav",
            "m2/pau-m2-l5.wav",
        ],
    );
    let m = scan_corpus(Corpus::Emovo, d.path()).expect("scan");
    assert_eq!(m.utterances.len(), 3);
    let u = utt(&m, "rab-f1-b1.wav");
    assert_eq!(
        (u.speaker.as_str(), u.sex, u.emotion, u.text.as_deref()),
        ("emovo:f1", Some(Sex::Female), Emotion::Angry, Some("b1"))
    );
    assert_eq!(
        (
            utt(&m, "gio-m3-n5.wav").emotion,
            utt(&m, "gio-m3-n5.wav").sex
        ),
        (Emotion::Happy, Some(Sex::Male))
    );
    assert_eq!(utt(&m, "pau-m2-l4.wav").emotion, Emotion::Fear);
    assert!(skipped_reason(&m, "pau-m4-l4.wav").contains("speaker"));
    assert!(skipped_reason(&m, "xxx-m2-l4.wav").contains("emotion"));
    assert!(skipped_reason(&m, "pau-m2-l5.wav").contains("sentence"));
}

#[test]
fn custom_folder_rule() {
    let d = tempfile::tempdir().expect("tempdir");
    touch_all(
        d.path(),
        &[
            "anna/take1_happy.wav",
            "anna/session2/x_Joy.FLAC",
            "bob_take3_anger.wav",
            "carl_pleasant_surprise.wav",
            "dora_sadness.ogg",
            "noemotion.wav",
            "eve_furious.wav",
        ],
    );
    let m = scan_corpus(Corpus::Custom, d.path()).expect("scan");
    let u = utt(&m, "take1_happy.wav");
    assert_eq!(
        (u.speaker.as_str(), u.emotion, u.sex, u.corpus.as_str()),
        ("custom:anna", Emotion::Happy, None, "custom")
    );
    assert_eq!(
        (
            utt(&m, "x_Joy.FLAC").speaker.as_str(),
            utt(&m, "x_Joy.FLAC").emotion
        ),
        ("custom:anna", Emotion::Happy)
    );
    assert_eq!(
        (
            utt(&m, "bob_take3_anger.wav").speaker.as_str(),
            utt(&m, "bob_take3_anger.wav").emotion
        ),
        ("custom:bob", Emotion::Angry)
    );
    let u = utt(&m, "carl_pleasant_surprise.wav");
    assert_eq!(
        (u.speaker.as_str(), u.emotion, u.native_label.as_str()),
        ("custom:carl", Emotion::Surprise, "pleasant_surprise")
    );
    assert_eq!(utt(&m, "dora_sadness.ogg").emotion, Emotion::Sad);
    assert!(skipped_reason(&m, "noemotion.wav").contains("expected"));
    assert!(skipped_reason(&m, "eve_furious.wav").contains("emotion"));
    assert_eq!(m.utterances.len(), 5);
}

#[test]
fn emotion_synonyms() {
    for (w, e) in [
        ("angry", Emotion::Angry),
        ("Anger", Emotion::Angry),
        ("happiness", Emotion::Happy),
        ("JOY", Emotion::Happy),
        ("sadness", Emotion::Sad),
        ("fearful", Emotion::Fear),
        ("surprised", Emotion::Surprise),
        ("ps", Emotion::Surprise),
        ("calm", Emotion::Calm),
        ("disgust", Emotion::Disgust),
        ("boredom", Emotion::Boredom),
        ("neutral", Emotion::Neutral),
    ] {
        assert_eq!(Emotion::from_synonym(w), Some(e), "{w}");
    }
    assert_eq!(Emotion::from_synonym("furious"), None);
}

#[test]
fn csv_manifest() {
    let d = tempfile::tempdir().expect("tempdir");
    touch_all(
        d.path(),
        &["audio/a.wav", "audio/b.wav", "audio/c.wav", "audio/d.wav"],
    );
    let abs = d.path().join("audio/d.wav");
    let csv = format!(
        "path,speaker,emotion,sex,text,intensity,age\naudio/a.wav,s1,Angry,F,hello,high,30\naudio/b.wav,lab:s2,joy,,,,\naudio/missing.wav,s1,sad,,,,\naudio/c.wav,s3,furious,,,,\n{},s4,neutral,x,,,\naudio/c.wav,s3,sad,m,,,old\n",
        abs.display()
    );
    let p = write(d.path(), "meta/../manifest.csv", csv.as_bytes());
    let m = scan_corpus(Corpus::Csv, &p).expect("scan");
    assert_eq!(m.utterances.len(), 2, "{:#?}", m.skipped);
    let u = &m.utterances[0];
    assert_eq!(
        (
            u.speaker.as_str(),
            u.emotion,
            u.sex,
            u.text.as_deref(),
            u.intensity.as_deref(),
            u.age,
            u.native_label.as_str()
        ),
        (
            "csv:s1",
            Emotion::Angry,
            Some(Sex::Female),
            Some("hello"),
            Some("high"),
            Some(30),
            "Angry"
        )
    );
    assert_eq!(u.path, d.path().join("meta/../audio/a.wav"));
    assert_eq!(
        (
            m.utterances[1].speaker.as_str(),
            m.utterances[1].emotion,
            m.utterances[1].sex
        ),
        ("lab:s2", Emotion::Happy, None)
    );
    let reasons: Vec<&str> = m.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    for want in ["does not exist", "unknown emotion", "unknown sex", "age"] {
        assert!(
            reasons
                .iter()
                .any(|r| r.contains(want) && r.contains("line ")),
            "{want}: {reasons:?}"
        );
    }
    // A folder with exactly one CSV works too; a CSV without the required columns is an error.
    assert_eq!(
        scan_corpus(Corpus::Csv, d.path())
            .expect("folder")
            .utterances
            .len(),
        2
    );
    let bad = write(d.path(), "other/bad.csv", b"file,label\na.wav,happy\n");
    let e = scan_corpus(Corpus::Csv, &bad).expect_err("missing columns");
    assert!(
        e.to_string().contains("bad.csv") && e.to_string().contains("path"),
        "{e}"
    );
}

#[test]
fn discover_by_name_and_by_layout() {
    let d = tempfile::tempdir().expect("tempdir");
    touch_all(
        d.path(),
        &[
            "EMO-DB/wav/03a01Fa.wav",
            "my_ravdess_copy/Actor_01/03-01-05-02-01-01-01.wav",
            "my_ravdess_copy/Actor_01/03-01-05-01-01-01-01.wav",
            "stuff/holiday.wav",
            "Emovo/f1/rab-f1-b1.wav",
            "savee_kaggle/ALL/DC_a01.wav",
        ],
    );
    write(
        d.path(),
        "crema-d/VideoDemographics.csv",
        b"ActorID,Age,Sex\n",
    );
    let found = ser_io::discover(d.path()).expect("discover");
    let names: Vec<(Corpus, String)> = found
        .iter()
        .map(|(c, p)| {
            (
                *c,
                p.file_name().expect("name").to_string_lossy().to_string(),
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![
            (Corpus::Emodb, "EMO-DB".into()),
            (Corpus::Ravdess, "my_ravdess_copy".into()),
            (Corpus::Crema, "crema-d".into()),
            (Corpus::Savee, "savee_kaggle".into()),
            (Corpus::Emovo, "Emovo".into()),
        ]
    );
    let m = ser_io::scan(d.path()).expect("scan");
    assert_eq!(m.utterances.len(), 5);
    // A corpus folder given directly as the root is found too.
    let inner = ser_io::discover(&d.path().join("my_ravdess_copy")).expect("discover");
    assert_eq!(inner.len(), 1);
    assert_eq!(inner[0].0, Corpus::Ravdess);
    assert!(ser_io::discover(&d.path().join("nope")).is_err());
}

#[test]
fn unreadable_folder_is_reported_not_fatal() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().expect("tempdir");
    touch_all(d.path(), &["wav/03a01Fa.wav", "locked/08a01Fa.wav"]);
    let locked = d.path().join("locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let readable_anyway = std::fs::read_dir(&locked).is_ok();
    let m = scan_corpus(Corpus::Emodb, d.path()).expect("scan carries on");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).expect("chmod back");
    if readable_anyway {
        println!(
            "skipping the permission assertion: running as root, chmod 000 folders stay readable"
        );
        assert_eq!(m.utterances.len(), 2);
        return;
    }
    assert_eq!(m.utterances.len(), 1);
    let s = m
        .skipped
        .iter()
        .find(|s| s.path == locked)
        .expect("locked folder reported");
    assert!(s.reason.contains("cannot read folder"), "{}", s.reason);
}

#[test]
fn unreadable_root_is_an_error_naming_it() {
    let missing = Path::new("/definitely/not/here");
    let e = scan_corpus(Corpus::Emodb, missing).expect_err("missing root");
    assert!(e.to_string().contains("/definitely/not/here"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// Every file under a corpus folder is accounted for: an utterance or a skipped entry.
    #[test]
    fn every_file_is_accounted_for(names in proptest::collection::btree_set("[a-zA-Z0-9_.-]{1,12}(/[a-zA-Z0-9_.-]{1,12})?", 1..25), corpus in 0usize..7) {
        let d = tempfile::tempdir().expect("tempdir");
        let mut n_files = 0;
        for n in &names {
            let p = d.path().join(n);
            if n.split('/').any(|c| c == "." || c == "..") || p.exists() || p.parent().is_some_and(|q| q.is_file()) {
                continue;
            }
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            if std::fs::write(&p, b"x").is_ok() {
                n_files += 1;
            }
        }
        let c = Corpus::ALL[corpus];
        let m = scan_corpus(c, d.path()).expect("scan");
        prop_assert_eq!(m.utterances.len() + m.skipped.len(), n_files, "{:?}", m);
    }
}
