//! The service as a client uses it, over a loopback socket: predictions against the command
//! line's, every error a client can provoke, training jobs and the model swap, the token, the
//! data root, and the service endpoints.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use ser_serve::ServeConfig;
use serde_json::Value;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

async fn post_audio(base: &str, bytes: Vec<u8>, content_type: &str) -> (StatusCode, Value) {
    let r = client()
        .post(format!("{base}predict"))
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .expect("send");
    let status = r.status();
    (status, r.json().await.expect("JSON answer"))
}

/// An error answer: the status, and a JSON body naming the error with a detail.
fn assert_error(status: StatusCode, body: &Value, want: StatusCode, code: &str) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["error"], code, "{body}");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.len() > 10, "a detail a person can act on: {body}");
}

/// Checks one JSON prediction against the library's (the `cargo xtask predict` code path) and
/// against the CSV that `cargo xtask predict` writes (6 decimals).
fn assert_same_as_cli(json: &Value, model_path: &Path, file: &Path) {
    let reference = common::reference_predictions(model_path, &[file.to_path_buf()]);
    let row = &reference.rows[0];
    assert_eq!(json["emotion"], row.label.as_str(), "{json}");
    let probs = row.probabilities.as_ref().expect("probabilities");
    let csv_path = tempfile::NamedTempFile::new()
        .expect("tmp")
        .into_temp_path();
    reference.write_csv(&csv_path).expect("csv");
    let csv = std::fs::read_to_string(&csv_path).expect("read csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let values: Vec<&str> = lines.next().expect("row").split(',').collect();
    for (label, p) in reference.labels.iter().zip(probs) {
        let served = json["probabilities"][label].as_f64().expect("probability");
        assert!(
            (served - f64::from(*p)).abs() < 1e-6,
            "{label}: served {served}, library {p}"
        );
        let col = header
            .iter()
            .position(|h| *h == format!("p_{label}"))
            .expect("column");
        let cli: f64 = values[col].parse().expect("csv value");
        assert!(
            (served - cli).abs() < 1e-6,
            "{label}: served {served}, CLI {cli}"
        );
    }
    let sum: f64 = json["probabilities"]
        .as_object()
        .expect("object")
        .values()
        .filter_map(Value::as_f64)
        .sum();
    assert!((sum - 1.0).abs() < 1e-4, "sum {sum}");
}

#[tokio::test(flavor = "multi_thread")]
async fn predictions_match_the_command_line() {
    let server = common::spawn_server().await;
    let f = common::fixture();

    // A generated file, as the body.
    let (status, json) = post_audio(
        &server.base,
        std::fs::read(&server.wav).expect("wav"),
        "audio/wav",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_same_as_cli(&json, &server.model_path, &server.wav);
    assert_eq!(json["model"], server.app.model_hash()[..23], "{json}");
    let dur = json["duration_s"].as_f64().expect("duration");
    let info = ser_io::probe_info(&server.wav).expect("probe");
    assert!(
        (dur - info.duration_s().expect("frames")).abs() < 0.01,
        "{dur}"
    );

    // A real EMO-DB recording, when the corpora are here.
    match std::env::var_os("SER_DATASETS") {
        None => eprintln!("skipping the EMO-DB part: SER_DATASETS is not set"),
        Some(root) => {
            let emodb = PathBuf::from(root).join("emodb");
            let (files, _) = ser::predict::audio_files(std::slice::from_ref(&emodb));
            let mut files = files;
            files.sort();
            let file = files.first().expect("an EMO-DB file").clone();
            let (status, json) = post_audio(
                &server.base,
                std::fs::read(&file).expect("read"),
                "application/octet-stream",
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{json}");
            assert_same_as_cli(&json, &server.model_path, &file);
        }
    }

    // Multipart with two files: a list, in upload order, each with its file name.
    let (a, b) = (&f.wavs[1], &f.wavs[2]);
    let part = |p: &PathBuf| {
        reqwest::multipart::Part::bytes(std::fs::read(p).expect("read"))
            .file_name(p.file_name().expect("name").to_string_lossy().into_owned())
    };
    let form = reqwest::multipart::Form::new()
        .text("note", "a plain field is ignored")
        .part("file", part(a))
        .part("file", part(b));
    let r = client()
        .post(format!("{}predict", server.base))
        .multipart(form)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    let list: Value = r.json().await.expect("json");
    let list = list.as_array().expect("a list");
    assert_eq!(list.len(), 2);
    for (item, p) in list.iter().zip([a, b]) {
        assert_eq!(
            item["file"],
            p.file_name().expect("name").to_string_lossy().as_ref()
        );
        assert_same_as_cli(item, &server.model_path, p);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_get_clear_json_errors() {
    let f = common::fixture();
    let server = common::spawn_server().await;
    let base = &server.base;

    let (s, b) = post_audio(base, b"this is not audio at all".to_vec(), "audio/wav").await;
    assert_error(s, &b, StatusCode::UNPROCESSABLE_ENTITY, "undecodable_audio");
    // A WAV cut in the middle of its header.
    let wav = std::fs::read(&server.wav).expect("wav");
    let (s, b) = post_audio(base, wav[..30].to_vec(), "audio/wav").await;
    assert_error(s, &b, StatusCode::UNPROCESSABLE_ENTITY, "undecodable_audio");
    let (s, b) = post_audio(base, Vec::new(), "audio/wav").await;
    assert_error(s, &b, StatusCode::BAD_REQUEST, "empty_body");
    let (s, b) = post_audio(base, wav.clone(), "text/plain").await;
    assert_error(
        s,
        &b,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let (s, b) = post_audio(base, wav.clone(), "image/png").await;
    assert_error(
        s,
        &b,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let r = client()
        .get(format!("{base}no/such/route"))
        .send()
        .await
        .expect("send");
    let s = r.status();
    assert_error(
        s,
        &r.json().await.expect("json"),
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // Limits: a small body limit and a short duration limit.
    let mut cfg = ServeConfig::new(&f.model_path);
    cfg.max_body_bytes = 10_000;
    cfg.max_duration_s = 0.5;
    let small = common::spawn_with(cfg).await;
    let (s, b) = post_audio(&small.base, vec![0u8; 20_000], "audio/wav").await;
    assert_error(s, &b, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // Over the limit without a Content-Length (chunked): refused while reading.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..10).map(|_| Ok(vec![0u8; 4000])).collect();
    let r = client()
        .post(format!("{}predict", small.base))
        .header("content-type", "audio/wav")
        .body(reqwest::Body::wrap_stream(futures_iter(chunks)))
        .send()
        .await
        .expect("send");
    let s = r.status();
    assert_error(
        s,
        &r.json().await.expect("json"),
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    // 8000 bytes of WAV header + samples: under the body limit, over 0.5 s? Use a 1 s file.
    let one_s = f.root.join("one_second.wav");
    let samples: Vec<f32> = (0..16_000).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
    ser_io::write_wav_pcm16(&one_s, &samples, 16_000).expect("write");
    let mut cfg = ServeConfig::new(&f.model_path);
    cfg.max_duration_s = 0.5;
    let short = common::spawn_with(cfg).await;
    let (s, b) = post_audio(
        &short.base,
        std::fs::read(&one_s).expect("read"),
        "audio/wav",
    )
    .await;
    assert_error(s, &b, StatusCode::PAYLOAD_TOO_LARGE, "audio_too_long");

    // The service still answers after all of that.
    let (s, b) = post_audio(base, wav, "audio/x-wav").await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

fn futures_iter(
    chunks: Vec<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + Sync + 'static {
    tokio_stream::iter(chunks)
}

/// Opens a `/predict` request whose body never arrives, holding a slot in flight.
fn hold_open(base: &str) -> TcpStream {
    let addr = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav\r\nContent-Length: 100000\r\n\r\nRIFF"
    )
    .expect("write");
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn overload_gets_503_and_slow_requests_504() {
    let f = common::fixture();
    let mut cfg = ServeConfig::new(&f.model_path);
    cfg.max_inflight = 1;
    cfg.request_timeout = Duration::from_millis(800);
    let server = common::spawn_with(cfg).await;
    let mut held = hold_open(&server.base);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = client()
        .post(format!("{}predict", server.base))
        .header("content-type", "audio/wav")
        .body(std::fs::read(&server.wav).expect("wav"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.headers()["retry-after"], "1");
    let s = r.status();
    assert_error(
        s,
        &r.json().await.expect("json"),
        StatusCode::SERVICE_UNAVAILABLE,
        "overloaded",
    );
    // /health is answered however busy the service is.
    let h = client()
        .get(format!("{}health", server.base))
        .send()
        .await
        .expect("send");
    assert_eq!(h.status(), StatusCode::OK);
    // The held request times out: 504 with the JSON body.
    let answer = tokio::task::spawn_blocking(move || {
        held.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut buf = vec![0u8; 4096];
        let n = held.read(&mut buf).expect("read");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    })
    .await
    .expect("join");
    assert!(answer.starts_with("HTTP/1.1 504"), "{answer}");
    assert!(answer.contains("\"error\":\"timeout\""), "{answer}");
}

async fn poll_job(base: &str, token: &str, id: &str) -> Value {
    let start = Instant::now();
    loop {
        let r = client()
            .get(format!("{base}jobs/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::OK);
        let j: Value = r.json().await.expect("json");
        if j["state"] == "succeeded" || j["state"] == "failed" {
            return j;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "job stuck: {j}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn training_jobs_swap_the_model_within_the_data_root() {
    let f = common::fixture();
    let own = tempfile::tempdir().expect("tmp");
    let model_path = own.path().join("served.json");
    std::fs::copy(&f.model_path, &model_path).expect("copy");
    let mut cfg = ServeConfig::new(&model_path);
    cfg.data_root = Some(f.root.clone());
    cfg.token = Some("s3cret".into());
    let server = common::spawn_with(cfg).await;
    let base = &server.base;
    let before: Value = client()
        .get(format!("{base}model"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(before["hash"], server.app.model_hash());
    assert_eq!(before["model"], "logistic_regression");

    let config = r#"{"features": "features", "corpora": ["custom"],
                     "model": {"kind": "logistic_regression", "c": 1.0}, "seed": 7}"#;
    let post = |body: &'static str, ct: &'static str, token: Option<&'static str>| {
        let mut r = client()
            .post(format!("{base}train"))
            .header("content-type", ct)
            .body(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    // The token.
    let r = post(config, "application/json", None).await.expect("send");
    let s = r.status();
    assert_error(
        s,
        &r.json().await.expect("json"),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    let r = post(config, "application/json", Some("wrong"))
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = client()
        .get(format!("{base}jobs/1"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Paths outside the data root are refused before anything is read.
    for outside in [
        r#"{"features": "../", "model": {"kind": "knn"}}"#,
        r#"{"features": "/etc", "model": {"kind": "knn"}}"#,
        r#"{"features": "features", "feature_set": "/etc/passwd.toml", "model": {"kind": "knn"}}"#,
    ] {
        let r = post(outside, "application/json", Some("s3cret"))
            .await
            .expect("send");
        let s = r.status();
        assert_error(
            s,
            &r.json().await.expect("json"),
            StatusCode::BAD_REQUEST,
            "outside_data_root",
        );
    }
    let r = post(
        r#"{"features": "features", "corpora": ["../x"], "model": {"kind": "knn"}}"#,
        "application/json",
        Some("s3cret"),
    )
    .await
    .expect("send");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = post(
        r#"{"features": "features", "model": {"kind": "svm", "c": -1}}"#,
        "application/json",
        Some("s3cret"),
    )
    .await
    .expect("send");
    let s = r.status();
    assert_error(
        s,
        &r.json().await.expect("json"),
        StatusCode::BAD_REQUEST,
        "bad_config",
    );
    let r = post(
        r#"{"features": "features", "corpora": ["nosuch"], "model": {"kind": "knn"}}"#,
        "application/json",
        Some("s3cret"),
    )
    .await
    .expect("send");
    let s = r.status();
    assert_error(
        s,
        &r.json().await.expect("json"),
        StatusCode::BAD_REQUEST,
        "tables_not_found",
    );

    // A job: 202, polled to completion, the model swapped and written to disk.
    let r = post(config, "application/json", Some("s3cret"))
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let sub: Value = r.json().await.expect("json");
    let id = sub["id"].as_str().expect("id").to_string();
    assert_eq!(sub["status_url"], format!("/jobs/{id}"));
    let job = poll_job(base, "s3cret", &id).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["progress"], 1.0);
    assert!(
        job["metrics"]["rows"].as_f64().expect("rows") > 10.0,
        "{job}"
    );
    let after: Value = client()
        .get(format!("{base}model"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_ne!(after["hash"], before["hash"], "a new model serves");
    assert_eq!(after["hash"], job["model_hash"]);
    assert_eq!(after["spec"]["c"], 1.0);
    assert_eq!(after["summary"]["seed"], 7);
    let on_disk = std::fs::read(&model_path).expect("model file");
    let loaded = ser::ModelFile::from_json(&on_disk, &model_path).expect("a valid model file");
    assert_eq!(loaded.pipeline.summary.seed, 7);
    let (s, p) = post_audio(base, std::fs::read(&server.wav).expect("wav"), "audio/wav").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        p["model"].as_str().expect("id"),
        &after["hash"].as_str().expect("hash")[..23]
    );
    // The same in TOML.
    let toml = "features = \"features\"\ncorpora = [\"custom\"]\nseed = 8\n[model]\nkind = \"knn\"\nn_neighbors = 3\n";
    let r = post(toml, "application/toml", Some("s3cret"))
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let sub: Value = r.json().await.expect("json");
    let job = poll_job(base, "s3cret", sub["id"].as_str().expect("id")).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["model_kind"], "knn");
    let r = client()
        .get(format!("{base}jobs"))
        .bearer_auth("s3cret")
        .send()
        .await
        .expect("send");
    let jobs: Value = r.json().await.expect("json");
    assert_eq!(jobs.as_array().expect("list").len(), 2);
    let r = client()
        .get(format!("{base}jobs/999"))
        .bearer_auth("s3cret")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Without a data root, training is off.
    let plain = common::spawn_server().await;
    let r = client()
        .post(format!("{}train", plain.base))
        .header("content-type", "application/json")
        .body(config)
        .send()
        .await
        .expect("send");
    let s = r.status();
    assert_error(
        s,
        &r.json().await.expect("json"),
        StatusCode::FORBIDDEN,
        "training_disabled",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn health_metrics_openapi_and_docs() {
    let server = common::spawn_server().await;
    let base = &server.base;
    let get = |p: &str| client().get(format!("{base}{p}")).send();
    let h: Value = get("health")
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(h["status"], "ok");
    let (s, _) = post_audio(base, std::fs::read(&server.wav).expect("wav"), "audio/wav").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = post_audio(base, b"junk".to_vec(), "audio/wav").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let m = get("metrics")
        .await
        .expect("send")
        .text()
        .await
        .expect("text");
    assert!(
        m.contains(r#"ser_http_requests_total{method="POST",route="/predict",status="200"} 1"#),
        "{m}"
    );
    assert!(
        m.contains(r#"ser_http_requests_total{method="POST",route="/predict",status="422"} 1"#),
        "{m}"
    );
    assert!(
        m.contains("ser_http_request_duration_seconds_bucket"),
        "{m}"
    );
    assert!(
        m.contains(&format!(
            r#"ser_predictions_total{{emotion="{}"}} 1"#,
            server.expected_label
        )),
        "{m}"
    );
    let api: Value = get("openapi.json")
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    for p in [
        "/predict",
        "/train",
        "/jobs/{id}",
        "/jobs",
        "/health",
        "/model",
        "/metrics",
    ] {
        assert!(api["paths"][p].is_object(), "{p} documented");
    }
    assert!(api["components"]["schemas"]["Prediction"].is_object());
    let docs = get("docs/").await.expect("send");
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(
        docs.text().await.expect("text").contains("swagger"),
        "Swagger UI"
    );
    let page = get("").await.expect("send");
    assert!(
        page.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/html")
    );
    assert!(page.text().await.expect("text").contains("app.js"));
}
