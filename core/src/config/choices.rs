//! The choices of settings that other layers act on: which measurements may become
//! exemplars, which groups of metrics otelrs reports by itself.

use crate::base::context;

/// Which measurements are offered to the reservoirs (OTEL_METRICS_EXEMPLAR_FILTER).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExemplarFilter {
    AlwaysOff,
    AlwaysOn,
    TraceBased,
}

impl ExemplarFilter {
    /// Whether a measurement made now might be kept: what every measurement checks, on a copy
    /// of the filter in its own instrument (no other memory while no thread is in a sampled
    /// trace).
    #[inline]
    pub(crate) fn may_take(self) -> bool {
        match self {
            ExemplarFilter::AlwaysOff => false,
            ExemplarFilter::TraceBased => context::any_thread_sampled(),
            ExemplarFilter::AlwaysOn => true,
        }
    }

    pub(crate) fn parse(v: &str) -> std::result::Result<ExemplarFilter, String> {
        match v.trim().to_ascii_lowercase().as_str() {
            "always_off" => Ok(ExemplarFilter::AlwaysOff),
            "always_on" => Ok(ExemplarFilter::AlwaysOn),
            "trace_based" => Ok(ExemplarFilter::TraceBased),
            _ => Err("expected trace_based, always_on or always_off".to_owned()),
        }
    }
}

/// The groups of OTELRS_SYSTEM_METRICS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Groups {
    /// `system.*`: CPU, memory, paging, load, disks, filesystems, network.
    pub host: bool,
    /// `process.*` of this process.
    pub process: bool,
    /// otelrs's Tokio runtimes (and, from the bindings, the language runtime).
    pub runtime: bool,
    /// `otel.sdk.*`: what otelrs's exporters and log queue did.
    pub sdk: bool,
}

impl Groups {
    /// Reads a comma list of `host`, `process`, `runtime`, `sdk`, or `all`, or `none`.
    pub(crate) fn parse(v: &str) -> std::result::Result<Groups, String> {
        let mut g = Groups::default();
        for name in v.split(',').map(|s| s.trim().to_ascii_lowercase()) {
            match name.as_str() {
                "" | "none" => {}
                "host" => g.host = true,
                "process" => g.process = true,
                "runtime" => g.runtime = true,
                "sdk" => g.sdk = true,
                "all" => {
                    g = Groups {
                        host: true,
                        process: true,
                        runtime: true,
                        sdk: true,
                    }
                }
                other => {
                    return Err(format!(
                        "unknown group {other:?} (known: host, process, runtime, sdk, all, none)"
                    ))
                }
            }
        }
        if cfg!(not(target_os = "linux")) && (g.host || g.process) {
            return Err("host and process metrics are read from /proc: Linux only".to_owned());
        }
        Ok(g)
    }

    /// Whether any group is on.
    pub fn any(&self) -> bool {
        self.host || self.process || self.runtime || self.sdk
    }
}

/// How the values that several worker processes report for one gauge or up-down counter
/// become what one Prometheus scrape shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GaugeRule {
    /// Added up (an up-down counter's default).
    Sum,
    /// The largest.
    Max,
    /// The smallest.
    Min,
    /// One series per worker, with its `process.pid` (a gauge's default).
    PerPid,
}

/// OTELRS_PROMETHEUS_GAUGE_MERGE: a rule per instrument-name pattern, the first match wins.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct GaugeMerge {
    rules: Vec<(String, GaugeRule)>,
}

impl GaugeMerge {
    /// Reads a comma list of `pattern=rule` (rule `sum`, `max`, `min` or `pid`; `*` and `?`
    /// wildcards in the pattern).
    pub(crate) fn parse(v: &str) -> std::result::Result<GaugeMerge, String> {
        let mut rules = Vec::new();
        for item in v.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (pattern, rule) = item
                .split_once('=')
                .ok_or_else(|| format!("{item:?} is not pattern=rule"))?;
            let rule = match rule.trim().to_ascii_lowercase().as_str() {
                "sum" => GaugeRule::Sum,
                "max" => GaugeRule::Max,
                "min" => GaugeRule::Min,
                "pid" => GaugeRule::PerPid,
                other => {
                    return Err(format!(
                        "unknown rule {other:?} for {:?} (known: sum, max, min, pid)",
                        pattern.trim()
                    ))
                }
            };
            rules.push((pattern.trim().to_owned(), rule));
        }
        Ok(GaugeMerge { rules })
    }

    /// The rule of the instrument `name`: the first pattern it matches, else one series per
    /// worker for a gauge and the sum for an up-down counter.
    pub(crate) fn rule(&self, name: &str, is_gauge: bool) -> GaugeRule {
        self.rules
            .iter()
            .find(|(pattern, _)| super::view::wildcard_match(pattern, name))
            .map_or(
                if is_gauge {
                    GaugeRule::PerPid
                } else {
                    GaugeRule::Sum
                },
                |(_, rule)| *rule,
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_parse_and_refuse_unknown_names() {
        assert_eq!(Groups::parse("none").unwrap(), Groups::default());
        let g = Groups::parse(" Host , sdk").unwrap();
        assert!(g.host && g.sdk && !g.process && !g.runtime);
        assert!(Groups::parse("all").unwrap().runtime);
        let e = Groups::parse("host,disk").unwrap_err();
        assert!(e.contains("\"disk\""), "{e}");
    }

    #[test]
    fn gauge_merge_rules_match_names_in_order_and_refuse_unknown_rules() {
        let m = GaugeMerge::parse("queue.*=max, queue.depth=sum,Heap=PID").unwrap();
        assert_eq!(m.rule("queue.depth", true), GaugeRule::Max);
        assert_eq!(m.rule("heap", false), GaugeRule::PerPid);
        assert_eq!(m.rule("other", true), GaugeRule::PerPid);
        assert_eq!(m.rule("other", false), GaugeRule::Sum);
        assert!(GaugeMerge::parse("a=avg").unwrap_err().contains("\"avg\""));
        assert!(GaugeMerge::parse("a").is_err());
    }
}
