//! Cross-validation and nested grid search.
//!
//! For every normalisation protocol of the config:
//! - **nested selection** (the honest estimate): in each outer fold, every candidate is scored
//!   by mean UAR over the inner speaker-grouped split of the *training speakers only*; the best
//!   candidate (ties: earlier in the config) is refitted on all training speakers and predicts the
//!   outer test speakers. The pooled predictions give the headline metrics, bootstrap CI and
//!   per-speaker breakdown.
//! - **every candidate on the outer folds** (`evaluate_all`): the table of `results.csv`. Picking
//!   the best row of that table would choose on test speakers, so it is never the headline.
//!
//! Augmented copies of rows ([`crate::split::Augmented`]) join the training side of a fit exactly
//! when their source row is a training row of that fit ([`training_rows`]), in outer and inner
//! folds alike; test sides hold original rows only. Under per-speaker normalisation a copy is
//! standardised with its source speaker's statistics, fitted on that speaker's original rows.
//!
//! All fits of a stage run in parallel with rayon; a progress callback receives
//! `(done, total)` after each fit so the crate stays free of UI code.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use ndarray::{Array2, Axis};
use rayon::prelude::*;
use ser_models::{FitOptions, ShrunkCentring, SpeakerMoments, SpeakerStatistics};
use serde::{Deserialize, Serialize};

use crate::grid::{Candidate, CheckedConfig, Normalisation, without_probability};
use crate::metrics::{self, Interval, Metrics, SpeakerMetrics};
use crate::split::{Dataset, Fold, SplitSpec, sorted_unique};
use crate::{Error, Result};

/// Scores of one fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldScore {
    /// Fold name (test speaker for LOSO).
    pub fold: String,
    /// Number of test rows.
    pub n_test: usize,
    pub uar: f64,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub macro_precision: f64,
    pub macro_recall: f64,
    /// Label of the candidate used in this fold (the selected one for nested rows).
    pub candidate: String,
}

/// Mean and sample standard deviation over folds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    pub mean: f64,
    pub std: f64,
}

/// One row of `results.csv`: a configuration scored on the outer folds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigResult {
    /// Normalisation protocol.
    pub normalisation: Normalisation,
    /// `"nested"` (hyper-parameters chosen per outer fold on training speakers) or `"fixed"`.
    pub selection: String,
    /// Candidate label (`"nested selection"` for nested rows).
    pub label: String,
    /// Model entry name (`"*"` for nested rows, which may choose any model).
    pub model: String,
    /// Grid point as JSON (`{}` for nested rows).
    pub params: String,
    pub n_folds: usize,
    pub uar: MeanStd,
    pub accuracy: MeanStd,
    pub macro_f1: MeanStd,
    pub macro_precision: MeanStd,
    pub macro_recall: MeanStd,
    /// UAR of all outer test predictions pooled.
    pub pooled_uar: f64,
    /// Sum of the wall time of this configuration's fits (seconds; fits run in parallel).
    pub fit_time_s: f64,
    pub folds: Vec<FoldScore>,
}

/// One outer test prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Row of the data set.
    pub row: usize,
    pub fold: String,
    pub truth: usize,
    pub predicted: usize,
    /// Class probabilities when the model provides them.
    pub proba: Option<Vec<f32>>,
}

/// The nested result of one normalisation protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NestedResult {
    pub normalisation: Normalisation,
    /// Fold-level summary (also a row of `results.csv`).
    pub summary: ConfigResult,
    /// Metrics of all outer test predictions pooled.
    pub pooled: Metrics,
    /// Bootstrap CI of the pooled UAR.
    pub uar_ci: Interval,
    /// Pooled per-speaker breakdown.
    pub per_speaker: Vec<SpeakerMetrics>,
    /// Per outer fold: (fold, chosen candidate, its mean inner UAR).
    pub chosen: Vec<(String, String, f64)>,
    /// Predictions sorted by row.
    pub predictions: Vec<Prediction>,
}

