//! The evaluation data set and the ways of splitting it into training and test folds.
//!
//! Every split except [`SplitSpec::Random`] is *speaker-independent*: a speaker is either in the
//! training side or in the test side of a fold, never in both. Fold assignment is a pure function
//! of the speakers (and, for the stratified grouped k-fold, the labels) and the seed: speakers are
//! sorted before any shuffling, and all randomness comes from a `ChaCha8Rng` seeded with `seed`.

use std::collections::{BTreeMap, BTreeSet};

use ndarray::{Array2, Axis};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Feature matrix plus per-row metadata; what ser-eval evaluates. It knows nothing about how the
/// features were made.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Feature matrix, `(n_rows, n_features)`.
    pub x: Array2<f32>,
    /// One name per column of `x`.
    pub feature_names: Vec<String>,
    /// Emotion label of each row (e.g. `"angry"`).
    pub labels: Vec<String>,
    /// Speaker id of each row, unique across corpora (e.g. `"emodb:03"`).
    pub speakers: Vec<String>,
    /// Source path of each row (for `predictions.csv`).
    pub paths: Vec<String>,
    /// Corpus name of each row (e.g. `"emodb"`); used by cross-corpus splits.
    pub corpora: Vec<String>,
    /// Text (sentence or word id) of each row, `""` where unknown; `None` when the source has
    /// no text column. Groups the inner split when a fold has only one training speaker.
    pub texts: Option<Vec<String>>,
    /// Augmented copies of rows, for training only (see [`Augmented`]).
    pub augmented: Option<Augmented>,
}

/// Augmented copies of rows of a [`Dataset`] (the features of an utterance with noise added,
/// its pitch shifted, ...), used for training only: a copy enters the training side of a fold
/// (outer or inner) exactly when the row it was made from does, and never a test side. A copy
/// has its source row's label and speaker.
#[derive(Debug, Clone, PartialEq)]
pub struct Augmented {
    /// Features of the copies, `(n_copies, n_features)`, in the data set's columns.
    pub x: Array2<f32>,
    /// The data set's row each copy was made from.
    pub source: Vec<usize>,
}

impl Augmented {
    /// The copies whose source is one of `rows` (ascending copy indices).
    pub fn copies_of(&self, rows: &[usize], n_rows: usize) -> Vec<usize> {
        let mut member = vec![false; n_rows];
        for &r in rows {
            if let Some(m) = member.get_mut(r) {
                *m = true;
            }
        }
        (0..self.source.len())
            .filter(|&c| member.get(self.source[c]).copied().unwrap_or(false))
            .collect()
    }
}

impl Dataset {
    /// Builds a data set, checking that every per-row vector has `x.nrows()` entries and that
    /// `feature_names` has `x.ncols()` entries.
    pub fn new(
        x: Array2<f32>,
        feature_names: Vec<String>,
        labels: Vec<String>,
        speakers: Vec<String>,
        paths: Vec<String>,
        corpora: Vec<String>,
    ) -> Result<Self> {
        let d = Self {
            x,
            feature_names,
            labels,
            speakers,
            paths,
            corpora,
            texts: None,
            augmented: None,
        };
        d.check()?;
        Ok(d)
    }

    /// Adds the text (sentence / word id) of every row. Checked like [`Dataset::new`].
    pub fn with_texts(mut self, texts: Vec<String>) -> Result<Self> {
        self.texts = Some(texts);
        self.check()?;
        Ok(self)
    }

    /// Adds augmented copies: `x` holds one row of features per copy (the data set's columns),
    /// `source` the row each was made from. Checked like [`Dataset::new`].
    pub fn with_augmented(mut self, x: Array2<f32>, source: Vec<usize>) -> Result<Self> {
        self.augmented = Some(Augmented { x, source });
        self.check()?;
        Ok(self)
    }

    /// Number of augmented copies.
    pub fn n_augmented(&self) -> usize {
        self.augmented.as_ref().map_or(0, |a| a.source.len())
    }

