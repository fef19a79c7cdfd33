//! Global statistics over one descriptor track (a column of frame values).
//!
//! Conventions (the numpy / scipy ones of `../shared/reference/global_statistics.json`):
//!
//! | statistic | definition |
//! |---|---|
//! | `mean` | arithmetic mean |
//! | `median` | 0.5 quantile, linear interpolation |
//! | `std` | population standard deviation (ddof = 0) |
//! | `kurtosis` | excess (Fisher) kurtosis, biased: m4 / m2² − 3 |
//! | `skewness` | biased: m3 / m2^1.5 |
//! | `p01`, `p99` | 1st / 99th percentile, linear interpolation between order statistics (numpy `method="linear"`: index q·(n−1)) |
//! | `min`, `max`, `range` | range = max − min |
//! | `q1`, `q3`, `iqr` | 25th / 75th percentile (linear), iqr = q3 − q1 |
//! | `slope` | least-squares slope of value against time, **in units per second** (frame `i` is at `i · hop_s`), so it does not depend on the hop |
//! | `p20`, `p80`, `range_20_80`, `range_01_99` | 20th / 80th percentile (linear), p80 − p20, p99 − p01 |
//! | `lin_offset`, `lin_error` | the least-squares line `x ≈ slope · t + lin_offset` (t in s from the utterance start; `lin_offset` is its value at t = 0), and its mean squared error |
//! | `quad_a`, `quad_b`, `quad_c`, `quad_error` | the least-squares parabola `x ≈ a t² + b t + c` (t in s; units/s², units/s, units) and its mean squared error |
//! | `rise_time`, `fall_time` | fraction of consecutive value pairs that rise (`x_i > x_{i−1}`) / fall (`x_i < x_{i−1}`), out of n − 1 |
//! | `up_level_25`, `_50`, `_75`, `_90` | fraction of values above `min + p · (max − min)`, p = 0.25, 0.5, 0.75, 0.9 |
//! | `peak_rate`, `peak_dist_mean`, `peak_mean_rel` | peaks = values above the mean that exceed the previous value and are not below the next; peaks per second (n · hop_s seconds), mean time between consecutive peaks (s), mean of the peaks − arithmetic mean |
//! | `seg_len_mean`, `seg_len_std` | runs of consecutive values above the mean: mean and population std of their durations (frames · hop_s, s) |
//!
//! With a voiced-frames mask, "consecutive" means consecutive among the selected frames, and
//! times are the frames' own times.
//!
//! Edge cases are defined so that every statistic is finite:
//! * non-finite values (NaN, ±inf) in a track are ignored;
//! * an empty track (e.g. the voiced-only view of a silent file) gives 0 for every statistic;
//! * a constant track (or a single frame) gives std = kurtosis = skewness = slope = 0;
//!   like scipy, a variance below (ε·mean)² counts as constant.
//!
//! Central moments are accumulated in one pass over the deviations from the mean (d², d³, d⁴ by
//! multiplication); the unit tests check them against `ndarray-stats`'
//! `SummaryStatisticsExt::central_moments`, which was used here before and spent most of its
//! time in `powi` and a temporary array. The order statistics are read from integer keys that
//! order like `f64::total_cmp` (so comparisons are integer ones), of which only the ranks the
//! quantiles read are put in place, by selection rather than a full sort (the same values: the
//! unit tests compare them bit for bit with a sort); the unit tests also check the quantiles
//! against `ndarray-stats`' `Quantile1dExt::quantile_mut` with `interpolate::Linear`.

use std::str::FromStr;

use ndarray::ArrayView1;
use serde::{Deserialize, Serialize};

/// One global statistic of a descriptor track. The string form (`as_str`) is used in feature names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    Mean,
    Median,
    Std,
    Kurtosis,
    Skewness,
    P01,
    P99,
    Min,
    Max,
    Range,
    Q1,
    Q3,
    Iqr,
    /// Linear-regression slope in units per second.
    Slope,
    /// 20th percentile.
    P20,
    /// 80th percentile.
    P80,
    /// p80 − p20.
    #[serde(rename = "range_20_80")]
    Range2080,
    /// p99 − p01.
    #[serde(rename = "range_01_99")]
    Range0199,
    /// Value of the least-squares line at t = 0 (utterance start).
    LinOffset,
    /// Mean squared error of the least-squares line.
    LinError,
    /// Quadratic coefficient of the least-squares parabola (units / s²).
    QuadA,
    /// Linear coefficient of the least-squares parabola (units / s).
    QuadB,
    /// Constant of the least-squares parabola (value at t = 0).
    QuadC,
    /// Mean squared error of the least-squares parabola.
    QuadError,
    /// Fraction of consecutive pairs that rise.
    RiseTime,
    /// Fraction of consecutive pairs that fall.
    FallTime,
    /// Fraction of values above 25 % of the range.
    #[serde(rename = "up_level_25")]
    UpLevel25,
    /// Fraction of values above 50 % of the range.
    #[serde(rename = "up_level_50")]
    UpLevel50,
    /// Fraction of values above 75 % of the range.
    #[serde(rename = "up_level_75")]
    UpLevel75,
    /// Fraction of values above 90 % of the range.
    #[serde(rename = "up_level_90")]
    UpLevel90,
    /// Peaks per second.
    PeakRate,
    /// Mean time between consecutive peaks (s).
    PeakDistMean,
    /// Mean of the peak values minus the arithmetic mean.
    PeakMeanRel,
    /// Mean duration of the runs above the mean (s).
    SegLenMean,
    /// Population std of the durations of the runs above the mean (s).
    SegLenStd,
}

impl Statistic {
    /// The 14 basic statistics, in a fixed order (the `default` set's voice tracks get all of
    /// them; the fuller functionals are in [`Statistic::FUNCTIONALS`]).
    pub const ALL: [Statistic; 14] = [
        Statistic::Mean,
        Statistic::Median,
        Statistic::Std,
        Statistic::Kurtosis,
        Statistic::Skewness,
        Statistic::P01,
        Statistic::P99,
        Statistic::Min,
        Statistic::Max,
        Statistic::Range,
        Statistic::Q1,
        Statistic::Q3,
        Statistic::Iqr,
        Statistic::Slope,
    ];

    /// The fuller functionals (percentile ranges, regressions, rise / fall, up-level times, peaks,
    /// segments), in a fixed order.
    pub const FUNCTIONALS: [Statistic; 21] = [
        Statistic::P20,
        Statistic::P80,
        Statistic::Range2080,
        Statistic::Range0199,
        Statistic::LinOffset,
        Statistic::LinError,
        Statistic::QuadA,
        Statistic::QuadB,
        Statistic::QuadC,
        Statistic::QuadError,
        Statistic::RiseTime,
        Statistic::FallTime,
        Statistic::UpLevel25,
        Statistic::UpLevel50,
        Statistic::UpLevel75,
        Statistic::UpLevel90,
        Statistic::PeakRate,
        Statistic::PeakDistMean,
        Statistic::PeakMeanRel,
        Statistic::SegLenMean,
        Statistic::SegLenStd,
    ];

    /// The ten statistics of the classic pyAudioAnalysis-style pipeline (and of the reference file).
    pub const CLASSIC: [Statistic; 10] = [
        Statistic::Mean,
        Statistic::Median,
        Statistic::Std,
        Statistic::Kurtosis,
        Statistic::Skewness,
        Statistic::P01,
        Statistic::P99,
        Statistic::Min,
        Statistic::Max,
        Statistic::Range,
    ];

