//! Training and prediction of the deep models in candle; compiled with the `candle` feature.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use candle_nn::{Optimizer, VarBuilder, VarMap};
use ndarray::{Array2, ArrayView2};
use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::net::Net;
use super::{Architecture, DeepModel, DeepParams, EpochProgress, EpochRecord, StoredTensor};
use crate::data::FitOptions;
use crate::mlp::train::{FitStart, fit_start, weighted_ce};
use crate::{Error, Result};

/// Windows (or utterances for `td_cnn_lstm`) per forward pass when predicting.
const PREDICT_CHUNK: usize = 128;

/// The device: the first CUDA GPU when built with the `cuda` feature and one exists, else the CPU.
fn device() -> Device {
    #[cfg(feature = "cuda")]
    {
        if let Ok(d) = Device::cuda_if_available(0) {
            return d;
        }
    }
    Device::Cpu
}

/// Standardised rows and which windows carry signal.
struct Prepared {
    /// Rows standardised per band, `(n, windows * frames * bins)` flat.
    data: Vec<f32>,
    /// `live[row]`: windows that are not pure padding (at least one).
    live: Vec<Vec<usize>>,
    shape: [usize; 3],
}

impl Prepared {
    fn new(x: ArrayView2<f32>, shape: [usize; 3], mean: &[f32], std: &[f32]) -> Prepared {
        let [w, t, b] = shape;
        let mut data = Vec::with_capacity(x.len());
        let mut live = Vec::with_capacity(x.nrows());
        for row in x.rows() {
            let row = row_slice(row);
            let mut l = Vec::new();
            for wi in 0..w {
                let win = &row[wi * t * b..(wi + 1) * t * b];
                let first = win[0];
                if win.iter().any(|&v| v != first) {
                    l.push(wi);
                }
            }
            if l.is_empty() {
                l.push(0);
            }
            live.push(l);
            for (k, &v) in row.iter().enumerate() {
                let band = k % b;
                data.push((v - mean[band]) / std[band]);
            }
        }
        Prepared { data, live, shape }
    }

    fn window(&self, row: usize, w: usize) -> &[f32] {
        let [nw, t, b] = self.shape;
        let start = (row * nw + w) * t * b;
        &self.data[start..start + t * b]
    }

    fn row(&self, row: usize) -> &[f32] {
        let [nw, t, b] = self.shape;
        let len = nw * t * b;
        &self.data[row * len..(row + 1) * len]
    }
}

/// A row as a slice (borrowed when contiguous).
fn row_slice(row: ndarray::ArrayView1<'_, f32>) -> std::borrow::Cow<'_, [f32]> {
    match row.to_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(row.to_vec()),
    }
}

/// Per-band mean and standard deviation over the live windows of `rows`.
fn band_stats(x: ArrayView2<f32>, rows: &[usize], shape: [usize; 3]) -> (Vec<f32>, Vec<f32>) {
    let [w, t, b] = shape;
    let mut sum = vec![0f64; b];
    let mut sq = vec![0f64; b];
    let mut n = 0f64;
    for &r in rows {
        let row = row_slice(x.row(r));
        for wi in 0..w {
            let win = &row[wi * t * b..(wi + 1) * t * b];
            let first = win[0];
            if !win.iter().any(|&v| v != first) {
                continue;
            }
            for (k, &v) in win.iter().enumerate() {
                sum[k % b] += f64::from(v);
                sq[k % b] += f64::from(v) * f64::from(v);
            }
            n += t as f64;
        }
    }
    let n = n.max(1.0);
    let mean: Vec<f32> = sum.iter().map(|s| (s / n) as f32).collect();
    let std: Vec<f32> = sq
        .iter()
        .zip(&sum)
        .map(|(q, s)| {
            let m = s / n;
            let v = (q / n - m * m).max(0.0).sqrt();
            if v > 1e-6 { v as f32 } else { 1.0 }
        })
        .collect();
    (mean, std)
}

/// SpecAugment-style masks, in place on one standardised window `(frames, bins)`.
fn mask_window(win: &mut [f32], frames: usize, bins: usize, p: &DeepParams, rng: &mut ChaCha8Rng) {
    let Some(s) = &p.spec_augment else { return };
    for _ in 0..s.time_masks {
        let width = rng.random_range(0..=s.time_width.min(frames));
        let start = rng.random_range(0..=frames - width);
        for t in start..start + width {
            win[t * bins..(t + 1) * bins].fill(0.0);
        }
    }
    for _ in 0..s.freq_masks {
        let width = rng.random_range(0..=s.freq_width.min(bins));
        let start = rng.random_range(0..=bins - width);
        for t in 0..frames {
            win[t * bins + start..t * bins + start + width].fill(0.0);
        }
    }
}

