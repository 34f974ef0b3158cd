#!/usr/bin/env python3
"""Runs the benchmark and writes bench/RESULTS.md.

Builds libotelrs (release) into build/prefix, bench_c.c and bench_logs.c against it with
pkg-config, the Rust program that calls opentelemetry_sdk directly, and the test Collector;
then runs the C and Rust sides alternately, three times each, and reports per operation the
median ns/op of each side; then the log rates: the highest paced rate with zero drops at the
default queue, and the highest rate delivered to the Collector over OTLP gRPC with zero drops;
then collection with its encodings, memory per series and the overflow path beside the SDK
(bench/bench_collect.c); then the Python benchmark (bench/python/bench.py) against opentelemetry-sdk and
prometheus_client, the pre-fork scrape (bench/python/prefork.py) against prometheus_client's
multiprocess mode, the cost of measuring a web request (bench/python/web.py) against the official
instrumentation, logs to each backend (bench/backends.py: the Collector, Loki, Elasticsearch,
ClickHouse), and the Ruby one (bench/ruby/bench.rb).

    python3 bench/run.py
    python3 bench/run.py --only collection   # one section again, in place in RESULTS.md
"""

from __future__ import annotations

import os
import pathlib
import platform
import json
import shutil
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone

ROOT = pathlib.Path(__file__).resolve().parent.parent
PREFIX = ROOT / "build" / "prefix"
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
RUNS = 3

LABELS = {
    "counter_add_3_attrs_by_array": "Counter add, 3 string attributes by array (Rust: owned Strings each call)",
    "counter_add_3_attrs_set": "Counter add, 3 attributes as a reusable set (C `_add_set`; Rust: prepared slice)",
    "counter_add_bound": "Counter add, bound to the set (C `otelrs_bound_counter_u64_add`; Rust `BoundCounter::add`)",
    "histogram_record_set": "Histogram record, reusable set",
    "histogram_record_bound": "Histogram record, bound",
    "counter_add_0_attrs": "Counter add, no attributes",
}
LOG_RATES = [250_000, 500_000, 750_000, 1_000_000, 1_500_000, 2_000_000, 3_000_000]
COLLECTOR_RATES = [100_000, 150_000, 200_000, 250_000, 300_000, 400_000]


def sh(*cmd: str, **kw) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT, **kw).stdout


def parse(out: str) -> dict[str, float]:
    return {name: float(ns) for name, ns in (line.split() for line in out.splitlines() if line.strip())}


def cpu_model() -> str:
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def paced(cmd: list[str], rate: int, seconds: float, env: dict[str, str]) -> tuple[int, int]:
    out = subprocess.run([*cmd, "paced", str(rate), str(seconds)], check=True, capture_output=True, text=True,
                         env=env, cwd=ROOT).stdout.split()
    return int(out[1]), int(out[3])


def highest_without_drops(cmd: list[str], rates: list[int], env: dict[str, str], trials: int = 2) -> int:
    """The highest rate at which every trial of one second dropped nothing."""
    best = 0
    for rate in rates:
        if any(paced(cmd, rate, 1, env)[1] for _ in range(trials)):
            break
        best = rate
    return best


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def delivered(log_path: pathlib.Path) -> int:
    total = 0
    for line in log_path.read_text().splitlines():
        try:
            total += json.loads(line).get("log records", 0)
        except json.JSONDecodeError:
            pass
    return total


COLLECTOR_TRIALS, COLLECTOR_SECONDS = 3, 3


