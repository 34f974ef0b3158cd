#!/usr/bin/env python3
"""Python benchmark: otelrs next to the official opentelemetry-sdk and prometheus_client, in
one run, each library in its own interpreter. Prints a Markdown section for bench/RESULTS.md
(bench/run.py includes it); run alone with

    python3 bench/python/bench.py

It needs otelrs installed (make wheel; pip install build/wheels/otelrs-*.whl) and
bench/python/requirements.txt.
"""

from __future__ import annotations

import json
import os
import pathlib
import statistics
import subprocess
import sys
import sysconfig
import textwrap
from importlib import metadata

ROUNDS = 7
N = 200_000

# Each case: setup code defining `op()`-style statements, run in a fresh interpreter.
SETUP = {
    "otelrs": """
        import os
        os.environ.update(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="discard")
        import logging, otelrs
        meter = otelrs.get_meter("bench")
        counter = meter.create_counter("bench.counter")
        histogram = meter.create_histogram("bench.histogram")
        attrs = {"http.method": "GET", "http.route": "/users", "region": "eu"}
        bound = counter.bind(attrs)
        handler = otelrs.LoggingHandler()
    """,
    "otelrs-api": """
        import os
        os.environ.update(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="discard")
        from opentelemetry import metrics
        early = metrics.get_meter("bench.early").create_counter("bench.early")  # the API's proxy
        import otelrs.otel_api
        otelrs.otel_api.install()
        counter = metrics.get_meter("bench").create_counter("bench.counter")
        attrs = {"http.method": "GET", "http.route": "/users", "region": "eu"}
    """,
    "opentelemetry-sdk": """
        import logging
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
        from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter, LogRecordExportResult
        class Discard(LogRecordExporter):
            def export(self, batch):
                return LogRecordExportResult.SUCCESS
            def shutdown(self):
                pass
            def force_flush(self, timeout_millis=30000):
                return True
        provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
        meter = provider.get_meter("bench")
        counter = meter.create_counter("bench.counter")
        histogram = meter.create_histogram("bench.histogram")
        attrs = {"http.method": "GET", "http.route": "/users", "region": "eu"}
        logger_provider = LoggerProvider()
        logger_provider.add_log_record_processor(BatchLogRecordProcessor(Discard()))
        handler = LoggingHandler(logger_provider=logger_provider)
    """,
    "prometheus_client": """
        import logging
        from prometheus_client import Counter, Histogram
        counter = Counter("bench_counter", "doc", ["http_method", "http_route", "region"])
        histogram = Histogram("bench_histogram", "doc", ["http_method", "http_route", "region"])
        child = counter.labels("GET", "/users", "eu")
        hchild = histogram.labels("GET", "/users", "eu")
    """,
    "floor": """
        import logging, otelrs_bench_noop
        handler = logging.NullHandler()
    """,
}

CASES = {
    "counter_add_attrs": {
        "otelrs": "counter.add(1, attrs)",
        "opentelemetry-sdk": "counter.add(1, attrs)",
        "prometheus_client": "counter.labels('GET', '/users', 'eu').inc()",
    },
    "counter_add_api": {
        "otelrs-api": "counter.add(1, attrs)",
    },
    "counter_add_api_proxy": {
        "otelrs-api": "early.add(1, attrs)",
    },
    "counter_add_bound": {
        "otelrs": "bound.add(1)",
        "prometheus_client": "child.inc()",
        "floor": "otelrs_bench_noop.noop(1)",
    },
    "histogram_record": {
        "otelrs": "histogram.record(0.25, attrs)",
        "opentelemetry-sdk": "histogram.record(0.25, attrs)",
        "prometheus_client": "hchild.observe(0.25)",
    },
    "logging_info": {
        "otelrs": "log.info('order %s placed', 'A-1')",
        "opentelemetry-sdk": "log.info('order %s placed', 'A-1')",
        "floor": "log.info('order %s placed', 'A-1')",
    },
}

LOGGING_SETUP = """
    log = logging.getLogger("bench")
    log.propagate = False
    log.setLevel(logging.INFO)
    log.addHandler(handler)
"""

RUNNER = """
import gc, json, time
def rss_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
before = rss_kb()
{setup}
{logging_setup}
exec("def timed():\\n    for _ in range({n}):\\n        " + {stmt!r} + "\\n", globals())
timed()
runs = []
for _ in range({rounds}):
    gc.disable()
    t0 = time.perf_counter_ns()
    timed()
    t1 = time.perf_counter_ns()
    gc.enable()
    runs.append((t1 - t0) / {n})
print(json.dumps({{"ns": sorted(runs)[len(runs) // 2], "rss_added_kb": rss_kb() - before}}))
"""


BUILD = pathlib.Path(__file__).resolve().parents[2] / "build" / "bench-python"


def build_noop() -> None:
    """Compiles bench/python/noop.c, the floor of the bound add."""
    BUILD.mkdir(parents=True, exist_ok=True)
    out = BUILD / ("otelrs_bench_noop" + sysconfig.get_config_var("EXT_SUFFIX"))
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-I", sysconfig.get_paths()["include"],
                    str(pathlib.Path(__file__).with_name("noop.c")), "-o", str(out)], check=True)


def run_case(library: str, stmt: str, logging_case: bool) -> dict[str, float]:
    code = RUNNER.format(
        setup=textwrap.dedent(SETUP[library]),
        logging_setup=textwrap.dedent(LOGGING_SETUP) if logging_case else "",
        stmt=stmt,
        n=N,
        rounds=ROUNDS,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTELRS_"))}
    env["PYTHONPATH"] = str(BUILD)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout)


