//! The health rules of OTELRS_HEALTH_RULES, and the function told when the health status
//! changes.

/// What a health rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reading {
    /// Records of severity ERROR or FATAL in the last minute.
    ErrorLogsPerMinute,
    /// Log records dropped (queue full) in the last minute.
    LogDropsPerMinute,
    /// The share of all CPUs' time spent busy, 0 to 1.
    HostCpuUtilization,
    /// The share of the host's memory used, 0 to 1.
    HostMemoryUtilization,
    /// The used share of the fullest mounted filesystem, 0 to 1.
    FilesystemUtilization,
    /// The share of its CPUs this process used, 0 to 1.
    ProcessCpuUtilization,
    /// This process's resident memory, in bytes.
    ProcessMemoryUsage,
}

/// Every reading by the name a rule gives it.
const READINGS: [(&str, Reading); 7] = [
    ("error_logs_per_minute", Reading::ErrorLogsPerMinute),
    ("log_drops_per_minute", Reading::LogDropsPerMinute),
    ("host_cpu_utilization", Reading::HostCpuUtilization),
    ("host_memory_utilization", Reading::HostMemoryUtilization),
    ("filesystem_utilization", Reading::FilesystemUtilization),
    ("process_cpu_utilization", Reading::ProcessCpuUtilization),
    ("process_memory_usage", Reading::ProcessMemoryUsage),
];

/// One rule: above `threshold`, the reading makes the SDK `degraded`, or `failing`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HealthRule {
    pub reading: Reading,
    pub threshold: f64,
    pub failing: bool,
    /// The rule as written, e.g. `error_logs_per_minute>60`.
    pub text: String,
}

/// A comma-separated list of `reading>threshold`, each optionally followed by `:failing`
/// (or `:degraded`, the default).
pub(crate) fn parse_health_rules(v: &str) -> std::result::Result<Vec<HealthRule>, String> {
    v.split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| {
            let (rule, failing) = match r.rsplit_once(':') {
                Some((rule, "failing")) => (rule, true),
                Some((rule, "degraded")) => (rule, false),
                Some((_, other)) => {
                    return Err(format!(
                        "rule {r:?}: unknown status {other:?} (degraded or failing)"
                    ))
                }
                None => (r, false),
            };
            let (name, threshold) = rule
                .split_once('>')
                .ok_or_else(|| format!("rule {r:?}: expected reading>threshold[:failing]"))?;
            let reading = READINGS
                .iter()
                .find(|(n, _)| *n == name.trim())
                .map(|(_, reading)| *reading)
                .ok_or_else(|| {
                    let known: Vec<&str> = READINGS.iter().map(|(n, _)| *n).collect();
                    format!(
                        "rule {r:?}: unknown reading {:?} (known: {})",
                        name.trim(),
                        known.join(", ")
                    )
                })?;
            let written = threshold.trim();
            let threshold: f64 = written
                .parse()
                .ok()
                .filter(|t: &f64| t.is_finite() && *t >= 0.0)
                .ok_or_else(|| format!("rule {r:?}: the threshold is not a number of 0 or more"))?;
            Ok(HealthRule {
                reading,
                threshold,
                failing,
                text: format!("{}>{written}", name.trim()),
            })
        })
        .collect()
}

/// The function told of each change of the health status (see
/// [`crate::Config::set_health_callback`]): the new status (`ok`, `degraded`, `failing`) and
/// the health report as JSON.
pub type HealthFn = Box<dyn Fn(&str, &str) + Send + Sync>;

/// A [`HealthFn`] as the configuration holds it.
#[derive(Clone)]
pub(crate) struct HealthCallback(pub(crate) std::sync::Arc<HealthFn>);

impl std::fmt::Debug for HealthCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HealthCallback")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_bad_ones_say_why() {
        let rules =
            parse_health_rules("error_logs_per_minute>60, host_memory_utilization>0.95:failing")
                .unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(
            (rules[0].reading, rules[0].threshold, rules[0].failing),
            (Reading::ErrorLogsPerMinute, 60.0, false)
        );
        assert!(rules[1].failing);
        assert_eq!(rules[1].text, "host_memory_utilization>0.95");
        assert_eq!(parse_health_rules("").unwrap(), vec![]);
        for (bad, says) in [
            (
                "cpu>0.5",
                "unknown reading \"cpu\" (known: error_logs_per_minute,",
            ),
            (
                "error_logs_per_minute<5",
                "expected reading>threshold[:failing]",
            ),
            (
                "error_logs_per_minute>many",
                "the threshold is not a number of 0 or more",
            ),
            (
                "error_logs_per_minute>-1",
                "the threshold is not a number of 0 or more",
            ),
            ("error_logs_per_minute>5:bad", "unknown status \"bad\""),
        ] {
            let e = parse_health_rules(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
