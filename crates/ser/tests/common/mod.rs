//! Fixtures shared by the streaming tests.
#![allow(dead_code)]

use std::path::Path;

/// A logistic-regression model trained on a two-speaker synthetic demo corpus written under
/// `dir` (16 kHz, `utterances_per_emotion` per speaker and emotion), with its audio files.
pub fn two_speaker_demo(dir: &Path, utterances_per_emotion: usize) -> ser::demo::DemoModel {
    ser::demo::DemoModel::build(
        dir,
        &ser_io::demo::DemoConfig {
            n_speakers: 2,
            utterances_per_emotion,
            ..Default::default()
        },
        ser::train::model_spec("logistic_regression", None, &[]).expect("spec"),
    )
    .expect("demo model")
}
