"""Exemplars from C (tests/c/exemplars.c): OTEL_METRICS_EXEMPLAR_FILTER trace_based (the
default), always_on and always_off; one exemplar per histogram bucket; the trace and span
ids of the sampled trace; and the same exemplars at the real Collector over OTLP."""

from __future__ import annotations

import json
import subprocess
import urllib.request

import pytest
from conftest import clean_env, free_port, run
from prometheus_client.openmetrics import parser as openmetrics_parser
from otlp import data, key, metrics, series

TRACE_A = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
TRACE_B = ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
EU = key({"region": "eu"})



def value(e: dict) -> float:
    return float(e["asDouble"]) if "asDouble" in e else int(e["asInt"])


def exemplars(point: dict) -> list[tuple[float, tuple[str, str] | None]]:
    return [(value(e), (e["traceId"].lower(), e["spanId"].lower()) if e.get("traceId") else None)
            for e in point.get("exemplars") or []]


def recorded(c_program, **settings: str) -> dict[str, tuple[dict, dict]]:
    r = run(c_program("exemplars"), env=clean_env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none", **settings))
    assert r.returncode == 0, r.stderr
    (rm,) = json.loads(r.stdout.splitlines()[-1])["resourceMetrics"]
    return metrics(rm)


def test_trace_based_keeps_what_was_recorded_in_a_sampled_trace(c_program):
    for settings in ({}, {"OTEL_METRICS_EXEMPLAR_FILTER": "trace_based"}):
        got = recorded(c_program, **settings)
        orders = series(got["ex.orders"][1])
        assert exemplars(orders[key({})]) == []  # recorded outside any trace
        assert exemplars(orders[EU]) == [(3, TRACE_A)]  # 2 in the unsampled trace, 3 (bound) in the sampled one
        (hist,) = series(got["ex.latency"][1]).values()
        # One per bucket: (-inf, 1], (1, 10], (10, +inf).
        assert exemplars(hist) == [(0.5, TRACE_A), (6.5, TRACE_A), (12.5, TRACE_A)]
        e = hist["exemplars"][0]
        assert int(hist["startTimeUnixNano"]) <= int(e["timeUnixNano"]) <= int(hist["timeUnixNano"])


def test_always_on_keeps_measurements_outside_traces_and_always_off_none(c_program):
    got = recorded(c_program, OTEL_METRICS_EXEMPLAR_FILTER="always_on")
    orders = series(got["ex.orders"][1])
    assert exemplars(orders[key({})]) == [(1, None)]
    assert exemplars(orders[EU]) in ([(2, TRACE_B)], [(3, TRACE_A)])  # one sampled among the two
    got = recorded(c_program, OTEL_METRICS_EXEMPLAR_FILTER="always_off")
    assert all(exemplars(p) == [] for _, m in got.values() for p in series(m).values())


def test_a_bad_filter_is_a_config_error(c_program):
    r = run(c_program("exemplars"), env=clean_env(OTEL_METRICS_EXPORTER="memory", OTEL_METRICS_EXEMPLAR_FILTER="sometimes"))
    assert r.returncode == 2
    assert 'invalid value "sometimes" for OTEL_METRICS_EXEMPLAR_FILTER (from the environment)' in r.stderr


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_the_collector_receives_the_exemplars(c_program, collector, service_name, protocol):
    env = clean_env(OTEL_SERVICE_NAME=service_name, OTEL_METRICS_EXPORTER="otlp", OTEL_LOGS_EXPORTER="none",
                    OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
                    OTEL_EXPORTER_OTLP_ENDPOINT=collector.grpc if protocol == "grpc" else collector.http)
    r = run(c_program("exemplars"), env=env)
    assert r.returncode == 0, r.stderr
    (rm,) = collector.wait_for(service_name, 1)
    got = metrics(rm)
    assert exemplars(series(got["ex.orders"][1])[EU]) == [(3, TRACE_A)]
    kind, _ = data(got["ex.latency"][1])
    (hist,) = series(got["ex.latency"][1]).values()
    assert kind == "histogram" and [v for v, _ in exemplars(hist)] == [0.5, 6.5, 12.5]


def test_openmetrics_scrapes_carry_exemplars_on_counters_and_buckets(c_program):
    port = free_port()
    env = clean_env(OTEL_METRICS_EXPORTER="prometheus", OTEL_LOGS_EXPORTER="none",
                    OTEL_EXPORTER_PROMETHEUS_HOST="127.0.0.1", OTEL_EXPORTER_PROMETHEUS_PORT=str(port))
    proc = subprocess.Popen([str(c_program("exemplars"))], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "ready\n"
        req = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                     headers={"Accept": "application/openmetrics-text;version=1.0.0"})
        text = urllib.request.urlopen(req, timeout=10).read().decode()
        plain = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    finally:
        proc.communicate(timeout=30)
    families = {f.name: f for f in openmetrics_parser.text_string_to_metric_families(text)}
    by_name = {(s.name, s.labels.get("region"), s.labels.get("le")): s for f in families.values() for s in f.samples}
    trace = {"trace_id": TRACE_A[0], "span_id": TRACE_A[1]}
    eu_total = by_name[("ex_orders_total", "eu", None)]
    assert eu_total.exemplar.labels == trace and eu_total.exemplar.value == 3
    assert by_name[("ex_orders_total", None, None)].exemplar is None
    buckets = [by_name[("ex_latency_seconds_bucket", "eu", le)] for le in ("1.0", "10.0", "+Inf")]
    assert [b.exemplar.value for b in buckets] == [0.5, 6.5, 12.5]
    assert all(b.exemplar.labels == trace and b.exemplar.timestamp for b in buckets)
    assert " # {" not in plain  # the text format has no exemplars


def test_renamed_streams_and_cut_attributes_keep_their_exemplars(c_program):
    got = recorded(c_program, OTELRS_METRICS_VIEWS="instrument_name=ex.orders,name=orders.renamed;"
                                                   "instrument_name=ex.latency,attribute_keys=")
    assert exemplars(series(got["orders.renamed"][1])[EU]) == [(3, TRACE_A)]
    (hist,) = series(got["ex.latency"][1]).values()
    assert hist["attributes"] == []
    assert exemplars(hist) == [(0.5, TRACE_A), (6.5, TRACE_A), (12.5, TRACE_A)]
    # The attributes the view left out go with each exemplar.
    assert all(e["filteredAttributes"] == [{"key": "region", "value": {"stringValue": "eu"}}]
               for e in hist["exemplars"])


def test_reservoirs_follow_the_view_buckets_and_exponential_histograms(c_program):
    got = recorded(c_program, OTELRS_METRICS_VIEWS="instrument_name=ex.latency,boundaries=5|100")
    (hist,) = series(got["ex.latency"][1]).values()
    # Buckets (-inf, 5], (5, 100], (100, +inf): 6.5 then 12.5 fell in the second, the last is kept.
    assert exemplars(hist) == [(0.5, TRACE_A), (12.5, TRACE_A)]
    got = recorded(c_program, OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION="base2_exponential_bucket_histogram")
    kind, d = data(got["ex.latency"][1])
    (point,) = d["dataPoints"]
    assert kind == "exponentialHistogram"
    assert sorted(exemplars(point)) == [(0.5, TRACE_A), (6.5, TRACE_A), (12.5, TRACE_A)]  # up to 20 kept
