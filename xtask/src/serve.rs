//! `cargo xtask serve`: serve a model over HTTP (`ser_serve`): `/predict`, `/stream`, `/train`, `/jobs`,
//! `/model`, `/health`, `/metrics`, `/openapi.json`, `/docs` and a web page at `/`.
//!
//! ```text
//! cargo xtask serve --model out/demo/model.json
//! cargo xtask serve --model model.json --addr 0.0.0.0:8080 --data-root out --token "$TOKEN"
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ser_serve::{App, ServeConfig};

/// Arguments of `serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The model file to serve (from `cargo xtask train` or `demo`); `/train` replaces it.
    #[arg(long)]
    pub model: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Folder whose feature tables `/train` may read (nothing outside it); without it `/train`
    /// is disabled.
    #[arg(long)]
    pub data_root: Option<PathBuf>,
    /// Bearer token that `/train` and `/jobs` require (`Authorization: Bearer T`).
    #[arg(long, env = "SER_TOKEN")]
    pub token: Option<String>,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = 25_000_000)]
    pub max_body: usize,
    /// Longest audio per file, in seconds.
    #[arg(long, default_value_t = 120.0)]
    pub max_duration: f64,
    /// Most requests answered at once (503 with Retry-After beyond).
    #[arg(long, default_value_t = 64)]
    pub max_inflight: usize,
    /// Time limit per request, in seconds (504 beyond).
    #[arg(long, default_value_t = 30.0)]
    pub timeout: f64,
    /// Feature extractions at once [default: the number of cores].
    #[arg(long)]
    pub workers: Option<usize>,
    /// Longest stream through the `/stream` WebSocket, in seconds.
    #[arg(long, default_value_t = 3600.0)]
    pub max_stream: f64,
    /// Parameters of the streaming recogniser behind `/stream` (TOML, the keys of
    /// `ser::stream::StreamConfig`) [default: its defaults].
    #[arg(long)]
    pub stream_config: Option<PathBuf>,
}

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "info,tower_http=info".into()),
            )
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
        let mut config = ServeConfig::new(&self.model);
        config.data_root = self.data_root;
        config.token = self.token.filter(|t| !t.is_empty());
        config.max_body_bytes = self.max_body;
        config.max_duration_s = self.max_duration;
        config.max_inflight = self.max_inflight;
        config.request_timeout = Duration::from_secs_f64(self.timeout.max(0.001));
        config.max_stream_s = self.max_stream;
        if let Some(p) = &self.stream_config {
            config.stream = ser::stream::StreamConfig::from_toml_file(p)?;
        }
        if let Some(w) = self.workers {
            config.workers = w.max(1);
        }
        for w in config.warnings(self.addr) {
            eprintln!("warning: {w}");
        }
        let runtime = tokio::runtime::Runtime::new()?;
        runtime.block_on(async move {
            let app = App::new(config)?;
            let listener = tokio::net::TcpListener::bind(self.addr).await?;
            let addr = listener.local_addr()?;
            println!(
                "serving {} (model {}) on http://{addr}/  (API docs: http://{addr}/docs)",
                self.model.display(),
                app.model_hash()
            );
            ser_serve::serve(listener, app, ser_serve::shutdown_signal()).await?;
            println!("stopped");
            anyhow::Ok(())
        })
    }
}