    /// Lower snake-case name used in feature names (`mfcc_3_delta_p99`).
    pub fn as_str(self) -> &'static str {
        match self {
            Statistic::Mean => "mean",
            Statistic::Median => "median",
            Statistic::Std => "std",
            Statistic::Kurtosis => "kurtosis",
            Statistic::Skewness => "skewness",
            Statistic::P01 => "p01",
            Statistic::P99 => "p99",
            Statistic::Min => "min",
            Statistic::Max => "max",
            Statistic::Range => "range",
            Statistic::Q1 => "q1",
            Statistic::Q3 => "q3",
            Statistic::Iqr => "iqr",
            Statistic::Slope => "slope",
            Statistic::P20 => "p20",
            Statistic::P80 => "p80",
            Statistic::Range2080 => "range_20_80",
            Statistic::Range0199 => "range_01_99",
            Statistic::LinOffset => "lin_offset",
            Statistic::LinError => "lin_error",
            Statistic::QuadA => "quad_a",
            Statistic::QuadB => "quad_b",
            Statistic::QuadC => "quad_c",
            Statistic::QuadError => "quad_error",
            Statistic::RiseTime => "rise_time",
            Statistic::FallTime => "fall_time",
            Statistic::UpLevel25 => "up_level_25",
            Statistic::UpLevel50 => "up_level_50",
            Statistic::UpLevel75 => "up_level_75",
            Statistic::UpLevel90 => "up_level_90",
            Statistic::PeakRate => "peak_rate",
            Statistic::PeakDistMean => "peak_dist_mean",
            Statistic::PeakMeanRel => "peak_mean_rel",
            Statistic::SegLenMean => "seg_len_mean",
            Statistic::SegLenStd => "seg_len_std",
        }
    }

    /// The quantiles the statistic reads (order statistics: a selection over the track), as bits
    /// over [`QUANTILES`].
    fn quantiles(self) -> u8 {
        match self {
            Statistic::P01 => 1 << 0,
            Statistic::P20 => 1 << 1,
            Statistic::Q1 => 1 << 2,
            Statistic::Median => 1 << 3,
            Statistic::Q3 => 1 << 4,
            Statistic::P80 => 1 << 5,
            Statistic::P99 => 1 << 6,
            Statistic::Iqr => (1 << 2) | (1 << 4),
            Statistic::Range2080 => (1 << 1) | (1 << 5),
            Statistic::Range0199 => (1 << 0) | (1 << 6),
            _ => 0,
        }
    }

    /// True when the statistic reads the frames' times (regressions, peaks).
    fn needs_times(self) -> bool {
        matches!(
            self,
            Statistic::Slope | Statistic::LinOffset | Statistic::LinError | Statistic::PeakDistMean
        ) || self.needs_quadratic()
    }

    /// True when the statistic needs the linear regression.
    fn needs_linear(self) -> bool {
        matches!(
            self,
            Statistic::Slope | Statistic::LinOffset | Statistic::LinError
        )
    }

    /// True when the statistic needs the quadratic regression.
    fn needs_quadratic(self) -> bool {
        matches!(
            self,
            Statistic::QuadA | Statistic::QuadB | Statistic::QuadC | Statistic::QuadError
        )
    }

    /// True when the statistic comes from the shape pass (rise / fall, levels, peaks, segments).
    fn needs_shape(self) -> bool {
        matches!(
            self,
            Statistic::RiseTime
                | Statistic::FallTime
                | Statistic::UpLevel25
                | Statistic::UpLevel50
                | Statistic::UpLevel75
                | Statistic::UpLevel90
                | Statistic::PeakRate
                | Statistic::PeakDistMean
                | Statistic::PeakMeanRel
                | Statistic::SegLenMean
                | Statistic::SegLenStd
        )
    }

    /// True when the statistic needs the central moments.
    fn needs_moments(self) -> bool {
        matches!(
            self,
            Statistic::Std | Statistic::Kurtosis | Statistic::Skewness
        )
    }
}

impl std::fmt::Display for Statistic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Statistic {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        let every = || Statistic::ALL.into_iter().chain(Statistic::FUNCTIONALS);
        every()
            .find(|st| st.as_str() == s.trim())
            .ok_or_else(|| crate::Error::Param {
                name: "statistic",
                expected: format!(
                    "one of {}",
                    every()
                        .map(Statistic::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                found: format!("{s:?}"),
            })
    }
}

/// All statistics of one track (see the module docs for the conventions).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub median: f64,
    pub std: f64,
    pub kurtosis: f64,
    pub skewness: f64,
    pub p01: f64,
    pub p99: f64,
    pub min: f64,
    pub max: f64,
    pub q1: f64,
    pub q3: f64,
    /// Units per second.
    pub slope: f64,
    pub p20: f64,
    pub p80: f64,
    /// Value of the least-squares line at t = 0.
    pub lin_offset: f64,
    /// Mean squared error of the least-squares line.
    pub lin_error: f64,
    /// Least-squares parabola `a t² + b t + c` (t in s).
    pub quad_a: f64,
    pub quad_b: f64,
    pub quad_c: f64,
    /// Mean squared error of the parabola.
    pub quad_error: f64,
    pub rise_time: f64,
    pub fall_time: f64,
    /// Fractions above 25, 50, 75, 90 % of the range.
    pub up_level: [f64; 4],
    pub peak_rate: f64,
    pub peak_dist_mean: f64,
    pub peak_mean_rel: f64,
    pub seg_len_mean: f64,
    pub seg_len_std: f64,
}

impl Summary {
    /// The value of one statistic.
    pub fn get(&self, statistic: Statistic) -> f64 {
        match statistic {
            Statistic::Mean => self.mean,
            Statistic::Median => self.median,
            Statistic::Std => self.std,
            Statistic::Kurtosis => self.kurtosis,
            Statistic::Skewness => self.skewness,
            Statistic::P01 => self.p01,
            Statistic::P99 => self.p99,
            Statistic::Min => self.min,
            Statistic::Max => self.max,
            Statistic::Range => self.max - self.min,
            Statistic::Q1 => self.q1,
            Statistic::Q3 => self.q3,
            Statistic::Iqr => self.q3 - self.q1,
            Statistic::Slope => self.slope,
            Statistic::P20 => self.p20,
            Statistic::P80 => self.p80,
            Statistic::Range2080 => self.p80 - self.p20,
            Statistic::Range0199 => self.p99 - self.p01,
            Statistic::LinOffset => self.lin_offset,
            Statistic::LinError => self.lin_error,
            Statistic::QuadA => self.quad_a,
            Statistic::QuadB => self.quad_b,
            Statistic::QuadC => self.quad_c,
            Statistic::QuadError => self.quad_error,
            Statistic::RiseTime => self.rise_time,
            Statistic::FallTime => self.fall_time,
            Statistic::UpLevel25 => self.up_level[0],
            Statistic::UpLevel50 => self.up_level[1],
            Statistic::UpLevel75 => self.up_level[2],
            Statistic::UpLevel90 => self.up_level[3],
            Statistic::PeakRate => self.peak_rate,
            Statistic::PeakDistMean => self.peak_dist_mean,
            Statistic::PeakMeanRel => self.peak_mean_rel,
            Statistic::SegLenMean => self.seg_len_mean,
            Statistic::SegLenStd => self.seg_len_std,
        }
    }
}

/// Quantile `q` in [0, 1] of an ascending slice, numpy `method="linear"` (index q·(n−1)).
/// Returns 0 for an empty slice.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return 0.0;
    }
    let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    let (a, b) = (sorted[lo.min(n - 1)], sorted[hi.min(n - 1)]);
    if lo == hi { a } else { a + (b - a) * frac }
}

/// The quantiles that statistics read (bit `i` of [`Statistic::quantiles`] is `QUANTILES[i]`),
/// ascending so that their ranks are.
const QUANTILES: [f64; 7] = [0.01, 0.2, 0.25, 0.5, 0.75, 0.8, 0.99];

/// The two order statistics (ranks, 0-based) that quantile `q` of `n > 0` values interpolates
/// between, as [`quantile_sorted`] reads them.
fn quantile_ranks(n: usize, q: f64) -> (usize, usize) {
    let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
    (
        (pos.floor() as usize).min(n - 1),
        (pos.ceil() as usize).min(n - 1),
    )
}

/// [`quantile_sorted`] of the values behind the order keys `lo_key`, `hi_key` of the two ranks
/// [`quantile_ranks`] names for `q` of `n > 0` values (the same arithmetic, so the same result
/// to the bit).
fn quantile_of_keys(n: usize, q: f64, lo_key: u64, hi_key: u64) -> f64 {
    let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
    let (lo, hi) = quantile_ranks(n, q);
    let frac = pos - pos.floor();
    let (a, b) = (from_order_key(lo_key), from_order_key(hi_key));
    if lo == hi { a } else { a + (b - a) * frac }
}

