//! `POST /train` and `GET /jobs/{id}`: training jobs, one at a time, the queue bounded.
//!
//! A job reads feature tables under `--data-root` only (any path outside it is refused before
//! anything is read), fits with [`ser::train::train`], writes the model file by
//! temp-file-and-rename over the served one, and swaps it in: requests in flight finish on the
//! model they started with.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use utoipa::ToSchema;

use crate::{ApiError, Loaded, Shared};

/// Jobs kept for `GET /jobs/{id}` after they finish (oldest finished ones are forgotten first).
const KEPT_JOBS: usize = 100;

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
}

/// A training job as `GET /jobs/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JobStatus {
    pub id: String,
    pub state: JobState,
    /// What it is doing: `queued`, `reading tables and fitting`, `saving the model`, `done`.
    pub stage: String,
    /// Share of the job's stages done, 0..1.
    pub progress: f32,
    pub submitted_utc: String,
    pub started_utc: Option<String>,
    pub finished_utc: Option<String>,
    /// The classifier kind.
    pub model_kind: String,
    /// Rows, speakers, fit time and resubstitution UAR of the trained model.
    pub metrics: BTreeMap<String, f64>,
    /// Hash of the model file written (and now served), once succeeded.
    pub model_hash: Option<String>,
    /// Warnings of the training workflow (e.g. a feature configuration that changed).
    pub warnings: Vec<String>,
    /// Why it failed.
    pub error: Option<String>,
}

/// The answer to `POST /train`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JobSubmitted {
    pub id: String,
    /// Where to poll: `/jobs/<id>`.
    pub status_url: String,
}

pub(crate) struct Queued {
    id: String,
    source: ser::train::TableSource,
    settings: ser::train::TrainSettings,
}

/// The job table and the queue's sending side.
#[derive(Debug)]
pub(crate) struct Jobs {
    table: Mutex<Table>,
    tx: mpsc::Sender<Queued>,
}

#[derive(Debug, Default)]
struct Table {
    next: u64,
    jobs: BTreeMap<u64, JobStatus>,
}

impl Jobs {
    pub(crate) fn new(queue: usize) -> (Jobs, mpsc::Receiver<Queued>) {
        let (tx, rx) = mpsc::channel(queue.max(1));
        (
            Jobs {
                table: Mutex::new(Table::default()),
                tx,
            },
            rx,
        )
    }

    fn with<T>(&self, f: impl FnOnce(&mut Table) -> T) -> T {
        let mut t = self
            .table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut t)
    }

    fn update(&self, id: &str, f: impl FnOnce(&mut JobStatus)) {
        self.with(|t| {
            if let Some(j) = id.parse().ok().and_then(|n: u64| t.jobs.get_mut(&n)) {
                f(j);
            }
        });
    }
}

impl std::fmt::Debug for Queued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queued").field("id", &self.id).finish()
    }
}

fn check_token(s: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(token) = &s.config.token else {
        return Ok(());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Compared in constant time, so the answer's timing says nothing about the token.
    let ok = given.is_some_and(|g| {
        g.len() == token.len()
            && g.bytes()
                .zip(token.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    });
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this endpoint needs `Authorization: Bearer <token>` (the server's --token)",
        ))
    }
}

/// `path` (relative paths are taken under `root`) resolved, and refused unless it lies under
/// `root` (canonical). Only metadata is read, never content.
fn under_root(root: &Path, path: &Path, what: &str) -> Result<PathBuf, ApiError> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    };
    let outside = || {
        ApiError::bad_request(
            "outside_data_root",
            format!(
                "{what} {} is outside the server's --data-root: give a path under it",
                path.display()
            ),
        )
    };
    // `..` is refused outright, before touching the file system.
    if path.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(outside());
    }
    let canonical = joined.canonicalize().map_err(|e| {
        if joined.starts_with(root) {
            ApiError::bad_request("not_found", format!("{what} {}: {e}", path.display()))
        } else {
            outside()
        }
    })?;
    if canonical.starts_with(root) {
        Ok(canonical)
    } else {
        Err(outside())
    }
}

/// A corpus name as tables are named: letters, digits, `_`, `-`, `.` (not leading).
fn check_corpus_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "bad_config",
            format!("corpus name {name:?}: use letters, digits, '_', '-' and '.' only"),
        ))
    }
}

