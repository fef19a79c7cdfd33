//! Tests of the extractor's family layout.

use crate::config::{Descriptor, DescriptorConfig, MelConfig, PadMode, PitchConfig};

/// One descriptor of each kind.
fn one_of_each() -> Vec<Descriptor> {
    let (mel, pitch) = (MelConfig::default, PitchConfig::default);
    vec![
        Descriptor::Zcr {
            pad_mode: PadMode::Edge,
        },
        Descriptor::Energy,
        Descriptor::Rms {
            from_spectrum: true,
        },
        Descriptor::LogEnergy,
        Descriptor::EnergyEntropy { n_blocks: 10 },
        Descriptor::SpectralCentroid,
        Descriptor::SpectralSpread,
        Descriptor::SpectralEntropy,
        Descriptor::SpectralFlux,
        Descriptor::SpectralRolloff { fraction: 0.85 },
        Descriptor::SpectralFlatness,
        Descriptor::SpectralSlope,
        Descriptor::AlphaRatio,
        Descriptor::Hammarberg,
        Descriptor::Mel { mel: mel() },
        Descriptor::LogMel {
            mel: mel(),
            top_db: Some(80.0),
        },
        Descriptor::Mfcc {
            n_mfcc: 13,
            mel: mel(),
            top_db: Some(80.0),
            lifter: 0.0,
        },
        Descriptor::Chroma { tuning: 0.0 },
        Descriptor::SpectralContrast {
            n_bands: 6,
            fmin_hz: 200.0,
            quantile: 0.02,
        },
        Descriptor::Tonnetz,
        Descriptor::Yin(pitch()),
        Descriptor::Pitch(pitch()),
        Descriptor::Jitter(pitch()),
        Descriptor::Shimmer(pitch()),
        Descriptor::Hnr(pitch()),
        Descriptor::BandEnergy {
            lo_hz: 250.0,
            hi_hz: 650.0,
        },
        Descriptor::SpectralVariance,
        Descriptor::SpectralSkewness,
        Descriptor::SpectralKurtosis,
        Descriptor::Loudness {
            mel: MelConfig::auditory(),
        },
        Descriptor::Sharpness {
            mel: MelConfig::auditory(),
        },
        Descriptor::RastaMel {
            mel: MelConfig::auditory(),
            top_db: Some(80.0),
            pole: 0.94,
        },
        Descriptor::Harmonicity(pitch()),
        Descriptor::PyAudioAnalysis,
    ]
}

/// Index of the variant (exhaustive: a new variant does not compile until it has one).
fn kind(d: &Descriptor) -> usize {
    match d {
        Descriptor::Zcr { .. } => 0,
        Descriptor::Energy => 1,
        Descriptor::Rms { .. } => 2,
        Descriptor::LogEnergy => 3,
        Descriptor::EnergyEntropy { .. } => 4,
        Descriptor::SpectralCentroid => 5,
        Descriptor::SpectralSpread => 6,
        Descriptor::SpectralEntropy => 7,
        Descriptor::SpectralFlux => 8,
        Descriptor::SpectralRolloff { .. } => 9,
        Descriptor::SpectralFlatness => 10,
        Descriptor::SpectralSlope => 11,
        Descriptor::AlphaRatio => 12,
        Descriptor::Hammarberg => 13,
        Descriptor::Mel { .. } => 14,
        Descriptor::LogMel { .. } => 15,
        Descriptor::Mfcc { .. } => 16,
        Descriptor::Chroma { .. } => 17,
        Descriptor::SpectralContrast { .. } => 18,
        Descriptor::Tonnetz => 19,
        Descriptor::Yin(_) => 20,
        Descriptor::Pitch(_) => 21,
        Descriptor::Jitter(_) => 22,
        Descriptor::Shimmer(_) => 23,
        Descriptor::Hnr(_) => 24,
        Descriptor::PyAudioAnalysis => 25,
        Descriptor::BandEnergy { .. } => 26,
        Descriptor::SpectralVariance => 27,
        Descriptor::SpectralSkewness => 28,
        Descriptor::SpectralKurtosis => 29,
        Descriptor::Loudness { .. } => 30,
        Descriptor::Sharpness { .. } => 31,
        Descriptor::RastaMel { .. } => 32,
        Descriptor::Harmonicity(_) => 33,
    }
}

/// Every descriptor is planned by a family.
#[test]
fn every_descriptor_has_a_family() {
    let all = one_of_each();
    let mut seen = vec![false; all.len()];
    for d in &all {
        seen[kind(d)] = true;
    }
    assert!(seen.iter().all(|&s| s), "one_of_each lists every variant");
    let (py, rest): (Vec<_>, Vec<_>) = all
        .into_iter()
        .partition(|d| matches!(d, Descriptor::PyAudioAnalysis));
    let cfg = DescriptorConfig {
        descriptors: rest,
        ..DescriptorConfig::default()
    };
    let ex = cfg
        .check()
        .expect("valid")
        .extractor(16_000)
        .expect("planned");
    assert_eq!(
        ex.names().len(),
        14 + 2 * 40 + 13 + 12 + 7 + 6 + 6 + 4 + 2 + 26 + 1
    );
    // pyAudioAnalysis needs its own framing
    let cfg = DescriptorConfig {
        descriptors: py,
        ..DescriptorConfig::pyaudioanalysis()
    };
    let ex = cfg
        .check()
        .expect("valid")
        .extractor(16_000)
        .expect("planned");
    assert_eq!(ex.names().len(), 68);
}
