//! Augmented feature tables: `copies` augmented versions of every utterance of a corpus (noise,
//! pitch shift, time stretch, speed, reverberation, ... from `ser_dsp::augment`), their features
//! extracted with the corpus table's feature set and cached in
//! `<corpus>.<feature_set>.aug-<id>.parquet` beside the corpus table.
//!
//! The copies are made once per corpus, independently of any split; the evaluation then uses a
//! copy in a training fold exactly when its source utterance is a training row of that fold
//! (`ser_eval::cv::training_rows`), so no copy of a test speaker's utterance is ever trained on.
//! For the same reason babble noise is made from *other utterances of the same speaker*: those
//! are on the training side in every fold where the copy is, whatever the split.
//!
//! A copy's row has the source's metadata and the path `<source path>#aug<k>`; its seed is a
//! hash of the plan's seed, the source path and `k`, so every copy is reproducible on its own.
//! The table records the source files' stamps and a configuration hash (the plan and the
//! feature set's hash): a second run extracts nothing, a changed file only its own copies.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use ndarray::Array2;
use rayon::prelude::*;
use ser_dsp::{AugmentConfig, AugmentSet, Augmentation, Augmenter, Overflow, Select};
use ser_eval::Dataset;
use ser_features::{FeatureExtractor, FeatureRow, FeatureSet, FeatureTable, FileStamp};
use ser_io::{Manifest, Utterance};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The `[augment]` section of a grid-search config (or any TOML file given to
/// `cargo xtask prepare --augment`).
///
/// | key | default | meaning |
/// |---|---|---|
/// | `copies` | 3 | augmented copies per utterance (1 ..= 32) |
/// | `seed` | 42 | base seed of every copy's draws |
/// | `steps` | required | transforms (`ser_dsp::Augmentation`, tagged by `kind`) |
/// | `select` | `one_of` | `one_of`: one step per copy, drawn by its seed; `all`: every step in order |
/// | `overflow` | `normalize` | peak handling after the last step: `normalize` or `clip` |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AugmentPlan {
    #[serde(default = "default_copies")]
    pub copies: usize,
    #[serde(default = "default_seed")]
    pub seed: u64,
    pub steps: Vec<Augmentation>,
    #[serde(default = "default_select")]
    pub select: Select,
    #[serde(default)]
    pub overflow: Overflow,
}

fn default_copies() -> usize {
    3
}
fn default_seed() -> u64 {
    42
}
fn default_select() -> Select {
    Select::OneOf
}

/// Largest `copies`.
pub const MAX_COPIES: usize = 32;

/// Other utterances of the same speaker mixed into one babble copy, at most.
const BABBLE_SOURCES: usize = 4;

impl AugmentPlan {
    /// Reads the `[augment]` table of a TOML file.
    pub fn from_toml_file(path: &Path) -> Result<Self> {
        let text = crate::error::read_text(path)?;
        #[derive(Deserialize)]
        struct File {
            augment: Option<toml::Value>,
        }
        let file: File = toml::from_str(&text)
            .map_err(|e| Error::config(path.display(), format_args!("{e}")))?;
        let section = file.augment.ok_or_else(|| {
            Error::config(
                path.display(),
                "no [augment] section (copies, seed, steps, ...)",
            )
        })?;
        section
            .try_into()
            .map_err(|e| Error::config(path.display(), format_args!("[augment]: {e}")))
    }

    /// From the `augment` value of a grid-search config.
    pub fn from_value(v: &serde_json::Value, origin: &Path) -> Result<Self> {
        serde_json::from_value(v.clone())
            .map_err(|e| Error::config(origin.display(), format_args!("[augment]: {e}")))
    }

    /// Validates the copies and every transform.
    pub fn check(&self) -> Result<AugmentSet> {
        if !(1..=MAX_COPIES).contains(&self.copies) {
            return Err(Error::Input(format!(
                "[augment] copies: expected 1 ..= {MAX_COPIES}, found {}",
                self.copies
            )));
        }
        Ok(AugmentConfig {
            steps: self.steps.clone(),
            select: self.select,
            overflow: self.overflow,
        }
        .check()?)
    }

