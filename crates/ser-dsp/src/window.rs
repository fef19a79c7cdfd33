//! Analysis windows.

use crate::WindowKind;

/// Periodic window of `len` samples (as `scipy.signal.get_window(kind, len, fftbins=True)`,
/// which librosa uses): Hann `0.5 - 0.5 cos(2 pi n / len)`, Hamming `0.54 - 0.46 cos(2 pi n / len)`,
/// rectangular 1.
pub fn window(kind: WindowKind, len: usize) -> Vec<f64> {
    let n = len as f64;
    (0..len)
        .map(|i| {
            let c = (2.0 * std::f64::consts::PI * i as f64 / n).cos();
            match kind {
                WindowKind::Hann => 0.5 - 0.5 * c,
                WindowKind::Hamming => 0.54 - 0.46 * c,
                WindowKind::Rectangular => 1.0,
            }
        })
        .collect()
}
