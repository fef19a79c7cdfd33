//! Built-in feature sets: documented sizes and names, finite values on awkward input.

use ser_features::{FeatureSet, Statistic};
use ser_io::Audio;

fn audio(samples: Vec<f32>) -> Audio {
    Audio {
        samples,
        sample_rate_hz: 16_000,
    }
}

/// A voiced-like harmonic glide with some noise, `secs` long.
fn speechy(secs: f32) -> Vec<f32> {
    let n = (secs * 16_000.0) as usize;
    let mut seed = 12345u32;
    (0..n)
        .map(|i| {
            let t = i as f32 / 16_000.0;
            let f0 = 120.0 + 60.0 * t;
            let mut v = 0.0;
            for k in 1..8 {
                v += (std::f32::consts::TAU * f0 * k as f32 * t).sin() / k as f32;
            }
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
            0.2 * v * (1.0 + (t * 6.0).sin()) + 0.01 * noise
        })
        .collect()
}

#[test]
fn pyaudioanalysis_has_680_documented_features() {
    let set = FeatureSet::by_name("pyaudioanalysis").expect("set");
    let names = set.names(16_000);
    assert_eq!(names.len(), 680);
    assert_eq!(set.len(), 680);
    // 68 tracks x 10 statistics, track-major, statistics in CLASSIC order
    for (i, st) in Statistic::CLASSIC.iter().enumerate() {
        assert!(names[i].ends_with(&format!("_{st}")), "{}", names[i]);
    }
    assert_eq!(names[0], "zcr_mean");
    assert!(names.contains(&"energy_p99".to_string()));
    assert!(
        names.contains(&"mfcc_1_kurtosis".to_string()),
        "{:?}",
        &names[80..140]
    );
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("delta_") || n.contains("_delta"))
    );
}

#[test]
fn librosa_has_193_means() {
    let set = FeatureSet::by_name("librosa").expect("set");
    let names = set.names(16_000);
    assert_eq!(names.len(), 193);
    assert!(names.iter().all(|n| n.ends_with("_mean")));
    assert_eq!(names[0], "mfcc_0_mean");
    assert_eq!(names[39], "mfcc_39_mean");
    assert_eq!(names[40], "chroma_0_mean");
    assert_eq!(names[52], "mel_0_mean");
    assert_eq!(names[179], "mel_127_mean");
    assert_eq!(names[180], "contrast_0_mean");
    assert_eq!(names[187], "tonnetz_0_mean");
    assert_eq!(names[192], "tonnetz_5_mean");
}

#[test]
fn default_set_size_and_names() {
    let set = FeatureSet::by_name("default").expect("set");
    let names = set.names(16_000);
    assert!((300..=1500).contains(&names.len()), "{}", names.len());
    for must in [
        "mfcc_3_delta_p99",
        "mfcc_0_mean",
        "log_mel_12_std",
        "f0_semitones_voiced_mean",
        "f0_semitones_voiced_slope",
        "f0_semitones_voiced_range",
        "f0_semitones_delta_voiced_std",
        "jitter_local_voiced_mean",
        "shimmer_local_db_voiced_mean",
        "hnr_db_voiced_median",
        "voiced_fraction",
        "voiced_segments_per_s",
        "log_energy_db_peaks_per_s",
    ] {
        assert!(names.iter().any(|n| n == must), "missing {must}");
    }
    let unique: std::collections::HashSet<_> = names.iter().collect();
    assert_eq!(unique.len(), names.len());
    assert!(
        !names.iter().any(|n| n == "f0_semitones_mean"),
        "F0 is summarised over voiced frames only"
    );
}

#[test]
fn rich_set_size_and_names() {
    use ser_features::{RICH_BANDS, RICH_DELTA, RICH_LLD};
    let set = FeatureSet::by_name("rich").expect("set");
    let names = set.names(16_000);
    // 67 non-voice tracks and 4 voice tracks x 34, 26 log-mel bands x 12, 71 delta tracks x 15,
    // 6 extras
    assert_eq!(
        names.len(),
        71 * RICH_LLD.len() + 26 * RICH_BANDS.len() + 71 * RICH_DELTA.len() + 6
    );
    assert_eq!(names.len(), 3797);
    assert!(names.iter().any(|n| n == "log_mel_7_range_20_80"));
    assert!(!names.iter().any(|n| n.starts_with("log_mel_7_delta")));
    for must in [
        "rasta_mel_3_quad_a",
        "rasta_mel_25_delta_rise_time",
        "loudness_up_level_90",
        "sharpness_peak_rate",
        "band_energy_250_650_db_range_20_80",
        "band_energy_1000_4000_db_seg_len_mean",
        "spectral_kurtosis_lin_error",
        "harmonicity_median",
        "voicing_prob_fall_time",
        "f0_semitones_voiced_quad_error",
        "f0_semitones_delta_voiced_range_01_99",
        "hnr_db_voiced_peak_mean_rel",
        "mfcc_0_slope",
        "log_energy_db_peaks_per_s",
    ] {
        assert!(names.iter().any(|n| n == must), "missing {must}");
    }
    let unique: std::collections::HashSet<_> = names.iter().collect();
    assert_eq!(unique.len(), names.len());
    assert!(!names.iter().any(|n| n == "f0_semitones_mean"));
    // the statistics groups round-trip through a TOML file like any custom set
    let text = toml::to_string(set.config()).expect("serialise");
    assert!(text.contains("\"range_20_80\"") && text.contains("\"up_level_25\""));
}

