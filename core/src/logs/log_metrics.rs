//! Log-derived metrics, exported with the other metrics: records by severity and logger scope
//! (an alert on the error rate needs no log backend), and the records left out by each rule
//! or dropped by the queue.

use super::stats::RANGES;
use crate::error::Result;
use crate::metrics::{InstrumentDesc, InstrumentKind, Number, NumberKind, ObservableInstrument};
use crate::sdk::{Meter, SdkShared};
use opentelemetry::KeyValue;
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
/// instruments live.
pub(crate) fn register(meter: &Meter, sdk: &Arc<SdkShared>) -> Result<Vec<ObservableInstrument>> {
    let weak: Weak<SdkShared> = Arc::downgrade(sdk);
    let records = meter.observable(
        counter(
            "otelrs.logs.records",
            "Log records emitted at or above the minimum severity, by severity and logger scope",
        ),
        Box::new(move |o| {
            let Some(sdk) = weak.upgrade() else { return };
            for core in sdk.logger_cores() {
                for (range, n) in RANGES.iter().zip(core.by_range()) {
                    let attrs = [
                        KeyValue::new("log.severity", *range),
                        KeyValue::new("otel.scope.name", core.scope.name().to_owned()),
                    ];
                    let _ = o.observe(Number::U64(n), &attrs);
                }
            }
        }),
    )?;
    let weak: Weak<SdkShared> = Arc::downgrade(sdk);
    let left_out = meter.observable(
        counter(
            "otelrs.logs.left_out",
            "Log records not exported, by reason (filtered, sampled_out, suppressed, dropped) and logger scope",
        ),
        Box::new(move |o| {
            let Some(sdk) = weak.upgrade() else { return };
            for core in sdk.logger_cores() {
                let s = core.stats();
                for (reason, n) in [("filtered", s.filtered), ("sampled_out", s.sampled_out), ("suppressed", s.suppressed)] {
                    let attrs = [
                        KeyValue::new("otel.scope.name", core.scope.name().to_owned()),
                        KeyValue::new("reason", reason),
                    ];
                    let _ = o.observe(Number::U64(n), &attrs);
                }
            }
            let dropped = sdk.logs().map_or(0, |l| l.dropped());
            let _ = o.observe(Number::U64(dropped), &[KeyValue::new("reason", "dropped")]);
        }),
    )?;
    Ok(vec![records, left_out])
}
