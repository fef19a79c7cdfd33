//! Growing one tree: the per-node feature draw, the Gini grower of the forest and the Newton
//! (gradient, hessian) grower of boosting.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::{Bins, Growth, Target, Tree};

/// The candidate features of one node, drawn as scikit-learn does: without replacement (lazy
/// Fisher–Yates over `feats`), every drawn feature counting towards `max_features`, but drawing
/// goes on until at least one non-constant feature has been seen.
struct FeatureDraw {
    max_features: usize,
    drawn: usize,
    constants: usize,
}

impl FeatureDraw {
    fn new(max_features: usize) -> Self {
        Self {
            max_features,
            drawn: 0,
            constants: 0,
        }
    }

    /// The next candidate feature, or `None` when the node has drawn enough (or all).
    fn next(&mut self, feats: &mut [usize], rng: &mut ChaCha8Rng) -> Option<usize> {
        let enough = self.drawn >= self.max_features && self.drawn > self.constants;
        if self.drawn >= feats.len() || enough {
            return None;
        }
        let pick = rng.random_range(self.drawn..feats.len());
        feats.swap(self.drawn, pick);
        self.drawn += 1;
        Some(feats[self.drawn - 1])
    }

    /// The last drawn feature is constant on the node's rows.
    fn constant(&mut self) {
        self.constants += 1;
    }
}

/// Grows a tree on `rows` (indices into the binned matrix).
pub(super) fn grow(
    bins: &Bins,
    mut rows: Vec<usize>,
    target: &Target<'_>,
    growth: Growth,
    rng: &mut ChaCha8Rng,
) -> Tree {
    let width = target.width();
    let lw = target.leaf_width();
    let d = bins.n_features();
    let mut tree = Tree::new(lw);
    let root = tree.push_leaf();
    // (node, start, end, depth)
    let mut stack = vec![(root, 0usize, rows.len(), 0usize)];
    let mut feats: Vec<usize> = (0..d).collect();
    let mut total = vec![0.0; width];
    let mut hist_stats = vec![0.0f64; bins.max_nb * width];
    let mut hist_count = vec![0usize; bins.max_nb];
    let mut pairs: Vec<(u16, usize)> = Vec::new();
    let mut groups: Vec<(u16, usize, usize)> = Vec::new();
    let mut gstats: Vec<f64> = Vec::new();
    let mut left_s = vec![0.0; width];
    let mut right_s = vec![0.0; width];
    while let Some((node, start, end, depth)) = stack.pop() {
        let m = end - start;
        total.fill(0.0);
        for &r in &rows[start..end] {
            target.add(r, &mut total);
        }
        let leaf_value = target.leaf(&total);
        tree.value[node * lw..(node + 1) * lw].copy_from_slice(&leaf_value);
        if depth >= growth.max_depth
            || m < growth.min_samples_split
            || m < 2 * growth.min_samples_leaf
            || target.is_pure(&total)
        {
            continue;
        }
        let parent_score = target.score(&total);
        let mut best: Option<(f64, usize, u16)> = None;
        let mut draw = FeatureDraw::new(growth.max_features);
        while let Some(f) = draw.next(&mut feats, rng) {
            // Compact (code, count, stats offset) list of the non-empty bins of this feature.
            groups.clear();
            gstats.clear();
            let nb = bins.edges[f].len() + 1;
            if m * 8 < nb {
                pairs.clear();
                pairs.extend(rows[start..end].iter().map(|&r| (bins.code(f, r), r)));
                pairs.sort_unstable_by_key(|p| p.0);
                for &(c, r) in &pairs {
                    if groups.last().map(|g| g.0) != Some(c) {
                        groups.push((c, 0, gstats.len()));
                        gstats.extend(std::iter::repeat_n(0.0, width));
                    }
                    let Some(g) = groups.last_mut() else { continue };
                    g.1 += 1;
                    let off = g.2;
                    target.add(r, &mut gstats[off..off + width]);
                }
            } else {
                hist_stats[..nb * width].fill(0.0);
                hist_count[..nb].fill(0);
                let col = &bins.codes[f * bins.n..(f + 1) * bins.n];
                for &r in &rows[start..end] {
                    let c = col[r] as usize;
                    hist_count[c] += 1;
                    target.add(r, &mut hist_stats[c * width..(c + 1) * width]);
                }
                for c in 0..nb {
                    if hist_count[c] > 0 {
                        groups.push((c as u16, hist_count[c], gstats.len()));
                        gstats.extend_from_slice(&hist_stats[c * width..(c + 1) * width]);
                    }
                }
            }
            if groups.len() < 2 {
                draw.constant();
                continue;
            }
            left_s.fill(0.0);
            let mut left_n = 0usize;
            for g in &groups[..groups.len() - 1] {
                left_n += g.1;
                for s in 0..width {
                    left_s[s] += gstats[g.2 + s];
                }
                let right_n = m - left_n;
                if left_n < growth.min_samples_leaf {
                    continue;
                }
                if right_n < growth.min_samples_leaf {
                    break;
                }
                for s in 0..width {
                    right_s[s] = total[s] - left_s[s];
                }
                let gain = target.score(&left_s) + target.score(&right_s) - parent_score;
                if gain > 1e-12 * parent_score.abs().max(1e-12) && best.is_none_or(|b| gain > b.0) {
                    best = Some((gain, f, g.0));
                }
            }
        }
        let Some((_, f, code)) = best else { continue };
        // Partition rows[start..end] by code <= split code.
        let slice = &mut rows[start..end];
        let mut i = 0;
        let mut j = slice.len();
        while i < j {
            if bins.code(f, slice[i]) <= code {
                i += 1;
            } else {
                j -= 1;
                slice.swap(i, j);
            }
        }
        let mid = start + i;
        let (l, r) = tree.split(node, f, bins.edges[f][code as usize]);
        stack.push((r, mid, end, depth + 1));
        stack.push((l, start, mid, depth + 1));
    }
    tree
}

