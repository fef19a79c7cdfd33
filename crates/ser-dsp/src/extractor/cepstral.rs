//! Mel / cepstral family: mel filterbank energies, log-mel bands and MFCCs. The filterbanks run
//! per frame, both frames of a paired FFT at once ([`Family::pair`]); the `top_db` floors and
//! the MFCC DCT run once per utterance over all frames ([`Family::finish`]). An MFCC whose
//! filterbank and floor equal an earlier log-mel descriptor's reads that descriptor's columns.

use ndarray::{Array2, Axis, Slice};

use super::{AMIN, Family, Frame, Planner, Utterance, reshape};
use crate::config::{Descriptor, MelConfig};
use crate::mel::{Filterbank, dct_ortho};
use crate::{Error, Result, fastmath};

enum Item {
    Mel {
        fb: Filterbank,
    },
    LogMel {
        fb: Filterbank,
        /// The filterbank's parameters (a later MFCC with the same ones shares the bands).
        mel: MelConfig,
        top_db: Option<f64>,
    },
    Mfcc(Mfcc),
}

struct Mfcc {
    fb: Filterbank,
    top_db: Option<f64>,
    /// Orthonormal DCT-II, `n_mfcc x n_mels` row major.
    dct: Vec<f64>,
    n_mfcc: usize,
    lifter: Vec<f64>,
    /// Log-mel input of every frame, `(n_frames, n_mels)`.
    scratch: Array2<f64>,
    /// Reused buffer of the DCT: folded mel-major log-mel rows, then one coefficient row.
    work: Vec<f64>,
    /// First column of an earlier `log_mel` descriptor with the same filterbank and top_db.
    shared: Option<usize>,
}

/// The mel / log-mel / MFCC descriptors of a set, each with its columns `lo..hi`.
#[derive(Default)]
pub(super) struct Cepstral {
    items: Vec<(usize, usize, Item)>,
}