    /// Checks the shape invariants (see [`Dataset::new`]).
    pub fn check(&self) -> Result<()> {
        let n = self.x.nrows();
        let lens = [
            ("labels", self.labels.len()),
            ("speakers", self.speakers.len()),
            ("paths", self.paths.len()),
            ("corpora", self.corpora.len()),
        ];
        let lens = lens
            .into_iter()
            .chain(self.texts.as_ref().map(|t| ("texts", t.len())));
        for (name, len) in lens {
            if len != n {
                return Err(Error::Data(format!(
                    "dataset column {name}: expected {n} entries (rows of x), found {len}"
                )));
            }
        }
        if self.feature_names.len() != self.x.ncols() {
            return Err(Error::Data(format!(
                "dataset feature_names: expected {} names (columns of x), found {}",
                self.x.ncols(),
                self.feature_names.len()
            )));
        }
        if let Some(a) = &self.augmented {
            if a.x.nrows() != a.source.len() || a.x.ncols() != self.x.ncols() {
                return Err(Error::Data(format!(
                    "augmented copies: {} x {} features for {} sources, expected {} columns",
                    a.x.nrows(),
                    a.x.ncols(),
                    a.source.len(),
                    self.x.ncols()
                )));
            }
            if let Some(&bad) = a.source.iter().find(|&&s| s >= n) {
                return Err(Error::Data(format!(
                    "augmented copy of row {bad}, but the data set has {n} rows"
                )));
            }
        }
        Ok(())
    }

    /// Number of rows (utterances).
    pub fn n_rows(&self) -> usize {
        self.x.nrows()
    }

    /// Sorted distinct labels: the class order used for indices, reports and plots.
    pub fn classes(&self) -> Vec<String> {
        sorted_unique(&self.labels)
    }

    /// Sorted distinct speakers.
    pub fn speaker_ids(&self) -> Vec<String> {
        sorted_unique(&self.speakers)
    }

    /// Sorted distinct corpora.
    pub fn corpus_names(&self) -> Vec<String> {
        sorted_unique(&self.corpora)
    }

    /// Label of every row as an index into `classes`; errors if a label is not in `classes`.
    pub fn label_indices(&self, classes: &[String]) -> Result<Vec<usize>> {
        let map: BTreeMap<&str, usize> = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        self.labels
            .iter()
            .map(|l| {
                map.get(l.as_str()).copied().ok_or_else(|| {
                    Error::Data(format!("label {l:?} is not one of the classes {classes:?}"))
                })
            })
            .collect()
    }

    /// The rows `idx` (in that order) as a new data set.
    pub fn subset(&self, idx: &[usize]) -> Dataset {
        let pick = |v: &[String]| idx.iter().map(|&i| v[i].clone()).collect::<Vec<_>>();
        // copies follow their source row (to its first place in `idx`)
        let augmented = self.augmented.as_ref().map(|a| {
            let mut new_index = vec![usize::MAX; self.n_rows()];
            for (k, &i) in idx.iter().enumerate().rev() {
                new_index[i] = k;
            }
            let keep = a.copies_of(idx, self.n_rows());
            Augmented {
                x: a.x.select(Axis(0), &keep),
                source: keep.iter().map(|&c| new_index[a.source[c]]).collect(),
            }
        });
        Dataset {
            x: self.x.select(Axis(0), idx),
            feature_names: self.feature_names.clone(),
            labels: pick(&self.labels),
            speakers: pick(&self.speakers),
            paths: pick(&self.paths),
            corpora: pick(&self.corpora),
            texts: self.texts.as_deref().map(pick),
            augmented,
        }
    }

    /// Keeps only the rows whose label is in `keep`.
    pub fn filter_labels(&self, keep: &[String]) -> Dataset {
        let keep: BTreeSet<&str> = keep.iter().map(String::as_str).collect();
        let idx: Vec<usize> = (0..self.n_rows())
            .filter(|&i| keep.contains(self.labels[i].as_str()))
            .collect();
        self.subset(&idx)
    }

