//! MLP training with candle-nn (autograd, AdamW) on the CPU; compiled with the `candle` feature.

use std::collections::BTreeSet;

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{BatchNorm, ModuleT, Optimizer};
use ndarray::{Array2, ArrayView2};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{BnParams, Dense, MlpModel, MlpParams};
use crate::data::{FitOptions, check_train, class_weights};
use crate::{Error, Result};

/// Trainable network in candle.
struct Net {
    linears: Vec<(Var, Var)>,
    bns: Vec<Option<(BatchNorm, Var, Var)>>,
}

const BN_EPS: f64 = 1e-5;

impl Net {
    fn new(sizes: &[usize], batch_norm: bool, rng: &mut ChaCha8Rng, dev: &Device) -> Result<Self> {
        let mut linears = Vec::new();
        let mut bns = Vec::new();
        for (li, w) in sizes.windows(2).enumerate() {
            let (fan_in, fan_out) = (w[0], w[1]);
            let bound = 1.0 / (fan_in as f64).sqrt();
            let wv: Vec<f32> = (0..fan_in * fan_out)
                .map(|_| rng.random_range(-bound..bound) as f32)
                .collect();
            let bv: Vec<f32> = (0..fan_out)
                .map(|_| rng.random_range(-bound..bound) as f32)
                .collect();
            let wt = Var::from_tensor(&Tensor::from_vec(wv, (fan_out, fan_in), dev)?)?;
            let bt = Var::from_tensor(&Tensor::from_vec(bv, fan_out, dev)?)?;
            linears.push((wt, bt));
            let hidden = li + 2 < sizes.len();
            if hidden && batch_norm {
                let gamma = Var::from_tensor(&Tensor::ones(fan_out, DType::F32, dev)?)?;
                let beta = Var::from_tensor(&Tensor::zeros(fan_out, DType::F32, dev)?)?;
                let bn = BatchNorm::new(
                    fan_out,
                    Tensor::zeros(fan_out, DType::F32, dev)?,
                    Tensor::ones(fan_out, DType::F32, dev)?,
                    gamma.as_tensor().clone(),
                    beta.as_tensor().clone(),
                    BN_EPS,
                )?;
                bns.push(Some((bn, gamma, beta)));
            } else {
                bns.push(None);
            }
        }
        Ok(Self { linears, bns })
    }

    fn vars(&self) -> Vec<Var> {
        let mut v = Vec::new();
        for (w, b) in &self.linears {
            v.push(w.clone());
            v.push(b.clone());
        }
        for (_, g, b) in self.bns.iter().flatten() {
            v.push(g.clone());
            v.push(b.clone());
        }
        v
    }

    /// Logits. `dropout`: (probability, generator) in training mode.
    fn forward(
        &self,
        x: &Tensor,
        train: bool,
        dropout: Option<(f64, &mut ChaCha8Rng)>,
    ) -> Result<Tensor> {
        let mut h = x.clone();
        let last = self.linears.len() - 1;
        let mut dropout = dropout;
        for (i, (w, b)) in self.linears.iter().enumerate() {
            h = h
                .matmul(&w.as_tensor().t()?)?
                .broadcast_add(b.as_tensor())?;
            if i < last {
                if let Some((bn, _, _)) = &self.bns[i] {
                    h = bn.forward_t(&h, train)?;
                }
                h = h.relu()?;
                if let Some((p, rng)) = dropout.as_mut()
                    && *p > 0.0
                {
                    let (r, c) = h.dims2()?;
                    let keep = (1.0 / (1.0 - *p)) as f32;
                    let mask: Vec<f32> = (0..r * c)
                        .map(|_| if rng.random::<f64>() < *p { 0.0 } else { keep })
                        .collect();
                    let m = Tensor::from_vec(mask, (r, c), h.device())?;
                    h = (h * m)?;
                }
            }
        }
        Ok(h)
    }

