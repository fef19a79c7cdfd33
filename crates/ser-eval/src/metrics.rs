//! Classification metrics with scikit-learn's definitions.
//!
//! Labels are class indices `0..n_classes`. Conventions (as in scikit-learn):
//! - **UAR** (`balanced_accuracy_score`): mean recall over the classes that occur in the truth.
//! - **accuracy**: fraction of correct predictions.
//! - **per-class precision / recall / F1** with `zero_division = 0`: a ratio whose denominator
//!   is zero is 0.
//! - **macro** averages (`precision_recall_fscore_support(average="macro")`) are taken over the
//!   classes that occur in the truth *or* the predictions (scikit-learn's `unique_labels`), so a
//!   class that is in neither does not drag the average down.
//! - **weighted F1**: per-class F1 weighted by support (truth counts).

use std::collections::BTreeMap;

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Precision, recall, F1 and support of one class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// TP / (TP + FP); 0 when nothing was predicted as this class.
    pub precision: f64,
    /// TP / (TP + FN); 0 when the class does not occur in the truth.
    pub recall: f64,
    /// 2 P R / (P + R); 0 when P + R = 0.
    pub f1: f64,
    /// Number of true rows of this class.
    pub support: usize,
}

/// All summary metrics of one set of predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Unweighted average recall (balanced accuracy) over classes present in the truth.
    pub uar: f64,
    /// Fraction of correct predictions.
    pub accuracy: f64,
    /// Mean F1 over classes present in truth or predictions.
    pub macro_f1: f64,
    /// Support-weighted mean F1.
    pub weighted_f1: f64,
    /// Mean precision over classes present in truth or predictions.
    pub macro_precision: f64,
    /// Mean recall over classes present in truth or predictions.
    pub macro_recall: f64,
    /// Per-class metrics, indexed by class.
    pub per_class: Vec<ClassMetrics>,
    /// Confusion matrix: `confusion[[truth, predicted]]` counts.
    pub confusion: Array2<u64>,
    /// Number of rows.
    pub n: usize,
}

/// Confusion matrix `(n_classes, n_classes)`, rows = truth, columns = prediction.
pub fn confusion_matrix(truth: &[usize], pred: &[usize], n_classes: usize) -> Result<Array2<u64>> {
    check_inputs(truth, pred, n_classes)?;
    let mut cm = Array2::<u64>::zeros((n_classes, n_classes));
    for (&t, &p) in truth.iter().zip(pred) {
        cm[[t, p]] += 1;
    }
    Ok(cm)
}

fn check_inputs(truth: &[usize], pred: &[usize], n_classes: usize) -> Result<()> {
    if truth.len() != pred.len() {
        return Err(Error::Data(format!(
            "metrics: expected as many predictions as truths ({}), found {}",
            truth.len(),
            pred.len()
        )));
    }
    if truth.is_empty() {
        return Err(Error::Data("metrics: no rows to score".into()));
    }
    if let Some(&bad) = truth.iter().chain(pred).find(|&&c| c >= n_classes) {
        return Err(Error::Data(format!(
            "metrics: expected class indices < {n_classes}, found {bad}"
        )));
    }
    Ok(())
}

fn ratio(num: f64, den: f64) -> f64 {
    if den == 0.0 { 0.0 } else { num / den }
}

