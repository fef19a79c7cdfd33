//! Deep models: a tiny network overfits a small synthetic set, save → load → predict is
//! identical, a fit is reproducible for a seed on the CPU, and a wrong input shape is a clear
//! error. Only tiny networks are trained here (CI).
#![cfg(feature = "candle")]

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ser_models::*;

const SHAPE: [usize; 3] = [2, 8, 8];

/// `n` rows per class of 3 classes: class 0 loud in the low bands, class 1 in the high bands,
/// class 2 in the first frames; noise everywhere. The second window of every fourth row is
/// constant padding.
fn synthetic(n: usize, seed: u64) -> (Array2<f32>, Vec<usize>, Vec<String>) {
    let [w, t, b] = SHAPE;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = Array2::<f32>::zeros((3 * n, w * t * b));
    let mut y = Vec::new();
    let mut groups = Vec::new();
    for r in 0..3 * n {
        let c = r % 3;
        y.push(c);
        groups.push(format!("spk{}", r % 4));
        for wi in 0..w {
            for ti in 0..t {
                for bi in 0..b {
                    let loud = match c {
                        0 => bi < b / 2,
                        1 => bi >= b / 2,
                        _ => ti < t / 2,
                    };
                    let v = if loud { 2.0 } else { 0.0 } + rng.random_range(-0.5..0.5);
                    x[[r, (wi * t + ti) * b + bi]] = v;
                }
            }
        }
        if r % 4 == 3 {
            for k in t * b..w * t * b {
                x[[r, k]] = -3.0;
            }
        }
    }
    (x, y, groups)
}

fn tiny(architecture: Architecture) -> DeepParams {
    DeepParams {
        architecture,
        input_shape: SHAPE,
        channels: vec![4, 4],
        lstm_hidden: 8,
        lstm_layers: 1,
        attention_dim: 8,
        dropout: 0.0,
        learning_rate: 1e-2,
        min_learning_rate: 1e-3,
        batch_size: 8,
        max_epochs: 40,
        patience: 40,
        validation_fraction: 0.0,
        ..DeepParams::default()
    }
}

fn opts(seed: u64) -> FitOptions {
    FitOptions {
        seed,
        class_weight: ClassWeight::Balanced,
        ..FitOptions::default()
    }
}

#[test]
fn tiny_networks_overfit_a_small_synthetic_set() {
    let (x, y, _) = synthetic(8, 1);
    for arch in [
        Architecture::TdCnnLstm,
        Architecture::CnnLstm,
        Architecture::CnnAttention,
    ] {
        let spec = ModelSpec::Deep(tiny(arch));
        let m = spec.fit(x.view(), &y, 3, &opts(3)).expect("fit");
        let pred = m.predict(x.view()).expect("predict");
        let acc = pred.iter().zip(&y).filter(|(a, b)| a == b).count() as f64 / y.len() as f64;
        assert!(acc >= 0.95, "{arch:?}: training accuracy {acc}");
        let p = m.predict_proba(x.view()).expect("proba").expect("some");
        for row in p.rows() {
            assert!((row.sum() - 1.0).abs() < 1e-4);
        }
    }
}

#[test]
fn save_load_predict_is_identical_and_fit_is_reproducible() {
    let (x, y, groups) = synthetic(6, 2);
    let mut params = tiny(Architecture::CnnAttention);
    params.max_epochs = 6;
    params.validation_fraction = 0.25;
    params.dropout = 0.2;
    params.spec_augment = Some(SpecAugment {
        time_masks: 1,
        time_width: 2,
        freq_masks: 1,
        freq_width: 2,
    });
    let spec = ModelSpec::Deep(params);
    let o = FitOptions {
        groups: Some(groups),
        ..opts(11)
    };
    let a = spec.fit(x.view(), &y, 3, &o).expect("fit a");
    let b = spec.fit(x.view(), &y, 3, &o).expect("fit b");
    let pa = a.predict_proba(x.view()).expect("pa").expect("some");
    let pb = b.predict_proba(x.view()).expect("pb").expect("some");
    assert_eq!(pa, pb, "same seed, same posteriors");
    let weights = |m: &FittedModel| {
        let j = serde_json::to_value(m).expect("json");
        j["inner"]["tensors"].clone()
    };
    assert_eq!(weights(&a), weights(&b), "same seed, same weights");
    let json = serde_json::to_string(&a).expect("save");
    let back: FittedModel = serde_json::from_str(&json).expect("load");
    let pc = back.predict_proba(x.view()).expect("pc").expect("some");
    assert_eq!(pa, pc, "save → load → predict");
    let c = spec.fit(x.view(), &y, 3, &opts(12)).expect("fit c");
    assert_ne!(weights(&a), weights(&c), "another seed, other weights");
}

#[test]
fn wrong_input_shape_is_a_clear_error() {
    let (x, y, _) = synthetic(4, 3);
    let wrong = x
        .slice_axis(ndarray::Axis(1), ndarray::Slice::from(..100))
        .to_owned();
    let spec = ModelSpec::Deep(tiny(Architecture::CnnLstm));
    let e = spec.fit(wrong.view(), &y, 3, &opts(1)).expect_err("shape");
    assert!(matches!(e, Error::InputShape { found: 100, .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("2 windows × 8 frames × 8 bins = 128"), "{msg}");
    let mut params = tiny(Architecture::CnnLstm);
    params.max_epochs = 1;
    let m = params
        .check()
        .expect("check")
        .fit(x.view(), &y, 3, &opts(1))
        .expect("fit");
    let e = m.predict_proba(wrong.view()).expect_err("shape");
    assert!(matches!(e, Error::InputShape { .. }), "{e}");
    // Frames not divisible by 2^blocks is a parameter error.
    let bad = DeepParams {
        input_shape: [2, 6, 8],
        ..tiny(Architecture::CnnLstm)
    };
    assert!(matches!(
        bad.check(),
        Err(Error::Param {
            name: "deep.input_shape",
            ..
        })
    ));
}
