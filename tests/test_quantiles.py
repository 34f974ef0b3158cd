"""Histogram summaries from C (tests/c/quantiles.c): count, sum, min and max as recorded; the
quantiles of explicit buckets as the real Prometheus's `histogram_quantile` gives them over the
same buckets (scraped from otelrs's endpoint), kept within min and max; those of exponential
buckets within the relative error they state of the exact nearest-rank quantiles; and the
errors."""

from __future__ import annotations

import math
import subprocess
import time
import uuid

import pytest
from conftest import clean_env, run
from test_prometheus import prometheus_query, prometheus_server


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def test_quantiles_match_prometheus_and_the_exact_ones(c_program):
    target, api = prometheus_server()
    run_id = uuid.uuid4().hex[:8]
    env = clean_env(OTEL_METRICS_EXPORTER="prometheus", OTEL_LOGS_EXPORTER="none", OTEL_EXPORTER_PROMETHEUS_PORT=str(target),
                    OTELRS_METRICS_VIEWS="instrument_name=job.latency.exp,aggregation=base2_exponential_bucket_histogram")
    proc = subprocess.Popen([str(c_program("quantiles")), "serve", run_id], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    values: list[float] = []
    summaries: dict[str, tuple[float, ...]] = {}
    estimates: dict[str, dict[float, float]] = {}
    try:
        for line in proc.stdout:
            if line == "ready\n":
                break
            kind, *rest = line.split()
            if kind == "value":
                values.append(float(rest[0]))
            elif kind == "summary":
                summaries[rest[0]] = tuple(float(x) for x in rest[1:])
            else:
                estimates.setdefault(rest[0], {})[float(rest[1])] = float(rest[2])
        else:
            pytest.fail(proc.stderr.read())
        deadline = time.monotonic() + 30
        query = f'job_latency_seconds_bucket{{run="{run_id}"}}'
        while len(prometheus_query(api, query)) < 10:
            assert time.monotonic() < deadline, "Prometheus did not scrape the endpoint within 30 s"
            time.sleep(0.5)
        prometheus = {q: float(prometheus_query(api, f"histogram_quantile({q}, {query})")[0]["value"][1])
                      for q in estimates["job.latency"]}
    finally:
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, out + err

    assert len(values) == 1000
    for name in ("job.latency", "job.latency.exp"):
        count, total, low, high, _ = summaries[name]
        assert (count, low, high) == (1000, min(values), max(values))
        assert total == pytest.approx(sum(values), rel=1e-12)
    low, high = min(values), max(values)
    for q, estimate in estimates["job.latency"].items():
        assert estimate == pytest.approx(min(max(prometheus[q], low), high), rel=1e-9), q
    assert math.isnan(summaries["job.latency"][4])
    bound = summaries["job.latency.exp"][4]
    assert 0 < bound < 0.05
    for q, estimate in estimates["job.latency.exp"].items():
        exact = nearest_rank(values, q)
        assert abs(estimate - exact) / exact <= bound + 1e-12, (q, estimate, exact, bound)


def test_summary_errors_are_statuses_with_a_reason(c_program):
    r = run(c_program("quantiles"), "errors", env=clean_env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().endswith("passed, 0 failed")
    # Nothing collects on demand without the memory or prometheus exporter.
    r = run(c_program("quantiles"), "errors", env=clean_env(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="none"))
    assert r.returncode == 1
    assert "it needs the memory or prometheus exporter in OTEL_METRICS_EXPORTER" in r.stderr
