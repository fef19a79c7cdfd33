//! Feature scalers fitted on training rows, and the per-speaker normaliser.
//!
//! Constant columns are not an error: their scale is taken as 1, so after centring they
//! become exactly 0 (scikit-learn's behaviour). The same holds in per-speaker normalisation.

use std::collections::HashMap;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::data::{check_features, check_matrix};
use crate::{Error, Result};

/// Which scaler to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScalerSpec {
    /// Identity.
    None,
    /// `(x - mean) / std` (population std).
    #[default]
    Standard,
    /// `(x - median) / (q75 - q25)` (linear-interpolated quantiles).
    Robust,
    /// `(x - min) / (max - min)`, into [0, 1] on the training rows.
    MinMax,
    /// Rank-Gauss: each column mapped through its empirical CDF on the training rows
    /// (`QUANTILE_POINTS` quantiles, linear interpolation, ties averaged both ways as in
    /// scikit-learn's `QuantileTransformer`), then through the standard normal quantile function
    /// (probabilities clipped to `[1e-7, 1 - 1e-7]`), then standardised with the training rows'
    /// mean and standard deviation of that output. Robust to the heavy tails and skew of
    /// functionals such as kurtosis, jitter or ranges; values outside the training range map
    /// to the extreme quantiles, so one outlier cannot dominate a linear model.
    Quantile,
}

/// Number of quantiles a [`ScalerSpec::Quantile`] scaler keeps per column (at most the number of
/// training rows).
pub const QUANTILE_POINTS: usize = 1000;

/// A fitted scaler: `transform(x) = (x - offset) / scale` per column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedScaler {
    pub spec: ScalerSpec,
    /// Number of columns it was fitted on.
    pub n_features: usize,
    /// Subtracted per column (empty for `None`).
    pub offset: Vec<f64>,
    /// Divisor per column, never 0 (empty for `None`).
    pub scale: Vec<f64>,
    /// `Quantile` only: per column, the training values at `QUANTILE_POINTS` evenly spaced
    /// probabilities `0, 1/(n-1), ..., 1` (non-decreasing). Applied before `offset`/`scale`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quantiles: Vec<Vec<f64>>,
}

/// Linear-interpolated quantile of sorted data (numpy's default).
fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// A usable divisor: `s` unless it is 0, non-finite or rounding noise relative to `reference`
/// (a constant column's computed spread), in which case 1.
fn nonzero(s: f64, reference: f64) -> f64 {
    if s.is_finite() && s > 0.0 && s > 1e-10 * reference.abs() {
        s
    } else {
        1.0
    }
}

