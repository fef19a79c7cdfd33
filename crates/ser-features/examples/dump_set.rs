//! Prints a built-in feature set as TOML, the starting point for a custom set:
//! `cargo run -p ser-features --example dump_set -- default > my_set.toml`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let name = std::env::args().nth(1).unwrap_or_else(|| "default".into());
    let mut cfg = ser_features::FeatureSetConfig::by_name(&name)?;
    if let Some(preset) = cfg.preset.take() {
        cfg.descriptors = Some(match preset.as_str() {
            "librosa" => ser_dsp::DescriptorConfig::librosa(),
            "pyaudioanalysis" => ser_dsp::DescriptorConfig::pyaudioanalysis(),
            _ => ser_dsp::DescriptorConfig::default(),
        });
    }
    print!("{}", toml::to_string(&cfg)?);
    Ok(())
}