    /// Identifier of the plan applied to features of configuration `feature_config_hash`: 12
    /// hex digits of a hash of both, in the table's file name.
    pub fn id(&self, feature_config_hash: &str) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        let h =
            ser_features::featureset::fnv1a64(format!("{json}|{feature_config_hash}").as_bytes());
        format!("{h:016x}")[..12].to_string()
    }

    fn babble(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s, Augmentation::Babble { .. }))
    }
}

/// The augmented table of the corpus table `table` (`<corpus>.<feature_set>.parquet`) under a
/// plan with identifier `id`: `<corpus>.<feature_set>.aug-<id>.parquet` beside it.
pub fn augmented_table_path(table: &Path, id: &str) -> PathBuf {
    table.with_extension(format!("aug-{id}.parquet"))
}

/// The path recorded for copy `k` of `source`.
pub fn copy_path(source: &str, k: usize) -> String {
    format!("{source}#aug{k}")
}

/// The source path of a copy's path (`None`: not a copy's path).
pub fn source_of(copy: &str) -> Option<&str> {
    let (src, k) = copy.rsplit_once("#aug")?;
    k.parse::<usize>().ok().map(|_| src)
}

/// The seed of copy `k` of `source` under base seed `seed`.
fn copy_seed(seed: u64, source: &str, k: usize) -> u64 {
    ser_features::featureset::fnv1a64(format!("{seed}|{source}|{k}").as_bytes())
}

/// One corpus's augmented table: what was made and what was reused.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AugmentedCorpus {
    pub corpus: String,
    pub table: PathBuf,
    /// Copies in the table.
    pub rows: usize,
    /// Copies extracted by this run.
    pub extracted: usize,
    /// Copies taken from the previous table (source file unchanged).
    pub reused: usize,
    /// Seconds of augmented audio extracted by this run.
    pub extracted_audio_s: f64,
    /// Source files that gave no copies, with the reason.
    pub skipped: Vec<(String, String)>,
    pub wall_s: f64,
}

/// Makes (incrementally) the augmented table of every corpus in `corpora` next to the corpus
/// tables in `out`, with `set`'s features; `jobs` worker threads (0: one per CPU).
pub fn prepare_augmented(
    corpora: &[(String, Manifest)],
    set: &FeatureSet,
    plan: &AugmentPlan,
    out: &Path,
    jobs: usize,
) -> Result<Vec<AugmentedCorpus>> {
    let aug = plan.check()?;
    let mut builder = rayon::ThreadPoolBuilder::new();
    if jobs > 0 {
        builder = builder.num_threads(jobs);
    }
    let pool = builder
        .build()
        .map_err(|e| Error::Input(format!("worker threads: {e}")))?;
    corpora
        .iter()
        .map(|(name, manifest)| {
            pool.install(|| augment_corpus(name, manifest, set, plan, &aug, out))
        })
        .collect()
}

/// [`prepare_augmented`] for the corpora, feature set, output folder and jobs of a
/// [`crate::prepare::PrepareRequest`] (the corpus tables are made by `prepare` itself).
pub fn prepare_augmented_for(
    req: &crate::prepare::PrepareRequest,
    plan: &AugmentPlan,
) -> Result<Vec<AugmentedCorpus>> {
    let set = FeatureSet::resolve(&req.feature_set)?;
    let corpora = ser_features::scan_corpora(&req.datasets, &req.corpora)?;
    prepare_augmented(&corpora, &set, plan, &req.out, req.jobs)
}

impl std::fmt::Display for AugmentedCorpus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let speed = if self.wall_s > 0.0 {
            self.extracted_audio_s / self.wall_s
        } else {
            0.0
        };
        write!(
            f,
            "{}: {} augmented copies (extracted {}, reused {}), {} source file(s) skipped; \
             {:.1} min of augmented audio in {:.2} s ({:.0}x real time) -> {}",
            self.corpus,
            self.rows,
            self.extracted,
            self.reused,
            self.skipped.len(),
            self.extracted_audio_s / 60.0,
            self.wall_s,
            speed,
            self.table.display()
        )?;
        for (path, reason) in &self.skipped {
            write!(f, "\n  skipped {path}: {reason}")?;
        }
        Ok(())
    }
}