/// Metrics from a confusion matrix (rows = truth, columns = prediction).
pub fn metrics_from_confusion(cm: &Array2<u64>) -> Result<Metrics> {
    let k = cm.nrows();
    if cm.ncols() != k {
        return Err(Error::Data(format!(
            "confusion matrix: expected square, found {}x{}",
            k,
            cm.ncols()
        )));
    }
    let n: u64 = cm.sum();
    if n == 0 {
        return Err(Error::Data("metrics: no rows to score".into()));
    }
    let mut per_class = Vec::with_capacity(k);
    let mut present = Vec::with_capacity(k);
    for c in 0..k {
        let tp = cm[[c, c]] as f64;
        let support = cm.row(c).sum();
        let predicted = cm.column(c).sum();
        let precision = ratio(tp, predicted as f64);
        let recall = ratio(tp, support as f64);
        let f1 = ratio(2.0 * precision * recall, precision + recall);
        per_class.push(ClassMetrics {
            precision,
            recall,
            f1,
            support: support as usize,
        });
        present.push((support > 0, support > 0 || predicted > 0));
    }
    let mean_over = |f: &dyn Fn(&ClassMetrics) -> f64, mask: &dyn Fn(usize) -> bool| {
        let v: Vec<f64> = (0..k)
            .filter(|&c| mask(c))
            .map(|c| f(&per_class[c]))
            .collect();
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let in_truth = |c: usize| present[c].0;
    let in_either = |c: usize| present[c].1;
    let uar = mean_over(&|m| m.recall, &in_truth);
    let macro_f1 = mean_over(&|m| m.f1, &in_either);
    let macro_precision = mean_over(&|m| m.precision, &in_either);
    let macro_recall = mean_over(&|m| m.recall, &in_either);
    let weighted_f1 = per_class
        .iter()
        .map(|m| m.f1 * m.support as f64)
        .sum::<f64>()
        / n as f64;
    let correct: u64 = (0..k).map(|c| cm[[c, c]]).sum();
    Ok(Metrics {
        uar,
        accuracy: correct as f64 / n as f64,
        macro_f1,
        weighted_f1,
        macro_precision,
        macro_recall,
        per_class,
        confusion: cm.clone(),
        n: n as usize,
    })
}

/// All metrics of `pred` against `truth` (class indices `< n_classes`).
pub fn evaluate(truth: &[usize], pred: &[usize], n_classes: usize) -> Result<Metrics> {
    metrics_from_confusion(&confusion_matrix(truth, pred, n_classes)?)
}

/// UAR alone (balanced accuracy): mean recall over classes present in `truth`.
pub fn uar(truth: &[usize], pred: &[usize], n_classes: usize) -> Result<f64> {
    check_inputs(truth, pred, n_classes)?;
    Ok(uar_unchecked(truth, pred, n_classes))
}

fn uar_unchecked(truth: &[usize], pred: &[usize], n_classes: usize) -> f64 {
    let mut support = vec![0u64; n_classes];
    let mut hits = vec![0u64; n_classes];
    for (&t, &p) in truth.iter().zip(pred) {
        support[t] += 1;
        if t == p {
            hits[t] += 1;
        }
    }
    let (sum, cnt) = support
        .iter()
        .zip(&hits)
        .filter(|(s, _)| **s > 0)
        .fold((0.0, 0usize), |(a, n), (s, h)| {
            (a + *h as f64 / *s as f64, n + 1)
        });
    if cnt == 0 { 0.0 } else { sum / cnt as f64 }
}

/// A confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
    /// Coverage, e.g. 0.95.
    pub level: f64,
}

/// Percentile bootstrap confidence interval for UAR: `n_resamples` resamples of the rows with
/// replacement (ChaCha8 seeded with `seed`), UAR of each, and the `(1-level)/2` and
/// `(1+level)/2` quantiles (linear interpolation, numpy's default).
pub fn bootstrap_uar_ci(
    truth: &[usize],
    pred: &[usize],
    n_classes: usize,
    n_resamples: usize,
    level: f64,
    seed: u64,
) -> Result<Interval> {
    check_inputs(truth, pred, n_classes)?;
    if n_resamples == 0 || !(level > 0.0 && level < 1.0) {
        return Err(Error::Param {
            name: "bootstrap",
            expected: "n_resamples >= 1 and level in (0, 1)".into(),
            found: format!("n_resamples = {n_resamples}, level = {level}"),
        });
    }
    let n = truth.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut t = vec![0usize; n];
    let mut p = vec![0usize; n];
    let mut stats: Vec<f64> = (0..n_resamples)
        .map(|_| {
            for j in 0..n {
                let i = rng.random_range(0..n);
                t[j] = truth[i];
                p[j] = pred[i];
            }
            uar_unchecked(&t, &p, n_classes)
        })
        .collect();
    stats.sort_by(f64::total_cmp);
    Ok(Interval {
        low: quantile_sorted(&stats, (1.0 - level) / 2.0),
        high: quantile_sorted(&stats, (1.0 + level) / 2.0),
        level,
    })
}

