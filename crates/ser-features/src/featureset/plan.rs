//! A feature set resolved against one extractor's descriptor names: which tracks get deltas,
//! which statistics each track gets over which frames, and the output names.

use super::config::{Extra, FeatureSetConfig, Frames};
use crate::stats::Statistic;
use crate::{Error, Result};

/// Glob match with `*` as the only wildcard.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

fn matches_any(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|p| glob_match(p, name))
}

/// Lower snake case: ASCII alphanumerics kept (lower-cased), everything else becomes `_`.
pub(super) fn sanitise(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    s.trim_matches('_').to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mask {
    All,
    Voiced,
    /// Voiced frames whose whole delta window is voiced.
    VoicedInterior,
}

#[derive(Debug, Clone)]
pub(super) struct Item {
    pub(super) track: usize,
    pub(super) mask: Mask,
    pub(super) stats: Vec<Statistic>,
}

#[derive(Debug, Clone)]
pub(super) enum ResolvedExtra {
    Voicing(Extra),
    Peaks(usize),
}

/// What to compute, resolved against the descriptor names of one extractor.
#[derive(Debug)]
pub(super) struct Plan {
    pub(super) n_descriptors: usize,
    /// Descriptor columns that get deltas.
    pub(super) delta_sources: Vec<usize>,
    pub(super) delta_width: usize,
    pub(super) items: Vec<Item>,
    pub(super) extras: Vec<ResolvedExtra>,
    pub(super) names: Vec<String>,
}

impl Plan {
    pub(super) fn build(
        config: &FeatureSetConfig,
        descriptor_names: &[String],
        voiced_only: &[bool],
    ) -> Result<Plan> {
        let err = |reason: String| Error::FeatureSet {
            name: config.name.clone(),
            reason,
        };
        let base: Vec<String> = descriptor_names.iter().map(|n| sanitise(n)).collect();
        let n = base.len();
        let mut tracks = base.clone();
        let mut track_voiced: Vec<bool> = (0..n)
            .map(|i| voiced_only.get(i).copied().unwrap_or(false))
            .collect();
        let mut is_delta = vec![false; n];
        let mut delta_sources = Vec::new();
        let mut delta_width = 9;
        if let Some(d) = &config.deltas {
            if d.width < 3 || d.width % 2 == 0 || d.width > 99 {
                return Err(err(format!(
                    "deltas.width must be odd and in 3 ..= 99, got {}",
                    d.width
                )));
            }
            delta_width = d.width;
            for (i, name) in base.iter().enumerate() {
                if matches_any(&d.include, name) && !matches_any(&d.exclude, name) {
                    delta_sources.push(i);
                    tracks.push(format!("{name}_delta"));
                    track_voiced.push(track_voiced[i]);
                    is_delta.push(true);
                }
            }
        }
        let mut items = Vec::new();
        let mut names = Vec::new();
        for (gi, g) in config.statistics.iter().enumerate() {
            if g.statistics.is_empty() {
                return Err(err(format!("statistics group {gi} has no statistics")));
            }
            let mut matched = 0;
            for (t, name) in tracks.iter().enumerate() {
                if !matches_any(&g.tracks, name) || matches_any(&g.exclude, name) {
                    continue;
                }
                matched += 1;
                let voiced = match g.frames {
                    Frames::All => false,
                    Frames::Voiced => true,
                    Frames::Auto => track_voiced[t],
                };
                let mask = match (voiced, is_delta[t]) {
                    (false, _) => Mask::All,
                    (true, false) => Mask::Voiced,
                    (true, true) => Mask::VoicedInterior,
                };
                let infix = if voiced { "_voiced" } else { "" };
                for st in &g.statistics {
                    names.push(format!("{name}{infix}_{st}"));
                }
                items.push(Item {
                    track: t,
                    mask,
                    stats: g.statistics.clone(),
                });
            }
            if matched == 0 {
                return Err(err(format!(
                    "statistics group {gi} ({:?}) matches no track; tracks are {}",
                    g.tracks,
                    tracks.join(", ")
                )));
            }
        }
        let mut extras = Vec::new();
        for e in &config.extras {
            names.push(e.name());
            extras.push(match e {
                Extra::PeaksPerS { track } => {
                    let t = tracks.iter().position(|x| x == track).ok_or_else(|| {
                        err(format!("extra peaks_per_s: no track named {track:?}"))
                    })?;
                    ResolvedExtra::Peaks(t)
                }
                other => ResolvedExtra::Voicing(other.clone()),
            });
        }
        let mut seen = std::collections::HashSet::new();
        for name in &names {
            if !seen.insert(name.as_str())
                || crate::table::METADATA_COLUMNS.contains(&name.as_str())
            {
                return Err(err(format!("feature name {name:?} is produced twice")));
            }
        }
        if names.is_empty() && config.sequence.is_none() {
            return Err(err("the set produces no feature".into()));
        }
        Ok(Plan {
            n_descriptors: n,
            delta_sources,
            delta_width,
            items,
            extras,
            names,
        })
    }
}
