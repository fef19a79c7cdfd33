//! File-name schemes of the published corpora (see `datasets/README.md`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{Corpus, Walk, finish, walk};
use crate::{Emotion, Error, Manifest, Result, Sex, Skipped, Utterance};

/// Parse one file's path under `root` by `corpus`'s naming scheme. The error is the reason the
/// file is skipped. CREMA-D parsed this way carries no sex/age (see
/// [`scan_crema_with_demographics`]). What the parse had to infer (a TESS speaker taken from the
/// folder) is not returned here; [`crate::scan_corpus`] keeps it in [`Manifest::notes`].
pub fn parse_file_name(
    corpus: Corpus,
    root: &Path,
    path: &Path,
) -> std::result::Result<Utterance, String> {
    parse_with_note(corpus, root, path).map(|(u, _)| u)
}

/// [`parse_file_name`] plus a note on what the parse had to infer, if anything.
pub(crate) fn parse_with_note(
    corpus: Corpus,
    root: &Path,
    path: &Path,
) -> std::result::Result<(Utterance, Option<String>), String> {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| "file name is not valid UTF-8".to_string())?;
    let plain = match corpus {
        Corpus::Tess => return tess(path, stem),
        Corpus::Emodb => emodb(path, stem),
        Corpus::Ravdess => ravdess(path, stem),
        Corpus::Crema => crema(path, stem, None),
        Corpus::Savee => savee(path, stem),
        Corpus::Emovo => emovo(path, stem),
        Corpus::Custom => custom(root, path, stem),
        Corpus::Csv => Err("CSV manifests are not parsed from file names".into()),
    };
    plain.map(|u| (u, None))
}

fn utt(path: &Path, corpus: Corpus, speaker: &str, emotion: Emotion, native: &str) -> Utterance {
    Utterance {
        path: path.to_path_buf(),
        corpus: corpus.as_str().to_string(),
        speaker: format!("{}:{speaker}", corpus.as_str()),
        sex: None,
        emotion,
        native_label: native.to_string(),
        text: None,
        intensity: None,
        age: None,
    }
}

fn two_digits(s: &str) -> Option<u32> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// EMO-DB speakers: (id, sex, age in years) from the corpus documentation.
const EMODB_SPEAKERS: [(&str, Sex, u32); 10] = [
    ("03", Sex::Male, 31),
    ("08", Sex::Female, 34),
    ("09", Sex::Female, 21),
    ("10", Sex::Male, 32),
    ("11", Sex::Male, 26),
    ("12", Sex::Male, 30),
    ("13", Sex::Female, 32),
    ("14", Sex::Female, 35),
    ("15", Sex::Male, 25),
    ("16", Sex::Female, 31),
];

/// `03a01Fa` = speaker, text (a|b + 2 digits), emotion letter, version letter.
fn emodb(path: &Path, stem: &str) -> std::result::Result<Utterance, String> {
    let expect =
        "expected <speaker 2 digits><text a01..b10><emotion letter><version letter>, e.g. 03a01Fa";
    let b = stem.as_bytes();
    if b.len() != 7 || !stem.is_ascii() {
        return Err(format!("EMO-DB name {stem:?}: {expect}"));
    }
    let spk = &stem[0..2];
    let text = &stem[2..5];
    let letter = &stem[5..6];
    let version = b[6];
    let Some(&(_, sex, age)) = EMODB_SPEAKERS.iter().find(|(s, _, _)| *s == spk) else {
        return Err(format!(
            "EMO-DB name {stem:?}: speaker {spk:?} is not one of 03, 08-16"
        ));
    };
    if !(matches!(b[2], b'a' | b'b') && two_digits(&text[1..]).is_some()) {
        return Err(format!("EMO-DB name {stem:?}: text {text:?}: {expect}"));
    }
    if !version.is_ascii_lowercase() {
        return Err(format!("EMO-DB name {stem:?}: version letter: {expect}"));
    }
    let emotion = match letter {
        "W" => Emotion::Angry,
        "L" => Emotion::Boredom,
        "E" => Emotion::Disgust,
        "A" => Emotion::Fear,
        "F" => Emotion::Happy,
        "T" => Emotion::Sad,
        "N" => Emotion::Neutral,
        _ => {
            return Err(format!(
                "EMO-DB name {stem:?}: emotion letter {letter:?} is not one of W L E A F T N"
            ));
        }
    };
    let mut u = utt(path, Corpus::Emodb, spk, emotion, letter);
    u.sex = Some(sex);
    u.age = Some(age);
    u.text = Some(text.to_string());
    Ok(u)
}

