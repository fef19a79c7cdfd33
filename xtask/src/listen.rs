//! `cargo xtask listen`: live emotion lines from a microphone or a file played as a stream,
//! through `ser::stream::Recogniser`.
//!
//! ```text
//! cargo xtask listen --model out/demo/model.json --input clip.wav --realtime
//! cargo xtask listen --model model.json --input clip.wav --json          # as fast as possible
//! cargo xtask listen --model model.json --device default                 # needs --features mic
//! cargo xtask listen --list-devices
//! ```

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use ser::stream::{Recogniser, Segment, StreamConfig};

/// Arguments of `listen`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The model file (from `cargo xtask train` or `demo`).
    #[arg(long, required_unless_present = "list_devices")]
    pub model: Option<PathBuf>,
    /// Capture from this input device (a name from --list-devices, or `default`); needs the
    /// `mic` feature (`cargo xtask` built with `--features mic`, libasound2-dev on Debian).
    #[arg(long, conflicts_with = "input")]
    pub device: Option<String>,
    /// Play this audio file as a stream instead of a device.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// With --input: push audio at real-time pace (default: as fast as possible).
    #[arg(long, requires = "input")]
    pub realtime: bool,
    /// With --input: chunk length, milliseconds.
    #[arg(long, default_value_t = 100.0)]
    pub chunk_ms: f64,
    /// Stream parameters (TOML, the keys of `ser::stream::StreamConfig`).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Emit mode: `sliding` (a result every hop) or `segment` (one per speech segment).
    #[arg(long, value_parser = crate::parse_snake::<ser::stream::EmitMode>)]
    pub mode: Option<ser::stream::EmitMode>,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
    /// List the input devices and exit.
    #[arg(long)]
    pub list_devices: bool,
}

impl Args {
    pub fn run(self) -> anyhow::Result<()> {
        if self.list_devices {
            for d in crate::mic::devices()? {
                println!("{d}");
            }
            return Ok(());
        }
        let Some(model_path) = &self.model else {
            bail!("--model is required");
        };
        let mut config = match &self.config {
            Some(p) => StreamConfig::from_toml_file(p)?,
            None => StreamConfig::default(),
        };
        if let Some(m) = self.mode {
            config.mode = m;
        }
        let model = ser::ModelFile::load(model_path)?;
        let predictor = Arc::new(ser::predict::Predictor::new(model)?);
        let mut out = std::io::stdout().lock();
        match (&self.input, &self.device) {
            (Some(file), _) => {
                let audio = ser_io::decode(file)?;
                let mut rec = Recogniser::new(predictor, &config, audio.sample_rate_hz)?;
                let chunk =
                    ((self.chunk_ms / 1000.0 * f64::from(audio.sample_rate_hz)) as usize).max(1);
                let start = Instant::now();
                let mut sent = 0usize;
                for piece in audio.samples.chunks(chunk) {
                    if self.realtime {
                        let due =
                            Duration::from_secs_f64(sent as f64 / f64::from(audio.sample_rate_hz));
                        std::thread::sleep(due.saturating_sub(start.elapsed()));
                    }
                    sent += piece.len();
                    print_all(&mut out, &rec.push(piece)?, rec.labels(), self.json)?;
                }
                print_all(&mut out, &rec.finish()?, rec.labels(), self.json)?;
                if !self.json {
                    let secs = start.elapsed().as_secs_f64();
                    writeln!(
                        out,
                        "{:.1} s of audio in {secs:.2} s ({:.0}x real time)",
                        audio.duration_s(),
                        audio.duration_s() / secs.max(1e-9)
                    )?;
                }
            }
            (None, Some(name)) => {
                let (rate, chunks) = crate::mic::capture(name)?;
                let mut rec = Recogniser::new(predictor, &config, rate)?;
                if !self.json {
                    eprintln!("listening on {name:?} at {rate} Hz; Ctrl-C to stop");
                }
                for piece in chunks {
                    print_all(&mut out, &rec.push(&piece)?, rec.labels(), self.json)?;
                }
                print_all(&mut out, &rec.finish()?, rec.labels(), self.json)?;
            }
            (None, None) => bail!("give --input FILE or --device NAME (see --list-devices)"),
        }
        Ok(())
    }
}

fn print_all(
    out: &mut impl Write,
    segments: &[Segment],
    labels: &[String],
    json: bool,
) -> anyhow::Result<()> {
    for s in segments {
        let text = if json {
            serde_json::to_string(s).context("segment as JSON")?
        } else {
            line(s, labels)
        };
        match writeln!(out, "{text}").and_then(|()| out.flush()) {
            // The reader went away (`listen ... | head`): stop quietly.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
            r => r?,
        }
    }
    Ok(())
}

/// `  3.20 –   5.20 s  angry     ████████▍   0.84  happy 0.09`
fn line(s: &Segment, labels: &[String]) -> String {
    let mut ranked: Vec<(&String, f32)> = labels
        .iter()
        .filter_map(|l| s.probabilities.get(l).map(|&p| (l, p)))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let p = s.probabilities.get(&s.emotion).copied();
    let bar = p.map_or(String::new(), |p| bar(p, 10));
    let second = ranked
        .iter()
        .find(|(l, _)| **l != s.emotion)
        .map_or(String::new(), |(l, p)| format!("  {l} {p:.2}"));
    format!(
        "{:7.2} – {:7.2} s  {:<9} {bar:<10} {}{second}",
        s.start_s,
        s.end_s,
        s.emotion,
        p.map_or("   -".into(), |p| format!("{p:.2}"))
    )
}

/// A bar of `width` cells for `p` in [0, 1], in eighths of a cell.
fn bar(p: f32, width: usize) -> String {
    const PARTS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
    let eighths = (p.clamp(0.0, 1.0) * (width * 8) as f32).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(PARTS[eighths % 8 - 1]);
    }
    s
}