/// Bits of the bucket index of one [`radix_select`] pass (at most 256 buckets).
const RADIX_BITS: u32 = 8;
/// [`radix_select`] takes the magnitudes below this fraction of the largest as one.
const RADIX_GAP: f64 = 1.0 / (1u64 << 16) as f64;
/// Parts up to this long are sorted instead of bucketed.
const RADIX_SMALL: usize = 24;

/// The keys at the given ranks (ascending, possibly repeated; absolute ranks of a part whose
/// first rank is `base`) of `keys` into `out` (one per rank): the keys a full sort would put
/// there. `lo` and `hi` bound the keys (`lo <= k <= hi` for every key). An MSD radix
/// selection: the keys are counted into at most 256 buckets of equal width in bucket
/// coordinates (order keys, so about equal widths in log |value|, with the magnitudes near zero
/// taken as one when `squeeze`), scattered into `scratch` (as long as `keys`) by bucket, and
/// only the buckets that hold a wanted rank are looked at further: sorted when short, else
/// bucketed again between their own minimum and maximum. `keys` and `scratch` are left in no
/// particular order. Replaces a recursive `select_nth_unstable` per rank (the same keys, fewer
/// passes over them: one count and one scatter for most tracks).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn radix_select(
    keys: &mut [u64],
    scratch: &mut [u64],
    lo: u64,
    hi: u64,
    squeeze: bool,
    base: usize,
    ranks: &[usize],
    out: &mut [u64],
) {
    debug_assert_eq!(ranks.len(), out.len());
    debug_assert_eq!(keys.len(), scratch.len());
    if ranks.is_empty() {
        return;
    }
    if lo == hi {
        out.fill(lo);
        return;
    }
    let n = keys.len();
    if n <= RADIX_SMALL {
        keys.sort_unstable();
        for (o, &r) in out.iter_mut().zip(ranks) {
            *o = keys[r - base];
        }
        return;
    }
    const NB: usize = 1 << RADIX_BITS;
    // Bucket coordinates: the key, with the keys of the values of magnitude below `f`
    // ([`RADIX_GAP`] times the larger magnitude of the bounds) taken as one. Without this, the
    // huge stretch of order keys between the smallest magnitudes of the two signs (or between a
    // zero and the smallest positive value) would leave the bulk of a track in one or two
    // buckets. A monotone map, so the buckets stay ranges of keys. Only at the top (`squeeze`):
    // one level down the parts are narrow ranges of keys, and plain bucketing shrinks them by
    // 2^(bits−1) or more at every level, which bounds the depth. Non-finite bounds (only in
    // tests: the keys here are those of finite values) take nothing as one.
    let f = from_order_key(lo).abs().max(from_order_key(hi).abs()) * RADIX_GAP;
    let f = if squeeze && f.is_finite() { f } else { 0.0 };
    let (kn, kp) = (order_key(-f), order_key(f));
    let coord = |k: u64| k.min(kn) + u64::from(k > kn) + k.saturating_sub(kp);
    let (clo, chi) = (coord(lo), coord(hi));
    let bits = (usize::BITS - 1 - n.leading_zeros()).clamp(4, RADIX_BITS);
    let shift = (u64::BITS - (chi - clo).leading_zeros()).saturating_sub(bits);
    let nb = ((chi - clo) >> shift) as usize + 1;
    let bucket = |k: u64| ((coord(k) - clo) >> shift) as usize & (NB - 1);
    // Two counts and two streams of the scatter, for the keys at even and at odd positions:
    // neighbouring frames of a track often share a bucket, and one count (one write position)
    // per bucket would make each key wait on the previous one's increment.
    let mut count = [[0u32; NB]; 2];
    let mut pairs = keys.chunks_exact(2);
    for p in &mut pairs {
        count[0][bucket(p[0])] += 1;
        count[1][bucket(p[1])] += 1;
    }
    for &k in pairs.remainder() {
        count[0][bucket(k)] += 1;
    }
    // `start[b]`: the rank (relative to `base`) of bucket b's first key; `next`: where the
    // next key of bucket b from the even (0) and the odd (1) positions goes.
    let mut start = [0u32; NB + 1];
    let mut next = [[0u32; NB]; 2];
    let mut acc = 0u32;
    for b in 0..nb {
        start[b] = acc;
        next[0][b] = acc;
        acc += count[0][b];
        next[1][b] = acc;
        acc += count[1][b];
    }
    start[nb] = acc;
    let mut pairs = keys.chunks_exact(2);
    for p in &mut pairs {
        let (b0, b1) = (bucket(p[0]), bucket(p[1]));
        scratch[next[0][b0] as usize] = p[0];
        next[0][b0] += 1;
        scratch[next[1][b1] as usize] = p[1];
        next[1][b1] += 1;
    }
    for &k in pairs.remainder() {
        let b = bucket(k);
        scratch[next[0][b] as usize] = k;
    }
    let mut i = 0;
    let mut b = 0;
    while i < ranks.len() {
        let r = ranks[i] - base;
        while start[b + 1] as usize <= r {
            b += 1;
        }
        let (s, e) = (start[b] as usize, start[b + 1] as usize);
        let j = i + ranks[i..].partition_point(|&x| x - base < e);
        let part = &mut scratch[s..e];
        if part.len() <= RADIX_SMALL {
            part.sort_unstable();
            for (o, &x) in out[i..j].iter_mut().zip(&ranks[i..j]) {
                *o = part[x - base - s];
            }
        } else {
            let (mut plo, mut phi) = (u64::MAX, 0);
            for &k in part.iter() {
                plo = plo.min(k);
                phi = phi.max(k);
            }
            radix_select_next(
                part,
                &mut keys[s..e],
                plo,
                phi,
                base + s,
                &ranks[i..j],
                &mut out[i..j],
            );
        }
        i = j;
    }
}

/// [`radix_select`] one level down (a function of its own: an `#[inline(always)]` function
/// cannot call itself).
fn radix_select_next(
    keys: &mut [u64],
    scratch: &mut [u64],
    lo: u64,
    hi: u64,
    base: usize,
    ranks: &[usize],
    out: &mut [u64],
) {
    radix_select(keys, scratch, lo, hi, false, base, ranks, out);
}

/// [`Summariser::summarise_column`]'s body (the copy of the kept values and
/// [`Summariser::finish_inner`]), also compiled for AVX2 and chosen at run time: the same
/// operations in the same order (no FMA contraction, no reassociation), so bit-identical
/// statistics with wider loops (`docs/PERFORMANCE.md`).
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn column_wide(
    s: &mut Summariser,
    column: ArrayView1<'_, f32>,
    hop_s: f64,
    mask: Option<&[bool]>,
    wanted: &[Statistic],
) -> Summary {
    let timed = wanted.iter().any(|w| w.needs_times());
    s.running = match mask {
        None => s.copy_column(column, hop_s, timed, |_| true),
        Some(m) => s.copy_column(column, hop_s, timed, |i| m.get(i).copied().unwrap_or(false)),
    };
    s.finish_inner(wanted, hop_s)
}

/// [`Summariser::summarise_wanted`]'s body, compiled like [`column_wide`].
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn values_wide(s: &mut Summariser, values: &[f64], hop_s: f64, wanted: &[Statistic]) -> Summary {
    s.values.clear();
    s.times.clear();
    let mut running = Running::default();
    for (i, &v) in values.iter().enumerate() {
        if v.is_finite() {
            let t = i as f64 * hop_s;
            s.values.push(v);
            s.times.push(t);
            running.add(v);
            running.time_sum += t;
        }
    }
    s.running = running;
    s.finish_inner(wanted, hop_s)
}

/// Reusable buffers for computing statistics without reallocating per track.
#[derive(Debug, Default, Clone)]
pub struct Summariser {
    values: Vec<f64>,
    times: Vec<f64>,
    keys: Vec<u64>,
    /// [`radix_select`]'s second buffer of keys.
    scratch: Vec<u64>,
    /// Indices of a track's peaks ([`shape`]).
    peaks: Vec<usize>,
    /// Minimum, maximum and sum of `values`, taken while they are copied in.
    running: Running,
}

