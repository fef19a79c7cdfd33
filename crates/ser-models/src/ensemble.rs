//! Models made of models: feature selection in front of a classifier ([`SelectParams`]) and
//! ensembles of classifiers ([`EnsembleParams`]: soft voting or stacking).
//!
//! Both are ordinary [`Classifier`]s, so a grid search fits them per fold like any other model:
//! the selection's scores and the stacker's meta-model only ever see the training rows they are
//! given (in a nested search: the training speakers of that fold).
//!
//! Written here rather than taken from a crate: linfa and smartcore have no selection or
//! ensembles over arbitrary fitted models, and both must wrap this crate's [`ModelSpec`].

use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::data::{FitOptions, argmax_rows, check_features, check_train, param_err};
use crate::{Checked, Classifier, Error, FittedClassifier, FittedModel, LogisticParams, ModelSpec};
use crate::{Result, SvmParams};

/// How [`SelectParams`] scores a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectScore {
    /// The one-way ANOVA F statistic of the feature across the classes (scikit-learn's
    /// `f_classif`): `F = [Σ_c n_c (m_c − m)² / (K − 1)] / [Σ_c Σ_{i∈c} (x_i − m_c)² / (N − K)]`.
    /// Unweighted; a feature constant within every class but not across them scores +∞, a
    /// constant feature 0.
    #[default]
    Anova,
}

/// Feature selection inside the fit: the `k` features with the highest [`SelectScore`] on the
/// training rows, then `model` on those columns.
///
/// | name | default | range | meaning |
/// |---|---|---|---|
/// | `k` | required | >= 1 | features kept (all when the data have fewer) |
/// | `score` | `anova` | `anova` | ranking of the features |
/// | `model` | required | any [`ModelSpec`] | classifier fitted on the kept columns |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectParams {
    pub k: usize,
    #[serde(default)]
    pub score: SelectScore,
    pub model: Box<ModelSpec>,
}

/// A fitted [`SelectParams`]: the kept columns (ascending) and the model fitted on them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectModel {
    n_features: usize,
    columns: Vec<usize>,
    model: FittedModel,
}

impl SelectModel {
    /// The kept columns of the input, ascending.
    pub fn columns(&self) -> &[usize] {
        &self.columns
    }

    fn project(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        check_features(x, self.n_features)?;
        Ok(select_columns(x, &self.columns))
    }
}

/// ANOVA F statistic of every column of `x` for the classes `y` (see [`SelectScore::Anova`]).
pub fn anova_f(x: ArrayView2<f32>, y: &[usize], n_classes: usize) -> Vec<f64> {
    let n = x.nrows();
    let mut counts = vec![0usize; n_classes];
    for &c in y {
        counts[c] += 1;
    }
    let k = counts.iter().filter(|&&c| c > 0).count();
    let d = x.ncols();
    // per class sums and the sums of squares, accumulated in f64 row by row
    let mut sum = vec![0.0f64; n_classes * d];
    let mut total_sq = vec![0.0f64; d];
    for (row, &c) in x.outer_iter().zip(y) {
        let s = &mut sum[c * d..(c + 1) * d];
        for ((acc, sq), &v) in s.iter_mut().zip(total_sq.iter_mut()).zip(row.iter()) {
            let v = f64::from(v);
            *acc += v;
            *sq += v * v;
        }
    }
    (0..d)
        .map(|j| {
            let grand: f64 = (0..n_classes).map(|c| sum[c * d + j]).sum();
            let mean = grand / n as f64;
            let between: f64 = (0..n_classes)
                .filter(|&c| counts[c] > 0)
                .map(|c| {
                    let m = sum[c * d + j] / counts[c] as f64;
                    counts[c] as f64 * (m - mean) * (m - mean)
                })
                .sum();
            let total = total_sq[j] - n as f64 * mean * mean;
            let within = (total - between).max(0.0);
            let scale = 1e-12 * (total_sq[j] / n as f64).max(f64::MIN_POSITIVE);
            if k < 2 || n <= k || between <= scale {
                0.0
            } else if within <= scale {
                f64::INFINITY
            } else {
                (between / (k - 1) as f64) / (within / (n - k) as f64)
            }
        })
        .collect()
}

