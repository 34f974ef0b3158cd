//! A histogram series summarised on demand: its count, sum, min and max, and quantiles
//! estimated from its buckets.
//!
//! - Explicit buckets: as Prometheus's `histogram_quantile` estimates them (the rank `q ×
//!   count` is found in the cumulative bucket counts and interpolated linearly within its
//!   bucket, whose lower bound is 0 for the first bucket with a positive bound; a rank in the
//!   overflow bucket gives the largest bound), then clamped to the series' min and max. The
//!   error is as large as the bucket the quantile falls in: there is no bound.
//! - Exponential buckets: the bucket holding the value of rank `⌈q × count⌉` (the
//!   nearest-rank quantile) gives `2·U/(base+1)` for its bucket `(U/base, U]` (negated for a
//!   negative bucket, 0 for the zero bucket), clamped to min and max. The estimate is within
//!   a relative error of `(base − 1)/(base + 1)` of that value, `base = 2^(2^−scale)`: about
//!   2.2 % at scale 4, 0.14 % at scale 8; the summary gives the bound of its scale.

use crate::base::attributes::KeyValue;
use crate::base::error::{Error, Result};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue as ProtoKeyValue};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::{ExponentialHistogramDataPoint, HistogramDataPoint};

/// What one histogram series holds at the moment it was collected.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSummary {
    /// Values recorded.
    pub count: u64,
    /// Their sum.
    pub sum: f64,
    /// The smallest value, when the series keeps it.
    pub min: Option<f64>,
    /// The largest value, when the series keeps it.
    pub max: Option<f64>,
    /// The estimates of the quantiles asked for, in their order (NaN with no value recorded).
    pub quantiles: Vec<f64>,
    /// Exponential buckets: the bound on |estimate − nearest-rank value| / |value|; `None`
    /// for explicit buckets, whose error is the width of a bucket.
    pub relative_error: Option<f64>,
}

/// Checks that each quantile is in [0, 1].
pub(crate) fn check_quantiles(quantiles: &[f64]) -> Result<()> {
    match quantiles.iter().find(|q| !(0.0..=1.0).contains(*q)) {
        Some(q) => Err(Error::invalid(format!(
            "quantile {q} is not between 0 and 1"
        ))),
        None => Ok(()),
    }
}

/// Summarises the series of histogram `name` whose attributes are exactly `attrs` in
/// `request` (one collection).
pub(crate) fn summarize(
    request: &ExportMetricsServiceRequest,
    name: &str,
    attrs: &[KeyValue],
    quantiles: &[f64],
) -> Result<HistogramSummary> {
    let wanted = sorted(
        attrs
            .iter()
            .map(|kv| (kv.key.as_str(), AnyValue::from(kv.value.clone())))
            .collect(),
    );
    let mut found = Vec::new();
    let mut others = 0;
    let mut kind = None;
    for sm in request
        .resource_metrics
        .iter()
        .flat_map(|rm| &rm.scope_metrics)
    {
        for metric in sm.metrics.iter().filter(|m| m.name == name) {
            let scope = sm.scope.as_ref().map_or("", |s| s.name.as_str());
            let mut take = |attributes: &[ProtoKeyValue],
                            summary: &dyn Fn() -> HistogramSummary| {
                if same(attributes, &wanted) {
                    found.push((scope.to_owned(), summary()));
                } else {
                    others += 1;
                }
            };
            match &metric.data {
                Some(Data::Histogram(h)) => {
                    for p in &h.data_points {
                        take(&p.attributes, &|| explicit(p, quantiles));
                    }
                }
                Some(Data::ExponentialHistogram(h)) => {
                    for p in &h.data_points {
                        take(&p.attributes, &|| exponential(p, quantiles));
                    }
                }
                _ => kind = Some(metric_kind(&metric.data)),
            }
        }
    }
    match found.len() {
        1 => Ok(found.remove(0).1),
        0 => Err(Error::invalid(match kind {
            Some(kind) if others == 0 => format!("{name} is a {kind}, not a histogram"),
            _ => format!(
                "no series of histogram {name} has the attributes {} ({others} series have others; \
                 a series appears once a value is recorded into it)",
                shown(&wanted)
            ),
        })),
        _ => {
            Err(Error::invalid(format!(
            "{} histograms named {name} (of the scopes {}) have a series with the attributes {}",
            found.len(),
            found.iter().map(|(s, _)| format!("{s:?}")).collect::<Vec<_>>().join(", "),
            shown(&wanted)
        )))
        }
    }
}

fn metric_kind(data: &Option<Data>) -> &'static str {
    match data {
        Some(Data::Sum(_)) => "sum",
        Some(Data::Gauge(_)) => "gauge",
        Some(Data::Summary(_)) => "summary",
        _ => "metric without data",
    }
}

fn sorted(mut attrs: Vec<(&str, AnyValue)>) -> Vec<(&str, AnyValue)> {
    attrs.sort_by(|a, b| a.0.cmp(b.0));
    attrs
}

/// Whether a data point's attributes are exactly `wanted` (sorted by key).
fn same(attributes: &[ProtoKeyValue], wanted: &[(&str, AnyValue)]) -> bool {
    if attributes.len() != wanted.len() {
        return false;
    }
    let got = sorted(
        attributes
            .iter()
            .map(|kv| (kv.key.as_str(), kv.value.clone().unwrap_or_default()))
            .collect(),
    );
    got == wanted
}