    /// Concatenates data sets with identical feature names (row order kept).
    pub fn concat(parts: &[Dataset]) -> Result<Dataset> {
        let first = parts
            .first()
            .ok_or_else(|| Error::Data("cannot concatenate zero data sets".into()))?;
        for p in parts {
            if p.feature_names != first.feature_names {
                return Err(Error::Data(format!(
                    "cannot concatenate data sets with different features: {} vs {} columns \
                     (first difference at {:?})",
                    first.feature_names.len(),
                    p.feature_names.len(),
                    first
                        .feature_names
                        .iter()
                        .zip(&p.feature_names)
                        .position(|(a, b)| a != b)
                )));
            }
        }
        let views: Vec<_> = parts.iter().map(|p| p.x.view()).collect();
        let x = ndarray::concatenate(Axis(0), &views)
            .map_err(|e| Error::Data(format!("concatenating feature matrices: {e}")))?;
        let cat = |f: fn(&Dataset) -> &Vec<String>| {
            parts
                .iter()
                .flat_map(|p| f(p).iter().cloned())
                .collect::<Vec<_>>()
        };
        let d = Dataset::new(
            x,
            first.feature_names.clone(),
            cat(|d| &d.labels),
            cat(|d| &d.speakers),
            cat(|d| &d.paths),
            cat(|d| &d.corpora),
        )?;
        let d = if parts.iter().all(|p| p.texts.is_some()) {
            let texts = parts
                .iter()
                .flat_map(|p| p.texts.iter().flatten().cloned())
                .collect();
            d.with_texts(texts)?
        } else {
            d
        };
        if parts.iter().all(|p| p.augmented.is_none()) {
            return Ok(d);
        }
        let (mut views, mut source, mut offset) = (Vec::new(), Vec::new(), 0);
        for p in parts {
            if let Some(a) = &p.augmented {
                views.push(a.x.view());
                source.extend(a.source.iter().map(|&s| s + offset));
            }
            offset += p.n_rows();
        }
        let ax = ndarray::concatenate(Axis(0), &views)
            .map_err(|e| Error::Data(format!("concatenating augmented copies: {e}")))?;
        d.with_augmented(ax, source)
    }
}

/// Sorted distinct values.
pub fn sorted_unique(v: &[String]) -> Vec<String> {
    v.iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .cloned()
        .collect()
}

/// How to split a data set into training and test folds.
///
/// TOML examples: `{ kind = "leave_one_speaker_out" }`, `{ kind = "group_k_fold", k = 5 }`,
/// `{ kind = "speaker_holdout", test_speakers = ["emodb:03", "emodb:08"] }`,
/// `{ kind = "speaker_holdout", n_test = 2 }`, `{ kind = "corpus_holdout", test = ["emovo"] }`,
/// `{ kind = "random", test_fraction = 0.2 }` (speaker-DEPENDENT).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SplitSpec {
    /// One fold per speaker: that speaker is the test side, all others train.
    LeaveOneSpeakerOut,
    /// `k` folds of whole speakers, balancing the emotion distribution across folds as far as
    /// the speaker groups allow (the StratifiedGroupKFold heuristic of scikit-learn).
    GroupKFold {
        /// Number of folds, 2 ..= number of speakers.
        k: usize,
    },
    /// One fold: the given test speakers (or `n_test` speakers chosen by seed) versus the rest.
    SpeakerHoldout {
        /// Explicit test speakers (must exist). Takes precedence over `n_test`.
        #[serde(default)]
        test_speakers: Vec<String>,
        /// Number of test speakers chosen by seed when `test_speakers` is empty.
        #[serde(default)]
        n_test: usize,
    },
    /// One fold: rows of the `test` corpora versus rows of the other corpora (or of `train`
    /// when given). Cross-corpus evaluation; speakers never overlap across corpora.
    CorpusHoldout {
        /// Training corpora; empty = every corpus not in `test`.
        #[serde(default)]
        train: Vec<String>,
        /// Test corpora.
        test: Vec<String>,
    },
    /// One fold per corpus: its rows versus the rows of every other corpus (leave-one-corpus-out
    /// cross-corpus evaluation, over the emotions all corpora share). Needs 2+ corpora.
    LeaveOneCorpusOut,
    /// One fold of randomly chosen utterances, stratified by emotion. Speakers appear on both
    /// sides: the result is SPEAKER-DEPENDENT and every report says so.
    Random {
        /// Fraction of rows in the test side, in (0, 1).
        test_fraction: f64,
    },
}

