//! A trained model on the synthetic demo corpus (built once per test binary), and a server on a
//! loopback port serving it.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use ser::ModelFile;
use ser::predict::{PredictInputs, Predictions, predict};
use ser::train::model_spec;
use ser_features::NoProgress;
use ser_serve::{App, ServeConfig};

/// The demo corpus, its table and a model trained on it.
pub struct Fixture {
    _tmp: tempfile::TempDir,
    /// Holds `custom/` (audio) and `features/` (tables): the data root of training tests.
    pub root: PathBuf,
    pub model_path: PathBuf,
    pub wavs: Vec<PathBuf>,
}

pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().canonicalize().expect("canonical");
        let cfg = ser_io::demo::DemoConfig {
            n_speakers: 4,
            utterances_per_emotion: 2,
            ..Default::default()
        };
        let spec = model_spec("logistic_regression", None, &["c=0.1".into()]).expect("spec");
        let demo = ser::demo::DemoModel::build(&root, &cfg, spec).expect("demo model");
        let model_path = root.join("model.json");
        demo.model.save(&model_path).expect("save");
        Fixture {
            _tmp: tmp,
            root,
            model_path,
            wavs: demo.wavs,
        }
    })
}

/// What `cargo xtask predict` computes for `files` with the model file (the same library call).
pub fn reference_predictions(model_path: &std::path::Path, files: &[PathBuf]) -> Predictions {
    let model = ModelFile::load(model_path).expect("load model");
    predict(
        &model,
        &PredictInputs {
            audio: files.to_vec(),
            speaker: Some("upload".into()),
            ..Default::default()
        },
        &NoProgress,
    )
    .expect("predict")
}

/// A server on a loopback port, running for the test's life.
pub struct TestServer {
    /// `http://127.0.0.1:PORT/`
    pub base: String,
    /// An audio file the served model predicts.
    pub wav: PathBuf,
    /// What `cargo xtask predict` says for `wav`.
    pub expected_label: String,
    /// The model file served.
    pub model_path: PathBuf,
    pub app: App,
}

/// Serves the fixture's model with the default limits.
pub async fn spawn_server() -> TestServer {
    let f = fixture();
    spawn_with(ServeConfig::new(&f.model_path)).await
}

/// Serves with `config` (its model file must exist).
pub async fn spawn_with(config: ServeConfig) -> TestServer {
    let f = fixture();
    let model_path = config.model_path.clone();
    let wav = f.wavs[0].clone();
    let expected_label = reference_predictions(&model_path, std::slice::from_ref(&wav)).rows[0]
        .label
        .clone();
    let app = App::new(config).expect("app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let served = app.clone();
    tokio::spawn(async move {
        ser_serve::serve(listener, served, std::future::pending())
            .await
            .expect("serve");
    });
    TestServer {
        base: format!("http://{addr}/"),
        wav,
        expected_label,
        model_path,
        app,
    }
}

/// A test stream at 16 kHz: `n` of the fixture's utterances, each after 1 s of quiet noise.
pub fn stream_samples(n: usize) -> Vec<f32> {
    let f = fixture();
    stream_of(&f.wavs[..n.min(f.wavs.len())])
}

/// A test stream at 16 kHz: `wavs`, each after 1 s of quiet noise, and 1 s at the end.
pub fn stream_of(wavs: &[PathBuf]) -> Vec<f32> {
    let mut s = 3u64;
    let mut noise = |len: usize| -> Vec<f32> {
        (0..len)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.002
            })
            .collect()
    };
    let mut x = Vec::new();
    for w in wavs {
        x.extend(noise(16_000));
        x.extend(ser_io::load(w, 16_000).expect("decode").samples);
    }
    x.extend(noise(16_000));
    x
}

/// What the library's streaming recogniser gives for `x` at `rate_hz` with the served model and
/// the default stream parameters (the server's).
pub fn library_segments(
    model_path: &std::path::Path,
    x: &[f32],
    rate_hz: u32,
) -> Vec<ser::stream::Segment> {
    let model = ModelFile::load(model_path).expect("load model");
    let p = std::sync::Arc::new(ser::predict::Predictor::new(model).expect("predictor"));
    let mut r = ser::stream::Recogniser::new(p, &Default::default(), rate_hz).expect("recogniser");
    let mut out = r.push(x).expect("push");
    out.extend(r.finish().expect("finish"));
    out
}