    fn snapshot(&self) -> Result<Vec<Dense>> {
        let mut out = Vec::new();
        for (i, (w, b)) in self.linears.iter().enumerate() {
            let wt = w.as_tensor();
            let (o, inn) = wt.dims2()?;
            let wv = wt.flatten_all()?.to_vec1::<f32>()?;
            let w = Array2::from_shape_vec((o, inn), wv)
                .map_err(|e| Error::Candle(format!("weight shape: {e}")))?;
            let b = b.as_tensor().to_vec1::<f32>()?;
            let bn = match &self.bns[i] {
                Some((bn, g, be)) => Some(BnParams {
                    mean: bn.running_mean().to_vec1::<f32>()?,
                    var: bn.running_var().to_vec1::<f32>()?,
                    gamma: g.as_tensor().to_vec1::<f32>()?,
                    beta: be.as_tensor().to_vec1::<f32>()?,
                    eps: BN_EPS,
                }),
                None => None,
            };
            out.push(Dense { w, b, bn });
        }
        Ok(out)
    }
}

/// Weighted mean cross-entropy of logits against labels.
pub(crate) fn weighted_ce(logits: &Tensor, y: &Tensor, w: &Tensor) -> Result<Tensor> {
    let ls = candle_nn::ops::log_softmax(logits, 1)?;
    let picked = ls.gather(y, 1)?.squeeze(1)?;
    let num = (picked * w)?.sum_all()?;
    let den = w.sum_all()?;
    Ok(num.broadcast_div(&den)?.neg()?)
}

/// What every network fit starts from: class weights, the seeded generator (after the
/// validation split drew from it), and the training / validation rows.
pub(crate) struct FitStart {
    pub cw: Vec<f64>,
    pub rng: ChaCha8Rng,
    pub train: Vec<usize>,
    pub val: Vec<usize>,
}

/// Checks the training data and the groups, then weighs the classes and splits off the
/// validation rows (whole groups when there are groups) with a generator seeded by `opts.seed`.
pub(crate) fn fit_start(
    x: ArrayView2<f32>,
    y: &[usize],
    n_classes: usize,
    opts: &FitOptions,
    validation_fraction: f64,
) -> Result<FitStart> {
    let info = check_train(x, y, n_classes)?;
    if let Some(g) = &opts.groups
        && g.len() != y.len()
    {
        return Err(Error::Length {
            what: "groups (one per training row)",
            expected: y.len(),
            found: g.len(),
        });
    }
    let cw = class_weights(&info, opts.class_weight);
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let (train, val) = split_validation(y, opts.groups.as_deref(), validation_fraction, &mut rng);
    Ok(FitStart {
        cw,
        rng,
        train,
        val,
    })
}

/// Splits row indices into (train, validation). Whole groups go to validation when `groups`
/// has at least two distinct values; otherwise a stratified random split.
pub(crate) fn split_validation(
    y: &[usize],
    groups: Option<&[String]>,
    fraction: f64,
    rng: &mut ChaCha8Rng,
) -> (Vec<usize>, Vec<usize>) {
    let n = y.len();
    let target = (fraction * n as f64).round() as usize;
    if fraction <= 0.0 || target == 0 {
        return ((0..n).collect(), Vec::new());
    }
    if let Some(g) = groups {
        let mut names: Vec<&String> = g.iter().collect::<BTreeSet<_>>().into_iter().collect();
        if names.len() >= 2 {
            names.shuffle(rng);
            let mut chosen = BTreeSet::new();
            let mut taken = 0;
            for name in &names[..names.len() - 1] {
                if taken >= target {
                    break;
                }
                taken += g.iter().filter(|s| s == name).count();
                chosen.insert(*name);
            }
            let (val, train): (Vec<usize>, Vec<usize>) =
                (0..n).partition(|&i| chosen.contains(&g[i]));
            return (train, val);
        }
    }
    let mut val = Vec::new();
    let k = y.iter().copied().max().unwrap_or(0) + 1;
    for c in 0..k {
        let mut rows: Vec<usize> = (0..n).filter(|&i| y[i] == c).collect();
        rows.shuffle(rng);
        let take =
            ((fraction * rows.len() as f64).round() as usize).min(rows.len().saturating_sub(1));
        val.extend_from_slice(&rows[..take]);
    }
    val.sort_unstable();
    let train = (0..n).filter(|i| val.binary_search(i).is_err()).collect();
    (train, val)
}