impl SplitSpec {
    /// True for every split except [`SplitSpec::Random`].
    pub fn is_speaker_independent(&self) -> bool {
        !matches!(self, SplitSpec::Random { .. })
    }

    /// One line describing the split, for reports.
    pub fn describe(&self) -> String {
        match self {
            SplitSpec::LeaveOneSpeakerOut => "leave-one-speaker-out".into(),
            SplitSpec::GroupKFold { k } => {
                format!("{k}-fold cross-validation grouped by speaker, stratified by emotion")
            }
            SplitSpec::SpeakerHoldout {
                test_speakers,
                n_test,
            } => {
                if test_speakers.is_empty() {
                    format!("speaker hold-out: {n_test} test speaker(s) chosen by seed")
                } else {
                    format!(
                        "speaker hold-out: test speakers {}",
                        test_speakers.join(", ")
                    )
                }
            }
            SplitSpec::CorpusHoldout { train, test } => format!(
                "cross-corpus: train on {}, test on {}",
                if train.is_empty() {
                    "all other corpora".to_string()
                } else {
                    train.join(" + ")
                },
                test.join(" + ")
            ),
            SplitSpec::LeaveOneCorpusOut => {
                "leave-one-corpus-out: each corpus tested once, trained on the union of the others"
                    .into()
            }
            SplitSpec::Random { test_fraction } => format!(
                "RANDOM utterance split ({:.0}% test, stratified by emotion): SPEAKER-DEPENDENT, \
                 the same speakers are in training and test data",
                test_fraction * 100.0
            ),
        }
    }

    /// Builds the folds for rows with the given speakers, label indices and corpora.
    ///
    /// `labels` (class index per row) is only used by [`SplitSpec::GroupKFold`] and
    /// [`SplitSpec::Random`] (stratification); `corpora` only by [`SplitSpec::CorpusHoldout`] and
    /// [`SplitSpec::LeaveOneCorpusOut`].
    pub fn folds(
        &self,
        speakers: &[String],
        labels: &[usize],
        corpora: &[String],
        seed: u64,
    ) -> Result<Vec<Fold>> {
        let n = speakers.len();
        if labels.len() != n || corpora.len() != n {
            return Err(Error::Data(format!(
                "split input: expected labels and corpora with {n} entries (speakers), found {} and {}",
                labels.len(),
                corpora.len()
            )));
        }
        let folds = match self {
            SplitSpec::LeaveOneSpeakerOut => leave_one_speaker_out(speakers)?,
            SplitSpec::GroupKFold { k } => group_k_fold(speakers, labels, *k, seed)?,
            SplitSpec::SpeakerHoldout {
                test_speakers,
                n_test,
            } => speaker_holdout(speakers, test_speakers, *n_test, seed)?,
            SplitSpec::CorpusHoldout { train, test } => corpus_holdout(corpora, train, test)?,
            SplitSpec::LeaveOneCorpusOut => leave_one_corpus_out(corpora)?,
            SplitSpec::Random { test_fraction } => random_split(labels, *test_fraction, seed)?,
        };
        for f in &folds {
            if f.train.is_empty() || f.test.is_empty() {
                return Err(Error::Data(format!(
                    "split {}: fold {} has {} training and {} test rows; both must be non-empty",
                    self.describe(),
                    f.name,
                    f.train.len(),
                    f.test.len()
                )));
            }
        }
        Ok(folds)
    }
}

/// One training/test partition of row indices (both sorted ascending).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fold {
    /// Human-readable name, e.g. the test speaker for LOSO or `fold 3/5`.
    pub name: String,
    /// Training row indices.
    pub train: Vec<usize>,
    /// Test row indices.
    pub test: Vec<usize>,
}

/// Row indices of each speaker, speakers sorted.
fn rows_by_speaker(speakers: &[String]) -> BTreeMap<&str, Vec<usize>> {
    let mut m: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in speakers.iter().enumerate() {
        m.entry(s.as_str()).or_default().push(i);
    }
    m
}

