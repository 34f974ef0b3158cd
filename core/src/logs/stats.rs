//! What each logger scope emitted and what became of it; read by `stats` and exported as the
//! log-derived metrics.

use super::sampling::{decide, TokenBucket, Verdict};
use crate::base::context::TraceContext;
use crate::config::Sampling;
use opentelemetry::InstrumentationScope;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The severity ranges records are counted by, as `log.severity` names them (see
/// [`range_of`]).
pub(crate) const RANGES: [&str; 7] = [
    "TRACE",
    "DEBUG",
    "INFO",
    "WARN",
    "ERROR",
    "FATAL",
    "UNSPECIFIED",
];

/// The index in [`RANGES`] of `severity`'s range.
pub(crate) fn range_of(severity: u8) -> usize {
    match severity {
        super::UNSPECIFIED => RANGES.len() - 1,
        s => usize::from((s - 1) / 4),
    }
}

/// Counts of one logger scope (or, from the SDK, of all of them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogStats {
    /// Every valid emit: `filtered + sampled_out + suppressed + kept`.
    pub emitted: u64,
    /// Below the minimum severity.
    pub filtered: u64,
    /// Left out by ratio sampling.
    pub sampled_out: u64,
    /// Left out by the rate limit.
    pub suppressed: u64,
    /// Kept by every rule and handed to the queue.
    pub kept: u64,
    /// Of the kept ones, dropped because the queue was full (SDK-wide counts only).
    pub dropped: u64,
    /// Attributes dropped by the attribute count limit.
    pub attributes_dropped: u64,
    /// Log calls refused for bad input (a body or attribute that is not valid UTF-8, a bad
    /// trace context or severity): not records, not in `emitted`.
    pub refused: u64,
}

/// A logger scope's counters and rate-limit bucket, shared by every logger of that scope.
pub(crate) struct LoggerCore {
    pub(crate) scope: Arc<InstrumentationScope>,
    bucket: Option<TokenBucket>,
    by_range: [AtomicU64; RANGES.len()],
    filtered: AtomicU64,
    sampled_out: AtomicU64,
    suppressed: AtomicU64,
    attributes_dropped: AtomicU64,
    refused: AtomicU64,
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl LoggerCore {
    pub(crate) fn new(scope: InstrumentationScope, sampling: &Sampling) -> Self {
        LoggerCore {
            scope: Arc::new(scope),
            bucket: (sampling.rate_limit > 0.0)
                .then(|| TokenBucket::new(sampling.rate_limit, sampling.burst.max(1.0))),
            by_range: Default::default(),
            filtered: AtomicU64::new(0),
            sampled_out: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
            attributes_dropped: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// Counts a log call refused for bad input.
    pub(crate) fn count_refused(&self) {
        add(&self.refused, 1);
    }

    #[inline]
    pub(crate) fn count_filtered(&self) {
        add(&self.filtered, 1);
    }

    pub(crate) fn count_attributes_dropped(&self, n: u32) {
        if n > 0 {
            add(&self.attributes_dropped, u64::from(n));
        }
    }

    /// Counts a record that passed the minimum severity and decides whether it is kept.
    pub(crate) fn decide(
        &self,
        rules: &Sampling,
        severity: u8,
        trace: Option<&TraceContext>,
    ) -> Verdict {
        add(&self.by_range[range_of(severity)], 1);
        let verdict = decide(rules, self.bucket.as_ref(), severity, trace);
        match verdict {
            Verdict::SampledOut => add(&self.sampled_out, 1),
            Verdict::Suppressed => add(&self.suppressed, 1),
            Verdict::Keep => {}
        }
        verdict
    }

    /// Takes back the count of a record that [`Self::decide`] kept and the caller then could
    /// not build (invalid input): counts only count records that exist.
    pub(crate) fn uncount_kept(&self, severity: u8) {
        self.by_range[range_of(severity)].fetch_sub(1, Ordering::Relaxed);
    }

    /// Starts counting from zero (in a forked child, which is a new process to report on).
    pub(crate) fn reset(&self) {
        for c in self.by_range.iter().chain([
            &self.filtered,
            &self.sampled_out,
            &self.suppressed,
            &self.attributes_dropped,
            &self.refused,
        ]) {
            c.store(0, Ordering::Relaxed);
        }
    }

    /// Records that passed the minimum severity, by severity range.
    pub(crate) fn by_range(&self) -> [u64; RANGES.len()] {
        std::array::from_fn(|i| self.by_range[i].load(Ordering::Relaxed))
    }

    pub(crate) fn stats(&self) -> LogStats {
        let passed: u64 = self.by_range().iter().sum();
        let filtered = self.filtered.load(Ordering::Relaxed);
        let sampled_out = self.sampled_out.load(Ordering::Relaxed);
        let suppressed = self.suppressed.load(Ordering::Relaxed);
        LogStats {
            emitted: filtered + passed,
            filtered,
            sampled_out,
            suppressed,
            kept: passed - sampled_out - suppressed,
            dropped: 0,
            attributes_dropped: self.attributes_dropped.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
        }
    }
}

impl LogStats {
    /// Every count with the name the bindings and the health report give it.
    pub fn fields(&self) -> [(&'static str, u64); 8] {
        [
            ("emitted", self.emitted),
            ("filtered", self.filtered),
            ("sampled_out", self.sampled_out),
            ("suppressed", self.suppressed),
            ("kept", self.kept),
            ("dropped", self.dropped),
            ("attributes_dropped", self.attributes_dropped),
            ("refused", self.refused),
        ]
    }
}

impl std::ops::AddAssign for LogStats {
    fn add_assign(&mut self, o: LogStats) {
        self.emitted += o.emitted;
        self.filtered += o.filtered;
        self.sampled_out += o.sampled_out;
        self.suppressed += o.suppressed;
        self.kept += o.kept;
        self.dropped += o.dropped;
        self.attributes_dropped += o.attributes_dropped;
        self.refused += o.refused;
    }
}