/// Mean and population standard deviation of a column.
fn mean_std(col: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let n = col.clone().count() as f64;
    let mean = col.clone().sum::<f64>() / n;
    let var = col.map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

impl ScalerSpec {
    /// Fits the scaler on training rows (no NaN/inf allowed).
    pub fn fit(&self, x: ArrayView2<f32>) -> Result<FittedScaler> {
        check_matrix("scaler training X", x)?;
        let d = x.ncols();
        let (offset, scale) = match self {
            ScalerSpec::None => (Vec::new(), Vec::new()),
            ScalerSpec::Standard => x
                .columns()
                .into_iter()
                .map(|c| {
                    let (m, s) = mean_std(c.iter().map(|&v| f64::from(v)));
                    (m, nonzero(s, m))
                })
                .unzip(),
            ScalerSpec::Robust => x
                .columns()
                .into_iter()
                .map(|c| {
                    let mut v: Vec<f64> = c.iter().map(|&v| f64::from(v)).collect();
                    v.sort_by(f64::total_cmp);
                    let med = quantile_sorted(&v, 0.5);
                    let iqr = quantile_sorted(&v, 0.75) - quantile_sorted(&v, 0.25);
                    (med, nonzero(iqr, med))
                })
                .unzip(),
            ScalerSpec::MinMax => x
                .columns()
                .into_iter()
                .map(|c| {
                    let lo = c.iter().fold(f32::INFINITY, |a, &b| a.min(b));
                    let hi = c.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
                    (
                        f64::from(lo),
                        nonzero(f64::from(hi) - f64::from(lo), f64::from(hi)),
                    )
                })
                .unzip(),
            ScalerSpec::Quantile => {
                let quantiles: Vec<Vec<f64>> = x
                    .columns()
                    .into_iter()
                    .map(|c| {
                        let mut v: Vec<f64> = c.iter().map(|&v| f64::from(v)).collect();
                        v.sort_by(f64::total_cmp);
                        let n_q = QUANTILE_POINTS.min(v.len()).max(2);
                        (0..n_q)
                            .map(|i| quantile_sorted(&v, i as f64 / (n_q - 1) as f64))
                            .collect()
                    })
                    .collect();
                let mut fitted = FittedScaler {
                    spec: *self,
                    n_features: d,
                    offset: Vec::new(),
                    scale: Vec::new(),
                    quantiles,
                };
                let gauss = fitted.rank_gauss(x);
                let (offset, scale) = gauss
                    .columns()
                    .into_iter()
                    .map(|c| {
                        let (m, s) = mean_std(c.iter().copied());
                        (m, nonzero(s, m))
                    })
                    .unzip();
                fitted.offset = offset;
                fitted.scale = scale;
                return Ok(fitted);
            }
        };
        Ok(FittedScaler {
            spec: *self,
            n_features: d,
            offset,
            scale,
            quantiles: Vec::new(),
        })
    }
}

/// Probability of `v` under the empirical CDF given by non-decreasing `q` at evenly spaced
/// probabilities: 0 below the first, 1 above the last, linear in between; where `v` equals a
/// run of tied quantiles, the middle of their probabilities (scikit-learn's symmetric rule).
fn empirical_cdf(q: &[f64], v: f64) -> f64 {
    let n = q.len();
    let step = 1.0 / (n - 1) as f64;
    let lo = q.partition_point(|&a| a < v);
    let hi = q.partition_point(|&a| a <= v);
    if lo < hi {
        return 0.5 * (lo + hi - 1) as f64 * step;
    }
    if lo == 0 {
        return 0.0;
    }
    if lo == n {
        return 1.0;
    }
    let (a, b) = (q[lo - 1], q[lo]);
    ((lo - 1) as f64 + (v - a) / (b - a)) * step
}

/// Standard normal quantile function (Acklam's rational approximation, relative error below
/// 1.2e-9 on (0, 1)); written here because it is one function and no crate in the tree has it.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.024_25;
    if p < P_LOW {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - P_LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -normal_quantile(1.0 - p)
    }
}

impl FittedScaler {
    /// The rank-Gauss part of the `Quantile` scaler (before standardisation), in f64.
    fn rank_gauss(&self, x: ArrayView2<f32>) -> Array2<f64> {
        const CLIP: f64 = 1e-7;
        let mut out = Array2::<f64>::zeros(x.raw_dim());
        for (j, q) in self.quantiles.iter().enumerate() {
            for (o, &v) in out.column_mut(j).iter_mut().zip(x.column(j)) {
                let p = empirical_cdf(q, f64::from(v)).clamp(CLIP, 1.0 - CLIP);
                *o = normal_quantile(p);
            }
        }
        out
    }
}

impl FittedScaler {
    /// Scales `x` with the training statistics. Fails on a column-count mismatch or NaN/inf.
    pub fn transform(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        check_features(x, self.n_features)?;
        if self.spec == ScalerSpec::None {
            return Ok(x.to_owned());
        }
        if self.offset.len() != self.n_features || self.scale.len() != self.n_features {
            return Err(Error::Corrupt("scaler parameter length".into()));
        }
        if self.spec == ScalerSpec::Quantile {
            if self.quantiles.len() != self.n_features || self.quantiles.iter().any(|q| q.len() < 2)
            {
                return Err(Error::Corrupt("quantile scaler tables".into()));
            }
            let g = self.rank_gauss(x);
            let mut out = Array2::<f32>::zeros(x.raw_dim());
            for ((o, v), j) in out
                .iter_mut()
                .zip(g.iter())
                .zip((0..self.n_features).cycle())
            {
                *o = ((v - self.offset[j]) / self.scale[j]) as f32;
            }
            return Ok(out);
        }
        let mut out = x.to_owned();
        for mut row in out.rows_mut() {
            for ((v, o), s) in row.iter_mut().zip(&self.offset).zip(&self.scale) {
                *v = ((f64::from(*v) - o) / s) as f32;
            }
        }
        Ok(out)
    }
}

