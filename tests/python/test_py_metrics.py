"""Every instrument kind from Python, every attribute type, binding, timing, observable
callbacks (functions and generators), and the number types, read back through the memory
exporter as the OTLP JSON otelrs exports."""

from __future__ import annotations

import json
from typing import Any

from helpers import env, metrics, number, ok, points, run_py

MEMORY = env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none", OTEL_SERVICE_NAME="py-test")


def collect(code: str) -> dict[str, Any]:
    """Runs `code` (with `meter` defined), then prints and parses collect_json()."""
    out = ok(
        """
        import otelrs
        meter = otelrs.get_meter("py.test", "1.2")
        """
        + code
        + """
        print(otelrs.collect_json())
        """,
        MEMORY,
    )
    return metrics(json.loads(out.splitlines()[-1]))


def test_every_synchronous_instrument_with_every_attribute_type() -> None:
    got = collect(
        """
        attrs = {"s": "x", "b": True, "i": -3, "f": 1.5, "ss": ["a", "b"], "bs": (True, False),
                 "is": [1, 2], "fs": [0.5, 2.0]}
        c = meter.create_counter("py.counter", unit="{item}", description="items")
        c.add(2, attrs)
        c.add(3.5, attrs)
        c.add(1)
        u = meter.create_up_down_counter("py.updown")
        u.add(5, {"q": "a"})
        u.add(-7, {"q": "a"})
        h = meter.create_histogram("py.histogram", unit="ms", explicit_bucket_boundaries_advisory=[1.0, 10.0])
        for v in (0.5, 5, 50):
            h.record(v, {"route": "/x"})
        g = meter.create_gauge("py.gauge")
        g.set(3, {"cpu": 0})
        g.set(4.25, {"cpu": 0})
        """
    )
    counter = got["py.counter"]
    assert counter["unit"] == "{item}" and counter["description"] == "items"
    assert counter["sum"]["isMonotonic"] is True
    by_attrs = points(counter)
    full = frozenset({"s": "x", "b": True, "i": -3, "f": 1.5, "ss": ("a", "b"), "bs": (True, False),
                      "is": (1, 2), "fs": (0.5, 2.0)}.items())
    assert number(by_attrs[full]) == 5.5
    assert number(by_attrs[frozenset()]) == 1.0
    assert number(points(got["py.updown"])[frozenset({("q", "a")})]) == -2
    hist = points(got["py.histogram"])[frozenset({("route", "/x")})]
    assert hist["explicitBounds"] == [1.0, 10.0]
    assert [int(c) for c in hist["bucketCounts"]] == [1, 1, 1]
    assert hist["sum"] == 55.5 and int(hist["count"]) == 3
    assert number(points(got["py.gauge"])[frozenset({("cpu", 0)})]) == 4.25


def test_value_type_int_exports_integers_and_refuses_floats() -> None:
    got = collect(
        """
        c = meter.create_counter("py.int.counter", value_type=int)
        c.add(7)
        try:
            c.add(1.5)
        except TypeError as e:
            print("TypeError", e)
        g = meter.create_gauge("py.int.gauge", value_type=int)
        g.set(-4)
        """
    )
    assert points(got["py.int.counter"])[frozenset()]["asInt"] == "7"
    assert points(got["py.int.gauge"])[frozenset()]["asInt"] == "-4"


def test_bound_instruments_record_into_their_series() -> None:
    got = collect(
        """
        c = meter.create_counter("py.bound")
        eu = c.bind({"region": "eu"})
        for _ in range(10):
            eu.add(1)
        c.add(5, {"region": "eu"})
        h = meter.create_histogram("py.bound.hist").bind({"k": 1})
        h.record(2.5)
        meter.create_up_down_counter("py.bound.ud").bind().add(-2)
        meter.create_gauge("py.bound.gauge").bind({"g": True}).set(9)
        """
    )
    assert number(points(got["py.bound"])[frozenset({("region", "eu")})]) == 15
    assert points(got["py.bound.hist"])[frozenset({("k", 1)})]["sum"] == 2.5
    assert number(points(got["py.bound.ud"])[frozenset()]) == -2
    assert number(points(got["py.bound.gauge"])[frozenset({("g", True)})]) == 9


def test_histogram_time_as_context_manager_and_decorator_in_its_unit() -> None:
    got = collect(
        """
        import asyncio, time
        s = meter.create_histogram("py.time.s", unit="s")
        ms = meter.create_histogram("py.time.ms", unit="ms")
        with s.time({"block": "a"}):
            time.sleep(0.05)

        @ms.time({"fn": "work"})
        def work(n):
            time.sleep(0.02)
            return n * 2

        @ms.time({"fn": "coro"})
        async def coro():
            await asyncio.sleep(0.02)
            return "done"

        assert work(21) == 42 and work.__name__ == "work"
        assert asyncio.run(coro()) == "done"
        """
    )
    block = points(got["py.time.s"])[frozenset({("block", "a")})]
    assert int(block["count"]) == 1 and 0.05 <= block["sum"] < 1.0
    work = points(got["py.time.ms"])[frozenset({("fn", "work")})]
    assert int(work["count"]) == 1 and 20 <= work["sum"] < 1000
    coro = points(got["py.time.ms"])[frozenset({("fn", "coro")})]
    assert int(coro["count"]) == 1 and 20 <= coro["sum"] < 1000


