//! Chroma / tonal family: librosa `chroma_stft` (Gaussian chroma filterbank of the power
//! spectrum), `tonnetz` of that chroma, and `spectral_contrast` of the magnitude spectrum (band
//! peaks and valleys per frame, converted to dB once per utterance).

use ndarray::{Array2, Axis, Slice};

use super::{AMIN, Family, Frame, Planner, Utterance, reshape};
use crate::config::Descriptor;
use crate::fastmath::{DB_PER_LN, ln_pos};
use crate::mel::chroma_filterbank;
use crate::{Error, Result};

enum Item {
    Chroma {
        fb: Vec<Vec<f64>>,
    },
    Tonnetz {
        fb: Vec<Vec<f64>>,
        phi: Box<[[f64; 12]; 6]>,
    },
    Contrast {
        bands: Vec<ContrastBand>,
        /// Per frame the band peaks, then the band valleys, `(n_frames, 2 n_bands + 2)`.
        scratch: Array2<f64>,
    },
}

/// One spectral-contrast band: bins `start..end`, how many of them enter the quantile means.
#[derive(Debug, Clone)]
struct ContrastBand {
    start: usize,
    end: usize,
    take: usize,
}

/// The chroma, tonnetz and contrast descriptors of a set, each with its columns `lo..hi`.
#[derive(Default)]
pub(super) struct Tonal {
    items: Vec<(usize, usize, Item)>,
    /// Selection buffer of the contrast quantiles (capacity: the number of bins).
    sorted: Vec<f64>,
}

