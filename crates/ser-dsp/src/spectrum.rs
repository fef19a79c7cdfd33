//! FFT plans, one per size and kind, shared by every extractor in the process (plans are
//! immutable and `Send + Sync`; each extractor keeps its own input / output / scratch buffers).

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use realfft::{RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftPlanner};

/// The forward real-to-complex FFT plan of `n` points (realfft; its planner caches by length).
pub(crate) fn real_fft_plan(n: usize) -> Arc<dyn RealToComplex<f64>> {
    static PLANNER: OnceLock<Mutex<RealFftPlanner<f64>>> = OnceLock::new();
    PLANNER
        .get_or_init(|| Mutex::new(RealFftPlanner::new()))
        .lock()
        // a panic elsewhere while planning leaves the cache consistent: keep using it
        .unwrap_or_else(PoisonError::into_inner)
        .plan_fft_forward(n)
}

/// The forward complex FFT plan of `n` points (rustfft; its planner caches by length).
pub(crate) fn complex_fft_plan(n: usize) -> Arc<dyn Fft<f64>> {
    static PLANNER: OnceLock<Mutex<FftPlanner<f64>>> = OnceLock::new();
    PLANNER
        .get_or_init(|| Mutex::new(FftPlanner::new()))
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .plan_fft_forward(n)
}

/// The forward single-precision complex FFT plan of `n` points.
pub(crate) fn complex_fft_plan_f32(n: usize) -> Arc<dyn Fft<f32>> {
    static PLANNER: OnceLock<Mutex<FftPlanner<f32>>> = OnceLock::new();
    PLANNER
        .get_or_init(|| Mutex::new(FftPlanner::new()))
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .plan_fft_forward(n)
}
