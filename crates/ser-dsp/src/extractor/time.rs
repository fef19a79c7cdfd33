//! Time-domain family: zero-crossing rate, energy, RMS, log energy and energy entropy of the raw
//! frame (unwindowed, without pre-emphasis), plus librosa's spectral RMS of the windowed frame.

use super::{AMIN, Family, Frame, Planner, fill};
use crate::config::{Descriptor, PadMode};
use crate::{Result, fastmath, pyaa};

enum Item {
    Zcr { pad_mode: PadMode },
    Energy,
    Rms { from_spectrum: bool },
    LogEnergy,
    EnergyEntropy { n_blocks: usize },
}

/// The time-domain descriptors of a set, each with its column.
#[derive(Default)]
pub(super) struct Time {
    items: Vec<(usize, Item)>,
    frame_len: usize,
    n_fft: usize,
    /// Padding of the raw frame (the framing's).
    pad_mode: PadMode,
    /// Some item reads the mean square of the raw frame (energy, RMS, log energy).
    mean_square: bool,
    /// The frame of a ZCR padded unlike the framing (`frame_len`; empty when there is none).
    zcr_frame: Vec<f64>,
}

impl Family for Time {
    fn plan(&mut self, d: &Descriptor, p: &mut Planner<'_>) -> Result<bool> {
        let (name, item) = match d {
            Descriptor::Zcr { pad_mode } => (
                "zcr",
                Item::Zcr {
                    pad_mode: *pad_mode,
                },
            ),
            Descriptor::Energy => ("energy", Item::Energy),
            Descriptor::Rms { from_spectrum } => (
                "rms",
                Item::Rms {
                    from_spectrum: *from_spectrum,
                },
            ),
            Descriptor::LogEnergy => ("log_energy_db", Item::LogEnergy),
            Descriptor::EnergyEntropy { n_blocks } => (
                "energy_entropy",
                Item::EnergyEntropy {
                    n_blocks: *n_blocks,
                },
            ),
            _ => return Ok(false),
        };
        (self.frame_len, self.n_fft, self.pad_mode) = (p.frame_len, p.n_fft, p.frame.pad_mode);
        match item {
            Item::Rms {
                from_spectrum: true,
            } => {}
            Item::Zcr { pad_mode } => {
                p.read_raw();
                if pad_mode != self.pad_mode {
                    self.zcr_frame.resize(self.frame_len, 0.0);
                }
            }
            Item::EnergyEntropy { .. } => p.read_raw(),
            Item::Energy | Item::Rms { .. } | Item::LogEnergy => {
                p.read_raw();
                self.mean_square = true;
            }
        }
        self.items.push((p.n_columns(), item));
        p.column(name.into(), false);
        Ok(true)
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn frame(&mut self, f: &Frame<'_>, row: &mut [f64]) {
        time_frame(self, f, row)
    }
}

/// Sign changes between consecutive samples; samples with |x| <= 1e-10 count as positive.
fn zero_crossings(frame: &[f64]) -> usize {
    let sb = |v: f64| v.abs() > 1e-10 && v < 0.0;
    // a sum of 0 / 1 over neighbour pairs (vectorises; `filter().count()` did not)
    frame
        .iter()
        .zip(frame.iter().skip(1))
        .map(|(a, b)| usize::from(sb(*a) != sb(*b)))
        .sum()
}

/// Also compiled for AVX2 and chosen at run time; bit-identical results (see `spectral_frame`).
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn time_frame(s: &mut Time, f: &Frame<'_>, row: &mut [f64]) {
    s.frame_inner(f, row)
}

impl Time {
    #[inline(always)]
    fn frame_inner(&mut self, f: &Frame<'_>, row: &mut [f64]) {
        let fl = self.frame_len;
        let raw_energy = if self.mean_square {
            fastmath::dot(f.raw, f.raw) / fl as f64
        } else {
            0.0
        };
        for (col, item) in &self.items {
            row[*col] = match item {
                Item::Zcr { pad_mode } => {
                    let frame: &[f64] = if *pad_mode == self.pad_mode {
                        f.raw
                    } else {
                        fill(f.x, f.start, *pad_mode, &mut self.zcr_frame);
                        &self.zcr_frame
                    };
                    zero_crossings(frame) as f64 / fl as f64
                }
                Item::Energy => raw_energy,
                Item::Rms {
                    from_spectrum: true,
                } => {
                    let power = f.power;
                    let nb = power.len();
                    let mut s = 2.0 * fastmath::sum(power) - power[0];
                    if self.n_fft.is_multiple_of(2) {
                        s -= power[nb - 1];
                    }
                    (s.max(0.0) / (self.n_fft as f64).powi(2)).sqrt()
                }
                Item::Rms {
                    from_spectrum: false,
                } => raw_energy.sqrt(),
                Item::LogEnergy => 10.0 * raw_energy.max(AMIN).log10(),
                Item::EnergyEntropy { n_blocks } => pyaa::block_entropy(f.raw, *n_blocks),
            };
        }
    }
}
