//! Fixed reference models and a leave-one-group-out runner, used to compare these classifiers
//! with scikit-learn on the same table and folds (`scripts/sklearn_crosscheck.py` runs the
//! scikit-learn twins of [`reference_models`] with the same hyper-parameters) and by the benches.
//!
//! Protocol of [`leave_one_group_out`]: folds in sorted group order, each test fold is one group;
//! a standard scaler is fitted on the training rows of the fold only; the model is fitted with
//! the given class weighting and seed. Pooled UAR is the class-averaged recall over all
//! out-of-fold predictions; fold UAR averages recall over the classes present in that test fold
//! (both [`crate::metrics::uar`]).

use std::time::Instant;

use ndarray::{ArrayView2, Axis};
use ser_models::{
    ClassWeight, FitOptions, GradientBoostingParams, KernelKind, KnnParams, LogisticParams,
    MaxFeatures, MlpParams, ModelSpec, NaiveBayesParams, RandomForestParams, ScalerSpec, SvmParams,
};

use crate::metrics::uar;
use crate::{Error, Result};

/// A named model with fixed hyper-parameters and class weighting.
#[derive(Debug, Clone)]
pub struct ReferenceModel {
    /// Name shared with the scikit-learn script (`svm_rbf`, `random_forest`, ...).
    pub name: &'static str,
    /// The model and its hyper-parameters.
    pub spec: ModelSpec,
    /// Class weighting used in the comparison.
    pub class_weight: ClassWeight,
}

/// The comparison set. scikit-learn twins (same values):
///
/// | name | here | scikit-learn |
/// |---|---|---|
/// | `svm_rbf` | rbf, C 1, gamma scale, tol 1e-3, balanced | `SVC(kernel="rbf", C=1, gamma="scale", class_weight="balanced")` |
/// | `svm_linear` | linear, C 0.01, balanced | `SVC(kernel="linear", C=0.01, class_weight="balanced")` |
/// | `svm_poly` | poly, degree 3, gamma scale, coef0 1, C 1, balanced | `SVC(kernel="poly", degree=3, coef0=1, C=1, class_weight="balanced")` |
/// | `logistic_regression` | C 1, L2, tol 1e-6, balanced | `LogisticRegression(C=1, max_iter=5000, tol=1e-6, class_weight="balanced")` |
/// | `random_forest` | 500 trees, sqrt features, full depth, bootstrap, balanced | `RandomForestClassifier(500, max_features="sqrt", class_weight="balanced")` |
/// | `knn` | k 5, uniform | `KNeighborsClassifier(5)` |
/// | `gradient_boosting` | 100 rounds, lr 0.1, depth 3, min leaf 5, lambda 1, 20 % features, balanced | `HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_depth=3, max_leaf_nodes=None, min_samples_leaf=5, l2_regularization=1, max_features=0.2, class_weight="balanced")` |
/// | `naive_bayes` | balanced (uniform priors) | `GaussianNB(priors=uniform)` |
/// | `mlp` | (256, 128), no batch norm, no dropout, AdamW 1e-3, wd 1e-4, batch 32, early stopping | `MLPClassifier((256, 128), alpha=1e-4, batch_size=32, early_stopping=True)` (not the same regulariser) |
///
/// Probabilities are off for the SVMs (prediction by one-vs-one votes, as `SVC.predict`).
pub fn reference_models() -> Vec<ReferenceModel> {
    let svm = SvmParams {
        probability: false,
        ..SvmParams::default()
    };
    let b = ClassWeight::Balanced;
    vec![
        ReferenceModel {
            name: "svm_rbf",
            spec: ModelSpec::Svm(svm.clone()),
            class_weight: b,
        },
        ReferenceModel {
            name: "svm_linear",
            spec: ModelSpec::Svm(SvmParams {
                kernel: KernelKind::Linear,
                c: 0.01,
                ..svm.clone()
            }),
            class_weight: b,
        },
        ReferenceModel {
            name: "svm_poly",
            spec: ModelSpec::Svm(SvmParams {
                kernel: KernelKind::Poly,
                degree: 3,
                coef0: 1.0,
                ..svm
            }),
            class_weight: b,
        },
        ReferenceModel {
            name: "logistic_regression",
            spec: ModelSpec::LogisticRegression(LogisticParams {
                c: 1.0,
                max_iter: 5000,
                tol: 1e-6,
                fit_intercept: true,
            }),
            class_weight: b,
        },
        ReferenceModel {
            name: "random_forest",
            spec: ModelSpec::RandomForest(RandomForestParams {
                n_estimators: 500,
                ..RandomForestParams::default()
            }),
            class_weight: b,
        },
        ReferenceModel {
            name: "knn",
            spec: ModelSpec::Knn(KnnParams::default()),
            class_weight: ClassWeight::None,
        },
        ReferenceModel {
            name: "gradient_boosting",
            spec: ModelSpec::GradientBoosting(GradientBoostingParams {
                n_estimators: 100,
                learning_rate: 0.1,
                max_depth: 3,
                min_samples_leaf: 5,
                subsample: 1.0,
                max_features: MaxFeatures::Fraction(0.2),
                reg_lambda: 1.0,
                max_bins: 255,
            }),
            class_weight: b,
        },
        ReferenceModel {
            name: "naive_bayes",
            spec: ModelSpec::NaiveBayes(NaiveBayesParams::default()),
            class_weight: b,
        },
        ReferenceModel {
            name: "mlp",
            spec: ModelSpec::Mlp(MlpParams {
                hidden_layers: vec![256, 128],
                batch_norm: false,
                dropout: 0.0,
                ..MlpParams::default()
            }),
            class_weight: b,
        },
    ]
}

