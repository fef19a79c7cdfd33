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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_shared_per_size() {
        assert!(Arc::ptr_eq(&real_fft_plan(512), &real_fft_plan(512)));
        assert!(Arc::ptr_eq(&complex_fft_plan(512), &complex_fft_plan(512)));
        assert!(Arc::ptr_eq(
            &complex_fft_plan_f32(400),
            &complex_fft_plan_f32(400)
        ));
        assert_eq!(real_fft_plan(400).len(), 400);
        // extractors (which hold the plans) can move to and be shared with other threads
        fn send_sync<T: Send + Sync>() {}
        send_sync::<crate::Extractor>();
    }
}
