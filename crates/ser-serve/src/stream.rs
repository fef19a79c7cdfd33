//! `GET /stream`: a WebSocket taking binary PCM chunks and answering one JSON message per
//! segment the streaming recogniser ([`ser::stream::Recogniser`]) emits.
//!
//! Protocol: `GET /stream?rate=48000&format=f32le[&mode=segment]` upgrades to a WebSocket. The client sends
//! binary messages of mono samples (`s16le`: 16-bit signed little-endian; `f32le`: 32-bit float
//! little-endian in [-1, 1]), then the text message `end` to flush the last segment; the server
//! sends each segment as a text message `{"start_s", "end_s", "emotion", "probabilities"}` and,
//! after `end`, closes with code 1000. Bad input ends the session with a close frame whose
//! reason says what was wrong: 1008 for a bad query (rate, format), 1003 for a text message
//! other than `end`, 1007 for a malformed chunk (a partial sample, NaN), 1009 for a chunk over
//! `--max-body` or a stream over `--max-stream`, 1008 after `--timeout` without a message,
//! 1011 when the recogniser fails. The recogniser runs on the blocking pool behind the same
//! semaphore as `/predict`'s extraction, never on the async runtime.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use ser::stream::{EmitMode, Recogniser, Segment};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{ApiError, Shared};

/// Query parameters of `/stream`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct StreamQuery {
    /// Sample rate of the PCM chunks, Hz (1–768000; default 16000).
    pub rate: Option<String>,
    /// Sample format: `s16le` (default) or `f32le`; mono.
    pub format: Option<String>,
    /// `sliding` (a result every hop over the last window) or `segment` (one per speech
    /// segment); default: the server's stream configuration.
    pub mode: Option<String>,
}

/// Sample formats of the chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    S16le,
    F32le,
}

impl Format {
    fn bytes(self) -> usize {
        match self {
            Format::S16le => 2,
            Format::F32le => 4,
        }
    }
}

/// Why a session ends: a close code and its reason.
type Close = (u16, String);

/// What a session was asked for.
#[derive(Debug, Clone, Copy)]
struct Params {
    rate: u32,
    format: Format,
    mode: Option<EmitMode>,
}

fn params(q: &StreamQuery) -> Result<Params, Close> {
    let rate = match q.rate.as_deref() {
        None => 16_000,
        Some(r) => match r.parse::<u32>() {
            Ok(v) if (1..=ser_io::MAX_SAMPLE_RATE_HZ).contains(&v) => v,
            _ => {
                return Err((
                    close_code::POLICY,
                    format!(
                        "bad_query: rate={r:?} is not a sample rate in 1..={} Hz",
                        ser_io::MAX_SAMPLE_RATE_HZ
                    ),
                ));
            }
        },
    };
    let format = match q.format.as_deref() {
        None | Some("s16le") => Format::S16le,
        Some("f32le") => Format::F32le,
        Some(f) => {
            return Err((
                close_code::POLICY,
                format!("bad_query: format={f:?}: expected s16le or f32le (mono)"),
            ));
        }
    };
    let mode = match q.mode.as_deref() {
        None => None,
        Some("sliding") => Some(EmitMode::Sliding),
        Some("segment") => Some(EmitMode::Segment),
        Some(m) => {
            return Err((
                close_code::POLICY,
                format!("bad_query: mode={m:?}: expected sliding or segment"),
            ));
        }
    };
    Ok(Params { rate, format, mode })
}

/// Stream audio, receive emotion segments (WebSocket).
///
/// Upgrades to a WebSocket. Send binary messages of mono PCM samples in the format and at the
/// rate of the query string, then the text message `end`; each emitted segment comes back as a
/// text message holding a JSON `Segment` (`start_s`, `end_s`, `emotion`, `probabilities`).
/// Malformed chunks, a wrong format and limits end the session with a close frame and a reason.
#[utoipa::path(
    get,
    path = "/stream",
    params(StreamQuery),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol; then one JSON text message per segment"),
        (status = 400, description = "Not a WebSocket upgrade request", body = crate::ErrorBody),
        (status = 503, description = "Too many requests in flight (see Retry-After)", body = crate::ErrorBody),
    ),
    tag = "predict"
)]
pub(crate) async fn stream(
    State(s): State<Arc<Shared>>,
    Query(q): Query<StreamQuery>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(e) => {
            return ApiError::bad_request(
                "not_websocket",
                format!("GET /stream is a WebSocket endpoint: {e}"),
            )
            .into_response();
        }
    };
    let params = params(&q);
    ws.max_message_size(s.config.max_body_bytes)
        .on_upgrade(move |socket| session(s, socket, params))
}