/// A training example: a window of a row, or a whole row (`td_cnn_lstm`).
type Item = (usize, usize);

fn batch_tensor(
    prep: &Prepared,
    items: &[Item],
    arch: Architecture,
    p: Option<(&DeepParams, &mut ChaCha8Rng)>,
    dev: &Device,
) -> Result<Tensor> {
    let [w, t, b] = prep.shape;
    let mut p = p;
    if arch == Architecture::TdCnnLstm {
        let mut v = Vec::with_capacity(items.len() * w * t * b);
        for &(r, _) in items {
            let start = v.len();
            v.extend_from_slice(prep.row(r));
            if let Some((params, rng)) = p.as_mut() {
                for wi in 0..w {
                    let s = start + wi * t * b;
                    mask_window(&mut v[s..s + t * b], t, b, params, rng);
                }
            }
        }
        Ok(Tensor::from_vec(v, (items.len(), w, t, b), dev)?)
    } else {
        let mut v = Vec::with_capacity(items.len() * t * b);
        for &(r, wi) in items {
            let start = v.len();
            v.extend_from_slice(prep.window(r, wi));
            if let Some((params, rng)) = p.as_mut() {
                mask_window(&mut v[start..], t, b, params, rng);
            }
        }
        Ok(Tensor::from_vec(v, (items.len(), t, b), dev)?)
    }
}

/// Utterance posteriors of `rows` (eval mode): window posteriors averaged over live windows.
fn posteriors(
    net: &Net,
    prep: &Prepared,
    rows: &[usize],
    arch: Architecture,
    n_classes: usize,
    dev: &Device,
) -> Result<Array2<f32>> {
    let mut out = Array2::<f32>::zeros((rows.len(), n_classes));
    let items: Vec<(usize, Item)> = if arch == Architecture::TdCnnLstm {
        rows.iter().enumerate().map(|(k, &r)| (k, (r, 0))).collect()
    } else {
        rows.iter()
            .enumerate()
            .flat_map(|(k, &r)| prep.live[r].iter().map(move |&w| (k, (r, w))))
            .collect()
    };
    let mut counts = vec![0f32; rows.len()];
    for chunk in items.chunks(PREDICT_CHUNK) {
        let its: Vec<Item> = chunk.iter().map(|&(_, it)| it).collect();
        let xb = batch_tensor(prep, &its, arch, None, dev)?;
        let logits = net.forward(&xb, false, None)?;
        let p = candle_nn::ops::softmax(&logits, 1)?
            .to_device(&Device::Cpu)?
            .to_vec2::<f32>()?;
        for (&(k, _), pr) in chunk.iter().zip(p) {
            counts[k] += 1.0;
            for (o, v) in out.row_mut(k).iter_mut().zip(pr) {
                *o += v;
            }
        }
    }
    for (mut row, c) in out.rows_mut().into_iter().zip(counts) {
        if c > 0.0 {
            row.mapv_inplace(|v| v / c);
        }
    }
    Ok(out)
}

/// Deterministic initialisation of every trainable tensor from `rng` (candle's own CPU
/// generator cannot be seeded): conv weights He-uniform, other weights uniform ±1/√fan_in,
/// biases 0; batch-norm tensors keep their constant initial values.
fn init_weights(varmap: &VarMap, rng: &mut ChaCha8Rng) -> Result<()> {
    let data = varmap
        .data()
        .lock()
        .map_err(|_| Error::Candle("var map lock".into()))?;
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    for name in names {
        if name.starts_with("bn") {
            continue;
        }
        let var = &data[name];
        let dims = var.dims().to_vec();
        let n: usize = dims.iter().product();
        let values: Vec<f32> = if dims.len() < 2 {
            vec![0.0; n]
        } else {
            let fan_in: usize = dims[1..].iter().product();
            let bound = if name.starts_with("conv") {
                (6.0 / fan_in as f64).sqrt()
            } else {
                1.0 / (fan_in as f64).sqrt()
            };
            (0..n)
                .map(|_| rng.random_range(-bound..bound) as f32)
                .collect()
        };
        var.set(&Tensor::from_vec(values, dims, var.device())?)?;
    }
    Ok(())
}