def idle_rss_kb(library: str) -> int:
    """RSS added by importing and setting up the library, instruments and handler included."""
    code = RUNNER.format(setup=textwrap.dedent(SETUP[library]), logging_setup="", stmt="pass", n=1, rounds=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTELRS_"))}
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env)
    return int(json.loads(out.stdout)["rss_added_kb"])


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def main() -> int:
    build_noop()
    results: dict[str, dict[str, float]] = {}
    for case, by_library in CASES.items():
        results[case] = {}
        for library, stmt in by_library.items():
            results[case][library] = run_case(library, stmt, case == "logging_info")["ns"]
    rss = {lib: idle_rss_kb(lib) for lib in ("otelrs", "opentelemetry-sdk", "prometheus_client")}

    def cell(case: str, library: str) -> str:
        v = results[case].get(library)
        return f"{v:,.0f}" if v is not None else "—"

    r = results
    sdk_ratio = r["counter_add_attrs"]["opentelemetry-sdk"] / r["counter_add_attrs"]["otelrs"]
    prom_ratio = r["counter_add_attrs"]["prometheus_client"] / r["counter_add_attrs"]["otelrs"]
    bound_ratio = r["counter_add_bound"]["otelrs"] / r["counter_add_bound"]["floor"]
    api = max(r["counter_add_api"]["otelrs-api"], r["counter_add_api_proxy"]["otelrs-api"])
    api_own_ratio = api / r["counter_add_attrs"]["otelrs"]
    api_sdk_ratio = r["counter_add_attrs"]["opentelemetry-sdk"] / api
    log_ratio = r["logging_info"]["otelrs"] / r["logging_info"]["floor"]
    lines = [
        "## Python",
        "",
        f"ns per call, median of {ROUNDS} rounds x {N:,} calls, each library in its own interpreter "
        f"(CPython {sys.version.split()[0]}). Versions: otelrs {version('otelrs')}, opentelemetry-sdk "
        f"{version('opentelemetry-sdk')} (InMemoryMetricReader; BatchLogRecordProcessor into a discarding "
        f"exporter), prometheus_client {version('prometheus_client')}. otelrs: memory metrics reader, "
        "`discard` log exporter. Command: `python3 bench/python/bench.py` (also run by bench/run.py).",
        "",
        "| Operation | otelrs | opentelemetry-sdk | prometheus_client | floor |",
        "|---|---:|---:|---:|---:|",
        f"| Counter add, 3-attribute dict (prometheus_client: `labels(...).inc()`) | {cell('counter_add_attrs', 'otelrs')} | "
        f"{cell('counter_add_attrs', 'opentelemetry-sdk')} | {cell('counter_add_attrs', 'prometheus_client')} | — |",
        f"| Counter add, 3-attribute dict, through opentelemetry-api with otelrs installed "
        f"(`otelrs.otel_api.install()`): a meter taken after / a proxy instrument taken before "
        f"(opentelemetry-sdk: its own instruments are the API's) | {cell('counter_add_api', 'otelrs-api')} / "
        f"{cell('counter_add_api_proxy', 'otelrs-api')} | {cell('counter_add_attrs', 'opentelemetry-sdk')} | — | — |",
        f"| Bound add (prometheus_client: the `labels()` child's `inc()`; floor: a no-op C extension function, bench/python/noop.c) | "
        f"{cell('counter_add_bound', 'otelrs')} | — | {cell('counter_add_bound', 'prometheus_client')} | "
        f"{cell('counter_add_bound', 'floor')} |",
        f"| Histogram record, 3-attribute dict (prometheus_client: a `labels()` child's `observe()`) | "
        f"{cell('histogram_record', 'otelrs')} | {cell('histogram_record', 'opentelemetry-sdk')} | "
        f"{cell('histogram_record', 'prometheus_client')} | — |",
        f"| `logging` `log.info` with each library's handler (floor: `logging.NullHandler`) | "
        f"{cell('logging_info', 'otelrs')} | {cell('logging_info', 'opentelemetry-sdk')} | — | "
        f"{cell('logging_info', 'floor')} |",
        f"| Added RSS after import and setup (MB) | {rss['otelrs'] / 1024:.1f} | "
        f"{rss['opentelemetry-sdk'] / 1024:.1f} | {rss['prometheus_client'] / 1024:.1f} | — |",
        "",
        "Targets:",
        f"- counter add with attributes at least 20x faster than opentelemetry-sdk: **{sdk_ratio:.1f}x** "
        f"({'met' if sdk_ratio >= 20 else 'missed'}); faster than prometheus_client's `labels().inc()`: "
        f"**{prom_ratio:.1f}x** ({'met' if prom_ratio > 1 else 'missed'}).",
        f"- an add through opentelemetry-api at most 2x otelrs's own add: **{api_own_ratio:.2f}x** "
        f"({'met' if api_own_ratio <= 2 else 'missed'}), at least 10x faster than opentelemetry-sdk: "
        f"**{api_sdk_ratio:.1f}x** ({'met' if api_sdk_ratio >= 10 else 'missed'}) (the slower of the two API rows).",
        f"- bound add within 2x of a no-op C-extension call: **{bound_ratio:.2f}x** "
        f"({'met' if bound_ratio <= 2 else 'missed'}).",
        f"- logging through otelrs's handler within 1.5x of the NullHandler floor: **{log_ratio:.2f}x** "
        f"({'met' if log_ratio <= 1.5 else 'missed'}).",
        f"- added RSS under 10 MB: **{rss['otelrs'] / 1024:.1f} MB** ({'met' if rss['otelrs'] < 10 * 1024 else 'missed'}).",
        "",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