/// `03-01-05-02-01-01-12` = modality-channel-emotion-intensity-statement-repetition-actor.
fn ravdess(path: &Path, stem: &str) -> std::result::Result<Utterance, String> {
    let expect = "expected 7 two-digit fields MM-VV-EE-II-SS-RR-AA, e.g. 03-01-05-02-01-01-12";
    let f: Vec<&str> = stem.split('-').collect();
    if f.len() != 7 || f.iter().any(|x| two_digits(x).is_none()) {
        return Err(format!("RAVDESS name {stem:?}: {expect}"));
    }
    let n: Vec<u32> = f.iter().filter_map(|x| two_digits(x)).collect();
    if n[0] != 3 {
        return Err(format!(
            "RAVDESS name {stem:?}: modality {} is not 03 (audio-only)",
            f[0]
        ));
    }
    if !(1..=2).contains(&n[1]) {
        return Err(format!(
            "RAVDESS name {stem:?}: vocal channel {} is not 01 (speech) or 02 (song)",
            f[1]
        ));
    }
    let emotion = match n[2] {
        1 => Emotion::Neutral,
        2 => Emotion::Calm,
        3 => Emotion::Happy,
        4 => Emotion::Sad,
        5 => Emotion::Angry,
        6 => Emotion::Fear,
        7 => Emotion::Disgust,
        8 => Emotion::Surprise,
        _ => {
            return Err(format!(
                "RAVDESS name {stem:?}: emotion {} is not 01-08",
                f[2]
            ));
        }
    };
    let intensity = match n[3] {
        1 => "normal",
        2 => "strong",
        _ => {
            return Err(format!(
                "RAVDESS name {stem:?}: intensity {} is not 01 or 02",
                f[3]
            ));
        }
    };
    let text = match n[4] {
        1 => "Kids are talking by the door",
        2 => "Dogs are sitting by the door",
        _ => {
            return Err(format!(
                "RAVDESS name {stem:?}: statement {} is not 01 or 02",
                f[4]
            ));
        }
    };
    if !(1..=2).contains(&n[5]) {
        return Err(format!(
            "RAVDESS name {stem:?}: repetition {} is not 01 or 02",
            f[5]
        ));
    }
    if !(1..=24).contains(&n[6]) {
        return Err(format!(
            "RAVDESS name {stem:?}: actor {} is not 01-24",
            f[6]
        ));
    }
    let mut u = utt(path, Corpus::Ravdess, f[6], emotion, f[2]);
    u.sex = Some(if n[6] % 2 == 1 {
        Sex::Male
    } else {
        Sex::Female
    });
    u.intensity = Some(intensity.to_string());
    u.text = Some(text.to_string());
    Ok(u)
}

/// Age of a TESS speaker (`OAF`, `YAF`, upper case), from the corpus documentation.
fn tess_age(speaker: &str) -> Option<u32> {
    match speaker {
        "OAF" => Some(64),
        "YAF" => Some(26),
        _ => None,
    }
}

