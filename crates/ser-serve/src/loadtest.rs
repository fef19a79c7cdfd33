//! A small, bounded load-test client for `/predict` (`cargo xtask loadtest`): `clients`
//! concurrent connections post audio files round-robin until `requests` have been answered,
//! and the run reports throughput and latency percentiles. Loopback addresses only: it is a
//! tool for measuring this service on this machine, not for loading someone else's.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What to send.
#[derive(Debug, Clone)]
pub struct LoadTest {
    /// The server (loopback).
    pub addr: SocketAddr,
    /// Total requests.
    pub requests: usize,
    /// Concurrent clients.
    pub clients: usize,
    /// Audio bodies, with the duration of each in seconds, posted round-robin.
    pub bodies: Vec<(Vec<u8>, f64)>,
}

/// The outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub requests: usize,
    pub clients: usize,
    /// Requests answered with something other than 200, or not answered.
    pub failures: usize,
    /// The first few failures, for the person reading.
    pub failure_samples: Vec<String>,
    pub wall_s: f64,
    /// Predictions per second.
    pub throughput: f64,
    /// Seconds of audio analysed per second of wall time.
    pub real_time_factor: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} requests, {} clients: {} failures in {:.2} s",
            self.requests, self.clients, self.failures, self.wall_s
        )?;
        writeln!(
            f,
            "throughput {:.1} predictions/s ({:.0}x real time)",
            self.throughput, self.real_time_factor
        )?;
        write!(
            f,
            "latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.p50_ms, self.p95_ms, self.p99_ms, self.max_ms
        )
    }
}

/// Errors of a load test that cannot run at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadTestError {
    #[error("{0} is not a loopback address: the load test only runs against this machine")]
    NotLoopback(SocketAddr),
    #[error("nothing to send: give at least one audio file")]
    NoAudio,
    #[error("HTTP client: {0}")]
    Client(String),
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Runs the load test.
pub async fn run(t: LoadTest) -> Result<Report, LoadTestError> {
    if !t.addr.ip().is_loopback() {
        return Err(LoadTestError::NotLoopback(t.addr));
    }
    if t.bodies.is_empty() {
        return Err(LoadTestError::NoAudio);
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(t.clients)
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| LoadTestError::Client(e.to_string()))?;
    let url = format!("http://{}/predict", t.addr);
    // `Bytes` clones share one buffer: no copy per request.
    let bodies: Arc<Vec<(axum::body::Bytes, f64)>> = Arc::new(
        t.bodies
            .iter()
            .map(|(b, d)| (axum::body::Bytes::from(b.clone()), *d))
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..t.clients.max(1) {
        let (client, url, bodies, next) =
            (client.clone(), url.clone(), bodies.clone(), next.clone());
        let total = t.requests;
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut failures = Vec::new();
            let mut audio_s = 0.0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let (body, dur) = &bodies[i % bodies.len()];
                let t0 = Instant::now();
                let r = client
                    .post(&url)
                    .header("content-type", "audio/wav")
                    .body(body.clone())
                    .send()
                    .await;
                let outcome = match r {
                    Ok(resp) if resp.status().is_success() => match resp.bytes().await {
                        Ok(_) => Ok(()),
                        Err(e) => Err(format!("reading the answer: {e}")),
                    },
                    Ok(resp) => {
                        let status = resp.status();
                        let text = resp.text().await.unwrap_or_default();
                        Err(format!("{status}: {text}"))
                    }
                    Err(e) => Err(e.to_string()),
                };
                lat.push(t0.elapsed().as_secs_f64() * 1000.0);
                match outcome {
                    Ok(()) => audio_s += dur,
                    Err(e) => failures.push(e),
                }
            }
            (lat, failures, audio_s)
        }));
    }
    let mut lat = Vec::new();
    let mut failures = Vec::new();
    let mut audio_s = 0.0;
    for task in tasks {
        let (l, f, a) = task
            .await
            .map_err(|e| LoadTestError::Client(format!("client task: {e}")))?;
        lat.extend(l);
        failures.extend(f);
        audio_s += a;
    }
    let wall_s = start.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    let ok = lat.len() - failures.len();
    Ok(Report {
        requests: lat.len(),
        clients: t.clients,
        failures: failures.len(),
        failure_samples: failures.into_iter().take(5).collect(),
        wall_s,
        throughput: ok as f64 / wall_s,
        real_time_factor: audio_s / wall_s,
        p50_ms: percentile(&lat, 0.50),
        p95_ms: percentile(&lat, 0.95),
        p99_ms: percentile(&lat, 0.99),
        max_ms: lat.last().copied().unwrap_or(0.0),
    })
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 50.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert_eq!(percentile(&v, 1.0), 100.0);
        assert_eq!(percentile(&[7.0], 0.99), 7.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