fn shown(attrs: &[(&str, AnyValue)]) -> String {
    let pairs: Vec<String> = attrs
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::export::values::text(v)))
        .collect();
    format!("{{{}}}", pairs.join(", "))
}

fn clamp(v: f64, min: Option<f64>, max: Option<f64>) -> f64 {
    let v = min.map_or(v, |m| if v < m { m } else { v });
    max.map_or(v, |m| if v > m { m } else { v })
}

/// The summary of a data point with these totals, each quantile by `estimate`, kept within
/// min and max.
fn summary(
    (count, sum, min, max): (u64, Option<f64>, Option<f64>, Option<f64>),
    quantiles: &[f64],
    estimate: impl Fn(f64) -> f64,
    relative_error: Option<f64>,
) -> HistogramSummary {
    HistogramSummary {
        count,
        sum: sum.unwrap_or(0.0),
        min,
        max,
        quantiles: quantiles
            .iter()
            .map(|&q| clamp(estimate(q), min, max))
            .collect(),
        relative_error,
    }
}

fn explicit(p: &HistogramDataPoint, quantiles: &[f64]) -> HistogramSummary {
    summary(
        (p.count, p.sum, p.min, p.max),
        quantiles,
        |q| bucket_quantile(q, &p.explicit_bounds, &p.bucket_counts),
        None,
    )
}

/// Prometheus's `histogram_quantile` over the cumulative buckets `le=bounds[i]` and `+Inf`.
fn bucket_quantile(q: f64, bounds: &[f64], counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    if bounds.is_empty() || total == 0 || counts.len() != bounds.len() + 1 {
        return f64::NAN;
    }
    let rank = q * total as f64;
    let mut below = 0u64;
    for (b, &upper) in bounds.iter().enumerate() {
        let cumulative = below + counts[b];
        if cumulative as f64 >= rank {
            if b == 0 && upper <= 0.0 {
                return upper;
            }
            let lower = if b == 0 { 0.0 } else { bounds[b - 1] };
            let in_bucket = (cumulative - below) as f64;
            return lower + (upper - lower) * ((rank - below as f64) / in_bucket);
        }
        below = cumulative;
    }
    // In the overflow bucket: its lower bound, the largest bound.
    bounds[bounds.len() - 1]
}

fn exponential(p: &ExponentialHistogramDataPoint, quantiles: &[f64]) -> HistogramSummary {
    let base = (-f64::from(p.scale)).exp2().exp2();
    let upper = |index: i64| ((index + 1) as f64 * (-f64::from(p.scale)).exp2()).exp2();
    let estimate = |index: i64| 2.0 * upper(index) / (base + 1.0);
    let negative = p.negative.as_ref();
    let positive = p.positive.as_ref();
    // The buckets in ascending order of their values: (count, estimate).
    let mut buckets: Vec<(u64, f64)> = Vec::new();
    if let Some(n) = negative {
        for (i, &c) in n.bucket_counts.iter().enumerate().rev() {
            buckets.push((c, -estimate(i64::from(n.offset) + i as i64)));
        }
    }
    buckets.push((p.zero_count, 0.0));
    if let Some(pb) = positive {
        for (i, &c) in pb.bucket_counts.iter().enumerate() {
            buckets.push((c, estimate(i64::from(pb.offset) + i as i64)));
        }
    }
    let total: u64 = buckets.iter().map(|(c, _)| c).sum();
    let nearest_rank = |q: f64| {
        let rank = ((q * total as f64).ceil() as u64).max(1);
        let mut cumulative = 0;
        buckets
            .iter()
            .find(|(c, _)| {
                cumulative += c;
                cumulative >= rank
            })
            .map_or(f64::NAN, |(_, e)| *e)
    };
    summary(
        (p.count, p.sum, p.min, p.max),
        quantiles,
        nearest_rank,
        Some((base - 1.0) / (base + 1.0)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_buckets_are_interpolated_as_prometheus_does() {
        // Buckets (−∞,1] (1,2] (2,4] (4,+∞) holding 2, 4, 2, 2 values.
        let bounds = [1.0, 2.0, 4.0];
        let counts = [2, 4, 2, 2];
        // Rank 5 of 10: the third of the 4 in (1, 2].
        assert_eq!(bucket_quantile(0.5, &bounds, &counts), 1.75);
        // Rank 1 in the first bucket, from 0.
        assert_eq!(bucket_quantile(0.1, &bounds, &counts), 0.5);
        // Rank 9.5 in the overflow bucket: the largest bound.
        assert_eq!(bucket_quantile(0.95, &bounds, &counts), 4.0);
        assert!(bucket_quantile(0.5, &bounds, &[0, 0, 0, 0]).is_nan());
        // A first bucket with a bound at or below 0 gives its bound.
        assert_eq!(bucket_quantile(0.1, &[-1.0, 2.0], &[3, 1, 0]), -1.0);
    }

    #[test]
    fn quantiles_out_of_range_are_refused() {
        assert!(check_quantiles(&[0.0, 0.5, 1.0]).is_ok());
        let err = check_quantiles(&[0.5, 1.5]).unwrap_err();
        assert_eq!(err.message(), "quantile 1.5 is not between 0 and 1");
        assert!(check_quantiles(&[f64::NAN]).is_err());
    }
}
