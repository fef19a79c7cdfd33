//! The web page at `/`, embedded in the binary: drop an audio file, see the predicted emotion
//! and a bar per class; or record from the microphone (an AudioWorklet streaming to the
//! `/stream` WebSocket) and watch the emotion timeline. It calls `/predict`, `/stream` and
//! `/model` only.

use axum::http::header;
use axum::response::IntoResponse;

const INDEX_HTML: &str = include_str!("../assets/index.html");
const APP_JS: &str = include_str!("../assets/app.js");
const STYLE_CSS: &str = include_str!("../assets/style.css");
const RECORDER_JS: &str = include_str!("../assets/recorder-worklet.js");

pub(crate) async fn index() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        INDEX_HTML,
    )
}

pub(crate) async fn app_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        APP_JS,
    )
}

pub(crate) async fn style_css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        STYLE_CSS,
    )
}

pub(crate) async fn recorder_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        RECORDER_JS,
    )
}
