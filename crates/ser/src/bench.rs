//! Timing `prepare` stage by stage on one corpus (`cargo xtask bench-prepare`): decode +
//! resample, the frame descriptors alone, the whole feature vector from decoded audio, and
//! `prepare` end to end (scan, decode, features, Parquet table, summary) with 1 and with N jobs.
//! Each figure is the median wall time of `rounds` runs over every file of the corpus; the
//! front-end turns them into multiples of real time and ratios.

use std::path::PathBuf;
use std::time::Instant;

use ser_features::{FeatureSet, NoProgress};

use crate::prepare::{PrepareRequest, prepare};
use crate::{Error, Result};

/// What to time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRequest {
    /// Folder holding the corpora.
    pub datasets: PathBuf,
    pub corpus: String,
    /// Built-in feature set name or a TOML file.
    pub feature_set: String,
    /// Workers of the parallel `prepare` run; 1 skips it.
    pub jobs: usize,
    /// Rounds per stage (the median is kept).
    pub rounds: usize,
    /// A folder for the `prepare` runs' tables (emptied after each run).
    pub scratch: PathBuf,
}

/// Median wall times, seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Stages {
    /// The corpus' audio files.
    pub files: Vec<PathBuf>,
    /// Seconds of audio in them.
    pub audio_s: f64,
    pub feature_set: String,
    pub n_features: usize,
    pub decode_s: f64,
    pub descriptors_s: f64,
    pub features_s: f64,
    pub prepare_1_s: f64,
    /// `(jobs, seconds)` of the parallel run, when `jobs > 1`.
    pub prepare_n: Option<(usize, f64)>,
}

/// The median of `v` (the upper one of an even count); 0 when empty.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// The median of the wall times of `n` runs of `f`.
pub fn median_time(n: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut t = Vec::new();
    for _ in 0..n.max(1) {
        let start = Instant::now();
        f()?;
        t.push(start.elapsed().as_secs_f64());
    }
    Ok(median(t))
}

/// Times every stage of `req` (see the module docs).
pub fn time_stages(req: &StageRequest) -> Result<Stages> {
    let corpora = ser_features::scan_corpora(&req.datasets, std::slice::from_ref(&req.corpus))?;
    let files: Vec<PathBuf> = corpora
        .iter()
        .flat_map(|(_, m)| m.utterances.iter().map(|u| u.path.clone()))
        .collect();
    if files.is_empty() {
        return Err(Error::Input(format!(
            "no {} files under {}",
            req.corpus,
            req.datasets.display()
        )));
    }
    let set = FeatureSet::resolve(&req.feature_set)?;
    let rate = set.sample_rate_hz();
    let audio: Vec<ser_io::Audio> = files
        .iter()
        .map(|f| ser_io::load(f, rate))
        .collect::<std::result::Result<_, _>>()?;
    let mut ex = set.extractor()?;
    let decode_s = median_time(req.rounds, || {
        for f in &files {
            std::hint::black_box(ser_io::load(f, rate)?);
        }
        Ok(())
    })?;
    let descriptors_s = median_time(req.rounds, || {
        for a in &audio {
            std::hint::black_box(ex.descriptors(&a.samples)?);
        }
        Ok(())
    })?;
    let features_s = median_time(req.rounds, || {
        for a in &audio {
            std::hint::black_box(ex.extract_samples(&a.samples)?);
        }
        Ok(())
    })?;
    let run_prepare = |jobs: usize| {
        median_time(req.rounds, || {
            let out = req.scratch.join(format!("prepare-{jobs}"));
            prepare(
                &PrepareRequest {
                    datasets: req.datasets.clone(),
                    corpora: vec![req.corpus.clone()],
                    feature_set: req.feature_set.clone(),
                    out: out.clone(),
                    jobs,
                    csv: false,
                },
                &NoProgress,
            )?;
            std::fs::remove_dir_all(&out).map_err(|source| Error::Io {
                action: "removing",
                path: out.clone(),
                source,
            })
        })
    };
    let prepare_1_s = run_prepare(1)?;
    let prepare_n = match req.jobs {
        j if j > 1 => Some((j, run_prepare(j)?)),
        _ => None,
    };
    Ok(Stages {
        audio_s: audio.iter().map(ser_io::Audio::duration_s).sum(),
        files,
        feature_set: set.name().to_string(),
        n_features: set.len(),
        decode_s,
        descriptors_s,
        features_s,
        prepare_1_s,
        prepare_n,
    })
}
