//! Multi-layer perceptron trained with candle-nn (autograd, AdamW) on the CPU.
//!
//! Layers: `[Linear → BatchNorm (optional) → ReLU → Dropout] × hidden_layers → Linear`, trained
//! on class-weighted cross-entropy with mini-batches, AdamW (decoupled weight decay) and early
//! stopping on a validation split that keeps whole speakers (`FitOptions::groups`) on one side
//! (monitored: class-weighted validation accuracy, ties broken by the validation loss; the
//! weights of the best epoch are kept).
//! Determinism: weights are initialised, batches shuffled and dropout masks drawn from a ChaCha
//! generator seeded with `FitOptions::seed` (candle's own CPU generator cannot be seeded).
//! The fitted model is plain ndarray (no candle at prediction time).

use std::collections::BTreeSet;

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{BatchNorm, ModuleT, Optimizer};
use ndarray::{Array2, ArrayView2};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::{FitOptions, check_features, check_train, class_weights, param_err};
use crate::{Error, Result};

/// Hyper-parameters of the MLP.
///
/// | name | default | range | meaning |
/// |---|---|---|---|
/// | `hidden_layers` | [256, 128] | each >= 1 | width of each hidden layer |
/// | `batch_norm` | true | | batch normalisation after each hidden linear layer |
/// | `dropout` | 0.3 | [0, 1) | dropout probability after each hidden activation |
/// | `learning_rate` | 1e-3 | > 0 | AdamW step size |
/// | `weight_decay` | 1e-4 | >= 0 | AdamW decoupled weight decay |
/// | `batch_size` | 32 | >= 2 | rows per mini-batch |
/// | `max_epochs` | 200 | >= 1 | passes over the training rows |
/// | `patience` | 20 | >= 1 | epochs without validation improvement before stopping |
/// | `validation_fraction` | 0.15 | [0, 0.5] | share of rows (whole groups when given) held out; 0 trains `max_epochs` without early stopping |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MlpParams {
    pub hidden_layers: Vec<usize>,
    pub batch_norm: bool,
    pub dropout: f64,
    pub learning_rate: f64,
    pub weight_decay: f64,
    pub batch_size: usize,
    pub max_epochs: usize,
    pub patience: usize,
    pub validation_fraction: f64,
}

impl Default for MlpParams {
    fn default() -> Self {
        Self {
            hidden_layers: vec![256, 128],
            batch_norm: true,
            dropout: 0.3,
            learning_rate: 1e-3,
            weight_decay: 1e-4,
            batch_size: 32,
            max_epochs: 200,
            patience: 20,
            validation_fraction: 0.15,
        }
    }
}

impl MlpParams {
    /// Validates the parameters.
    pub fn check(&self) -> Result<()> {
        if self.hidden_layers.contains(&0) || self.hidden_layers.iter().any(|&h| h > 1 << 16) {
            return Err(param_err(
                "mlp.hidden_layers",
                "widths in 1..=65536",
                format!("{:?}", self.hidden_layers),
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(param_err("mlp.dropout", "[0, 1)", self.dropout));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(param_err(
                "mlp.learning_rate",
                "finite > 0",
                self.learning_rate,
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(param_err(
                "mlp.weight_decay",
                "finite >= 0",
                self.weight_decay,
            ));
        }
        if self.batch_size < 2 {
            return Err(param_err("mlp.batch_size", ">= 2", self.batch_size));
        }
        if self.max_epochs == 0 {
            return Err(param_err("mlp.max_epochs", ">= 1", 0));
        }
        if self.patience == 0 {
            return Err(param_err("mlp.patience", ">= 1", 0));
        }
        if !(0.0..=0.5).contains(&self.validation_fraction) {
            return Err(param_err(
                "mlp.validation_fraction",
                "[0, 0.5]",
                self.validation_fraction,
            ));
        }
        Ok(())
    }
}

/// Inference-time batch normalisation: `(x - mean) / sqrt(var + eps) * gamma + beta`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct BnParams {
    mean: Vec<f32>,
    var: Vec<f32>,
    gamma: Vec<f32>,
    beta: Vec<f32>,
    eps: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Dense {
    /// `(out, in)`.
    w: Array2<f32>,
    b: Vec<f32>,
    bn: Option<BnParams>,
}

/// A fitted MLP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlpModel {
    n_features: usize,
    n_classes: usize,
    /// Hidden layers then the output layer (no batch norm, no activation).
    layers: Vec<Dense>,
    /// Epochs trained and the epoch whose weights were kept.
    pub epochs_trained: usize,
    pub best_epoch: usize,
}

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
fn weighted_ce(logits: &Tensor, y: &Tensor, w: &Tensor) -> Result<Tensor> {
    let ls = candle_nn::ops::log_softmax(logits, 1)?;
    let picked = ls.gather(y, 1)?.squeeze(1)?;
    let num = (picked * w)?.sum_all()?;
    let den = w.sum_all()?;
    Ok(num.broadcast_div(&den)?.neg()?)
}

/// Splits row indices into (train, validation). Whole groups go to validation when `groups`
/// has at least two distinct values; otherwise a stratified random split.
fn split_validation(
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

impl MlpModel {
    /// Trains the network.
    pub fn fit(
        p: &MlpParams,
        x: ArrayView2<f32>,
        y: &[usize],
        n_classes: usize,
        opts: &FitOptions,
    ) -> Result<Self> {
        p.check()?;
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
        let (train, val) =
            split_validation(y, opts.groups.as_deref(), p.validation_fraction, &mut rng);
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
        Ok(Self {
            n_features: d,
            n_classes,
            layers,
            epochs_trained: epochs,
            best_epoch,
        })
    }

    fn logits(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        check_features(x, self.n_features)?;
        let mut h = x.to_owned();
        let last = self.layers.len().saturating_sub(1);
        for (i, l) in self.layers.iter().enumerate() {
            if l.w.ncols() != h.ncols() || l.b.len() != l.w.nrows() {
                return Err(Error::Corrupt("mlp layer shapes".into()));
            }
            h = h.dot(&l.w.t());
            for mut row in h.rows_mut() {
                for (v, b) in row.iter_mut().zip(&l.b) {
                    *v += b;
                }
                if let Some(bn) = &l.bn {
                    if bn.mean.len() != l.b.len()
                        || bn.var.len() != l.b.len()
                        || bn.gamma.len() != l.b.len()
                        || bn.beta.len() != l.b.len()
                    {
                        return Err(Error::Corrupt("mlp batch-norm shapes".into()));
                    }
                    for (j, v) in row.iter_mut().enumerate() {
                        *v = ((f64::from(*v) - f64::from(bn.mean[j]))
                            / (f64::from(bn.var[j]) + bn.eps).sqrt()
                            * f64::from(bn.gamma[j])
                            + f64::from(bn.beta[j])) as f32;
                    }
                }
                if i < last {
                    row.mapv_inplace(|v| v.max(0.0));
                }
            }
        }
        if h.ncols() != self.n_classes {
            return Err(Error::Corrupt("mlp output width".into()));
        }
        Ok(h)
    }

    /// Softmax of the output layer.
    pub fn predict_proba(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        Ok(crate::data::softmax_rows(self.logits(x)?.mapv(f64::from)))
    }

    /// Class with the largest logit.
    pub fn predict(&self, x: ArrayView2<f32>) -> Result<Vec<usize>> {
        let z = self.logits(x)?;
        Ok(z.rows()
            .into_iter()
            .map(|r| crate::data::argmax(r.iter().map(|&v| f64::from(v))))
            .collect())
    }

    /// Number of input features.
    pub fn n_features(&self) -> usize {
        self.n_features
    }
}