fn parse_config(headers: &HeaderMap, body: &[u8]) -> Result<ser::train::TrainConfig, ApiError> {
    let ct = crate::media_type(headers);
    let text = std::str::from_utf8(body).map_err(|e| {
        ApiError::bad_request("bad_config", format!("the config is not UTF-8: {e}"))
    })?;
    let json = |t: &str| {
        serde_json::from_str::<ser::train::TrainConfig>(t)
            .map_err(|e| ApiError::bad_request("bad_config", format!("JSON train config: {e}")))
    };
    let toml = |t: &str| {
        ser::train::TrainConfig::from_toml_str(t, "TOML train config")
            .map_err(|e| ApiError::bad_request("bad_config", e.to_string()))
    };
    match ct.as_deref() {
        Some("application/json") => json(text),
        Some("application/toml" | "text/toml" | "application/x-toml" | "text/x-toml") => toml(text),
        None | Some("text/plain") => {
            if text.trim_start().starts_with('{') {
                json(text)
            } else {
                toml(text)
            }
        }
        Some(t) => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "content type {t:?}: send the train config as application/json or application/toml"
            ),
        )),
    }
}

/// Start a training job.
///
/// The body is a train config with the keys of `cargo xtask train --config` (JSON or TOML):
/// `features` (a folder of tables or one table, under the server's `--data-root`), `corpora`,
/// `feature_set`, `model` (`kind` and hyper-parameters), `normalisation`, `scaler`,
/// `class_weight`, `seed`, `min_utterances`. One job runs at a time; the model it trains
/// replaces the served one when it succeeds.
#[utoipa::path(
    post,
    path = "/train",
    request_body(
        description = "train config, e.g. {\"features\": \"features\", \"corpora\": [\"emodb\"], \"model\": {\"kind\": \"svm\", \"c\": 10}}",
        content((String = "application/json"), (String = "application/toml"))
    ),
    responses(
        (status = 202, description = "Queued", body = JobSubmitted),
        (status = 400, description = "A bad config, or a path outside --data-root", body = crate::ErrorBody),
        (status = 401, description = "Missing or wrong bearer token", body = crate::ErrorBody),
        (status = 403, description = "Training is disabled (no --data-root)", body = crate::ErrorBody),
        (status = 503, description = "The training queue is full", body = crate::ErrorBody),
    ),
    security((), ("bearer" = [])),
    tag = "train"
)]
pub(crate) async fn submit(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<JobSubmitted>), ApiError> {
    check_token(&s, &headers)?;
    let Some(root) = s.data_root.clone() else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "training_disabled",
            "this server was started without --data-root, so it trains nothing",
        ));
    };
    let mut config = parse_config(&headers, &body)?;
    let settings = config
        .settings()
        .map_err(|e| ApiError::bad_request("bad_config", e.to_string()))?;
    for c in config.corpora.iter().flatten() {
        check_corpus_name(c)?;
    }
    let features = config.features.clone().ok_or_else(|| {
        ApiError::bad_request(
            "bad_config",
            "name the tables: `features` = a folder (or table file) under the data root",
        )
    })?;
    // Path checks touch the file system (metadata only): off the async runtime.
    let checked = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let features = under_root(&root, &features, "features")?;
        let feature_set = match config.feature_set.take() {
            Some(fs) if ser_features::FeatureSet::by_name(&fs).is_err() => Some(
                under_root(&root, Path::new(&fs), "feature set")?
                    .display()
                    .to_string(),
            ),
            other => other,
        };
        config.features = Some(features);
        config.feature_set = feature_set;
        let source = config.source();
        let set = source
            .feature_set
            .clone()
            .unwrap_or_else(|| "default".into());
        let set_name = Path::new(&set)
            .file_stem()
            .map_or(set.clone(), |s| s.to_string_lossy().into_owned());
        ser::tables::table_files(&source.features, &source.corpora, &set_name)
            .map_err(|e| ApiError::bad_request("tables_not_found", e.to_string()))?;
        Ok(source)
    })
    .await
    .map_err(|e| ApiError::internal(format!("checking the config: {e}")))??;

    let kind = settings.model.kind().to_string();
    let id = s.jobs.with(|t| {
        t.next += 1;
        let n = t.next;
        t.jobs.insert(
            n,
            JobStatus {
                id: n.to_string(),
                state: JobState::Queued,
                stage: "queued".into(),
                progress: 0.0,
                submitted_utc: ser_models::now_utc(),
                started_utc: None,
                finished_utc: None,
                model_kind: kind,
                metrics: BTreeMap::new(),
                model_hash: None,
                warnings: Vec::new(),
                error: None,
            },
        );
        // Forget the oldest finished jobs beyond the limit.
        while t.jobs.len() > KEPT_JOBS {
            let Some(old) = t
                .jobs
                .iter()
                .find(|(_, j)| matches!(j.state, JobState::Succeeded | JobState::Failed))
                .map(|(k, _)| *k)
            else {
                break;
            };
            t.jobs.remove(&old);
        }
        n.to_string()
    });
    let queued = Queued {
        id: id.clone(),
        source: checked,
        settings,
    };
    if s.jobs.tx.try_send(queued).is_err() {
        s.jobs.with(|t| t.jobs.remove(&t.next));
        return Err(ApiError {
            retry_after_s: Some(10),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "queue_full",
                format!(
                    "{} training jobs are already waiting: retry when one has finished",
                    s.config.train_queue
                ),
            )
        });
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(JobSubmitted {
            status_url: format!("/jobs/{id}"),
            id,
        }),
    ))
}