/// Standardises each speaker's rows with that speaker's own mean and population standard
/// deviation per column (constant columns within a speaker become 0). Needs no labels, so it
/// applies to test speakers too, given a batch of their utterances.
///
/// Errors: `speakers.len() != x.nrows()`, NaN/inf in `x`, or a speaker with fewer than
/// `min_utterances` rows ([`Error::TooFewUtterances`]).
pub fn normalise_per_speaker(
    x: ArrayView2<f32>,
    speakers: &[String],
    min_utterances: usize,
) -> Result<Array2<f32>> {
    SpeakerStatistics::fit(x, speakers, min_utterances)?.transform(x, speakers)
}

/// Each speaker's mean and population standard deviation per column, fitted on that speaker's
/// rows ([`normalise_per_speaker`] fits and applies them to the same rows). Applying them to
/// other rows of the same speakers standardises those rows as the speaker's own were: the
/// augmented copies of an utterance with its speaker's statistics, or a speaker's later
/// utterances with the statistics of a few enrolment utterances.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeakerStatistics {
    /// Per speaker: (mean, standard deviation as used, i.e. never 0) of every column.
    by_speaker: HashMap<String, (Vec<f64>, Vec<f64>)>,
    n_features: usize,
}

impl SpeakerStatistics {
    /// Fits every speaker's statistics on its rows of `x`.
    ///
    /// Errors: `speakers.len() != x.nrows()`, NaN/inf in `x`, or a speaker with fewer than
    /// `min_utterances` rows ([`Error::TooFewUtterances`]).
    pub fn fit(x: ArrayView2<f32>, speakers: &[String], min_utterances: usize) -> Result<Self> {
        check_matrix("X", x)?;
        check_speakers(x, speakers)?;
        let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, s) in speakers.iter().enumerate() {
            groups.entry(s.as_str()).or_default().push(i);
        }
        let mut names: Vec<&&str> = groups.keys().collect();
        names.sort();
        for name in names {
            let rows = &groups[*name];
            if rows.len() < min_utterances.max(1) {
                return Err(Error::TooFewUtterances {
                    speaker: (*name).to_string(),
                    found: rows.len(),
                    min: min_utterances.max(1),
                });
            }
        }
        let by_speaker = groups
            .into_iter()
            .map(|(name, rows)| {
                let (means, stds) = (0..x.ncols())
                    .map(|c| {
                        let (m, s) = mean_std(rows.iter().map(|&r| f64::from(x[[r, c]])));
                        (m, nonzero(s, m))
                    })
                    .unzip();
                (name.to_string(), (means, stds))
            })
            .collect();
        Ok(SpeakerStatistics {
            by_speaker,
            n_features: x.ncols(),
        })
    }

    /// Standardises each row of `x` with the statistics of its speaker.
    ///
    /// Errors: `speakers.len() != x.nrows()`, another column count than the fitted one, or a
    /// speaker without statistics ([`Error::Length`] / [`Error::UnknownSpeaker`]).
    pub fn transform(&self, x: ArrayView2<f32>, speakers: &[String]) -> Result<Array2<f32>> {
        check_speakers(x, speakers)?;
        if x.ncols() != self.n_features {
            return Err(Error::Length {
                what: "columns of X (the fitted speaker statistics' columns)",
                expected: self.n_features,
                found: x.ncols(),
            });
        }
        let mut out = Array2::<f32>::zeros(x.dim());
        for ((row, mut o), spk) in x.rows().into_iter().zip(out.rows_mut()).zip(speakers) {
            let (m, s) = self
                .by_speaker
                .get(spk)
                .ok_or_else(|| Error::UnknownSpeaker(spk.clone()))?;
            for (((o, &v), m), s) in o.iter_mut().zip(row).zip(m).zip(s) {
                *o = ((f64::from(v) - m) / s) as f32;
            }
        }
        Ok(out)
    }
}

/// One speaker's own mean, population variance and number of utterances per column (from its
/// unlabelled rows), the input of [`ShrunkCentring`].
#[derive(Debug, Clone, PartialEq)]
pub struct SpeakerMoments {
    pub mean: Vec<f64>,
    pub var: Vec<f64>,
    pub n: usize,
}