/// A TESS emotion word (any case; `ps` or `pleasant_surprise(d)` for pleasant surprise).
fn tess_emotion(native: &str) -> Option<Emotion> {
    Some(match native.to_ascii_lowercase().as_str() {
        "angry" => Emotion::Angry,
        "disgust" => Emotion::Disgust,
        "fear" => Emotion::Fear,
        "happy" => Emotion::Happy,
        "neutral" => Emotion::Neutral,
        "sad" => Emotion::Sad,
        "ps" | "pleasant_surprise" | "pleasant_surprised" => Emotion::Surprise,
        _ => return None,
    })
}

/// The folder holding `path` when it is a TESS `<SPEAKER>_<emotion>` folder (`OAF_angry`,
/// `YAF_pleasant_surprised`, any case): its name, the speaker (upper case) and the emotion.
fn tess_folder(path: &Path) -> Option<(String, String, Emotion)> {
    let name = path.parent()?.file_name()?.to_str()?;
    let (speaker, emotion) = name.split_once('_')?;
    let speaker = speaker.to_ascii_uppercase();
    tess_age(&speaker)?;
    Some((name.to_string(), speaker, tess_emotion(emotion)?))
}

/// `OAF_back_ps` = speaker _ word _ emotion (emotion may be `pleasant_surprise(d)`), in a
/// `<SPEAKER>_<emotion>/` folder (`OAF_angry/OAF_back_angry.wav`, TESS's documented layout).
///
/// When the file sits in such a folder, the folder decides the speaker: a file name whose
/// speaker is misspelt or different (TESS's own `OAF_neutral/OA_bite_neutral.wav`) takes the
/// folder's, with a note saying so. The emotion must agree with the folder's (a file whose name
/// and folder name different emotions is skipped: its label is unknown). Files outside such
/// folders (flattened copies) are judged by their names alone.
fn tess(path: &Path, stem: &str) -> std::result::Result<(Utterance, Option<String>), String> {
    let tokens: Vec<&str> = stem.split('_').collect();
    if tokens.len() < 3 {
        return Err(format!(
            "TESS name {stem:?}: expected <speaker>_<word>_<emotion>, e.g. OAF_back_angry"
        ));
    }
    let folder = tess_folder(path);
    let named = tokens[0].to_ascii_uppercase();
    let (spk, note) = match &folder {
        Some((name, spk, _)) if *spk != named => (
            spk.clone(),
            Some(format!(
                "speaker taken from folder {name}, file name says {}",
                tokens[0]
            )),
        ),
        Some((_, spk, _)) => (spk.clone(), None),
        None if tess_age(&named).is_some() => (named, None),
        None => {
            return Err(format!(
                "TESS name {stem:?}: speaker {:?} is not OAF or YAF (and the folder is not a \
                 <OAF|YAF>_<emotion> folder to take it from)",
                tokens[0]
            ));
        }
    };
    let age = tess_age(&spk).unwrap_or_default();
    let word = tokens[1].to_ascii_lowercase();
    let native = tokens[2..].join("_");
    let Some(emotion) = tess_emotion(&native) else {
        return Err(format!(
            "TESS name {stem:?}: emotion {native:?} is not one of angry, disgust, fear, happy, neutral, ps, sad"
        ));
    };
    if let Some((name, _, folder_emotion)) = &folder
        && *folder_emotion != emotion
    {
        return Err(format!(
            "TESS name {stem:?}: emotion {native:?} ({}) disagrees with its folder {name} ({})",
            emotion.as_str(),
            folder_emotion.as_str()
        ));
    }
    if word.is_empty() {
        return Err(format!("TESS name {stem:?}: empty word"));
    }
    let mut u = utt(path, Corpus::Tess, &spk, emotion, &native);
    u.sex = Some(Sex::Female);
    u.age = Some(age);
    u.text = Some(word);
    Ok((u, note))
}

const CREMA_SENTENCES: [&str; 12] = [
    "IEO", "TIE", "IOM", "IWW", "TAI", "MTI", "IWL", "ITH", "DFA", "ITS", "TSI", "WSI",
];

