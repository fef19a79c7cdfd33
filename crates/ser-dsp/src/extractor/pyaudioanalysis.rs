//! pyAudioAnalysis family: the 34 pyAudioAnalysis 0.3.14 short-term features of every frame
//! ([`crate::pyaa`], from the raw frame and the magnitudes of one real FFT of the unpadded
//! frame) and their 34 frame-to-frame deltas.

use ndarray::Array2;

use super::{Family, Frame, Planner, Utterance};
use crate::config::Descriptor;
use crate::pyaa::{self, PyAa};
use crate::{Error, Result};

/// The `py_audio_analysis` descriptors of a set: their first columns and one shared state.
#[derive(Default)]
pub(super) struct PyAudioAnalysis {
    cols: Vec<usize>,
    state: Option<PyAa>,
    /// Magnitude bins pyAudioAnalysis reads: `frame_len / 2`.
    n_bins: usize,
}

impl Family for PyAudioAnalysis {
    fn plan(&mut self, d: &Descriptor, p: &mut Planner<'_>) -> Result<bool> {
        let Descriptor::PyAudioAnalysis = d else {
            return Ok(false);
        };
        let frame_len = p.frame_len;
        if p.frame.center || !frame_len.is_multiple_of(2) {
            return Err(Error::Param {
                name: "frame",
                expected: "center = false and an even frame length for py_audio_analysis".into(),
                found: format!("center = {}, frame {frame_len}", p.frame.center),
            });
        }
        self.cols.push(p.n_columns());
        for n in pyaa::names() {
            p.column(n, false);
        }
        p.read_raw();
        p.read_magnitudes();
        self.state = Some(PyAa::new(p.sample_rate_hz, frame_len));
        self.n_bins = frame_len / 2;
        Ok(true)
    }

    fn is_empty(&self) -> bool {
        self.cols.is_empty()
    }

    fn start(&mut self, _n_frames: usize) {
        if let Some(s) = self.state.as_mut() {
            s.reset();
        }
    }

    fn frame(&mut self, f: &Frame<'_>, row: &mut [f64]) {
        if let Some(s) = self.state.as_mut() {
            for &lo in &self.cols {
                s.frame(
                    f.raw,
                    &f.mag[..self.n_bins],
                    &mut row[lo..lo + pyaa::N_BASE],
                );
            }
        }
    }

    /// The deltas: frame t minus frame t - 1 (0 in the first frame).
    fn finish(&mut self, out: &mut Array2<f64>, _u: &Utterance<'_>) {
        let n_frames = out.nrows();
        for &lo in &self.cols {
            for t in (1..n_frames).rev() {
                for j in 0..pyaa::N_BASE {
                    out[(t, lo + pyaa::N_BASE + j)] = out[(t, lo + j)] - out[(t - 1, lo + j)];
                }
            }
        }
    }
}