/// The state of a training job.
#[utoipa::path(
    get,
    path = "/jobs/{id}",
    params(("id" = String, Path, description = "job id from POST /train")),
    responses(
        (status = 200, description = "The job", body = JobStatus),
        (status = 401, description = "Missing or wrong bearer token", body = crate::ErrorBody),
        (status = 404, description = "No such job", body = crate::ErrorBody),
    ),
    security((), ("bearer" = [])),
    tag = "train"
)]
pub(crate) async fn status(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<JobStatus>, ApiError> {
    check_token(&s, &headers)?;
    s.jobs
        .with(|t| id.parse().ok().and_then(|n: u64| t.jobs.get(&n).cloned()))
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!(
                    "no job {id:?} (ids come from POST /train; finished jobs are kept for a while)"
                ),
            )
        })
}

/// Every job kept, newest first.
#[utoipa::path(
    get,
    path = "/jobs",
    responses(
        (status = 200, description = "The jobs", body = Vec<JobStatus>),
        (status = 401, description = "Missing or wrong bearer token", body = crate::ErrorBody),
    ),
    security((), ("bearer" = [])),
    tag = "train"
)]
pub(crate) async fn list(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Result<Json<Vec<JobStatus>>, ApiError> {
    check_token(&s, &headers)?;
    Ok(Json(
        s.jobs.with(|t| t.jobs.values().rev().cloned().collect()),
    ))
}

/// Runs queued jobs one at a time until the service is dropped.
pub(crate) async fn worker(shared: Weak<Shared>, mut rx: mpsc::Receiver<Queued>) {
    while let Some(job) = rx.recv().await {
        let Some(s) = shared.upgrade() else { return };
        s.jobs.update(&job.id, |j| {
            j.state = JobState::Running;
            j.stage = "reading tables and fitting".into();
            j.progress = 0.1;
            j.started_utc = Some(ser_models::now_utc());
        });
        let id = job.id.clone();
        let s2 = s.clone();
        let result = tokio::task::spawn_blocking(move || run(&s2, job)).await;
        let outcome = match result {
            Ok(r) => r,
            Err(e) if e.is_panic() => Err(format!(
                "training panicked: {}",
                crate::panic_message(&*e.into_panic())
            )),
            Err(e) => Err(format!("training task: {e}")),
        };
        s.jobs.update(&id, |j| {
            j.finished_utc = Some(ser_models::now_utc());
            match outcome {
                Ok(hash) => {
                    j.state = JobState::Succeeded;
                    j.stage = "done".into();
                    j.progress = 1.0;
                    j.model_hash = Some(hash);
                }
                Err(e) => {
                    tracing::warn!(job = %id, error = %e, "training job failed");
                    j.state = JobState::Failed;
                    j.stage = "failed".into();
                    j.error = Some(e);
                }
            }
        });
    }
}

/// One job on the blocking pool: train, write the model file atomically, swap it in.
fn run(s: &Arc<Shared>, job: Queued) -> Result<String, String> {
    let notes = BTreeMap::from([(
        "trained_by".to_string(),
        format!("ser-serve job {}", job.id),
    )]);
    let t = ser::train::train(&job.source, &job.settings, notes).map_err(|e| e.to_string())?;
    s.jobs.update(&job.id, |j| {
        j.stage = "saving the model".into();
        j.progress = 0.9;
        j.warnings = t.warnings.clone();
        j.metrics = BTreeMap::from([
            ("rows".to_string(), t.n_rows as f64),
            ("features".to_string(), t.n_features as f64),
            ("speakers".to_string(), t.speakers.len() as f64),
            ("fit_s".to_string(), t.fit_s),
            ("train_uar_resubstitution".to_string(), t.train_uar),
        ]);
    });
    let path = s.config.model_path.clone();
    let bytes = t.model.to_json(&path).map_err(|e| e.to_string())?;
    // Checked before it replaces anything: the new file must load as the server would load it.
    let loaded = Loaded::from_bytes(&bytes, &path)
        .map_err(|e| format!("the trained model cannot serve audio predictions: {e}"))?;
    ser_fs::write_bytes(&path, &bytes).map_err(|e| e.to_string())?;
    let hash = loaded.hash.clone();
    s.model.store(Arc::new(loaded));
    s.metrics.model_swapped();
    tracing::info!(job = %job.id, model = %hash, "model swapped in");
    Ok(hash)
}
