//! `ser-serve`: speech emotion recognition over HTTP, as an [axum] router another server can
//! mount, and the `cargo xtask serve` front-end's engine.
//!
//! | route | what |
//! |---|---|
//! | `POST /predict` | audio as the body, or multipart with one or more files → emotion + probabilities |
//! | `GET /stream` | WebSocket: binary PCM chunks in, one JSON segment message per result out |
//! | `POST /train` | a train config (JSON or TOML, the keys of `cargo xtask train --config`) → `202` + job id |
//! | `GET /jobs/{id}` | status, stage, metrics, error of a training job |
//! | `GET /health`, `GET /model` | liveness; labels, feature set, training summary, file hash |
//! | `GET /openapi.json`, `GET /docs` | the OpenAPI document (utoipa) and Swagger UI (vendored assets) |
//! | `GET /metrics` | request counts, latency histograms, predictions (Prometheus text format) |
//! | `GET /` | a web page: drop an audio file, see the emotion and a bar per class |
//!
//! Everything about audio and models goes through the `ser` crate ([`ser::predict::Predictor`],
//! [`ser::train::train`], [`ser::ModelFile`]); this crate adds HTTP, limits and jobs. Feature
//! extraction runs on tokio's blocking pool, at most [`ServeConfig::workers`] at a time, never on
//! the async runtime. A model trained through `/train` is swapped in atomically ([`arc_swap`]):
//! requests in flight finish on the model they started with.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ser_serve::ServeConfig::new("out/demo/model.json");
//! let app = ser_serve::App::new(config)?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! ser_serve::serve(listener, app, ser_serve::shutdown_signal()).await?;
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

mod error;
mod info;
#[cfg(feature = "loadtest")]
pub mod loadtest;
mod metrics;
mod openapi;
mod predict;
mod stream;
mod train;
mod web;

pub use error::{ApiError, ErrorBody};
pub use info::{Health, ModelInfo};
pub use openapi::ApiDoc;
pub use predict::Prediction;
pub use train::{JobState, JobStatus, JobSubmitted};

/// Errors of starting the service (a bad model file, a bad data root, a socket error).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Workflow(#[from] ser::Error),
    #[error("--data-root {}: {source}", path.display())]
    DataRoot {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
}

/// Settings of the service; [`ServeConfig::new`] gives the documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeConfig {
    /// The model file served; models trained through `/train` replace it (atomically).
    pub model_path: PathBuf,
    /// Folder that `/train` may read tables from; `None`: `/train` is disabled (403).
    pub data_root: Option<PathBuf>,
    /// Bearer token that `/train` and `/jobs` require, when set.
    pub token: Option<String>,
    /// Largest request body, bytes [default: 25 MB].
    pub max_body_bytes: usize,
    /// Longest audio per file, seconds [default: 120].
    pub max_duration_s: f64,
    /// Most requests answered at once; more get 503 with `Retry-After` [default: 64].
    pub max_inflight: usize,
    /// Time limit per request; past it the answer is 504 [default: 30 s].
    pub request_timeout: Duration,
    /// Feature extractions running at once on the blocking pool [default: the number of cores].
    pub workers: usize,
    /// Training jobs waiting behind the running one; more get 503 [default: 4].
    pub train_queue: usize,
    /// Most files in one multipart `/predict` [default: 64].
    pub max_files: usize,
    /// Longest stream through `/stream`, seconds [default: 3600]. `/predict`'s `max_duration_s`
    /// would end a live session after two minutes; memory does not grow with this limit.
    pub max_stream_s: f64,
    /// The streaming recogniser's parameters for `/stream` [default: `StreamConfig::default()`].
    pub stream: ser::stream::StreamConfig,
}

impl ServeConfig {
    /// The defaults, serving `model_path`.
    pub fn new(model_path: impl Into<PathBuf>) -> Self {
        ServeConfig {
            model_path: model_path.into(),
            data_root: None,
            token: None,
            max_body_bytes: 25 * 1000 * 1000,
            max_duration_s: 120.0,
            max_inflight: 64,
            request_timeout: Duration::from_secs(30),
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            train_queue: 4,
            max_files: 64,
            max_stream_s: 3600.0,
            stream: ser::stream::StreamConfig::default(),
        }
    }

    /// What a person starting the service at `addr` should be warned about.
    pub fn warnings(&self, addr: SocketAddr) -> Vec<String> {
        let mut w = Vec::new();
        if !addr.ip().is_loopback() && self.token.is_none() {
            w.push(format!(
                "listening on {addr}, reachable from other machines, without --token: \
                 anyone who can reach it can predict{}",
                if self.data_root.is_some() {
                    " and start training jobs"
                } else {
                    ""
                }
            ));
        }
        w
    }
}

/// A loaded model: the predictor, its file's hash and where it came from.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub predictor: Arc<ser::predict::Predictor>,
    /// `sha256:<hex>` of the model file's bytes.
    pub hash: String,
    pub path: PathBuf,
    pub loaded_utc: String,
}