/// The columns `columns` of `x`, row-major (a column selection is otherwise column-major, which
/// the row-wise models would walk slowly).
fn select_columns(x: ArrayView2<f32>, columns: &[usize]) -> Array2<f32> {
    let picked = x.select(Axis(1), columns);
    if picked.is_standard_layout() {
        picked
    } else {
        picked.as_standard_layout().into_owned()
    }
}

/// Indices of the `k` largest scores (ties: lower index first), ascending.
fn top_k(scores: &[f64], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    if k < idx.len() {
        idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        idx.truncate(k);
        idx.sort_unstable();
    }
    idx
}

impl Classifier for SelectParams {
    type Fitted = SelectModel;
    const KIND: &'static str = "select";

    fn validate(&self) -> Result<()> {
        if self.k == 0 {
            return Err(param_err("select.k", ">= 1", 0));
        }
        self.model.check()
    }

    fn fit(
        p: Checked<'_, Self>,
        x: ArrayView2<f32>,
        y: &[usize],
        n_classes: usize,
        opts: &FitOptions,
    ) -> Result<SelectModel> {
        check_train(x, y, n_classes)?;
        let columns = match p.score {
            SelectScore::Anova => top_k(&anova_f(x, y, n_classes), p.k),
        };
        let xs = select_columns(x, &columns);
        let model = p.model.fit(xs.view(), y, n_classes, opts)?;
        Ok(SelectModel {
            n_features: x.ncols(),
            columns,
            model,
        })
    }
}

/// The [`FittedClassifier`] of a model that maps its input with `self.project(x)` and hands
/// the result to the fitted model `self.model` (a selection, a projection), registered under
/// `name` for the model file.
macro_rules! fitted_wrapper {
    ($ty:ty, $name:literal) => {
        #[typetag::serde(name = $name)]
        impl FittedClassifier for $ty {
            fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Option<Array2<f32>>> {
                self.model.predict_proba(self.project(x)?.view())
            }

            fn predict(&self, x: ArrayView2<f32>) -> Result<Vec<usize>> {
                self.model.predict(self.project(x)?.view())
            }

            fn predict_with_proba(
                &self,
                x: ArrayView2<f32>,
            ) -> Result<(Vec<usize>, Option<Array2<f32>>)> {
                self.model.predict_with_proba(self.project(x)?.view())
            }
        }
    };
}
pub(crate) use fitted_wrapper;

fitted_wrapper!(SelectModel, "select");

/// How an ensemble combines its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// The mean of the members' class probabilities (soft voting).
    #[default]
    Soft,
    /// A multinomial logistic regression (`c = stack_c`) on the members' log-probabilities,
    /// fitted on out-of-fold probabilities of the training rows: `stack_folds` folds of whole
    /// groups (speakers, from [`FitOptions::groups`]) when the rows have at least that many
    /// groups, else of rows in a seeded order. The members are then refitted on all rows.
    Stacking,
}

/// An ensemble of classifiers fitted on the same rows.
///
/// | name | default | range | meaning |
/// |---|---|---|---|
/// | `members` | required | 2 or more [`ModelSpec`]s giving probabilities | the models combined |
/// | `combine` | `soft` | `soft`, `stacking` | see [`Combine`] |
/// | `stack_folds` | 5 | >= 2 | folds of the stacker's out-of-fold probabilities |
/// | `stack_c` | 1.0 | > 0 | inverse L2 strength of the stacker |
///
/// An SVM member must have `probability = true` (its decision values are not probabilities).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnsembleParams {
    pub members: Vec<ModelSpec>,
    #[serde(default)]
    pub combine: Combine,
    #[serde(default = "default_stack_folds")]
    pub stack_folds: usize,
    #[serde(default = "default_stack_c")]
    pub stack_c: f64,
}

