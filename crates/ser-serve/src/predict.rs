//! `POST /predict`: audio as the body, or multipart with one or more files.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use ser_features::FeatureExtractor;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{ApiError, Loaded, Shared};

/// Content types `/predict` takes as a raw body; the audio is decoded by its content whatever
/// the type says (as `ser-io` does), so the list only keeps out what is plainly not audio.
pub(crate) const AUDIO_CONTENT_TYPES: [&str; 12] = [
    "audio/wav",
    "audio/x-wav",
    "audio/wave",
    "audio/vnd.wave",
    "audio/flac",
    "audio/x-flac",
    "audio/aiff",
    "audio/x-aiff",
    "audio/mpeg",
    "audio/mp3",
    "audio/ogg",
    "application/octet-stream",
];

/// One prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Prediction {
    /// The uploaded file's name (multipart uploads only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Predicted emotion.
    #[schema(example = "angry")]
    pub emotion: String,
    /// Probability per label of the model (summing to 1); `null` for a model fitted without
    /// probabilities.
    pub probabilities: Option<BTreeMap<String, f32>>,
    /// Duration of the decoded audio, seconds.
    pub duration_s: f64,
    /// The model that answered: `sha256:` and the first 16 hex digits of its file's hash.
    pub model: String,
    /// What the prediction rests on, when it is not clean speech: `silent` (peak below −60
    /// dBFS), `clipped` (more than 0.1 % of samples at full scale); empty otherwise.
    #[serde(default)]
    pub quality: Vec<String>,
}

/// Query parameters of `/predict`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct PredictQuery {
    /// Speaker id, for per-speaker models (default: `upload`).
    pub speaker: Option<String>,
}

/// Predict the emotion of speech.
///
/// Send the audio as the request body (WAV, FLAC, AIFF, MP3 or Ogg Vorbis; the format is read
/// from the content), or as `multipart/form-data` with one or more file fields (the answer is
/// then a list, one entry per file, in upload order).
#[utoipa::path(
    post,
    path = "/predict",
    params(PredictQuery),
    request_body(
        description = "the audio file's bytes, or multipart/form-data with one or more files",
        content(
            (Vec<u8> = "audio/wav"),
            (Vec<u8> = "audio/flac"),
            (Vec<u8> = "audio/aiff"),
            (Vec<u8> = "audio/mpeg"),
            (Vec<u8> = "application/octet-stream"),
            (Vec<u8> = "multipart/form-data"),
        )
    ),
    responses(
        (status = 200, description = "The prediction (a list for multipart)", body = Prediction),
        (status = 400, description = "Empty body or malformed multipart", body = crate::ErrorBody),
        (status = 413, description = "Body over --max-body, or audio over --max-duration", body = crate::ErrorBody),
        (status = 415, description = "A content type that is not audio", body = crate::ErrorBody),
        (status = 422, description = "Not decodable as audio, or not analysable", body = crate::ErrorBody),
        (status = 503, description = "Too many requests in flight (see Retry-After)", body = crate::ErrorBody),
        (status = 504, description = "No answer within the request timeout", body = crate::ErrorBody),
    ),
    tag = "predict"
)]
pub(crate) async fn predict(
    State(s): State<Arc<Shared>>,
    Query(q): Query<PredictQuery>,
    req: Request,
) -> Result<Response, ApiError> {
    let speaker = q.speaker.unwrap_or_else(|| "upload".into());
    let content_type = crate::media_type(req.headers());
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > s.config.max_body_bytes as u64
    {
        return Err(ApiError::too_large(s.config.max_body_bytes));
    }
    match content_type.as_deref() {
        Some("multipart/form-data") => {
            let mp = Multipart::from_request(req, &s).await.map_err(|e| {
                ApiError::bad_request("bad_multipart", format!("multipart body: {e}"))
            })?;
            Ok(Json(predict_multipart(&s, mp, &speaker).await?).into_response())
        }
        None => Ok(Json(predict_body(&s, req, &speaker).await?).into_response()),
        Some(t) if AUDIO_CONTENT_TYPES.contains(&t) => {
            Ok(Json(predict_body(&s, req, &speaker).await?).into_response())
        }
        Some(t) => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "content type {t:?} is not audio: send the file's bytes as one of {} \
                 (the format is read from the content), or multipart/form-data",
                AUDIO_CONTENT_TYPES.join(", ")
            ),
        )),
    }
}

