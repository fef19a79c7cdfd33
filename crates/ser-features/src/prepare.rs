//! Batch extraction of whole corpora into feature tables, incremental and fault tolerant.
//!
//! [`Batch::run`] writes `OUT/<corpus>.<feature_set>.parquet` for every corpus (and optionally a
//! `.csv` beside it) plus `OUT/summary.json`, and returns the [`Summary`].
//!
//! Incremental cache: every table carries, in its Parquet key-value metadata (see
//! [`crate::table`]), the feature set's config hash and a [`FileStamp`] (size, mtime) per row.
//! A row is reused when the table's hash equals the set's hash and the file's stamp is unchanged;
//! otherwise the file is extracted again. Files that failed last time are tried again on every
//! run (a failure is never cached as a result: the cause, e.g. a permission, may have been fixed
//! without changing the file); the table is rewritten only when such a file now succeeds or fails
//! for another reason. Rows whose file disappeared from the scan
//! are dropped and listed as `gone`. When nothing changed the table is not rewritten at all.
//!
//! Checkpoints: while a corpus is extracted, the rows done so far are saved every 30 s
//! ([`Batch::with_checkpoint_every`]) to `<corpus>.<set>.partial.parquet`; a run that was
//! interrupted (Ctrl-C, a crash, a power cut) leaves it behind, and the next run takes those rows
//! back when their files' stamps are unchanged. The checkpoint is removed once the table is
//! complete. A checkpoint that cannot be written is noted in the summary (`cache_note`) and the
//! run goes on.
//!
//! Safety: tables and the summary are written to a temporary file and renamed. A file that cannot
//! be stamped, decoded or analysed — even one that makes the extractor panic — is skipped with its
//! reason; the batch goes on.

use std::collections::{BTreeMap, HashMap};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use ser_io::{Manifest, Utterance};
use serde::{Deserialize, Serialize};

use crate::featureset::{FeatureExtractor, FeatureSet};
use crate::table::{FailedFile, FeatureRow, FeatureTable, FileStamp};
use crate::{Error, Result};

/// Progress reporting hooks (called from worker threads).
pub trait Progress: Sync {
    /// A corpus starts; `to_extract` files will be decoded and analysed.
    fn start(&self, _corpus: &str, _to_extract: usize) {}
    /// One file is done (extracted or failed).
    fn advance(&self, _path: &Path) {}
    /// The corpus is done.
    fn finish(&self, _corpus: &str) {}
}

/// No progress output.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;
impl Progress for NoProgress {}

/// A file that is not in the table, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedFile {
    pub path: String,
    pub reason: String,
}

/// What happened to one corpus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorpusSummary {
    pub corpus: String,
    pub table: PathBuf,
    pub csv: Option<PathBuf>,
    /// Rows in the table (= files done).
    pub rows: usize,
    /// Files decoded and analysed in this run.
    pub extracted: usize,
    /// Rows taken over from the previous table.
    pub reused: usize,
    /// Files left out (scan: name fits no scheme; extraction: decode / analysis errors).
    pub skipped: Vec<SkippedFile>,
    /// Files in the previous table that are no longer there.
    pub gone: Vec<String>,
    /// Why the previous table was not (fully) reused, if it existed.
    pub cache_note: Option<String>,
    /// Whether the table file was (re)written.
    pub table_written: bool,
    /// Audio in the table (s).
    pub audio_s: f64,
    /// Audio decoded and analysed in this run (s).
    pub extracted_audio_s: f64,
    pub wall_s: f64,
    /// Wall time of each stage of this corpus (see [`StageTimes`]).
    #[serde(default)]
    pub stages: StageTimes,
}

/// Where one corpus's wall time went, in seconds: `plan` (reading the previous table and any
/// checkpoint, stamping every file, deciding what to extract), `extract` (decoding and
/// features, on all workers, checkpoints included), `assemble` (rows in manifest order) and
/// `write` (building the table and writing Parquet / CSV). The serial stages are everything
/// but `extract`: they bound what more workers can gain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct StageTimes {
    pub plan_s: f64,
    pub extract_s: f64,
    pub assemble_s: f64,
    pub write_s: f64,
}