/// Outcome of [`leave_one_group_out`].
#[derive(Debug, Clone, PartialEq)]
pub struct GroupCvResult {
    /// Class-averaged recall over all out-of-fold predictions.
    pub pooled_uar: f64,
    /// Mean of the per-fold UARs.
    pub fold_mean_uar: f64,
    /// `(group, UAR)` per fold, in sorted group order.
    pub fold_uar: Vec<(String, f64)>,
    /// Out-of-fold predicted class per row.
    pub predictions: Vec<usize>,
    /// Wall time of all fits and predictions, seconds.
    pub wall_s: f64,
}

/// Leave-one-group-out cross-validation of `spec` (see the module docs for the protocol).
pub fn leave_one_group_out(
    x: ArrayView2<f32>,
    y: &[usize],
    n_classes: usize,
    groups: &[String],
    spec: &ModelSpec,
    class_weight: ClassWeight,
    seed: u64,
) -> Result<GroupCvResult> {
    let n = x.nrows();
    if y.len() != n || groups.len() != n {
        return Err(Error::Data(format!(
            "leave-one-group-out: expected a label and a group for each of the {n} rows of X, \
             found {} labels and {} groups",
            y.len(),
            groups.len()
        )));
    }
    let mut uniq = groups.to_vec();
    uniq.sort();
    uniq.dedup();
    let t0 = Instant::now();
    let mut predictions = vec![0usize; n];
    let mut fold_uar = Vec::with_capacity(uniq.len());
    for g in &uniq {
        let tr: Vec<usize> = (0..n).filter(|&i| &groups[i] != g).collect();
        let te: Vec<usize> = (0..n).filter(|&i| &groups[i] == g).collect();
        let xtr = x.select(Axis(0), &tr);
        let xte = x.select(Axis(0), &te);
        let scaler = ScalerSpec::Standard.fit(xtr.view())?;
        let (xtr, xte) = (scaler.transform(xtr.view())?, scaler.transform(xte.view())?);
        let ytr: Vec<usize> = tr.iter().map(|&i| y[i]).collect();
        let opts = FitOptions {
            seed,
            class_weight,
            groups: Some(tr.iter().map(|&i| groups[i].clone()).collect()),
        };
        let model = spec.fit(xtr.view(), &ytr, n_classes, &opts)?;
        let pred = model.predict(xte.view())?;
        let yte: Vec<usize> = te.iter().map(|&i| y[i]).collect();
        fold_uar.push((g.clone(), uar(&yte, &pred, n_classes)?));
        for (&i, p) in te.iter().zip(pred) {
            predictions[i] = p;
        }
    }
    let fold_mean_uar = fold_uar.iter().map(|f| f.1).sum::<f64>() / fold_uar.len().max(1) as f64;
    Ok(GroupCvResult {
        pooled_uar: uar(y, &predictions, n_classes)?,
        fold_mean_uar,
        fold_uar,
        predictions,
        wall_s: t0.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_models_are_valid() {
        for m in reference_models() {
            m.spec.check().expect(m.name);
        }
    }

    #[test]
    fn leave_one_group_out_holds_out_each_group_once() {
        // Three groups with two classes on opposite sides of 0; group "b" lies far out with its
        // labels swapped, so a 1-NN predicts its fold (and only its fold) wrong.
        let groups: Vec<String> = ["c", "a", "b"]
            .iter()
            .flat_map(|g| std::iter::repeat_n(g.to_string(), 6))
            .collect();
        let y: Vec<usize> = (0..18).map(|i| i % 2).collect();
        let x = ndarray::Array2::from_shape_fn((18, 2), |(i, j)| {
            let far = groups[i] == "b";
            let side = if (i % 2 == 1) == far { -1.0 } else { 1.0 };
            let m = if far { 10.0 } else { 2.0 };
            side * (m + (i * 7 + j * 3) as f32 % 5.0 / 10.0)
        });
        let spec = ModelSpec::Knn(KnnParams {
            n_neighbors: 1,
            ..KnnParams::default()
        });
        let r =
            leave_one_group_out(x.view(), &y, 2, &groups, &spec, ClassWeight::None, 0).expect("cv");
        let names: Vec<&str> = r.fold_uar.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        let fold: Vec<f64> = r.fold_uar.iter().map(|f| f.1).collect();
        assert_eq!(fold, [1.0, 0.0, 1.0]);
        assert!((r.fold_mean_uar - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(r.pooled_uar, uar(&y, &r.predictions, 2).expect("uar"));
        assert!((r.pooled_uar - 2.0 / 3.0).abs() < 1e-12);
        assert!(
            leave_one_group_out(x.view(), &y[1..], 2, &groups, &spec, ClassWeight::None, 0)
                .is_err()
        );
    }
}
