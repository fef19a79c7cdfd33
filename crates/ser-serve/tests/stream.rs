//! `GET /stream` on a loopback port: a WebSocket client streaming PCM chunks gets the segments
//! the library's recogniser gives for the same audio; bad input gets a close frame with a reason.

mod common;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

/// What the server sent: the segments and the close frame (code, reason).
async fn session(
    url: &str,
    chunks: Vec<Message>,
) -> (Vec<ser::stream::Segment>, Option<(u16, String)>) {
    let (mut ws, _) = connect_async(url).await.expect("connect");
    // Send everything first (the server answers as it goes; messages queue in the socket).
    for m in chunks {
        if ws.send(m).await.is_err() {
            break;
        }
    }
    let mut segments = Vec::new();
    let mut close = None;
    while let Some(msg) = ws_next(&mut ws).await {
        match msg {
            Message::Text(t) => segments.push(serde_json::from_str(&t).expect("a segment as JSON")),
            Message::Close(f) => {
                close = f.map(|f| (u16::from(f.code), f.reason.to_string()));
                break;
            }
            _ => {}
        }
    }
    (segments, close)
}

async fn ws_next<S>(ws: &mut S) -> Option<Message>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    match tokio::time::timeout(std::time::Duration::from_secs(60), ws.next()).await {
        Ok(Some(Ok(m))) => Some(m),
        Ok(_) => None,
        Err(_) => panic!("no message from the server within 60 s"),
    }
}

fn ws_url(base: &str, query: &str) -> String {
    format!("{}stream?{query}", base.replacen("http://", "ws://", 1))
}

#[tokio::test(flavor = "multi_thread")]
async fn websocket_gives_the_library_segments() {
    let server = common::spawn_server().await;
    let x = common::stream_samples(6);
    let expected = common::library_segments(&server.model_path, &x, 16_000);
    assert!(
        expected.len() >= 3,
        "the test stream gives {} segments",
        expected.len()
    );

    // f32le in 50 ms chunks.
    let chunks: Vec<Message> = x
        .chunks(800)
        .map(|c| {
            Message::Binary(
                c.iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect::<Vec<u8>>()
                    .into(),
            )
        })
        .chain([Message::Text("end".into())])
        .collect();
    let (got, close) = session(&ws_url(&server.base, "rate=16000&format=f32le"), chunks).await;
    assert_eq!(close.as_ref().map(|c| c.0), Some(1000), "close: {close:?}");
    assert_eq!(
        got, expected,
        "the WebSocket gave other segments than the library"
    );
    println!(
        "f32le at 16 kHz: {} segments, identical to the library's",
        got.len()
    );

    // s16le at 48 kHz in 100 ms chunks: the same as the library given the same 16-bit samples.
    let x48 = ser_io::resample(&x, 16_000, 48_000).expect("resample");
    let q: Vec<i16> = x48
        .iter()
        .map(|v| (v * 32767.0).round().clamp(-32768.0, 32767.0) as i16)
        .collect();
    let as_f32: Vec<f32> = q.iter().map(|&v| f32::from(v) / 32768.0).collect();
    let expected48 = common::library_segments(&server.model_path, &as_f32, 48_000);
    let chunks: Vec<Message> = q
        .chunks(4_800)
        .map(|c| {
            Message::Binary(
                c.iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect::<Vec<u8>>()
                    .into(),
            )
        })
        .chain([Message::Text("end".into())])
        .collect();
    let (got48, close) = session(&ws_url(&server.base, "rate=48000&format=s16le"), chunks).await;
    assert_eq!(close.map(|c| c.0), Some(1000));
    assert_eq!(
        got48, expected48,
        "s16le at 48 kHz differs from the library"
    );
    println!(
        "s16le at 48 kHz: {} segments, identical to the library's",
        got48.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_gets_a_close_frame_with_the_reason() {
    let server = common::spawn_server().await;
    let cases: Vec<(&str, Vec<Message>, u16, &str)> = vec![
        ("format=wav", vec![], 1008, "format"),
        ("rate=0", vec![], 1008, "rate"),
        ("rate=fast", vec![], 1008, "rate"),
        (
            "format=s16le",
            vec![Message::Binary(vec![1u8, 2, 3].into())],
            1007,
            "3 bytes",
        ),
        (
            "format=f32le",
            vec![Message::Binary(f32::NAN.to_le_bytes().to_vec().into())],
            1007,
            "NaN",
        ),
        ("", vec![Message::Text("hello".into())], 1003, "hello"),
    ];
    for (query, msgs, code, needle) in cases {
        let (segments, close) = session(&ws_url(&server.base, query), msgs).await;
        let (c, reason) = close.unwrap_or_else(|| panic!("{query}: no close frame"));
        assert!(segments.is_empty(), "{query}: {segments:?}");
        assert_eq!(c, code, "{query}: close code ({reason})");
        assert!(
            reason.contains(needle),
            "{query}: reason {reason:?} lacks {needle:?}"
        );
        println!("{query:<14} -> {c} {reason}");
    }
    // A plain GET (no upgrade) is a JSON 400.
    let r = reqwest::get(format!("{}stream", server.base))
        .await
        .expect("GET");
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"], "not_websocket");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_over_the_duration_limit_is_closed_with_the_reason() {
    let f = common::fixture();
    let mut config = ser_serve::ServeConfig::new(&f.model_path);
    config.max_stream_s = 1.0;
    let server = common::spawn_with(config).await;
    // 1.5 s of f32le at 16 kHz, in 0.25 s chunks.
    let chunk: Vec<u8> = (0..4_000)
        .flat_map(|i| ((i as f32 * 0.05).sin() * 0.1).to_le_bytes())
        .collect();
    let msgs = vec![Message::Binary(chunk.into()); 6];
    let (_, close) = session(&ws_url(&server.base, "format=f32le"), msgs).await;
    let (code, reason) = close.expect("a close frame");
    assert_eq!(code, 1009, "{reason}");
    assert!(
        reason.starts_with("audio_too_long") && reason.contains("1 s"),
        "{reason}"
    );
    println!("1.5 s with --max-stream 1 -> {code} {reason}");
}