/// The whole batch (what `summary.json` holds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub feature_set: String,
    pub config_hash: String,
    pub n_features: usize,
    pub sample_rate_hz: u32,
    pub jobs: usize,
    pub out_dir: PathBuf,
    pub corpora: Vec<CorpusSummary>,
    /// Rows over all tables.
    pub files_done: usize,
    pub files_extracted: usize,
    pub files_reused: usize,
    pub files_skipped: usize,
    pub files_gone: usize,
    /// Audio in all tables (hours).
    pub audio_hours: f64,
    /// Audio analysed in this run (hours).
    pub extracted_audio_hours: f64,
    /// Wall time of the whole batch (s), scan excluded (the caller scans).
    pub wall_s: f64,
    /// Extraction speed: audio analysed in this run / wall time (multiples of real time).
    pub x_real_time: f64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "feature set {} ({} features, config {}), {} Hz, {} jobs -> {}",
            self.feature_set,
            self.n_features,
            self.config_hash,
            self.sample_rate_hz,
            self.jobs,
            self.out_dir.display()
        )?;
        for c in &self.corpora {
            writeln!(
                f,
                "  {:<8} {:>6} rows  {:>6} extracted  {:>6} reused  {:>4} skipped  {:>4} gone  {:>8.1} s audio  {:>7.2} s{}",
                c.corpus,
                c.rows,
                c.extracted,
                c.reused,
                c.skipped.len(),
                c.gone.len(),
                c.audio_s,
                c.wall_s,
                if c.table_written {
                    ""
                } else {
                    "  (table unchanged)"
                }
            )?;
            if let Some(note) = &c.cache_note {
                writeln!(f, "           cache: {note}")?;
            }
            for s in c.skipped.iter().take(10) {
                writeln!(f, "           skipped {}: {}", s.path, s.reason)?;
            }
            if c.skipped.len() > 10 {
                writeln!(
                    f,
                    "           ... {} more skipped (see summary.json)",
                    c.skipped.len() - 10
                )?;
            }
            for g in c.gone.iter().take(10) {
                writeln!(f, "           gone {g}")?;
            }
        }
        write!(
            f,
            "files done {} (extracted {}, reused {}), skipped {}, gone {}; audio {:.3} h (analysed now {:.3} h); wall {:.2} s; {}",
            self.files_done,
            self.files_extracted,
            self.files_reused,
            self.files_skipped,
            self.files_gone,
            self.audio_hours,
            self.extracted_audio_hours,
            self.wall_s,
            if self.files_extracted > 0 {
                format!("{:.0}x real time", self.x_real_time)
            } else {
                "nothing to extract (all cached)".to_string()
            }
        )
    }
}

/// The corpora under `datasets`, scanned with ser-io, grouped by corpus name (sorted).
/// `only` (lower-case corpus names) restricts the result; an unknown name is an error.
pub fn scan_corpora(datasets: &Path, only: &[String]) -> Result<Vec<(String, Manifest)>> {
    let mut by_name: BTreeMap<String, Manifest> = BTreeMap::new();
    let mut empty: Vec<String> = Vec::new();
    for (corpus, dir) in ser_io::discover(datasets)? {
        let name = corpus.as_str().to_string();
        if !only.is_empty() && !only.iter().any(|o| o.eq_ignore_ascii_case(&name)) {
            continue;
        }
        let m = ser_io::scan_corpus(corpus, &dir)?;
        // A corpus folder with metadata but no audio (e.g. CREMA-D's CSVs alone) gets no table.
        if m.utterances.is_empty() && m.skipped.is_empty() {
            empty.push(format!("{name} at {}", dir.display()));
            continue;
        }
        let entry = by_name.entry(name).or_default();
        entry.utterances.extend(m.utterances);
        entry.skipped.extend(m.skipped);
    }
    for o in only {
        if !by_name.contains_key(&o.to_ascii_lowercase()) {
            let found: Vec<&String> = by_name.keys().collect();
            return Err(Error::Param {
                name: "corpus",
                expected: format!("a corpus with audio files under {}", datasets.display()),
                found: format!("{o:?} (found {found:?}; folders without audio: {empty:?})"),
            });
        }
    }
    Ok(by_name.into_iter().collect())
}