async fn predict_body(
    s: &Arc<Shared>,
    req: Request,
    speaker: &str,
) -> Result<Prediction, ApiError> {
    let limit = s.config.max_body_bytes;
    let bytes = Limited::new(req.into_body(), limit)
        .collect()
        .await
        .map_err(|e| {
            if e.downcast_ref::<LengthLimitError>().is_some() {
                ApiError::too_large(limit)
            } else {
                ApiError::bad_request("bad_body", format!("reading the request body: {e}"))
            }
        })?
        .to_bytes();
    predict_one(s, bytes.to_vec(), "request body".into(), speaker, None).await
}

async fn predict_multipart(
    s: &Arc<Shared>,
    mut mp: Multipart,
    speaker: &str,
) -> Result<Vec<Prediction>, ApiError> {
    let mut out = Vec::new();
    loop {
        let field = mp.next_field().await.map_err(|e| multipart_error(s, e))?;
        let Some(field) = field else { break };
        let Some(name) = field.file_name().map(str::to_string) else {
            // A plain form field (e.g. a speaker), not a file.
            continue;
        };
        if out.len() >= s.config.max_files {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_many_files",
                format!("more than {} files in one request", s.config.max_files),
            ));
        }
        let bytes = field.bytes().await.map_err(|e| multipart_error(s, e))?;
        out.push(predict_one(s, bytes.to_vec(), name.clone(), speaker, Some(name)).await?);
    }
    if out.is_empty() {
        return Err(ApiError::bad_request(
            "empty_body",
            "the multipart body holds no file field",
        ));
    }
    Ok(out)
}

fn multipart_error(s: &Shared, e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(s.config.max_body_bytes)
    } else {
        ApiError::bad_request(
            "bad_multipart",
            format!("multipart body: {}", e.body_text()),
        )
    }
}

thread_local! {
    /// Each blocking-pool thread keeps one extractor, for the feature configuration (hash) it
    /// was built for.
    static EXTRACTOR: RefCell<(String, Option<FeatureExtractor>)> =
        const { RefCell::new((String::new(), None)) };
}

/// Decodes and predicts one input on the blocking pool (at most `workers` at once).
async fn predict_one(
    s: &Arc<Shared>,
    bytes: Vec<u8>,
    origin: String,
    speaker: &str,
    file: Option<String>,
) -> Result<Prediction, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "empty_body",
            format!("{origin}: no audio (0 bytes)"),
        ));
    }
    let loaded: Arc<Loaded> = s.model.load_full();
    let permit = s
        .extract
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| ApiError::internal("the extraction pool is closed"))?;
    let max_duration_s = s.config.max_duration_s;
    let speaker = speaker.to_string();
    let model = loaded.clone();
    let joined = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let predictor = &model.predictor;
        let hash = predictor.feature_set().config_hash();
        EXTRACTOR.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.0 != hash {
                *slot = (hash.to_string(), None);
            }
            predictor.predict_bytes(
                &mut slot.1,
                bytes,
                Path::new(&origin),
                max_duration_s,
                &speaker,
            )
        })
    })
    .await;
    let p = match joined {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return Err(ApiError::from_workflow(e)),
        Err(e) if e.is_panic() => {
            let msg = crate::panic_message(&*e.into_panic());
            tracing::error!(panic = %msg, "prediction panicked");
            return Err(ApiError::internal(format!("prediction failed: {msg}")));
        }
        Err(e) => return Err(ApiError::internal(format!("prediction task: {e}"))),
    };
    s.metrics.predicted(&p.label, p.duration_s);
    let labels = &loaded.predictor.model().pipeline.labels;
    Ok(Prediction {
        file,
        emotion: p.label,
        probabilities: p
            .probabilities
            .map(|ps| labels.iter().cloned().zip(ps).collect()),
        duration_s: p.duration_s,
        model: loaded.id().to_string(),
        quality: p.quality.flags().iter().map(|f| f.to_string()).collect(),
    })
}