/// CREMA-D actor demographics from `VideoDemographics.csv`: actor id → (sex, age).
#[derive(Debug, Clone, Default)]
pub(crate) struct Demographics(HashMap<u32, (Option<Sex>, Option<u32>)>);

impl Demographics {
    pub(crate) fn read(path: &Path) -> Result<Self> {
        let err = |reason: String| Error::Manifest {
            path: path.to_path_buf(),
            reason,
        };
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .map_err(|e| err(format!("cannot read CSV: {e}")))?;
        let headers = rdr
            .headers()
            .map_err(|e| err(format!("cannot read CSV header: {e}")))?
            .clone();
        let col = |name: &str| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    err(format!(
                        "missing column {name:?} (expected ActorID, Age, Sex)"
                    ))
                })
        };
        let (c_id, c_age, c_sex) = (col("ActorID")?, col("Age")?, col("Sex")?);
        let mut map = HashMap::new();
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| err(format!("row {}: {e}", i + 2)))?;
            let Some(id) = rec.get(c_id).and_then(|s| s.trim().parse::<u32>().ok()) else {
                return Err(err(format!("row {}: ActorID is not a number", i + 2)));
            };
            let age = rec.get(c_age).and_then(|s| s.trim().parse::<u32>().ok());
            let sex = rec.get(c_sex).and_then(|s| s.parse::<Sex>().ok());
            map.insert(id, (sex, age));
        }
        Ok(Demographics(map))
    }
}

/// Where `VideoDemographics.csv` is looked for: in `dir`, then beside `dir` (its parent folder).
fn find_demographics(dir: &Path) -> Option<PathBuf> {
    let name = "VideoDemographics.csv";
    [Some(dir.join(name)), dir.parent().map(|p| p.join(name))]
        .into_iter()
        .flatten()
        .find(|p| p.is_file())
}

/// `1001_DFA_ANG_XX` = actor _ sentence _ emotion _ level.
fn crema(
    path: &Path,
    stem: &str,
    demo: Option<&Demographics>,
) -> std::result::Result<Utterance, String> {
    let f: Vec<&str> = stem.split('_').collect();
    let expect = "expected <actor 1001-1091>_<sentence>_<emotion>_<level>, e.g. 1001_DFA_ANG_XX";
    if f.len() != 4 {
        return Err(format!("CREMA-D name {stem:?}: {expect}"));
    }
    let actor: u32 = match f[0].parse() {
        Ok(a) if (1001..=1091).contains(&a) && f[0].len() == 4 => a,
        _ => return Err(format!("CREMA-D name {stem:?}: actor {:?}: {expect}", f[0])),
    };
    if !CREMA_SENTENCES.contains(&f[1]) {
        return Err(format!(
            "CREMA-D name {stem:?}: sentence {:?} is not one of {}",
            f[1],
            CREMA_SENTENCES.join(", ")
        ));
    }
    let emotion = match f[2] {
        "ANG" => Emotion::Angry,
        "DIS" => Emotion::Disgust,
        "FEA" => Emotion::Fear,
        "HAP" => Emotion::Happy,
        "NEU" => Emotion::Neutral,
        "SAD" => Emotion::Sad,
        _ => {
            return Err(format!(
                "CREMA-D name {stem:?}: emotion {:?} is not one of ANG, DIS, FEA, HAP, NEU, SAD",
                f[2]
            ));
        }
    };
    if !matches!(f[3], "LO" | "MD" | "HI" | "XX") {
        return Err(format!(
            "CREMA-D name {stem:?}: level {:?} is not one of LO, MD, HI, XX",
            f[3]
        ));
    }
    let mut u = utt(path, Corpus::Crema, f[0], emotion, f[2]);
    u.text = Some(f[1].to_string());
    u.intensity = Some(f[3].to_string());
    if let Some(&(sex, age)) = demo.and_then(|d| d.0.get(&actor)) {
        u.sex = sex;
        u.age = age;
    }
    Ok(u)
}

