//! Behaviour of every classifier, the scalers and the model file.

mod common;

use common::{accuracy, blobs};
use ndarray::{Array2, ArrayView2, Axis, Slice};

fn rows(x: &Array2<f32>, r: std::ops::Range<usize>) -> ArrayView2<'_, f32> {
    x.slice_axis(Axis(0), Slice::from(r))
}
use ser_models::*;

/// Every model kind with parameters suited to small synthetic problems (the MLP only with the
/// `candle` feature, which trains it).
fn all_specs() -> Vec<ModelSpec> {
    let mut specs = vec![
        ModelSpec::Svm(SvmParams::default()),
        ModelSpec::Svm(SvmParams {
            kernel: KernelKind::Linear,
            ..SvmParams::default()
        }),
        ModelSpec::Svm(SvmParams {
            kernel: KernelKind::Poly,
            gamma: Gamma::Value(0.1),
            coef0: 1.0,
            ..SvmParams::default()
        }),
        ModelSpec::LogisticRegression(LogisticParams::default()),
        ModelSpec::Knn(KnnParams::default()),
        ModelSpec::NaiveBayes(NaiveBayesParams::default()),
        ModelSpec::RandomForest(RandomForestParams {
            n_estimators: 30,
            ..RandomForestParams::default()
        }),
        ModelSpec::GradientBoosting(GradientBoostingParams {
            n_estimators: 30,
            ..GradientBoostingParams::default()
        }),
    ];
    if cfg!(feature = "candle") {
        specs.push(ModelSpec::Mlp(small_mlp()));
    }
    specs
}

fn small_mlp() -> MlpParams {
    MlpParams {
        hidden_layers: vec![32],
        max_epochs: 60,
        patience: 10,
        ..MlpParams::default()
    }
}

fn opts(seed: u64) -> FitOptions {
    FitOptions {
        seed,
        ..FitOptions::default()
    }
}

#[test]
fn every_classifier_separates_separable_blobs() {
    let (x, y) = blobs(30, 4, 12, 12, 4.0, 1);
    let (xt, yt) = blobs(20, 4, 12, 12, 4.0, 1); // same means (same seed), new noise below
    let _ = (xt, yt);
    for spec in all_specs() {
        let m = spec.fit(x.view(), &y, 4, &opts(7)).expect("fit");
        let pred = m.predict(x.view()).expect("predict");
        assert_eq!(accuracy(&pred, &y), 1.0, "{spec:?} training accuracy");
        if let Some(p) = m.predict_proba(x.view()).expect("proba") {
            assert_eq!(p.dim(), (x.nrows(), 4));
            for row in p.rows() {
                let s: f32 = row.sum();
                assert!((s - 1.0).abs() < 1e-4, "{spec:?} proba row sums to {s}");
            }
        }
    }
}

#[test]
fn every_classifier_beats_chance_on_noisy_data() {
    // 5 classes, weak signal on 4 of 30 dims; train and test from the same distribution.
    let (x, y) = blobs(80, 5, 30, 4, 0.9, 3);
    let (xtr, ytr) = (rows(&x, 0..300).to_owned(), y[..300].to_vec());
    let (xte, yte) = (rows(&x, 300..x.nrows()).to_owned(), y[300..].to_vec());
    for spec in all_specs() {
        let m = spec.fit(xtr.view(), &ytr, 5, &opts(11)).expect("fit");
        let acc = accuracy(&m.predict(xte.view()).expect("predict"), &yte);
        assert!(
            acc > 0.35,
            "{spec:?}: held-out accuracy {acc} not above chance 0.2"
        );
    }
}