def test_observable_instruments_with_functions_and_generators() -> None:
    got = collect(
        """
        calls = []
        def queues(options):
            calls.append(options.timeout_millis)
            return [otelrs.Observation(3, {"q": "a"}), otelrs.Observation(5, {"q": "b"})]

        def bytes_read():
            total = 0
            options = yield  # as the OpenTelemetry API has it: advanced to here when given
            while True:
                total += 100
                options = yield [otelrs.Observation(total)]

        def broken(options):
            raise RuntimeError("no data")

        meter.create_observable_gauge("py.queue.depth", callbacks=[queues, broken])
        meter.create_observable_counter("py.bytes", callbacks=[bytes_read()], unit="By")
        meter.create_observable_up_down_counter("py.conns", [lambda o: [otelrs.Observation(-1, {"x": 1})]],
                                                value_type=int)
        otelrs.collect_json()
        assert calls and calls[0] > 0
        """
    )
    assert {dict(k)["q"]: number(p) for k, p in points(got["py.queue.depth"]).items()} == {"a": 3, "b": 5}
    assert number(points(got["py.bytes"])[frozenset()]) == 200  # the second collection
    assert got["py.bytes"]["sum"]["isMonotonic"] is True
    assert points(got["py.conns"])[frozenset({("x", 1)})]["asInt"] == "-1"


def test_a_failing_callback_is_reported_on_the_otelrs_logger() -> None:
    r = run_py(
        """
        import logging, otelrs
        logging.basicConfig(format="%(name)s %(levelname)s %(message)s")
        meter = otelrs.get_meter("py.test")
        def broken(options):
            raise RuntimeError("no data")
        meter.create_observable_gauge("py.broken", callbacks=[broken])
        meter.create_observable_gauge("py.working", callbacks=[lambda o: [otelrs.Observation(2)]])
        print(otelrs.collect_json())
        """,
        MEMORY,
    )
    assert r.returncode == 0, r.stderr
    assert "otelrs WARNING a callback of the observable instrument 'py.broken' failed" in r.stderr
    assert "RuntimeError: no data" in r.stderr
    assert number(points(metrics(json.loads(r.stdout))["py.working"])[frozenset()]) == 2


def test_observable_instruments_live_without_a_reference() -> None:
    got = collect(
        """
        import gc
        meter.create_observable_gauge("py.unreferenced", callbacks=[lambda o: [otelrs.Observation(1)]])
        gc.collect()
        """
    )
    assert number(points(got["py.unreferenced"])[frozenset()]) == 1


def test_histogram_summaries_give_quantiles_within_their_bound() -> None:
    out = ok(
        """
        import json, math, otelrs
        otelrs.init(metrics_exporter="memory", logs_exporter="none",
                    metrics_views=["instrument_name=rpc.exp,aggregation=base2_exponential_bucket_histogram"])
        meter = otelrs.get_meter("rpc")
        explicit = meter.create_histogram("rpc.size", unit="By", explicit_bucket_boundaries_advisory=[10, 100, 1000])
        exponential = meter.create_histogram("rpc.exp", unit="s")
        values = [0.001 * 1.01 ** i for i in range(1000)]
        for v in values:
            exponential.record(v, {"method": "get"})
        for v in (5, 50, 60, 70, 500, 5000):
            explicit.record(v)
        print(json.dumps([otelrs.histogram_summary("rpc.exp", {"method": "get"}, quantiles=[0.5, 0.99]),
                          otelrs.histogram_summary("rpc.size", quantiles=[0.5]),
                          sorted(values)[499], sorted(values)[989]]))
        for call in (lambda: otelrs.histogram_summary("rpc.exp", {"method": "put"}),
                     lambda: otelrs.histogram_summary("rpc.exp", {"method": "get"}, quantiles=[-0.1])):
            try:
                call()
            except ValueError as e:
                print("ValueError:", e)
        """,
        env(),
    )
    first, *errors = out.splitlines()
    exp, explicit, p50, p99 = json.loads(first)
    assert exp["count"] == 1000 and exp["min"] == 0.001
    bound = exp["relative_error"]
    assert 0 < bound < 0.05  # 1000 values over four decades in 160 buckets: scale 3
    assert abs(exp["quantiles"]["0.5"] - p50) / p50 <= bound and abs(exp["quantiles"]["0.99"] - p99) / p99 <= bound
    # Rank 3 of 6, the second of the 3 in (10, 100]: 10 + 90 × 2/3.
    assert explicit == {"count": 6, "sum": 5685.0, "min": 5.0, "max": 5000.0, "quantiles": {"0.5": 70.0},
                        "relative_error": None}
    assert errors == [
        "ValueError: no series of histogram rpc.exp has the attributes {method=put} (1 series have others; "
        "a series appears once a value is recorded into it)",
        "ValueError: quantile -0.1 is not between 0 and 1",
    ]