def collector_rate(logs_bin: pathlib.Path) -> tuple[int, list[str]]:
    """The highest rate whose records all reached the Collector in every trial, and the trials."""
    binary = ROOT / "build" / "otelcol-test"
    subprocess.run(["go", "build", "-o", str(binary), "."], check=True, cwd=ROOT / "tests" / "collector")
    port = free_port()
    log_path = ROOT / "build" / "bench-collector.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([str(binary), "--config", str(ROOT / "bench" / "collector.yaml")], stdout=log,
                                stderr=log, env=dict(os.environ, OTELRS_BENCH_GRPC_PORT=str(port)))
    try:
        for _ in range(100):
            if socket.socket().connect_ex(("127.0.0.1", port)) == 0:
                break
            time.sleep(0.1)
        env = {"PATH": os.environ["PATH"], "OTEL_LOGS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
               "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}", "OTEL_METRICS_EXPORTER": "none"}
        best, trials = 0, []
        for rate in COLLECTOR_RATES:
            lost = False
            for _ in range(COLLECTOR_TRIALS):
                before = delivered(log_path)
                emitted, dropped = paced([str(logs_bin)], rate, COLLECTOR_SECONDS, env)
                time.sleep(0.5)
                got = delivered(log_path) - before
                trials.append(f"{rate // 1000}k/s: {emitted} emitted, {dropped} dropped, {got} received")
                lost = lost or bool(dropped) or got != emitted
            if lost:
                break
            best = rate
        return best, trials
    finally:
        proc.terminate()
        proc.wait()


PEER_SERVER = """
import sys, prometheus_client as p
registry = p.CollectorRegistry()
for n in range(5):
    c = p.Counter(f"bench_requests_{n}", "Requests", ["http_route", "http_request_method"], registry=registry)
    for i in range(2000):
        c.labels(f"/route/{i}", "GET").inc(i + 1)
p.start_http_server(int(sys.argv[1]), addr="127.0.0.1", registry=registry)
print("ready", flush=True)
sys.stdin.read()
"""

SCRAPES = 30


def scrape_figures(port: int) -> dict[str, tuple[float, int]]:
    """Median ms per scrape and bytes on the wire, per way of asking."""
    import urllib.request

    asks = {
        "text": {},
        "text, gzip": {"Accept-Encoding": "gzip"},
        "OpenMetrics": {"Accept": "application/openmetrics-text;version=1.0.0"},
    }
    out = {}
    for label, headers in asks.items():
        times, size = [], 0
        for _ in range(SCRAPES):
            t0 = time.perf_counter()
            with urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers=headers)) as r:
                size = len(r.read())
            times.append((time.perf_counter() - t0) * 1000)
        out[label] = (statistics.median(times), size)
    return out