impl SpeakerMoments {
    /// The moments of every speaker over its rows among `rows` (`speakers` names the speaker
    /// of every row of `x`), by speaker id.
    pub fn by_speaker(
        x: ArrayView2<f32>,
        speakers: &[String],
        rows: impl IntoIterator<Item = usize>,
    ) -> Result<std::collections::BTreeMap<String, SpeakerMoments>> {
        check_speakers(x, speakers)?;
        let mut groups: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
        for r in rows {
            groups.entry(speakers[r].as_str()).or_default().push(r);
        }
        groups
            .into_iter()
            .map(|(s, rows)| Ok((s.to_string(), SpeakerMoments::of_rows(x, &rows)?)))
            .collect()
    }

    /// The moments of the rows `rows` of `x` (at least one row).
    pub fn of_rows(x: ArrayView2<f32>, rows: &[usize]) -> Result<Self> {
        if rows.is_empty() {
            return Err(Error::Empty {
                what: "a speaker's rows",
                rows: 0,
                cols: x.ncols(),
            });
        }
        let (mean, var) = (0..x.ncols())
            .map(|c| {
                let (m, s) = mean_std(rows.iter().map(|&r| f64::from(x[[r, c]])));
                (m, s * s)
            })
            .unzip();
        Ok(SpeakerMoments {
            mean,
            var,
            n: rows.len(),
        })
    }
}

/// Empirical-Bayes speaker centring: where a speaker's mean lies, estimated from however many
/// of its utterances there are, shrunk toward the training speakers' average by how much
/// speakers really differ on that column compared with how noisy a mean of that many
/// utterances is. Fitted on the training speakers' [`SpeakerMoments`], per column `j`:
///
/// - `a_j`: the average of the speakers' means; `w²_j`: the average within-speaker variance;
/// - `b²_j = max(0, var_s(m_sj) − mean_s(v_sj / n_s))`: the spread of the speakers' true means
///   (the sample variance of their means less what their own sampling noise explains);
/// - a speaker whose `n` utterances have mean `m_j` is centred on
///   `a_j + (b²_j / (b²_j + w²_j / n)) (m_j − a_j)`.
///
/// So a column on which speakers differ much more than a few utterances' noise is centred on
/// the speaker's own mean; a column whose speaker means are lost in the noise of `n`
/// utterances (an emotion-dominated one, when `n` is small and the utterances' mix of emotions
/// is random) keeps the average. No constant is chosen: everything comes from the training
/// speakers. With fewer than two training speakers there is no spread to estimate and every
/// speaker is centred on its own mean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShrunkCentring {
    average: Vec<f64>,
    /// `b²` per column; `None` with fewer than two training speakers (own means kept).
    between: Option<Vec<f64>>,
    within: Vec<f64>,
}

impl ShrunkCentring {
    /// Fits the population statistics on the training speakers' moments.
    ///
    /// Errors: no speakers, or speakers with different column counts.
    pub fn fit(speakers: &[&SpeakerMoments]) -> Result<Self> {
        let first = speakers.first().ok_or(Error::Empty {
            what: "training speakers' moments",
            rows: 0,
            cols: 0,
        })?;
        let d = first.mean.len();
        if let Some(bad) = speakers
            .iter()
            .find(|m| m.mean.len() != d || m.var.len() != d)
        {
            return Err(Error::Length {
                what: "columns of a speaker's moments",
                expected: d,
                found: bad.mean.len(),
            });
        }
        let s = speakers.len() as f64;
        let mut average = vec![0.0; d];
        let mut between = vec![0.0; d];
        let mut within = vec![0.0; d];
        for j in 0..d {
            average[j] = speakers.iter().map(|m| m.mean[j]).sum::<f64>() / s;
            within[j] = speakers.iter().map(|m| m.var[j]).sum::<f64>() / s;
            if speakers.len() >= 2 {
                let spread = speakers
                    .iter()
                    .map(|m| (m.mean[j] - average[j]).powi(2))
                    .sum::<f64>()
                    / (s - 1.0);
                let noise = speakers
                    .iter()
                    .map(|m| m.var[j] / m.n.max(1) as f64)
                    .sum::<f64>()
                    / s;
                between[j] = (spread - noise).max(0.0);
            }
        }
        Ok(ShrunkCentring {
            average,
            between: (speakers.len() >= 2).then_some(between),
            within,
        })
    }

    /// Number of columns.
    pub fn n_features(&self) -> usize {
        self.average.len()
    }