/// Scan CREMA-D at `dir`, taking actor sex and age from `demographics` (a
/// `VideoDemographics.csv`), or when `None` from `dir/VideoDemographics.csv` or
/// `dir/../VideoDemographics.csv`. Without one, sex and age stay unknown.
pub fn scan_crema_with_demographics(dir: &Path, demographics: Option<&Path>) -> Result<Manifest> {
    let demo_path = demographics
        .map(Path::to_path_buf)
        .or_else(|| find_demographics(dir));
    let demo = demo_path.as_deref().map(Demographics::read).transpose()?;
    let Walk { files, mut skipped } = walk(dir)?;
    // The corpus's own metadata CSVs are expected, not stray.
    skipped.retain(|s| {
        let name = s.path.file_name().map(|n| n.to_string_lossy().to_string());
        !matches!(
            name.as_deref(),
            Some("VideoDemographics.csv" | "SentenceFilenames.csv")
        )
    });
    let mut utterances = Vec::with_capacity(files.len());
    for path in files {
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            skipped.push(Skipped {
                path,
                reason: "file name is not valid UTF-8".into(),
            });
            continue;
        };
        match crema(&path, stem, demo.as_ref()) {
            Ok(u) => {
                if demo.is_some() && u.sex.is_none() {
                    skipped.push(Skipped {
                        reason: format!(
                            "CREMA-D actor {} is not in the demographics file",
                            u.speaker
                        ),
                        path,
                    });
                } else {
                    utterances.push(u);
                }
            }
            Err(reason) => skipped.push(Skipped { path, reason }),
        }
    }
    Ok(finish(utterances, skipped, Vec::new()))
}

const SAVEE_SPEAKERS: [&str; 4] = ["DC", "JE", "JK", "KL"];

fn savee_code(code: &str) -> std::result::Result<(Emotion, &str, u32), String> {
    let split = code
        .find(|c: char| c.is_ascii_digit())
        .ok_or_else(|| format!("SAVEE code {code:?}: no sentence number"))?;
    let (letters, digits) = code.split_at(split);
    let nn = two_digits(digits)
        .ok_or_else(|| format!("SAVEE code {code:?}: sentence number is not 2 digits"))?;
    let (emotion, max) = match letters {
        "a" => (Emotion::Angry, 15),
        "d" => (Emotion::Disgust, 15),
        "f" => (Emotion::Fear, 15),
        "h" => (Emotion::Happy, 15),
        "n" => (Emotion::Neutral, 30),
        "sa" => (Emotion::Sad, 15),
        "su" => (Emotion::Surprise, 15),
        _ => {
            return Err(format!(
                "SAVEE code {code:?}: emotion {letters:?} is not one of a, d, f, h, n, sa, su"
            ));
        }
    };
    if !(1..=max).contains(&nn) {
        return Err(format!(
            "SAVEE code {code:?}: sentence {nn} is outside 01-{max:02}"
        ));
    }
    Ok((emotion, letters, nn))
}

/// `AudioData/DC/a01` (speaker from the folder) or `ALL/DC_a01` (speaker prefix).
fn savee(path: &Path, stem: &str) -> std::result::Result<Utterance, String> {
    let (spk, code) = if let Some((spk, code)) = stem.split_once('_') {
        if !SAVEE_SPEAKERS.contains(&spk) {
            return Err(format!(
                "SAVEE name {stem:?}: speaker {spk:?} is not one of DC, JE, JK, KL"
            ));
        }
        (spk.to_string(), code)
    } else {
        let folder = path
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if !SAVEE_SPEAKERS.contains(&folder.as_str()) {
            return Err(format!(
                "SAVEE name {stem:?}: expected AudioData/<DC|JE|JK|KL>/<code><nn>.wav or <SPK>_<code><nn>.wav, but the folder is {folder:?}"
            ));
        }
        (folder, stem)
    };
    let (emotion, letters, _) =
        savee_code(code).map_err(|e| format!("SAVEE name {stem:?}: {e}"))?;
    let mut u = utt(path, Corpus::Savee, &spk, emotion, letters);
    u.sex = Some(Sex::Male);
    u.text = Some(code.to_string());
    Ok(u)
}

