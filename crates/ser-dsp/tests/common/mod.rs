//! Helpers shared by the descriptor test files.

use ser_dsp::{DescriptorConfig, Lld};

/// The sample rate of the test signals (Hz).
pub const SR: u32 = 16_000;

/// The column `name` of `lld` (panics naming the columns there are).
pub fn col(lld: &Lld, name: &str) -> Vec<f32> {
    let j = lld
        .names
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", lld.names));
    lld.values.column(j).to_vec()
}

/// The descriptors of `cfg` on `x` at [`SR`].
pub fn run(cfg: DescriptorConfig, x: &[f32]) -> Lld {
    cfg.check()
        .expect("valid config")
        .extractor(SR)
        .expect("extractor")
        .compute(x)
        .expect("compute")
}