#[test]
fn features_are_finite_for_silent_short_and_clipped_input() {
    let inputs: Vec<(&str, Vec<f32>)> = vec![
        ("empty", Vec::new()),
        ("one sample", vec![0.3]),
        ("10 ms", speechy(0.01)),
        ("silence 1 s", vec![0.0; 16_000]),
        ("dc 1 s", vec![0.5; 16_000]),
        (
            "clipped",
            speechy(1.0)
                .into_iter()
                .map(|v| (v * 20.0).clamp(-1.0, 1.0))
                .collect(),
        ),
        (
            "full-scale square",
            (0..16_000)
                .map(|i| if (i / 40) % 2 == 0 { 1.0 } else { -1.0 })
                .collect(),
        ),
        ("speech-like 1.5 s", speechy(1.5)),
    ];
    for set_name in ["default", "librosa", "pyaudioanalysis", "rich"] {
        let set = FeatureSet::by_name(set_name).expect("set");
        let mut ex = set.extractor().expect("extractor");
        let names = set.names(16_000);
        for (what, x) in &inputs {
            let f = ex
                .extract(&audio(x.clone()))
                .unwrap_or_else(|e| panic!("{set_name} {what}: {e}"));
            assert_eq!(f.len(), set.len());
            let bad: Vec<&String> = f
                .iter()
                .zip(names.iter())
                .filter(|(v, _)| !v.is_finite())
                .map(|(_, n)| n)
                .collect();
            assert!(bad.is_empty(), "{set_name} {what}: non-finite {bad:?}");
        }
    }
}

#[test]
fn voice_features_respond_to_voicing() {
    let set = FeatureSet::by_name("default").expect("set");
    let names = set.names(16_000);
    let idx = |n: &str| names.iter().position(|x| x == n).expect(n);
    let mut ex = set.extractor().expect("extractor");
    let voiced = ex.extract(&audio(speechy(1.5))).expect("voiced");
    let silent = ex.extract(&audio(vec![0.0; 24_000])).expect("silent");
    assert!(
        voiced[idx("voiced_fraction")] > 0.5,
        "{}",
        voiced[idx("voiced_fraction")]
    );
    assert_eq!(silent[idx("voiced_fraction")], 0.0);
    assert_eq!(silent[idx("f0_semitones_voiced_mean")], 0.0);
    // F0 glides 120 -> 210 Hz: 12 log2(f/27.5) between ~25 and ~36 semitones, rising.
    let f0 = voiced[idx("f0_semitones_voiced_mean")];
    assert!((24.0..37.0).contains(&f0), "{f0}");
    assert!(voiced[idx("f0_semitones_voiced_slope")] > 0.0);
    // Same input, same output (deterministic, extractor reuse does not leak state).
    let again = ex.extract(&audio(speechy(1.5))).expect("again");
    assert_eq!(voiced, again);
    assert_eq!(set.extract(&audio(speechy(1.5))).expect("fresh"), voiced);
}

#[test]
fn resamples_other_rates_and_rejects_bad_toml() {
    let set = FeatureSet::by_name("librosa").expect("set");
    let x48: Vec<f32> = (0..48_000).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
    let f = set
        .extract(&Audio {
            samples: x48,
            sample_rate_hz: 48_000,
        })
        .expect("48 kHz input");
    assert!(f.iter().all(|v| v.is_finite()));

    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("small.toml");
    std::fs::write(
        &good,
        r#"
name = "small"
preset = "default"
[deltas]
include = ["mfcc_*"]
[[statistics]]
tracks = ["mfcc_*"]
statistics = ["mean", "std", "p99"]
[[statistics]]
tracks = ["f0_semitones"]
statistics = ["mean", "range"]
frames = "voiced"
[[extras]]
kind = "voiced_fraction"
"#,
    )
    .expect("write");
    let small = FeatureSet::resolve(good.to_str().expect("utf8")).expect("toml set");
    assert_eq!(small.name(), "small");
    assert_eq!(small.len(), 26 * 3 + 2 + 1);
    assert!(
        small
            .names(16_000)
            .contains(&"mfcc_12_delta_p99".to_string())
    );
    assert_ne!(
        small.config_hash(),
        FeatureSet::by_name("default").expect("d").config_hash()
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "name = \"bad\"\npreset = \"default\"\n[[statistics]]\ntracks = [\"nothing_*\"]\nstatistics = [\"mean\"]\n").expect("write");
    let err = FeatureSet::from_toml_file(&bad).expect_err("matches no track");
    assert!(err.to_string().contains("matches no track"), "{err}");
    std::fs::write(&bad, "name = \"bad\"\npreset = \"default\"\n[[statistics]]\ntracks = [\"*\"]\nstatistics = [\"p50\"]\n").expect("write");
    assert!(FeatureSet::from_toml_file(&bad).is_err());
    assert!(FeatureSet::by_name("compare2016").is_err());
}
