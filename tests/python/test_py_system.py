"""OTELRS_SYSTEM_METRICS from Python: `otelrs.init(system_metrics=[...])` gives the process
metrics and the Python runtime's (the garbage collector per generation, the threads), with
the names, units and attributes of the semantic conventions; `otelrs.health()` goes failing
while the Collector is stopped and ok again once it is back."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any, Callable, Dict, Optional, Protocol

import pytest
from helpers import JSON, env, metrics, number, ok, points


def collected(code: str, **settings: str) -> Dict[str, JSON]:
    out = ok(f"""
import json, otelrs
{textwrap.dedent(code)}
print(otelrs.collect_json())
""", env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none", **settings))
    return metrics(json.loads(out.splitlines()[-1]))


def test_runtime_metrics_count_collections_and_threads() -> None:
    got = collected("""
import gc, threading
otelrs.init(system_metrics=["runtime", "process"])
before = gc.get_stats()[2]["collections"]
gc.collect(); gc.collect()
stop = threading.Event()
threads = [threading.Thread(target=stop.wait, daemon=True) for _ in range(3)]
for t in threads: t.start()
print(gc.get_stats()[2]["collections"] - before)
""")
    collections = points(got["cpython.gc.collections"])
    assert got["cpython.gc.collections"]["unit"] == "{collection}"
    assert got["cpython.gc.collections"]["sum"]["isMonotonic"] is True
    assert set(collections) == {frozenset({("cpython.gc.generation", g)}) for g in (0, 1, 2)}
    assert number(collections[frozenset({("cpython.gc.generation", 2)})]) >= 2
    for name in ("cpython.gc.collected_objects", "cpython.gc.uncollectable_objects"):
        assert got[name]["unit"] == "{object}" and len(points(got[name])) == 3
    (threads,) = points(got["otelrs.runtime.python.threads"]).values()
    assert number(threads) == 4  # the main thread and three waiting
    (os_threads,) = points(got["process.thread.count"]).values()
    assert number(os_threads) >= 4
    cpu = points(got["process.cpu.time"])
    assert set(cpu) == {frozenset({("cpu.mode", "user")}), frozenset({("cpu.mode", "system")})}
    assert got["process.cpu.time"]["unit"] == "s"
    assert "process.unix.file_descriptor.count" in got


def test_the_environment_alone_turns_them_on_and_a_bad_group_is_a_config_error() -> None:
    got = collected("otelrs.get_meter('app')", OTELRS_SYSTEM_METRICS="runtime")
    assert "cpython.gc.collections" in got and "process.cpu.time" not in got
    assert "cpython.gc.collections" not in collected("otelrs.init()")
    out = ok("""
import otelrs
try:
    otelrs.init(system_metrics="host,gpu")
except otelrs.ConfigError as e:
    print(e)
""")
    assert 'invalid value "host,gpu" for OTELRS_SYSTEM_METRICS: unknown group "gpu"' in out


class Restartable(Protocol):
    grpc: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


HEALTH_LOOP = """
import json, sys, threading, time, otelrs
otelrs.init(system_metrics="sdk")
ticks = otelrs.get_meter("health").create_counter("health.ticks")
log = otelrs.get_logger("health")
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
while not done.wait(0.25):
    ticks.add(1)
    log.info("tick")
    print(json.dumps(otelrs.health()), flush=True)
otelrs.shutdown(timeout=2)
print(json.dumps(otelrs.health()), flush=True)
"""


class HealthReader:
    def __init__(self, p: subprocess.Popen[str]):
        self.p = p
        self.lines: queue.Queue[Optional[JSON]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.p.stdout is not None
        for line in self.p.stdout:
            self.lines.put(json.loads(line))
        self.lines.put(None)

    def wait(self, done: Callable[[JSON], bool], timeout: float = 30) -> JSON:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            try:
                report = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            assert report is not None, self.p.stderr.read() if self.p.stderr else ""
            last = report
            if done(report):
                return report
        raise AssertionError(f"no such report within {timeout} s; the last: {last}")


def test_health_fails_while_the_collector_is_down_and_recovers(own_collector: Restartable, service_name: str) -> None:
    p = subprocess.Popen(
        [sys.executable, "-c", HEALTH_LOOP], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
        env=env(OTEL_SERVICE_NAME=service_name, OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
                OTEL_EXPORTER_OTLP_ENDPOINT=own_collector.grpc, OTEL_METRIC_EXPORT_INTERVAL="200",
                OTEL_BLRP_SCHEDULE_DELAY="200", OTEL_EXPORTER_OTLP_TIMEOUT="1000"))
    try:
        h = HealthReader(p)
        first = h.wait(lambda r: r["status"] == "ok" and len(r["exporters"]) == 2
                       and all(e["exports"] > 0 for e in r["exporters"]))
        assert {e["signal"] for e in first["exporters"]} == {"metrics", "logs"}
        own_collector.stop()
        failing = h.wait(lambda r: r["status"] == "failing")
        assert any("the last" in why and "exports failed" in why for why in failing["reasons"])
        worst = [e for e in failing["exporters"] if e["status"] == "failing"]
        assert worst and all(e["consecutive_failures"] >= 3 and e["last_error"] for e in worst)
        own_collector.start()
        healed = h.wait(lambda r: r["status"] == "ok")
        assert all(e["last_success_unix_nano"] > e["last_error_unix_nano"] for e in healed["exporters"])
    finally:
        assert p.stdin is not None
        p.stdin.close()
        p.wait(timeout=30)
    assert p.returncode == 0


@pytest.mark.parametrize("groups", [["host"], "host"])
def test_groups_as_a_list_or_a_comma_string(groups: Any) -> None:
    got = collected(f"otelrs.init(system_metrics={groups!r})")
    assert "system.memory.usage" in got and "process.cpu.time" not in got


def test_health_has_one_shape_with_logs_off() -> None:
    out = ok(
        """
        import json, otelrs
        print(json.dumps(otelrs.health()))
        """,
        env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none"),
    )
    report = json.loads(out)
    assert report["status"] == "ok"
    assert report["logs"] == {"emitted": 0, "filtered": 0, "sampled_out": 0, "suppressed": 0, "kept": 0,
                              "dropped": 0, "attributes_dropped": 0, "refused": 0}
