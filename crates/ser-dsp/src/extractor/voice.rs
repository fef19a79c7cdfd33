//! Voice-quality family: jitter and shimmer of the glottal pulses of voiced frames, the
//! harmonics-to-noise ratio and the harmonicity (the normalised autocorrelation at the period,
//! on every frame), all from the shared pitch pass (`prosody::PitchPass`).

use ndarray::Array2;

use super::{Family, Planner, Utterance};
use crate::Result;
use crate::config::Descriptor;

enum Item {
    Jitter,
    Shimmer,
    Hnr,
    Harmonicity,
}

/// The voice-quality descriptors of a set, each with its column.
#[derive(Default)]
pub(super) struct Voice {
    items: Vec<(usize, Item)>,
}

impl Family for Voice {
    fn plan(&mut self, d: &Descriptor, p: &mut Planner<'_>) -> Result<bool> {
        let (name, item, c) = match d {
            Descriptor::Jitter(c) => ("jitter_local", Item::Jitter, c),
            Descriptor::Shimmer(c) => ("shimmer_local_db", Item::Shimmer, c),
            Descriptor::Hnr(c) => ("hnr_db", Item::Hnr, c),
            Descriptor::Harmonicity(c) => ("harmonicity", Item::Harmonicity, c),
            _ => return Ok(false),
        };
        p.read_pitch(c);
        if matches!(item, Item::Jitter | Item::Shimmer) {
            p.read_pulses();
        }
        // harmonicity is defined on every frame; the others only where the voice is
        let voiced_only = !matches!(item, Item::Harmonicity);
        self.items.push((p.n_columns(), item));
        p.column(name.into(), voiced_only);
        Ok(true)
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn finish(&mut self, out: &mut Array2<f64>, u: &Utterance<'_>) {
        for (col, item) in &self.items {
            let col = *col;
            for (t, (p, &voiced)) in u.pitch.iter().zip(u.voiced).enumerate() {
                out[(t, col)] = match (item, voiced, p.pulses) {
                    (Item::Jitter, true, Some(ps)) => ps.jitter_local,
                    (Item::Shimmer, true, Some(ps)) => ps.shimmer_local_db,
                    (Item::Jitter | Item::Shimmer, ..) => 0.0,
                    (Item::Harmonicity, ..) => {
                        if p.energy > 0.0 {
                            p.r_period.clamp(0.0, 1.0)
                        } else {
                            0.0
                        }
                    }
                    (Item::Hnr, ..) => {
                        let r = p.r_period.clamp(0.01, 0.9999);
                        10.0 * (r / (1.0 - r)).log10()
                    }
                };
            }
        }
    }
}