/// Everything a grid search produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridOutcome {
    pub name: String,
    pub seed: u64,
    /// Class names (index order of predictions and matrices).
    pub classes: Vec<String>,
    /// Outer split.
    pub outer: SplitSpec,
    /// Inner (selection) split.
    pub inner: SplitSpec,
    pub speaker_independent: bool,
    pub scaler: String,
    pub class_weight: String,
    pub n_rows: usize,
    pub n_features: usize,
    pub speakers: Vec<String>,
    pub corpora: Vec<String>,
    /// Rows per class of the evaluated data.
    pub class_counts: Vec<(String, usize)>,
    /// Candidate labels in config order.
    pub candidates: Vec<String>,
    /// Rows that were dropped (emotion filter / shared emotions) before evaluation.
    pub dropped_rows: usize,
    /// Augmented copies available to training folds (0: no augmentation).
    #[serde(default)]
    pub augmented_rows: usize,
    /// How the outer split departs from `outer`, when it does (fewer speakers than folds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outer_note: Option<String>,
    /// How the inner split departs from `inner`, when it does (one training speaker: grouped
    /// by text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner_note: Option<String>,
    pub nested: Vec<NestedResult>,
    /// Every candidate on the outer folds (empty when `evaluate_all = false`).
    pub all: Vec<ConfigResult>,
    /// Index into `nested` of the protocol with the best pooled UAR.
    pub best: usize,
    /// Resamples of the UAR bootstrap.
    pub bootstrap_resamples: usize,
    /// Wall time of the whole search, seconds.
    pub wall_time_s: f64,
}

impl GridOutcome {
    /// The nested result with the best pooled UAR.
    pub fn best(&self) -> &NestedResult {
        &self.nested[self.best]
    }
}

/// Progress callback: `(fits done, fits total)`.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// Restricts `data` to the emotions of the config and, for a cross-corpus split, to the
/// emotions shared by every involved corpus. Returns the data and the number of rows dropped.
pub fn select_rows(data: &Dataset, cfg: &CheckedConfig) -> Result<(Dataset, usize)> {
    let mut d = match &cfg.raw.emotions {
        Some(keep) => data.filter_labels(keep),
        None => data.clone(),
    };
    let involved: Option<Vec<String>> = match &cfg.raw.outer {
        SplitSpec::CorpusHoldout { train, .. } if train.is_empty() => Some(d.corpus_names()),
        SplitSpec::CorpusHoldout { train, test } => {
            Some(train.iter().chain(test).cloned().collect())
        }
        SplitSpec::LeaveOneCorpusOut => Some(d.corpus_names()),
        _ => None,
    };
    if let Some(involved) = involved {
        let mut shared: Option<Vec<String>> = None;
        for c in &involved {
            let labels: Vec<String> = d
                .labels
                .iter()
                .zip(&d.corpora)
                .filter(|(_, k)| *k == c)
                .map(|(l, _)| l.clone())
                .collect();
            let set = sorted_unique(&labels);
            shared = Some(match shared {
                None => set,
                Some(s) => s.into_iter().filter(|l| set.contains(l)).collect(),
            });
        }
        let shared = shared.unwrap_or_default();
        if shared.len() < 2 {
            return Err(Error::Data(format!(
                "cross-corpus: corpora {involved:?} share {} emotion(s) ({shared:?}); need 2+",
                shared.len()
            )));
        }
        d = d.filter_labels(&shared);
    }
    let dropped = data.n_rows() - d.n_rows();
    if d.classes().len() < 2 {
        return Err(Error::Data(format!(
            "need at least 2 emotions after filtering, found {:?}",
            d.classes()
        )));
    }
    Ok((d, dropped))
}

/// Features under one protocol: the rows and their augmented copies.
struct ProtocolFeatures {
    x: Array2<f32>,
    /// The rows as a test side sees them, when that differs from `x` (enrolment statistics).
    x_test: Option<Array2<f32>>,
    /// Augmented copies (`Dataset::augmented`), under the same protocol.
    aug: Option<Array2<f32>>,
    /// Every speaker's moments over its enrolment rows (a test side's centres), when each fit
    /// centres the rows itself ([`Normalisation::EnrolmentShrunk`]; a training side's moments
    /// come from that fit's training rows).
    enrolment_moments: Option<BTreeMap<String, SpeakerMoments>>,
}

