"""The metrics otelrs reports for OTELRS_SYSTEM_METRICS as the OpenTelemetry semantic
conventions define them (model/system/metrics.yaml, model/process/metrics.yaml and
model/otel/metrics.yaml of semantic-conventions 1.38): instrument, unit, the attribute keys
allowed, and the values an enumerated attribute may take. The load averages have no
convention; they use the names of the Collector's hostmetrics receiver."""

from __future__ import annotations

from otlp import attributes, data

COUNTER, UPDOWN, GAUGE, HISTOGRAM = "counter", "updowncounter", "gauge", "histogram"

FS = {"system.device", "system.filesystem.type", "system.filesystem.mode", "system.filesystem.mountpoint"}
EXPORTER = {"otel.component.type", "otel.component.name", "error.type"}
PROCESSOR = {"otel.component.type", "otel.component.name", "error.type"}

HOST = {
    "system.cpu.time": (COUNTER, "s", {"cpu.mode"}),
    "system.cpu.utilization": (GAUGE, "1", {"cpu.mode"}),
    "system.cpu.logical.count": (UPDOWN, "{cpu}", set()),
    "system.uptime": (GAUGE, "s", set()),
    "system.cpu.load_average.1m": (GAUGE, "{thread}", set()),
    "system.cpu.load_average.5m": (GAUGE, "{thread}", set()),
    "system.cpu.load_average.15m": (GAUGE, "{thread}", set()),
    "system.memory.usage": (UPDOWN, "By", {"system.memory.state"}),
    "system.memory.limit": (UPDOWN, "By", set()),
    "system.memory.utilization": (GAUGE, "1", {"system.memory.state"}),
    "system.paging.usage": (UPDOWN, "By", {"system.paging.state", "system.device"}),
    "system.paging.utilization": (GAUGE, "1", {"system.paging.state", "system.device"}),
    "system.disk.io": (COUNTER, "By", {"system.device", "disk.io.direction"}),
    "system.disk.operations": (COUNTER, "{operation}", {"system.device", "disk.io.direction"}),
    "system.filesystem.usage": (UPDOWN, "By", FS | {"system.filesystem.state"}),
    "system.filesystem.utilization": (GAUGE, "1", FS | {"system.filesystem.state"}),
    "system.filesystem.limit": (UPDOWN, "By", FS),
    "system.network.io": (COUNTER, "By", {"network.interface.name", "network.io.direction"}),
    "system.network.packet.count": (COUNTER, "{packet}", {"system.device", "network.io.direction"}),
    "system.network.errors": (COUNTER, "{error}", {"network.interface.name", "network.io.direction"}),
    "system.network.packet.dropped": (COUNTER, "{packet}", {"network.interface.name", "network.io.direction"}),
    "system.network.connection.count": (
        UPDOWN, "{connection}", {"network.interface.name", "network.connection.state", "network.transport"}),
}

PROCESS = {
    "process.cpu.time": (COUNTER, "s", {"cpu.mode"}),
    "process.cpu.utilization": (GAUGE, "1", {"cpu.mode"}),
    "process.memory.usage": (UPDOWN, "By", set()),
    "process.memory.virtual": (UPDOWN, "By", set()),
    "process.thread.count": (UPDOWN, "{thread}", set()),
    "process.unix.file_descriptor.count": (UPDOWN, "{file_descriptor}", set()),
    "process.context_switches": (COUNTER, "{context_switch}", {"process.context_switch.type"}),
    "process.disk.io": (COUNTER, "By", {"disk.io.direction"}),
    "process.paging.faults": (COUNTER, "{fault}", {"system.paging.fault.type"}),
    "process.uptime": (GAUGE, "s", set()),
}

SDK = {
    "otel.sdk.exporter.metric_data_point.exported": (COUNTER, "{data_point}", EXPORTER),
    "otel.sdk.exporter.metric_data_point.inflight": (UPDOWN, "{data_point}", EXPORTER - {"error.type"}),
    "otel.sdk.exporter.log.exported": (COUNTER, "{log_record}", EXPORTER),
    "otel.sdk.exporter.log.inflight": (UPDOWN, "{log_record}", EXPORTER - {"error.type"}),
    "otel.sdk.exporter.operation.duration": (HISTOGRAM, "s", EXPORTER),
    "otel.sdk.log.created": (COUNTER, "{log_record}", set()),
    "otel.sdk.processor.log.queue.size": (UPDOWN, "{log_record}", PROCESSOR - {"error.type"}),
    "otel.sdk.processor.log.queue.capacity": (UPDOWN, "{log_record}", PROCESSOR - {"error.type"}),
    "otel.sdk.processor.log.processed": (COUNTER, "{log_record}", PROCESSOR),
}

# Values of the enumerated attributes.
VALUES = {
    "cpu.mode": {"user", "system", "nice", "idle", "iowait", "interrupt", "steal", "kernel", "wait"},
    "system.memory.state": {"used", "free", "buffers", "cached"},
    "system.paging.state": {"used", "free"},
    "system.filesystem.state": {"used", "free", "reserved"},
    "system.filesystem.mode": {"rw", "ro"},
    "disk.io.direction": {"read", "write"},
    "network.io.direction": {"receive", "transmit"},
    "network.transport": {"tcp", "udp", "pipe", "unix", "quic"},
    "network.connection.state": {"closed", "close_wait", "closing", "established", "fin_wait_1", "fin_wait_2",
                                 "last_ack", "listen", "syn_received", "syn_sent", "time_wait"},
    "process.context_switch.type": {"voluntary", "involuntary"},
    "system.paging.fault.type": {"major", "minor"},
}


def instrument(metric: dict) -> str:
    kind, d = data(metric)
    if kind == "sum":
        return COUNTER if d.get("isMonotonic") else UPDOWN
    return {"gauge": GAUGE, "histogram": HISTOGRAM}.get(kind, kind)


def violations(got: dict[str, tuple[dict, dict]], spec: dict) -> list[str]:
    """What in `got` (name -> (scope, metric)) breaks `spec` for the metrics it names."""
    out = []
    for name, (kind, unit, keys) in spec.items():
        if name not in got:
            out.append(f"{name}: missing")
            continue
        _, m = got[name]
        if instrument(m) != kind:
            out.append(f"{name}: a {instrument(m)}, not a {kind}")
        if m.get("unit", "") != unit:
            out.append(f"{name}: unit {m.get('unit')!r}, not {unit!r}")
        for p in data(m)[1].get("dataPoints", []):
            attrs = attributes(p.get("attributes"))
            if not set(attrs) <= keys:
                out.append(f"{name}: attributes {sorted(set(attrs) - keys)} not in the conventions")
            for k, v in attrs.items():
                if k in VALUES and v not in VALUES[k]:
                    out.append(f"{name}: {k}={v!r} is not a value of the conventions")
    return out