/// Grows a boosting tree on `rows` with Newton leaves `-G / (H + lambda)` (gradients and
/// hessians already carry the sample weights). Same growth rules as [`grow`], specialised for two
/// statistics per row: one pass per drawn feature into a (gradient, hessian, count) histogram over
/// its bins, then a cumulative scan. Rows stay ascending within a node (stable partition), so the
/// column reads are sequential.
pub(super) fn grow_grad(
    bins: &Bins,
    mut rows: Vec<usize>,
    gh: &[[f64; 2]],
    lambda: f64,
    growth: Growth,
    rng: &mut ChaCha8Rng,
) -> Tree {
    let d = bins.n_features();
    let mut tree = Tree::new(1);
    let root = tree.push_leaf();
    let mut stack = vec![(root, 0usize, rows.len(), 0usize)];
    let mut feats: Vec<usize> = (0..d).collect();
    // Per bin: summed gradient, hessian and row count.
    let mut hist = vec![[0.0f64; 3]; bins.max_nb];
    // The node's (gradient, hessian) pairs in row order (one gather per node, not per feature).
    let mut ordered: Vec<[f64; 2]> = Vec::with_capacity(rows.len());
    let mut gains = vec![0.0f64; bins.max_nb];
    let mut right_rows: Vec<usize> = Vec::with_capacity(rows.len());
    let min_leaf = growth.min_samples_leaf;
    while let Some((node, start, end, depth)) = stack.pop() {
        let m = end - start;
        let (mut gs, mut hs) = (0.0f64, 0.0f64);
        ordered.clear();
        for &r in &rows[start..end] {
            gs += gh[r][0];
            hs += gh[r][1];
            ordered.push(gh[r]);
        }
        tree.value[node] = (-gs / (hs + lambda)) as f32;
        if depth >= growth.max_depth
            || m < growth.min_samples_split
            || m < 2 * min_leaf
            || hs < 2.0 * growth.min_hessian_leaf
        {
            continue;
        }
        let parent = gs * gs / (hs + lambda);
        let min_gain = 1e-12 * parent.abs().max(1e-12);
        let mut best: Option<(f64, usize, u16)> = None;
        let mut draw = FeatureDraw::new(growth.max_features);
        while let Some(f) = draw.next(&mut feats, rng) {
            let nb = bins.edges[f].len() + 1;
            let hist = &mut hist[..nb];
            hist.fill([0.0; 3]);
            let col = &bins.codes[f * bins.n..(f + 1) * bins.n];
            for (&r, o) in rows[start..end].iter().zip(&ordered) {
                let e = &mut hist[col[r] as usize];
                e[0] += o[0];
                e[1] += o[1];
                e[2] += 1.0;
            }
            if hist.iter().filter(|e| e[2] > 0.0).count() < 2 {
                draw.constant();
                continue;
            }
            // Prefix sums, then the gain of "bins <= c go left" for every c in a branch-free
            // (vectorisable) loop; a split after an empty bin repeats the previous partition
            // with the same gain, and the strict `>` below keeps the first of equal gains.
            let mut acc = [0.0f64; 3];
            for e in hist.iter_mut() {
                for (a, v) in acc.iter_mut().zip(e.iter_mut()) {
                    *a += *v;
                    *v = *a;
                }
            }
            let minh = growth.min_hessian_leaf;
            let (min_n, max_n) = (min_leaf as f64, (m - min_leaf) as f64);
            for (gain_c, e) in gains[..nb - 1].iter_mut().zip(hist.iter()) {
                let (lg, lh, ln) = (e[0], e[1], e[2]);
                let (rg, rh) = (gs - lg, hs - lh);
                let ok = ln >= min_n && ln <= max_n && lh >= minh && rh >= minh;
                let gain = lg * lg / (lh + lambda) + rg * rg / (rh + lambda) - parent;
                *gain_c = if ok { gain } else { f64::NEG_INFINITY };
            }
            for (c, &gain) in gains[..nb - 1].iter().enumerate() {
                if gain > min_gain && best.is_none_or(|b| gain > b.0) {
                    best = Some((gain, f, c as u16));
                }
            }
        }
        let Some((_, f, code)) = best else { continue };
        // Stable partition of rows[start..end] by code <= split code.
        let col = &bins.codes[f * bins.n..(f + 1) * bins.n];
        right_rows.clear();
        let mut w = start;
        for i in start..end {
            let r = rows[i];
            if col[r] <= code {
                rows[w] = r;
                w += 1;
            } else {
                right_rows.push(r);
            }
        }
        rows[w..end].copy_from_slice(&right_rows);
        let (l, r) = tree.split(node, f, bins.edges[f][code as usize]);
        stack.push((r, w, end, depth + 1));
        stack.push((l, start, w, depth + 1));
    }
    tree
}
