"""Creating instruments from Python while otelrs collects, with Python callbacks that need the
GIL on the collection thread: never a deadlock; and what a callback may not do is refused."""

from __future__ import annotations

from helpers import env, ok

STRESS = env(
    OTEL_METRIC_EXPORT_INTERVAL="1",
    OTEL_METRICS_EXPORTER="file",
    OTELRS_EXPORTER_FILE_METRICS_PATH="/dev/null",
    OTEL_LOGS_EXPORTER="discard",
    OTELRS_SYSTEM_METRICS="sdk,runtime",
)


def test_creating_instruments_while_python_callbacks_run_never_deadlocks() -> None:
    out = ok(
        """
        import threading
        import otelrs
        from otelrs import Observation
        meter = otelrs.get_meter("py.stress")
        def observe(options):
            yield Observation(1, {"k": "v"})
        def create(prefix, n):
            for i in range(n):
                meter.create_counter(f"{prefix}.c{i}").add(1, {"i": i % 7})
                if i % 10 == 0:
                    meter.create_observable_gauge(f"{prefix}.g{i}", callbacks=[observe])
        threads = [threading.Thread(target=create, args=(f"t{t}", 3000)) for t in range(2)]
        for t in threads:
            t.start()
        create("main", 3000)
        for t in threads:
            t.join()
        otelrs.shutdown()
        print("created", 9000)
        """,
        STRESS,
        timeout=120,
    )
    assert "created 9000" in out


def test_a_callback_cannot_create_an_instrument_or_collect() -> None:
    out = ok(
        """
        import otelrs
        from otelrs import Observation
        meter = otelrs.get_meter("py.stress")
        seen = []
        def misbehave(options):
            for call in (lambda: meter.create_counter("py.inside"), otelrs.collect_json,
                         lambda: otelrs.force_flush(100)):
                try:
                    call()
                    seen.append("no error")
                except Exception as e:
                    seen.append(type(e).__name__ + ": " + str(e))
            yield Observation(7)
        meter.create_observable_gauge("py.misbehaving", callbacks=[misbehave])
        assert "py.misbehaving" in otelrs.collect_json()
        assert "py.misbehaving" in otelrs.collect_json()
        print("\\n".join(seen))
        """,
        env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none"),
        timeout=60,
    )
    lines = out.splitlines()
    assert len(lines) == 6, out
    for line in lines:
        assert line.startswith("OtelrsError: ") and "inside an observable instrument's callback" in line, line
