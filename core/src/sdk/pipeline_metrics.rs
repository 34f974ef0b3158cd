//! otelrs's own pipeline as the semantic conventions' `otel.sdk.*` metrics: what each
//! exporter exported and failed (by `error.type`), what is in flight, the retries, the log
//! queue, and the records created and processed. The export durations
//! (`otel.sdk.exporter.operation.duration`) are recorded by the exporters themselves.

use super::SdkShared;
use crate::base::error::Result;
use crate::export::health::{ExporterHealth, Signal};
use crate::metrics::{InstrumentKind as K, Number, NumberKind as N, Observer};
use crate::system::{observe, signed, Registrar};
use opentelemetry::KeyValue;
use std::sync::{Arc, Weak};

/// The log queue as a component.
const LOG_PROCESSOR: [(&str, &str); 2] = [
    ("otel.component.type", "batching_log_processor"),
    ("otel.component.name", "batching_log_processor/0"),
];

fn processor(extra: Option<KeyValue>) -> Vec<KeyValue> {
    LOG_PROCESSOR
        .iter()
        .map(|(k, v)| KeyValue::new(*k, *v))
        .chain(extra)
        .collect()
}

/// Runs `each` on every exporter of `signal` of the SDK behind `weak`.
fn for_exporters(weak: &Weak<SdkShared>, signal: Signal, mut each: impl FnMut(&ExporterHealth)) {
    if let Some(sdk) = weak.upgrade() {
        for h in sdk
            .exporter_health()
            .iter()
            .filter(|h| h.signal() == signal)
        {
            each(h);
        }
    }
}

fn register_exporters(r: &mut Registrar<'_>, sdk: &Arc<SdkShared>, signal: Signal) -> Result<()> {
    let (item, unit) = match signal {
        Signal::Metrics => ("metric data points", "{data_point}"),
        Signal::Logs => ("log records", "{log_record}"),
    };
    let weak = Arc::downgrade(sdk);
    r.add(
        K::ObservableCounter,
        N::U64,
        &format!("otel.sdk.exporter.{}.exported", signal.item()),
        unit,
        &format!("The {item} whose export finished, failed ones with error.type"),
        move |o: &mut Observer<'_>| {
            for_exporters(&weak, signal, |h| {
                let (exported, failed, _, _) = h.totals();
                observe(o, Number::U64(exported), &h.component());
                for (kind, n) in failed {
                    let mut attrs = h.component().to_vec();
                    attrs.push(KeyValue::new("error.type", kind));
                    observe(o, Number::U64(n), &attrs);
                }
            })
        },
    )?;
    let weak = Arc::downgrade(sdk);
    r.add(
        K::ObservableUpDownCounter,
        N::I64,
        &format!("otel.sdk.exporter.{}.inflight", signal.item()),
        unit,
        &format!("The {item} handed to the exporter whose export has not finished"),
        move |o| {
            for_exporters(&weak, signal, |h| {
                observe(o, Number::I64(h.totals().3), &h.component());
            })
        },
    )?;
    let weak = Arc::downgrade(sdk);
    r.add(
        K::ObservableCounter,
        N::U64,
        &format!("otelrs.exporter.{}.retries", signal.item()),
        "{retry}",
        "Export attempts repeated after a retryable failure",
        move |o| {
            for_exporters(&weak, signal, |h| {
                observe(o, Number::U64(h.totals().2), &h.component());
            })
        },
    )
}

fn register_logs(r: &mut Registrar<'_>, sdk: &Arc<SdkShared>) -> Result<()> {
    let weak = Arc::downgrade(sdk);
    r.add(
        K::ObservableCounter,
        N::U64,
        "otel.sdk.log.created",
        "{log_record}",
        "Log records emitted to otelrs loggers, before any filter",
        move |o| {
            if let Some(sdk) = weak.upgrade().filter(|s| s.logs().is_some()) {
                observe(o, Number::U64(sdk.log_stats().emitted), &[]);
            }
        },
    )?;
    type Pick = fn(&crate::export::health::QueueState) -> usize;
    let queue: [(&str, &str, Pick); 2] = [
        (
            "otel.sdk.processor.log.queue.size",
            "Log records in the queue in front of the log exporters",
            |q| q.size,
        ),
        (
            "otel.sdk.processor.log.queue.capacity",
            "Log records the queue in front of the log exporters holds at most",
            |q| q.capacity,
        ),
    ];
    for (name, description, pick) in queue {
        let weak = Arc::downgrade(sdk);
        r.add(
            K::ObservableUpDownCounter,
            N::I64,
            name,
            "{log_record}",
            description,
            move |o| {
                if let Some(logs) = weak.upgrade().and_then(|s| s.logs().cloned()) {
                    let n = pick(&logs.queue_state());
                    observe(o, signed(n as u64), &processor(None));
                }
            },
        )?;
    }
    let weak = Arc::downgrade(sdk);
    r.add(
        K::ObservableCounter,
        N::U64,
        "otel.sdk.processor.log.processed",
        "{log_record}",
        "Log records handed to the exporters, and those dropped by a full queue (error.type=queue_full)",
        move |o| {
            if let Some(logs) = weak.upgrade().and_then(|s| s.logs().cloned()) {
                observe(o, Number::U64(logs.processed()), &processor(None));
                observe(
                    o,
                    Number::U64(logs.dropped()),
                    &processor(Some(KeyValue::new("error.type", "queue_full"))),
                );
            }
        },
    )
}

/// Registers every `otel.sdk.*` metric.
pub(crate) fn register(r: &mut Registrar<'_>, sdk: &Arc<SdkShared>) -> Result<()> {
    register_exporters(r, sdk, Signal::Metrics)?;
    register_exporters(r, sdk, Signal::Logs)?;
    register_logs(r, sdk)
}
