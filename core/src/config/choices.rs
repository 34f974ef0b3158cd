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
}
