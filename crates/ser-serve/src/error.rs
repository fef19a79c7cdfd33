//! The service's error answer: a status and a JSON body `{error, detail}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// A stable, machine-readable code, e.g. `payload_too_large`, `undecodable_audio`.
    pub error: String,
    /// What was wrong, for a person: names the input and the limit or the cause.
    pub detail: String,
}

/// An error answer: status, code, detail, and for 503 a `Retry-After` in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub error: &'static str,
    pub detail: String,
    pub retry_after_s: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, error: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            error,
            detail: detail.into(),
            retry_after_s: None,
        }
    }

    pub fn bad_request(error: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, detail)
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail)
    }

    pub fn too_large(limit_bytes: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than the {limit_bytes}-byte limit (--max-body)"),
        )
    }

    pub fn overloaded(limit: usize) -> Self {
        ApiError {
            retry_after_s: Some(1),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "overloaded",
                format!("{limit} requests are already in progress (--max-inflight); retry shortly"),
            )
        }
    }

    /// The error of a workflow, as the client should see it.
    pub fn from_workflow(e: ser::Error) -> Self {
        match &e {
            ser::Error::Audio(ser_io::Error::TooLong { .. }) => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "audio_too_long",
                e.to_string(),
            ),
            ser::Error::Audio(
                ser_io::Error::Decode { .. }
                | ser_io::Error::Unsupported { .. }
                | ser_io::Error::Resample { .. },
            ) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "undecodable_audio",
                e.to_string(),
            ),
            ser::Error::Unusable { .. } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unusable_audio",
                e.to_string(),
            ),
            _ => Self::internal(e.to_string()),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.error,
            self.detail
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(status = self.status.as_u16(), error = self.error, detail = %self.detail);
        }
        let body = ErrorBody {
            error: self.error.to_string(),
            detail: self.detail,
        };
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after_s {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}