/// Features under one protocol: per-speaker standardised or unchanged. A copy is standardised
/// with the statistics of its source row's speaker, fitted on the original rows only.
fn protocol_features(
    data: &Dataset,
    norm: Normalisation,
    raw: &crate::grid::GridConfig,
) -> Result<ProtocolFeatures> {
    let min_utterances = raw.min_utterances_per_speaker;
    match norm {
        Normalisation::Training => Ok(ProtocolFeatures {
            x: data.x.clone(),
            x_test: None,
            aug: data.augmented.as_ref().map(|a| a.x.clone()),
            enrolment_moments: None,
        }),
        Normalisation::EnrolmentShrunk => {
            let rows = enrolment_rows(data, raw.enrolment_utterances, raw.seed);
            Ok(ProtocolFeatures {
                x: data.x.clone(),
                x_test: None,
                aug: data.augmented.as_ref().map(|a| a.x.clone()),
                enrolment_moments: Some(SpeakerMoments::by_speaker(
                    data.x.view(),
                    &data.speakers,
                    rows,
                )?),
            })
        }
        Normalisation::PerSpeaker => grouped(data, &data.speakers, min_utterances),
        Normalisation::PerCorpus => grouped(data, &data.corpora, min_utterances),
        Normalisation::Enrolment => {
            let mut f = grouped(data, &data.speakers, min_utterances)?;
            let rows = enrolment_rows(data, raw.enrolment_utterances, raw.seed);
            let speakers: Vec<String> = rows.iter().map(|&r| data.speakers[r].clone()).collect();
            let sub = data.x.select(Axis(0), &rows);
            let stats = SpeakerStatistics::fit(sub.view(), &speakers, min_utterances)?;
            f.x_test = Some(stats.transform(data.x.view(), &data.speakers)?);
            Ok(f)
        }
    }
}

/// The enrolment utterances of every speaker: `k` of its rows (all when it has fewer), the
/// first in an order keyed by a hash of (seed, path), so the choice uses no label and does not
/// depend on row order. Ascending row indices.
pub fn enrolment_rows(data: &Dataset, k: usize, seed: u64) -> Vec<usize> {
    // FNV-1a over the seed and the path: fixed across runs, machines and Rust releases
    let key = |path: &str| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in seed.to_le_bytes().iter().chain(path.as_bytes()) {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        h
    };
    let mut by_speaker: BTreeMap<&str, Vec<(u64, usize)>> = BTreeMap::new();
    for (i, s) in data.speakers.iter().enumerate() {
        by_speaker
            .entry(s)
            .or_default()
            .push((key(&data.paths[i]), i));
    }
    let mut rows: Vec<usize> = by_speaker
        .into_values()
        .flat_map(|mut v| {
            v.sort_unstable();
            v.into_iter().take(k).map(|(_, i)| i)
        })
        .collect();
    rows.sort_unstable();
    rows
}

/// Rows standardised with the statistics of their group (speaker or corpus), fitted on the
/// group's original rows; a copy takes its source row's group.
fn grouped(data: &Dataset, groups: &[String], min_utterances: usize) -> Result<ProtocolFeatures> {
    let stats = SpeakerStatistics::fit(data.x.view(), groups, min_utterances)?;
    let x = stats.transform(data.x.view(), groups)?;
    let aug = match &data.augmented {
        Some(a) => {
            let who: Vec<String> = a.source.iter().map(|&r| groups[r].clone()).collect();
            Some(stats.transform(a.x.view(), &who)?)
        }
        None => None,
    };
    Ok(ProtocolFeatures {
        x,
        x_test: None,
        aug,
        enrolment_moments: None,
    })
}

/// The training side of one fit: original rows and the augmented copies made from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingRows {
    /// Rows of the data set.
    pub rows: Vec<usize>,
    /// Augmented copies (indices into `Dataset::augmented`) whose source is one of `rows`.
    pub copies: Vec<usize>,
}

/// The training side of a fit whose original training rows are `train`: the rows, and the
/// copies of exactly those rows. The one place where copies join a fit.
pub fn training_rows(data: &Dataset, train: &[usize]) -> TrainingRows {
    TrainingRows {
        rows: train.to_vec(),
        copies: data
            .augmented
            .as_ref()
            .map(|a| a.copies_of(train, data.n_rows()))
            .unwrap_or_default(),
    }
}

