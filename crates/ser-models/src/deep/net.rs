//! The three networks in candle, built from a `VarBuilder` (a `VarMap` while training, the
//! stored tensors when predicting), so training and prediction run the same code.

use candle_core::{D, Module, ModuleT, Tensor};
use candle_nn::rnn::{LSTMConfig, RNN};
use candle_nn::{BatchNorm, LSTM, Linear, VarBuilder};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::{Architecture, DeepParams};
use crate::Result;

/// Batch-norm epsilon of every conv block.
const BN_EPS: f64 = 1e-5;

/// A 3×3 convolution with zero padding 1 ("same"), written as im2col and one batched matrix
/// product, so that its backward pass is matrix products too (candle's CPU `conv2d` backward goes
/// through a direct transposed convolution, measured 3–4x slower on these small channel counts).
/// Weights `(out, in, 3, 3)` and bias `(out)`, as candle's `Conv2d` names them.
#[derive(Debug)]
struct Conv3x3 {
    weight: Tensor,
    bias: Tensor,
}

impl Conv3x3 {
    fn new(c_in: usize, c_out: usize, vb: &VarBuilder) -> Result<Conv3x3> {
        let weight = vb.get_with_hints(
            (c_out, c_in, 3, 3),
            "weight",
            candle_nn::init::DEFAULT_KAIMING_UNIFORM,
        )?;
        let bias = vb.get_with_hints(c_out, "bias", candle_nn::Init::Const(0.0))?;
        Ok(Conv3x3 { weight, bias })
    }

    /// `(n, c, h, w)` → `(n, out, h, w)`.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (n, c, h, w) = x.dims4()?;
        let c_out = self.weight.dim(0)?;
        let xp = x.pad_with_zeros(2, 1, 1)?.pad_with_zeros(3, 1, 1)?;
        let mut taps = Vec::with_capacity(9);
        for dy in 0..3 {
            for dx in 0..3 {
                taps.push(xp.narrow(2, dy, h)?.narrow(3, dx, w)?);
            }
        }
        let cols = Tensor::stack(&taps, 2)?.reshape((n, c * 9, h * w))?;
        let wm = self.weight.reshape((c_out, c * 9))?;
        let out = wm.broadcast_matmul(&cols)?.reshape((n, c_out, h, w))?;
        Ok(out.broadcast_add(&self.bias.reshape((1, c_out, 1, 1))?)?)
    }
}

#[derive(Debug)]
pub(super) struct Net {
    arch: Architecture,
    blocks: Vec<(Conv3x3, BatchNorm)>,
    lstms: Vec<LSTM>,
    attention: Option<(Linear, Linear)>,
    out: Linear,
}

impl Net {
    pub(super) fn new(p: &DeepParams, n_classes: usize, vb: &VarBuilder) -> Result<Net> {
        let mut blocks = Vec::with_capacity(p.channels.len());
        let mut c_in = 1;
        for (i, &c) in p.channels.iter().enumerate() {
            let conv = Conv3x3::new(c_in, c, &vb.pp(format!("conv{i}")))?;
            let bn = candle_nn::batch_norm(c, BN_EPS, vb.pp(format!("bn{i}")))?;
            blocks.push((conv, bn));
            c_in = c;
        }
        let bins_out = p.input_shape[2] >> p.channels.len();
        let lstm_stack = |input: usize| -> Result<Vec<LSTM>> {
            (0..p.lstm_layers)
                .map(|l| {
                    let in_dim = if l == 0 { input } else { p.lstm_hidden };
                    Ok(candle_nn::lstm(
                        in_dim,
                        p.lstm_hidden,
                        LSTMConfig::default(),
                        vb.pp(format!("lstm{l}")),
                    )?)
                })
                .collect()
        };
        let (lstms, attention, width) = match p.architecture {
            Architecture::TdCnnLstm => (lstm_stack(c_in)?, None, p.lstm_hidden),
            Architecture::CnnLstm => (lstm_stack(c_in * bins_out)?, None, p.lstm_hidden),
            Architecture::CnnAttention => {
                let w = candle_nn::linear(c_in, p.attention_dim, vb.pp("att_w"))?;
                let v = candle_nn::linear_no_bias(p.attention_dim, 1, vb.pp("att_v"))?;
                (Vec::new(), Some((w, v)), c_in)
            }
        };
        let out = candle_nn::linear(width, n_classes, vb.pp("out"))?;
        Ok(Net {
            arch: p.architecture,
            blocks,
            lstms,
            attention,
            out,
        })
    }

    /// Conv blocks on windows `(n, frames, bins)` → `(n, channels, frames', bins')`.
    fn cnn(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let mut h = x.unsqueeze(1)?;
        for (conv, bn) in &self.blocks {
            h = conv.forward(&h)?;
            h = bn.forward_t(&h, train)?;
            h = h.elu(1.0)?.max_pool2d(2)?;
        }
        Ok(h)
    }

    /// Last hidden state of the LSTM stack over `(n, steps, features)`.
    fn lstm(&self, seq: &Tensor) -> Result<Tensor> {
        let mut h = seq.contiguous()?;
        let mut last = None;
        for l in &self.lstms {
            let states = l.seq(&h)?;
            last = states.last().map(|s| s.h().clone());
            h = l.states_to_tensor(&states)?;
        }
        Ok(match last {
            Some(t) => t,
            None => h.mean(1)?,
        })
    }

    /// Logits. Input: `(n, windows, frames, bins)` utterances for `td_cnn_lstm`, `(n, frames,
    /// bins)` windows otherwise. `dropout`: (probability, generator) in training mode.
    pub(super) fn forward(
        &self,
        x: &Tensor,
        train: bool,
        dropout: Option<(f64, &mut ChaCha8Rng)>,
    ) -> Result<Tensor> {
        let pooled = match self.arch {
            Architecture::TdCnnLstm => {
                let (n, w, t, b) = x.dims4()?;
                let h = self.cnn(&x.reshape((n * w, t, b))?, train)?;
                let e = h.mean(D::Minus1)?.mean(D::Minus1)?; // (n*w, c)
                let c = e.dim(1)?;
                self.lstm(&e.reshape((n, w, c))?)?
            }
            Architecture::CnnLstm => {
                let h = self.cnn(x, train)?; // (n, c, t', b')
                let (n, c, t, b) = h.dims4()?;
                let seq = h.permute((0, 2, 1, 3))?.reshape((n, t, c * b))?;
                self.lstm(&seq)?
            }
            Architecture::CnnAttention => {
                let h = self.cnn(x, train)?;
                let h = h.mean(D::Minus1)?.transpose(1, 2)?.contiguous()?; // (n, t', c)
                match &self.attention {
                    Some((w, v)) => {
                        let score = v.forward(&w.forward(&h)?.tanh()?)?; // (n, t', 1)
                        let alpha = candle_nn::ops::softmax(&score, 1)?;
                        h.broadcast_mul(&alpha)?.sum(1)?
                    }
                    None => h.mean(1)?,
                }
            }
        };
        let pooled = match dropout {
            Some((p, rng)) if p > 0.0 => {
                let (r, c) = pooled.dims2()?;
                let keep = (1.0 / (1.0 - p)) as f32;
                let mask: Vec<f32> = (0..r * c)
                    .map(|_| if rng.random::<f64>() < p { 0.0 } else { keep })
                    .collect();
                let m = Tensor::from_vec(mask, (r, c), pooled.device())?;
                (pooled * m)?
            }
            _ => pooled,
        };
        Ok(self.out.forward(&pooled)?)
    }
}