impl Loaded {
    pub(crate) fn from_bytes(bytes: &[u8], path: &Path) -> ser::Result<Loaded> {
        let model = ser::ModelFile::from_json(bytes, path)?;
        Ok(Loaded {
            predictor: Arc::new(ser::predict::Predictor::new(model)?),
            hash: sha256(bytes),
            path: path.to_path_buf(),
            loaded_utc: ser_models::now_utc(),
        })
    }

    /// The short model id in every prediction: `sha256:` and the first 16 hex digits.
    pub(crate) fn id(&self) -> &str {
        &self.hash[..self.hash.len().min(7 + 16)]
    }
}

pub(crate) fn sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(7 + 64);
    s.push_str("sha256:");
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// What every handler shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: ServeConfig,
    /// Canonical data root.
    pub data_root: Option<PathBuf>,
    pub model: ArcSwap<Loaded>,
    pub metrics: metrics::Metrics,
    pub inflight: Arc<Semaphore>,
    pub extract: Arc<Semaphore>,
    pub jobs: train::Jobs,
    pub started: Instant,
}

/// The service: a loaded model and its state. [`App::router`] gives the routes.
#[derive(Debug, Clone)]
pub struct App {
    shared: Arc<Shared>,
}

impl App {
    /// Loads the model file and checks the data root. Must be called inside a tokio runtime
    /// (the training worker is spawned on it).
    pub fn new(config: ServeConfig) -> Result<App, Error> {
        let bytes = std::fs::read(&config.model_path).map_err(|source| ser::Error::Io {
            action: "reading model file",
            path: config.model_path.clone(),
            source,
        })?;
        let loaded = Loaded::from_bytes(&bytes, &config.model_path)?;
        config.stream.check()?;
        let data_root = match &config.data_root {
            Some(p) => Some(p.canonicalize().map_err(|source| Error::DataRoot {
                path: p.clone(),
                source,
            })?),
            None => None,
        };
        let (jobs, queue) = train::Jobs::new(config.train_queue);
        let shared = Arc::new(Shared {
            inflight: Arc::new(Semaphore::new(config.max_inflight.max(1))),
            extract: Arc::new(Semaphore::new(config.workers.max(1))),
            model: ArcSwap::from_pointee(loaded),
            metrics: metrics::Metrics::default(),
            jobs,
            data_root,
            config,
            started: Instant::now(),
        });
        tokio::spawn(train::worker(Arc::downgrade(&shared), queue));
        Ok(App { shared })
    }

    /// `sha256:<hex>` of the model file served now.
    pub fn model_hash(&self) -> String {
        self.shared.model.load().hash.clone()
    }

    /// The routes, with limits, timeouts, metrics, panic catching and request tracing.
    pub fn router(&self) -> Router {
        let s = self.shared.clone();
        Router::new()
            .route("/", get(web::index))
            .route("/app.js", get(web::app_js))
            .route("/style.css", get(web::style_css))
            .route("/recorder-worklet.js", get(web::recorder_js))
            .route("/predict", post(predict::predict))
            .route("/stream", get(stream::stream))
            .route("/train", post(train::submit))
            .route("/jobs", get(train::list))
            .route("/jobs/{id}", get(train::status))
            .route("/health", get(info::health))
            .route("/model", get(info::model))
            .route("/metrics", get(info::metrics))
            .merge(openapi::docs())
            .fallback(info::not_found)
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(axum::middleware::from_fn_with_state(s.clone(), guard))
            .layer(DefaultBodyLimit::max(s.config.max_body_bytes))
            .layer(TraceLayer::new_for_http())
            .with_state(s)
    }
}

/// Routes never refused for load, so a busy server can still be watched.
const ALWAYS_ANSWERED: [&str; 2] = ["/health", "/metrics"];

/// Bounds requests in flight (503 past the limit), times them out (504), and records metrics.
async fn guard(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().to_string();
    let permit = if ALWAYS_ANSWERED.contains(&route.as_str()) {
        None
    } else {
        match s.inflight.clone().try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) => {
                let resp = ApiError::overloaded(s.config.max_inflight).into_response();
                s.metrics.observe(
                    &method,
                    &route,
                    resp.status().as_u16(),
                    start.elapsed().as_secs_f64(),
                );
                return resp;
            }
        }
    };
    let in_flight = s.metrics.in_flight();
    let resp = match tokio::time::timeout(s.config.request_timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError::new(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            "timeout",
            format!(
                "no answer within {:.1} s (the request timeout)",
                s.config.request_timeout.as_secs_f64()
            ),
        )
        .into_response(),
    };
    drop(in_flight);
    drop(permit);
    s.metrics.observe(
        &method,
        &route,
        resp.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    resp
}

/// A panic in a handler: logged, answered with 500; the process carries on.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let msg = panic_message(&*panic);
    tracing::error!(panic = %msg, "handler panicked");
    ApiError::internal(format!("the server failed on this request: {msg}")).into_response()
}

/// The request's media type (`Content-Type` without parameters, lower case), when it has one.
pub(crate) fn media_type(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
}

pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into())
}

/// Serves `app` on `listener` until `shutdown` completes; requests in flight then finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    axum::serve(listener, app.router())
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