impl Family for Cepstral {
    fn plan(&mut self, d: &Descriptor, p: &mut Planner<'_>) -> Result<bool> {
        let lo = p.n_columns();
        let item = match d {
            Descriptor::Mel { mel } => Item::Mel {
                fb: filterbank(mel, "mel", mel.n_mels, p)?,
            },
            Descriptor::LogMel { mel, top_db } => Item::LogMel {
                fb: filterbank(mel, "log_mel", mel.n_mels, p)?,
                mel: mel.clone(),
                top_db: *top_db,
            },
            Descriptor::Mfcc {
                n_mfcc,
                mel,
                top_db,
                lifter,
            } => {
                let fb = filterbank(mel, "mfcc", *n_mfcc, p)?;
                let lift = (0..*n_mfcc)
                    .map(|i| {
                        if *lifter > 0.0 {
                            1.0 + lifter / 2.0
                                * (std::f64::consts::PI * (i as f64 + 1.0) / lifter).sin()
                        } else {
                            1.0
                        }
                    })
                    .collect();
                let shared = self.items.iter().find_map(|(lo, _, item)| match item {
                    Item::LogMel {
                        mel: m, top_db: t, ..
                    } if m == mel && t == top_db => Some(*lo),
                    _ => None,
                });
                Item::Mfcc(Mfcc {
                    fb,
                    top_db: *top_db,
                    dct: dct_ortho(*n_mfcc, mel.n_mels),
                    n_mfcc: *n_mfcc,
                    lifter: lift,
                    scratch: Array2::zeros((0, mel.n_mels)),
                    work: Vec::new(),
                    shared,
                })
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
            if let Item::Mfcc(m) = item {
                // every row is overwritten before it is read (frame() / pair() / finish())
                reshape(&mut m.scratch, n_frames, m.fb.bands.len());
            }
        }
    }

    /// Filterbank outputs of frames `t` and `t + 1` into their rows / the MFCC scratch.
    fn pair(&mut self, t: usize, [pa, pb]: [&[f64]; 2], [ra, rb]: [&mut [f64]; 2]) {
        cepstral_pair(self, t, [pa, pb], [ra, rb])
    }

    fn frame(&mut self, f: &Frame<'_>, row: &mut [f64]) {
        if f.paired {
            // both frames of the FFT pair are done in pair()
            return;
        }
        for (lo, hi, item) in &mut self.items {
            let cols = &mut row[*lo..*hi];
            match item {
                Item::Mel { fb } => fb.apply(f.power, cols),
                Item::LogMel { fb, .. } => {
                    fb.apply(f.power, cols);
                    fastmath::power_to_db_inplace(cols, AMIN);
                }
                Item::Mfcc(m) if m.shared.is_none() => {
                    let mut r = m.scratch.row_mut(f.t);
                    let r = r.as_slice_mut().expect("standard layout");
                    m.fb.apply(f.power, r);
                    fastmath::power_to_db_inplace(r, AMIN);
                }
                Item::Mfcc(_) => {}
            }
        }
    }

    /// `top_db` floors of the log-mel bands, then the MFCC DCTs (in column order: a shared
    /// log-mel block is floored before an MFCC reads it).
    fn finish(&mut self, out: &mut Array2<f64>, _u: &Utterance<'_>) {
        for (lo, hi, item) in &mut self.items {
            let (lo, hi) = (*lo, *hi);
            match item {
                Item::LogMel {
                    top_db: Some(td), ..
                } => {
                    let mx = out
                        .slice_axis(Axis(1), Slice::from(lo..hi))
                        .rows()
                        .into_iter()
                        .map(|r| fastmath::max(r.to_slice().expect("contiguous rows")))
                        .fold(f64::NEG_INFINITY, f64::max);
                    out.slice_axis_mut(Axis(1), Slice::from(lo..hi))
                        .mapv_inplace(|v| v.max(mx - *td));
                }
                Item::Mfcc(m) => m.finish(lo, out),
                Item::Mel { .. } | Item::LogMel { top_db: None, .. } => {}
            }
        }
    }
}

impl Mfcc {
    /// Floors the log-mel input (or copies the shared log-mel columns) and writes the
    /// coefficients of every frame into columns `lo..lo + n_mfcc` of `out`.
    fn finish(&mut self, lo: usize, out: &mut Array2<f64>) {
        let n_frames = out.nrows();
        let Mfcc {
            top_db,
            dct,
            n_mfcc,
            lifter,
            scratch,
            work,
            shared,
            ..
        } = self;
        if let Some(c0) = *shared {
            // the log-mel block (earlier, already clamped with the same top_db)
            let nm = scratch.ncols();
            scratch.assign(&out.slice_axis(Axis(1), Slice::from(c0..c0 + nm)));
        } else if let Some(td) = top_db {
            let sl = scratch.as_slice_mut().expect("standard layout");
            let floor = fastmath::max(sl) - *td;
            for v in sl.iter_mut() {
                *v = v.max(floor);
            }
        }
        // C = S D^T over all frames at once, with S transposed (mel-major) so that
        // each coefficient is a sum of scaled contiguous rows (vectorisable axpys).
        // DCT-II symmetry: row k of D is even (k even) or odd (k odd) about the
        // centre, so only half of each row is needed, applied to the folded sums /
        // differences u_n = s_n + s_{N-1-n}, v_n = s_n - s_{N-1-n} (half the MACs).
        let nm = scratch.ncols();
        let half = nm / 2;
        let n_fold = 2 * half + nm % 2;
        work.clear();
        work.resize((n_fold + 1) * n_frames, 0.0);
        let (folded, acc) = work.split_at_mut(n_fold * n_frames);
        let sl = scratch.as_slice().expect("standard layout");
        for (t, s) in sl.chunks_exact(nm).enumerate() {
            for j in 0..half {
                let (x, y) = (s[j], s[nm - 1 - j]);
                folded[j * n_frames + t] = x + y;
                folded[(half + j) * n_frames + t] = x - y;
            }
            if nm % 2 == 1 {
                folded[2 * half * n_frames + t] = s[half];
            }
        }
        let nc = out.ncols();
        let o = out.as_slice_mut().expect("standard layout");
        for (i, l) in lifter.iter().enumerate().take(*n_mfcc) {
            let d = &dct[i * nm..(i + 1) * nm];
            let off = if i % 2 == 0 { 0 } else { half };
            // the centre sample only for even rows of an odd-sized DCT (odd rows
            // vanish there)
            let centre = (nm % 2 == 1 && i % 2 == 0).then(|| {
                (
                    d[half],
                    &folded[2 * half * n_frames..(2 * half + 1) * n_frames],
                )
            });
            // blocks of B frames accumulated in registers
            const B: usize = 8;
            let n_blk = n_frames / B * B;
            for t0 in (0..n_blk).step_by(B) {
                let mut a = [0.0f64; B];
                for (j, &c) in d[..half].iter().enumerate() {
                    let base = (off + j) * n_frames + t0;
                    let row: &[f64; B] = folded[base..base + B]
                        .try_into()
                        .expect("slice of length B");
                    for q in 0..B {
                        a[q] += c * row[q];
                    }
                }
                if let Some((c, row)) = centre {
                    for q in 0..B {
                        a[q] += c * row[t0 + q];
                    }
                }
                acc[t0..t0 + B].copy_from_slice(&a);
            }
            for (t, a) in acc.iter_mut().enumerate().skip(n_blk) {
                *a = d[..half]
                    .iter()
                    .enumerate()
                    .map(|(j, &c)| c * folded[(off + j) * n_frames + t])
                    .sum::<f64>()
                    + centre.map_or(0.0, |(c, row)| c * row[t]);
            }
            for (o, a) in o[lo + i..].iter_mut().step_by(nc).zip(acc.iter()) {
                *o = a * l;
            }
        }
    }
}

/// Checks `mel.fmax_hz`, appends the columns `<prefix>_0 .. <prefix>_<n_cols - 1>` and builds
/// the filterbank.
fn filterbank(
    mel: &MelConfig,
    prefix: &str,
    n_cols: usize,
    p: &mut Planner<'_>,
) -> Result<Filterbank> {
    check_fmax(mel.fmax_hz, p.nyquist())?;
    for i in 0..n_cols {
        p.column(format!("{prefix}_{i}"), false);
    }
    Ok(Filterbank::mel(mel, p.sample_rate_hz, p.n_fft))
}

pub(super) fn check_fmax(fmax: Option<f64>, nyq: f64) -> Result<()> {
    match fmax {
        Some(f) if !(f.is_finite() && f > 0.0 && f <= nyq * 1.000001) => Err(Error::Param {
            name: "mel.fmax_hz",
            expected: format!("(0, {nyq}] (Nyquist)"),
            found: f.to_string(),
        }),
        _ => Ok(()),
    }
}

/// Also compiled for AVX2 and chosen at run time; bit-identical results (see `spectral_frame`).
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn cepstral_pair(s: &mut Cepstral, t: usize, [pa, pb]: [&[f64]; 2], [ra, rb]: [&mut [f64]; 2]) {
    s.pair_inner(t, [pa, pb], [ra, rb])
}

impl Cepstral {
    #[inline(always)]
    fn pair_inner(&mut self, t: usize, [pa, pb]: [&[f64]; 2], [ra, rb]: [&mut [f64]; 2]) {
        for (lo, hi, item) in &mut self.items {
            let (lo, hi) = (*lo, *hi);
            match item {
                Item::Mel { fb } => fb.apply2(pa, pb, &mut ra[lo..hi], &mut rb[lo..hi]),
                Item::LogMel { fb, .. } => {
                    fb.apply2(pa, pb, &mut ra[lo..hi], &mut rb[lo..hi]);
                    fastmath::power_to_db_inplace(&mut ra[lo..hi], AMIN);
                    fastmath::power_to_db_inplace(&mut rb[lo..hi], AMIN);
                }
                Item::Mfcc(m) if m.shared.is_none() => {
                    let nm = m.scratch.ncols();
                    let sf = m.scratch.as_slice_mut().expect("standard layout");
                    let (sa, sb) = sf[t * nm..(t + 2) * nm].split_at_mut(nm);
                    m.fb.apply2(pa, pb, sa, sb);
                    fastmath::power_to_db_inplace(sa, AMIN);
                    fastmath::power_to_db_inplace(sb, AMIN);
                }
                Item::Mfcc(_) => {}
            }
        }
    }
}