/// Training and test rows of outer fold `fi`, or of its inner fold `ii` (indices into the data
/// set; inner folds index the outer training rows).
fn fold_rows(
    outer: &[Fold],
    inner: &[Vec<Fold>],
    fi: usize,
    ii: Option<usize>,
) -> (Vec<usize>, Vec<usize>) {
    let of = &outer[fi];
    match ii {
        Some(ii) => {
            let f = &inner[fi][ii];
            (
                f.train.iter().map(|&j| of.train[j]).collect(),
                f.test.iter().map(|&j| of.train[j]).collect(),
            )
        }
        None => (of.train.clone(), of.test.clone()),
    }
}

/// One fit a search makes (for every candidate and protocol alike).
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedFit {
    /// The outer fold's name.
    pub outer: String,
    /// The inner fold within it, `None` for the outer fold itself.
    pub inner: Option<usize>,
    /// What the fit trains on.
    pub train: TrainingRows,
    /// The rows it predicts (original rows only).
    pub test: Vec<usize>,
}

/// Every distinct fit [`run`] makes on `data` with `cfg`: the outer folds and, when candidates
/// are selected, their inner folds, with the rows each trains and is tested on, built by the
/// same functions `run` uses.
pub fn planned_fits(data: &Dataset, cfg: &CheckedConfig) -> Result<Vec<PlannedFit>> {
    let (outer, inner, _) = plan_folds(data, cfg)?;
    let mut fits = Vec::new();
    for (fi, of) in outer.iter().enumerate() {
        for ii in (0..inner[fi].len()).map(Some).chain([None]) {
            let (train, test) = fold_rows(&outer, &inner, fi, ii);
            fits.push(PlannedFit {
                outer: of.name.clone(),
                inner: ii,
                train: training_rows(data, &train),
                test,
            });
        }
    }
    Ok(fits)
}

/// Outer folds, inner folds per outer fold (empty without selection), label indices.
type FoldPlan = (Vec<Fold>, Vec<Vec<Fold>>, Vec<usize>);

fn plan_folds(data: &Dataset, cfg: &CheckedConfig) -> Result<FoldPlan> {
    let raw = &cfg.raw;
    let y = data.label_indices(&data.classes())?;
    let outer = outer_spec(data, cfg).folds(&data.speakers, &y, &data.corpora, raw.seed)?;
    let inner: Vec<Vec<Fold>> = if cfg.candidates.len() > 1 {
        outer
            .iter()
            .map(|f| inner_folds(cfg, data, &y, &f.train))
            .collect::<Result<_>>()?
    } else {
        vec![Vec::new(); outer.len()]
    };
    Ok((outer, inner, y))
}

struct FitResult {
    pred: Vec<usize>,
    proba: Option<Array2<f32>>,
    seconds: f64,
}

/// What every fit of a search shares.
struct Ctx<'a> {
    data: &'a Dataset,
    y: &'a [usize],
    n_classes: usize,
    cfg: &'a CheckedConfig,
}