fn fold_from_test_set(name: String, n: usize, is_test: &[bool]) -> Fold {
    let (test, train): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| is_test[i]);
    Fold { name, train, test }
}

fn leave_one_speaker_out(speakers: &[String]) -> Result<Vec<Fold>> {
    let groups = rows_by_speaker(speakers);
    if groups.len() < 2 {
        return Err(Error::Data(format!(
            "leave-one-speaker-out needs at least 2 speakers, found {}",
            groups.len()
        )));
    }
    let n = speakers.len();
    Ok(groups
        .iter()
        .map(|(s, rows)| {
            let mut is_test = vec![false; n];
            for &r in rows {
                is_test[r] = true;
            }
            fold_from_test_set((*s).to_string(), n, &is_test)
        })
        .collect())
}

/// Grouped, emotion-stratified k-fold (scikit-learn's `StratifiedGroupKFold(shuffle=True)`
/// heuristic): speakers are sorted, shuffled with the seed, then stably ordered by decreasing
/// spread of their class counts; each is put into the fold that minimises the mean (over classes)
/// standard deviation (over folds) of the class proportions, ties going to the smaller fold. A
/// speaker is forced into an empty fold when only as many speakers remain as there are empty folds,
/// so every fold has a test side.
fn group_k_fold(speakers: &[String], labels: &[usize], k: usize, seed: u64) -> Result<Vec<Fold>> {
    let groups = rows_by_speaker(speakers);
    if k < 2 || k > groups.len() {
        return Err(Error::Param {
            name: "split.k",
            expected: format!("2 ..= number of speakers ({})", groups.len()),
            found: k.to_string(),
        });
    }
    let n_classes = labels.iter().max().map_or(0, |m| m + 1);
    let mut class_total = vec![0.0f64; n_classes];
    for &l in labels {
        class_total[l] += 1.0;
    }
    let mut order: Vec<(&str, Vec<f64>)> = groups
        .iter()
        .map(|(s, rows)| {
            let mut c = vec![0.0f64; n_classes];
            for &r in rows {
                c[labels[r]] += 1.0;
            }
            (*s, c)
        })
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    order.shuffle(&mut rng);
    // stable sort by decreasing std of class counts
    order.sort_by(|a, b| std_dev(&b.1).total_cmp(&std_dev(&a.1)));

    let mut fold_counts = vec![vec![0.0f64; n_classes]; k];
    let mut fold_of: BTreeMap<&str, usize> = BTreeMap::new();
    let n_groups = order.len();
    for (gi, (speaker, counts)) in order.iter().enumerate() {
        let remaining = n_groups - gi;
        let empty: Vec<usize> = (0..k)
            .filter(|&f| fold_counts[f].iter().sum::<f64>() == 0.0)
            .collect();
        let candidates: Vec<usize> = if remaining <= empty.len() {
            empty
        } else {
            (0..k).collect()
        };
        let mut best = candidates[0];
        let mut best_eval = f64::INFINITY;
        let mut best_size = f64::INFINITY;
        for &f in &candidates {
            for c in 0..n_classes {
                fold_counts[f][c] += counts[c];
            }
            let eval = (0..n_classes)
                .map(|c| {
                    let props: Vec<f64> = (0..k)
                        .map(|ff| fold_counts[ff][c] / class_total[c].max(1.0))
                        .collect();
                    std_dev(&props)
                })
                .sum::<f64>()
                / n_classes.max(1) as f64;
            for c in 0..n_classes {
                fold_counts[f][c] -= counts[c];
            }
            let size: f64 = fold_counts[f].iter().sum();
            let close = (eval - best_eval).abs() <= 1e-8 + 1e-5 * best_eval.abs();
            if eval < best_eval && !close || close && size < best_size {
                best = f;
                best_eval = eval;
                best_size = size;
            }
        }
        for c in 0..n_classes {
            fold_counts[best][c] += counts[c];
        }
        fold_of.insert(speaker, best);
    }
    let n = speakers.len();
    Ok((0..k)
        .map(|f| {
            let is_test: Vec<bool> = speakers.iter().map(|s| fold_of[s.as_str()] == f).collect();
            fold_from_test_set(format!("fold {}/{k}", f + 1), n, &is_test)
        })
        .collect())
}