/// Minimum, maximum and sum of a track's kept values, accumulated in the copy loop (one pass
/// instead of three): the same operations in the same order as a separate `f64::min` /
/// `f64::max` scan and `Iterator::sum` (which starts from −0.0), so the same bits.
#[derive(Debug, Clone, Copy)]
struct Running {
    min: f64,
    max: f64,
    sum: f64,
    /// Sum of the kept values' times (when they are recorded), in order from −0.0 like
    /// `Iterator::sum`: the regression's mean time, an add chain of its own beside `sum`.
    time_sum: f64,
}

impl Default for Running {
    fn default() -> Self {
        Running {
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: -0.0,
            time_sum: -0.0,
        }
    }
}

impl Running {
    #[inline(always)]
    fn add(&mut self, v: f64) {
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        self.sum += v;
    }
}

/// An integer whose order is `f64::total_cmp`'s order of `v`.
#[inline]
fn order_key(v: f64) -> u64 {
    let b = v.to_bits();
    if b >> 63 == 1 { !b } else { b | (1 << 63) }
}

/// The inverse of [`order_key`].
#[inline]
fn from_order_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Central moments 2, 3, 4 of `x` about `mean` (divided by n), in one pass.
fn central_moments_234(x: &[f64], mean: f64) -> (f64, f64, f64) {
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for &v in x {
        let d = v - mean;
        let d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
    }
    let n = x.len() as f64;
    (m2 / n, m3 / n, m4 / n)
}

impl Summariser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Statistics of one f64 track whose frames are `hop_s` seconds apart.
    pub fn summarise(&mut self, values: &[f64], hop_s: f64) -> Summary {
        self.summarise_wanted(values, hop_s, Statistic::ALL.as_slice())
    }

    /// The statistics `wanted` of one f64 track whose frames are `hop_s` seconds apart (the
    /// others are 0).
    pub fn summarise_wanted(
        &mut self,
        values: &[f64],
        hop_s: f64,
        wanted: &[Statistic],
    ) -> Summary {
        values_wide(self, values, hop_s, wanted)
    }

    /// Statistics of one f32 column, optionally restricted to the frames where `mask` is true
    /// (voiced-only statistics). The slope uses the frames' own times (`i · hop_s`).
    /// Only what `wanted` needs is computed; the other fields are 0.
    pub fn summarise_column(
        &mut self,
        column: ArrayView1<'_, f32>,
        hop_s: f64,
        mask: Option<&[bool]>,
        wanted: &[Statistic],
    ) -> Summary {
        column_wide(self, column, hop_s, mask, wanted)
    }

    /// Copies the finite values of `column` at the frames `keep` accepts into `values` (and
    /// their times into `times` when `timed`), returning their minimum, maximum and sum. The
    /// column is indexed (not iterated: ndarray's iterator over a strided view is a call that is
    /// not compiled for AVX2 with the caller), and the buffers are reserved once.
    #[inline(always)]
    fn copy_column(
        &mut self,
        column: ArrayView1<'_, f32>,
        hop_s: f64,
        timed: bool,
        keep: impl Fn(usize) -> bool,
    ) -> Running {
        let (values, times) = (&mut self.values, &mut self.times);
        values.clear();
        times.clear();
        values.reserve(column.len());
        if timed {
            times.reserve(column.len());
        }
        let mut running = Running::default();
        for i in 0..column.len() {
            let v = column[i];
            if keep(i) && v.is_finite() {
                let v = f64::from(v);
                values.push(v);
                running.add(v);
                if timed {
                    let t = i as f64 * hop_s;
                    times.push(t);
                    running.time_sum += t;
                }
            }
        }
        running
    }

    #[inline(always)]
    fn finish_inner(&mut self, wanted: &[Statistic], hop_s: f64) -> Summary {
        let n = self.values.len();
        let mut s = Summary {
            n,
            ..Summary::default()
        };
        if n == 0 {
            return s;
        }
        let x = &self.values;
        // min / max / sum: taken in the copy loop (min / max exact for the constant-track test
        // below).
        let Running {
            min,
            max,
            sum,
            time_sum,
        } = self.running;
        s.min = min;
        s.max = max;
        s.mean = if min == max { min } else { sum / n as f64 };
        let constant = min == max;

        let linear = wanted.iter().any(|w| w.needs_linear());
        let quadratic = wanted.iter().any(|w| w.needs_quadratic());
        let regress = !constant && n >= 2 && (linear || quadratic);
        let moments = !constant && wanted.iter().any(|w| w.needs_moments());
        // the mean time (the same sum, in the same order, as over `times` afterwards)
        let t_mean = time_sum / n as f64;
        // The moments' and the regression's sums in one pass when both are wanted: five
        // independent add chains side by side (each in its own order, so the same bits as the
        // two passes; the regression's sum of squared deviations is the second moment's).
        let fused = if moments && regress && self.times.len() == n {
            let (mut m2, mut m3, mut m4, mut sxy, mut sxx) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for (&ti, &v) in self.times.iter().zip(x) {
                let d = v - s.mean;
                let d2 = d * d;
                m2 += d2;
                m3 += d2 * d;
                m4 += d2 * d2;
                let dt = ti - t_mean;
                sxy += dt * d;
                sxx += dt * dt;
            }
            let nf = n as f64;
            Some(((m2 / nf, m3 / nf, m4 / nf), (sxy, sxx, m2)))
        } else {
            None
        };

        if moments {
            let (m2, m3, m4) = match fused {
                Some((m, _)) => m,
                None => central_moments_234(x, s.mean),
            };
            let m2 = m2.max(0.0);
            s.std = m2.sqrt();
            // scipy's rule: a variance at rounding level of the mean counts as zero.
            if m2 > (f64::EPSILON * s.mean).powi(2) && m2 > 0.0 {
                s.skewness = m3 / m2.powf(1.5);
                s.kurtosis = m4 / (m2 * m2) - 3.0;
            }
        }

        let wanted_q = wanted.iter().fold(0, |a, w| a | w.quantiles());
        if wanted_q != 0 {
            if constant {
                (s.median, s.p01, s.p99, s.q1, s.q3) = (min, min, min, min, min);
                (s.p20, s.p80) = (min, min);
            } else {
                self.keys.clear();
                self.keys.extend(x.iter().map(|&v| order_key(v)));
                if self.scratch.len() < n {
                    self.scratch.resize(n, 0);
                }
                // Only the order statistics the wanted quantiles read are found (a radix
                // selection): the same keys as a full sort would put at those ranks. Ranks
                // ascending, as `radix_select` wants them; the keys bounded by those of the
                // minimum and maximum (either zero when one of them is a zero: `f64::min` may
                // return either).
                let mut ranks = [0usize; 2 * QUANTILES.len()];
                let mut m = 0;
                for (i, q) in QUANTILES.iter().enumerate() {
                    if wanted_q >> i & 1 == 1 {
                        (ranks[m], ranks[m + 1]) = quantile_ranks(n, *q);
                        m += 2;
                    }
                }
                let lo = order_key(if min == 0.0 { -0.0 } else { min });
                let hi = order_key(if max == 0.0 { 0.0 } else { max });
                let mut at = [0u64; 2 * QUANTILES.len()];
                radix_select(
                    &mut self.keys,
                    &mut self.scratch[..n],
                    lo,
                    hi,
                    true,
                    0,
                    &ranks[..m],
                    &mut at[..m],
                );
                let mut q = [0.0; QUANTILES.len()];
                let mut m = 0;
                for (i, &qi) in QUANTILES.iter().enumerate() {
                    if wanted_q >> i & 1 == 1 {
                        q[i] = quantile_of_keys(n, qi, at[m], at[m + 1]);
                        m += 2;
                    }
                }
                (s.p01, s.p20, s.q1, s.median) = (q[0], q[1], q[2], q[3]);
                (s.q3, s.p80, s.p99) = (q[4], q[5], q[6]);
            }
        }

        // the regressions of a constant track: the constant
        s.lin_offset = s.mean;
        s.quad_c = s.mean;
        if regress {
            let t = &self.times;
            let (sxy, sxx, syy) = match fused {
                Some((_, r)) => r,
                None => {
                    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
                    for (&ti, &xi) in t.iter().zip(x) {
                        let dt = ti - t_mean;
                        let dy = xi - s.mean;
                        sxy += dt * dy;
                        sxx += dt * dt;
                        syy += dy * dy;
                    }
                    (sxy, sxx, syy)
                }
            };
            if sxx > 0.0 {
                s.slope = sxy / sxx;
                s.lin_offset = s.mean - s.slope * t_mean;
                s.lin_error = ((syy - s.slope * sxy) / n as f64).max(0.0);
            } else {
                s.lin_error = syy / n as f64;
            }
            (s.quad_a, s.quad_b, s.quad_c, s.quad_error) =
                (0.0, s.slope, s.lin_offset, s.lin_error);
            if quadratic && n >= 3 {
                quadratic_fit(t, x, t_mean, &mut s);
            }
        }
        if wanted.iter().any(|w| w.needs_shape()) {
            shape(x, &self.times, hop_s, &mut s, &mut self.peaks);
        }
        for v in [
            &mut s.mean,
            &mut s.median,
            &mut s.std,
            &mut s.kurtosis,
            &mut s.skewness,
            &mut s.p01,
            &mut s.p99,
            &mut s.q1,
            &mut s.q3,
            &mut s.slope,
            &mut s.p20,
            &mut s.p80,
            &mut s.lin_offset,
            &mut s.lin_error,
            &mut s.quad_a,
            &mut s.quad_b,
            &mut s.quad_c,
            &mut s.quad_error,
            &mut s.peak_dist_mean,
            &mut s.peak_mean_rel,
            &mut s.peak_rate,
            &mut s.seg_len_mean,
            &mut s.seg_len_std,
        ] {
            if !v.is_finite() {
                *v = 0.0;
            }
        }
        s
    }
}

