//! Times as OTLP and the exposition formats carry them: nanoseconds since the Unix epoch.

use std::time::{SystemTime, UNIX_EPOCH};

/// `t` in nanoseconds since the epoch (0 before it, saturated far after it).
pub(crate) fn unix_nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Now, in nanoseconds since the epoch.
pub(crate) fn now_unix_nanos() -> u64 {
    unix_nanos(SystemTime::now())
}
