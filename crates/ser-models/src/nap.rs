//! Speaker-direction removal in front of a classifier (nuisance attribute projection, NAP).
//!
//! With training-speaker scaling, a test speaker's features carry an offset of its own (voice
//! pitch, loudness, timbre) that the classifier has never seen. NAP, from speaker and language
//! recognition (Solomonoff, Campbell and Boardman, "Advances in channel compensation for SVM
//! speaker recognition", ICASSP 2005), estimates the directions along which the *training*
//! speakers differ and projects them out of every row, training and test alike:
//!
//! 1. the emotion effect is taken out first: `r_i = x_i − m_{y_i}`, with `m_c` the mean of the
//!    training rows of class `c`, so that a speaker's unequal mix of emotions does not become
//!    part of its offset;
//! 2. each training speaker's offset is the mean of its residuals, `o_s = mean_{i∈s} r_i`, and the
//!    offsets are centred over the speakers (each speaker weighs the same);
//! 3. the `k` principal directions `U` (`d × k`, orthonormal) of the centred offsets are the
//!    eigenvectors of their `S × S` Gram matrix mapped back to feature space (at most `S − 1`
//!    of them; directions whose variance is below 1e-9 of the largest are dropped);
//! 4. every row becomes `x − (x U) Uᵀ`, and the model is fitted on (and predicts) those rows.
//!
//! Only the training rows and their speaker ids ([`FitOptions::groups`]) are used, so a model
//! with NAP predicts a new speaker from its utterances alone, with no statistics of that
//! speaker. With one training speaker there is nothing to estimate and no direction is removed.
//!
//! Meant for rows scaled with training statistics only. After per-speaker (or enrolment)
//! standardisation every speaker's mean is zero, so what still differs between speakers' mean
//! residuals is their mix of emotions, and the projection removes emotion directions: on EMO-DB
//! (LOSO, per-speaker protocol) it took logistic regression from 0.89 to 0.33 UAR. A nested
//! search that offers both sees this on its inner folds and does not choose it (README).
//!
//! Written here: no dependency of this crate has a symmetric eigen-solver, and the Gram matrix
//! is small (one row per training speaker), so a cyclic Jacobi sweep is exact and fast enough.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::data::{FitOptions, check_features, check_train, param_err};
use crate::ensemble::fitted_wrapper;
use crate::{Checked, Classifier, Error, FittedClassifier, FittedModel, ModelSpec, Result};

/// How many between-speaker directions [`SpeakerProjectionParams`] removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Directions {
    /// At most this many (fewer when the training speakers span fewer).
    Count(usize),
    /// `"all"`: every direction the training speakers span (`S − 1` for `S` speakers).
    All(AllTag),
}

/// The string `"all"` of [`Directions::All`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllTag {
    All,
}

impl Directions {
    /// The largest number of directions kept for `speakers` training speakers.
    fn limit(self, speakers: usize) -> usize {
        let span = speakers.saturating_sub(1);
        match self {
            Directions::Count(k) => k.min(span),
            Directions::All(_) => span,
        }
    }
}

/// Nuisance attribute projection (see the module docs), then `model`.
///
/// | name | default | range | meaning |
/// |---|---|---|---|
/// | `directions` | `"all"` | `"all"` or >= 1 | between-speaker directions removed (at most training speakers − 1) |
/// | `model` | required | any [`ModelSpec`] | classifier fitted on the projected rows |
///
/// Fitting needs the speaker of every training row ([`FitOptions::groups`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpeakerProjectionParams {
    #[serde(default = "all_directions")]
    pub directions: Directions,
    pub model: Box<ModelSpec>,
}

fn all_directions() -> Directions {
    Directions::All(AllTag::All)
}

/// A fitted [`SpeakerProjectionParams`]: the removed directions and the model fitted on the
/// projected rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeakerProjectionModel {
    n_features: usize,
    /// Orthonormal directions removed, one row of `n_features` each (may be empty).
    directions: Vec<Vec<f32>>,
    model: FittedModel,
}

impl SpeakerProjectionModel {
    /// The removed directions (unit vectors in feature space, mutually orthogonal).
    pub fn directions(&self) -> &[Vec<f32>] {
        &self.directions
    }

    fn project(&self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        check_features(x, self.n_features)?;
        Ok(project_out(x, &self.directions))
    }
}

/// `x − (x U) Uᵀ` for the rows `U` of `directions` (orthonormal), accumulated in f64.
fn project_out(x: ArrayView2<f32>, directions: &[Vec<f32>]) -> Array2<f32> {
    let mut out = x.to_owned();
    if directions.is_empty() {
        return out;
    }
    let mut coef = vec![0.0f64; directions.len()];
    for mut row in out.rows_mut() {
        for (c, u) in coef.iter_mut().zip(directions) {
            *c = row
                .iter()
                .zip(u)
                .map(|(&v, &w)| f64::from(v) * f64::from(w))
                .sum();
        }
        for (j, v) in row.iter_mut().enumerate() {
            let along: f64 = coef
                .iter()
                .zip(directions)
                .map(|(c, u)| c * f64::from(u[j]))
                .sum();
            *v = (f64::from(*v) - along) as f32;
        }
    }
    out
}

