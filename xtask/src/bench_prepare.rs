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
//! interpreter start-up excluded), and the ratios of `prepare` (1 and `--jobs` workers) to each.
//! The load average is printed at the start and the end: the machine is shared.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Arguments of `bench-prepare`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder holding the corpora (default: $SER_DATASETS, else `datasets`).
    #[arg(long)]
    pub datasets: Option<PathBuf>,
    #[arg(long, default_value = "emodb")]
    pub corpus: String,
    /// Built-in feature set (default, librosa, pyaudioanalysis, rich) or a TOML file.
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

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let jobs = if self.jobs == 0 { cores } else { self.jobs };
        let load = load_average();
        let tmp = tempfile_dir()?;
        let st = ser::bench::time_stages(&ser::bench::StageRequest {
            datasets: ser::prepare::datasets_root(self.datasets.as_deref()),
            corpus: self.corpus.clone(),
            feature_set: self.feature_set.clone(),
            jobs,
            rounds: self.rounds,
            scratch: tmp.clone(),
        })?;
        println!("load average at the start: {load}");
        println!(
            "{}: {} files, {:.1} min of audio; feature set {} ({} features); {} core(s) \
             available; median of {} rounds",
            self.corpus,
            st.files.len(),
            st.audio_s / 60.0,
            st.feature_set,
            st.n_features,
            cores,
            self.rounds
        );
        let mut rows = vec![
            ("decode + resample (1 core)".to_string(), st.decode_s),
            (
                "frame descriptors alone (1 core)".to_string(),
                st.descriptors_s,
            ),
            (
                "descriptors + deltas + statistics (1 core)".to_string(),
                st.features_s,
            ),
            ("`prepare` end to end, --jobs 1".to_string(), st.prepare_1_s),
        ];
        if let Some((j, t)) = st.prepare_n {
            rows.push((format!("`prepare` end to end, --jobs {j}"), t));
        }
        let (files, audio_s, prepare1) = (&st.files, st.audio_s, st.prepare_1_s);
        let mut peers = Vec::new();
        if let Some(py) = &self.opensmile {
            let list = tmp.join("files.txt");
            let text: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            std::fs::write(&list, text.join("\n"))?;
            for (set, label) in [("egemaps", "eGeMAPSv02"), ("compare", "ComParE_2016")] {
                let t = ser::bench::median(
                    (0..self.rounds.clamp(1, 2))
                        .map(|_| opensmile_once(py, set, &list))
                        .collect::<anyhow::Result<_>>()?,
                );
                rows.push((format!("openSMILE {label} functionals (Python, 1 core)"), t));
                peers.push((label, t));
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
        if let Some((jobs, t)) = st.prepare_n {
            println!(
                "\nparallel scaling: --jobs {jobs} is {:.2}x --jobs 1",
                prepare1 / t
            );
        }
        // the same run's ratios: how many times faster `prepare` is than each openSMILE set
        for (label, t) in &peers {
            let mut line = format!("vs openSMILE {label}: --jobs 1 {:.1}x", t / prepare1);
            if let Some((jobs, tn)) = st.prepare_n {
                line.push_str(&format!(", --jobs {jobs} {:.1}x", t / tn));
            }
            println!("{line}");
        }
        println!("load average at the end: {}", load_average());
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

/// The 1, 5 and 15 minute load averages (`/proc/loadavg`), or "unknown".
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".into(),
        |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

/// A fresh folder under the system's temporary directory.
fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("ser-bench-prepare-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