/// Quantile `q` of sorted values with linear interpolation (numpy `percentile` default).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Metrics of one speaker's test rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeakerMetrics {
    /// Speaker id.
    pub speaker: String,
    /// Number of rows of this speaker.
    pub n: usize,
    /// UAR over the classes this speaker has.
    pub uar: f64,
    /// Accuracy on this speaker's rows.
    pub accuracy: f64,
}

/// Per-speaker UAR and accuracy, speakers sorted.
pub fn per_speaker(
    truth: &[usize],
    pred: &[usize],
    speakers: &[String],
    n_classes: usize,
) -> Result<Vec<SpeakerMetrics>> {
    check_inputs(truth, pred, n_classes)?;
    if speakers.len() != truth.len() {
        return Err(Error::Data(format!(
            "per-speaker metrics: expected {} speakers, found {}",
            truth.len(),
            speakers.len()
        )));
    }
    let mut groups: BTreeMap<&str, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for ((&t, &p), s) in truth.iter().zip(pred).zip(speakers) {
        let g = groups.entry(s.as_str()).or_default();
        g.0.push(t);
        g.1.push(p);
    }
    Ok(groups
        .into_iter()
        .map(|(s, (t, p))| {
            let correct = t.iter().zip(&p).filter(|(a, b)| a == b).count();
            SpeakerMetrics {
                speaker: s.to_string(),
                n: t.len(),
                uar: uar_unchecked(&t, &p, n_classes),
                accuracy: correct as f64 / t.len() as f64,
            }
        })
        .collect())
}