/// `rab-f1-b1` = emotion - speaker - sentence.
fn emovo(path: &Path, stem: &str) -> std::result::Result<Utterance, String> {
    let f: Vec<&str> = stem.split('-').collect();
    if f.len() != 3 {
        return Err(format!(
            "EMOVO name {stem:?}: expected <emotion>-<speaker>-<sentence>, e.g. rab-f1-b1"
        ));
    }
    let emotion = match f[0] {
        "dis" => Emotion::Disgust,
        "gio" => Emotion::Happy,
        "neu" => Emotion::Neutral,
        "pau" => Emotion::Fear,
        "rab" => Emotion::Angry,
        "sor" => Emotion::Surprise,
        "tri" => Emotion::Sad,
        _ => {
            return Err(format!(
                "EMOVO name {stem:?}: emotion {:?} is not one of dis, gio, neu, pau, rab, sor, tri",
                f[0]
            ));
        }
    };
    let sex = match f[1] {
        "f1" | "f2" | "f3" => Sex::Female,
        "m1" | "m2" | "m3" => Sex::Male,
        _ => {
            return Err(format!(
                "EMOVO name {stem:?}: speaker {:?} is not one of f1-f3, m1-m3",
                f[1]
            ));
        }
    };
    let valid_sentence = matches!(
        f[2].as_bytes(),
        [b'b', b'1'..=b'3'] | [b'd', b'1'..=b'2'] | [b'l', b'1'..=b'4'] | [b'n', b'1'..=b'5']
    );
    if !valid_sentence {
        return Err(format!(
            "EMOVO name {stem:?}: sentence {:?} is not one of b1-b3, d1-d2, l1-l4, n1-n5",
            f[2]
        ));
    }
    let mut u = utt(path, Corpus::Emovo, f[1], emotion, f[0]);
    u.sex = Some(sex);
    u.text = Some(f[2].to_string());
    Ok(u)
}

/// `*_<emotion>.<ext>`; speaker from the first sub-folder under `root`, else the first name token.
fn custom(root: &Path, path: &Path, stem: &str) -> std::result::Result<Utterance, String> {
    let tokens: Vec<&str> = stem.split('_').collect();
    if tokens.len() < 2 {
        return Err(format!(
            "custom name {stem:?}: expected <anything>_<emotion>.<ext>, e.g. anna_take1_happy.wav"
        ));
    }
    let last = tokens[tokens.len() - 1];
    // Two-word emotions (`pleasant_surprise`) first, then the last word alone.
    let two = (tokens.len() >= 3).then(|| format!("{}_{}", tokens[tokens.len() - 2], last));
    let (emotion, native, n_emotion_tokens) = match two
        .as_deref()
        .and_then(|t| Emotion::from_synonym(t).map(|e| (e, t)))
    {
        Some((e, t)) => (e, t.to_string(), 2),
        None => match Emotion::from_synonym(last) {
            Some(e) => (e, last.to_string(), 1),
            None => {
                return Err(format!(
                    "custom name {stem:?}: {last:?} is not a known emotion word (see Emotion::from_synonym)"
                ));
            }
        },
    };
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut comps = rel.components();
    let first = comps.next();
    let speaker = if comps.next().is_some() {
        first
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .unwrap_or_default()
    } else {
        if tokens.len() <= n_emotion_tokens {
            return Err(format!("custom name {stem:?}: no speaker token"));
        }
        tokens[0].to_string()
    };
    if speaker.is_empty() {
        return Err(format!("custom name {stem:?}: empty speaker"));
    }
    Ok(utt(path, Corpus::Custom, &speaker, emotion, &native))
}
