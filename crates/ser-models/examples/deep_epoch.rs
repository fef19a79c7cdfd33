//! Seconds per training epoch of each deep architecture at the default input shape on random
//! data the size of one EMO-DB LOSO fold (480 utterances):
//! `cargo run --release -p ser-models --features candle --example deep_epoch [rows] [epochs]`.

use std::time::Instant;

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use ser_models::{Architecture, Classifier, DeepParams, FitOptions};

fn main() -> Result<(), ser_models::Error> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let rows = args.first().copied().unwrap_or(480);
    let epochs = args.get(1).copied().unwrap_or(1);
    let base = DeepParams::default();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let x = Array2::from_shape_fn((rows, base.row_len()), |_| rng.random_range(-1.0f32..1.0));
    let y: Vec<usize> = (0..rows).map(|i| i % 7).collect();
    for arch in [
        Architecture::CnnAttention,
        Architecture::CnnLstm,
        Architecture::TdCnnLstm,
    ] {
        let p = DeepParams {
            architecture: arch,
            max_epochs: epochs,
            validation_fraction: 0.0,
            ..base.clone()
        };
        let t = Instant::now();
        let m = p.check()?.fit(x.view(), &y, 7, &FitOptions::default())?;
        let n: usize = m.tensors.values().map(|t| t.data.len()).sum();
        println!(
            "{:>14}: {:.1} s per epoch ({rows} rows, {} parameters incl. batch-norm statistics)",
            arch.as_str(),
            t.elapsed().as_secs_f64() / epochs as f64,
            n
        );
    }
    Ok(())
}
