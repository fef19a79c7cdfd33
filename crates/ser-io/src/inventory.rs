//! Inventory of corpora: what `cargo xtask datasets` prints.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Corpus, Note, Result, Skipped, decode, discover, probe_info, scan_corpus};

/// Per-corpus summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorpusInventory {
    pub corpus: Corpus,
    pub path: PathBuf,
    /// Labelled utterances found (readable or not).
    pub files: usize,
    /// Distinct speaker ids.
    pub speakers: Vec<String>,
    /// Number of speakers per sex (`male`, `female`, `unknown`).
    pub speakers_by_sex: BTreeMap<String, usize>,
    /// Utterances per unified emotion.
    pub emotions: BTreeMap<String, usize>,
    /// Utterances per native label code.
    pub native_labels: BTreeMap<String, usize>,
    /// Total audio duration in hours (from the headers; files whose header gives no length are
    /// decoded).
    pub hours: f64,
    /// Utterances per native sample rate (Hz).
    pub sample_rates_hz: BTreeMap<u32, usize>,
    /// Utterances per channel count.
    pub channels: BTreeMap<u16, usize>,
    /// Files passed over by the scan, with the reason.
    pub skipped: Vec<Skipped>,
    /// What the scan had to infer for files it kept (e.g. a TESS speaker taken from the folder
    /// because the file name misspells it).
    #[serde(default)]
    pub notes: Vec<Note>,
    /// Labelled files whose audio header cannot be read, with the error.
    pub unreadable: Vec<Skipped>,
}

/// Summary of every corpus under a root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    pub corpora: Vec<CorpusInventory>,
}

impl Inventory {
    /// Discover the corpora under `root` and summarise each.
    pub fn of_root(root: &Path) -> Result<Inventory> {
        Inventory::of_corpora(&discover(root)?)
    }

    /// Summarise the given corpora (e.g. from `--corpus NAME=PATH`).
    pub fn of_corpora(list: &[(Corpus, PathBuf)]) -> Result<Inventory> {
        let corpora = list
            .iter()
            .map(|(c, p)| CorpusInventory::of(*c, p))
            .collect::<Result<Vec<_>>>()?;
        Ok(Inventory { corpora })
    }
}

impl CorpusInventory {
    /// Scan one corpus and read every file's header.
    pub fn of(corpus: Corpus, path: &Path) -> Result<CorpusInventory> {
        let m = scan_corpus(corpus, path)?;
        let mut speakers = BTreeMap::<String, Option<crate::Sex>>::new();
        let mut emotions = BTreeMap::new();
        let mut native_labels = BTreeMap::new();
        let mut sample_rates_hz = BTreeMap::new();
        let mut channels = BTreeMap::new();
        let mut unreadable = Vec::new();
        let mut seconds = 0.0f64;
        for u in &m.utterances {
            speakers.entry(u.speaker.clone()).or_insert(u.sex);
            *emotions.entry(u.emotion.as_str().to_string()).or_insert(0) += 1;
            *native_labels.entry(u.native_label.clone()).or_insert(0) += 1;
            match probe_info(&u.path) {
                Ok(info) => {
                    *sample_rates_hz.entry(info.sample_rate_hz).or_insert(0) += 1;
                    *channels.entry(info.channels).or_insert(0) += 1;
                    match info.duration_s() {
                        Some(s) => seconds += s,
                        None => match decode(&u.path) {
                            Ok(a) => seconds += a.duration_s(),
                            Err(e) => unreadable.push(Skipped {
                                path: u.path.clone(),
                                reason: e.to_string(),
                            }),
                        },
                    }
                }
                Err(e) => unreadable.push(Skipped {
                    path: u.path.clone(),
                    reason: e.to_string(),
                }),
            }
        }
        let mut speakers_by_sex = BTreeMap::new();
        for sex in speakers.values() {
            let k = sex.map_or("unknown", |s| s.as_str()).to_string();
            *speakers_by_sex.entry(k).or_insert(0) += 1;
        }
        Ok(CorpusInventory {
            corpus,
            path: path.to_path_buf(),
            files: m.utterances.len(),
            speakers: speakers
                .into_keys()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            speakers_by_sex,
            emotions,
            native_labels,
            hours: seconds / 3600.0,
            sample_rates_hz,
            channels,
            skipped: m.skipped,
            notes: m.notes,
            unreadable,
        })
    }
}

fn join_counts<K: fmt::Display>(m: &BTreeMap<K, usize>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Inventory {
    /// A human-readable report, one block per corpus.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.corpora.is_empty() {
            return writeln!(f, "no corpora found");
        }
        let (mut files, mut hours) = (0usize, 0.0f64);
        for c in &self.corpora {
            files += c.files;
            hours += c.hours;
            writeln!(f, "{} ({})", c.corpus, c.path.display())?;
            writeln!(
                f,
                "  files {:>6}   hours {:>8.3}   speakers {} ({})",
                c.files,
                c.hours,
                c.speakers.len(),
                join_counts(&c.speakers_by_sex)
            )?;
            writeln!(f, "  emotions: {}", join_counts(&c.emotions))?;
            writeln!(f, "  native labels: {}", join_counts(&c.native_labels))?;
            let rates: BTreeMap<String, usize> = c
                .sample_rates_hz
                .iter()
                .map(|(k, v)| (format!("{k} Hz:"), *v))
                .collect();
            writeln!(f, "  sample rates: {}", join_counts(&rates))?;
            let chans: BTreeMap<String, usize> = c
                .channels
                .iter()
                .map(|(k, v)| (format!("{k} ch:"), *v))
                .collect();
            writeln!(f, "  channels: {}", join_counts(&chans))?;
            writeln!(f, "  skipped: {}", c.skipped.len())?;
            for s in &c.skipped {
                writeln!(f, "    {}: {}", s.path.display(), s.reason)?;
            }
            if !c.notes.is_empty() {
                writeln!(f, "  notes: {}", c.notes.len())?;
                for n in &c.notes {
                    writeln!(f, "    {}: {}", n.path.display(), n.message)?;
                }
            }
            if !c.unreadable.is_empty() {
                writeln!(f, "  unreadable audio: {}", c.unreadable.len())?;
                for s in &c.unreadable {
                    writeln!(f, "    {}", s.reason)?;
                }
            }
        }
        writeln!(
            f,
            "total: {} corpora, {files} files, {hours:.3} hours",
            self.corpora.len()
        )
    }
}