/// Trains the network (see the module docs of [`super`]).
pub(super) fn fit(
    p: &MlpParams,
    x: ArrayView2<f32>,
    y: &[usize],
    n_classes: usize,
    opts: &FitOptions,
) -> Result<MlpModel> {
    let FitStart {
        cw,
        mut rng,
        train,
        val,
    } = fit_start(x, y, n_classes, opts, p.validation_fraction)?;
    let dev = Device::Cpu;
    let (n, d) = x.dim();
    let xs: Vec<f32> = x.iter().copied().collect();
    let xt = Tensor::from_vec(xs, (n, d), &dev)?;
    let yt = Tensor::from_vec(
        y.iter().map(|&c| c as u32).collect::<Vec<_>>(),
        (n, 1),
        &dev,
    )?;
    let wt = Tensor::from_vec(y.iter().map(|&c| cw[c] as f32).collect::<Vec<_>>(), n, &dev)?;
    let mut sizes = vec![d];
    sizes.extend_from_slice(&p.hidden_layers);
    sizes.push(n_classes);
    let net = Net::new(&sizes, p.batch_norm, &mut rng, &dev)?;
    let mut opt = candle_nn::AdamW::new(
        net.vars(),
        candle_nn::ParamsAdamW {
            lr: p.learning_rate,
            weight_decay: p.weight_decay,
            ..Default::default()
        },
    )?;
    let val_idx = Tensor::from_vec(
        val.iter().map(|&i| i as u32).collect::<Vec<_>>(),
        val.len(),
        &dev,
    )?;
    let (xv, yv, wv) = if val.is_empty() {
        (None, None, None)
    } else {
        (
            Some(xt.index_select(&val_idx, 0)?),
            Some(yt.index_select(&val_idx, 0)?),
            Some(wt.index_select(&val_idx, 0)?),
        )
    };
    let mut order = train.clone();
    let mut best_loss = f64::INFINITY;
    let mut best_acc = f64::NEG_INFINITY;
    let mut best: Option<(Vec<Dense>, usize)> = None;
    let mut since_best = 0usize;
    let mut epochs = 0usize;
    for epoch in 0..p.max_epochs {
        epochs = epoch + 1;
        order.shuffle(&mut rng);
        for batch in order.chunks(p.batch_size) {
            if batch.len() < 2 && p.batch_norm {
                continue;
            }
            let idx = Tensor::from_vec(
                batch.iter().map(|&i| i as u32).collect::<Vec<_>>(),
                batch.len(),
                &dev,
            )?;
            let xb = xt.index_select(&idx, 0)?;
            let yb = yt.index_select(&idx, 0)?;
            let wb = wt.index_select(&idx, 0)?;
            let logits = net.forward(&xb, true, Some((p.dropout, &mut rng)))?;
            let loss = weighted_ce(&logits, &yb, &wb)?;
            opt.backward_step(&loss)?;
        }
        if let (Some(xv), Some(yv), Some(wv)) = (&xv, &yv, &wv) {
            let logits = net.forward(xv, false, None)?;
            let loss = f64::from(weighted_ce(&logits, yv, wv)?.to_scalar::<f32>()?);
            if !loss.is_finite() {
                return Err(Error::Candle(format!(
                    "validation loss became {loss} at epoch {epochs}"
                )));
            }
            // Class-weighted validation accuracy (UAR with balanced weights) decides, as
            // scikit-learn's MLP early stopping does with accuracy; the loss breaks ties.
            // (Stopping on the loss alone stopped far too early on held-out speakers:
            // 0.63 against 0.80 LOSO UAR on EMO-DB without early stopping.)
            let pred = logits.argmax(1)?.to_vec1::<u32>()?;
            let (mut hit, mut tot) = (0.0f64, 0.0f64);
            for (k, &i) in val.iter().enumerate() {
                let w = cw[y[i]];
                tot += w;
                if pred.get(k).is_some_and(|&c| c as usize == y[i]) {
                    hit += w;
                }
            }
            let acc = if tot > 0.0 { hit / tot } else { 0.0 };
            let improved =
                acc > best_acc + 1e-9 || (acc >= best_acc - 1e-9 && loss < best_loss - 1e-4);
            if improved {
                best_acc = best_acc.max(acc);
                best_loss = loss;
                best = Some((net.snapshot()?, epochs));
                since_best = 0;
            } else {
                since_best += 1;
                if since_best >= p.patience {
                    break;
                }
            }
        }
    }
    let (layers, best_epoch) = match best {
        Some(b) => b,
        None => (net.snapshot()?, epochs),
    };
    Ok(MlpModel {
        n_features: d,
        n_classes,
        layers,
        epochs_trained: epochs,
        best_epoch,
    })
}