/// The between-speaker directions of the training rows (module docs, steps 1–3), as many as
/// `wanted` allows, largest variance first.
fn speaker_directions(
    x: ArrayView2<f32>,
    y: &[usize],
    n_classes: usize,
    groups: &[String],
    wanted: Directions,
) -> Vec<Vec<f32>> {
    let (n, d) = x.dim();
    // class means
    let mut class_sum = vec![0.0f64; n_classes * d];
    let mut class_n = vec![0usize; n_classes];
    for (row, &c) in x.rows().into_iter().zip(y) {
        class_n[c] += 1;
        for (s, &v) in class_sum[c * d..(c + 1) * d].iter_mut().zip(row) {
            *s += f64::from(v);
        }
    }
    for c in 0..n_classes {
        if class_n[c] > 0 {
            let inv = 1.0 / class_n[c] as f64;
            class_sum[c * d..(c + 1) * d]
                .iter_mut()
                .for_each(|s| *s *= inv);
        }
    }
    // speakers' mean residuals, in sorted speaker order
    let mut names: Vec<&String> = groups.iter().collect();
    names.sort();
    names.dedup();
    let s_count = names.len();
    let limit = wanted.limit(s_count);
    if limit == 0 {
        return Vec::new();
    }
    let mut offsets = vec![0.0f64; s_count * d];
    let mut rows_of = vec![0usize; s_count];
    for i in 0..n {
        let s = names.binary_search(&&groups[i]).unwrap_or(0);
        rows_of[s] += 1;
        let m = &class_sum[y[i] * d..(y[i] + 1) * d];
        for ((o, &v), mc) in offsets[s * d..(s + 1) * d].iter_mut().zip(x.row(i)).zip(m) {
            *o += f64::from(v) - mc;
        }
    }
    for s in 0..s_count {
        let inv = 1.0 / rows_of[s].max(1) as f64;
        offsets[s * d..(s + 1) * d]
            .iter_mut()
            .for_each(|o| *o *= inv);
    }
    // centre over the speakers
    for j in 0..d {
        let mean = (0..s_count).map(|s| offsets[s * d + j]).sum::<f64>() / s_count as f64;
        for s in 0..s_count {
            offsets[s * d + j] -= mean;
        }
    }
    // Gram matrix of the centred offsets and its eigenvectors
    let mut gram = vec![0.0f64; s_count * s_count];
    for a in 0..s_count {
        for b in a..s_count {
            let g: f64 = offsets[a * d..(a + 1) * d]
                .iter()
                .zip(&offsets[b * d..(b + 1) * d])
                .map(|(p, q)| p * q)
                .sum();
            gram[a * s_count + b] = g;
            gram[b * s_count + a] = g;
        }
    }
    let (values, vectors) = symmetric_eigen(&gram, s_count);
    let top = values.first().copied().unwrap_or(0.0);
    let mut out = Vec::new();
    for (k, &lambda) in values.iter().enumerate() {
        if out.len() == limit || lambda.is_nan() || lambda <= 1e-9 * top || lambda <= 0.0 {
            break;
        }
        // u = offsetsᵀ v / sqrt(lambda): unit length since |offsetsᵀ v|² = vᵀ G v = lambda
        let scale = 1.0 / lambda.sqrt();
        let u: Vec<f32> = (0..d)
            .map(|j| {
                let dot: f64 = (0..s_count)
                    .map(|s| offsets[s * d + j] * vectors[s * s_count + k])
                    .sum();
                (dot * scale) as f32
            })
            .collect();
        out.push(u);
    }
    out
}

/// Eigenvalues (descending) and eigenvectors (column `k` of the row-major `n × n` result belongs
/// to value `k`) of the symmetric row-major `n × n` matrix `a`, by cyclic Jacobi rotations.
fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut m = a.to_vec();
    let mut v = vec![0.0f64; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    let scale: f64 = m.iter().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j] * m[i * n + j])
            .sum::<f64>()
            .sqrt();
        if off <= 1e-15 * scale || scale == 0.0 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq.abs() <= 1e-300 {
                    continue;
                }
                let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (mkp, mkq) = (m[k * n + p], m[k * n + q]);
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[p * n + k], m[q * n + k]);
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| m[j * n + j].total_cmp(&m[i * n + i]).then(i.cmp(&j)));
    let values = order.iter().map(|&i| m[i * n + i]).collect();
    let mut vectors = vec![0.0f64; n * n];
    for (k, &i) in order.iter().enumerate() {
        for r in 0..n {
            vectors[r * n + k] = v[r * n + i];
        }
    }
    (values, vectors)
}