/// True when `a` is missing or was modified before `b`.
fn is_older(a: &Path, b: &Path) -> bool {
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (mtime(a), mtime(b)) {
        (Some(ta), Some(tb)) => ta < tb,
        _ => true,
    }
}

/// A batch: one feature set, one output folder.
#[derive(Debug, Clone)]
pub struct Batch {
    set: FeatureSet,
    out_dir: PathBuf,
    jobs: usize,
    csv: bool,
    checkpoint_every: Option<std::time::Duration>,
    min_duration_s: f64,
}

/// At least this many files per worker between two checkpoints (so that a short
/// `checkpoint_every` does not rewrite the checkpoint after every file).
const CHECKPOINT_CHUNK_PER_JOB: usize = 32;

/// The checkpoint of an interrupted run of `table`: `<corpus>.<set>.partial.parquet`.
pub fn partial_path(table: &Path) -> PathBuf {
    table.with_extension("partial.parquet")
}

/// The table path of a corpus: `OUT/<corpus>.<feature_set>.parquet`.
pub fn table_path(out_dir: &Path, corpus: &str, feature_set: &str) -> PathBuf {
    out_dir.join(format!("{corpus}.{feature_set}.parquet"))
}

/// The rows of a checkpoint, indexed by path.
struct Saved {
    index: HashMap<String, usize>,
    matrix: ndarray::Array2<f32>,
    durations: Vec<f64>,
    stamps: BTreeMap<String, FileStamp>,
    quality: Vec<Option<crate::Quality>>,
}

enum Outcome {
    Row(Box<FeatureRow>),
    Failed(FailedFile),
}

impl Batch {
    /// A batch with as many jobs as rayon's default (the number of CPUs) and no CSV.
    pub fn new(set: FeatureSet, out_dir: impl Into<PathBuf>) -> Batch {
        Batch {
            set,
            out_dir: out_dir.into(),
            jobs: 0,
            csv: false,
            checkpoint_every: Some(std::time::Duration::from_secs(30)),
            min_duration_s: crate::quality::DEFAULT_MIN_DURATION_S,
        }
    }

    /// Shortest audio analysed, seconds (default [`crate::quality::DEFAULT_MIN_DURATION_S`]);
    /// shorter files are skipped with the reason.
    pub fn with_min_duration_s(mut self, min_duration_s: f64) -> Batch {
        self.min_duration_s = min_duration_s;
        self
    }

    /// How often rows extracted so far are saved while a corpus is extracted
    /// (`<corpus>.<set>.partial.parquet`, written atomically), so that an interrupted or crashed
    /// run loses at most that much work: the next run takes the saved rows back (when their
    /// files are unchanged) and extracts the rest. `None`: never. Default 30 s.
    pub fn with_checkpoint_every(mut self, every: Option<std::time::Duration>) -> Batch {
        self.checkpoint_every = every;
        self
    }

    /// Number of worker threads; 0 = number of CPUs.
    pub fn with_jobs(mut self, jobs: usize) -> Batch {
        self.jobs = jobs;
        self
    }

    /// Also write `OUT/<corpus>.<feature_set>.csv`.
    pub fn with_csv(mut self, csv: bool) -> Batch {
        self.csv = csv;
        self
    }

    pub fn feature_set(&self) -> &FeatureSet {
        &self.set
    }

