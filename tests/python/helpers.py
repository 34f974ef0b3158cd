"""Helpers of the Python tests: running a snippet in a fresh interpreter (otelrs has one SDK
per process, as the OpenTelemetry API has one global provider), and reading what otelrs wrote."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap
from typing import Any, Dict, List, Optional, Protocol, Tuple

JSON = Dict[str, Any]


class CollectorLike(Protocol):
    grpc: str
    http: str

    def requests(self) -> List[JSON]: ...

    def wait_for(self, service: str, count: int, timeout: float = 30) -> List[JSON]: ...

    def wait_for_logs(self, service: str, count: int, timeout: float = 30) -> List[Tuple[JSON, JSON]]: ...


def env(**settings: str) -> Dict[str, str]:
    """The environment without the caller's OTEL_/OTELRS_ settings, plus `settings`."""
    out = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTELRS_"))}
    out.update(settings)
    return out


def run_py(code: str, environ: Optional[Dict[str, str]] = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Runs `code` (dedented) in a new interpreter."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=environ if environ is not None else env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def ok(code: str, environ: Optional[Dict[str, str]] = None, timeout: float = 60) -> str:
    """Runs `code` and returns its standard output; fails the test if it fails."""
    r = run_py(code, environ, timeout)
    assert r.returncode == 0, f"exit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    return r.stdout


def value(v: JSON) -> Any:
    """An OTLP-JSON AnyValue as a Python value (arrays as tuples)."""
    if "stringValue" in v:
        return v["stringValue"]
    if "boolValue" in v:
        return v["boolValue"]
    if "intValue" in v:
        return int(v["intValue"])
    if "doubleValue" in v:
        return float(v["doubleValue"])
    if "arrayValue" in v:
        return tuple(value(x) for x in v["arrayValue"].get("values", []))
    return None


def attributes(kvs: Optional[List[JSON]]) -> Dict[str, Any]:
    return {kv["key"]: value(kv.get("value", {})) for kv in kvs or []}


def metrics(request: JSON) -> Dict[str, JSON]:
    """Every metric of an ExportMetricsServiceRequest, by name."""
    return {
        m["name"]: m
        for rm in request.get("resourceMetrics", [])
        for sm in rm.get("scopeMetrics", [])
        for m in sm.get("metrics", [])
    }


def points(metric: JSON) -> Dict[frozenset[Tuple[str, Any]], JSON]:
    """The data points of a metric, by their attributes."""
    for kind in ("sum", "gauge", "histogram"):
        if kind in metric:
            return {
                frozenset(attributes(p.get("attributes")).items()): p for p in metric[kind].get("dataPoints", [])
            }
    raise AssertionError(f"no data points in {metric}")


def number(point: JSON) -> Any:
    if "asInt" in point:
        return int(point["asInt"])
    if "asDouble" in point:
        return float(point["asDouble"])
    return None


def log_records(path: pathlib.Path) -> List[Tuple[str, JSON]]:
    """(scope name, record) of every record in a JSON-lines file of the file log exporter."""
    out = []
    for line in path.read_text().splitlines():
        request = json.loads(line)
        for rl in request.get("resourceLogs", []):
            for sl in rl.get("scopeLogs", []):
                for r in sl.get("logRecords", []):
                    out.append((sl.get("scope", {}).get("name", ""), r))
    return out


def body(record: JSON) -> Any:
    return value(record.get("body", {}))