/// The least-squares parabola `x ≈ a t² + b t + c` and its mean squared error into `s`
/// (`n >= 3`, `t_mean` the mean time). Solved in centred coordinates `u = t - t_mean`,
/// `y = x - mean` (normal equations by Cramer's rule), then expanded back to `t`; leaves the
/// line in `s` when the times do not determine a parabola (fewer than 3 distinct times).
fn quadratic_fit(t: &[f64], x: &[f64], t_mean: f64, s: &mut Summary) {
    let n = x.len() as f64;
    let (mut s2, mut s3, mut s4, mut sy, mut suy, mut su2y) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for (&ti, &xi) in t.iter().zip(x) {
        let u = ti - t_mean;
        let y = xi - s.mean;
        let u2 = u * u;
        s2 += u2;
        s3 += u2 * u;
        s4 += u2 * u2;
        sy += y;
        suy += u * y;
        su2y += u2 * y;
    }
    // | s4 s3 s2 | |a|   |su2y|
    // | s3 s2 0  | |b| = |suy |
    // | s2 0  n  | |c|   |sy  |
    let det = n * (s4 * s2 - s3 * s3) - s2 * s2 * s2;
    if det.is_nan() || det <= 1e-12 * n * s4 * s2 {
        return;
    }
    let a = (su2y * s2 * n - s3 * suy * n - s2 * s2 * sy) / det;
    let b = (s4 * suy * n - su2y * s3 * n + s3 * s2 * sy - s2 * s2 * suy) / det;
    let c = (s4 * (s2 * sy) - s3 * (s3 * sy) + s2 * (s3 * suy - s2 * su2y)) / det;
    let mut err = 0.0;
    for (&ti, &xi) in t.iter().zip(x) {
        let u = ti - t_mean;
        let r = xi - s.mean - (a * u * u + b * u + c);
        err += r * r;
    }
    s.quad_a = a;
    s.quad_b = b - 2.0 * a * t_mean;
    s.quad_c = s.mean + c - b * t_mean + a * t_mean * t_mean;
    s.quad_error = err / n;
}

/// The shape statistics into `s`: rise / fall fractions, up-level times, peaks, runs above the
/// mean, in passes without data-dependent branches (a noisy track mispredicted the old
/// frame-by-frame loop at every run boundary and peak; the results are the same bits). `times` are the values' times (s) when the caller recorded them
/// (else empty: peak distances then use `i · hop_s`).
#[inline(always)]
fn shape(x: &[f64], times: &[f64], hop_s: f64, s: &mut Summary, peaks: &mut Vec<usize>) {
    let n = x.len();
    if n == 0 {
        return;
    }
    let mean = s.mean;
    let range = s.max - s.min;
    // thresholds above max when the track is constant: no value is above them
    let thr = if range > 0.0 {
        [0.25, 0.5, 0.75, 0.9].map(|p| s.min + p * range)
    } else {
        [f64::INFINITY; 4]
    };
    let time = |i: usize| times.get(i).copied().unwrap_or(i as f64 * hop_s);
    // Counts without branches (vectorised): values above each level, rises and falls.
    let mut level = [0usize; 4];
    for &v in x {
        for (c, t) in level.iter_mut().zip(&thr) {
            *c += usize::from(v > *t);
        }
    }
    let (mut up, mut down) = (0usize, 0usize);
    for w in x.windows(2) {
        up += usize::from(w[1] > w[0]);
        down += usize::from(w[1] < w[0]);
    }
    // Runs above the mean, without branches: a run starts where `len` is 0; a run of length L
    // adds 1 + 3 + ... + (2L - 1) = L² to the sum of squared lengths, one frame at a time.
    let (mut runs, mut run_sum, mut run_sum2, mut len) = (0usize, 0usize, 0usize, 0usize);
    for &v in x {
        let above = usize::from(v > mean);
        runs += above & usize::from(len == 0);
        len = (len + 1) * above;
        run_sum += above;
        run_sum2 += (2 * len).saturating_sub(1);
    }
    // Peaks (above the mean, above the previous value, not below the next), their indices
    // gathered without branches, then summed in frame order (the same sum as frame by frame).
    peaks.clear();
    peaks.resize(n, 0);
    let mut n_peaks = 0usize;
    for i in 1..n.saturating_sub(1) {
        let v = x[i];
        let peak = (v > mean) & (v > x[i - 1]) & (v >= x[i + 1]);
        peaks[n_peaks] = i;
        n_peaks += usize::from(peak);
    }
    let found = &peaks[..n_peaks];
    let mut peak_sum = 0.0;
    for &i in found {
        peak_sum += x[i];
    }
    if n >= 2 {
        s.rise_time = up as f64 / (n - 1) as f64;
        s.fall_time = down as f64 / (n - 1) as f64;
    }
    s.up_level = level.map(|c| c as f64 / n as f64);
    let span = n as f64 * hop_s;
    if span > 0.0 {
        s.peak_rate = n_peaks as f64 / span;
    }
    if n_peaks > 0 {
        s.peak_mean_rel = peak_sum / n_peaks as f64 - mean;
    }
    if n_peaks > 1 {
        // the mean of consecutive distances telescopes to (last - first) / (peaks - 1)
        let (first, last) = (time(found[0]), time(found[n_peaks - 1]));
        s.peak_dist_mean = (last - first) / (n_peaks - 1) as f64;
    }
    if runs > 0 {
        let m = run_sum as f64 / runs as f64;
        s.seg_len_mean = m * hop_s;
        s.seg_len_std = (run_sum2 as f64 / runs as f64 - m * m).max(0.0).sqrt() * hop_s;
    }
}

/// Convenience: statistics of an f64 track (allocates buffers; use [`Summariser`] in loops).
pub fn summarise(values: &[f64], hop_s: f64) -> Summary {
    Summariser::new().summarise(values, hop_s)
}

