//! Shared by the `descriptors` bench and the `profile_descriptors` example: the test signal and
//! the benchmarked descriptor sets.

use ser_dsp::{DeltaConfig, Descriptor, DescriptorConfig, MelConfig, SpectrumMethod};

pub const SR: u32 = 16_000;
pub const SECONDS: f64 = 3.0;

/// Speech-like test signal: 12 harmonics of a 100..250 Hz glide with a syllabic envelope, plus
/// white noise at -30 dB (deterministic LCG).
pub fn speech_like() -> Vec<f32> {
    let n = (SECONDS * f64::from(SR)) as usize;
    let mut phase = 0.0f64;
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(SR);
            let f0 =
                100.0 + 150.0 * (t / SECONDS) + 20.0 * (2.0 * std::f64::consts::PI * 3.0 * t).sin();
            phase += 2.0 * std::f64::consts::PI * f0 / f64::from(SR);
            let env = 0.5 + 0.5 * (2.0 * std::f64::consts::PI * 4.0 * t).sin().abs();
            let voiced: f64 = (1..=12).map(|k| (k as f64 * phase).sin() / k as f64).sum();
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let noise = ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.03;
            (0.25 * env * voiced + noise) as f32
        })
        .collect()
}

pub fn mfcc_deltas_config() -> DescriptorConfig {
    DescriptorConfig {
        descriptors: vec![Descriptor::Mfcc {
            n_mfcc: 13,
            mel: MelConfig {
                n_mels: 40,
                ..MelConfig::default()
            },
            top_db: Some(80.0),
            lifter: 0.0,
        }],
        deltas: DeltaConfig {
            order: 2,
            width: 9,
            prefixes: Vec::new(),
        },
        ..DescriptorConfig::default()
    }
}

/// 40 log-mel bands (top_db 80), no deltas.
pub fn log_mel_config() -> DescriptorConfig {
    DescriptorConfig {
        descriptors: vec![Descriptor::LogMel {
            mel: MelConfig {
                n_mels: 40,
                ..MelConfig::default()
            },
            top_db: Some(80.0),
        }],
        ..DescriptorConfig::default()
    }
}

/// The benchmarked cases: (id, descriptor set, spectrum method; `None` = the extractor's own
/// choice, [`SpectrumMethod::for_descriptors`]). The MFCC and log-mel sets also run with the
/// `f64` paired FFT and with realfft, for comparison.
pub fn configs() -> Vec<(&'static str, DescriptorConfig, Option<SpectrumMethod>)> {
    use SpectrumMethod::{PairedComplex, RealFft};
    vec![
        ("mfcc13_d_dd", mfcc_deltas_config(), None),
        (
            "mfcc13_d_dd_f64fft",
            mfcc_deltas_config(),
            Some(PairedComplex),
        ),
        ("mfcc13_d_dd_realfft", mfcc_deltas_config(), Some(RealFft)),
        ("log_mel40", log_mel_config(), None),
        ("log_mel40_f64fft", log_mel_config(), Some(PairedComplex)),
        ("log_mel40_realfft", log_mel_config(), Some(RealFft)),
        ("default_set", DescriptorConfig::default(), None),
        ("librosa_preset", DescriptorConfig::librosa(), None),
        // always one real FFT per frame (see SpectrumMethod)
        (
            "pyaudioanalysis_preset",
            DescriptorConfig::pyaudioanalysis(),
            None,
        ),
    ]
}

/// A ready extractor for one benchmarked case at [`SR`].
pub fn extractor(cfg: &DescriptorConfig, method: Option<SpectrumMethod>) -> ser_dsp::Extractor {
    let mut ex = cfg
        .clone()
        .check()
        .expect("valid config")
        .extractor(SR)
        .expect("extractor");
    if let Some(method) = method {
        ex.set_spectrum_method(method);
        assert_eq!(ex.spectrum_method(), method);
    }
    ex
}
