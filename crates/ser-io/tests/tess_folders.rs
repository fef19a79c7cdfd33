//! TESS in its documented `<SPEAKER>_<emotion>/` folder layout: the folder decides the speaker
//! when a file name misspells it (TESS's own `OAF_neutral/OA_bite_neutral.wav`), and the emotion
//! of the file name must agree with the folder's.

use std::path::Path;

use ser_io::{Corpus, Emotion, Inventory, Sex, scan_corpus, write_wav_pcm16};

fn tone() -> Vec<f32> {
    (0..2_441).map(|i| 0.3 * (i as f32 * 0.07).sin()).collect()
}

fn tess_tree(root: &Path) {
    let x = tone();
    for name in [
        "OAF_angry/OAF_back_angry.wav",
        "OAF_neutral/OAF_back_neutral.wav",
        "OAF_neutral/OA_bite_neutral.wav",
        "YAF_fear/YAF_back_fear.wav",
        "YAF_fear/OAF_bite_fear.wav",
        "YAF_Pleasant_surprise/YA_bite_ps.wav",
        "OAF_sad/OAF_back_angry.wav",
        "OAF_angry/OAF_bath_furious.wav",
        "misc/OA_chair_happy.wav",
        "misc/YAF_chair_happy.wav",
    ] {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        write_wav_pcm16(&p, &x, 24_414).expect("write wav");
    }
}

#[test]
fn tess_speaker_comes_from_the_folder_when_the_file_name_disagrees() {
    let d = tempfile::tempdir().expect("tempdir");
    tess_tree(d.path());
    let m = scan_corpus(Corpus::Tess, d.path()).expect("scan");
    let find = |rel: &str| {
        m.utterances
            .iter()
            .find(|u| u.path == d.path().join(rel))
            .unwrap_or_else(|| panic!("{rel} not kept: {:#?}", m.skipped))
    };
    let u = find("OAF_neutral/OA_bite_neutral.wav");
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
            Emotion::Neutral,
            Some("bite"),
            "neutral"
        )
    );
    // A valid but different speaker in the name: the folder still decides.
    let u = find("YAF_fear/OAF_bite_fear.wav");
    assert_eq!((u.speaker.as_str(), u.age), ("tess:YAF", Some(26)));
    let u = find("YAF_Pleasant_surprise/YA_bite_ps.wav");
    assert_eq!(
        (u.speaker.as_str(), u.emotion),
        ("tess:YAF", Emotion::Surprise)
    );
    assert_eq!(find("misc/YAF_chair_happy.wav").speaker, "tess:YAF");
    assert_eq!(m.utterances.len(), 7, "{:#?}", m.skipped);

    let notes: Vec<(String, &str)> = m
        .notes
        .iter()
        .map(|n| {
            let rel = n.path.strip_prefix(d.path()).expect("under root");
            (rel.display().to_string(), n.message.as_str())
        })
        .collect();
    assert_eq!(
        notes,
        [
            (
                "OAF_neutral/OA_bite_neutral.wav".to_string(),
                "speaker taken from folder OAF_neutral, file name says OA"
            ),
            (
                "YAF_Pleasant_surprise/YA_bite_ps.wav".to_string(),
                "speaker taken from folder YAF_Pleasant_surprise, file name says YA"
            ),
            (
                "YAF_fear/OAF_bite_fear.wav".to_string(),
                "speaker taken from folder YAF_fear, file name says OAF"
            ),
        ]
    );

    let reason = |rel: &str| {
        m.skipped
            .iter()
            .find(|s| s.path == d.path().join(rel))
            .map(|s| s.reason.as_str())
            .unwrap_or_else(|| panic!("{rel} not skipped: {:#?}", m.utterances))
    };
    let r = reason("OAF_sad/OAF_back_angry.wav");
    assert!(
        r.contains("disagrees with its folder OAF_sad") && r.contains("angry"),
        "{r}"
    );
    assert!(
        reason("OAF_angry/OAF_bath_furious.wav").contains("emotion"),
        "furious is no TESS emotion"
    );
    // Outside a <SPEAKER>_<emotion> folder there is nothing to take the speaker from.
    assert!(reason("misc/OA_chair_happy.wav").contains("speaker \"OA\" is not OAF or YAF"));
    assert_eq!(m.skipped.len(), 3);

    // The inventory lists the notes.
    let inv = Inventory::of_corpora(&[(Corpus::Tess, d.path().to_path_buf())]).expect("inventory");
    assert_eq!(inv.corpora[0].notes, m.notes);
    let text = inv.to_string();
    assert!(text.contains("notes: 3"), "{text}");
    assert!(
        text.contains(
            "OA_bite_neutral.wav: speaker taken from folder OAF_neutral, file name says OA"
        ),
        "{text}"
    );
}
