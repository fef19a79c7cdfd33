//! The seeded generator of the augmentation transforms: SplitMix64 (Steele, Lea & Flood 2014,
//! the seeding generator of `xoshiro`), written here instead of depending on `rand`:
//!
//! - `ser-dsp` stays light (realfft, rustfft, ndarray, serde, thiserror only);
//! - the stream is fixed by these few lines, so an augmented copy is reproducible bit for bit from
//!   its seed across versions of this crate's dependencies (`rand`'s `StdRng` explicitly makes no
//!   such promise across releases);
//! - augmentation needs a few draws per transform plus one 64-bit word per noise sample, and
//!   SplitMix64 passes BigCrush with a 64-bit state and one add, two multiplies and three shifts
//!   per word.

/// SplitMix64: `state += 0x9E3779B97F4A7C15`, output = the MurmurHash3-style finaliser of `state`.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in `0..n` (`n >= 1`) by Lemire's multiply-shift (bias below n / 2^64).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Approximately standard normal (Irwin–Hall): the sum of the four 16-bit quarters of one
    /// 64-bit word as uniforms in [0, 1), centred and scaled to unit variance
    /// (`(sum - 2) * sqrt(3)`), bounded by ±2 sqrt(3). One generator call per sample; the
    /// noise transforms rescale to the asked SNR from the measured power, so only the spectrum
    /// (white) matters, not the exact distribution.
    pub(crate) fn gauss_approx(&mut self) -> f32 {
        let z = self.next_u64();
        let s = (z & 0xFFFF) + ((z >> 16) & 0xFFFF) + ((z >> 32) & 0xFFFF) + (z >> 48);
        // sum of four uniforms on {0, 1/65536, ..}: mean 2 - 2/65536
        ((s as f32 + 2.0) * (1.0 / 65536.0) - 2.0) * 1.732_050_8
    }
}

/// An independent seed for stream `stream` of `seed` (step `i` of a chain gets stream `i + 1`),
/// so adding a step never changes what the earlier steps draw.
pub(crate) fn derive(seed: u64, stream: u64) -> u64 {
    SplitMix64::new(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03)).next_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // First outputs of SplitMix64 seeded with 1234567 (reference implementation by Vigna).
        let mut r = SplitMix64::new(1_234_567);
        assert_eq!(r.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(r.next_u64(), 3_203_168_211_198_807_973);
        assert_eq!(r.next_u64(), 9_817_491_932_198_370_423);
    }

    #[test]
    fn gauss_approx_moments() {
        let mut r = SplitMix64::new(7);
        let n = 200_000;
        let (mut s, mut s2) = (0.0f64, 0.0f64);
        for _ in 0..n {
            let v = f64::from(r.gauss_approx());
            s += v;
            s2 += v * v;
        }
        let mean = s / n as f64;
        let var = s2 / n as f64 - mean * mean;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "variance {var}");
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = SplitMix64::new(3);
        let mut seen = [0usize; 5];
        for _ in 0..5000 {
            seen[r.below(5)] += 1;
        }
        assert!(seen.iter().all(|&c| c > 900), "{seen:?}");
    }
}
