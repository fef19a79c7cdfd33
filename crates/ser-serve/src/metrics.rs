//! Request counts, latency histograms and predictions per emotion, in the Prometheus
//! (OpenMetrics) text format at `GET /metrics`, through the `prometheus-client` crate.

use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EmotionLabels {
    emotion: String,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.5 ms .. about 16 s, doubling.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The service's metrics.
pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    predictions: Family<EmotionLabels, Counter>,
    audio_seconds: Counter<f64>,
    in_flight: Gauge,
    model_swaps: Counter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let predictions = Family::<EmotionLabels, Counter>::default();
        let audio_seconds = Counter::<f64>::default();
        let in_flight = Gauge::default();
        let model_swaps = Counter::default();
        let mut registry = Registry::with_prefix("ser");
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from request to response, by route",
            latency.clone(),
        );
        registry.register(
            "predictions",
            "Predicted utterances by emotion",
            predictions.clone(),
        );
        registry.register(
            "predicted_audio_seconds",
            "Seconds of audio analysed by /predict",
            audio_seconds.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "Requests being answered now",
            in_flight.clone(),
        );
        registry.register(
            "model_swaps",
            "Models swapped in after a /train job",
            model_swaps.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            requests,
            latency,
            predictions,
            audio_seconds,
            in_flight,
            model_swaps,
        }
    }
}

impl Metrics {
    /// One answered request.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                route: route.to_string(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_string(),
            })
            .observe(seconds);
    }

    /// One predicted utterance.
    pub fn predicted(&self, emotion: &str, duration_s: f64) {
        self.predictions
            .get_or_create(&EmotionLabels {
                emotion: emotion.to_string(),
            })
            .inc();
        self.audio_seconds.inc_by(duration_s);
    }

    pub fn model_swapped(&self) {
        self.model_swaps.inc();
    }

    /// Marks a request in flight until the guard drops.
    pub fn in_flight(&self) -> InFlight<'_> {
        self.in_flight.inc();
        InFlight(&self.in_flight)
    }

    /// The text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let registry = self
            .registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    }
}

/// See [`Metrics::in_flight`].
#[derive(Debug)]
pub struct InFlight<'a>(&'a Gauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}
