//! Prints a built-in feature set as TOML, the starting point for a custom set:
//! `cargo run -p ser-features --example dump_set -- default > my_set.toml`.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let name = std::env::args().nth(1).unwrap_or_else(|| "default".into());
    let mut cfg = ser_features::FeatureSetConfig::by_name(&name)?;
    cfg.descriptors = Some(cfg.descriptor_config()?);
    cfg.preset = None;
    print!("{}", toml::to_string(&cfg)?);
    Ok(())
}
