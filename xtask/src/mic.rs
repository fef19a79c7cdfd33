//! Microphone capture for `cargo xtask listen --device` (cpal, behind the `mic` feature: the
//! default build needs no system audio library; on Debian the feature needs libasound2-dev).

#[cfg(feature = "mic")]
mod imp {
    use anyhow::{Context, anyhow};
    use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
    use std::sync::mpsc;

    /// Names of the input devices of the default host.
    pub fn devices() -> anyhow::Result<Vec<String>> {
        let host = cpal::default_host();
        let mut names = Vec::new();
        for d in host.input_devices().context("listing input devices")? {
            names.push(d.name().unwrap_or_else(|e| format!("<unnamed: {e}>")));
        }
        Ok(names)
    }

    /// Starts capturing from `name` (`default`: the host's default input) and returns its rate
    /// and the mono chunks as they arrive. The stream runs until the process ends.
    pub fn capture(name: &str) -> anyhow::Result<(u32, mpsc::Receiver<Vec<f32>>)> {
        let host = cpal::default_host();
        let device = if name == "default" {
            host.default_input_device()
                .ok_or_else(|| anyhow!("no default input device"))?
        } else {
            host.input_devices()?
                .find(|d| d.name().is_ok_and(|n| n == name))
                .ok_or_else(|| anyhow!("no input device named {name:?} (see --list-devices)"))?
        };
        let config = device
            .default_input_config()
            .with_context(|| format!("input config of {name:?}"))?;
        let channels = usize::from(config.channels()).max(1);
        let rate = config.sample_rate().0;
        let (tx, rx) = mpsc::channel();
        let err = |e| eprintln!("capture error: {e}");
        let stream = match config.sample_format() {
            cpal::SampleFormat::F32 => device.build_input_stream(
                &config.into(),
                move |data: &[f32], _| {
                    let _ = tx.send(mono(data, channels, |x| x));
                },
                err,
                None,
            )?,
            cpal::SampleFormat::I16 => device.build_input_stream(
                &config.into(),
                move |data: &[i16], _| {
                    let _ = tx.send(mono(data, channels, |x| f32::from(x) / 32768.0));
                },
                err,
                None,
            )?,
            f => return Err(anyhow!("input sample format {f:?} is not supported")),
        };
        stream.play()?;
        // The stream must live as long as the capture: leak it (the process ends with it).
        std::mem::forget(stream);
        Ok((rate, rx))
    }

    /// Averages interleaved channels.
    fn mono<T: Copy>(data: &[T], channels: usize, f: impl Fn(T) -> f32) -> Vec<f32> {
        data.chunks(channels)
            .map(|frame| frame.iter().map(|&x| f(x)).sum::<f32>() / frame.len() as f32)
            .collect()
    }
}

#[cfg(not(feature = "mic"))]
mod imp {
    use std::sync::mpsc;

    const HINT: &str = "microphone capture is not built in: install the ALSA headers \
        (Debian: apt-get install libasound2-dev) and run `cargo xtask` with `--features mic` \
        (e.g. cargo run --release -p xtask --features mic -- listen ...)";

    pub fn devices() -> anyhow::Result<Vec<String>> {
        anyhow::bail!(HINT)
    }

    pub fn capture(_name: &str) -> anyhow::Result<(u32, mpsc::Receiver<Vec<f32>>)> {
        anyhow::bail!(HINT)
    }
}

pub use imp::{capture, devices};
