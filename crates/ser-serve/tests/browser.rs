//! End-to-end test of the web page served at `/`: drives headless Chromium
//! through chromedriver (WebDriver, with the small client in `webdriver/`).
//!
//! Passes with a note on stderr when `chromedriver` or `chromium` is missing.
//! Screenshots (and chromedriver's log) land in `target/screenshots/`.

mod common;
mod webdriver;

use std::collections::BTreeSet;
use std::error::Error;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use webdriver::{Client, Locator};

type TestResult<T = ()> = Result<T, Box<dyn Error + Send + Sync>>;

const SCREENSHOT_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/screenshots");
const INSTALL_HINT: &str = "install with apt-get install -y chromium chromium-driver";
const POLL: Duration = Duration::from_millis(100);

#[tokio::test(flavor = "multi_thread")]
async fn web_page_predicts_an_uploaded_file_and_docs_render() {
    let Some(browser) = Browser::find() else {
        return;
    };
    let server = common::spawn_server().await;

    let shots = PathBuf::from(SCREENSHOT_DIR);
    std::fs::create_dir_all(&shots).expect("create target/screenshots");

    // The guard kills chromedriver when dropped, also when a panic unwinds.
    let driver = ChromeDriver::start(&browser.chromedriver, &shots.join("chromedriver.log")).await;
    let client = connect(&driver, &browser.chromium, &[]).await;

    let outcome = scenario(&client, &server, &shots).await;
    if outcome.is_err() {
        let _ = screenshot(&client, &shots, "failure.png").await;
    }
    // End the session (and the browser) before chromedriver goes away.
    let _ = client.close().await;
    drop(driver);

    if let Err(e) = outcome {
        panic!(
            "browser test failed: {e} (screenshots in {})",
            shots.display()
        );
    }
}