    /// Prepares every corpus, writes `summary.json` and returns the summary.
    pub fn run(&self, corpora: &[(String, Manifest)], progress: &dyn Progress) -> Result<Summary> {
        let t0 = Instant::now();
        let mut builder = rayon::ThreadPoolBuilder::new();
        if self.jobs > 0 {
            builder = builder.num_threads(self.jobs);
        }
        let pool = builder.build().map_err(|e| Error::Param {
            name: "jobs",
            expected: "a thread pool".into(),
            found: e.to_string(),
        })?;
        let jobs = pool.current_num_threads();
        let mut out = Vec::new();
        for (name, manifest) in corpora {
            out.push(pool.install(|| self.prepare_corpus(name, manifest, progress))?);
        }
        let wall_s = t0.elapsed().as_secs_f64();
        let extracted_audio_s: f64 = out.iter().map(|c| c.extracted_audio_s).sum();
        let summary = Summary {
            feature_set: self.set.name().to_string(),
            config_hash: self.set.config_hash().to_string(),
            n_features: self.set.len(),
            sample_rate_hz: self.set.sample_rate_hz(),
            jobs,
            out_dir: self.out_dir.clone(),
            files_done: out.iter().map(|c| c.rows).sum(),
            files_extracted: out.iter().map(|c| c.extracted).sum(),
            files_reused: out.iter().map(|c| c.reused).sum(),
            files_skipped: out.iter().map(|c| c.skipped.len()).sum(),
            files_gone: out.iter().map(|c| c.gone.len()).sum(),
            audio_hours: out.iter().map(|c| c.audio_s).sum::<f64>() / 3600.0,
            extracted_audio_hours: extracted_audio_s / 3600.0,
            wall_s,
            x_real_time: if wall_s > 0.0 {
                extracted_audio_s / wall_s
            } else {
                0.0
            },
            corpora: out,
        };
        let json = serde_json::to_string_pretty(&summary).map_err(|e| Error::Param {
            name: "summary",
            expected: "serialisable summary".into(),
            found: e.to_string(),
        })?;
        let path = self.out_dir.join("summary.json");
        ser_fs::write_bytes(&path, json.as_bytes())?;
        Ok(summary)
    }

    /// Prepares one corpus (in the current rayon pool) and writes its table.
    pub fn prepare_corpus(
        &self,
        corpus: &str,
        manifest: &Manifest,
        progress: &dyn Progress,
    ) -> Result<CorpusSummary> {
        let t0 = Instant::now();
        let table = table_path(&self.out_dir, corpus, self.set.name());
        let mut skipped: Vec<SkippedFile> = manifest
            .skipped
            .iter()
            .map(|s| SkippedFile {
                path: s.path.to_string_lossy().into_owned(),
                reason: s.reason.clone(),
            })
            .collect();

        // The previous table, if usable.
        let mut cache_note = None;
        let previous = if table.exists() {
            match FeatureTable::read_parquet(&table) {
                Ok(t) if t.config_hash() == self.set.config_hash() => Some(t),
                Ok(t) => {
                    cache_note = Some(format!(
                        "config changed ({} -> {}): re-extracting every file",
                        t.config_hash(),
                        self.set.config_hash()
                    ));
                    None
                }
                Err(e) => {
                    cache_note = Some(format!("previous table unreadable ({e}): re-extracting"));
                    None
                }
            }
        } else {
            None
        };
        let (old_rows, old_durations, old_failed, old_paths, old_quality) = match &previous {
            Some(t) => {
                let paths = t.strings("path")?;
                let index: HashMap<String, usize> = paths
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (p.clone(), i))
                    .collect();
                let failed: HashMap<String, FailedFile> = t
                    .meta()
                    .failed
                    .iter()
                    .map(|f| (f.path.clone(), f.clone()))
                    .collect();
                let mut all: Vec<String> = paths;
                all.extend(failed.keys().cloned());
                (index, t.durations_s()?, failed, all, t.qualities()?)
            }
            None => (
                HashMap::new(),
                Vec::new(),
                HashMap::new(),
                Vec::new(),
                Vec::new(),
            ),
        };
        let old_matrix = match &previous {
            Some(t) if t.feature_names() == self.set.names(self.set.sample_rate_hz()) => {
                Some(t.matrix()?)
            }
            Some(_) => {
                cache_note = Some("feature names differ: re-extracting every file".into());
                None
            }
            None => None,
        };

