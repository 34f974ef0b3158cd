//! Log-derived metrics, exported with the other metrics: records by severity and logger scope
//! (an alert on the error rate needs no log backend), and the records left out by each rule
//! or dropped by the queue.

use super::SdkShared;
use crate::base::error::Result;
use crate::logs::{LoggerCore, RANGES};
use crate::metrics::Meter;
use crate::metrics::{
    InstrumentDesc, InstrumentKind, Number, NumberKind, ObservableInstrument, Observer,
};
use opentelemetry::KeyValue;
use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

fn counter(name: &str, description: &str) -> InstrumentDesc {
    InstrumentDesc::described(
        InstrumentKind::ObservableCounter,
        NumberKind::U64,
        name,
        "{record}",
        description,
    )
}

/// Registers the log-derived metrics of `sdk` on `meter`; they report while the returned
/// instruments live. A series is reported once it has counted something (never a series of
/// zeros for each severity, reason and logger), by severity or reason, and by logger scope
/// only with OTELRS_LOGS_METRICS_BY_SCOPE.
pub(crate) fn register(
    meter: &Meter,
    sdk: &Arc<SdkShared>,
    by_scope: bool,
) -> Result<Vec<ObservableInstrument>> {
    let scope_of = move |core: &LoggerCore| by_scope.then(|| core.scope.name().to_owned());
    let weak: Weak<SdkShared> = Arc::downgrade(sdk);
    let records = meter.observable(
        counter(
            "otelrs.logs.records",
            "Log records emitted at or above the minimum severity, by severity (and logger scope)",
        ),
        Box::new(move |o| {
            let Some(sdk) = weak.upgrade() else { return };
            let mut totals = Totals::default();
            for core in sdk.logger_cores() {
                for (range, n) in RANGES.iter().zip(core.by_range()) {
                    totals.add(scope_of(&core), "log.severity", range, n);
                }
            }
            totals.observe(o);
        }),
    )?;
    let weak: Weak<SdkShared> = Arc::downgrade(sdk);
    let left_out = meter.observable(
        counter(
            "otelrs.logs.left_out",
            "Log records not exported, by reason (filtered, sampled_out, suppressed, dropped, refused: bad input) and logger scope",
        ),
        Box::new(move |o| {
            let Some(sdk) = weak.upgrade() else { return };
            let mut totals = Totals::default();
            for core in sdk.logger_cores() {
                let s = core.stats();
                for (reason, n) in [("filtered", s.filtered), ("sampled_out", s.sampled_out), ("suppressed", s.suppressed), ("refused", s.refused)] {
                    totals.add(scope_of(&core), "reason", reason, n);
                }
            }
            let dropped = sdk.logs().map_or(0, |l| l.dropped());
            totals.add(None, "reason", "dropped", dropped);
            totals.observe(o);
        }),
    )?;
    Ok(vec![records, left_out])
}

/// Counts summed by series: an optional logger scope, and one attribute (key and value);
/// series that counted nothing are left out.
#[derive(Default)]
struct Totals(BTreeMap<(Option<String>, &'static str, &'static str), u64>);

impl Totals {
    fn add(&mut self, scope: Option<String>, key: &'static str, value: &'static str, n: u64) {
        if n > 0 {
            *self.0.entry((scope, key, value)).or_default() += n;
        }
    }

    fn observe(self, o: &mut Observer<'_>) {
        for ((scope, key, value), n) in self.0 {
            let scope = scope.map(|s| KeyValue::new("otel.scope.name", s));
            let attrs: Vec<KeyValue> = scope
                .into_iter()
                .chain([KeyValue::new(key, value)])
                .collect();
            let _ = o.observe(Number::U64(n), &attrs);
        }
    }
}