/// The whole user story, against a running server.
async fn scenario(client: &Client, server: &common::TestServer, shots: &Path) -> TestResult {
    // 1. The page loads and shows the model line.
    client.goto(&server.base).await?;
    let model_line = wait_for_text(client, "#model", Duration::from_secs(15)).await?;
    eprintln!("model line: {model_line}");
    screenshot(client, shots, "index.png").await?;
    let labels = model_labels(client).await?;
    check(!labels.is_empty(), "GET model lists no labels")?;

    // 2. Uploading the wav shows the label `cargo xtask predict` gives.
    let wav = std::fs::canonicalize(&server.wav)?;
    upload(client, &wav).await?;
    wait_for_state(client, "done", Duration::from_secs(30)).await?;

    let emotion = client.find(Locator::Id("emotion")).await?.text().await?;
    check(
        emotion.trim() == server.expected_label,
        format!(
            "#emotion is {emotion:?}, expected {:?}",
            server.expected_label
        ),
    )?;

    // One bar per class, probabilities summing to 1, highest first.
    let mut bars = Vec::new();
    for bar in client.find_all(Locator::Css("#bars .bar")).await? {
        let label = bar
            .attr("data-label")
            .await?
            .ok_or("a .bar has no data-label")?;
        let p: f64 = bar
            .attr("data-p")
            .await?
            .ok_or("a .bar has no data-p")?
            .parse()?;
        bars.push((label, p));
    }
    let bar_labels: BTreeSet<&str> = bars.iter().map(|(l, _)| l.as_str()).collect();
    let expected_labels: BTreeSet<&str> = labels.iter().map(String::as_str).collect();
    check(
        bars.len() == labels.len() && bar_labels == expected_labels,
        format!("bars {bars:?} do not match the model's labels {labels:?}"),
    )?;
    let sum: f64 = bars.iter().map(|(_, p)| p).sum();
    check(
        (sum - 1.0).abs() <= 1e-3,
        format!("bar probabilities sum to {sum}, not 1"),
    )?;
    check(
        bars.windows(2).all(|w| w[0].1 >= w[1].1),
        format!("bars are not sorted by probability: {bars:?}"),
    )?;
    screenshot(client, shots, "predicted.png").await?;

    // 3. A file that is not audio shows the server's error.
    let dir = std::env::temp_dir().join(format!("ser-browser-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let notes = dir.join("notes.wav");
    std::fs::write(&notes, b"These are meeting notes, not audio.\n".repeat(20))?;
    let uploaded = upload(client, &notes).await;
    let errored = wait_for_state(client, "error", Duration::from_secs(30)).await;
    let _ = std::fs::remove_dir_all(&dir);
    uploaded?;
    errored?;
    let error = client.find(Locator::Id("error")).await?.text().await?;
    check(
        !error.trim().is_empty(),
        "#error is empty after a failed upload",
    )?;
    eprintln!("error shown: {}", error.replace('\n', " / "));
    screenshot(client, shots, "error.png").await?;

    // 4. Swagger UI renders the API, /predict included.
    client.goto(&format!("{}docs/", server.base)).await?;
    client
        .wait_for_element(Locator::Css(".swagger-ui"), Duration::from_secs(15))
        .await
        .map_err(|e| format!("no .swagger-ui element on docs/: {e}"))?;
    wait_for_source(client, "/predict", Duration::from_secs(15)).await?;
    screenshot(client, shots, "docs.png").await?;

    Ok(())
}

/// The record button: Chromium's fake microphone plays a WAV made of the demo utterances and
/// silence; the page streams it to `/stream` through its AudioWorklet and shows segments with the
/// emotions, in order, that the library's recogniser gives for the same file, at the same times
/// up to one constant offset (the moment capture started).
#[tokio::test(flavor = "multi_thread")]
async fn record_button_streams_the_microphone_and_shows_the_library_segments() {
    let Some(browser) = Browser::find() else {
        return;
    };
    let server = common::spawn_server().await;
    let shots = PathBuf::from(SCREENSHOT_DIR);
    std::fs::create_dir_all(&shots).expect("create target/screenshots");

    // The fake microphone's file: 2 s of quiet, then utterances each followed by 1 s of quiet.
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("mic.wav");
    // Utterances the model is sure of (top probability at least 0.8 in `predict`), different
    // emotions first: the browser's path (its capture and audio graph) does not hand over the
    // file's exact samples, and a borderline utterance (a top probability of 0.4 among five
    // classes) can then change label, as it could with any other recording of the same speech.
    let f = common::fixture();
    let reference = common::reference_predictions(&server.model_path, &f.wavs);
    let mut sure: Vec<(String, PathBuf)> = reference
        .rows
        .iter()
        .filter(|r| {
            r.probabilities
                .as_ref()
                .is_some_and(|p| p.iter().copied().fold(0.0f32, f32::max) >= 0.8)
        })
        .map(|r| (r.label.clone(), PathBuf::from(&r.path)))
        .collect();
    sure.sort_by_key(|(label, _)| label.clone());
    let config = ser::stream::StreamConfig {
        mode: ser::stream::EmitMode::Segment,
        ..Default::default()
    };
    let model = ser::ModelFile::load(&server.model_path).expect("model");
    let p = std::sync::Arc::new(ser::predict::Predictor::new(model).expect("predictor"));
    // Chromium's fake microphone runs at 48 kHz: the page's audio has been up- and down-sampled
    // (band-limited below 8 kHz twice, by Chromium's own resampler), and capture starts at a
    // moment of its own, which moves every VAD frame boundary. The library is given the audio
    // through the same rates.
    let through_48k = |x: &[f32]| {
        let up = ser_io::resample(x, 16_000, 48_000).expect("resample up");
        ser_io::resample(&up, 48_000, 16_000).expect("resample down")
    };
    let run = |x: &[f32]| {
        let mut r = ser::stream::Recogniser::new(p.clone(), &config, 16_000).expect("recogniser");
        let mut segments = r.push(x).expect("push");
        segments.extend(r.finish().expect("finish"));
        segments
    };
    // An utterance is used only when the recogniser gives it one segment with the same label,
    // at a top probability of at least 0.8, whatever the capture's start (0 to 90 ms of extra
    // lead, i.e. every VAD frame alignment) after the 48 kHz round trip: the label is then a
    // property of the speech, not of where the frames fall, and the page must show it.
    let stable = |w: &Path| -> bool {
        let y = ser_io::load(w, 16_000).expect("decode").samples;
        let mut label: Option<String> = None;
        for lead in [0usize, 160, 480, 960, 1440] {
            let mut x = vec![0.0f32; 16_000 + lead];
            x.extend(&y);
            x.extend(std::iter::repeat_n(0.0f32, 16_000));
            let segments = run(&through_48k(&x));
            let [seg] = segments.as_slice() else {
                return false;
            };
            let top = seg.probabilities.values().copied().fold(0.0f32, f32::max);
            if top < 0.8 || label.as_ref().is_some_and(|l| *l != seg.emotion) {
                return false;
            }
            label = Some(seg.emotion.clone());
        }
        true
    };
    let sure: Vec<(String, PathBuf)> = sure.into_iter().filter(|(_, w)| stable(w)).collect();
    let mut chosen: Vec<PathBuf> = Vec::new();
    let mut labels_used = BTreeSet::new();
    for (label, path) in &sure {
        if chosen.len() < 4 && labels_used.insert(label.clone()) {
            chosen.push(path.clone());
        }
    }
    for (_, path) in &sure {
        if chosen.len() < 4 && !chosen.contains(path) {
            chosen.push(path.clone());
        }
    }
    assert!(
        chosen.len() >= 3,
        "the demo model is sure of only {} utterances",
        chosen.len()
    );
    // Digital silence between them: a segment is then the utterance itself (the recogniser trims
    // zeros), not the utterance plus a frame-dependent share of noise, to which the demo model's
    // global statistics are sensitive.
    let mut x = vec![0.0f32; 2 * 16_000];
    for w in &chosen {
        x.extend(ser_io::load(w, 16_000).expect("decode").samples);
        x.extend(std::iter::repeat_n(0.0f32, 16_000));
    }
    ser_io::write_wav_pcm16(&wav, &x, 16_000).expect("write wav");
    let written = ser_io::load(&wav, 16_000).expect("read back").samples;
    let expected = run(&through_48k(&written));
    assert!(expected.len() >= 3, "library: {expected:?}");

    let driver =
        ChromeDriver::start(&browser.chromedriver, &shots.join("chromedriver-mic.log")).await;
    let flags = [
        "--use-fake-device-for-media-stream".to_string(),
        "--use-fake-ui-for-media-stream".to_string(),
        "--autoplay-policy=no-user-gesture-required".to_string(),
        format!("--use-file-for-fake-audio-capture={}%noloop", wav.display()),
    ];
    let client = connect(&driver, &browser.chromium, &flags).await;
    let seconds = x.len() as f64 / 16_000.0;
    let outcome = record_scenario(&client, &server, &shots, &expected, seconds).await;
    if outcome.is_err() {
        let _ = screenshot(&client, &shots, "record-failure.png").await;
    }
    let _ = client.close().await;
    drop(driver);
    if let Err(e) = outcome {
        panic!(
            "record test failed: {e} (screenshots in {})",
            shots.display()
        );
    }
}

async fn record_scenario(
    client: &Client,
    server: &common::TestServer,
    shots: &Path,
    expected: &[ser::stream::Segment],
    seconds: f64,
) -> TestResult {
    client.goto(&server.base).await?;
    wait_for_text(client, "#model", Duration::from_secs(15)).await?;
    // One result per phrase, as the library was run.
    client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             document.getElementById('live-mode').value = 'segment'; done(true);",
            vec![],
        )
        .await?;
    client.find(Locator::Id("record")).await?.click().await?;
    wait_for_live(client, "recording", Duration::from_secs(15)).await?;
    // The file plays in real time; then stop, which flushes and ends the stream.
    tokio::time::sleep(Duration::from_secs_f64(seconds + 1.5)).await;
    screenshot(client, shots, "recording.png").await?;
    client.find(Locator::Id("record")).await?.click().await?;
    wait_for_live(client, "done", Duration::from_secs(30)).await?;
    screenshot(client, shots, "recorded.png").await?;

    let mut shown = Vec::new();
    for li in client.find_all(Locator::Css("#segments li")).await? {
        let get = |v: Option<String>| v.ok_or("a segment lacks a data attribute");
        let start: f64 = get(li.attr("data-start").await?)?.parse()?;
        let end: f64 = get(li.attr("data-end").await?)?.parse()?;
        let emotion = get(li.attr("data-emotion").await?)?;
        shown.push((start, end, emotion));
    }
    shown.reverse(); // the list shows the newest first
    eprintln!(
        "library: {:?}",
        expected
            .iter()
            .map(|s| (s.start_s, s.end_s, &s.emotion))
            .collect::<Vec<_>>()
    );
    eprintln!("page:    {shown:?}");
    check(
        shown.len() == expected.len(),
        format!(
            "the page shows {} segments, the library gives {}",
            shown.len(),
            expected.len()
        ),
    )?;
    let offset = expected[0].start_s - shown[0].0;
    // Labels are compared where the library is sure (top probability at least 0.6). The
    // browser does not hand over the file's exact samples (its fake device and audio graph
    // resample, and capture starts a frame early or late), and a borderline result can then
    // change label, as it would for another recording of the same speech.
    let (mut compared, mut same) = (0, 0);
    for (s, e) in shown.iter().zip(expected) {
        let top = e.probabilities.values().copied().fold(0.0f32, f32::max);
        if top >= 0.6 {
            compared += 1;
            check(
                s.2 == e.emotion,
                format!(
                    "page segment {s:?} is {}, the library says {} (p = {top:.2})",
                    s.2, e.emotion
                ),
            )?;
        }
        same += usize::from(s.2 == e.emotion);
        check(
            (s.0 + offset - e.start_s).abs() <= 0.15 && (s.1 + offset - e.end_s).abs() <= 0.15,
            format!(
                "page segment {s:?} (+{offset:.3} s capture offset) is not at the library's {:.2}..{:.2} s",
                e.start_s, e.end_s
            ),
        )?;
    }
    check(
        compared >= 2,
        format!("only {compared} library segments are sure enough to compare labels"),
    )?;
    eprintln!(
        "capture offset {offset:.3} s; {} segments at the library's times; labels: {same} of {} \
         equal, all {compared} sure ones (p >= 0.6) equal",
        shown.len(),
        shown.len()
    );
    Ok(())
}

/// Waits for `body[data-live=want]`.
async fn wait_for_live(client: &Client, want: &str, timeout: Duration) -> TestResult {
    let deadline = Instant::now() + timeout;
    loop {
        let state = client
            .find(Locator::Css("body"))
            .await?
            .attr("data-live")
            .await?;
        if state.as_deref() == Some(want) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let error = match client.find(Locator::Id("error")).await {
                Ok(e) => e.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            return Err(format!(
                "live state is {state:?}, not {want:?}, after {timeout:?} (#error: {error:?})"
            )
            .into());
        }
        tokio::time::sleep(POLL).await;
    }
}

// --- page helpers -----------------------------------------------------------

/// Hands `file` to `<input type=file id=file>` (WebDriver file upload).
async fn upload(client: &Client, file: &Path) -> TestResult {
    let path = file.to_str().ok_or("upload path is not UTF-8")?;
    client
        .find(Locator::Id("file"))
        .await?
        .send_keys(path)
        .await?;
    Ok(())
}

/// Labels of the served model, fetched from the page's origin.
async fn model_labels(client: &Client) -> TestResult<Vec<String>> {
    const JS: &str = r#"
        const done = arguments[arguments.length - 1];
        fetch('model', { headers: { Accept: 'application/json' } })
            .then((r) => (r.ok ? r.json() : Promise.reject(new Error('HTTP ' + r.status))))
            .then((m) => done({ labels: m.labels }), (e) => done({ error: String(e) }));
    "#;
    let answer = client.execute_async(JS, vec![]).await?;
    if let Some(e) = answer.get("error") {
        return Err(format!("GET model failed in the page: {e}").into());
    }
    Ok(serde_json::from_value(answer["labels"].clone())?)
}

/// Waits for `body[data-state=want]`; on timeout, says where the page got stuck.
async fn wait_for_state(client: &Client, want: &str, timeout: Duration) -> TestResult {
    let deadline = Instant::now() + timeout;
    loop {
        let state = client
            .find(Locator::Css("body"))
            .await?
            .attr("data-state")
            .await?;
        if state.as_deref() == Some(want) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let error = match client.find(Locator::Id("error")).await {
                Ok(e) => e.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            return Err(format!(
                "page state is {state:?}, not {want:?}, after {timeout:?} (#error: {error:?})"
            )
            .into());
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until the element matching `css` shows non-blank text, and returns it.
async fn wait_for_text(client: &Client, css: &str, timeout: Duration) -> TestResult<String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(element) = client.find(Locator::Css(css)).await {
            let text = element.text().await?;
            if !text.trim().is_empty() {
                return Ok(text);
            }
        }
        if Instant::now() >= deadline {
            return Err(format!("{css} still has no text after {timeout:?}").into());
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until the (live) page source contains `needle`.
async fn wait_for_source(client: &Client, needle: &str, timeout: Duration) -> TestResult {
    let deadline = Instant::now() + timeout;
    loop {
        if client.source().await?.contains(needle) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!("{needle:?} did not appear in the page after {timeout:?}").into());
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn screenshot(client: &Client, dir: &Path, name: &str) -> TestResult {
    let png = client.screenshot().await?;
    std::fs::write(dir.join(name), png)?;
    Ok(())
}

fn check(ok: bool, message: impl Into<String>) -> TestResult {
    if ok {
        Ok(())
    } else {
        let message: String = message.into();
        Err(message.into())
    }
}

// --- browser and driver -----------------------------------------------------

/// Paths of the installed chromedriver and Chromium.
struct Browser {
    chromedriver: PathBuf,
    chromium: PathBuf,
}

impl Browser {
    /// Finds both binaries, or says why the test is skipped.
    fn find() -> Option<Self> {
        let Some(chromedriver) = locate("/usr/bin/chromedriver", "chromedriver") else {
            eprintln!(
                "skipping browser test: chromedriver not found in /usr/bin or on PATH; {INSTALL_HINT}"
            );
            return None;
        };
        let Some(chromium) = locate("/usr/bin/chromium", "chromium") else {
            eprintln!(
                "skipping browser test: chromium not found in /usr/bin or on PATH; {INSTALL_HINT}"
            );
            return None;
        };
        Some(Self {
            chromedriver,
            chromium,
        })
    }
}

/// `preferred` if it exists, else the first `name` on PATH.
fn locate(preferred: &str, name: &str) -> Option<PathBuf> {
    let preferred = PathBuf::from(preferred);
    if preferred.is_file() {
        return Some(preferred);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A chromedriver child process, killed on drop.
struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    async fn start(binary: &Path, log: &Path) -> Self {
        let port = free_port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        // From here on the guard owns the process.
        let mut driver = Self { child, port };
        driver.wait_until_listening(Duration::from_secs(10)).await;
        driver
    }

    async fn wait_until_listening(&mut self, timeout: Duration) {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + timeout;
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("chromedriver exited before listening ({status})");
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {} within {timeout:?}",
                self.port
            );
            tokio::time::sleep(POLL).await;
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("pick a free port")
        .port()
}

/// Opens a headless Chromium session.
async fn connect(driver: &ChromeDriver, chromium: &Path, extra_args: &[String]) -> Client {
    let mut args: Vec<String> = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra_args.iter().cloned());
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium.display().to_string(),
            "args": args,
        },
    });
    Client::connect(&driver.url(), caps)
        .await
        .unwrap_or_else(|e| panic!("cannot open a Chromium session through chromedriver: {e}"))
}