/// What one source file gave.
enum Made {
    Rows(Vec<FeatureRow>, usize, f64),
    Failed(String),
}

fn augment_corpus(
    corpus: &str,
    manifest: &Manifest,
    set: &FeatureSet,
    plan: &AugmentPlan,
    aug: &AugmentSet,
    out: &Path,
) -> Result<AugmentedCorpus> {
    let t0 = Instant::now();
    let id = plan.id(set.config_hash());
    let table = augmented_table_path(&ser_features::table_path(out, corpus, set.name()), &id);
    let names = set.names(set.sample_rate_hz());
    // The previous table's copies, when its configuration is this one.
    let previous = match FeatureTable::read_parquet(&table) {
        Ok(t) if t.config_hash() == table_hash(plan, set) && t.feature_names() == names => Some(t),
        _ => None,
    };
    let (old_index, old_matrix, old_durations, old_quality) = match &previous {
        Some(t) => (
            t.strings("path")?
                .into_iter()
                .enumerate()
                .map(|(i, p)| (p, i))
                .collect::<HashMap<_, _>>(),
            t.matrix()?,
            t.durations_s()?,
            t.qualities()?,
        ),
        None => (
            HashMap::new(),
            Array2::zeros((0, 0)),
            Vec::new(),
            Vec::new(),
        ),
    };
    let old_stamps = previous.as_ref().map(|t| &t.meta().stamps);
    // Babble sources: the other utterances of each speaker.
    let mut by_speaker: BTreeMap<&str, Vec<&Path>> = BTreeMap::new();
    for u in &manifest.utterances {
        by_speaker.entry(&u.speaker).or_default().push(&u.path);
    }
    let rate = set.sample_rate_hz();
    let made: Vec<(usize, Made)> = manifest
        .utterances
        .par_iter()
        .enumerate()
        .map_init(
            || (None::<FeatureExtractor>, aug.augmenter(rate)),
            |(slot, augmenter), (i, u)| {
                let src = u.path.to_string_lossy().into_owned();
                let stamp = FileStamp::of(&u.path).ok();
                // reuse when every copy is there with the source's stamp unchanged
                let keys: Vec<String> = (0..plan.copies).map(|k| copy_path(&src, k)).collect();
                let cached: Option<Vec<usize>> = keys
                    .iter()
                    .map(|k| {
                        let same =
                            stamp.is_some() && old_stamps.and_then(|s| s.get(k)) == stamp.as_ref();
                        old_index.get(k).copied().filter(|_| same)
                    })
                    .collect();
                if let Some(rows) = cached {
                    let rows = rows
                        .into_iter()
                        .zip(&keys)
                        .map(|(r, k)| FeatureRow {
                            utterance: copy_utterance(u, k),
                            duration_s: old_durations[r],
                            features: old_matrix.row(r).to_vec(),
                            stamp: stamp.clone(),
                            quality: old_quality[r],
                        })
                        .collect();
                    return (i, Made::Rows(rows, 0, 0.0));
                }
                let made = match augmenter {
                    Ok(a) => make_copies(u, &src, &keys, stamp, &by_speaker, plan, set, a, slot),
                    Err(e) => Err(format!("cannot plan the augmenter: {e}")),
                };
                (i, made.unwrap_or_else(Made::Failed))
            },
        )
        .collect();
    let (mut rows, mut skipped) = (Vec::new(), Vec::new());
    let (mut extracted, mut reused, mut audio_s) = (0, 0, 0.0);
    for (i, m) in made {
        match m {
            Made::Rows(r, n_new, secs) => {
                extracted += n_new;
                reused += r.len() - n_new;
                audio_s += secs;
                rows.extend(r);
            }
            Made::Failed(reason) => skipped.push((
                manifest.utterances[i].path.to_string_lossy().into_owned(),
                reason,
            )),
        }
    }
    let t = FeatureTable::from_rows(set.name(), &table_hash(plan, set), &names, &rows)?;
    t.write_parquet(&table)?;
    Ok(AugmentedCorpus {
        corpus: corpus.to_string(),
        table,
        rows: rows.len(),
        extracted,
        reused,
        extracted_audio_s: audio_s,
        skipped,
        wall_s: t0.elapsed().as_secs_f64(),
    })
}

