//! `cargo xtask bench-prepare`: how fast `prepare` is, stage by stage, next to openSMILE, in one
//! run on the same files. Every figure is a multiple of real time (seconds of audio per second
//! of wall time) and a ratio to `prepare` on one job, so a noisy machine still gives comparable
//! numbers. Pin it to one core for the one-core figures:
//!
//! ```text
//! taskset -c 0 cargo xtask bench-prepare --datasets ../shared/datasets --corpus emodb
//! cargo xtask bench-prepare --datasets ../shared/datasets --corpus emodb --jobs 2 \
//!     --opensmile /tmp/anchors-venv/bin/python
//! ```
//!
//! Stages, each over every file of the corpus, median of `--rounds`: decode + resample
//! (`ser_io::load`), the frame descriptors alone (`FeatureExtractor::descriptors`), the whole
//! feature vector from decoded audio (descriptors, deltas, statistics), and `prepare` end to
//! end into a fresh folder (scan, decode, features, Parquet table, summary) with 1 and with
//! `--jobs` workers. With `--opensmile PYTHON` (a Python with the `opensmile` package), the same
//! files through openSMILE's eGeMAPSv02 and ComParE_2016 functionals (its extraction loop,
//! interpreter start-up excluded).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use ser::prepare::{PrepareRequest, prepare};
use ser_features::{FeatureSet, NoProgress};

/// Arguments of `bench-prepare`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder holding the corpora (default: $SER_DATASETS, else `datasets`).
    #[arg(long)]
    pub datasets: Option<PathBuf>,
    #[arg(long, default_value = "emodb")]
    pub corpus: String,
    #[arg(long, default_value = "default")]
    pub feature_set: String,
    /// Workers of the parallel `prepare` run (0: one per core); 1 skips it.
    #[arg(long, default_value_t = 0)]
    pub jobs: usize,
    /// Rounds per stage (the median is shown).
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// A Python interpreter with the `opensmile` package, to time openSMILE on the same files.
    #[arg(long)]
    pub opensmile: Option<PathBuf>,
}

/// Times openSMILE functionals over the files listed (one per line) in argv[2]; prints seconds.
const OPENSMILE_SCRIPT: &str = r#"
import sys, time, opensmile
fs = {"egemaps": opensmile.FeatureSet.eGeMAPSv02, "compare": opensmile.FeatureSet.ComParE_2016}[sys.argv[1]]
files = open(sys.argv[2]).read().split("\n")
sm = opensmile.Smile(feature_set=fs, feature_level=opensmile.FeatureLevel.Functionals)
sm.process_file(files[0])
t0 = time.perf_counter()
for f in files:
    sm.process_file(f)
print(time.perf_counter() - t0)
"#;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn rounds(n: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    let mut t = Vec::new();
    for _ in 0..n.max(1) {
        let start = Instant::now();
        f()?;
        t.push(start.elapsed().as_secs_f64());
    }
    Ok(median(t))
}

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        let root = ser::prepare::datasets_root(self.datasets.as_deref());
        let corpora = ser_features::scan_corpora(&root, std::slice::from_ref(&self.corpus))?;
        let files: Vec<PathBuf> = corpora
            .iter()
            .flat_map(|(_, m)| m.utterances.iter().map(|u| u.path.clone()))
            .collect();
        anyhow::ensure!(
            !files.is_empty(),
            "no {} files under {}",
            self.corpus,
            root.display()
        );
        let set = FeatureSet::resolve(&self.feature_set)?;
        let rate = set.sample_rate_hz();
        let audio: Vec<ser_io::Audio> = files
            .iter()
            .map(|f| ser_io::load(f, rate))
            .collect::<Result<_, _>>()?;
        let audio_s: f64 = audio.iter().map(ser_io::Audio::duration_s).sum();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        println!(
            "{} {}: {} files, {:.1} min of audio; feature set {} ({} features); {} core(s) \
             available; median of {} rounds",
            self.corpus,
            root.display(),
            files.len(),
            audio_s / 60.0,
            set.name(),
            set.len(),
            cores,
            self.rounds
        );
        let mut ex = set.extractor()?;
        let decode = rounds(self.rounds, || {
            for f in &files {
                std::hint::black_box(ser_io::load(f, rate)?);
            }
            Ok(())
        })?;
        let descriptors = rounds(self.rounds, || {
            for a in &audio {
                std::hint::black_box(ex.descriptors(&a.samples)?);
            }
            Ok(())
        })?;
        let features = rounds(self.rounds, || {
            for a in &audio {
                std::hint::black_box(ex.extract_samples(&a.samples)?);
            }
            Ok(())
        })?;
        let tmp = tempfile_dir()?;
        let run_prepare = |jobs: usize| {
            let mut i = 0;
            rounds(self.rounds, || {
                i += 1;
                let out = tmp.join(format!("prepare-{jobs}-{i}"));
                prepare(
                    &PrepareRequest {
                        datasets: root.clone(),
                        corpora: vec![self.corpus.clone()],
                        feature_set: self.feature_set.clone(),
                        out: out.clone(),
                        jobs,
                        csv: false,
                    },
                    &NoProgress,
                )?;
                std::fs::remove_dir_all(&out)?;
                Ok(())
            })
        };
        let prepare1 = run_prepare(1)?;
        let jobs = if self.jobs == 0 { cores } else { self.jobs };
        let prepare_n = if jobs > 1 {
            Some(run_prepare(jobs)?)
        } else {
            None
        };

        let mut rows = vec![
            ("decode + resample (1 core)".to_string(), decode),
            ("frame descriptors alone (1 core)".to_string(), descriptors),
            (
                "descriptors + deltas + statistics (1 core)".to_string(),
                features,
            ),
            ("`prepare` end to end, --jobs 1".to_string(), prepare1),
        ];
        if let Some(t) = prepare_n {
            rows.push((format!("`prepare` end to end, --jobs {jobs}"), t));
        }
        if let Some(py) = &self.opensmile {
            let list = tmp.join("files.txt");
            let text: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            std::fs::write(&list, text.join("\n"))?;
            for (set, label) in [("egemaps", "eGeMAPSv02"), ("compare", "ComParE_2016")] {
                let t = median(
                    (0..self.rounds.clamp(1, 2))
                        .map(|_| opensmile_once(py, set, &list))
                        .collect::<anyhow::Result<_>>()?,
                );
                rows.push((format!("openSMILE {label} functionals (Python, 1 core)"), t));
            }
        }
        println!();
        println!("| stage | wall, s | real time | `prepare --jobs 1` / stage |");
        println!("|---|---:|---:|---:|");
        for (name, t) in &rows {
            println!(
                "| {name} | {t:.2} | {:.0}x | {:.3} |",
                audio_s / t,
                prepare1 / t
            );
        }
        if let Some(t) = prepare_n {
            println!(
                "\nparallel scaling: --jobs {jobs} is {:.2}x --jobs 1",
                prepare1 / t
            );
        }
        let _ = std::fs::remove_dir_all(&tmp);
        Ok(())
    }
}

fn opensmile_once(python: &Path, set: &str, list: &Path) -> anyhow::Result<f64> {
    let out = Command::new(python)
        .arg("-c")
        .arg(OPENSMILE_SCRIPT)
        .arg(set)
        .arg(list)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "openSMILE ({}) failed: {}",
        python.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
}

/// A fresh folder under the system's temporary directory.
fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("ser-bench-prepare-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
