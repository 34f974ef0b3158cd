"""Reading OTLP-JSON metrics (ExportMetricsServiceRequest), as otelrs's memory and file
exporters write them and as the Collector's file exporter writes what it received."""

from __future__ import annotations


def any_value(v: dict):
    """The Python value of an OTLP AnyValue (arrays become tuples)."""
    if "stringValue" in v:
        return v["stringValue"]
    if "boolValue" in v:
        return v["boolValue"]
    if "intValue" in v:
        return int(v["intValue"])
    if "doubleValue" in v:
        return float(v["doubleValue"])
    if "arrayValue" in v:
        return tuple(any_value(x) for x in v["arrayValue"].get("values", []))
    if not v:  # the Collector leaves out a false boolean or a zero number
        return None
    raise AssertionError(f"unexpected AnyValue {v}")


def attributes(kvs: list | None) -> dict:
    return {kv["key"]: any_value(kv.get("value", {})) for kv in kvs or []}


def key(attrs: dict) -> frozenset:
    return frozenset(attrs.items())


def resource_metrics(requests: list[dict], service: str | None = None) -> list[dict]:
    """Every ResourceMetrics in `requests`, of `service` when given, in order."""
    out = []
    for request in requests:
        for rm in request.get("resourceMetrics", []):
            if service is None or attributes(rm["resource"].get("attributes")).get("service.name") == service:
                out.append(rm)
    return out


def resource_logs(requests: list[dict], service: str | None = None) -> list[dict]:
    """Every ResourceLogs in `requests`, of `service` when given, in order."""
    out = []
    for request in requests:
        for rl in request.get("resourceLogs", []):
            if service is None or attributes(rl["resource"].get("attributes")).get("service.name") == service:
                out.append(rl)
    return out


def log_records(rls: list[dict]) -> list[tuple[dict, dict]]:
    """(scope, record) for every log record, in order."""
    return [(sl.get("scope", {}), r) for rl in rls for sl in rl.get("scopeLogs", []) for r in sl.get("logRecords", [])]


def body(record: dict):
    return any_value(record.get("body", {}))


def metrics(rm: dict) -> dict[str, tuple[dict, dict]]:
    """name -> (scope, metric) for one ResourceMetrics."""
    out = {}
    for sm in rm.get("scopeMetrics", []):
        for m in sm.get("metrics", []):
            out[m["name"]] = (sm.get("scope", {}), m)
    return out


def data(metric: dict) -> tuple[str, dict]:
    for kind in ("sum", "gauge", "histogram", "exponentialHistogram"):
        if kind in metric:
            return kind, metric[kind]
    raise AssertionError(f"metric without data: {metric}")


def number(point: dict):
    if "asInt" in point:
        return int(point["asInt"])
    if "asDouble" in point:
        return float(point["asDouble"])
    return 0  # the Collector leaves out a zero value


def series(metric: dict) -> dict[frozenset, dict]:
    """attribute set -> data point."""
    _, d = data(metric)
    return {key(attributes(p.get("attributes"))): p for p in d.get("dataPoints", [])}


CUMULATIVE, DELTA = 2, 1
