"""What tests/c/record_all.c records, phase by phase, and the check of an export against it:
name, unit, description, kind, monotonicity, temporality, every data point's attributes and
value, histogram count, sum, min, max, bounds and bucket counts."""

from __future__ import annotations

from otlp import CUMULATIVE, DELTA, attributes, data, key, metrics, number, series

A = key({"route": "/a", "ok": True})
B = key({"route": "/b", "ok": False})
NONE = key({})
ROOM = key({"room": "a"})
CPU0, CPU1 = key({"cpu": 0}), key({"cpu": 1})
TYPES = key({
    "str": "text", "bool": True, "int": -42, "double": 2.5,
    "strs": ("x", "y"), "bools": (True, False), "ints": (1, -2, 3), "doubles": (0.5, 1.5),
})
DEFAULT_BOUNDS = [0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0, 7500.0, 10000.0]


def hist(count, total, lo, hi, bounds, buckets):
    return {"count": count, "sum": total, "min": lo, "max": hi, "bounds": bounds, "buckets": buckets}


def expected(phase: int, temporality: str) -> dict[str, dict]:
    """name -> {kind, unit, description, monotonic, temporality, series}; absent metrics are
    those a delta export leaves out because nothing was recorded since the last one."""
    delta = temporality == "delta"
    mono = DELTA if delta else CUMULATIVE  # counters and histograms follow the preference
    e: dict[str, dict] = {}

    def add(name, kind, unit, description, points, monotonic=None, temporality=None):
        e[name] = dict(kind=kind, unit=unit, description=description, series=points,
                       monotonic=monotonic, temporality=temporality)

    if phase == 1:
        add("e2e.counter_u64", "sum", "{request}", "Requests served", {A: 18, B: 1}, True, mono)
        add("e2e.counter_f64", "sum", "s", "CPU seconds", {key({"k": "v"}): 3.75}, True, mono)
        add("e2e.histogram_u64", "histogram", "By", "Payload sizes",
            {NONE: hist(3, 555, 5, 500, [10.0, 100.0], [1, 1, 1])}, temporality=mono)
        add("e2e.histogram_f64", "histogram", "s", "Latencies",
            {key({"method": "GET"}): hist(2, 7.5, 0.5, 7.0, DEFAULT_BOUNDS, [0, 1, 1] + [0] * 13)}, temporality=mono)
        add("e2e.gauge_u64", "gauge", "{thread}", "Threads", {NONE: 9})
        add("e2e.gauge_i64", "gauge", "Cel", "Outside temperature", {NONE: -4})
        add("e2e.gauge_f64", "gauge", "Cel", "Body temperature", {NONE: 36.6})
        add("e2e.attribute_types", "sum", "", "", {TYPES: 1}, True, mono)
        add("e2e.observable_counter_u64", "sum", "{tick}", "Ticks", {CPU0: 100, CPU1: 200}, True, mono)
        add("e2e.observable_counter_f64", "sum", "s", "Busy time", {ROOM: 1.25}, True, mono)
        add("e2e.observable_updown_i64", "sum", "{item}", "Backlog", {NONE: -2}, False, CUMULATIVE)
    else:
        if delta:
            add("e2e.counter_u64", "sum", "{request}", "Requests served", {A: 10}, True, DELTA)
            add("e2e.histogram_u64", "histogram", "By", "Payload sizes",
                {NONE: hist(1, 1, 1, 1, [10.0, 100.0], [1, 0, 0])}, temporality=DELTA)
            add("e2e.observable_counter_u64", "sum", "{tick}", "Ticks", {CPU0: 0, CPU1: 0}, True, DELTA)
            add("e2e.observable_counter_f64", "sum", "s", "Busy time", {ROOM: 0.0}, True, DELTA)
        else:
            for name, spec in expected(1, "cumulative").items():
                e[name] = spec
            e["e2e.counter_u64"] = dict(e["e2e.counter_u64"], series={A: 28, B: 1})
            e["e2e.histogram_u64"] = dict(e["e2e.histogram_u64"], series={
                NONE: hist(4, 556, 1, 500, [10.0, 100.0], [2, 1, 1])})
        add("e2e.observable_updown_i64", "sum", "{item}", "Backlog", {NONE: -5}, False, CUMULATIVE)
    # Up-down counters stay cumulative under every preference, as the spec says.
    add("e2e.updown_i64", "sum", "{connection}", "Open connections", {NONE: 7}, False, CUMULATIVE)
    add("e2e.updown_f64", "sum", "By", "Buffered bytes", {NONE: 1.5}, False, CUMULATIVE)
    add("e2e.observable_updown_f64", "sum", "By", "Cache", {ROOM: 0.5}, False, CUMULATIVE)
    add("e2e.observable_gauge_u64", "gauge", "{cpu}", "Cores busy", {CPU0: 100, CPU1: 200})
    add("e2e.observable_gauge_i64", "gauge", "Cel", "Freezer", {NONE: -11})
    add("e2e.observable_gauge_f64", "gauge", "1", "Load", {ROOM: 2.5})
    return e


def check_record_all(rm: dict, phase: int, temporality: str) -> None:
    """Asserts that the ResourceMetrics `rm` is exactly what record_all exports in `phase`."""
    got = {name: m for name, m in metrics(rm).items() if m[0].get("name") != "otelrs"}  # otelrs's own metrics aside
    want = expected(phase, temporality)
    assert set(got) == set(want), f"phase {phase}: metrics {sorted(got)} != {sorted(want)}"
    for name, spec in want.items():
        scope, metric = got[name]
        assert scope.get("name") == "e2e" and scope.get("version") == "1.2.3", scope
        assert metric.get("unit", "") == spec["unit"], (name, metric.get("unit"))
        assert metric.get("description", "") == spec["description"], name
        kind, d = data(metric)
        assert kind == spec["kind"], (name, kind)
        if spec["monotonic"] is not None:
            assert bool(d.get("isMonotonic", False)) == spec["monotonic"], name
        if spec["temporality"] is not None:
            assert d.get("aggregationTemporality") == spec["temporality"], (name, d.get("aggregationTemporality"))
        points = series(metric)
        assert set(points) == set(spec["series"]), (name, [dict(p) for p in points])
        for attrs, value in spec["series"].items():
            p = points[attrs]
            if kind == "histogram":
                assert int(p["count"]) == value["count"], (name, p)
                assert float(p["sum"]) == value["sum"], (name, p)
                assert float(p["min"]) == value["min"] and float(p["max"]) == value["max"], (name, p)
                assert [float(b) for b in p.get("explicitBounds", [])] == value["bounds"], (name, p)
                assert [int(c) for c in p["bucketCounts"]] == value["buckets"], (name, p)
            else:
                assert number(p) == value, (name, dict(attrs), number(p), value)


def check_resource(rm: dict, service: str, pid: int, extra: dict | None = None) -> None:
    r = attributes(rm["resource"].get("attributes"))
    assert r["service.name"] == service
    assert r["telemetry.sdk.name"] == "otelrs"
    assert r["telemetry.sdk.language"] == "c"
    assert r["telemetry.sdk.version"]
    assert r["process.pid"] == pid
    for k, v in (extra or {}).items():
        assert r[k] == v, (k, r.get(k))