/// Mean and population-free sample standard deviation (ddof = 1; 0 for one value).
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    if v.len() < 2 {
        return (m, 0.0);
    }
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64;
    (m, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    // y_true = [0,0,0,1,1,2], y_pred = [0,1,0,1,2,2]  (3 classes)
    // confusion = [[2,1,0],[0,1,1],[0,0,1]]
    // precision = [2/2, 1/2, 1/2] = [1, .5, .5]; recall = [2/3, 1/2, 1]
    // f1 = [0.8, 0.5, 2/3]
    // sklearn: balanced_accuracy = (2/3+1/2+1)/3 = 0.7222222222
    //          accuracy = 4/6; f1_score(average='macro') = (0.8+0.5+0.6666667)/3 = 0.6555555556
    //          f1 weighted = (0.8*3 + 0.5*2 + 0.6666667*1)/6 = 0.6777777778
    //          precision macro = 2/3, recall macro = 0.7222222222
    #[test]
    fn matches_sklearn_basic() {
        let t = [0, 0, 0, 1, 1, 2];
        let p = [0, 1, 0, 1, 2, 2];
        let m = evaluate(&t, &p, 3).unwrap();
        assert_eq!(
            m.confusion,
            ndarray::arr2(&[[2u64, 1, 0], [0, 1, 1], [0, 0, 1]])
        );
        close(m.uar, 0.722_222_222_222_222_2);
        close(m.accuracy, 0.666_666_666_666_666_6);
        close(m.macro_f1, 0.655_555_555_555_555_6);
        close(m.weighted_f1, 0.677_777_777_777_777_8);
        close(m.macro_precision, 0.666_666_666_666_666_6);
        close(m.macro_recall, 0.722_222_222_222_222_2);
        close(m.per_class[0].precision, 1.0);
        close(m.per_class[0].recall, 0.666_666_666_666_666_6);
        close(m.per_class[0].f1, 0.8);
        close(m.per_class[1].f1, 0.5);
        close(m.per_class[2].f1, 0.666_666_666_666_666_6);
        assert_eq!(
            m.per_class.iter().map(|c| c.support).collect::<Vec<_>>(),
            vec![3, 2, 1]
        );
    }

    // zero_division = 0: class 2 is never predicted, class 3 occurs in neither.
    // y_true = [0,1,2,2], y_pred = [0,1,1,1], n_classes = 4
    // precision = [1, 1/3, 0 (0/0), -], recall = [1, 1, 0, -], f1 = [1, 0.5, 0, -]
    // sklearn (labels = unique_labels = {0,1,2}): balanced_accuracy = (1+1+0)/3 = 0.6666666667
    //   f1 macro = (1+0.5+0)/3 = 0.5; precision macro = (1+1/3+0)/3 = 0.4444444444
    //   f1 weighted = (1*1 + 0.5*1 + 0*2)/4 = 0.375; accuracy = 0.5
    #[test]
    fn matches_sklearn_zero_division() {
        let t = [0, 1, 2, 2];
        let p = [0, 1, 1, 1];
        let m = evaluate(&t, &p, 4).unwrap();
        close(m.uar, 0.666_666_666_666_666_6);
        close(m.accuracy, 0.5);
        close(m.macro_f1, 0.5);
        close(m.macro_precision, 0.444_444_444_444_444_4);
        close(m.macro_recall, 0.666_666_666_666_666_6);
        close(m.weighted_f1, 0.375);
        close(m.per_class[2].precision, 0.0);
        close(m.per_class[2].f1, 0.0);
        assert_eq!(m.per_class[3].support, 0);
    }

    // A predicted class absent from the truth: y_true = [0,0,1,1], y_pred = [0,2,1,1]
    // sklearn balanced_accuracy ignores class 2 (no support): (1/2 + 1)/2 = 0.75
    // f1 macro over {0,1,2}: f1_0 = 2*1*.5/1.5 = 2/3, f1_1 = 1, f1_2 = 0 -> 0.5555555556
    #[test]
    fn uar_ignores_classes_without_support() {
        let t = [0, 0, 1, 1];
        let p = [0, 2, 1, 1];
        let m = evaluate(&t, &p, 3).unwrap();
        close(m.uar, 0.75);
        close(m.macro_f1, 0.555_555_555_555_555_6);
        close(uar(&t, &p, 3).unwrap(), 0.75);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(evaluate(&[0, 1], &[0], 2).is_err());
        assert!(evaluate(&[], &[], 2).is_err());
        assert!(evaluate(&[0, 2], &[0, 1], 2).is_err());
    }

    #[test]
    fn bootstrap_ci_contains_estimate_and_is_seeded() {
        let t: Vec<usize> = (0..200).map(|i| i % 4).collect();
        let p: Vec<usize> = t
            .iter()
            .enumerate()
            .map(|(i, &c)| if i % 5 == 0 { (c + 1) % 4 } else { c })
            .collect();
        let u = uar(&t, &p, 4).unwrap();
        close(u, 0.8);
        let ci = bootstrap_uar_ci(&t, &p, 4, 500, 0.95, 42).unwrap();
        assert!(ci.low < u && u < ci.high, "{ci:?}");
        assert!(ci.high - ci.low < 0.25 && ci.high - ci.low > 0.02, "{ci:?}");
        assert_eq!(ci, bootstrap_uar_ci(&t, &p, 4, 500, 0.95, 42).unwrap());
        // perfect predictions: every resample has UAR 1
        let ci = bootstrap_uar_ci(&t, &t, 4, 100, 0.95, 1).unwrap();
        close(ci.low, 1.0);
        close(ci.high, 1.0);
    }

    #[test]
    fn quantile_like_numpy() {
        // numpy.percentile([1,2,3,4], [2.5, 97.5]) = [1.075, 3.925]
        let v = [1.0, 2.0, 3.0, 4.0];
        close(quantile_sorted(&v, 0.025), 1.075);
        close(quantile_sorted(&v, 0.975), 3.925);
    }

    #[test]
    fn per_speaker_breakdown() {
        let t = [0, 1, 0, 1, 1];
        let p = [0, 0, 0, 1, 1];
        let s: Vec<String> = ["b", "b", "a", "a", "a"]
            .iter()
            .map(|x| x.to_string())
            .collect();
        let r = per_speaker(&t, &p, &s, 2).unwrap();
        assert_eq!(r[0].speaker, "a");
        assert_eq!(r[0].n, 3);
        close(r[0].uar, 1.0);
        assert_eq!(r[1].speaker, "b");
        close(r[1].uar, 0.5);
        close(r[1].accuracy, 0.5);
    }

    #[test]
    fn mean_std_sample() {
        // numpy.std([1,2,3,4], ddof=1) = 1.2909944487
        let (m, s) = mean_std(&[1.0, 2.0, 3.0, 4.0]);
        close(m, 2.5);
        close(s, 1.290_994_448_735_805_6);
    }
}
