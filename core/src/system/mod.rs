//! Metrics otelrs reports by itself when OTELRS_SYSTEM_METRICS asks: the host's and the
//! process's, named as the OpenTelemetry semantic conventions name them (the SDK adds its
//! runtimes' and its own pipeline's with the helpers here). Each group is a set of observable
//! instruments of the meter `otelrs`, read at collection on the collecting thread: nothing
//! runs on the recording path.

#[cfg(target_os = "linux")]
mod connections;
#[cfg(target_os = "linux")]
mod cpu;
#[cfg(target_os = "linux")]
mod filesystems;
#[cfg(target_os = "linux")]
mod host;
#[cfg(target_os = "linux")]
mod network;
#[cfg(target_os = "linux")]
pub(crate) mod probes;
#[cfg(target_os = "linux")]
mod process;

use crate::base::error::Result;
use crate::config::Groups;
use crate::metrics::{
    InstrumentDesc, InstrumentKind, Meter, Number, NumberKind, ObservableInstrument, Observer,
};
use opentelemetry::KeyValue;

/// Reports one observation. Each value is of its instrument's kind and number type by
/// construction, so the check that could refuse it has nothing to say.
pub(crate) fn observe(o: &mut Observer<'_>, value: Number, attrs: &[KeyValue]) {
    let _ = o.observe(value, attrs);
}

/// A count as the value of an `I64` up-down counter (saturating).
pub(crate) fn signed(v: u64) -> Number {
    Number::I64(i64::try_from(v).unwrap_or(i64::MAX))
}

/// `part` of `total` as a share from 0 to 1 (0 of nothing).
#[cfg(target_os = "linux")]
pub(crate) fn share(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        part as f64 / total as f64
    }
}

/// Registers observable instruments on one meter and keeps them.
pub(crate) struct Registrar<'a> {
    meter: &'a Meter,
    kept: Vec<ObservableInstrument>,
}

impl<'a> Registrar<'a> {
    /// Registers on `meter`.
    pub(crate) fn new(meter: &'a Meter) -> Self {
        Registrar {
            meter,
            kept: Vec::new(),
        }
    }

    /// An observable instrument `name` of `kind` and `number` type with `unit` and
    /// `description`, reported by `callback`.
    pub(crate) fn add(
        &mut self,
        kind: InstrumentKind,
        number: NumberKind,
        name: &str,
        unit: &str,
        description: &str,
        callback: impl Fn(&mut Observer<'_>) + Send + Sync + 'static,
    ) -> Result<()> {
        let desc = InstrumentDesc::described(kind, number, name, unit, description);
        let inst = self.meter.observable(desc, Box::new(callback))?;
        self.kept.push(inst);
        Ok(())
    }

    /// The instruments registered: they report while they live.
    pub(crate) fn into_instruments(self) -> Vec<ObservableInstrument> {
        self.kept
    }
}

/// Registers the host and process instruments of `groups` (the `runtime` and `sdk` groups
/// read the SDK, which registers them itself).
#[cfg_attr(not(target_os = "linux"), allow(unused_variables))]
pub(crate) fn register(r: &mut Registrar<'_>, groups: Groups) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        if groups.host {
            host::register(r)?;
        }
        if groups.process {
            process::register(r)?;
        }
    }
    Ok(())
}

/// A source read at each collection that says on stderr, once, when it cannot be read
/// (a /proc file missing in a sandbox): its metrics are then left out.
#[cfg(target_os = "linux")]
#[derive(Debug, Default)]
pub(crate) struct Source {
    warned: std::sync::atomic::AtomicBool,
}

#[cfg(target_os = "linux")]
impl Source {
    /// The value read, or `None` after saying (once) what failed.
    pub(crate) fn read<T, E: std::fmt::Display>(
        &self,
        what: &str,
        value: std::result::Result<T, E>,
    ) -> Option<T> {
        match value {
            Ok(v) => Some(v),
            Err(e) => {
                if !self.warned.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    crate::base::diag::warn(format_args!(
                        "cannot read {what}: {e}; its metrics are left out"
                    ));
                }
                None
            }
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
#[allow(clippy::unwrap_used)]
mod collected {
    use crate::{Config, Sdk};
    use serde_json::Value;
    use std::collections::BTreeMap;

    /// Every metric of one collection by name.
    fn collect(groups: &str) -> BTreeMap<String, Value> {
        let mut c = Config::new();
        c.set("OTEL_METRICS_EXPORTER", "memory").unwrap();
        c.set("OTEL_LOGS_EXPORTER", "none").unwrap();
        c.set("OTELRS_SYSTEM_METRICS", groups).unwrap();
        let sdk = Sdk::new(&c).unwrap();
        let json: Value = serde_json::from_str(&sdk.collect_json().unwrap()).unwrap();
        let mut out = BTreeMap::new();
        for sm in json["resourceMetrics"][0]["scopeMetrics"]
            .as_array()
            .unwrap()
        {
            for m in sm["metrics"].as_array().unwrap() {
                out.insert(m["name"].as_str().unwrap().to_owned(), m.clone());
            }
        }
        out
    }

    #[test]
    fn host_and_process_groups_report_their_metrics() {
        let got = collect("host,process");
        for name in [
            "system.cpu.time",
            "system.cpu.utilization",
            "system.memory.usage",
            "system.filesystem.usage",
            "system.network.io",
            "process.cpu.time",
            "process.memory.usage",
            "process.unix.file_descriptor.count",
        ] {
            assert!(
                got.contains_key(name),
                "{name} missing from {:?}",
                got.keys()
            );
        }
        assert!(!got.keys().any(|k| k.starts_with("otel.sdk")));
        assert!(collect("none").is_empty());
    }
}
