//! Histogram summaries from C: count, sum, min, max and quantiles of one series, collected
//! on demand by core.

use crate::attributes::{self, otelrs_attribute};
use crate::boundary::{self, ffi_status};
use crate::sdk::otelrs_sdk;
use crate::status::otelrs_status;
use std::ffi::c_char;

/// One histogram series as `otelrs_sdk_histogram_summary` found it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct otelrs_histogram_summary {
    /// Values recorded.
    pub count: u64,
    /// Their sum.
    pub sum: f64,
    /// The smallest value; NaN when the series does not keep it (a view's `record_min_max=false`).
    pub min: f64,
    /// The largest value; NaN when the series does not keep it.
    pub max: f64,
    /// Exponential buckets: a bound on |estimate - value| / |value| for every quantile, where
    /// value is the nearest-rank quantile of what was recorded. NaN for explicit buckets,
    /// whose estimates are interpolated within a bucket (the bucket's width is the error).
    pub relative_error: f64,
}

/// Summarises the series of the histogram named `name` whose attributes are exactly the
/// `n_attrs` at `attrs`: writes its count, sum, min, max and error bound to `*out`, and the
/// estimate of each of the `n_quantiles` quantiles at `quantiles` (each from 0 to 1) to
/// `values[i]` (NaN while nothing is recorded). Explicit buckets are interpolated as
/// Prometheus's `histogram_quantile` does, exponential ones give the bucket of the
/// nearest-rank value; both are kept within min and max. Collects now the `memory`
/// exporter's reader, else the `prometheus` one's (OTELRS_ERR_CONFIG without either);
/// observable callbacks run meanwhile. No such series (none recorded yet, other attributes,
/// or not a histogram), or a quantile out of range: OTELRS_ERR_INVALID_ARGUMENT, saying which.
///
/// # Safety
/// `sdk` is a live SDK; `name` a NUL-terminated string; `attrs` points to `n_attrs`
/// attributes (or is NULL with 0); `quantiles` and `values` to `n_quantiles` doubles (or are
/// NULL with 0); `out` is valid for a write.
#[no_mangle]
#[must_use = "the status says whether it worked"]
pub unsafe extern "C" fn otelrs_sdk_histogram_summary(
    sdk: *const otelrs_sdk,
    name: *const c_char,
    attrs: *const otelrs_attribute,
    n_attrs: usize,
    quantiles: *const f64,
    values: *mut f64,
    n_quantiles: usize,
    out: *mut otelrs_histogram_summary,
) -> otelrs_status {
    ffi_status!("otelrs_sdk_histogram_summary", {
        boundary::check_out(out)?;
        // SAFETY: the caller's contract.
        let sdk = unsafe { boundary::borrow(sdk)? };
        // SAFETY: the caller's contract.
        let name = unsafe { boundary::text(name, "name")? };
        // SAFETY: the caller's contract.
        let attrs = unsafe { attributes::convert(attrs, n_attrs)? };
        // SAFETY: the caller's contract.
        let asked = unsafe { boundary::slice(quantiles, n_quantiles, "quantiles")? };
        if n_quantiles > 0 {
            boundary::check_out(values)?;
        }
        let summary = sdk.histogram_summary(name, &attrs, asked)?;
        for (i, estimate) in summary.quantiles.iter().enumerate() {
            // SAFETY: `values` holds `n_quantiles` doubles, and there is one estimate each.
            unsafe { values.add(i).write(*estimate) };
        }
        let c = otelrs_histogram_summary {
            count: summary.count,
            sum: summary.sum,
            min: summary.min.unwrap_or(f64::NAN),
            max: summary.max.unwrap_or(f64::NAN),
            relative_error: summary.relative_error.unwrap_or(f64::NAN),
        };
        // SAFETY: checked above.
        unsafe { boundary::write_out(out, c) }
    })
}