async fn session(s: Arc<Shared>, mut socket: WebSocket, params: Result<Params, Close>) {
    let (code, reason) = match run(&s, &mut socket, params).await {
        Ok(()) => (close_code::NORMAL, "end of stream".to_string()),
        Err(c) => c,
    };
    if code != close_code::NORMAL {
        tracing::info!(code, reason = %reason, "stream closed");
    }
    // The reason of a close frame is at most 123 bytes.
    let mut reason = reason;
    if reason.len() > 123 {
        let mut cut = 120;
        while !reason.is_char_boundary(cut) {
            cut -= 1;
        }
        reason.truncate(cut);
        reason.push_str("...");
    }
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

async fn run(
    s: &Arc<Shared>,
    socket: &mut WebSocket,
    params: Result<Params, Close>,
) -> Result<(), Close> {
    let Params { rate, format, mode } = params?;
    let loaded = s.model.load_full();
    let mut config = s.config.stream.clone();
    if let Some(m) = mode {
        config.mode = m;
    }
    let mut rec = Some(
        Recogniser::new(loaded.predictor.clone(), &config, rate)
            .map_err(|e| (close_code::POLICY, format!("bad_query: {e}")))?,
    );
    let max_samples = (s.config.max_stream_s * f64::from(rate)) as u64;
    let mut received = 0u64;
    loop {
        let msg = match tokio::time::timeout(s.config.request_timeout, socket.recv()).await {
            Err(_) => {
                return Err((
                    close_code::POLICY,
                    format!(
                        "timeout: no message for {:.0} s",
                        s.config.request_timeout.as_secs_f64()
                    ),
                ));
            }
            Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return Ok(()),
            Ok(Some(Ok(m))) => m,
        };
        let finish = match msg {
            Message::Binary(bytes) => {
                let samples = decode(&bytes, format)?;
                received += samples.len() as u64;
                if received > max_samples {
                    return Err((
                        close_code::SIZE,
                        format!(
                            "audio_too_long: the stream is longer than {} s (--max-stream)",
                            s.config.max_stream_s
                        ),
                    ));
                }
                Some(samples)
            }
            Message::Text(t) if t.trim() == "end" => None,
            Message::Text(t) => {
                let head: String = t.chars().take(20).collect();
                return Err((
                    close_code::UNSUPPORTED,
                    format!(
                        "unsupported_message: text {head:?}: send audio as binary messages, then the text \"end\""
                    ),
                ));
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            Message::Close(_) => return Ok(()),
        };
        let last = finish.is_none();
        let segments = step(s, &mut rec, finish).await?;
        for seg in segments {
            s.metrics.predicted(&seg.emotion, seg.end_s - seg.start_s);
            let text = serde_json::to_string(&seg)
                .map_err(|e| (close_code::ERROR, format!("internal: {e}")))?;
            if socket.send(Message::Text(text.into())).await.is_err() {
                return Ok(());
            }
        }
        if last {
            return Ok(());
        }
    }
}

/// Pushes `samples` (or finishes the stream when `None`) on the blocking pool.
async fn step(
    s: &Arc<Shared>,
    rec: &mut Option<Recogniser>,
    samples: Option<Vec<f32>>,
) -> Result<Vec<Segment>, Close> {
    let internal = |m: String| (close_code::ERROR, format!("internal: {m}"));
    let permit = s
        .extract
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| internal("the extraction pool is closed".into()))?;
    let mut r = rec
        .take()
        .ok_or_else(|| internal("the recogniser was lost".into()))?;
    let joined = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let out = match samples {
            Some(x) => r.push(&x),
            None => r.finish(),
        };
        (r, out)
    })
    .await;
    match joined {
        Ok((r, out)) => {
            *rec = Some(r);
            out.map_err(|e| (close_code::ERROR, format!("recogniser: {e}")))
        }
        Err(e) if e.is_panic() => {
            let msg = crate::panic_message(&*e.into_panic());
            tracing::error!(panic = %msg, "stream recogniser panicked");
            Err(internal(format!("the recogniser failed: {msg}")))
        }
        Err(e) => Err(internal(format!("recogniser task: {e}"))),
    }
}

/// The samples of one binary message.
fn decode(bytes: &[u8], format: Format) -> Result<Vec<f32>, Close> {
    let width = format.bytes();
    if !bytes.len().is_multiple_of(width) {
        return Err((
            close_code::INVALID,
            format!(
                "bad_chunk: {} bytes is not a whole number of {width}-byte {} samples",
                bytes.len(),
                match format {
                    Format::S16le => "s16le",
                    Format::F32le => "f32le",
                }
            ),
        ));
    }
    let samples: Vec<f32> = match format {
        Format::S16le => bytes
            .chunks_exact(2)
            .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
            .collect(),
        Format::F32le => bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
    };
    if let Some(i) = samples.iter().position(|x| !x.is_finite()) {
        return Err((
            close_code::INVALID,
            format!("bad_chunk: sample {i} is NaN or infinite (f32le samples must be finite)"),
        ));
    }
    Ok(samples)
}