        if old_quality.iter().any(Option::is_none) && cache_note.is_none() {
            cache_note =
                Some("the table predates the quality columns: re-extracting its rows".into());
        }
        // Rows saved by an interrupted run (same configuration, same feature names).
        let partial_file = partial_path(&table);
        let partial = if partial_file.exists() {
            match FeatureTable::read_parquet(&partial_file) {
                Ok(t)
                    if t.config_hash() == self.set.config_hash()
                        && t.feature_names() == self.set.names(self.set.sample_rate_hz()) =>
                {
                    let index: HashMap<String, usize> = t
                        .strings("path")?
                        .into_iter()
                        .enumerate()
                        .map(|(i, p)| (p, i))
                        .collect();
                    Some(Saved {
                        index,
                        matrix: t.matrix()?,
                        durations: t.durations_s()?,
                        stamps: t.meta().stamps.clone(),
                        quality: t.qualities()?,
                    })
                }
                _ => None,
            }
        } else {
            None
        };

        // Decide per utterance: reuse, resume (from the checkpoint) or extract (a file that
        // failed last time is retried).
        enum Plan<'a> {
            Reuse(usize, &'a Utterance, FileStamp),
            Resume(usize, &'a Utterance, FileStamp),
            Extract(&'a Utterance, FileStamp),
        }
        let mut plans = Vec::with_capacity(manifest.utterances.len());
        let mut failed: Vec<FailedFile> = Vec::new();
        let mut changed = previous.is_none();
        // Plans that retry a file that failed last time, with that failure's reason.
        let mut retried: HashMap<usize, String> = HashMap::new();
        for u in &manifest.utterances {
            let key = u.path.to_string_lossy().into_owned();
            let stamp = match FileStamp::of(&u.path) {
                Ok(s) => s,
                Err(e) => {
                    failed.push(FailedFile {
                        path: key,
                        stamp: None,
                        reason: e.to_string(),
                    });
                    changed = true;
                    continue;
                }
            };
            // A row is reused with its quality; a row of a table from before the quality
            // columns is extracted again.
            if let (Some(&row), Some(_)) = (old_rows.get(&key), &old_matrix)
                && old_quality.get(row).copied().flatten().is_some()
                && previous
                    .as_ref()
                    .and_then(|t| t.meta().stamps.get(&key))
                    .is_some_and(|s| *s == stamp)
            {
                plans.push(Plan::Reuse(row, u, stamp));
                continue;
            }
            if let Some(saved) = &partial
                && let Some(&row) = saved.index.get(&key)
                && saved.stamps.get(&key) == Some(&stamp)
            {
                changed = true;
                plans.push(Plan::Resume(row, u, stamp));
                continue;
            }
            match old_failed.get(&key) {
                Some(f) if f.stamp.as_ref() == Some(&stamp) => {
                    retried.insert(plans.len(), f.reason.clone());
                }
                _ => changed = true,
            }
            plans.push(Plan::Extract(u, stamp));
        }
        let present: std::collections::HashSet<String> = manifest
            .utterances
            .iter()
            .map(|u| u.path.to_string_lossy().into_owned())
            .collect();
        let mut gone: Vec<String> = old_paths
            .into_iter()
            .filter(|p| !present.contains(p))
            .collect();
        gone.sort();
        gone.dedup();
        if !gone.is_empty() {
            changed = true;
        }

        // Extract in parallel (below: one queue of files, one extractor per worker).
        let to_extract: Vec<(usize, &Utterance, FileStamp)> = plans
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match p {
                Plan::Extract(u, s) => Some((i, *u, s.clone())),
                Plan::Reuse(..) | Plan::Resume(..) => None,
            })
            .collect();
        let resumed_row = |row: usize, u: &Utterance, stamp: &FileStamp| -> Option<FeatureRow> {
            let saved = partial.as_ref()?;
            Some(FeatureRow {
                utterance: u.clone(),
                duration_s: saved.durations.get(row).copied().unwrap_or(0.0),
                features: saved.matrix.row(row).to_vec(),
                stamp: Some(stamp.clone()),
                quality: saved.quality.get(row).copied().flatten(),
            })
        };
        let plan_s = t0.elapsed().as_secs_f64();
        progress.start(corpus, to_extract.len());
        let rate = self.set.sample_rate_hz();
        // One parallel pass, no barrier between groups of files: the files, longest first (by
        // size), are a queue that every worker of the pool takes the next file from, so the
        // last files left are the shortest ones and no worker waits while another still has a
        // run of files it cannot share (rayon's splitting of a slice can leave one worker a
        // sequential tail: up to a third of the run idle on one of two cores, seen with
        // `perf sched`). Each worker keeps one extractor. A checkpoint is written from inside
        // the pass when one is due and at least `chunk` files were added since the last.
        let chunk = CHECKPOINT_CHUNK_PER_JOB * rayon::current_num_threads().max(1);
        let mut order: Vec<&(usize, &Utterance, FileStamp)> = to_extract.iter().collect();
        order.sort_by_key(|(_, _, stamp)| std::cmp::Reverse(stamp.size_bytes));
        let next = AtomicUsize::new(0);
        let state = Mutex::new(PassState {
            extracted: Vec::with_capacity(to_extract.len()),
            since_checkpoint: 0,
            last_checkpoint: Instant::now(),
            checkpointing: false,
            error: None,
        });
        let lock = || state.lock().unwrap_or_else(PoisonError::into_inner);
        rayon::broadcast(|_| {
            let mut extractor: Option<FeatureExtractor> = None;
            while let Some((i, u, stamp)) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                let outcome = self.extract_one(&mut extractor, u, stamp, rate);
                progress.advance(&u.path);
                let saved: Option<Vec<FeatureRow>> = {
                    let mut st = lock();
                    st.extracted.push((*i, outcome));
                    st.since_checkpoint += 1;
                    let due = self
                        .checkpoint_every
                        .is_some_and(|every| st.last_checkpoint.elapsed() >= every);
                    if due
                        && st.since_checkpoint >= chunk
                        && !st.checkpointing
                        && st.extracted.len() < to_extract.len()
                    {
                        st.since_checkpoint = 0;
                        st.checkpointing = true;
                        // The rows done so far (resumed and extracted).
                        let mut saved: Vec<FeatureRow> = plans
                            .iter()
                            .filter_map(|p| match p {
                                Plan::Resume(row, u, stamp) => resumed_row(*row, u, stamp),
                                _ => None,
                            })
                            .collect();
                        saved.extend(st.extracted.iter().filter_map(|(_, o)| match o {
                            Outcome::Row(r) => Some((**r).clone()),
                            Outcome::Failed(_) => None,
                        }));
                        Some(saved)
                    } else {
                        None
                    }
                };
                if let Some(saved) = saved {
                    // written outside the lock: the other workers go on extracting
                    let names = self.set.names(rate);
                    let written = FeatureTable::from_rows(
                        self.set.name(),
                        self.set.config_hash(),
                        &names,
                        &saved,
                    )
                    .and_then(|t| t.write_parquet(&partial_file));
                    let mut st = lock();
                    st.checkpointing = false;
                    st.last_checkpoint = Instant::now();
                    if let Err(e) = written {
                        st.error.get_or_insert(e);
                    }
                }
            }
        });
        let PassState {
            extracted, error, ..
        } = state.into_inner().unwrap_or_else(PoisonError::into_inner);
        // A checkpoint is insurance against an interruption, not part of the result: when one
        // cannot be written the run goes on, says so, and writes its table as usual (a disk
        // that refuses the table too fails that write below, naming the file).
        if let Some(e) = error {
            let note = format!("a checkpoint could not be written ({e})");
            cache_note = Some(match cache_note {
                Some(n) => format!("{n}; {note}"),
                None => note,
            });
        }
        progress.finish(corpus);
        let t_extracted = Instant::now();
        let extract_s = (t_extracted - t0).as_secs_f64() - plan_s;

