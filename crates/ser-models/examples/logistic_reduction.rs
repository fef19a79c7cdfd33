//! The logistic regression's two solvers on the same data, timed in one run: the direct problem
//! (L-BFGS over the `k × d` weights) and the row-space reduction (over `k × rank` weights), with
//! iteration counts and how far apart their coefficients and probabilities end up.
//!
//! `cargo run --release -p ser-models --example logistic_reduction -- [options]`
//!
//! - default: random Gaussian tables of 480 rows, 7 classes and 480 / 576 / 720 / 1022 / 3797
//!   columns (three class-mean directions, so the classes overlap but are learnable), C = 1;
//!   `--shapes 2000x2400,...` for other shapes;
//! - `--csv FILE`: a feature table written by `cargo xtask prepare --csv` (features are the
//!   columns after `quality`, labels `emotion`, groups `speaker`): every leave-one-speaker-out
//!   fold's training rows, standardised on themselves, as a grid search fits them;
//! - `--c C` (default 1), `--tol TOL` (default 1e-6), `--balanced` (balanced class weights),
//!   `--max-folds N`, `--reference` (also fit the direct problem at `tol / 1000` and report how far
//!   each solution is from it: `ref_dir`, `ref_red`, relative to the largest coefficient).
//!
//! Run single-threaded (`RAYON_NUM_THREADS=1`; matrixmultiply does not thread here).

use std::collections::BTreeSet;
use std::time::Instant;

use ndarray::{Array2, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use ser_models::logistic::{Solver, SolverReport};
use ser_models::{ClassWeight, FitOptions, FittedClassifier, LogisticParams, ScalerSpec};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

struct Args {
    csv: Option<String>,
    c: f64,
    tol: f64,
    balanced: bool,
    reference: bool,
    max_folds: usize,
    shapes: Vec<(usize, usize)>,
}

fn parse_args() -> Res<Args> {
    let mut a = Args {
        csv: None,
        c: 1.0,
        tol: 1e-6,
        balanced: false,
        reference: false,
        max_folds: usize::MAX,
        shapes: [480, 576, 720, 1022, 3797].map(|d| (480, d)).to_vec(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--csv" => a.csv = Some(it.next().ok_or("--csv FILE")?),
            "--c" => a.c = it.next().ok_or("--c C")?.parse()?,
            "--tol" => a.tol = it.next().ok_or("--tol TOL")?.parse()?,
            "--balanced" => a.balanced = true,
            "--reference" => a.reference = true,
            "--max-folds" => a.max_folds = it.next().ok_or("--max-folds N")?.parse()?,
            "--shapes" => {
                a.shapes = it
                    .next()
                    .ok_or("--shapes NxD,NxD")?
                    .split(',')
                    .map(|s| {
                        let (n, d) = s.split_once('x').ok_or("NxD")?;
                        Ok::<_, Box<dyn std::error::Error>>((n.parse()?, d.parse()?))
                    })
                    .collect::<Res<_>>()?;
            }
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    Ok(a)
}

/// Standard normal by Box–Muller.
fn normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-300);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// `n` rows, `d` columns, `k` classes: class means on three random directions plus unit noise.
fn random_table(n: usize, d: usize, k: usize, seed: u64) -> (Array2<f32>, Vec<usize>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let dirs: Vec<Vec<f64>> = (0..3)
        .map(|_| {
            (0..d)
                .map(|_| normal(&mut rng) / (d as f64).sqrt())
                .collect()
        })
        .collect();
    let means: Vec<[f64; 3]> = (0..k)
        .map(|_| [0; 3].map(|_| 1.5 * normal(&mut rng)))
        .collect();
    let y: Vec<usize> = (0..n).map(|i| i % k).collect();
    let x = Array2::from_shape_fn((n, d), |(i, j)| {
        let m: f64 = (0..3).map(|a| means[y[i]][a] * dirs[a][j]).sum();
        (m * (d as f64).sqrt() / 3.0 + normal(&mut rng)) as f32
    });
    (x, y)
}

#[derive(Default)]
struct Tally {
    direct_s: f64,
    reduced_s: f64,
    direct_iter: usize,
    reduced_iter: usize,
    full_norms: usize,
    fell_back: usize,
    max_coef: f64,
    max_proba: f64,
    /// With `--reference`: max |coef - reference| / max |coef| of the direct and the reduced fit.
    ref_direct: f64,
    ref_reduced: f64,
}

fn fit_both(x: ArrayView2<f32>, y: &[usize], k: usize, args: &Args, t: &mut Tally) -> Res<()> {
    let p = LogisticParams {
        c: args.c,
        tol: args.tol,
        ..LogisticParams::default()
    };
    let opts = FitOptions {
        class_weight: if args.balanced {
            ClassWeight::Balanced
        } else {
            ClassWeight::None
        },
        ..FitOptions::default()
    };
    let t0 = Instant::now();
    let (direct, _) = p.fit_with_solver(x, y, k, &opts, Solver::Direct)?;
    let t1 = Instant::now();
    let (reduced, rep): (_, SolverReport) = p.fit_with_solver(x, y, k, &opts, Solver::RowSpace)?;
    let t2 = Instant::now();
    t.direct_s += (t1 - t0).as_secs_f64();
    t.reduced_s += (t2 - t1).as_secs_f64();
    t.direct_iter += direct.n_iter;
    t.reduced_iter += reduced.n_iter;
    t.full_norms += rep.full_norms;
    t.fell_back += usize::from(rep.fell_back);
    let scale = direct.coef().iter().fold(0.0f64, |a, v| a.max(v.abs()));
    for (a, b) in direct.coef().iter().zip(reduced.coef()) {
        t.max_coef = t.max_coef.max((a - b).abs() / scale);
    }
    if args.reference {
        let tight = LogisticParams {
            tol: args.tol * 1e-3,
            max_iter: 20_000,
            ..p.clone()
        };
        let (r, _) = tight.fit_with_solver(x, y, k, &opts, Solver::Direct)?;
        for (m, out) in [(&direct, &mut t.ref_direct), (&reduced, &mut t.ref_reduced)] {
            for (a, b) in m.coef().iter().zip(r.coef()) {
                *out = out.max((a - b).abs() / scale);
            }
        }
    }
    let pd = direct.predict_proba(x)?.ok_or("probabilities")?;
    let pr = reduced.predict_proba(x)?.ok_or("probabilities")?;
    for (a, b) in pd.iter().zip(&pr) {
        t.max_proba = t.max_proba.max(f64::from((a - b).abs()));
    }
    Ok(())
}

fn print_header() {
    println!(
        "{:<28} {:>9} {:>9} {:>7} {:>9} {:>9} {:>6} {:>5} {:>9} {:>9} {:>9} {:>9}",
        "table",
        "direct_s",
        "reduced_s",
        "ratio",
        "it_direct",
        "it_reduc",
        "norms",
        "fallb",
        "d_coef",
        "d_proba",
        "ref_dir",
        "ref_red"
    );
}

fn print_row(name: &str, t: &Tally) {
    println!(
        "{:<28} {:>9.3} {:>9.3} {:>7.2} {:>9} {:>9} {:>6} {:>5} {:>9.1e} {:>9.1e} {:>9.1e} {:>9.1e}",
        name,
        t.direct_s,
        t.reduced_s,
        t.direct_s / t.reduced_s,
        t.direct_iter,
        t.reduced_iter,
        t.full_norms,
        t.fell_back,
        t.max_coef,
        t.max_proba,
        t.ref_direct,
        t.ref_reduced
    );
}

/// (features, labels, groups) of a `prepare --csv` table.
fn read_csv(path: &str) -> Res<(Array2<f32>, Vec<usize>, Vec<String>)> {
    let text = std::fs::read_to_string(path)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or("empty csv")?.split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or(format!("no column {name}"))
    };
    let (label_col, group_col, first) = (col("emotion")?, col("speaker")?, col("quality")? + 1);
    let d = header.len() - first;
    let (mut labels, mut groups, mut vals) = (Vec::new(), Vec::new(), Vec::new());
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        labels.push(f[label_col].to_string());
        groups.push(f[group_col].to_string());
        for v in &f[first..] {
            vals.push(v.parse::<f32>()?);
        }
    }
    let names: Vec<&String> = labels.iter().collect::<BTreeSet<_>>().into_iter().collect();
    let y = labels
        .iter()
        .map(|l| names.iter().position(|n| *n == l).unwrap_or(0))
        .collect();
    Ok((Array2::from_shape_vec((groups.len(), d), vals)?, y, groups))
}