/// A row's prediction does not depend on the batch it comes in (the SVM takes small batches
/// row by row and large ones through a matrix product), and `predict_with_proba` gives what
/// `predict` and `predict_proba` give.
#[test]
fn predictions_do_not_depend_on_the_batch() {
    let (x, y) = blobs(40, 4, 20, 6, 1.2, 9);
    let (xtr, ytr) = (rows(&x, 0..120).to_owned(), y[..120].to_vec());
    let xte = rows(&x, 120..x.nrows()).to_owned();
    let mut specs = all_specs();
    specs.push(ModelSpec::Svm(SvmParams {
        probability: false,
        ..SvmParams::default()
    }));
    for spec in specs {
        let m = spec.fit(xtr.view(), &ytr, 4, &opts(5)).expect("fit");
        let batch = m.predict(xte.view()).expect("predict");
        let batch_p = m.predict_proba(xte.view()).expect("proba");
        let (both, both_p) = m.predict_with_proba(xte.view()).expect("both");
        assert_eq!(both, batch, "{spec:?}");
        assert_eq!(both_p, batch_p, "{spec:?}");
        for (i, &label) in batch.iter().enumerate() {
            let (c, p) = m.predict_with_proba(rows(&xte, i..i + 1)).expect("one row");
            assert_eq!(c[0], label, "{spec:?} row {i}");
            if let (Some(p), Some(bp)) = (&p, &batch_p) {
                for (a, b) in p.row(0).iter().zip(bp.row(i)) {
                    assert!((a - b).abs() <= 1e-6, "{spec:?} row {i}: {a} vs {b}");
                }
            }
            assert_eq!(p.is_some(), batch_p.is_some(), "{spec:?}");
        }
    }
}

#[test]
fn fitting_is_deterministic() {
    let (x, y) = blobs(25, 3, 8, 4, 1.0, 5);
    for spec in all_specs() {
        let a = spec.fit(x.view(), &y, 3, &opts(3)).expect("fit");
        let b = spec.fit(x.view(), &y, 3, &opts(3)).expect("fit");
        assert_eq!(a, b, "{spec:?}");
    }
}

#[test]
fn errors_instead_of_panics() {
    let (mut x, y) = blobs(5, 3, 4, 4, 3.0, 2);
    for spec in all_specs() {
        // one class
        let r = spec.fit(x.view(), &vec![1; x.nrows()], 3, &opts(0));
        assert!(
            matches!(r, Err(Error::TooFewClasses { found: 1 })),
            "{spec:?}: {r:?}"
        );
        // fewer rows than classes
        let r = spec.fit(rows(&x, 0..2), &y[..2], 3, &opts(0));
        assert!(
            matches!(
                r,
                Err(Error::TooFewRows {
                    rows: 2,
                    n_classes: 3
                })
            ),
            "{spec:?}: {r:?}"
        );
        // label out of range
        let mut bad = y.clone();
        bad[0] = 9;
        assert!(matches!(
            spec.fit(x.view(), &bad, 3, &opts(0)),
            Err(Error::LabelOutOfRange {
                row: 0,
                label: 9,
                ..
            })
        ));
        // wrong label count
        assert!(matches!(
            spec.fit(x.view(), &y[1..], 3, &opts(0)),
            Err(Error::Length { .. })
        ));
        // feature count mismatch at predict
        let m = spec.fit(x.view(), &y, 3, &opts(0)).expect("fit");
        let wide = Array2::<f32>::zeros((2, 5));
        assert!(matches!(
            m.predict(wide.view()),
            Err(Error::FeatureCount {
                expected: 4,
                found: 5
            })
        ));
        assert!(m.predict_proba(wide.view()).is_err());
        // empty input
        assert!(matches!(
            spec.fit(Array2::<f32>::zeros((0, 4)).view(), &[], 3, &opts(0)),
            Err(Error::Empty { .. })
        ));
    }
    // NaN and inf
    x[[3, 2]] = f32::NAN;
    for spec in all_specs() {
        let r = spec.fit(x.view(), &y, 3, &opts(0));
        assert!(
            matches!(r, Err(Error::NonFinite { row: 3, col: 2, .. })),
            "{spec:?}: {r:?}"
        );
    }
    x[[3, 2]] = f32::INFINITY;
    assert!(ScalerSpec::Standard.fit(x.view()).is_err());
}

#[test]
fn constant_column_is_accepted() {
    let (mut x, y) = blobs(20, 3, 6, 6, 4.0, 9);
    x.column_mut(2).fill(5.0);
    for spec in all_specs() {
        let m = spec
            .fit(x.view(), &y, 3, &opts(0))
            .expect("fit with constant column");
        let acc = accuracy(&m.predict(x.view()).expect("predict"), &y);
        assert!(acc >= 0.95, "{spec:?}: {acc}");
    }
    for sc in [
        ScalerSpec::Standard,
        ScalerSpec::Robust,
        ScalerSpec::MinMax,
        ScalerSpec::Quantile,
    ] {
        let t = sc
            .fit(x.view())
            .expect("fit")
            .transform(x.view())
            .expect("transform");
        assert!(t.column(2).iter().all(|&v| v == 0.0), "{sc:?}");
    }
}