        // Assemble rows in manifest order.
        let mut by_plan: HashMap<usize, Outcome> = extracted.into_iter().collect();
        let mut rows = Vec::with_capacity(plans.len());
        let (mut n_extracted, mut n_reused, mut n_resumed) = (0, 0, 0);
        let mut extracted_audio_s = 0.0;
        for (i, plan) in plans.iter().enumerate() {
            match plan {
                Plan::Reuse(row, u, stamp) => {
                    let Some(m) = &old_matrix else { continue };
                    rows.push(FeatureRow {
                        utterance: (*u).clone(),
                        duration_s: old_durations.get(*row).copied().unwrap_or(0.0),
                        features: m.row(*row).to_vec(),
                        stamp: Some(stamp.clone()),
                        quality: old_quality.get(*row).copied().flatten(),
                    });
                    n_reused += 1;
                }
                Plan::Resume(row, u, stamp) => {
                    if let Some(r) = resumed_row(*row, u, stamp) {
                        rows.push(r);
                        n_resumed += 1;
                    }
                }
                Plan::Extract(..) => match by_plan.remove(&i) {
                    Some(Outcome::Row(r)) => {
                        extracted_audio_s += r.duration_s;
                        n_extracted += 1;
                        rows.push(*r);
                        // A file that failed last time and works now: the table gains a row.
                        changed |= retried.contains_key(&i);
                    }
                    Some(Outcome::Failed(f)) => {
                        changed |= retried.get(&i) != Some(&f.reason);
                        failed.push(f);
                    }
                    None => {}
                },
            }
        }
        skipped.extend(failed.iter().map(|f| SkippedFile {
            path: f.path.clone(),
            reason: f.reason.clone(),
        }));
        skipped.sort_by(|a, b| a.path.cmp(&b.path));