fn default_stack_folds() -> usize {
    5
}
fn default_stack_c() -> f64 {
    1.0
}

/// A fitted [`EnsembleParams`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsembleModel {
    n_classes: usize,
    members: Vec<FittedModel>,
    /// The stacker (input: the members' log-probabilities side by side).
    stacker: Option<FittedModel>,
}

fn gives_probabilities(spec: &ModelSpec) -> bool {
    match spec {
        ModelSpec::Svm(SvmParams { probability, .. }) => *probability,
        ModelSpec::Select(s) => gives_probabilities(&s.model),
        ModelSpec::SpeakerProjection(s) => gives_probabilities(&s.model),
        _ => true,
    }
}

/// Probabilities are clipped to this before the log of the stacker's inputs.
const LOG_FLOOR: f32 = 1e-6;

impl EnsembleModel {
    /// The members' probabilities, side by side `(n, members * n_classes)`.
    fn member_proba(&self, x: ArrayView2<f32>) -> Result<Vec<Array2<f32>>> {
        self.members
            .iter()
            .map(|m| {
                m.predict_proba(x)?.ok_or_else(|| {
                    Error::Corrupt(format!(
                        "ensemble member {} gives no probabilities",
                        m.spec().kind()
                    ))
                })
            })
            .collect()
    }

    fn combine(&self, probas: &[Array2<f32>]) -> Result<Array2<f32>> {
        match &self.stacker {
            None => {
                let mut mean = Array2::<f32>::zeros(probas[0].raw_dim());
                for p in probas {
                    mean += p;
                }
                mean /= probas.len() as f32;
                Ok(mean)
            }
            Some(s) => {
                let z = stack_inputs(probas)?;
                s.predict_proba(z.view())?.ok_or_else(|| {
                    Error::Corrupt("the ensemble's stacker gives no probabilities".into())
                })
            }
        }
    }
}

fn stack_inputs(probas: &[Array2<f32>]) -> Result<Array2<f32>> {
    let logs: Vec<Array2<f32>> = probas
        .iter()
        .map(|p| p.mapv(|v| v.max(LOG_FLOOR).ln()))
        .collect();
    let views: Vec<_> = logs.iter().map(|l| l.view()).collect();
    ndarray::concatenate(Axis(1), &views)
        .map_err(|e| Error::Corrupt(format!("ensemble probabilities of unequal shapes: {e}")))
}

/// Fold of every row for the stacker's out-of-fold probabilities: whole groups when there are
/// at least `k` of them (groups sorted, then dealt round-robin), else rows in a seeded order.
fn stack_fold_of(n: usize, k: usize, opts: &FitOptions) -> Vec<usize> {
    if let Some(groups) = &opts.groups {
        let mut names: Vec<&String> = groups.iter().collect();
        names.sort();
        names.dedup();
        if names.len() >= k {
            return groups
                .iter()
                .map(|g| names.binary_search(&g).map_or(0, |i| i % k))
                .collect();
        }
    }
    // SplitMix64 order of the rows, dealt round-robin
    let mut state = opts.seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut keyed: Vec<(u64, usize)> = (0..n)
        .map(|i| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31), i)
        })
        .collect();
    keyed.sort_unstable();
    let mut fold = vec![0; n];
    for (pos, &(_, i)) in keyed.iter().enumerate() {
        fold[i] = pos % k;
    }
    fold
}

impl Classifier for EnsembleParams {
    type Fitted = EnsembleModel;
    const KIND: &'static str = "ensemble";

