//! Histogram CART trees (features binned to at most `max_bins` quantile bins once per fit, as in
//! LightGBM / scikit-learn's `HistGradientBoosting`), the random forest and gradient boosting.
//!
//! With at most `max_bins` distinct values in a column the splits are exactly CART's (thresholds
//! halfway between neighbouring values); with more, candidate thresholds are quantile midpoints.
//!
//! Parts: this module holds the binned features, the flat [`Tree`] and the shared parameter
//! types; `grow` grows one tree (the Gini grower of the forest and the Newton grower of
//! boosting), `forest` and `boosting` are the two classifiers.

mod boosting;
mod forest;
mod grow;

use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::param_err;
use crate::{Error, Result};

pub use boosting::{GradientBoostingModel, GradientBoostingParams};
pub use forest::{RandomForestModel, RandomForestParams};

/// Features quantised to bin codes; `code(x) <= b` exactly when `x <= edges[b]`.
pub(crate) struct Bins {
    n: usize,
    /// Column-major codes: `codes[j * n + i]`.
    codes: Vec<u16>,
    /// Largest number of bins of any feature.
    max_nb: usize,
    /// Ascending split thresholds per feature (at most `max_bins - 1`).
    edges: Vec<Vec<f32>>,
}

impl Bins {
    pub(crate) fn new(x: ArrayView2<f32>, max_bins: usize) -> Self {
        let (n, d) = x.dim();
        let cols: Vec<(Vec<u16>, Vec<f32>)> = (0..d)
            .into_par_iter()
            .map(|j| {
                let col = x.column(j);
                let mut v: Vec<f32> = col.to_vec();
                v.sort_by(f32::total_cmp);
                let mut uniq = v.clone();
                uniq.dedup();
                let mid = |a: f32, b: f32| ((f64::from(a) + f64::from(b)) / 2.0) as f32;
                let mut edges: Vec<f32> = if uniq.len() <= max_bins {
                    uniq.windows(2).map(|w| mid(w[0], w[1])).collect()
                } else {
                    (1..max_bins)
                        .filter_map(|b| {
                            let pos = b * n / max_bins;
                            (pos > 0 && v[pos - 1] < v[pos]).then(|| mid(v[pos - 1], v[pos]))
                        })
                        .collect()
                };
                edges.dedup();
                let codes = col
                    .iter()
                    .map(|&x| edges.partition_point(|&e| e < x) as u16)
                    .collect();
                (codes, edges)
            })
            .collect();
        let mut codes = Vec::with_capacity(n * d);
        let mut edges = Vec::with_capacity(d);
        for (c, e) in cols {
            codes.extend(c);
            edges.push(e);
        }
        let max_nb = edges.iter().map(|e| e.len() + 1).max().unwrap_or(1);
        Self {
            n,
            codes,
            edges,
            max_nb,
        }
    }

    #[inline]
    fn code(&self, feature: usize, row: usize) -> u16 {
        self.codes[feature * self.n + row]
    }

    fn n_features(&self) -> usize {
        self.edges.len()
    }
}

/// What a tree fits.
pub(crate) enum Target<'a> {
    /// Class distribution (Gini); per-row weight.
    Class {
        y: &'a [usize],
        w: &'a [f64],
        k: usize,
    },
}

impl Target<'_> {
    /// Width of the per-row statistics.
    fn width(&self) -> usize {
        match self {
            Target::Class { k, .. } => *k,
        }
    }

    /// Width of a leaf value.
    fn leaf_width(&self) -> usize {
        match self {
            Target::Class { k, .. } => *k,
        }
    }

    #[inline]
    fn add(&self, row: usize, acc: &mut [f64]) {
        match self {
            Target::Class { y, w, .. } => acc[y[row]] += w[row],
        }
    }

    /// Split score of a child with summed stats (higher is better; sum over children).
    #[inline]
    fn score(&self, s: &[f64]) -> f64 {
        match self {
            Target::Class { .. } => {
                let tot: f64 = s.iter().sum();
                if tot > 0.0 {
                    s.iter().map(|v| v * v).sum::<f64>() / tot
                } else {
                    0.0
                }
            }
        }
    }

    fn leaf(&self, s: &[f64]) -> Vec<f32> {
        match self {
            Target::Class { .. } => {
                let tot: f64 = s.iter().sum();
                s.iter()
                    .map(|v| if tot > 0.0 { (v / tot) as f32 } else { 0.0 })
                    .collect()
            }
        }
    }

    fn is_pure(&self, s: &[f64]) -> bool {
        match self {
            Target::Class { .. } => s.iter().filter(|&&v| v > 0.0).count() <= 1,
        }
    }
}

/// Growth limits of one tree.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Growth {
    pub max_depth: usize,
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
    pub max_features: usize,
    pub min_hessian_leaf: f64,
}

const LEAF: u32 = u32::MAX;

/// A binary tree in flat arrays; node 0 is the root. Leaves have `feature == u32::MAX`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    feature: Vec<u32>,
    threshold: Vec<f32>,
    left: Vec<u32>,
    right: Vec<u32>,
    /// `width` values per node (used at leaves).
    value: Vec<f32>,
    width: usize,
}