        let audio_s = rows.iter().map(|r| r.duration_s).sum();
        let t_assembled = Instant::now();
        let csv_path = table.with_extension("csv");
        let table_written = changed || !table.exists();
        let csv_stale = self.csv && (table_written || is_older(&csv_path, &table));
        if table_written || csv_stale {
            let names = self.set.names(rate);
            let mut t =
                FeatureTable::from_rows(self.set.name(), self.set.config_hash(), &names, &rows)?;
            t.meta_mut().failed = failed;
            if table_written {
                t.write_parquet(&table)?;
            }
            if csv_stale {
                t.write_csv(&csv_path)?;
            }
        }
        // The table is complete: the checkpoint of an interrupted run has served.
        if partial_file.is_file() {
            std::fs::remove_file(&partial_file).map_err(|e| Error::io(&partial_file, e))?;
        }
        if n_resumed > 0 {
            let note = format!("resumed {n_resumed} rows saved by an interrupted run");
            cache_note = Some(match cache_note {
                Some(n) => format!("{n}; {note}"),
                None => note,
            });
        }
        Ok(CorpusSummary {
            corpus: corpus.to_string(),
            table,
            csv: self.csv.then_some(csv_path),
            rows: rows.len(),
            extracted: n_extracted,
            reused: n_reused + n_resumed,
            skipped,
            gone,
            cache_note,
            table_written,
            audio_s,
            extracted_audio_s,
            wall_s: t0.elapsed().as_secs_f64(),
            stages: StageTimes {
                plan_s,
                extract_s,
                assemble_s: (t_assembled - t_extracted).as_secs_f64(),
                write_s: t_assembled.elapsed().as_secs_f64(),
            },
        })
    }

    fn extract_one(
        &self,
        slot: &mut Option<FeatureExtractor>,
        u: &Utterance,
        stamp: &FileStamp,
        rate: u32,
    ) -> Outcome {
        match extract_file(&self.set, slot, &u.path, rate, self.min_duration_s) {
            Ok(x) => Outcome::Row(Box::new(FeatureRow {
                utterance: u.clone(),
                duration_s: x.duration_s,
                features: x.features,
                stamp: Some(stamp.clone()),
                quality: Some(x.quality),
            })),
            Err(reason) => Outcome::Failed(FailedFile {
                path: u.path.to_string_lossy().into_owned(),
                stamp: Some(stamp.clone()),
                reason,
            }),
        }
    }
}