    /// `x` with each row minus the centre of its speaker, the speakers' moments taken over
    /// their rows of `x` itself (a training table, or the utterances of new speakers given
    /// together).
    ///
    /// Errors: `speakers.len() != x.nrows()`, another column count than the fitted one, NaN/inf.
    pub fn centre_rows(&self, x: ArrayView2<f32>, speakers: &[String]) -> Result<Array2<f32>> {
        check_matrix("X", x)?;
        check_speakers(x, speakers)?;
        if x.ncols() != self.n_features() {
            return Err(Error::Length {
                what: "columns of X (the fitted centring's columns)",
                expected: self.n_features(),
                found: x.ncols(),
            });
        }
        let moments = SpeakerMoments::by_speaker(x, speakers, 0..x.nrows())?;
        let mut out = x.to_owned();
        let who: Vec<&str> = speakers.iter().map(String::as_str).collect();
        self.centre_with(&mut out, &who, &moments)?;
        Ok(out)
    }

    /// Centres `x` in place: row `i` minus the centre of speaker `who[i]`, from that speaker's
    /// entry in `moments` (which may come from other rows, e.g. enrolment utterances).
    ///
    /// Errors: a speaker without moments ([`Error::UnknownSpeaker`]), or `who.len() != x.nrows()`.
    pub fn centre_with(
        &self,
        x: &mut Array2<f32>,
        who: &[&str],
        moments: &std::collections::BTreeMap<String, SpeakerMoments>,
    ) -> Result<()> {
        if who.len() != x.nrows() {
            return Err(Error::Length {
                what: "speaker ids (one per row of X)",
                expected: x.nrows(),
                found: who.len(),
            });
        }
        let mut centres: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
        for (mut row, &spk) in x.rows_mut().into_iter().zip(who) {
            if !centres.contains_key(spk) {
                let m = moments
                    .get(spk)
                    .ok_or_else(|| Error::UnknownSpeaker(spk.to_string()))?;
                centres.insert(spk, self.centre_of(m));
            }
            for (v, m) in row.iter_mut().zip(&centres[spk]) {
                *v = (f64::from(*v) - m) as f32;
            }
        }
        Ok(())
    }

    /// Fits on the speakers of a training table (each speaker's moments over its rows).
    pub fn fit_rows(x: ArrayView2<f32>, speakers: &[String]) -> Result<Self> {
        check_matrix("X", x)?;
        let moments = SpeakerMoments::by_speaker(x, speakers, 0..x.nrows())?;
        Self::fit(&moments.values().collect::<Vec<_>>())
    }

    /// The centre of a speaker with these moments (its mean shrunk toward the average).
    pub fn centre_of(&self, m: &SpeakerMoments) -> Vec<f64> {
        let n = m.n.max(1) as f64;
        (0..self.average.len())
            .map(|j| {
                let w = self.within[j] / n;
                let weight = match &self.between {
                    Some(b) if b[j] + w > 0.0 => b[j] / (b[j] + w),
                    _ => 1.0,
                };
                self.average[j] + weight * (m.mean[j] - self.average[j])
            })
            .collect()
    }
}