/// Fits scaler + model on the `train` rows of `x` and their augmented copies, and predicts
/// the `test` rows.
fn fit_predict(
    ctx: &Ctx<'_>,
    x: &ProtocolFeatures,
    train: &[usize],
    test: &[usize],
    cand_spec: &ser_models::ModelSpec,
    scaler: ser_models::ScalerSpec,
    want_proba: bool,
) -> Result<FitResult> {
    let Ctx {
        data,
        y,
        n_classes,
        cfg,
    } = *ctx;
    let start = Instant::now();
    let tr = training_rows(data, train);
    // every training row's source: itself, or the row its copy was made from
    let mut sources = tr.rows.clone();
    let mut xtr = x.x.select(Axis(0), &tr.rows);
    if let (Some(aug), Some(a)) = (&x.aug, &data.augmented)
        && !tr.copies.is_empty()
    {
        let copies = aug.select(Axis(0), &tr.copies);
        xtr = ndarray::concatenate(Axis(0), &[xtr.view(), copies.view()])
            .map_err(|e| Error::Data(format!("training rows with their copies: {e}")))?;
        sources.extend(tr.copies.iter().map(|&c| a.source[c]));
    }
    let mut xte = x.x_test.as_ref().unwrap_or(&x.x).select(Axis(0), test);
    if let Some(enrolment) = &x.enrolment_moments {
        // the training speakers' moments and the population statistics from this fit's
        // training rows only (originals; a copy is centred as its source row)
        let full =
            SpeakerMoments::by_speaker(data.x.view(), &data.speakers, tr.rows.iter().copied())?;
        let c = ShrunkCentring::fit(&full.values().collect::<Vec<_>>())?;
        let who: Vec<&str> = sources.iter().map(|&i| data.speakers[i].as_str()).collect();
        c.centre_with(&mut xtr, &who, &full)?;
        let who: Vec<&str> = test.iter().map(|&i| data.speakers[i].as_str()).collect();
        c.centre_with(&mut xte, &who, enrolment)?;
    }
    let scaler = scaler.fit(xtr.view())?;
    let xtr = scaler.transform(xtr.view())?;
    let xte = scaler.transform(xte.view())?;
    let ytr: Vec<usize> = sources.iter().map(|&i| y[i]).collect();
    let opts = FitOptions {
        seed: cfg.raw.seed,
        class_weight: cfg.raw.class_weight,
        groups: Some(sources.iter().map(|&i| data.speakers[i].clone()).collect()),
    };
    let model = cand_spec.fit(xtr.view(), &ytr, n_classes, &opts)?;
    let pred = model.predict(xte.view())?;
    let proba = if want_proba {
        model.predict_proba(xte.view())?
    } else {
        None
    };
    Ok(FitResult {
        pred,
        proba,
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn fold_score(
    fold: &Fold,
    truth: &[usize],
    pred: &[usize],
    n_classes: usize,
    candidate: &str,
) -> Result<FoldScore> {
    let m = metrics::evaluate(truth, pred, n_classes)?;
    Ok(FoldScore {
        fold: fold.name.clone(),
        n_test: truth.len(),
        uar: m.uar,
        accuracy: m.accuracy,
        macro_f1: m.macro_f1,
        macro_precision: m.macro_precision,
        macro_recall: m.macro_recall,
        candidate: candidate.to_string(),
    })
}

/// Identity of a results row.
struct Meta<'a> {
    normalisation: Normalisation,
    selection: &'a str,
    label: &'a str,
    model: &'a str,
    params: String,
}

fn summarise(
    meta: Meta<'_>,
    folds: Vec<FoldScore>,
    pooled_uar: f64,
    fit_time_s: f64,
) -> ConfigResult {
    let Meta {
        normalisation,
        selection,
        label,
        model,
        params,
    } = meta;
    let ms = |f: fn(&FoldScore) -> f64| {
        let v: Vec<f64> = folds.iter().map(f).collect();
        let (mean, std) = metrics::mean_std(&v);
        MeanStd { mean, std }
    };
    ConfigResult {
        normalisation,
        selection: selection.into(),
        label: label.into(),
        model: model.into(),
        params,
        n_folds: folds.len(),
        uar: ms(|f| f.uar),
        accuracy: ms(|f| f.accuracy),
        macro_f1: ms(|f| f.macro_f1),
        macro_precision: ms(|f| f.macro_precision),
        macro_recall: ms(|f| f.macro_recall),
        pooled_uar,
        fit_time_s,
        folds,
    }
}

/// The outer split as run: `group_k_fold` with more folds than speakers becomes one fold per
/// speaker (the report says so, [`outer_note`]).
fn outer_spec(data: &Dataset, cfg: &CheckedConfig) -> SplitSpec {
    match &cfg.raw.outer {
        SplitSpec::GroupKFold { k } if *k > data.speaker_ids().len() => SplitSpec::GroupKFold {
            k: data.speaker_ids().len(),
        },
        other => other.clone(),
    }
}

/// The report's sentence when the outer split had to be reduced (see [`outer_spec`]).
fn outer_note(data: &Dataset, cfg: &CheckedConfig) -> Option<String> {
    match (&cfg.raw.outer, outer_spec(data, cfg)) {
        (SplitSpec::GroupKFold { k }, SplitSpec::GroupKFold { k: run }) if run != *k => {
            Some(format!(
                "the configuration asks for {k} speaker-grouped folds but the data have {run} \
             speakers: {run} folds were run, one speaker each"
            ))
        }
        _ => None,
    }
}

/// Folds of the text groups used when an outer training side has a single speaker.
const TEXT_GROUP_FOLDS: usize = 5;

/// Inner folds (indices into the outer training rows) for one outer fold. With a single
/// training speaker no speaker-grouped split exists; the rows are then grouped by their text
/// (sentence or word, [`Dataset::texts`]) into `min(k, texts)` folds ([`TEXT_GROUP_FOLDS`] for
/// a leave-one-out inner split), so a selection never sees the same text on both sides.
fn inner_folds(
    cfg: &CheckedConfig,
    data: &Dataset,
    y: &[usize],
    train: &[usize],
) -> Result<Vec<Fold>> {
    let spk: Vec<String> = train.iter().map(|&i| data.speakers[i].clone()).collect();
    let lab: Vec<usize> = train.iter().map(|&i| y[i]).collect();
    let cor: Vec<String> = train.iter().map(|&i| data.corpora[i].clone()).collect();
    let n_spk = sorted_unique(&spk).len();
    if n_spk == 1
        && let Some(texts) = &data.texts
    {
        let by_text: Vec<String> = train.iter().map(|&i| texts[i].clone()).collect();
        let n_text = sorted_unique(&by_text).len();
        if n_text >= 2 && by_text.iter().all(|t| !t.is_empty()) {
            let k = match &cfg.raw.inner {
                SplitSpec::GroupKFold { k } => *k,
                _ => TEXT_GROUP_FOLDS,
            }
            .min(n_text);
            return SplitSpec::GroupKFold { k }
                .folds(&by_text, &lab, &cor, cfg.raw.seed)
                .map_err(|e| {
                    Error::Data(format!("inner split by text of one training speaker: {e}"))
                });
        }
    }
    let spec = match &cfg.raw.inner {
        SplitSpec::GroupKFold { k } => SplitSpec::GroupKFold { k: (*k).min(n_spk) },
        other => other.clone(),
    };
    spec.folds(&spk, &lab, &cor, cfg.raw.seed)
        .map_err(|e| Error::Data(format!("inner split of the outer training speakers: {e}")))
}

/// The report's sentence on the inner split when some outer fold has one training speaker (its
/// inner folds group by text instead), else `None`.
fn inner_note(data: &Dataset, cfg: &CheckedConfig, outer: &[Fold]) -> Option<String> {
    if cfg.candidates.len() < 2 {
        return None;
    }
    let single: Vec<&str> = outer
        .iter()
        .filter(|f| {
            let spk: Vec<String> = f.train.iter().map(|&i| data.speakers[i].clone()).collect();
            sorted_unique(&spk).len() == 1
        })
        .map(|f| f.name.as_str())
        .collect();
    if single.is_empty() {
        return None;
    }
    let k = match &cfg.raw.inner {
        SplitSpec::GroupKFold { k } => *k,
        _ => TEXT_GROUP_FOLDS,
    };
    Some(format!(
        "outer fold(s) {} have a single training speaker: their inner split groups the training \
         utterances by text (sentence / word) into up to {k} folds instead of by speaker, so the \
         selection is text-independent but not speaker-independent",
        single.join(", ")
    ))
}

/// Runs the nested grid search on `data` (already restricted with [`select_rows`]).
pub fn run(
    data: &Dataset,
    cfg: &CheckedConfig,
    dropped_rows: usize,
    progress: Progress<'_>,
) -> Result<GridOutcome> {
    let start = Instant::now();
    data.check()?;
    let raw = &cfg.raw;
    let classes = data.classes();
    let n_classes = classes.len();
    let (outer, inner, y) = plan_folds(data, cfg)?;
    let n_cand = cfg.candidates.len();
    let select = n_cand > 1;
    let norms = raw.normalisation.clone();
    let xs: Vec<ProtocolFeatures> = norms
        .iter()
        .map(|&n| protocol_features(data, n, raw))
        .collect::<Result<_>>()?;
    let quiet_specs: Vec<ser_models::ModelSpec> = cfg
        .candidates
        .iter()
        .map(|c| without_probability(&c.spec))
        .collect();

    // Stage 1 tasks: (norm, outer fold, Some(inner fold) | None = outer test, candidate).
    let mut tasks: Vec<(usize, usize, Option<usize>, usize)> = Vec::new();
    for ni in 0..norms.len() {
        for (fi, inner_f) in inner.iter().enumerate() {
            for ii in 0..inner_f.len() {
                for ci in 0..n_cand {
                    tasks.push((ni, fi, Some(ii), ci));
                }
            }
            if raw.evaluate_all {
                for ci in 0..n_cand {
                    tasks.push((ni, fi, None, ci));
                }
            }
        }
    }
    let total = tasks.len() + norms.len() * outer.len();
    let done = AtomicUsize::new(0);
    let tick = || {
        let d = done.fetch_add(1, Ordering::Relaxed) + 1;
        progress(d, total);
    };
    let ctx = Ctx {
        data,
        y: &y,
        n_classes,
        cfg,
    };
    let stage1: Vec<FitResult> = tasks
        .par_iter()
        .map(|&(ni, fi, ii, ci)| {
            let of = &outer[fi];
            let (train, test) = fold_rows(&outer, &inner, fi, ii);
            let r = fit_predict(
                &ctx,
                &xs[ni],
                &train,
                &test,
                &quiet_specs[ci],
                cfg.candidates[ci].scaler_or(cfg.raw.scaler),
                false,
            )
            .map_err(|e| {
                Error::Data(format!(
                    "{} / {} / {}: {e}",
                    norms[ni].as_str(),
                    of.name,
                    cfg.candidates[ci].label
                ))
            });
            tick();
            r
        })
        .collect::<Result<_>>()?;

    // Inner scores and choice per (norm, outer fold).
    let mut inner_uar: BTreeMap<(usize, usize, usize), Vec<f64>> = BTreeMap::new();
    let mut flat: BTreeMap<(usize, usize), Vec<(usize, FitResult)>> = BTreeMap::new();
    let mut selection_time = vec![0.0f64; norms.len()];
    for (&(ni, fi, ii, ci), r) in tasks.iter().zip(stage1) {
        match ii {
            Some(ii) => {
                selection_time[ni] += r.seconds;
                let f = &inner[fi][ii];
                let truth: Vec<usize> = f.test.iter().map(|&j| y[outer[fi].train[j]]).collect();
                inner_uar
                    .entry((ni, fi, ci))
                    .or_default()
                    .push(metrics::uar(&truth, &r.pred, n_classes)?);
            }
            None => flat.entry((ni, ci)).or_default().push((fi, r)),
        }
    }
    let choice: Vec<Vec<(usize, f64)>> = (0..norms.len())
        .map(|ni| {
            (0..outer.len())
                .map(|fi| {
                    if !select {
                        return (0, f64::NAN);
                    }
                    let mut best = (0, f64::NEG_INFINITY);
                    for ci in 0..n_cand {
                        let v = &inner_uar[&(ni, fi, ci)];
                        let m = v.iter().sum::<f64>() / v.len() as f64;
                        if m > best.1 {
                            best = (ci, m);
                        }
                    }
                    best
                })
                .collect()
        })
        .collect();

    // Stage 2: refit the chosen candidate on all outer training rows, with probabilities.
    let refits: Vec<(usize, usize)> = (0..norms.len())
        .flat_map(|ni| (0..outer.len()).map(move |fi| (ni, fi)))
        .collect();
    let stage2: Vec<FitResult> = refits
        .par_iter()
        .map(|&(ni, fi)| {
            let ci = choice[ni][fi].0;
            let r = fit_predict(
                &ctx,
                &xs[ni],
                &outer[fi].train,
                &outer[fi].test,
                &cfg.candidates[ci].spec,
                cfg.candidates[ci].scaler_or(cfg.raw.scaler),
                true,
            );
            tick();
            r
        })
        .collect::<Result<_>>()?;

    let mut nested = Vec::new();
    let mut stage2 = stage2.into_iter();
    for (ni, &norm) in norms.iter().enumerate() {
        let mut preds = Vec::new();
        let mut folds = Vec::new();
        let mut chosen = Vec::new();
        let mut fit_time = 0.0;
        for (fi, of) in outer.iter().enumerate() {
            let r = stage2
                .next()
                .ok_or_else(|| Error::Data("internal: missing refit".into()))?;
            let (ci, inner_score) = choice[ni][fi];
            let cand = &cfg.candidates[ci];
            let truth: Vec<usize> = of.test.iter().map(|&i| y[i]).collect();
            folds.push(fold_score(of, &truth, &r.pred, n_classes, &cand.label)?);
            chosen.push((of.name.clone(), cand.label.clone(), inner_score));
            fit_time += r.seconds;
            for (j, &row) in of.test.iter().enumerate() {
                preds.push(Prediction {
                    row,
                    fold: of.name.clone(),
                    truth: y[row],
                    predicted: r.pred[j],
                    proba: r.proba.as_ref().map(|p| p.row(j).to_vec()),
                });
            }
        }
        // selection fits count towards the nested protocol's time
        fit_time += selection_time[ni];
        preds.sort_by_key(|p| p.row);
        let truth: Vec<usize> = preds.iter().map(|p| p.truth).collect();
        let pred: Vec<usize> = preds.iter().map(|p| p.predicted).collect();
        let spk: Vec<String> = preds.iter().map(|p| data.speakers[p.row].clone()).collect();
        let pooled = metrics::evaluate(&truth, &pred, n_classes)?;
        let uar_ci = metrics::bootstrap_uar_ci(
            &truth,
            &pred,
            n_classes,
            raw.bootstrap_resamples,
            0.95,
            raw.seed,
        )?;
        let per_speaker = metrics::per_speaker(&truth, &pred, &spk, n_classes)?;
        let summary = if select {
            summarise(
                Meta {
                    normalisation: norm,
                    selection: "nested",
                    label: "nested selection",
                    model: "*",
                    params: "{}".into(),
                },
                folds,
                pooled.uar,
                fit_time,
            )
        } else {
            let c = &cfg.candidates[0];
            summarise(
                Meta {
                    normalisation: norm,
                    selection: "fixed",
                    label: &c.label,
                    model: &c.model,
                    params: params_json(c),
                },
                folds,
                pooled.uar,
                fit_time,
            )
        };
        nested.push(NestedResult {
            normalisation: norm,
            summary,
            pooled,
            uar_ci,
            per_speaker,
            chosen,
            predictions: preds,
        });
    }

    let mut all = Vec::new();
    for (ni, &norm) in norms.iter().enumerate() {
        for (ci, cand) in cfg.candidates.iter().enumerate() {
            let Some(rs) = flat.remove(&(ni, ci)) else {
                continue;
            };
            let mut folds = Vec::new();
            let mut t_all = Vec::new();
            let mut p_all = Vec::new();
            let mut secs = 0.0;
            for (fi, r) in rs {
                let of = &outer[fi];
                let truth: Vec<usize> = of.test.iter().map(|&i| y[i]).collect();
                folds.push(fold_score(of, &truth, &r.pred, n_classes, &cand.label)?);
                t_all.extend(truth);
                p_all.extend(r.pred);
                secs += r.seconds;
            }
            let pooled = metrics::uar(&t_all, &p_all, n_classes)?;
            all.push(summarise(
                Meta {
                    normalisation: norm,
                    selection: "fixed",
                    label: &cand.label,
                    model: &cand.model,
                    params: params_json(cand),
                },
                folds,
                pooled,
                secs,
            ));
        }
    }
    let best = nested
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.pooled.uar.total_cmp(&b.1.pooled.uar))
        .map(|(i, _)| i)
        .unwrap_or(0);
    let class_counts = classes
        .iter()
        .map(|c| (c.clone(), data.labels.iter().filter(|l| *l == c).count()))
        .collect();
    Ok(GridOutcome {
        name: raw.name.clone(),
        seed: raw.seed,
        classes,
        outer: raw.outer.clone(),
        inner: raw.inner.clone(),
        speaker_independent: raw.outer.is_speaker_independent(),
        scaler: format!("{:?}", raw.scaler).to_lowercase(),
        class_weight: format!("{:?}", raw.class_weight).to_lowercase(),
        n_rows: data.n_rows(),
        n_features: data.x.ncols(),
        speakers: data.speaker_ids(),
        corpora: data.corpus_names(),
        class_counts,
        candidates: cfg.candidates.iter().map(|c| c.label.clone()).collect(),
        dropped_rows,
        augmented_rows: data.n_augmented(),
        outer_note: outer_note(data, cfg),
        inner_note: inner_note(data, cfg, &outer),
        nested,
        all,
        best,
        bootstrap_resamples: raw.bootstrap_resamples,
        wall_time_s: start.elapsed().as_secs_f64(),
    })
}

fn params_json(c: &Candidate) -> String {
    serde_json::to_string(&c.params).unwrap_or_default()
}