fn std_dev(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len() as f64).sqrt()
}

fn speaker_holdout(
    speakers: &[String],
    test_speakers: &[String],
    n_test: usize,
    seed: u64,
) -> Result<Vec<Fold>> {
    let groups = rows_by_speaker(speakers);
    let chosen: BTreeSet<String> = if !test_speakers.is_empty() {
        for s in test_speakers {
            if !groups.contains_key(s.as_str()) {
                return Err(Error::Param {
                    name: "split.test_speakers",
                    expected: format!("speakers of the data set {:?}", groups.keys()),
                    found: s.clone(),
                });
            }
        }
        test_speakers.iter().cloned().collect()
    } else {
        if n_test == 0 || n_test >= groups.len() {
            return Err(Error::Param {
                name: "split.n_test",
                expected: format!("1 ..= {} (number of speakers - 1)", groups.len().max(1) - 1),
                found: n_test.to_string(),
            });
        }
        let mut all: Vec<&str> = groups.keys().copied().collect();
        all.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        all[..n_test].iter().map(|s| s.to_string()).collect()
    };
    let is_test: Vec<bool> = speakers.iter().map(|s| chosen.contains(s)).collect();
    let name = format!(
        "test speakers {}",
        chosen.iter().cloned().collect::<Vec<_>>().join(", ")
    );
    Ok(vec![fold_from_test_set(name, speakers.len(), &is_test)])
}

fn leave_one_corpus_out(corpora: &[String]) -> Result<Vec<Fold>> {
    let names = sorted_unique(corpora);
    if names.len() < 2 {
        return Err(Error::Data(format!(
            "leave-one-corpus-out needs at least 2 corpora, found {names:?}"
        )));
    }
    let n = corpora.len();
    Ok(names
        .iter()
        .map(|c| {
            let is_test: Vec<bool> = corpora.iter().map(|k| k == c).collect();
            fold_from_test_set(format!("test corpus {c}"), n, &is_test)
        })
        .collect())
}

fn corpus_holdout(corpora: &[String], train: &[String], test: &[String]) -> Result<Vec<Fold>> {
    if test.is_empty() {
        return Err(Error::Param {
            name: "split.test",
            expected: "at least one test corpus".into(),
            found: "[]".into(),
        });
    }
    let present: BTreeSet<&str> = corpora.iter().map(String::as_str).collect();
    for c in train.iter().chain(test) {
        if !present.contains(c.as_str()) {
            return Err(Error::Param {
                name: "split.train/test",
                expected: format!("corpora of the data set {present:?}"),
                found: c.clone(),
            });
        }
    }
    if let Some(c) = train.iter().find(|c| test.contains(c)) {
        return Err(Error::Param {
            name: "split.train/test",
            expected: "disjoint training and test corpora".into(),
            found: format!("{c} in both"),
        });
    }
    let mut tr = Vec::new();
    let mut te = Vec::new();
    for (i, c) in corpora.iter().enumerate() {
        if test.contains(c) {
            te.push(i);
        } else if train.is_empty() || train.contains(c) {
            tr.push(i);
        }
    }
    Ok(vec![Fold {
        name: format!("test corpus {}", test.join("+")),
        train: tr,
        test: te,
    }])
}

fn random_split(labels: &[usize], test_fraction: f64, seed: u64) -> Result<Vec<Fold>> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(Error::Param {
            name: "split.test_fraction",
            expected: "a fraction in (0, 1)".into(),
            found: test_fraction.to_string(),
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut by_class: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, &l) in labels.iter().enumerate() {
        by_class.entry(l).or_default().push(i);
    }
    let mut is_test = vec![false; labels.len()];
    for rows in by_class.values_mut() {
        rows.shuffle(&mut rng);
        let n_test = ((rows.len() as f64) * test_fraction).round() as usize;
        for &r in rows.iter().take(n_test) {
            is_test[r] = true;
        }
    }
    Ok(vec![fold_from_test_set(
        "random".into(),
        labels.len(),
        &is_test,
    )])
}

#[cfg(test)]
mod tests;
