//! `GET /health`, `GET /model`, `GET /metrics`, and the JSON 404.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{ApiError, Shared};

/// Liveness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the service answers.
    pub status: String,
    /// The model serving now (short id, as in predictions).
    pub model: String,
    /// Seconds since the service started.
    pub uptime_s: f64,
}

/// The model serving now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ModelInfo {
    /// Labels, in the order of the model's classes.
    pub labels: Vec<String>,
    /// Feature set name.
    pub feature_set: String,
    /// Hash of the feature set's configuration (the tables' `feature_config_hash`).
    pub feature_config_hash: String,
    /// Number of features the model reads.
    pub n_features: usize,
    /// Sample rate the audio is resampled to, Hz.
    pub sample_rate_hz: u32,
    /// Classifier kind.
    pub model: String,
    /// Classifier kind and hyper-parameters.
    #[schema(value_type = Object)]
    pub spec: serde_json::Value,
    /// Normalisation: `training` (training-set statistics) or `per_speaker`.
    pub normalisation: String,
    /// `sha256:<hex>` of the model file.
    pub hash: String,
    /// Short id of the model, as in predictions.
    pub id: String,
    /// The model file.
    pub path: String,
    /// When this server loaded it (UTC).
    pub loaded_utc: String,
    /// Training summary: corpora, speakers, rows per label, seed, metrics, notes.
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
}

/// Liveness and the model serving now.
#[utoipa::path(get, path = "/health", responses((status = 200, body = Health)), tag = "service")]
pub(crate) async fn health(State(s): State<Arc<Shared>>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        model: s.model.load().id().to_string(),
        uptime_s: s.started.elapsed().as_secs_f64(),
    })
}

/// The model serving now: labels, feature set, training summary, file hash.
#[utoipa::path(get, path = "/model", responses((status = 200, body = ModelInfo)), tag = "service")]
pub(crate) async fn model(State(s): State<Arc<Shared>>) -> Json<ModelInfo> {
    let loaded = s.model.load_full();
    let m = loaded.predictor.model();
    let p = &m.pipeline;
    Json(ModelInfo {
        labels: p.labels.clone(),
        feature_set: p.feature_set.clone(),
        feature_config_hash: m.feature_config_hash.clone(),
        n_features: p.feature_names.len(),
        sample_rate_hz: loaded.predictor.feature_set().sample_rate_hz(),
        model: p.model.spec().kind().to_string(),
        spec: serde_json::to_value(p.model.spec()).unwrap_or_default(),
        normalisation: if p.per_speaker {
            "per_speaker"
        } else if p.speaker_centring.is_some() {
            "enrolment_shrunk"
        } else {
            "training"
        }
        .into(),
        hash: loaded.hash.clone(),
        id: loaded.id().to_string(),
        path: loaded.path.display().to_string(),
        loaded_utc: loaded.loaded_utc.clone(),
        summary: serde_json::to_value(&p.summary).unwrap_or_default(),
    })
}

/// Request counts, latency histograms and predictions by emotion (Prometheus text format).
#[utoipa::path(
    get,
    path = "/metrics",
    responses((status = 200, description = "OpenMetrics text", body = String, content_type = "application/openmetrics-text")),
    tag = "service"
)]
pub(crate) async fn metrics(State(s): State<Arc<Shared>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.encode(),
    )
}

pub(crate) async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route {} (see /docs for the API)", uri.path()),
    )
}