def serving(cmd: list[str], port: int) -> dict[str, tuple[float, int]]:
    proc = subprocess.Popen([*cmd, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout.readline() == "ready\n"
        return scrape_figures(port)
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


def prometheus_section(flags: list[str]) -> str:
    """Scrapes of 10 000 series from otelrs and from prometheus_client, and the cost of a
    measurement in the overflow series."""
    exe = ROOT / "build" / "bench_prometheus"
    sh("cc", "-std=c99", "-O2", "bench/bench_prometheus.c", *flags, "-o", str(exe))
    ours = serving([str(exe), "serve"], free_port())
    peer = serving([sys.executable, "-c", PEER_SERVER], free_port())
    runs = [parse(sh(str(exe), "overflow", env={"PATH": os.environ["PATH"]})) for _ in range(RUNS)]
    series_ns = statistics.median(r["add_series"] for r in runs)
    overflow_ns = statistics.median(r["add_overflow"] for r in runs)
    lines = [
        "## Prometheus endpoint and cardinality",
        "",
        f"10 000 series (five counters of 2 000 attribute sets), scraped {SCRAPES} times per row over loopback: median",
        "ms per scrape (client side, collection and encoding included) and bytes on the wire. The peer is",
        "prometheus_client (Python) serving the same series with its own HTTP server, in the same run.",
        "Command: `python3 bench/run.py` (bench/bench_prometheus.c).",
        "",
        "| Scrape | otelrs ms | otelrs bytes | prometheus_client ms | prometheus_client bytes |",
        "|---|---:|---:|---:|---:|",
    ]
    for label in ours:
        (o_ms, o_b), (p_ms, p_b) = ours[label], peer[label]
        lines.append(f"| {label} | {o_ms:.1f} | {o_b:,} | {p_ms:.1f} | {p_b:,} |")
    lines += [
        "",
        f"Counter add by array (2 string attributes), median of {RUNS} runs: {series_ns:.1f} ns for attribute sets",
        f"that have a series (1 000 rotating), {overflow_ns:.1f} ns for sets past the limit of 2 000 (100 000 rotating:",
        "98 % of the adds go to the overflow series: past the series cache, a set the SDK has no series of",
        "goes there without being converted or looked up by the SDK, docs/decisions/0007-overflow-gate.md).",
        "",
    ]
    return "\n".join(lines)


SERIES = [1_000, 10_000, 100_000]


def spread(values: list[float], fmt: str = ".1f") -> str:
    """The median of the runs and their range: `12.3 (11.9-12.8)`."""
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def collection_section(flags: list[str], rust_bin: pathlib.Path) -> str:
    """Collection with its encoding, memory per series and the overflow path, otelrs from C
    (bench/bench_collect.c) beside opentelemetry_sdk from Rust (bench/sdk-direct), alternating."""
    exe = ROOT / "build" / "bench_collect"
    sh("cc", "-std=c99", "-O2", "bench/bench_collect.c", *flags, "-o", str(exe))
    plain = {"PATH": os.environ["PATH"]}
    ours_enc, sdk_enc = ["json", "protobuf", "prometheus"], ["json", "protobuf"]
    ours: dict[tuple[int, str], list[dict[str, float]]] = {}
    sdk: dict[tuple[int, str], list[dict[str, float]]] = {}
    for _ in range(RUNS):
        for n in SERIES:
            for e in ours_enc:
                ours.setdefault((n, e), []).append(parse(sh(str(exe), "collect", str(n), e, env=plain)))
            for e in sdk_enc:
                sdk.setdefault((n, e), []).append(parse(sh(str(rust_bin), "collect", str(n), e, env=plain)))
    overflow_ours = [parse(sh(str(exe), "overflow", env=plain))["add_overflow"] for _ in range(RUNS)]
    overflow_sdk = [parse(sh(str(rust_bin), "overflow", env=plain))["add_overflow"] for _ in range(RUNS)]

    def ms(side: dict, n: int, e: str) -> list[float]:
        return [r["collect_ms"] for r in side[(n, e)]]

    def per_series(side: dict, n: int, e: str, key: str) -> list[float]:
        return [r[key] / n for r in side[(n, e)]]

    lines = [
        "## Collection, memory per series and the overflow path",
        "",
        "One counter with N series (three string attributes, one distinct per series), recorded once each;",
        "then one collection encoded, timed: median ms of 21 collections (7 at 100 000 series) in each of "
        f"{RUNS} runs,",
        "median of the runs and their range. otelrs from C (bench/bench_collect.c): OTLP JSON is",
        "`otelrs_sdk_collect_json` of the memory exporter; OTLP protobuf is a flush through a metric exporter",
        "written in C (`otelrs_config_add_metric_exporter`, the collection thread's hand-over included);",
        "Prometheus is `otelrs_sdk_prometheus_exposition` (text format, no port). opentelemetry_sdk 0.33 from",
        "Rust (bench/sdk-direct): a ManualReader's collect, `ExportMetricsServiceRequest::from`, then prost's",
        "`encode_to_vec` or serde_json. The cardinality limit is raised above N on both sides. Command:",
        "`python3 bench/run.py`.",
        "",
        "| Series | otelrs JSON ms | SDK JSON ms | ratio | otelrs protobuf ms | SDK protobuf ms | ratio | otelrs Prometheus text ms | ratio to SDK protobuf |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    worst = 0.0
    for n in SERIES:
        oj, sj = ms(ours, n, "json"), ms(sdk, n, "json")
        op, sp = ms(ours, n, "protobuf"), ms(sdk, n, "protobuf")
        pt = ms(ours, n, "prometheus")
        rj = statistics.median(oj) / statistics.median(sj)
        rp = statistics.median(op) / statistics.median(sp)
        rt = statistics.median(pt) / statistics.median(sp)
        worst = max(worst, rj, rp)
        lines.append(f"| {n:,} | {spread(oj, '.2f')} | {spread(sj, '.2f')} | {rj:.2f}x | {spread(op, '.2f')} | "
                     f"{spread(sp, '.2f')} | {rp:.2f}x | {spread(pt, '.2f')} | {rt:.2f}x |")
    lines += [
        "",
        "Resident anonymous memory the series added (`RssAnon`: the heap and mappings of no file, not the",
        "library code the first recordings fault in; bytes per series: after recording them, and after the",
        "collections above, which leave the allocator's freed buffers in the process), from the JSON runs:",
        "",
        "| Series | otelrs after recording | SDK after recording | ratio | otelrs after collections | SDK after collections |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    mem_ratios = []
    for n in SERIES:
        o = per_series(ours, n, "json", "series_rss_bytes")
        s_ = per_series(sdk, n, "json", "series_rss_bytes")
        oa = per_series(ours, n, "json", "after_rss_bytes")
        sa = per_series(sdk, n, "json", "after_rss_bytes")
        r = statistics.median(o) / statistics.median(s_)
        mem_ratios.append((n, r))
        lines.append(f"| {n:,} | {spread(o, '.0f')} | {spread(s_, '.0f')} | {r:.2f}x | {spread(oa, '.0f')} | "
                     f"{spread(sa, '.0f')} |")
    ro = statistics.median(overflow_ours) / statistics.median(overflow_sdk)
    lines += [
        "",
        "Counter add past the cardinality limit (100 000 rotating attribute sets of two strings, 98 % of them",
        "past the limit of 2 000), ns per add, median of 7 rounds per run: otelrs by array from C "
        f"**{spread(overflow_ours)}**, opentelemetry_sdk with owned Strings (each made per call, as a binding",
        f"must) **{spread(overflow_sdk)}**: {ro:.2f}x.",
        "",
        "Targets:",
        f"- collection with OTLP encoding at or below the SDK's collect + encode at 1k, 10k and 100k series: "
        f"worst ratio **{worst:.2f}x** ({'met' if worst <= 1.0 else 'missed'}).",
        "- memory per series at most 1.1x the SDK's: " + ", ".join(
            f"{n:,} series **{r:.2f}x**" for n, r in mem_ratios) +
        f" ({'met' if all(r <= 1.1 for _, r in mem_ratios) else 'missed'}).",
        f"- the overflow path at most the SDK's: **{ro:.2f}x** ({'met' if ro <= 1.0 else 'missed'}).",
        "",
    ]
    return "\n".join(lines)


def exemplars_section(c_bin: pathlib.Path) -> str:
    """bench_c under each exemplar filter: what exemplars cost on the hot paths."""
    ops = ["counter_add_3_attrs_by_array", "counter_add_bound", "histogram_record_bound"]
    filters = ["always_off", "trace_based", "always_on"]
    figures = {}
    for f in filters:
        runs = [parse(sh(str(c_bin), env={"PATH": os.environ["PATH"], "OTEL_METRICS_EXEMPLAR_FILTER": f}))
                for _ in range(RUNS)]
        figures[f] = {op: statistics.median(r[op] for r in runs) for op in ops}
    lines = [
        "## Exemplars",
        "",
        f"bench_c under each OTEL_METRICS_EXEMPLAR_FILTER, ns/op, median of {RUNS} runs (each the median of 7",
        "rounds). No trace context is current, so `trace_based` (the default) keeps nothing: its cost is",
        "one check of a global count of threads in a sampled trace. `always_on` keeps measurements.",
        "Command: `python3 bench/run.py`.",
        "",
        "| Operation | " + " | ".join(filters) + " |",
        "|---|" + "---:|" * len(filters),
    ]
    for op in ops:
        lines.append(f"| {LABELS[op]} | " + " | ".join(f"{figures[f][op]:.1f}" for f in filters) + " |")
    lines.append("")
    return "\n".join(lines)


SYSTEM_GROUPS = ["none", "host", "process", "runtime", "sdk", "all"]

PEER_SYSTEM = """
import time
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.instrumentation.system_metrics import SystemMetricsInstrumentor
reader = InMemoryMetricReader()
SystemMetricsInstrumentor().instrument(meter_provider=MeterProvider(metric_readers=[reader]))
reader.get_metrics_data().to_json()
start = time.process_time()
for _ in range(20):
    data = reader.get_metrics_data()
    text = data.to_json()
print((time.process_time() - start) / 20 * 1000,
      sum(len(m.data.data_points) for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics))
"""

OURS_PYTHON_SYSTEM = """
import time, otelrs
otelrs.init(metrics_exporter="memory", logs_exporter="none", system_metrics="all")
otelrs.collect_json()
start = time.process_time()
for _ in range(20):
    text = otelrs.collect_json()
print((time.process_time() - start) / 20 * 1000, text.count('"timeUnixNano"'))
"""


def system_section(flags: list[str]) -> str:
    """What OTELRS_SYSTEM_METRICS costs per collection, against the Python system metrics
    instrumentation, and the recording hot path with them on and off."""
    exe = ROOT / "build" / "bench_system"
    sh("cc", "-std=c99", "-O2", "bench/bench_system.c", *flags, "-o", str(exe))
    plain = {"PATH": os.environ["PATH"]}
    collect = {}
    for g in SYSTEM_GROUPS:
        runs = [parse(sh(str(exe), "collect", g, env=plain)) for _ in range(RUNS)]
        collect[g] = (statistics.median(r["collect_cpu_ms"] for r in runs), int(runs[0]["points"]))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTELRS_"))}
    peer = [sh(sys.executable, "-c", PEER_SYSTEM, env=clean).split() for _ in range(RUNS)]
    peer_ms, peer_points = statistics.median(float(p[0]) for p in peer), int(peer[0][1])
    ours_py = [sh(sys.executable, "-c", OURS_PYTHON_SYSTEM, env=clean).split() for _ in range(RUNS)]
    ours_py_ms, ours_py_points = statistics.median(float(p[0]) for p in ours_py), int(ours_py[0][1])
    record = {}
    for g in ("none", "all"):
        runs = [parse(sh(str(exe), "record", g, env=plain)) for _ in range(RUNS)]
        record[g] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    tcp_ms = tcp_table_ms()
    lines = [
        "## System metrics (OTELRS_SYSTEM_METRICS)",
        "",
        f"CPU time of one collection with each group on: `otelrs_sdk_collect_json` of the memory exporter (OTLP-JSON",
        f"encoding included), median over {RUNS} runs of the mean of 100 collections. The peer is",
        "opentelemetry-instrumentation-system-metrics (Python, psutil) with its default metrics, collected by an",
        "InMemoryMetricReader and encoded with `to_json()`, 20 collections, in the same run.",
        "Command: `python3 bench/run.py` (bench/bench_system.c).",
        "",
        "| Groups | CPU ms per collection | data points |",
        "|---|---:|---:|",
    ]
    for g, (ms, points) in collect.items():
        lines.append(f"| otelrs from C, `{g}` | {ms:.3f} | {points} |")
    lines += [
        f"| otelrs from Python, `all` (with the Python runtime's metrics) | {ours_py_ms:.3f} | {ours_py_points} |",
        f"| opentelemetry-instrumentation-system-metrics (Python) | {peer_ms:.3f} | {peer_points} |",
        "",
        "`system.network.connection.count` asks the kernel through netlink (sock_diag), one dump per address",
        f"family: reading /proc/net/tcp and /proc/net/tcp6 instead costs {tcp_ms:.1f} ms per collection on this",
        "machine (measured alone here), as the kernel walks its whole TCP hash table for every read, however few",
        "connections there are; it is the fallback where netlink is refused. At the default 60 s interval the whole",
        f"set costs {collect['all'][0] / 600:.4f} % of one CPU. With the memory exporter alone, `runtime` and `sdk`",
        "have nothing to report (no gRPC runtime, no push exporter, no log queue).",
        "",
        "The recording hot path while a file exporter collects every 100 ms (ns/op, median of 7 rounds, median",
        f"of {RUNS} runs), with no system metrics and with all of them:",
        "",
        "| Operation | `none` | `all` |",
        "|---|---:|---:|",
    ]
    for op in ("counter_add_bound", "counter_add_3_attrs_by_array"):
        lines.append(f"| {LABELS[op]} | {record['none'][op]:.1f} | {record['all'][op]:.1f} |")
    lines.append("")
    return "\n".join(lines)


def tcp_table_ms() -> float:
    """CPU ms of reading /proc/net/tcp and /proc/net/tcp6 once."""
    start = time.process_time()
    for _ in range(50):
        for path in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(path) as f:
                f.read()
    return (time.process_time() - start) / 50 * 1000


def python_section() -> str:
    """Builds and installs the Python wheel and the peers, then runs bench/python/bench.py."""
    subprocess.run(["make", "wheel", f"PYTHON={sys.executable}"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    wheels = sorted((ROOT / "build" / "wheels").glob("otelrs-*.whl"))
    pip = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "--force-reinstall", "--no-deps", str(wheels[-1])], check=True)
    subprocess.run([*pip, "-r", str(ROOT / "bench" / "python" / "requirements.txt")], check=True)
    return sh(sys.executable, str(ROOT / "bench" / "python" / "bench.py")).rstrip() + "\n"


def prefork_section() -> str:
    """Runs bench/python/prefork.py (otelrs and prometheus_client installed by python_section)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTELRS_", "PROMETHEUS_"))}
    return sh(sys.executable, str(ROOT / "bench" / "python" / "prefork.py"), env=env).rstrip() + "\n"


def web_section() -> str:
    """Runs bench/python/web.py (the official instrumentation installed by python_section)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTELRS_"))}
    return sh(sys.executable, str(ROOT / "bench" / "python" / "web.py"), env=env).rstrip() + "\n"


def backends_section() -> str:
    """Runs bench/backends.py: logs to the Collector, Loki, Elasticsearch and ClickHouse."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTELRS_"))}
    table = sh(sys.executable, str(ROOT / "bench" / "backends.py"), env=env).rstrip()
    return "\n".join([
        "## Logs to each backend",
        "",
        "bench_logs paced (body + 3 attributes) to each exporter, in one run: OTLP gRPC to the Collector,",
        "`loki` and `elasticsearch` to VictoriaLogs (built from its Go module), `clickhouse` to ClickHouse's",
        "engine (chDB) behind the tests' HTTP front (one Python thread: its ceiling, not ClickHouse's). The",
        "highest rate counts only when every record arrived (queried back) and none was dropped. CPU is the",
        "sending process's (user + system). Every backend, OTLP too, runs with OTEL_BLRP_MAX_QUEUE_SIZE=65536 and",
        "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE=8192 (a queue that holds a backend's pause; the batches bulk APIs and",
        "ClickHouse want). Command: `python3 bench/backends.py` (after bench/run.py built",
        "bench_logs).",
        "",
        table,
        "",
    ])


def ruby_section() -> str:
    """Runs bench/ruby/bench.rb against the library installed in build/prefix."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTELRS_"))}
    env["OTELRS_LIB"] = str(PREFIX / "lib" / "libotelrs.so")
    return sh("ruby", "-I", str(ROOT / "ruby" / "lib"), str(ROOT / "bench" / "ruby" / "bench.rb"), env=env).rstrip() + "\n"


def replace_section(text: str) -> None:
    """Puts `text`, a section starting with its `## ` heading, in place of the section of that
    heading in bench/RESULTS.md."""
    path = ROOT / "bench" / "RESULTS.md"
    lines = path.read_text().split("\n")
    heading = text.split("\n", 1)[0]
    start = lines.index(heading)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    path.write_text("\n".join(lines[:start] + text.rstrip("\n").split("\n") + [""] + lines[end:]))
    print(text)


def main() -> int:
    subprocess.run(["make", "install", f"PREFIX={PREFIX}"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "otelrs-bench-sdk-direct"], check=True, cwd=ROOT)
    env = dict(os.environ, PKG_CONFIG_PATH=str(PREFIX / "lib" / "pkgconfig"))
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "otelrs"], env=env, check=True,
                           capture_output=True, text=True).stdout.split()
    c_bin = ROOT / "build" / "bench_c"
    logs_bin = ROOT / "build" / "bench_logs"
    sh("cc", "-std=c99", "-O2", "bench/bench_c.c", *flags, "-o", str(c_bin))
    sh("cc", "-std=c99", "-O2", "bench/bench_logs.c", *flags, "-o", str(logs_bin))
    rust_bin = TARGET / "release" / "otelrs-bench-sdk-direct"
    plain = {"PATH": os.environ["PATH"]}
    if len(sys.argv) == 3 and sys.argv[1] == "--only":
        sections = {
            "collection": lambda: collection_section(flags, rust_bin),
            "exemplars": lambda: exemplars_section(c_bin),
            "python": python_section,
            "prometheus": lambda: prometheus_section(flags),
            "backends": backends_section,
            "ruby": ruby_section,
        }
        replace_section(sections[sys.argv[2]]())
        return 0

    c_runs, rust_runs = [], []
    for _ in range(RUNS):
        run = parse(sh(str(c_bin), env=plain))
        run.update(parse(sh(str(logs_bin), "emit", env=plain)))
        run.update(parse(sh(str(logs_bin), "filtered", env=plain)))
        c_runs.append(run)
        rust_runs.append(parse(sh(str(rust_bin))))
    c = {k: statistics.median(r[k] for r in c_runs) for k in c_runs[0]}
    fr = {k: [r[k] for r in c_runs] for k in ("log_filtered", "logger_enabled")}
    rust = {k: statistics.median(r[k] for r in rust_runs) for k in rust_runs[0]}

    discard = dict(plain, OTEL_LOGS_EXPORTER="discard", OTEL_METRICS_EXPORTER="none")
    ours_rate = highest_without_drops([str(logs_bin)], LOG_RATES, discard)
    big_queue_rate = highest_without_drops([str(logs_bin)], LOG_RATES, dict(discard, OTEL_BLRP_MAX_QUEUE_SIZE="16384"))
    sdk_rate = highest_without_drops([str(rust_bin)], LOG_RATES, plain)
    to_collector, trials = collector_rate(logs_bin)
    # The on-disk queue in front of an OTLP endpoint that is down: what recording costs then.
    queue_dir = ROOT / "build" / "bench-queue"
    shutil.rmtree(queue_dir, ignore_errors=True)
    queued = dict(plain, OTEL_LOGS_EXPORTER="otlp", OTEL_METRICS_EXPORTER="none",
                  OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{free_port()}",
                  OTELRS_EXPORTER_OTLP_QUEUE_DIR=str(queue_dir), OTELRS_EXPORTER_OTLP_QUEUE_MAX_BYTES=str(64 << 20),
                  OTEL_BLRP_EXPORT_TIMEOUT="2000")

    def fresh_queue() -> None:
        # Each trial starts with an empty queue: a process adopts what an earlier one left,
        # and what the cap then deletes of that would count as this trial's drops.
        shutil.rmtree(queue_dir, ignore_errors=True)

    emits = []
    for _ in range(RUNS):
        fresh_queue()
        emits.append(parse(sh(str(logs_bin), "emit_env", env=queued))["log_emit_3_attrs_env"])
    queued_emit = statistics.median(emits)
    queued_rate = 0
    for rate in LOG_RATES:
        drops = []
        for _ in range(2):
            fresh_queue()
            drops.append(paced([str(logs_bin)], rate, 1, queued)[1])
        if any(drops):
            break
        queued_rate = rate
    fresh_queue()

    by_array = c["counter_add_3_attrs_by_array"] / rust["counter_add_3_attrs_by_array"]
    bound = c["counter_add_bound"]
    lines = [
        "# Benchmark results",
        "",
        "Recording cost per operation, single thread, one cumulative reader, medians of",
        f"{RUNS} runs x 7 rounds x 2 000 000 operations. Command (from the repository root):",
        "",
        "    python3 bench/run.py",
        "",
        f"Machine: {os.cpu_count()} cores, {cpu_model()}; {platform.system()} {platform.release()}.",
        f"Run: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}.",
        "",
        "Each figure: the median of the runs (their range).",
        "",
        "| Operation | otelrs from C, through libotelrs.so (ns/op) | opentelemetry_sdk 0.33 from Rust (ns/op) | ratio |",
        "|---|---:|---:|---:|",
    ]
    for k, label in LABELS.items():
        ours = [r[k] for r in c_runs]
        peer = [r[k] for r in rust_runs]
        lines.append(f"| {label} | {spread(ours)} | {spread(peer)} | {c[k] / rust[k]:.2f}x |")
    lines += [
        "",
        "Targets:",
        f"- by-array path within 1.3x of the direct Rust SDK call with owned attributes: "
        f"**{by_array:.2f}x** ({'met' if by_array <= 1.3 else 'missed'}).",
        f"- bound recording within 2x of the SDK's bound call: counter **{bound / rust['counter_add_bound']:.2f}x**, "
        f"histogram **{c['histogram_record_bound'] / rust['histogram_record_bound']:.2f}x** "
        f"({'met' if bound <= 2 * rust['counter_add_bound'] and c['histogram_record_bound'] <= 2 * rust['histogram_record_bound'] else 'missed'}).",
        f"- reusable-set path at most 10 ns/op: the bound path is **{bound:.1f} ns/op** "
        f"({'met' if bound <= 10 else 'missed'}); `_add_set` without binding is "
        f"{c['counter_add_3_attrs_set']:.1f} ns/op (the series is found by the set's identity in the "
        f"instrument's series cache: one hash of 9 bytes, no conversion, sorting or allocation).",
        "",
        "## Logs",
        "",
        "| Operation | otelrs from C | opentelemetry_sdk 0.33 from Rust | ratio |",
        "|---|---:|---:|---:|",
        f"| Emit INFO, body + 3 string attributes, exporter discarding (ns/record) | "
        f"{c['log_emit_3_attrs']:.1f} | {rust['log_emit_3_attrs']:.1f} | "
        f"{c['log_emit_3_attrs'] / rust['log_emit_3_attrs']:.2f}x |",
        f"| Emit a record below the minimum severity (ns/record) | {spread(fr['log_filtered'])} | — | |",
        f"| `otelrs_logger_enabled` for a severity below the minimum (ns/call) | {spread(fr['logger_enabled'])} | — | |",
        f"| Highest paced rate with 0 drops, default queue 2048, 1 s x 2 (records/s) | {ours_rate:,} | {sdk_rate:,} | |",
        f"| The same with OTEL_BLRP_MAX_QUEUE_SIZE=16384 (records/s) | {big_queue_rate:,} | | |",
        f"| Highest rate delivered to the Collector over OTLP gRPC, 0 drops in {COLLECTOR_TRIALS} of {COLLECTOR_TRIALS} "
        f"trials of {COLLECTOR_SECONDS} s (records/s) | {to_collector:,} | | |",
        f"| Emit as above, OTLP through the on-disk queue, endpoint down (ns/record) | {queued_emit:.1f} | | |",
        f"| Highest paced rate with 0 drops, on-disk queue, endpoint down (records/s) | {queued_rate:,} | | |",
        "",
        "Rates tried: " + ", ".join(f"{r:,}" for r in LOG_RATES) + " records/s; Collector trials: "
        + "; ".join(trials) + ".",
        "",
        "Targets:",
        f"- emit within 1.3x of the direct Rust SDK emit: **{c['log_emit_3_attrs'] / rust['log_emit_3_attrs']:.2f}x** "
        f"({'met' if c['log_emit_3_attrs'] <= 1.3 * rust['log_emit_3_attrs'] else 'missed'}).",
        f"- a filtered-out record and `otelrs_logger_enabled` under 5 ns: **{c['log_filtered']:.1f} ns** and "
        f"**{c['logger_enabled']:.1f} ns** ({'met' if max(c['log_filtered'], c['logger_enabled']) < 5 else 'missed'}).",
        f"- at least 2 M records/s from one thread into the batch processor with 0 drops: **{ours_rate:,}/s** at the "
        f"default queue ({'met' if ours_rate >= 2_000_000 else 'missed'}), {big_queue_rate:,}/s with a 16384 queue.",
        f"- at least 300 k records/s delivered to the Collector with 0 drops in every trial: **{to_collector:,}/s** "
        f"({'met' if to_collector >= 300_000 else 'missed'}).",
        "",
    ]
    lines.append(collection_section(flags, rust_bin))
    lines.append(exemplars_section(c_bin))
    lines.append(python_section())
    lines.append(prometheus_section(flags))
    lines.append(prefork_section())
    lines.append(web_section())
    lines.append(backends_section())
    lines.append(system_section(flags))
    lines.append(ruby_section())
    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        lines.append(notes.read_text().rstrip() + "\n")
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
