//! `cargo xtask loadtest`: post audio files to a running server's `/predict` from many clients
//! and print throughput and latency percentiles (`ser_serve::loadtest`; loopback only).
//!
//! ```text
//! cargo xtask loadtest --addr 127.0.0.1:8080 --requests 2000 --clients 32 datasets/emodb/wav
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

/// Arguments of `loadtest`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The server (a loopback address).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Total requests.
    #[arg(long, default_value_t = 2000)]
    pub requests: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// At most this many audio files are posted, round-robin.
    #[arg(long, default_value_t = 64)]
    pub max_files: usize,
    /// Audio files or folders.
    #[arg(required = true)]
    pub audio: Vec<PathBuf>,
}

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        let (mut files, skipped) = ser::predict::audio_files(&self.audio);
        for s in &skipped {
            eprintln!("skipped {}: {}", s.path.display(), s.reason);
        }
        files.sort();
        files.truncate(self.max_files.max(1));
        let mut bodies = Vec::new();
        for f in &files {
            let info = ser_io::probe_info(f)?;
            let duration = info.duration_s().unwrap_or(0.0);
            bodies.push((std::fs::read(f)?, duration));
        }
        let audio_s: f64 = bodies.iter().map(|b| b.1).sum();
        println!(
            "{} files ({:.1} s of audio, mean {:.2} s) to http://{}/predict",
            bodies.len(),
            audio_s,
            audio_s / bodies.len().max(1) as f64,
            self.addr
        );
        let runtime = tokio::runtime::Runtime::new()?;
        let report = runtime.block_on(ser_serve::loadtest::run(ser_serve::loadtest::LoadTest {
            addr: self.addr,
            requests: self.requests,
            clients: self.clients,
            bodies,
        }))?;
        println!("{report}");
        for f in &report.failure_samples {
            eprintln!("failure: {f}");
        }
        if report.failures > 0 {
            anyhow::bail!("{} of {} requests failed", report.failures, report.requests);
        }
        Ok(())
    }
}
