//! Which records are kept, decided before a record is built: the minimum severity, ratio
//! sampling below a threshold (by trace id in trace-aware mode), and a per-logger token
//! bucket. Warnings and errors (at or above the threshold) are never sampled or suppressed.

use crate::base::context::TraceContext;
use crate::config::Sampling;
use parking_lot::Mutex;
use std::time::Instant;

/// What the rules decided for one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Keep,
    SampledOut,
    Suppressed,
}

/// A token bucket: `rate` tokens a second, at most `burst` held.
pub(crate) struct TokenBucket {
    state: Mutex<(f64, Instant)>,
    rate: f64,
    burst: f64,
}

impl TokenBucket {
    pub(crate) fn new(rate: f64, burst: f64) -> Self {
        TokenBucket {
            state: Mutex::new((burst, Instant::now())),
            rate,
            burst,
        }
    }

    fn take(&self) -> bool {
        let mut state = self.state.lock();
        let now = Instant::now();
        let (tokens, last) = *state;
        let tokens = (tokens + now.duration_since(last).as_secs_f64() * self.rate).min(self.burst);
        if tokens >= 1.0 {
            *state = (tokens - 1.0, now);
            true
        } else {
            *state = (tokens, now);
            false
        }
    }
}

/// The trace's position in [0, 1) from the random part of its id (its last 7 bytes, as W3C
/// Trace Context level 2 makes them random), so that one trace gets one decision.
fn trace_unit(ctx: &TraceContext) -> f64 {
    let mut bytes = [0u8; 8];
    bytes[1..].copy_from_slice(&ctx.trace_id[9..]);
    (u64::from_be_bytes(bytes) >> 3) as f64 / (1u64 << 53) as f64
}

/// The verdict for a record of `severity` with trace context `trace` (which has passed the
/// minimum severity).
pub(crate) fn decide(
    rules: &Sampling,
    bucket: Option<&TokenBucket>,
    severity: u8,
    trace: Option<&TraceContext>,
) -> Verdict {
    if severity >= rules.threshold {
        return Verdict::Keep;
    }
    if rules.trace_aware && trace.is_some_and(TraceContext::is_sampled) {
        return Verdict::Keep;
    }
    if rules.ratio < 1.0 {
        let position = match trace {
            Some(t) if rules.trace_aware => trace_unit(t),
            _ => crate::base::random::unit(),
        };
        if position >= rules.ratio {
            return Verdict::SampledOut;
        }
    }
    match bucket {
        Some(b) if !b.take() => Verdict::Suppressed,
        _ => Verdict::Keep,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(ratio: f64, trace_aware: bool) -> Sampling {
        Sampling {
            threshold: 13,
            ratio,
            trace_aware,
            rate_limit: 0.0,
            burst: 0.0,
        }
    }

    #[test]
    fn warnings_are_always_kept_and_the_ratio_holds_below() {
        let r = rules(0.25, false);
        assert!((0..1000).all(|_| decide(&r, None, 13, None) == Verdict::Keep));
        let kept = (0..40_000)
            .filter(|_| decide(&r, None, 9, None) == Verdict::Keep)
            .count();
        assert!((9_000..11_000).contains(&kept), "{kept}");
    }

    #[test]
    fn trace_aware_keeps_sampled_traces_and_decides_once_per_trace() {
        let r = rules(0.5, true);
        let mut ctx = TraceContext {
            trace_id: [7; 16],
            span_id: [1; 8],
            flags: 1,
        };
        assert!((0..100).all(|_| decide(&r, None, 1, Some(&ctx)) == Verdict::Keep));
        ctx.flags = 0;
        let first = decide(&r, None, 1, Some(&ctx));
        assert!((0..100).all(|_| decide(&r, None, 1, Some(&ctx)) == first));
    }

    #[test]
    fn the_bucket_suppresses_beyond_its_burst() {
        let bucket = TokenBucket::new(0.001, 5.0);
        let r = rules(1.0, false);
        let verdicts: Vec<Verdict> = (0..8).map(|_| decide(&r, Some(&bucket), 9, None)).collect();
        assert_eq!(verdicts.iter().filter(|v| **v == Verdict::Keep).count(), 5);
        assert_eq!(
            verdicts
                .iter()
                .filter(|v| **v == Verdict::Suppressed)
                .count(),
            3
        );
        assert_eq!(decide(&r, Some(&bucket), 17, None), Verdict::Keep);
    }
}