fn check_speakers(x: ArrayView2<f32>, speakers: &[String]) -> Result<()> {
    if speakers.len() != x.nrows() {
        return Err(Error::Length {
            what: "speaker ids (one per row of X)",
            expected: x.nrows(),
            found: speakers.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    fn moments(mean: &[f64], var: &[f64], n: usize) -> SpeakerMoments {
        SpeakerMoments {
            mean: mean.to_vec(),
            var: var.to_vec(),
            n,
        }
    }

    /// Column 0: speakers far apart against their noise, so a speaker keeps (almost) its own
    /// mean; column 1: speaker means no further apart than their noise explains, so every
    /// speaker is centred on the average; fewer utterances shrink more; one speaker is its own
    /// centre.
    #[test]
    fn shrunk_centring_follows_the_spread_of_the_speakers() {
        let a = moments(&[-10.0, 0.1], &[1.0, 1.0], 10);
        let b = moments(&[10.0, -0.1], &[1.0, 1.0], 10);
        let c = ShrunkCentring::fit(&[&a, &b]).unwrap();
        // column 0: spread = 200, noise = 0.1, b² = 199.9, w² / n = 0.1
        let own = c.centre_of(&moments(&[4.0, 0.3], &[1.0, 1.0], 10));
        let w0 = 199.9 / (199.9 + 0.1);
        assert!((own[0] - 4.0 * w0).abs() < 1e-12, "{own:?}");
        // column 1: spread 0.02 < noise 0.1: no spread left, the average (0)
        assert_eq!(own[1], 0.0);
        let few = c.centre_of(&moments(&[4.0, 0.3], &[1.0, 1.0], 1));
        let w1 = 199.9 / (199.9 + 1.0);
        assert!((few[0] - 4.0 * w1).abs() < 1e-12);
        assert!(few[0] < own[0]);
        let alone = ShrunkCentring::fit(&[&a]).unwrap();
        assert_eq!(alone.centre_of(&b), b.mean);
        assert!(ShrunkCentring::fit(&[]).is_err());
        assert!(ShrunkCentring::fit(&[&a, &moments(&[1.0], &[1.0], 3)]).is_err());
        // moments of rows: mean and population variance
        let x = ndarray::array![[1.0f32, 2.0], [3.0, 2.0], [5.0, 2.0]];
        let m = SpeakerMoments::of_rows(x.view(), &[0, 2]).unwrap();
        assert_eq!(
            (m.mean.clone(), m.var.clone(), m.n),
            (vec![3.0, 2.0], vec![4.0, 0.0], 2)
        );
        assert!(SpeakerMoments::of_rows(x.view(), &[]).is_err());
    }

    use super::*;
    use ndarray::array;

    #[test]
    fn normal_quantile_matches_scipy() {
        // scipy.stats.norm.ppf
        for (p, z) in [
            (0.975, 1.959_963_98),
            (0.001, -3.090_232_31),
            (0.3, -0.524_400_51),
            (0.5, 0.0),
            (1e-7, -5.199_337_58),
        ] {
            assert!(
                (normal_quantile(p) - z).abs() < 1e-7,
                "{p}: {}",
                normal_quantile(p)
            );
        }
    }

    #[test]
    fn quantile_scaler_matches_sklearn() {
        // sklearn QuantileTransformer(n_quantiles=5, output_distribution="normal") on this
        // column gives [-5.19933758, -0.31863936, 0.67448975, 5.19933758, -0.31863936] and maps
        // [0, 2.5, 50] to [-5.19933758, 0.31863936, 5.19933758]; ours then standardises with
        // the training rows' mean and std of those values.
        let x = array![[1.0f32], [2.0], [3.0], [10.0], [2.0]];
        let fitted = ScalerSpec::Quantile.fit(x.view()).expect("fit");
        let g = [
            -5.199_337_58,
            -0.318_639_36,
            0.674_489_75,
            5.199_337_58,
            -0.318_639_36,
        ];
        let mean = g.iter().sum::<f64>() / 5.0;
        let sd = (g.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 5.0).sqrt();
        let t = fitted.transform(x.view()).expect("transform");
        for (a, b) in t.iter().zip(g) {
            assert!((f64::from(*a) - (b - mean) / sd).abs() < 1e-5, "{a} vs {b}");
        }
        let t = fitted
            .transform(array![[0.0f32], [2.5], [50.0]].view())
            .expect("transform");
        for (a, b) in t.iter().zip([-5.199_337_58, 0.318_639_36, 5.199_337_58]) {
            assert!((f64::from(*a) - (b - mean) / sd).abs() < 1e-5, "{a} vs {b}");
        }
        // Round trip through serde keeps the tables.
        let json = serde_json::to_string(&fitted).expect("ser");
        let back: FittedScaler = serde_json::from_str(&json).expect("de");
        assert_eq!(back, fitted);
    }

    #[test]
    fn quantile_scaler_is_monotone_and_bounded() {
        let x = Array2::from_shape_fn((50, 1), |(i, _)| ((i * 37) % 50) as f32 * 0.1);
        let fitted = ScalerSpec::Quantile.fit(x.view()).expect("fit");
        let probe = Array2::from_shape_fn((200, 1), |(i, _)| i as f32 * 0.05 - 2.0);
        let t = fitted.transform(probe.view()).expect("transform");
        let col: Vec<f32> = t.column(0).to_vec();
        assert!(col.windows(2).all(|w| w[0] <= w[1]));
        assert!(col.iter().all(|v| v.is_finite() && v.abs() < 10.0));
    }
}