impl Family for Tonal {
    fn plan(&mut self, d: &Descriptor, p: &mut Planner<'_>) -> Result<bool> {
        let lo = p.n_columns();
        let item = match d {
            Descriptor::Chroma { tuning } => {
                for i in 0..12 {
                    p.column(format!("chroma_{i}"), false);
                }
                Item::Chroma {
                    fb: chroma_filterbank(p.sample_rate_hz, p.n_fft, *tuning),
                }
            }
            Descriptor::Tonnetz => {
                for i in 0..6 {
                    p.column(format!("tonnetz_{i}"), false);
                }
                let scale = [7.0 / 6.0, 7.0 / 6.0, 1.5, 1.5, 2.0 / 3.0, 2.0 / 3.0];
                let r = [1.0, 1.0, 1.0, 1.0, 0.5, 0.5];
                let mut phi = [[0.0; 12]; 6];
                for k in 0..6 {
                    for (c, v) in phi[k].iter_mut().enumerate() {
                        let mut vv = scale[k] * c as f64;
                        if k % 2 == 0 {
                            vv -= 0.5;
                        }
                        *v = r[k] * (std::f64::consts::PI * vv).cos();
                    }
                }
                Item::Tonnetz {
                    fb: chroma_filterbank(p.sample_rate_hz, p.n_fft, 0.0),
                    phi: Box::new(phi),
                }
            }
            Descriptor::SpectralContrast {
                n_bands,
                fmin_hz,
                quantile,
            } => {
                for i in 0..=*n_bands {
                    p.column(format!("contrast_{i}"), false);
                }
                p.read_magnitudes();
                self.sorted.reserve(p.freqs.len());
                Item::Contrast {
                    bands: contrast_bands(p.freqs, *n_bands, *fmin_hz, *quantile)?,
                    scratch: Array2::zeros((0, 2 * (n_bands + 1))),
                }
            }
            _ => return Ok(false),
        };
        self.items.push((lo, p.n_columns(), item));
        Ok(true)
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn start(&mut self, n_frames: usize) {
        for (_, _, item) in &mut self.items {
            if let Item::Contrast { bands, scratch } = item {
                // every row is overwritten before it is read (frame() / finish())
                reshape(scratch, n_frames, 2 * bands.len());
            }
        }
    }

    fn frame(&mut self, f: &Frame<'_>, row: &mut [f64]) {
        tonal_frame(self, f, row)
    }

    /// Contrast: peaks and valleys to dB (floored 80 dB below their maxima), then their
    /// differences.
    fn finish(&mut self, out: &mut Array2<f64>, _u: &Utterance<'_>) {
        let n_frames = out.nrows();
        for (lo, _, item) in &mut self.items {
            let lo = *lo;
            if let Item::Contrast { bands, scratch } = item {
                let nb = bands.len();
                let to_db = |m: &mut Array2<f64>, a: usize, b: usize| {
                    let mut sl = m.slice_axis_mut(Axis(1), Slice::from(a..b));
                    sl.mapv_inplace(|v| DB_PER_LN * ln_pos(v.max(AMIN)));
                    let mx = sl.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    sl.mapv_inplace(|v| v.max(mx - 80.0));
                };
                to_db(scratch, 0, nb);
                to_db(scratch, nb, 2 * nb);
                for t in 0..n_frames {
                    for k in 0..nb {
                        out[(t, lo + k)] = scratch[(t, k)] - scratch[(t, nb + k)];
                    }
                }
            }
        }
    }
}

/// librosa `chroma_stft` column: filterbank times power, L2-normalised (unchanged when ~0).
fn chroma(fb: &[Vec<f64>], power: &[f64], out: &mut [f64]) {
    for (row, o) in fb.iter().zip(out.iter_mut()) {
        *o = row.iter().zip(power).map(|(a, b)| a * b).sum();
    }
    let n: f64 = out.iter().map(|v| v * v).sum::<f64>().sqrt();
    if n > f64::MIN_POSITIVE {
        for v in out.iter_mut() {
            *v /= n;
        }
    }
}

/// librosa `spectral_contrast` octave bands.
fn contrast_bands(
    freqs: &[f64],
    n_bands: usize,
    fmin: f64,
    quantile: f64,
) -> Result<Vec<ContrastBand>> {
    let mut octa = vec![0.0; n_bands + 2];
    for (i, o) in octa.iter_mut().enumerate().skip(1) {
        *o = fmin * 2f64.powi(i as i32 - 1);
    }
    let nyq = freqs.last().copied().unwrap_or(0.0);
    if octa[n_bands] >= nyq {
        return Err(Error::Param {
            name: "spectral_contrast.fmin_hz",
            expected: format!("fmin_hz * 2^(n_bands-1) < Nyquist ({nyq} Hz)"),
            found: format!("fmin_hz {fmin}, n_bands {n_bands}"),
        });
    }
    let nb = freqs.len();
    let mut bands = Vec::new();
    for k in 0..=n_bands {
        let (f_lo, f_hi) = (octa[k], octa[k + 1]);
        let mut mask: Vec<bool> = freqs.iter().map(|&f| f >= f_lo && f <= f_hi).collect();
        let idx: Vec<usize> = (0..nb).filter(|&i| mask[i]).collect();
        let (Some(&first), Some(&last)) = (idx.first(), idx.last()) else {
            return Err(Error::Param {
                name: "spectral_contrast",
                expected: "a non-empty band".into(),
                found: format!("band {k} has no bins"),
            });
        };
        if k > 0 && first > 0 {
            mask[first - 1] = true;
        }
        if k == n_bands {
            for m in mask.iter_mut().skip(last + 1) {
                *m = true;
            }
        }
        let count = mask.iter().filter(|&&m| m).count();
        let start = mask.iter().position(|&m| m).unwrap_or(0);
        let mut end = start + count;
        if k < n_bands {
            end -= 1;
        }
        let take = ((quantile * count as f64).round_ties_even() as usize).max(1);
        bands.push(ContrastBand { start, end, take });
    }
    Ok(bands)
}

/// Means of the `take` smallest and the `take` largest values of `v` (`take` clamped to
/// `1..=len`; (0, 0) for an empty slice). One pass with small insertion lists for `take <= 8`
/// (spectral contrast takes 1 to 3 bins per band at usual sizes), partial selection otherwise.
#[inline(always)]
fn extreme_means(v: &[f64], take: usize, buf: &mut Vec<f64>) -> (f64, f64) {
    let m = v.len();
    if m == 0 {
        return (0.0, 0.0);
    }
    let take = take.clamp(1, m);
    if take == 1 {
        return crate::fastmath::min_max(v);
    }
    // 2 and 3 are the usual takes of the wide upper bands
    if take == 2 {
        return sums_over(extremes_lanes::<2>(v), take);
    }
    if take == 3 {
        return sums_over(extremes_lanes::<3>(v), take);
    }
    if take <= 8 {
        // lo: ascending `take` smallest so far; hi: descending `take` largest so far
        let mut lo = [f64::INFINITY; 8];
        let mut hi = [f64::NEG_INFINITY; 8];
        let (lo, hi) = (&mut lo[..take], &mut hi[..take]);
        for &x in v {
            insert_smallest(lo, x);
            insert_largest(hi, x);
        }
        let n = take as f64;
        return (lo.iter().sum::<f64>() / n, hi.iter().sum::<f64>() / n);
    }
    buf.clear();
    buf.extend_from_slice(v);
    let n = take as f64;
    if take < m {
        buf.select_nth_unstable_by(take - 1, f64::total_cmp);
    }
    let valley = buf[..take].iter().sum::<f64>() / n;
    if take < m {
        buf.select_nth_unstable_by(m - take, f64::total_cmp);
    }
    let peak = buf[m - take..].iter().sum::<f64>() / n;
    (valley, peak)
}

/// The means of the two lists of [`extremes_lanes`], each summed in its list's order (smallest
/// first, largest first), as the insertion lists of [`extreme_means`] are.
#[inline(always)]
fn sums_over<const K: usize>((lo, hi): ([f64; K], [f64; K]), take: usize) -> (f64, f64) {
    let n = take as f64;
    (lo.iter().sum::<f64>() / n, hi.iter().sum::<f64>() / n)
}

/// The `K` smallest values of `v` ascending and the `K` largest descending (`v.len() >= K`;
/// NaN never taken), branch-free: four lanes each keep their own `K` smallest and largest by
/// compare-exchange down the list (vectorised across the lanes), then the lanes' lists and the
/// tail go through the insertion lists of [`extreme_means`]. The `K` extremes of the union of
/// the lanes' extremes are the slice's, so the lists are the same, with one exception the
/// callers cannot meet: `-0.0` and `+0.0` compare equal, so when the kept extremes are zeros of
/// both signs, which zeros are kept follows the lanes, not the slice order, and an all-zero
/// mean may take the other sign. The callers pass magnitudes (square roots of sums of squares:
/// never `-0.0`).
#[inline(always)]
fn extremes_lanes<const K: usize>(v: &[f64]) -> ([f64; K], [f64; K]) {
    const L: usize = 4;
    let mut lo = [[f64::INFINITY; L]; K];
    let mut hi = [[f64::NEG_INFINITY; L]; K];
    let mut ch = v.chunks_exact(L);
    for c in &mut ch {
        for j in 0..L {
            let mut y = c[j];
            // (min, max) as single min / max instructions: a row never holds a NaN, and a
            // NaN `y` passes down unchanged and is never stored
            for row in lo.iter_mut() {
                let a = row[j];
                row[j] = if y < a { y } else { a };
                y = if a > y { a } else { y };
            }
            let mut y = c[j];
            for row in hi.iter_mut() {
                let a = row[j];
                row[j] = if y > a { y } else { a };
                y = if a < y { a } else { y };
            }
        }
    }
    let mut flo = [f64::INFINITY; K];
    let mut fhi = [f64::NEG_INFINITY; K];
    for (l, h) in lo.iter().zip(&hi) {
        for j in 0..L {
            insert_smallest(&mut flo, l[j]);
            insert_largest(&mut fhi, h[j]);
        }
    }
    for &x in ch.remainder() {
        insert_smallest(&mut flo, x);
        insert_largest(&mut fhi, x);
    }
    (flo, fhi)
}

/// Inserts `x` into `lo` (ascending: the smallest values so far, `+inf` where none yet) when it
/// is smaller than the last; NaN never enters.
#[inline(always)]
fn insert_smallest(lo: &mut [f64], x: f64) {
    let k = lo.len();
    if x < lo[k - 1] {
        let mut i = k - 1;
        while i > 0 && lo[i - 1] > x {
            lo[i] = lo[i - 1];
            i -= 1;
        }
        lo[i] = x;
    }
}

/// Inserts `x` into `hi` (descending: the largest values so far, `-inf` where none yet) when it
/// is larger than the last; NaN never enters.
#[inline(always)]
fn insert_largest(hi: &mut [f64], x: f64) {
    let k = hi.len();
    if x > hi[k - 1] {
        let mut i = k - 1;
        while i > 0 && hi[i - 1] < x {
            hi[i] = hi[i - 1];
            i -= 1;
        }
        hi[i] = x;
    }
}

/// Also compiled for AVX2 and chosen at run time; bit-identical results (see `spectral_frame`).
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn tonal_frame(s: &mut Tonal, f: &Frame<'_>, row: &mut [f64]) {
    s.frame_inner(f, row)
}

impl Tonal {
    #[inline(always)]
    fn frame_inner(&mut self, f: &Frame<'_>, row: &mut [f64]) {
        for (lo, hi, item) in &mut self.items {
            let cols = &mut row[*lo..*hi];
            match item {
                Item::Chroma { fb } => chroma(fb, f.power, cols),
                Item::Tonnetz { fb, phi } => {
                    let mut ch = [0.0; 12];
                    chroma(fb, f.power, &mut ch);
                    let s: f64 = ch.iter().map(|v| v.abs()).sum();
                    if s > f64::MIN_POSITIVE {
                        for v in ch.iter_mut() {
                            *v /= s;
                        }
                    }
                    for (p, c) in phi.iter().zip(cols.iter_mut()) {
                        *c = p.iter().zip(&ch).map(|(a, b)| a * b).sum();
                    }
                }
                Item::Contrast { bands, scratch } => {
                    let nb = bands.len();
                    let mut r = scratch.row_mut(f.t);
                    let r = r.as_slice_mut().expect("standard layout");
                    for (k, band) in bands.iter().enumerate() {
                        let (valley, peak) = extreme_means(
                            &f.mag[band.start..band.end],
                            band.take,
                            &mut self.sorted,
                        );
                        r[nb + k] = valley;
                        r[k] = peak;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {

    use super::extreme_means;

    #[test]
    fn extreme_means_match_sorting() {
        let mut state = 7u64;
        let mut buf = Vec::new();
        for len in [1usize, 2, 3, 7, 20, 129] {
            let v: Vec<f64> = (0..len)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    ((state >> 33) % 50) as f64 // many ties
                })
                .collect();
            let mut s = v.clone();
            s.sort_by(f64::total_cmp);
            for take in [1usize, 2, 3, 8, 9, 40, 200] {
                let t = take.clamp(1, len);
                let lo = s[..t].iter().sum::<f64>() / t as f64;
                let hi = s[len - t..].iter().sum::<f64>() / t as f64;
                let (a, b) = extreme_means(&v, take, &mut buf);
                assert!(
                    (a - lo).abs() < 1e-12 && (b - hi).abs() < 1e-12,
                    "{len} {take}"
                );
            }
        }
        assert_eq!(extreme_means(&[], 3, &mut buf), (0.0, 0.0));
    }

    /// Bit for bit the sums of the sorted extremes (smallest first; largest first), for the
    /// lane path (takes 2 and 3) and the insertion path, on non-integer values with ties,
    /// zeros (+0.0, as magnitudes are), NaNs and every length around the lane width.
    #[test]
    fn extreme_means_are_the_sorted_sums_bit_for_bit() {
        let mut state = 11u64;
        let mut buf = Vec::new();
        for len in 1usize..=40 {
            for _ in 0..50 {
                let v: Vec<f64> = (0..len)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1);
                        match (state >> 33) % 20 {
                            0 => f64::NAN,
                            1 => 0.1,
                            2 => 0.0,
                            r => ((state >> 40) as f64 / 7.0).sqrt() + r as f64 * 1e-3,
                        }
                    })
                    .collect();
                let mut s: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
                s.sort_by(f64::total_cmp);
                for take in 1usize..=5 {
                    let t = take.clamp(1, len);
                    if s.len() < t {
                        continue; // NaNs leave fewer values than the take
                    }
                    let lo = s[..t].iter().sum::<f64>() / t as f64;
                    let hi = s[s.len() - t..].iter().rev().sum::<f64>() / t as f64;
                    let (a, b) = extreme_means(&v, take, &mut buf);
                    assert_eq!(
                        (a.to_bits(), b.to_bits()),
                        (lo.to_bits(), hi.to_bits()),
                        "{v:?} {take}"
                    );
                }
            }
        }
    }
}