/// The configuration hash recorded in an augmented table.
fn table_hash(plan: &AugmentPlan, set: &FeatureSet) -> String {
    format!("{}+aug-{}", set.config_hash(), plan.id(set.config_hash()))
}

fn copy_utterance(u: &Utterance, key: &str) -> Utterance {
    Utterance {
        path: PathBuf::from(key),
        ..u.clone()
    }
}

/// Decodes `u`, makes its copies and extracts their features.
#[allow(clippy::too_many_arguments)]
fn make_copies(
    u: &Utterance,
    src: &str,
    keys: &[String],
    stamp: Option<FileStamp>,
    by_speaker: &BTreeMap<&str, Vec<&Path>>,
    plan: &AugmentPlan,
    set: &FeatureSet,
    augmenter: &mut Augmenter,
    slot: &mut Option<FeatureExtractor>,
) -> std::result::Result<Made, String> {
    let rate = set.sample_rate_hz();
    let audio = ser_io::load(&u.path, rate).map_err(|e| e.to_string())?;
    // babble: up to BABBLE_SOURCES other utterances of the same speaker, in path order
    let others: Vec<Vec<f32>> = if plan.babble() {
        by_speaker
            .get(u.speaker.as_str())
            .into_iter()
            .flatten()
            .filter(|p| **p != u.path.as_path())
            .take(BABBLE_SOURCES)
            .filter_map(|p| ser_io::load(p, rate).ok().map(|a| a.samples))
            .collect()
    } else {
        Vec::new()
    };
    let others: Vec<&[f32]> = others.iter().map(Vec::as_slice).collect();
    let mut rows = Vec::with_capacity(keys.len());
    let mut secs = 0.0;
    for (k, key) in keys.iter().enumerate() {
        let y = augmenter
            .apply(&audio.samples, copy_seed(plan.seed, src, k), &others)
            .map_err(|e| format!("augmenting copy {k}: {e}"))?;
        let duration_s = y.len() as f64 / f64::from(rate);
        let features = ser_features::extract_samples(set, slot, &y)?;
        secs += duration_s;
        rows.push(FeatureRow {
            utterance: copy_utterance(u, key),
            duration_s,
            features,
            stamp: stamp.clone(),
            quality: Some(ser_features::Quality::of(&y)),
        });
    }
    let n = rows.len();
    Ok(Made::Rows(rows, n, secs))
}

/// Attaches the copies of the augmented table at `aug_table` to `data` (the rows of the corpus
/// table the copies were made from): each copy's source is found by path. Copies whose source is
/// not a row of `data` are left out (their file was skipped or filtered).
pub fn attach(data: Dataset, aug_table: &Path) -> Result<Dataset> {
    let copies = crate::tables::read_table(aug_table)?;
    if copies.feature_names != data.feature_names {
        return Err(Error::config(
            aug_table.display(),
            "the augmented table's features are not the corpus table's (prepare both again)",
        ));
    }
    let row_of: HashMap<&str, usize> = data
        .paths
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i))
        .collect();
    let mut keep = Vec::new();
    let mut source = Vec::new();
    for (c, p) in copies.paths.iter().enumerate() {
        if let Some(&r) = source_of(p).and_then(|s| row_of.get(s)) {
            keep.push(c);
            source.push(r);
        }
    }
    let x = copies.x.select(ndarray::Axis(0), &keep);
    Ok(data.with_augmented(x, source)?)
}