/// What [`extract_file`] gives for one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    pub features: Vec<f32>,
    /// Duration of the decoded audio, seconds.
    pub duration_s: f64,
    /// Peak level and clipping ([`crate::quality`]).
    pub quality: crate::Quality,
}

/// Why audio of `duration_s` seconds is not analysed, when it is shorter than `min_duration_s`.
pub fn check_min_duration(duration_s: f64, min_duration_s: f64) -> std::result::Result<(), String> {
    if duration_s < min_duration_s {
        Err(format!(
            "the audio is {duration_s:.3} s long, shorter than the {min_duration_s:.3} s minimum \
             (a few milliseconds give descriptors of padding, not of speech)"
        ))
    } else {
        Ok(())
    }
}

/// What the workers of one extraction pass share.
struct PassState {
    extracted: Vec<(usize, Outcome)>,
    since_checkpoint: usize,
    last_checkpoint: Instant,
    /// A worker is writing a checkpoint.
    checkpointing: bool,
    /// Why the first checkpoint that failed could not be written.
    error: Option<Error>,
}

/// Decodes `path` at `rate` Hz and extracts `set`'s features ([`extract_samples`]), with the
/// audio's duration and quality; or says why the file cannot be used: a decode error, audio
/// shorter than `min_duration_s`, or a failure or panic inside the descriptors. [`Batch`] and
/// every front-end's prediction path call this one function (or [`extract_samples`] for audio
/// in memory).
pub fn extract_file(
    set: &FeatureSet,
    slot: &mut Option<FeatureExtractor>,
    path: &Path,
    rate: u32,
    min_duration_s: f64,
) -> std::result::Result<Extracted, String> {
    let audio = ser_io::load(path, rate).map_err(|e| e.to_string())?;
    let duration_s = audio.duration_s();
    check_min_duration(duration_s, min_duration_s)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let features = extract_samples(set, slot, &audio.samples)?;
    Ok(Extracted {
        features,
        duration_s,
        quality: crate::Quality::of(&audio.samples),
    })
}

/// Extracts `set`'s features from mono samples at the set's rate with the extractor in `slot`
/// (built on first use, so a worker thread keeps one; dropped and rebuilt after a panic, since
/// it may be left in a bad state). A failure or panic inside the descriptors is caught and
/// returned as the reason, so one bad input never stops a batch or a server.
pub fn extract_samples(
    set: &FeatureSet,
    slot: &mut Option<FeatureExtractor>,
    samples: &[f32],
) -> std::result::Result<Vec<f32>, String> {
    if slot.is_none() {
        *slot = Some(
            set.extractor()
                .map_err(|e| format!("cannot build extractor: {e}"))?,
        );
    }
    let Some(ex) = slot.as_mut() else {
        return Err("no extractor".into());
    };
    match std::panic::catch_unwind(AssertUnwindSafe(|| ex.extract_samples(samples))) {
        Ok(Ok(features)) => Ok(features),
        Ok(Err(e)) => Err(format!("feature extraction failed: {e}")),
        Err(panic) => {
            *slot = None;
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            Err(format!("feature extraction panicked: {msg}"))
        }
    }
}