fn main() -> Res<()> {
    let args = parse_args()?;
    println!(
        "# C = {}, class weights {}, tol {}; d_coef = max|coef diff| / max|coef|, d_proba = max \
         |probability diff| on the training rows; columns norms, fallb: full original-space gradient \
         norms and fallbacks of the reduced fits",
        args.c,
        if args.balanced { "balanced" } else { "none" },
        args.tol
    );
    print_header();
    if let Some(path) = &args.csv {
        let (x, y, groups) = read_csv(path)?;
        let k = y.iter().copied().max().unwrap_or(0) + 1;
        let speakers: BTreeSet<&String> = groups.iter().collect();
        let mut t = Tally::default();
        let mut shape = (0, 0);
        for (fold, s) in speakers.iter().enumerate().take(args.max_folds) {
            let train: Vec<usize> = (0..y.len()).filter(|&i| &groups[i] != *s).collect();
            let xtr = x.select(Axis(0), &train);
            let ytr: Vec<usize> = train.iter().map(|&i| y[i]).collect();
            let xtr = ScalerSpec::Standard
                .fit(xtr.view())?
                .transform(xtr.view())?;
            shape = xtr.dim();
            let mut one = Tally::default();
            fit_both(xtr.view(), &ytr, k, &args, &mut one)?;
            print_row(&format!("  fold {fold} ({}x{})", shape.0, shape.1), &one);
            t.direct_s += one.direct_s;
            t.reduced_s += one.reduced_s;
            t.direct_iter += one.direct_iter;
            t.reduced_iter += one.reduced_iter;
            t.full_norms += one.full_norms;
            t.fell_back += one.fell_back;
            t.max_coef = t.max_coef.max(one.max_coef);
            t.max_proba = t.max_proba.max(one.max_proba);
            t.ref_direct = t.ref_direct.max(one.ref_direct);
            t.ref_reduced = t.ref_reduced.max(one.ref_reduced);
        }
        print_row(&format!("all folds (~{}x{})", shape.0, shape.1), &t);
    } else {
        for &(n, d) in &args.shapes {
            let (x, y) = random_table(n, d, 7, d as u64);
            let mut t = Tally::default();
            fit_both(x.view(), &y, 7, &args, &mut t)?;
            print_row(&format!("random {n}x{d}"), &t);
        }
    }
    Ok(())
}