impl Tree {
    /// A tree without nodes whose nodes will carry `width` values each.
    fn new(width: usize) -> Self {
        Self {
            feature: Vec::new(),
            threshold: Vec::new(),
            left: Vec::new(),
            right: Vec::new(),
            value: Vec::new(),
            width,
        }
    }

    /// Appends a leaf with `width` zero values; returns its index.
    fn push_leaf(&mut self) -> usize {
        self.feature.push(LEAF);
        self.threshold.push(0.0);
        self.left.push(LEAF);
        self.right.push(LEAF);
        self.value.extend(std::iter::repeat_n(0.0, self.width));
        self.feature.len() - 1
    }

    /// Turns `node` into a split on feature `f` at `threshold` (rows with `x[f] <= threshold` go
    /// left) with two new leaves; returns `(left, right)`.
    fn split(&mut self, node: usize, f: usize, threshold: f32) -> (usize, usize) {
        let l = self.push_leaf();
        let r = self.push_leaf();
        self.feature[node] = f as u32;
        self.threshold[node] = threshold;
        self.left[node] = l as u32;
        self.right[node] = r as u32;
        (l, r)
    }

    /// Value vector of the leaf reached by `row`.
    fn leaf_of(&self, row: &[f32]) -> Result<&[f32]> {
        let mut node = 0usize;
        for _ in 0..=self.feature.len() {
            let f = *self
                .feature
                .get(node)
                .ok_or_else(|| Error::Corrupt("tree node index".into()))?;
            if f == LEAF {
                return self
                    .value
                    .get(node * self.width..(node + 1) * self.width)
                    .ok_or_else(|| Error::Corrupt("tree leaf value".into()));
            }
            let x = *row
                .get(f as usize)
                .ok_or_else(|| Error::Corrupt("tree feature index".into()))?;
            node = if x <= self.threshold[node] {
                self.left[node]
            } else {
                self.right[node]
            } as usize;
        }
        Err(Error::Corrupt("tree has a cycle".into()))
    }

    fn check(&self) -> Result<()> {
        let n = self.feature.len();
        if self.threshold.len() != n
            || self.left.len() != n
            || self.right.len() != n
            || self.value.len() != n * self.width
        {
            return Err(Error::Corrupt("tree array lengths".into()));
        }
        Ok(())
    }

    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.feature.len()
    }
}

/// How many features each split considers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxFeaturesRule {
    /// `ceil(sqrt(n_features))`... as scikit-learn: `max(1, floor(sqrt(n_features)))`.
    #[default]
    Sqrt,
    /// `max(1, floor(log2(n_features)))`.
    Log2,
    /// All features.
    All,
}

/// Features per split: a rule (`"sqrt"`, `"log2"`, `"all"`), a count (integer) or a fraction in (0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MaxFeatures {
    /// A fixed count (>= 1, at most the number of features: a larger count is refused at fit
    /// time).
    Count(usize),
    /// A fraction of the features, in (0, 1].
    Fraction(f64),
    /// A rule.
    Rule(MaxFeaturesRule),
}

impl MaxFeatures {
    fn check(&self, name: &'static str) -> Result<()> {
        match *self {
            MaxFeatures::Count(0) => Err(param_err(name, "count >= 1", 0)),
            MaxFeatures::Fraction(f) if !(f > 0.0 && f <= 1.0) => {
                Err(param_err(name, "fraction in (0, 1]", f))
            }
            _ => Ok(()),
        }
    }

    /// Fails when a count exceeds the `d` features of the training set (checked at fit time,
    /// as scikit-learn does; rules and fractions always fit).
    fn check_for_data(&self, name: &'static str, d: usize) -> Result<()> {
        match *self {
            MaxFeatures::Count(c) if c > d => Err(param_err(
                name,
                "a count of at most the number of features",
                format!("max_features = {c} but the training set has {d} features"),
            )),
            _ => Ok(()),
        }
    }

    fn resolve(&self, d: usize) -> usize {
        let v = match *self {
            MaxFeatures::Count(c) => c,
            MaxFeatures::Fraction(f) => (f * d as f64).floor() as usize,
            MaxFeatures::Rule(MaxFeaturesRule::Sqrt) => (d as f64).sqrt().floor() as usize,
            MaxFeatures::Rule(MaxFeaturesRule::Log2) => (d as f64).log2().floor() as usize,
            MaxFeatures::Rule(MaxFeaturesRule::All) => d,
        };
        v.clamp(1, d.max(1))
    }
}

/// Largest `max_bins` (bin codes are `u16`).
pub const MAX_BINS: usize = 1 << 16;

fn check_max_bins(name: &'static str, b: usize) -> Result<()> {
    if !(2..=MAX_BINS).contains(&b) {
        return Err(param_err(name, "2..=65536", b));
    }
    Ok(())
}

/// Seed of sub-task `i` derived from the fit seed (SplitMix64 step).
pub(crate) fn sub_seed(seed: u64, i: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15u64.wrapping_mul(i + 1));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
