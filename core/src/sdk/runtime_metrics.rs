//! otelrs's own Tokio runtimes (one per signal exporting over gRPC, one behind the
//! Prometheus endpoint): workers, tasks alive, and tasks waiting in the global queue.

use super::SdkShared;
use crate::base::error::Result;
use crate::metrics::{InstrumentKind as K, NumberKind as N};
use crate::system::{observe, signed, Registrar};
use opentelemetry::KeyValue;
use std::sync::{Arc, Weak};
use tokio::runtime::RuntimeMetrics;

/// Registers the runtime metrics of `sdk`'s runtimes (none while it has none).
pub(crate) fn register(r: &mut Registrar<'_>, sdk: &Arc<SdkShared>) -> Result<()> {
    type Pick = fn(&RuntimeMetrics) -> usize;
    let gauges: [(&str, &str, &str, Pick); 3] = [
        (
            "otelrs.runtime.tokio.workers",
            "{thread}",
            "Worker threads of each otelrs Tokio runtime",
            RuntimeMetrics::num_workers,
        ),
        (
            "otelrs.runtime.tokio.tasks",
            "{task}",
            "Tasks alive in each otelrs Tokio runtime",
            RuntimeMetrics::num_alive_tasks,
        ),
        (
            "otelrs.runtime.tokio.global_queue.depth",
            "{task}",
            "Tasks waiting in the global queue of each otelrs Tokio runtime",
            RuntimeMetrics::global_queue_depth,
        ),
    ];
    for (name, unit, description, pick) in gauges {
        let weak: Weak<SdkShared> = Arc::downgrade(sdk);
        r.add(
            K::ObservableUpDownCounter,
            N::I64,
            name,
            unit,
            description,
            move |o| {
                let Some(sdk) = weak.upgrade() else { return };
                for (runtime, handle) in sdk.runtimes() {
                    let n = pick(&handle.metrics());
                    observe(
                        o,
                        signed(n as u64),
                        &[KeyValue::new("otelrs.runtime", runtime)],
                    );
                }
            },
        )?;
    }
    Ok(())
}