/// Converts an f64 statistic to the f32 stored in feature tables, saturating at ±`f32::MAX`
/// so that a finite f64 never becomes an infinite f32.
pub fn to_f32(v: f64) -> f32 {
    if v.is_nan() {
        0.0
    } else {
        v.clamp(f64::from(f32::MIN), f64::from(f32::MAX)) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frame-by-frame `shape` this module had before the branch-free one: the reference.
    fn shape_reference(x: &[f64], times: &[f64], hop_s: f64, s: &mut Summary) {
        let n = x.len();
        if n == 0 {
            return;
        }
        let mean = s.mean;
        let range = s.max - s.min;
        // thresholds above max when the track is constant: no value is above them
        let thr = if range > 0.0 {
            [0.25, 0.5, 0.75, 0.9].map(|p| s.min + p * range)
        } else {
            [f64::INFINITY; 4]
        };
        let time = |i: usize| times.get(i).copied().unwrap_or(i as f64 * hop_s);
        let (mut up, mut down) = (0usize, 0usize);
        let mut level = [0usize; 4];
        let (mut n_peaks, mut peak_sum, mut first, mut last) = (0usize, 0.0, 0.0, 0.0);
        // runs above the mean: count, sum and sum of squares of their lengths (frames)
        let (mut runs, mut run_sum, mut run_sum2, mut len) = (0usize, 0usize, 0usize, 0usize);
        let mut prev = x[0];
        for (i, &v) in x.iter().enumerate() {
            for (c, t) in level.iter_mut().zip(&thr) {
                *c += usize::from(v > *t);
            }
            if v > mean {
                len += 1;
            } else if len > 0 {
                (runs, run_sum, run_sum2, len) = (runs + 1, run_sum + len, run_sum2 + len * len, 0);
            }
            if i > 0 {
                up += usize::from(v > prev);
                down += usize::from(v < prev);
                // a peak: above the mean, above the previous value, not below the next
                if v > mean && v > prev && i + 1 < n && v >= x[i + 1] {
                    if n_peaks == 0 {
                        first = time(i);
                    }
                    last = time(i);
                    n_peaks += 1;
                    peak_sum += v;
                }
            }
            prev = v;
        }
        if len > 0 {
            (runs, run_sum, run_sum2) = (runs + 1, run_sum + len, run_sum2 + len * len);
        }
        if n >= 2 {
            s.rise_time = up as f64 / (n - 1) as f64;
            s.fall_time = down as f64 / (n - 1) as f64;
        }
        s.up_level = level.map(|c| c as f64 / n as f64);
        let span = n as f64 * hop_s;
        if span > 0.0 {
            s.peak_rate = n_peaks as f64 / span;
        }
        if n_peaks > 0 {
            s.peak_mean_rel = peak_sum / n_peaks as f64 - mean;
        }
        if n_peaks > 1 {
            // the mean of consecutive distances telescopes to (last - first) / (peaks - 1)
            s.peak_dist_mean = (last - first) / (n_peaks - 1) as f64;
        }
        if runs > 0 {
            let m = run_sum as f64 / runs as f64;
            s.seg_len_mean = m * hop_s;
            s.seg_len_std = (run_sum2 as f64 / runs as f64 - m * m).max(0.0).sqrt() * hop_s;
        }
    }
    use ndarray::Array1;
    use ndarray_stats::{Quantile1dExt, interpolate::Linear};
    use noisy_float::types::n64;

    /// The branch-free `shape` gives the frame-by-frame loop's bits on every field: noisy and
    /// smooth tracks, quantised ones (ties, plateaus, values equal to the mean), constant
    /// tracks, lengths 1 to 4 and longer, with and without recorded times.
    #[test]
    fn branch_free_shape_is_the_frame_by_frame_loop() {
        let mut seed = 2024u64;
        let mut peaks = Vec::new();
        let bits = |s: &Summary| {
            let mut v = vec![
                s.rise_time,
                s.fall_time,
                s.peak_rate,
                s.peak_mean_rel,
                s.peak_dist_mean,
                s.seg_len_mean,
                s.seg_len_std,
            ];
            v.extend(s.up_level);
            v.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        };
        for n in (1..12).chain([50, 301, 1000]) {
            for kind in 0..4 {
                let x: Vec<f64> = (0..n)
                    .map(|i| match kind {
                        0 => lcg(&mut seed) - 0.5,
                        1 => (i as f64 * 0.3).sin() + 0.1 * lcg(&mut seed),
                        2 => (lcg(&mut seed) * 4.0).floor(),
                        _ => 1.25,
                    })
                    .collect();
                let (min, max) = x
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                        (a.min(v), b.max(v))
                    });
                let base = Summary {
                    n,
                    min,
                    max,
                    mean: if kind == 2 {
                        1.0
                    } else {
                        x.iter().sum::<f64>() / n as f64
                    },
                    ..Summary::default()
                };
                let times: Vec<f64> = (0..n).map(|i| i as f64 * 0.01 + 0.005).collect();
                for t in [&times[..], &[]] {
                    let (mut ours, mut reference) = (base, base);
                    shape(&x, t, 0.01, &mut ours, &mut peaks);
                    shape_reference(&x, t, 0.01, &mut reference);
                    assert_eq!(bits(&ours), bits(&reference), "n {n}, kind {kind}: {x:?}");
                }
            }
        }
    }

    fn lcg(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn quantiles_match_ndarray_stats_linear() {
        let mut seed = 7;
        for n in [1usize, 2, 3, 10, 101, 257] {
            let x: Vec<f64> = (0..n).map(|_| lcg(&mut seed) * 10.0 - 3.0).collect();
            let mut sorted = x.clone();
            sorted.sort_by(f64::total_cmp);
            for q in [0.0, 0.01, 0.25, 0.5, 0.75, 0.99, 1.0] {
                let mut a: Array1<_> = x.iter().map(|&v| n64(v)).collect();
                let expected = a.quantile_mut(n64(q), &Linear).expect("non-empty").raw();
                let got = quantile_sorted(&sorted, q);
                assert!(
                    (got - expected).abs() <= 1e-12 * expected.abs().max(1.0),
                    "n={n} q={q}"
                );
            }
        }
    }

    #[test]
    fn moments_match_direct_formulas() {
        let mut seed = 3;
        let x: Vec<f64> = (0..500).map(|_| lcg(&mut seed).powi(3)).collect();
        let s = summarise(&x, 0.01);
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let m = |k: i32| x.iter().map(|v| (v - mean).powi(k)).sum::<f64>() / n;
        assert!((s.mean - mean).abs() < 1e-14);
        assert!((s.std - m(2).sqrt()).abs() < 1e-12);
        assert!((s.skewness - m(3) / m(2).powf(1.5)).abs() < 1e-10);
        assert!((s.kurtosis - (m(4) / m(2).powi(2) - 3.0)).abs() < 1e-10);
        assert!(s.skewness > 0.5, "x^3 of uniform is right-skewed");
    }

    #[test]
    fn moments_match_ndarray_stats() {
        use ndarray_stats::SummaryStatisticsExt;
        let mut seed = 11;
        for n in [2usize, 5, 300, 2000] {
            let x: Vec<f64> = (0..n)
                .map(|_| (lcg(&mut seed) - 0.3).powi(3) * 40.0)
                .collect();
            let mean = x.iter().sum::<f64>() / n as f64;
            let (m2, m3, m4) = central_moments_234(&x, mean);
            let r = ArrayView1::from(x.as_slice())
                .central_moments(4)
                .expect("non-empty");
            for (got, want) in [(m2, r[2]), (m3, r[3]), (m4, r[4])] {
                assert!(
                    (got - want).abs() <= 1e-9 * want.abs().max(1e-12),
                    "n={n}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn selected_ranks_are_those_of_a_full_sort() {
        let mut seed = 17;
        for n in [1usize, 2, 3, 31, 32, 33, 100, 257, 1000] {
            for round in 0..4 {
                // with repeated values in some rounds
                let x: Vec<f64> = (0..n)
                    .map(|_| {
                        let v = lcg(&mut seed) * 8.0 - 4.0;
                        if round % 2 == 1 { v.round() } else { v }
                    })
                    .collect();
                let mut sorted = x.clone();
                sorted.sort_by(f64::total_cmp);
                let mut keys: Vec<u64> = x.iter().map(|&v| order_key(v)).collect();
                let mut ranks = Vec::new();
                for q in [0.01, 0.25, 0.5, 0.75, 0.99] {
                    let (a, b) = quantile_ranks(n, q);
                    ranks.extend([a, b]);
                }
                let mut at = vec![0; ranks.len()];
                let mut scratch = vec![0; n];
                radix_select(
                    &mut keys,
                    &mut scratch,
                    0,
                    u64::MAX,
                    true,
                    0,
                    &ranks,
                    &mut at,
                );
                for (&r, &k) in ranks.iter().zip(&at) {
                    assert_eq!(from_order_key(k).to_bits(), sorted[r].to_bits());
                }
                for (i, q) in [0.01, 0.25, 0.5, 0.75, 0.99].into_iter().enumerate() {
                    assert_eq!(
                        quantile_of_keys(n, q, at[2 * i], at[2 * i + 1]).to_bits(),
                        quantile_sorted(&sorted, q).to_bits(),
                        "n={n} q={q}"
                    );
                }
            }
        }
    }

    /// [`radix_select`] against a full sort: random and adversarial keys (ties, all equal,
    /// a few far outliers that leave the bulk in one bucket, keys at both ends of `u64`, the
    /// order keys of ±0, tiny and huge values), lengths 0..=70 and a few hundred, random rank
    /// sets (repeated, at both ends, in the middle) and the quantiles' ranks, with exact and
    /// loose bounds.
    #[test]
    fn radix_selection_matches_a_full_sort() {
        let mut seed = 29u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed >> 11
        };
        let lengths: Vec<usize> = (0..=70)
            .chain([97, 128, 255, 256, 257, 300, 511, 600, 1500])
            .collect();
        let mut checked = 0usize;
        for &n in &lengths {
            for kind in 0..10 {
                let keys: Vec<u64> = (0..n)
                    .map(|i| match kind {
                        // random f64 in a narrow range
                        0 => order_key((next() % 1_000_000) as f64 * 1e-5 - 3.0),
                        // heavy ties
                        1 => order_key((next() % 4) as f64 - 1.5),
                        // all equal
                        2 => order_key(2.5),
                        // raw u64, including both ends
                        3 => match next() % 8 {
                            0 => 0,
                            1 => u64::MAX,
                            _ => next().wrapping_mul(0x9E37_79B9_7F4A_7C15),
                        },
                        // bulk in one bucket plus far outliers (deep recursion)
                        4 => {
                            if next() % 50 == 0 {
                                order_key(if next() % 2 == 0 { 1e300 } else { -1e300 })
                            } else {
                                order_key(1.0 + (next() % 1000) as f64 * 1e-12)
                            }
                        }
                        // ±0 and tiny values
                        5 => order_key(match next() % 4 {
                            0 => 0.0,
                            1 => -0.0,
                            2 => f64::MIN_POSITIVE * (next() % 3) as f64,
                            _ => -5e-324,
                        }),
                        // a smooth track (neighbours share buckets)
                        6 => order_key((i as f64 * 0.05).sin() * 40.0),
                        // sorted and reversed
                        7 => i as u64 * 3,
                        8 => u64::MAX - i as u64,
                        // f32-like values over many decades, both signs
                        _ => {
                            let m = f64::from((next() % 1000) as f32 / 100.0);
                            let e = (next() % 40) as i32 - 20;
                            let v = m * 10f64.powi(e);
                            order_key(if next() % 2 == 0 { v } else { -v })
                        }
                    })
                    .collect();
                let mut sorted = keys.clone();
                sorted.sort_unstable();
                let mut rank_sets: Vec<Vec<usize>> = Vec::new();
                if n > 0 {
                    let mut quantile = Vec::new();
                    for q in QUANTILES {
                        let (a, b) = quantile_ranks(n, q);
                        quantile.extend([a, b]);
                    }
                    rank_sets.push(quantile);
                    rank_sets.push(vec![0, 0, n - 1, n - 1]);
                    rank_sets.push(vec![n / 2; 3]);
                    rank_sets.push((0..n).collect());
                    for _ in 0..3 {
                        let mut r: Vec<usize> = (0..1 + next() % 16)
                            .map(|_| match next() % 3 {
                                0 => (next() % 4) as usize % n,
                                1 => n - 1 - (next() % 4) as usize % n,
                                _ => next() as usize % n,
                            })
                            .collect();
                        r.sort_unstable();
                        rank_sets.push(r);
                    }
                } else {
                    rank_sets.push(Vec::new());
                }
                let exact = (
                    sorted.first().copied().unwrap_or(0),
                    sorted.last().copied().unwrap_or(0),
                );
                for ranks in &rank_sets {
                    for ((lo, hi), squeeze) in [exact, (0, u64::MAX), (exact.0 / 2, exact.1)]
                        .into_iter()
                        .flat_map(|b| [(b, true), (b, false)])
                    {
                        let mut work = keys.clone();
                        let mut scratch = vec![7; n];
                        let mut at = vec![0; ranks.len()];
                        radix_select(&mut work, &mut scratch, lo, hi, squeeze, 0, ranks, &mut at);
                        for (&r, &k) in ranks.iter().zip(&at) {
                            assert_eq!(k, sorted[r], "n={n} kind={kind} rank={r} ranks={ranks:?}");
                        }
                        checked += ranks.len();
                    }
                }
            }
        }
        assert!(checked > 100_000, "{checked}");
    }

    #[test]
    fn order_keys_sort_like_total_cmp() {
        let mut v = vec![
            -f64::INFINITY,
            -1e300,
            -1.5,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            1.0,
            2.5e-310,
            7.0,
            f64::INFINITY,
        ];
        let mut seed = 5;
        v.extend((0..200).map(|_| lcg(&mut seed) * 2e6 - 1e6));
        let mut by_cmp = v.clone();
        by_cmp.sort_by(f64::total_cmp);
        let mut keys: Vec<u64> = v.iter().map(|&x| order_key(x)).collect();
        keys.sort_unstable();
        let by_key: Vec<f64> = keys.into_iter().map(from_order_key).collect();
        let bits = |a: &[f64]| a.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&by_key), bits(&by_cmp));
    }

    #[test]
    fn slope_is_per_second() {
        // x = 2 + 3 t with t = i * 0.01 s
        let x: Vec<f64> = (0..100).map(|i| 2.0 + 3.0 * i as f64 * 0.01).collect();
        let s = summarise(&x, 0.01);
        assert!((s.slope - 3.0).abs() < 1e-9);
        let s2 = summarise(&x, 0.02);
        assert!((s2.slope - 1.5).abs() < 1e-9);
    }

    #[test]
    fn edge_cases_are_finite_and_defined() {
        let empty = summarise(&[], 0.01);
        for st in Statistic::ALL {
            assert_eq!(empty.get(st), 0.0, "{st}");
        }
        let one = summarise(&[4.5], 0.01);
        for st in [
            Statistic::Mean,
            Statistic::Median,
            Statistic::P01,
            Statistic::P99,
        ] {
            assert_eq!(one.get(st), 4.5);
        }
        for st in [
            Statistic::Std,
            Statistic::Kurtosis,
            Statistic::Skewness,
            Statistic::Range,
            Statistic::Iqr,
            Statistic::Slope,
        ] {
            assert_eq!(one.get(st), 0.0, "{st}");
        }
        let constant = summarise(&[0.1; 50], 0.01);
        assert_eq!(constant.kurtosis, 0.0);
        assert_eq!(constant.skewness, 0.0);
        assert_eq!(constant.std, 0.0);
        assert_eq!(constant.mean, 0.1);
        let with_nan = summarise(&[1.0, f64::NAN, 3.0, f64::INFINITY], 0.01);
        assert_eq!(with_nan.n, 2);
        assert_eq!(with_nan.mean, 2.0);
        let huge = summarise(&[1e200, -1e200, 1e200], 0.01);
        for st in Statistic::ALL {
            assert!(huge.get(st).is_finite() || st == Statistic::Range, "{st}");
        }
        assert!(to_f32(huge.get(Statistic::Range)).is_finite());
    }

    #[test]
    fn voiced_mask_selects_frames() {
        let col = ndarray::arr1(&[1.0f32, 100.0, 2.0, 100.0, 3.0]);
        let mask = [true, false, true, false, true];
        let mut sz = Summariser::new();
        let s = sz.summarise_column(col.view(), 0.01, Some(&mask), &Statistic::ALL);
        assert_eq!(s.n, 3);
        assert_eq!(s.mean, 2.0);
        assert_eq!(s.max, 3.0);
        // times 0, 0.02, 0.04 -> slope 1 per 0.02 s = 50 per second
        assert!((s.slope - 50.0).abs() < 1e-9);
        let none = sz.summarise_column(col.view(), 0.01, Some(&[false; 5]), &Statistic::ALL);
        assert_eq!(none.n, 0);
        assert_eq!(none.mean, 0.0);
    }

    /// The fuller functionals on a 10-frame track, against values computed by hand (rise /
    /// fall, levels, peaks, segments) and with numpy (`np.polyfit` degree 1 and 2 on
    /// `t = i * 0.01`, `np.percentile`).
    #[test]
    fn functionals_match_hand_and_numpy_values() {
        let x = [1.0, 3.0, 2.0, 5.0, 4.0, 4.0, 6.0, 1.0, 2.0, 7.0];
        let every: Vec<Statistic> = Statistic::ALL
            .into_iter()
            .chain(Statistic::FUNCTIONALS)
            .collect();
        let s = Summariser::new().summarise_wanted(&x, 0.01, &every);
        let close = |st: Statistic, want: f64, tol: f64| {
            let got = s.get(st);
            assert!(
                (got - want).abs() <= tol * want.abs().max(1.0),
                "{st}: {got} vs {want}"
            );
        };
        close(Statistic::P20, 1.8, 1e-12);
        close(Statistic::P80, 5.2, 1e-12);
        close(Statistic::Range2080, 3.4, 1e-12);
        close(Statistic::Range0199, 5.91, 1e-12);
        // np.polyfit(t, x, 1), mean squared residual
        close(Statistic::Slope, 27.27272727272729, 1e-10);
        close(Statistic::LinOffset, 2.272727272727271, 1e-10);
        close(Statistic::LinError, 3.236363636363637, 1e-10);
        // np.polyfit(t, x, 2)
        close(Statistic::QuadA, -378.7878787878799, 1e-9);
        close(Statistic::QuadB, 61.36363636363644, 1e-9);
        close(Statistic::QuadC, 1.818181818181816, 1e-9);
        close(Statistic::QuadError, 3.160606060606061, 1e-10);
        // 5 of 9 pairs rise, 3 fall (4 -> 4 neither)
        close(Statistic::RiseTime, 5.0 / 9.0, 1e-15);
        close(Statistic::FallTime, 3.0 / 9.0, 1e-15);
        // thresholds 2.5, 4, 5.5, 6.4 over min 1, range 6
        close(Statistic::UpLevel25, 0.6, 1e-15);
        close(Statistic::UpLevel50, 0.3, 1e-15);
        close(Statistic::UpLevel75, 0.2, 1e-15);
        close(Statistic::UpLevel90, 0.1, 1e-15);
        // peaks above the mean 3.5: frames 3 (5) and 6 (6); the last frame is no peak
        close(Statistic::PeakRate, 20.0, 1e-12);
        close(Statistic::PeakDistMean, 0.03, 1e-12);
        close(Statistic::PeakMeanRel, 2.0, 1e-12);
        // runs above the mean: frames 3..=6 (4) and 9 (1)
        close(Statistic::SegLenMean, 0.025, 1e-12);
        close(Statistic::SegLenStd, 0.015, 1e-12);
    }

    #[test]
    fn functionals_of_degenerate_tracks_are_defined() {
        let every: Vec<Statistic> = Statistic::ALL
            .into_iter()
            .chain(Statistic::FUNCTIONALS)
            .collect();
        let mut sz = Summariser::new();
        for x in [&[][..], &[2.0][..], &[2.0; 40][..], &[1.0, 4.0][..]] {
            let s = sz.summarise_wanted(x, 0.01, &every);
            for st in &every {
                assert!(s.get(*st).is_finite(), "{st} of {x:?}");
            }
        }
        let c = sz.summarise_wanted(&[2.0; 40], 0.01, &every);
        assert_eq!(c.get(Statistic::LinOffset), 2.0);
        assert_eq!(c.get(Statistic::QuadC), 2.0);
        for st in [
            Statistic::QuadA,
            Statistic::QuadError,
            Statistic::RiseTime,
            Statistic::UpLevel50,
            Statistic::PeakRate,
            Statistic::SegLenMean,
        ] {
            assert_eq!(c.get(st), 0.0, "{st}");
        }
        // two frames: the line through them, no parabola
        let two = sz.summarise_wanted(&[1.0, 4.0], 0.5, &every);
        assert!((two.get(Statistic::Slope) - 6.0).abs() < 1e-12);
        assert!((two.get(Statistic::QuadB) - 6.0).abs() < 1e-12);
        assert!((two.get(Statistic::QuadC) - 1.0).abs() < 1e-12);
        assert_eq!(two.get(Statistic::QuadA), 0.0);
        assert_eq!(two.get(Statistic::RiseTime), 1.0);
        // an exact parabola is recovered with zero error
        let x: Vec<f64> = (0..50)
            .map(|i| {
                let t = f64::from(i) * 0.02;
                3.0 * t * t - 2.0 * t + 0.5
            })
            .collect();
        let p = sz.summarise_wanted(&x, 0.02, &every);
        assert!((p.get(Statistic::QuadA) - 3.0).abs() < 1e-9);
        assert!((p.get(Statistic::QuadB) + 2.0).abs() < 1e-9);
        assert!((p.get(Statistic::QuadC) - 0.5).abs() < 1e-9);
        assert!(p.get(Statistic::QuadError) < 1e-20);
    }

    /// Asking for the extra percentiles leaves the five basic quantiles bit for bit unchanged.
    #[test]
    fn extra_ranks_leave_basic_quantiles_unchanged() {
        let mut seed = 23;
        let x: Vec<f64> = (0..333).map(|_| lcg(&mut seed) * 5.0 - 1.0).collect();
        let mut sz = Summariser::new();
        let a = sz.summarise_wanted(&x, 0.01, &Statistic::ALL);
        let b = sz.summarise_wanted(
            &x,
            0.01,
            &[Statistic::ALL.as_slice(), &[Statistic::P20]].concat(),
        );
        for st in Statistic::ALL {
            assert_eq!(a.get(st).to_bits(), b.get(st).to_bits(), "{st}");
        }
        let mut sorted = x.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(b.p20.to_bits(), quantile_sorted(&sorted, 0.2).to_bits());
    }

    /// Each statistic asked for alone (so only its own quantiles are selected) has the bits it
    /// has when every statistic is asked for.
    #[test]
    fn statistics_alone_match_all_at_once() {
        let every: Vec<Statistic> = Statistic::ALL
            .into_iter()
            .chain(Statistic::FUNCTIONALS)
            .collect();
        let mut seed = 29;
        let mut sz = Summariser::new();
        for n in [1usize, 2, 5, 33, 101, 400] {
            let x: Vec<f64> = (0..n)
                .map(|_| (lcg(&mut seed) * 9.0 - 4.0).round())
                .collect();
            let all = sz.summarise_wanted(&x, 0.01, &every);
            for st in &every {
                let one = sz.summarise_wanted(&x, 0.01, &[*st]);
                assert_eq!(one.get(*st).to_bits(), all.get(*st).to_bits(), "{st} n={n}");
            }
        }
    }

    /// The running minimum, maximum and sum have the bits of a separate scan and of
    /// `Iterator::sum` (whose start, −0.0, shows in the sum of −0.0 alone).
    #[test]
    fn running_matches_scan_and_iterator_sum() {
        let mut seed = 31;
        let random: Vec<f64> = (0..500).map(|_| lcg(&mut seed) * 6.0 - 3.0).collect();
        for x in [
            &[-0.0][..],
            &[-0.0, -0.0],
            &[0.0, -0.0],
            &[-0.0, 0.0, 1e-300, -1e300],
            &random,
        ] {
            let mut r = Running::default();
            for &v in x {
                r.add(v);
            }
            let min = x.iter().fold(f64::INFINITY, |a, &b| a.min(b));
            let max = x.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            assert_eq!(r.sum.to_bits(), x.iter().sum::<f64>().to_bits(), "{x:?}");
            assert_eq!(r.min.to_bits(), min.to_bits(), "{x:?}");
            assert_eq!(r.max.to_bits(), max.to_bits(), "{x:?}");
        }
    }

    #[test]
    fn functional_names_round_trip() {
        for st in Statistic::FUNCTIONALS {
            assert_eq!(st.as_str().parse::<Statistic>().expect("known"), st);
            let json = serde_json::to_string(&st).expect("serialise");
            assert_eq!(json, format!("\"{}\"", st.as_str()));
        }
    }

    #[test]
    fn statistic_names_round_trip() {
        for st in Statistic::ALL {
            assert_eq!(st.as_str().parse::<Statistic>().expect("known"), st);
        }
        assert!("p50".parse::<Statistic>().is_err());
    }
}