#[test]
fn bad_parameters_are_refused() {
    let bad = [
        ModelSpec::Svm(SvmParams {
            c: -1.0,
            ..SvmParams::default()
        }),
        ModelSpec::Svm(SvmParams {
            gamma: Gamma::Value(0.0),
            ..SvmParams::default()
        }),
        ModelSpec::LogisticRegression(LogisticParams {
            c: f64::NAN,
            ..LogisticParams::default()
        }),
        ModelSpec::Knn(KnnParams {
            n_neighbors: 0,
            ..KnnParams::default()
        }),
    ];
    let (x, y) = blobs(5, 2, 3, 3, 3.0, 2);
    for spec in bad {
        assert!(matches!(spec.check(), Err(Error::Param { .. })), "{spec:?}");
        assert!(matches!(
            spec.fit(x.view(), &y, 2, &opts(0)),
            Err(Error::Param { .. })
        ));
    }
}

#[test]
fn specs_round_trip_through_json_and_toml() {
    let spec: ModelSpec =
        serde_json::from_str(r#"{"kind":"svm","c":10,"gamma":"auto"}"#).expect("json");
    assert_eq!(
        spec,
        ModelSpec::Svm(SvmParams {
            c: 10.0,
            gamma: Gamma::Rule(GammaRule::Auto),
            ..SvmParams::default()
        })
    );
    let spec: ModelSpec = serde_json::from_str(r#"{"kind":"svm","gamma":0.5}"#).expect("json");
    assert!(matches!(spec, ModelSpec::Svm(SvmParams { gamma: Gamma::Value(g), .. }) if g == 0.5));
    for spec in all_specs() {
        let s = serde_json::to_string(&spec).expect("ser");
        let back: ModelSpec = serde_json::from_str(&s).expect("de");
        assert_eq!(spec, back);
    }
    assert!(serde_json::from_str::<ModelSpec>(r#"{"kind":"svm","cc":1}"#).is_err());
}

#[test]
fn class_weights_shift_decisions_toward_rare_class() {
    // 90 vs 10 overlapping rows: balanced weights must predict the rare class more often.
    let (x, y) = blobs(100, 2, 5, 5, 0.5, 21);
    let keep: Vec<usize> = (0..200).filter(|&i| y[i] == 0 || i % 10 == 1).collect();
    let xs = x.select(Axis(0), &keep);
    let ys: Vec<usize> = keep.iter().map(|&i| y[i]).collect();
    for spec in [
        ModelSpec::Svm(SvmParams::default()),
        ModelSpec::LogisticRegression(LogisticParams::default()),
    ] {
        let count = |cw| {
            let m = spec
                .fit(
                    xs.view(),
                    &ys,
                    2,
                    &FitOptions {
                        class_weight: cw,
                        ..opts(0)
                    },
                )
                .expect("fit");
            m.predict(x.view())
                .expect("predict")
                .iter()
                .filter(|&&c| c == 1)
                .count()
        };
        let (plain, balanced) = (count(ClassWeight::None), count(ClassWeight::Balanced));
        assert!(
            balanced > plain,
            "{spec:?}: rare predictions {balanced} <= {plain}"
        );
    }
}

#[test]
fn scalers_match_their_definitions() {
    let x = Array2::from_shape_vec((4, 2), vec![1.0f32, 10., 2., 20., 3., 30., 10., 40.])
        .expect("shape");
    let t = ScalerSpec::Standard
        .fit(x.view())
        .expect("fit")
        .transform(x.view())
        .expect("t");
    for c in 0..2 {
        let col = t.column(c);
        let mean = col.sum() / 4.0;
        let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 4.0;
        assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5);
    }
    let t = ScalerSpec::MinMax
        .fit(x.view())
        .expect("fit")
        .transform(x.view())
        .expect("t");
    assert_eq!(t.column(0).to_vec(), vec![0.0, 1.0 / 9.0, 2.0 / 9.0, 1.0]);
    // robust: median of [1,2,3,10] = 2.5, q25 = 1.75, q75 = 4.75 (numpy linear)
    let t = ScalerSpec::Robust
        .fit(x.view())
        .expect("fit")
        .transform(x.view())
        .expect("t");
    assert!((t[[0, 0]] - (1.0 - 2.5) / 3.0).abs() < 1e-6);
    let none = ScalerSpec::None.fit(x.view()).expect("fit");
    assert_eq!(none.transform(x.view()).expect("t"), x);
    assert!(matches!(
        ScalerSpec::Standard
            .fit(x.view())
            .expect("fit")
            .transform(Array2::zeros((1, 3)).view()),
        Err(Error::FeatureCount {
            expected: 2,
            found: 3
        })
    ));
}

#[test]
fn per_speaker_normalisation() {
    let x = Array2::from_shape_vec((5, 1), vec![1.0f32, 3.0, 100.0, 300.0, 7.0]).expect("shape");
    let spk: Vec<String> = ["a", "a", "b", "b", "c"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let err = normalise_per_speaker(x.view(), &spk, 2).expect_err("c has one utterance");
    assert!(
        matches!(err, Error::TooFewUtterances { ref speaker, found: 1, min: 2 } if speaker == "c")
    );
    let n = normalise_per_speaker(rows(&x, 0..4), &spk[..4], 2).expect("normalise");
    assert_eq!(n.column(0).to_vec(), vec![-1.0, 1.0, -1.0, 1.0]);
    assert!(normalise_per_speaker(x.view(), &spk[..3], 1).is_err());
}

#[test]
fn speaker_statistics_apply_to_other_rows_of_the_same_speakers() {
    let x = Array2::from_shape_vec((4, 1), vec![1.0f32, 3.0, 100.0, 300.0]).expect("shape");
    let spk: Vec<String> = ["a", "a", "b", "b"].iter().map(|s| s.to_string()).collect();
    let stats = SpeakerStatistics::fit(x.view(), &spk, 2).expect("fit");
    // a: mean 2, std 1; b: mean 200, std 100
    let other = Array2::from_shape_vec((3, 1), vec![4.0f32, 0.0, 400.0]).expect("shape");
    let who: Vec<String> = ["a", "a", "b"].iter().map(|s| s.to_string()).collect();
    let t = stats.transform(other.view(), &who).expect("transform");
    assert_eq!(t.column(0).to_vec(), vec![2.0, -2.0, 2.0]);
    let stranger = vec!["z".to_string(); 3];
    assert!(matches!(
        stats.transform(other.view(), &stranger),
        Err(Error::UnknownSpeaker(s)) if s == "z"
    ));
    let wide = Array2::<f32>::zeros((3, 2));
    assert!(matches!(
        stats.transform(wide.view(), &who),
        Err(Error::Length {
            expected: 1,
            found: 2,
            ..
        })
    ));
}

/// A pipeline's data of the synthetic tests (feature set "synthetic", no corpora).
fn synthetic_data<'a>(
    x: &'a Array2<f32>,
    y: &'a [usize],
    labels: &'a [String],
    feature_names: &'a [String],
    speakers: &'a [String],
) -> PipelineData<'a> {
    PipelineData {
        x: x.view(),
        y,
        labels,
        feature_names,
        feature_set: "synthetic",
        speakers: Some(speakers),
        corpora: None,
    }
}

fn names(d: usize) -> Vec<String> {
    (0..d).map(|i| format!("f{i}")).collect()
}

#[test]
fn pipeline_save_load_predict_identical() {
    let (x, y) = blobs(20, 3, 6, 6, 2.0, 4);
    let labels: Vec<String> = ["angry", "happy", "sad"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let fnames = names(6);
    let speakers: Vec<String> = (0..x.nrows()).map(|i| format!("spk{}", i % 4)).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    for (spec, per_speaker) in all_specs()
        .into_iter()
        .zip([false, true].into_iter().cycle())
    {
        let data = synthetic_data(&x, &y, &labels, &fnames, &speakers);
        let p = Pipeline::fit(
            data,
            ScalerSpec::Standard,
            speaker_norm(per_speaker),
            2,
            &spec,
            &opts(1),
        )
        .expect("fit");
        let path = dir.path().join("model.json");
        p.save(&path).expect("save");
        let q = Pipeline::load(&path).expect("load");
        assert_eq!(p, q, "{spec:?}");
        let a = p
            .predict(x.view(), &fnames, Some(&speakers))
            .expect("predict");
        let b = q
            .predict(x.view(), &fnames, Some(&speakers))
            .expect("predict");
        assert_eq!(a, b);
        assert_eq!(q.summary.speakers.len(), 4);
        assert_eq!(q.format_version, FORMAT_VERSION);
        // mismatched names: other set, other order, other count
        let mut other = fnames.clone();
        other[3] = "zcr_mean".into();
        assert!(matches!(
            q.predict(x.view(), &other, Some(&speakers)),
            Err(Error::FeatureNames { .. })
        ));
        let mut swapped = fnames.clone();
        swapped.swap(0, 1);
        let e = q
            .predict(x.view(), &swapped, Some(&speakers))
            .expect_err("order");
        assert!(e.to_string().contains("another order"), "{e}");
        assert!(q.predict(x.view(), &fnames[..5], Some(&speakers)).is_err());
        if per_speaker {
            assert!(matches!(
                q.predict(x.view(), &fnames, None),
                Err(Error::SpeakersRequired)
            ));
        }
    }
}

#[test]
fn model_file_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("m.json");
    assert!(matches!(Pipeline::load(&path), Err(Error::Io { .. })));
    std::fs::write(&path, b"{not json").expect("write");
    assert!(matches!(Pipeline::load(&path), Err(Error::Json { .. })));
    std::fs::write(&path, br#"{"format_version": 99}"#).expect("write");
    assert!(matches!(
        Pipeline::load(&path),
        Err(Error::FormatVersion { found: 99, .. })
    ));
}

#[test]
fn kinds_are_the_serde_tags_of_spec_and_fitted_model() {
    let (x, y) = blobs(10, 3, 4, 4, 3.0, 6);
    for spec in all_specs() {
        assert_eq!(
            serde_json::to_value(&spec).expect("ser")["kind"],
            spec.kind()
        );
        let m = spec.fit(x.view(), &y, 3, &opts(0)).expect("fit");
        let v = serde_json::to_value(&m).expect("ser");
        assert_eq!(v["spec"]["kind"], spec.kind(), "{spec:?}");
        assert_eq!(v["inner"]["kind"], spec.kind(), "{spec:?}");
    }
    let mlp = ModelSpec::Mlp(MlpParams::default());
    assert_eq!(serde_json::to_value(&mlp).expect("ser")["kind"], mlp.kind());
    assert_eq!(mlp.kind(), <MlpParams as Classifier>::KIND);
}

#[test]
fn typed_fit_is_the_fit_of_model_spec() {
    let (x, y) = blobs(10, 3, 4, 4, 3.0, 6);
    let p = LogisticParams::default();
    let typed = p
        .check()
        .expect("valid")
        .fit(x.view(), &y, 3, &opts(0))
        .expect("fit");
    let via_spec = ModelSpec::LogisticRegression(p)
        .fit(x.view(), &y, 3, &opts(0))
        .expect("fit");
    assert_eq!(
        typed.predict_proba(x.view()).expect("proba"),
        via_spec.predict_proba(x.view()).expect("proba")
    );
    assert_eq!(
        typed.predict(x.view()).expect("predict"),
        via_spec.predict(x.view()).expect("predict")
    );
    let bad = LogisticParams {
        tol: 0.0,
        ..LogisticParams::default()
    };
    assert!(matches!(
        bad.check(),
        Err(Error::Param {
            name: "logistic_regression.tol",
            ..
        })
    ));
}

#[test]
fn boxed_fitted_models_compare_by_kind_and_contents() {
    let (x, y) = blobs(10, 3, 4, 4, 3.0, 6);
    let fit = |spec: ModelSpec, n: usize| {
        spec.classifier()
            .fit_boxed(rows(&x, 0..n), &y[..n], 3, &opts(0))
            .expect("fit")
    };
    let knn = fit(ModelSpec::Knn(KnnParams::default()), 30);
    let knn_fewer_rows = fit(ModelSpec::Knn(KnnParams::default()), 27);
    let nb = fit(ModelSpec::NaiveBayes(NaiveBayesParams::default()), 30);
    assert!(*knn == *knn.clone());
    assert!(*knn == *fit(ModelSpec::Knn(KnnParams::default()), 30));
    assert!(*knn != *knn_fewer_rows);
    assert!(*knn != *nb);
    let as_knn = knn
        .as_any()
        .downcast_ref::<KnnModel>()
        .expect("a kNN model");
    assert_eq!(as_knn.n_features(), 4);
    assert!(nb.as_any().downcast_ref::<KnnModel>().is_none());
}

#[cfg(not(feature = "candle"))]
#[test]
fn mlp_training_needs_the_candle_feature() {
    let (x, y) = blobs(5, 2, 3, 3, 3.0, 2);
    let spec = ModelSpec::Mlp(small_mlp());
    spec.check().expect("the parameters are valid");
    let e = spec
        .fit(x.view(), &y, 2, &opts(0))
        .expect_err("no MLP training without candle");
    assert!(
        matches!(
            e,
            Error::FeatureDisabled {
                feature: "candle",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("`candle` cargo feature"), "{e}");
    let bad = ModelSpec::Mlp(MlpParams {
        dropout: 1.0,
        ..small_mlp()
    });
    assert!(matches!(
        bad.fit(x.view(), &y, 2, &opts(0)),
        Err(Error::Param {
            name: "mlp.dropout",
            ..
        })
    ));
}

fn speaker_norm(per_speaker: bool) -> ser_models::SpeakerNorm {
    if per_speaker {
        ser_models::SpeakerNorm::Standardise
    } else {
        ser_models::SpeakerNorm::None
    }
}

/// Speakers shifted on the emotion's own column: shrunk centring (fitted on the training
/// speakers, applied to a new speaker's batch) recovers the emotions of a speaker shifted
/// beyond every training speaker, which the plain pipeline cannot; the model file carries the
/// centring, and a batch with too few utterances of a speaker is refused.
#[test]
fn shrunk_centring_travels_in_the_model_file() {
    let make = |offsets: &[f32], seed: u32| {
        let per = 12;
        let mut s = seed;
        let mut x = Array2::<f32>::zeros((offsets.len() * per, 2));
        let (mut y, mut spk) = (Vec::new(), Vec::new());
        for (k, &o) in offsets.iter().enumerate() {
            for r in 0..per {
                let i = k * per + r;
                let c = r % 3;
                for j in 0..2 {
                    s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    x[[i, j]] = 0.2 * ((s >> 8) as f32 / (1u32 << 24) as f32 - 0.5);
                }
                x[[i, 0]] += c as f32 - 1.0 + o;
                y.push(c);
                spk.push(format!("s{k}-{seed}"));
            }
        }
        (x, y, spk)
    };
    let (x, y, speakers) = make(&[-3.0, -1.5, 0.0, 1.5, 3.0], 1);
    let (xt, yt, st) = make(&[6.0], 2);
    let labels: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
    let fnames = names(2);
    let spec = ModelSpec::LogisticRegression(LogisticParams::default());
    let fit = |norm| {
        let data = synthetic_data(&x, &y, &labels, &fnames, &speakers);
        Pipeline::fit(data, ScalerSpec::Standard, norm, 2, &spec, &opts(1)).expect("fit")
    };
    let acc = |p: &Pipeline| {
        let pred = p.predict(xt.view(), &fnames, Some(&st)).expect("predict");
        pred.classes.iter().zip(&yt).filter(|(a, b)| a == b).count() as f64 / yt.len() as f64
    };
    let centred = fit(ser_models::SpeakerNorm::ShrunkCentring);
    let plain = fit(ser_models::SpeakerNorm::None);
    assert!(centred.speaker_centring.is_some() && !centred.per_speaker);
    assert!(plain.speaker_centring.is_none());
    let (a_c, a_p) = (acc(&centred), acc(&plain));
    assert!(a_c > 0.9, "centred {a_c}");
    assert!(a_p < 0.6, "plain {a_p}");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("model.json");
    centred.save(&path).expect("save");
    let back = Pipeline::load(&path).expect("load");
    assert_eq!(back, centred);
    // a reader that predates the centring refuses the file (its version), not its rows
    assert_eq!(back.format_version, FORMAT_VERSION_SPEAKER_CENTRING);
    assert_eq!(plain.format_version, FORMAT_VERSION);
    assert_eq!(acc(&back), a_c);
    // one utterance of a speaker is not enough to centre it (min_utterances 2)
    let e = back
        .predict(rows(&xt, 0..1), &fnames, Some(&st[..1]))
        .expect_err("too few");
    assert!(
        matches!(
            e,
            Error::TooFewUtterances {
                found: 1,
                min: 2,
                ..
            }
        ),
        "{e}"
    );
    assert!(matches!(
        back.predict(xt.view(), &fnames, None),
        Err(Error::SpeakersRequired)
    ));
}