impl Classifier for SpeakerProjectionParams {
    type Fitted = SpeakerProjectionModel;
    const KIND: &'static str = "speaker_projection";

    fn validate(&self) -> Result<()> {
        if self.directions == Directions::Count(0) {
            return Err(param_err(
                "speaker_projection.directions",
                "\"all\" or >= 1",
                0,
            ));
        }
        self.model.check()
    }

    fn fit(
        p: Checked<'_, Self>,
        x: ArrayView2<f32>,
        y: &[usize],
        n_classes: usize,
        opts: &FitOptions,
    ) -> Result<SpeakerProjectionModel> {
        check_train(x, y, n_classes)?;
        let groups = opts.groups.as_ref().ok_or(Error::SpeakersRequired)?;
        if groups.len() != x.nrows() {
            return Err(Error::Length {
                what: "speaker ids (one per training row)",
                expected: x.nrows(),
                found: groups.len(),
            });
        }
        let directions = speaker_directions(x, y, n_classes, groups, p.directions);
        let xp = project_out(x, &directions);
        let model = p.model.fit(xp.view(), y, n_classes, opts)?;
        Ok(SpeakerProjectionModel {
            n_features: x.ncols(),
            directions,
            model,
        })
    }
}

fitted_wrapper!(SpeakerProjectionModel, "speaker_projection");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LogisticParams;

    /// Uniform noise in [-0.5, 0.5) from a linear congruential generator.
    fn noise(state: &mut u32) -> f32 {
        *state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (*state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
    }

    #[test]
    fn jacobi_gives_the_eigenpairs_largest_first() {
        let n = 7;
        let mut s = 3u32;
        let mut a = vec![0.0f64; n * n];
        for i in 0..n {
            for j in i..n {
                let v = f64::from(noise(&mut s)) * 4.0;
                a[i * n + j] = v;
                a[j * n + i] = v;
            }
        }
        let (values, vectors) = symmetric_eigen(&a, n);
        assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
        for k in 0..n {
            for i in 0..n {
                let av: f64 = (0..n).map(|j| a[i * n + j] * vectors[j * n + k]).sum();
                assert!(
                    (av - values[k] * vectors[i * n + k]).abs() < 1e-10,
                    "pair {k}"
                );
            }
            for l in 0..n {
                let dot: f64 = (0..n)
                    .map(|r| vectors[r * n + k] * vectors[r * n + l])
                    .sum();
                let want = if k == l { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-12, "{k} {l} {dot}");
            }
        }
        // traces agree (the sum of the eigenvalues)
        let trace: f64 = (0..n).map(|i| a[i * n + i]).sum();
        assert!((values.iter().sum::<f64>() - trace).abs() < 1e-10);
    }

    /// Three emotions along feature 0, speakers shifted along (1, 1, 0, ..)/√2 with a skewed
    /// mix of emotions each; a test speaker far outside the training speakers' range.
    fn speakers_and_emotions(offsets: &[f32], seed: u32) -> (Array2<f32>, Vec<usize>, Vec<String>) {
        let d = 6;
        let per = 30;
        let mut s = seed;
        let mut x = Array2::<f32>::zeros((offsets.len() * per, d));
        let (mut y, mut g) = (Vec::new(), Vec::new());
        let h = std::f32::consts::FRAC_1_SQRT_2;
        for (si, &o) in offsets.iter().enumerate() {
            for r in 0..per {
                let i = si * per + r;
                // speaker si favours class si % 3: half its rows
                let c = if r < per / 2 { si % 3 } else { r % 3 };
                y.push(c);
                g.push(format!("spk{si}"));
                for j in 0..d {
                    x[[i, j]] = 0.3 * noise(&mut s);
                }
                x[[i, 0]] += c as f32 - 1.0;
                x[[i, 0]] += o * h;
                x[[i, 1]] += o * h;
            }
        }
        (x, y, g)
    }

    fn nap(directions: Directions) -> ModelSpec {
        ModelSpec::SpeakerProjection(SpeakerProjectionParams {
            directions,
            model: Box::new(ModelSpec::LogisticRegression(LogisticParams::default())),
        })
    }

    fn projection(m: &FittedModel) -> &SpeakerProjectionModel {
        m.fitted()
            .as_any()
            .downcast_ref::<SpeakerProjectionModel>()
            .expect("a speaker projection")
    }

    fn accuracy(pred: &[usize], y: &[usize]) -> f64 {
        pred.iter().zip(y).filter(|(p, t)| p == t).count() as f64 / y.len() as f64
    }

    /// The removed direction is the speakers' (not the emotions', despite each speaker's skewed
    /// mix of emotions), and removing it rescues a test speaker whose offset the training
    /// speakers never had; the plain model on the same rows puts that speaker in one class.
    #[test]
    fn removes_the_speaker_direction_and_keeps_the_emotions() {
        let (x, y, g) = speakers_and_emotions(&[-0.5, -0.25, 0.0, 0.25, 0.5], 5);
        let (xt, yt, _) = speakers_and_emotions(&[3.0], 9);
        let opts = FitOptions {
            groups: Some(g.clone()),
            ..FitOptions::default()
        };
        let with = nap(Directions::All(AllTag::All))
            .fit(x.view(), &y, 3, &opts)
            .unwrap();
        let fitted = projection(&with);
        // five speakers span at most four directions; the first is the shift's
        assert!(!fitted.directions().is_empty() && fitted.directions().len() <= 4);
        let u = &fitted.directions()[0];
        let h = std::f32::consts::FRAC_1_SQRT_2;
        let cos = (u[0] * h + u[1] * h).abs();
        assert!(cos > 0.99, "first direction {u:?}");
        for a in fitted.directions() {
            for b in fitted.directions() {
                let dot: f32 = a.iter().zip(b).map(|(p, q)| p * q).sum();
                let want = if std::ptr::eq(a, b) { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-5);
            }
        }
        let plain = ModelSpec::LogisticRegression(LogisticParams::default())
            .fit(x.view(), &y, 3, &opts)
            .unwrap();
        let acc_with = accuracy(&with.predict(xt.view()).unwrap(), &yt);
        let acc_plain = accuracy(&plain.predict(xt.view()).unwrap(), &yt);
        assert!(acc_with > 0.9, "with NAP {acc_with}");
        assert!(acc_plain < 0.6, "without NAP {acc_plain}");
        // one direction asked for: the same first direction
        let one = nap(Directions::Count(1))
            .fit(x.view(), &y, 3, &opts)
            .unwrap();
        let one = projection(&one);
        assert_eq!(one.directions().len(), 1);
        assert_eq!(one.directions()[0], fitted.directions()[0]);
        // the fitted model round-trips through JSON and predicts the same
        let back: FittedModel =
            serde_json::from_str(&serde_json::to_string(&with).unwrap()).unwrap();
        assert_eq!(back, with);
        assert_eq!(
            back.predict_proba(xt.view()).unwrap(),
            with.predict_proba(xt.view()).unwrap()
        );
    }

    #[test]
    fn needs_speakers_and_is_the_identity_with_one() {
        let (x, y, g) = speakers_and_emotions(&[1.0], 1);
        let spec = nap(Directions::All(AllTag::All));
        let e = spec
            .fit(x.view(), &y, 3, &FitOptions::default())
            .unwrap_err();
        assert!(matches!(e, Error::SpeakersRequired), "{e}");
        let short = FitOptions {
            groups: Some(g[1..].to_vec()),
            ..FitOptions::default()
        };
        assert!(spec.fit(x.view(), &y, 3, &short).is_err());
        let opts = FitOptions {
            groups: Some(g),
            ..FitOptions::default()
        };
        let m = spec.fit(x.view(), &y, 3, &opts).unwrap();
        let fitted = projection(&m);
        assert!(fitted.directions().is_empty());
        let plain = ModelSpec::LogisticRegression(LogisticParams::default())
            .fit(x.view(), &y, 3, &opts)
            .unwrap();
        assert_eq!(
            m.predict_proba(x.view()).unwrap(),
            plain.predict_proba(x.view()).unwrap()
        );
        assert!(nap(Directions::Count(0)).check().is_err());
        let narrow = x.select(ndarray::Axis(1), &[0, 1, 2, 3, 4]);
        assert!(m.predict(narrow.view()).is_err());
    }

    #[test]
    fn directions_parse_as_all_or_a_count() {
        let all: SpeakerProjectionParams = serde_json::from_str(
            r#"{"directions": "all", "model": {"kind": "logistic_regression"}}"#,
        )
        .unwrap();
        assert_eq!(all.directions, Directions::All(AllTag::All));
        let three: SpeakerProjectionParams =
            serde_json::from_str(r#"{"directions": 3, "model": {"kind": "logistic_regression"}}"#)
                .unwrap();
        assert_eq!(three.directions, Directions::Count(3));
        let default: SpeakerProjectionParams =
            serde_json::from_str(r#"{"model": {"kind": "logistic_regression"}}"#).unwrap();
        assert_eq!(default.directions, Directions::All(AllTag::All));
        assert!(
            serde_json::from_str::<SpeakerProjectionParams>(
                r#"{"directions": "some", "model": {"kind": "logistic_regression"}}"#
            )
            .is_err()
        );
    }
}