    fn validate(&self) -> Result<()> {
        if self.members.len() < 2 {
            return Err(param_err(
                "ensemble.members",
                "2 or more models",
                self.members.len(),
            ));
        }
        for m in &self.members {
            m.check()?;
            if !gives_probabilities(m) {
                return Err(param_err(
                    "ensemble.members",
                    "models giving probabilities (an svm member needs probability = true)",
                    format!("{} without probabilities", m.kind()),
                ));
            }
        }
        if self.stack_folds < 2 {
            return Err(param_err("ensemble.stack_folds", ">= 2", self.stack_folds));
        }
        if !(self.stack_c.is_finite() && self.stack_c > 0.0) {
            return Err(param_err("ensemble.stack_c", "> 0", self.stack_c));
        }
        Ok(())
    }

    fn fit(
        p: Checked<'_, Self>,
        x: ArrayView2<f32>,
        y: &[usize],
        n_classes: usize,
        opts: &FitOptions,
    ) -> Result<EnsembleModel> {
        check_train(x, y, n_classes)?;
        let fit_all = |rows: Option<&[usize]>| -> Result<Vec<FittedModel>> {
            let (xs, ys, o) = match rows {
                None => (x.to_owned(), y.to_vec(), opts.clone()),
                Some(r) => (
                    x.select(Axis(0), r),
                    r.iter().map(|&i| y[i]).collect(),
                    FitOptions {
                        groups: opts
                            .groups
                            .as_ref()
                            .map(|g| r.iter().map(|&i| g[i].clone()).collect()),
                        ..opts.clone()
                    },
                ),
            };
            p.members
                .iter()
                .map(|m| m.fit(xs.view(), &ys, n_classes, &o))
                .collect()
        };
        let members = fit_all(None)?;
        let stacker = match p.combine {
            Combine::Soft => None,
            Combine::Stacking => {
                let n = x.nrows();
                let k = p.stack_folds.min(n);
                let fold = stack_fold_of(n, k, opts);
                let width = p.members.len() * n_classes;
                let mut z = Array2::<f32>::zeros((n, width));
                for f in 0..k {
                    let (test, train): (Vec<usize>, Vec<usize>) =
                        (0..n).partition(|&i| fold[i] == f);
                    if test.is_empty() {
                        continue;
                    }
                    let partial = EnsembleModel {
                        n_classes,
                        members: fit_all(Some(&train))?,
                        stacker: None,
                    };
                    let xt = x.select(Axis(0), &test);
                    let zt = stack_inputs(&partial.member_proba(xt.view())?)?;
                    for (r, &i) in test.iter().enumerate() {
                        z.row_mut(i).assign(&zt.row(r));
                    }
                }
                let meta = ModelSpec::LogisticRegression(LogisticParams {
                    c: p.stack_c,
                    ..LogisticParams::default()
                });
                Some(meta.fit(z.view(), y, n_classes, opts)?)
            }
        };
        Ok(EnsembleModel {
            n_classes,
            members,
            stacker,
        })
    }
}

#[typetag::serde(name = "ensemble")]
impl FittedClassifier for EnsembleModel {
    fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Option<Array2<f32>>> {
        let p = self.combine(&self.member_proba(x)?)?;
        if p.ncols() != self.n_classes {
            return Err(Error::Corrupt(format!(
                "ensemble gives {} classes, expected {}",
                p.ncols(),
                self.n_classes
            )));
        }
        Ok(Some(p))
    }

