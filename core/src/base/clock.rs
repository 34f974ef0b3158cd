//! Times as OTLP and the exposition formats carry them: nanoseconds since the Unix epoch,
//! and RFC 3339 text for people.

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

/// `t` as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    format!("{}.{:03}Z", civil(d.as_secs()), d.subsec_millis())
}

/// `nanos` since the epoch in RFC 3339 with nanoseconds, UTC: `2023-11-14T22:13:20.123456789Z`.
pub(crate) fn rfc3339_nanos(nanos: u64) -> String {
    format!(
        "{}.{:09}Z",
        civil(nanos / 1_000_000_000),
        nanos % 1_000_000_000
    )
}

/// `secs` since the epoch as a civil date and time, UTC: `2023-11-14T22:13:20`.
fn civil(secs: u64) -> String {
    let secs = secs as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_utc_time() {
        let t = UNIX_EPOCH + Duration::from_millis(1_764_091_425_123);
        assert_eq!(rfc3339(t), "2025-11-25T17:23:45.123Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339_nanos(1_700_000_000_000_000_789),
            "2023-11-14T22:13:20.000000789Z"
        );
    }
}