fn snapshot(varmap: &VarMap) -> Result<BTreeMap<String, StoredTensor>> {
    let data = varmap
        .data()
        .lock()
        .map_err(|_| Error::Candle("var map lock".into()))?;
    let mut out = BTreeMap::new();
    for (name, var) in data.iter() {
        let t = var.as_tensor();
        out.insert(
            name.clone(),
            StoredTensor {
                shape: t.dims().to_vec(),
                data: t.flatten_all()?.to_device(&Device::Cpu)?.to_vec1::<f32>()?,
            },
        );
    }
    Ok(out)
}

/// UAR of `proba` against `y` over the classes present in `y`, and the class-weighted loss.
fn score(proba: &Array2<f32>, y: &[usize], cw: &[f64]) -> (f64, f64) {
    let k = proba.ncols();
    let mut hit = vec![0usize; k];
    let mut tot = vec![0usize; k];
    let (mut loss, mut wsum) = (0.0, 0.0);
    for (row, &c) in proba.rows().into_iter().zip(y) {
        let pred = crate::data::argmax(row.iter().map(|&v| f64::from(v)));
        tot[c] += 1;
        if pred == c {
            hit[c] += 1;
        }
        loss -= cw[c] * f64::from(row[c]).max(1e-12).ln();
        wsum += cw[c];
    }
    let present: Vec<usize> = (0..k).filter(|&c| tot[c] > 0).collect();
    let uar = present
        .iter()
        .map(|&c| hit[c] as f64 / tot[c] as f64)
        .sum::<f64>()
        / present.len().max(1) as f64;
    (uar, if wsum > 0.0 { loss / wsum } else { f64::NAN })
}