    fn predict(&self, x: ArrayView2<f32>) -> Result<Vec<usize>> {
        let p = self.combine(&self.member_proba(x)?)?;
        Ok(argmax_rows(&p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KnnParams, NaiveBayesParams};
    use ndarray::array;

    #[test]
    fn anova_matches_hand_values() {
        // column 0: classes {1,2,3} and {5,6,7}: means 2 and 6, grand 4;
        // between = 3*4 + 3*4 = 24 over 1 df, within = 2 + 2 = 4 over 4 df -> F = 24
        // column 1: constant -> 0; column 2: constant within classes, different across -> inf
        let x = array![
            [1.0f32, 3.0, 0.0],
            [2.0, 3.0, 0.0],
            [3.0, 3.0, 0.0],
            [5.0, 3.0, 1.0],
            [6.0, 3.0, 1.0],
            [7.0, 3.0, 1.0]
        ];
        let f = anova_f(x.view(), &[0, 0, 0, 1, 1, 1], 2);
        assert!((f[0] - 24.0).abs() < 1e-9, "{f:?}");
        assert_eq!(f[1], 0.0);
        assert!(f[2].is_infinite());
        assert_eq!(top_k(&f, 2), vec![0, 2]);
        assert_eq!(top_k(&[1.0, 3.0, 3.0, 2.0], 2), vec![1, 2]);
        assert_eq!(top_k(&[1.0, 3.0], 5), vec![0, 1]);
    }

    /// Two informative columns among noise: selection keeps them and the model predicts from
    /// them; a wrong column count is an error, the fitted model round-trips through JSON.
    #[test]
    fn selection_keeps_informative_columns() {
        let n = 60;
        let mut x = Array2::<f32>::zeros((n, 10));
        let mut y = Vec::new();
        let mut s = 7u32;
        for i in 0..n {
            let c = i % 3;
            y.push(c);
            for j in 0..10 {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let noise = (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
                x[[i, j]] = noise
                    + if j == 3 || j == 7 {
                        2.0 * c as f32
                    } else {
                        0.0
                    };
            }
        }
        let spec = ModelSpec::Select(SelectParams {
            k: 2,
            score: SelectScore::Anova,
            model: Box::new(ModelSpec::NaiveBayes(NaiveBayesParams::default())),
        });
        let m = spec.fit(x.view(), &y, 3, &FitOptions::default()).unwrap();
        let inner = m.fitted().as_any().downcast_ref::<SelectModel>().unwrap();
        assert_eq!(inner.columns(), &[3, 7]);
        assert_eq!(m.predict(x.view()).unwrap(), y);
        let narrow = x.select(Axis(1), &[0, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert!(m.predict(narrow.view()).is_err());
        let back: FittedModel = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);
        let zero = SelectParams {
            k: 0,
            score: SelectScore::Anova,
            model: Box::new(ModelSpec::NaiveBayes(NaiveBayesParams::default())),
        };
        assert!(zero.check().is_err());
    }

    fn members() -> Vec<ModelSpec> {
        vec![
            ModelSpec::NaiveBayes(NaiveBayesParams::default()),
            ModelSpec::Knn(KnnParams {
                n_neighbors: 3,
                ..KnnParams::default()
            }),
            ModelSpec::LogisticRegression(LogisticParams::default()),
        ]
    }

    fn blobs() -> (Array2<f32>, Vec<usize>, Vec<String>) {
        let n = 48;
        let mut x = Array2::<f32>::zeros((n, 2));
        let mut y = Vec::new();
        let mut g = Vec::new();
        let mut s = 11u32;
        for i in 0..n {
            let c = i % 3;
            y.push(c);
            g.push(format!("spk{}", (i / 3) % 4));
            for j in 0..2 {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let noise = (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
                x[[i, j]] = noise + if j == 0 { c as f32 } else { -(c as f32) };
            }
        }
        (x, y, g)
    }

    /// A column-major input (what a column selection gives) fits and predicts exactly as its
    /// row-major copy (the logistic regression once panicked on it).
    #[test]
    fn models_accept_column_major_input() {
        let (x, y, _) = blobs();
        let f = x.t().as_standard_layout().into_owned().reversed_axes();
        assert!(!f.is_standard_layout());
        for spec in members() {
            let opts = FitOptions::default();
            let a = spec.fit(x.view(), &y, 3, &opts).unwrap();
            let b = spec.fit(f.view(), &y, 3, &opts).unwrap();
            assert_eq!(a, b, "{}", spec.kind());
            assert_eq!(
                a.predict_proba(f.view()).unwrap(),
                a.predict_proba(x.view()).unwrap()
            );
        }
    }

    #[test]
    fn soft_voting_is_the_mean_of_the_members() {
        let (x, y, _) = blobs();
        let opts = FitOptions::default();
        let spec = ModelSpec::Ensemble(EnsembleParams {
            members: members(),
            combine: Combine::Soft,
            stack_folds: 5,
            stack_c: 1.0,
        });
        let e = spec.fit(x.view(), &y, 3, &opts).unwrap();
        let mut mean = Array2::<f32>::zeros((x.nrows(), 3));
        for m in members() {
            let f = m.fit(x.view(), &y, 3, &opts).unwrap();
            mean += &f.predict_proba(x.view()).unwrap().unwrap();
        }
        mean /= 3.0;
        let got = e.predict_proba(x.view()).unwrap().unwrap();
        for (a, b) in got.iter().zip(mean.iter()) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        assert_eq!(e.predict(x.view()).unwrap(), argmax_rows(&mean));
    }

    #[test]
    fn stacking_learns_and_round_trips() {
        let (x, y, g) = blobs();
        let opts = FitOptions {
            seed: 3,
            groups: Some(g),
            ..FitOptions::default()
        };
        let spec = ModelSpec::Ensemble(EnsembleParams {
            members: members(),
            combine: Combine::Stacking,
            stack_folds: 3,
            stack_c: 1.0,
        });
        let e = spec.fit(x.view(), &y, 3, &opts).unwrap();
        let pred = e.predict(x.view()).unwrap();
        let correct = pred.iter().zip(&y).filter(|(a, b)| a == b).count();
        assert!(correct >= 44, "{correct} of 48");
        let p = e.predict_proba(x.view()).unwrap().unwrap();
        for row in p.rows() {
            assert!((row.sum() - 1.0).abs() < 1e-5, "{row}");
        }
        let back: FittedModel = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back.predict_proba(x.view()).unwrap(), Some(p));
        // the same seed and groups give the same model
        assert_eq!(spec.fit(x.view(), &y, 3, &opts).unwrap(), e);
    }

    #[test]
    fn stack_folds_keep_groups_together() {
        let groups: Vec<String> = (0..20).map(|i| format!("s{}", i % 4)).collect();
        let opts = FitOptions {
            groups: Some(groups.clone()),
            ..FitOptions::default()
        };
        let f = stack_fold_of(20, 3, &opts);
        for i in 0..20 {
            for j in 0..20 {
                if groups[i] == groups[j] {
                    assert_eq!(f[i], f[j]);
                }
            }
        }
        assert_eq!(f.iter().copied().max(), Some(2));
        // fewer groups than folds: rows dealt in a seeded order, every fold used
        let few = stack_fold_of(20, 5, &opts);
        for k in 0..5 {
            assert_eq!(few.iter().filter(|&&v| v == k).count(), 4);
        }
    }

    #[test]
    fn ensembles_refuse_bad_members() {
        let one = EnsembleParams {
            members: vec![ModelSpec::NaiveBayes(NaiveBayesParams::default())],
            combine: Combine::Soft,
            stack_folds: 5,
            stack_c: 1.0,
        };
        assert!(one.check().is_err());
        let svm = EnsembleParams {
            members: vec![
                ModelSpec::NaiveBayes(NaiveBayesParams::default()),
                ModelSpec::Svm(SvmParams {
                    probability: false,
                    ..SvmParams::default()
                }),
            ],
            combine: Combine::Soft,
            stack_folds: 5,
            stack_c: 1.0,
        };
        let e = svm.check().unwrap_err().to_string();
        assert!(e.contains("probability = true"), "{e}");
        let toml_spec: ModelSpec = serde_json::from_value(serde_json::json!({
            "kind": "ensemble",
            "members": [{"kind": "naive_bayes"}, {"kind": "svm", "probability": true}],
        }))
        .unwrap();
        assert!(toml_spec.check().is_ok());
    }
}
