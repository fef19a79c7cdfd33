//! Branch-free, auto-vectorisable numeric kernels for the per-frame hot loops: natural logarithm
//! of positive normal numbers (|error| < 1e-10 absolute on `ln`, i.e. far below the 1e-4 relative /
//! 1e-3 dB reference tolerances) and dot products / sums with independent partial accumulators
//! (latency-bound sequential sums otherwise dominate short spectra).

const LN_2: f64 = std::f64::consts::LN_2;
/// `10 / ln 10`: dB per neper of power.
pub(crate) const DB_PER_LN: f64 = 10.0 / std::f64::consts::LN_10;
/// Bits of sqrt(0.5) (the lower end of the reduced mantissa range).
const SQRT_HALF_BITS: u64 = 0x3fe6_a09e_667f_3bcd;
/// 2^52 as f64 bits: `f64::from_bits(MAGIC | k) - 2^52 == k` for k < 2^52.
const MAGIC: u64 = 0x4330_0000_0000_0000;
const TWO_52: f64 = 4_503_599_627_370_496.0;

/// `ln x` for finite `x >= f64::MIN_POSITIVE` (callers clamp with `max(amin)` first; for smaller,
/// zero, negative or non-finite input the result is meaningless but finite or NaN, never a panic).
///
/// `x = 2^k m` with `m` in `[sqrt(1/2), sqrt(2))`, `ln m = 2 atanh(s)`, `s = (m - 1) / (m + 1)`,
/// `|s| <= 0.172`, series to `s^11` (truncation < 2e-11).
#[inline(always)]
pub(crate) fn ln_pos(x: f64) -> f64 {
    // shift the exponent so that mantissas >= sqrt(2) roll over into the next binade
    let ix = x
        .to_bits()
        .wrapping_add(0x3ff0_0000_0000_0000 - SQRT_HALF_BITS);
    let kbits = ix >> 52; // biased exponent of x / m, in 1..=2046 for normal x
    let k = f64::from_bits(MAGIC | kbits) - (TWO_52 + 1023.0);
    let m = f64::from_bits((ix & 0x000f_ffff_ffff_ffff) + SQRT_HALF_BITS);
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let p = 1.0
        + s2 * (1.0 / 3.0
            + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0)))));
    k * LN_2 + 2.0 * s * p
}

/// `10 log10(max(v, amin))` in place (dB of powers), vectorisable.
#[inline]
pub(crate) fn power_to_db_inplace(v: &mut [f64], amin: f64) {
    for x in v.iter_mut() {
        *x = DB_PER_LN * ln_pos(x.max(amin));
    }
}

/// `sum f(a_i, b_i)` with four independent accumulators (over the shorter length).
#[inline(always)]
pub(crate) fn sum_zip(a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for j in 0..4 {
            acc[j] += f(x[j], y[j]);
        }
    }
    let mut tail = 0.0;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += f(*x, *y);
    }
    (acc[0] + acc[2]) + (acc[1] + acc[3]) + tail
}

/// `sum f(a_i)` with four independent accumulators.
#[inline(always)]
pub(crate) fn sum_map(a: &[f64], f: impl Fn(f64) -> f64) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut ca = a.chunks_exact(4);
    for x in &mut ca {
        for j in 0..4 {
            acc[j] += f(x[j]);
        }
    }
    let mut tail = 0.0;
    for x in ca.remainder() {
        tail += f(*x);
    }
    (acc[0] + acc[2]) + (acc[1] + acc[3]) + tail
}

/// `sum a_i b_i` with four independent accumulators.
#[inline]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    sum_zip(a, b, |x, y| x * y)
}

/// `sum a_i` with four independent accumulators.
#[inline]
pub(crate) fn sum(a: &[f64]) -> f64 {
    sum_map(a, |x| x)
}

/// Maximum with four independent lanes (`-inf` for an empty slice; NaN-free input).
#[inline]
pub(crate) fn max(a: &[f64]) -> f64 {
    let mut m = [f64::NEG_INFINITY; 4];
    let mut ca = a.chunks_exact(4);
    for x in &mut ca {
        for j in 0..4 {
            m[j] = if x[j] > m[j] { x[j] } else { m[j] };
        }
    }
    let mut r = (m[0].max(m[2])).max(m[1].max(m[3]));
    for x in ca.remainder() {
        r = r.max(*x);
    }
    r
}

/// Minimum and maximum with four independent lanes each (`(inf, -inf)` for an empty slice;
/// NaN-free input: the same values as a sequential `f64::min` / `f64::max` fold).
#[inline]
pub(crate) fn min_max(a: &[f64]) -> (f64, f64) {
    let mut lo = [f64::INFINITY; 4];
    let mut hi = [f64::NEG_INFINITY; 4];
    let mut ca = a.chunks_exact(4);
    for x in &mut ca {
        for j in 0..4 {
            lo[j] = if x[j] < lo[j] { x[j] } else { lo[j] };
            hi[j] = if x[j] > hi[j] { x[j] } else { hi[j] };
        }
    }
    let mut l = (lo[0].min(lo[2])).min(lo[1].min(lo[3]));
    let mut h = (hi[0].max(hi[2])).max(hi[1].max(hi[3]));
    for &x in ca.remainder() {
        l = l.min(x);
        h = h.max(x);
    }
    (l, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_matches_std() {
        let mut worst: f64 = 0.0;
        let mut x = 1e-300f64;
        while x < 1e300 {
            for f in [
                1.0,
                1.0000001,
                1.2345,
                std::f64::consts::SQRT_2,
                1.41422,
                1.9999999,
            ] {
                let v = x * f;
                worst = worst.max((ln_pos(v) - v.ln()).abs());
            }
            x *= 3.7;
        }
        for v in [
            1.0,
            0.5,
            2.0,
            1e-10,
            f64::MIN_POSITIVE,
            f64::MAX,
            0.999_999_999,
        ] {
            worst = worst.max((ln_pos(v) - v.ln()).abs());
        }
        assert!(worst < 1e-10, "worst abs error {worst}");
        assert_eq!(ln_pos(1.0), 0.0);
    }

    #[test]
    fn dot_and_sum() {
        let a: Vec<f64> = (0..11).map(|i| i as f64 * 0.5).collect();
        let b: Vec<f64> = (0..11).map(|i| 1.0 - i as f64).collect();
        let d: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - d).abs() < 1e-12);
        assert!((sum(&a) - 27.5).abs() < 1e-12);
        assert_eq!(dot(&[], &[]), 0.0);
    }

    #[test]
    fn min_max_matches_a_fold() {
        for n in 0..13 {
            let v: Vec<f64> = (0..n).map(|i| ((i * 7919) % 13) as f64 - 6.5).collect();
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(min_max(&v), (lo, hi), "n = {n}");
        }
    }
}