/// Trains the network (see the module docs of [`super`]).
pub(super) fn fit(
    p: &DeepParams,
    x: ArrayView2<f32>,
    y: &[usize],
    n_classes: usize,
    opts: &FitOptions,
) -> Result<DeepModel> {
    let started = Instant::now();
    let FitStart {
        cw,
        mut rng,
        train,
        val,
    } = fit_start(x, y, n_classes, opts, p.validation_fraction)?;
    let validation_groups = match &opts.groups {
        Some(g) => {
            let mut v: Vec<String> = val.iter().map(|&i| g[i].clone()).collect();
            v.sort();
            v.dedup();
            v
        }
        None => Vec::new(),
    };
    let shape = p.input_shape;
    let (band_mean, band_std) = band_stats(x, &train, shape);
    let prep = Prepared::new(x, shape, &band_mean, &band_std);
    let dev = device();
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &dev);
    let net = Net::new(p, n_classes, &vb)?;
    init_weights(&varmap, &mut rng)?;
    let trainable: Vec<candle_core::Var> = {
        let data = varmap
            .data()
            .lock()
            .map_err(|_| Error::Candle("var map lock".into()))?;
        let mut named: Vec<(&String, &candle_core::Var)> = data
            .iter()
            .filter(|(n, _)| !n.contains("running_"))
            .collect();
        named.sort_by(|a, b| a.0.cmp(b.0));
        named.into_iter().map(|(_, v)| v.clone()).collect()
    };
    let mut opt = candle_nn::AdamW::new(
        trainable,
        candle_nn::ParamsAdamW {
            lr: p.learning_rate,
            weight_decay: p.weight_decay,
            ..Default::default()
        },
    )?;
    let arch = p.architecture;
    let mut items: Vec<Item> = if arch == Architecture::TdCnnLstm {
        train.iter().map(|&r| (r, 0)).collect()
    } else {
        train
            .iter()
            .flat_map(|&r| prep.live[r].iter().map(move |&w| (r, w)))
            .collect()
    };
    let val_y: Vec<usize> = val.iter().map(|&i| y[i]).collect();
    let mut history = Vec::new();
    let mut best: Option<(BTreeMap<String, StoredTensor>, usize)> = None;
    let (mut best_uar, mut best_loss) = (f64::NEG_INFINITY, f64::INFINITY);
    let mut since_best = 0usize;
    for epoch in 0..p.max_epochs {
        let progress = epoch as f64 / p.max_epochs.max(2).saturating_sub(1) as f64;
        let lr = p.min_learning_rate
            + 0.5
                * (p.learning_rate - p.min_learning_rate)
                * (1.0 + (std::f64::consts::PI * progress).cos());
        opt.set_learning_rate(lr);
        items.shuffle(&mut rng);
        let (mut loss_sum, mut batches) = (0.0, 0usize);
        for batch in items.chunks(p.batch_size) {
            if batch.len() < 2 {
                continue; // batch norm needs two examples
            }
            let xb = batch_tensor(&prep, batch, arch, Some((p, &mut rng)), &dev)?;
            let yb = Tensor::from_vec(
                batch.iter().map(|&(r, _)| y[r] as u32).collect::<Vec<_>>(),
                (batch.len(), 1),
                &dev,
            )?;
            let wb = Tensor::from_vec(
                batch
                    .iter()
                    .map(|&(r, _)| cw[y[r]] as f32)
                    .collect::<Vec<_>>(),
                batch.len(),
                &dev,
            )?;
            let logits = net.forward(&xb, true, Some((p.dropout, &mut rng)))?;
            let loss = weighted_ce(&logits, &yb, &wb)?;
            opt.backward_step(&loss)?;
            let l = f64::from(loss.to_device(&Device::Cpu)?.to_scalar::<f32>()?);
            if !l.is_finite() {
                return Err(Error::Candle(format!(
                    "training loss became {l} at epoch {}",
                    epoch + 1
                )));
            }
            loss_sum += l;
            batches += 1;
        }
        let train_loss = loss_sum / batches.max(1) as f64;
        let (val_uar, val_loss) = if val.is_empty() {
            (f64::NAN, f64::NAN)
        } else {
            let pv = posteriors(&net, &prep, &val, arch, n_classes, &dev)?;
            score(&pv, &val_y, &cw)
        };
        let record = EpochRecord {
            epoch: epoch + 1,
            learning_rate: lr,
            train_loss,
            val_loss,
            val_uar,
            elapsed_s: started.elapsed().as_secs_f64(),
        };
        history.push(record);
        super::report_progress(&EpochProgress {
            record,
            max_epochs: p.max_epochs,
            best_val_uar: if val.is_empty() {
                f64::NAN
            } else {
                best_uar.max(val_uar)
            },
        });
        if val.is_empty() {
            continue;
        }
        let improved = val_uar > best_uar + 1e-9
            || (val_uar >= best_uar - 1e-9 && val_loss < best_loss - 1e-4);
        if improved {
            best_uar = best_uar.max(val_uar);
            best_loss = val_loss;
            best = Some((snapshot(&varmap)?, epoch + 1));
            since_best = 0;
        } else {
            since_best += 1;
            if since_best >= p.patience {
                break;
            }
        }
    }
    let (tensors, best_epoch) = match best {
        Some(b) => b,
        None => (snapshot(&varmap)?, history.len()),
    };
    Ok(DeepModel {
        params: p.clone(),
        n_classes,
        band_mean,
        band_std,
        tensors,
        history,
        best_epoch,
        fit_s: started.elapsed().as_secs_f64(),
        validation_groups,
    })
}

/// Utterance posteriors of a fitted model.
pub(super) fn predict(m: &DeepModel, x: ArrayView2<f32>) -> Result<Array2<f32>> {
    let dev = device();
    let mut ts = HashMap::with_capacity(m.tensors.len());
    for (name, t) in &m.tensors {
        if t.shape.iter().product::<usize>() != t.data.len() {
            return Err(Error::Corrupt(format!(
                "deep model tensor {name}: shape {:?} but {} values",
                t.shape,
                t.data.len()
            )));
        }
        ts.insert(
            name.clone(),
            Tensor::from_vec(t.data.clone(), t.shape.as_slice(), &dev)?,
        );
    }
    let vb = VarBuilder::from_tensors(ts, DType::F32, &dev);
    let net = Net::new(&m.params, m.n_classes, &vb)
        .map_err(|e| Error::Corrupt(format!("deep model weights: {e}")))?;
    crate::data::check_matrix("X", x)?;
    let prep = Prepared::new(x, m.params.input_shape, &m.band_mean, &m.band_std);
    let rows: Vec<usize> = (0..x.nrows()).collect();
    posteriors(&net, &prep, &rows, m.params.architecture, m.n_classes, &dev)
}
