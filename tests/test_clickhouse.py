"""Logs and metrics inserted into ClickHouse (its HTTP interface over chDB, ClickHouse's engine;
tests/clickhouse/server.py) in the schema of the OpenTelemetry Collector's clickhouse
exporter, which otelrs creates, and read back with SQL: every log record's columns from C
(tests/c/logs.c); every data point of tests/c/record_all.c as its memory exporter sees it
(sums, gauges, explicit and exponential histograms); the database, table names and TTL
settings; basic auth and gzip; a ClickHouse that is down and comes back; bad settings."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest
from conftest import OwnClickhouse, clean_env, run
from otlp import attributes
from test_logs import TEXTS, TRACE_A


def ch_env(endpoint: str, service: str, **settings: str) -> dict[str, str]:
    base = {"OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "clickhouse", "OTEL_SERVICE_NAME": service,
            "OTELRS_EXPORTER_CLICKHOUSE_ENDPOINT": endpoint}
    return clean_env(**{**base, **settings})


def database_of(service: str) -> str:
    """A database of the test's own, named after its service."""
    return "t_" + re.sub(r"[^A-Za-z0-9_]", "_", service)


def test_log_records_fill_the_collector_schema(c_program, clickhouse, service_name):
    r = run(c_program("logs"), "all", env=ch_env(clickhouse.url, service_name))
    assert r.returncode == 0, r.stderr
    pid = r.stdout.split()[-1]
    rows = clickhouse.query(f"SELECT * FROM otel.otel_logs WHERE ServiceName = '{service_name}'")
    by_body = {row["Body"]: row for row in rows}
    assert len(rows) == len(by_body) == 35, sorted(by_body)
    for n in range(1, 25):
        row = by_body[f"severity {n}"]
        assert (row["SeverityNumber"], row["SeverityText"]) == (n, TEXTS[n - 1])
        assert (row["ScopeName"], row["ScopeVersion"]) == ("shop.checkout", "2.0")
        assert row["ResourceAttributes"]["process.pid"] == pid
        assert row["TraceId"] == "" and row["TraceFlags"] == 0
    assert by_body["no severity"]["SeverityNumber"] == 0
    assert by_body["attribute types"]["LogAttributes"] == {
        "str": "text", "bool": "true", "int": "-42", "double": "2.5", "strs": '["x","y"]', "bools": "[true,false]",
        "ints": "[1,-2,3]", "doubles": "[0.5,1.5]"}
    trace_id, span_id, flags = TRACE_A
    traced = by_body["in trace a"]
    assert (traced["TraceId"], traced["SpanId"], traced["TraceFlags"]) == (trace_id, span_id, flags)
    # The record's own time, to the nanosecond.
    assert by_body["an event"]["Timestamp"] == "2023-11-14 22:13:20.123456789"


def as_text(v: object) -> str:
    """An attribute value as the ClickHouse exporter writes it in a Map: strings as they are,
    the rest as compact JSON."""
    if isinstance(v, str):
        return v
    return json.dumps(list(v) if isinstance(v, tuple) else v, separators=(",", ":"))


def memory_points(phase: dict) -> dict[tuple[str, frozenset], dict]:
    """Each data point of an OTLP JSON collection by metric name and attributes (as text), with
    its scope and kind."""
    out = {}
    for rm in phase["resourceMetrics"]:
        for sm in rm["scopeMetrics"]:
            for m in sm["metrics"]:
                for kind in ("sum", "gauge", "histogram", "exponentialHistogram"):
                    for p in m.get(kind, {}).get("dataPoints", []):
                        key = frozenset((k, as_text(v)) for k, v in attributes(p.get("attributes", [])).items())
                        out[(m["name"], key)] = dict(p, kind=kind, scope=sm["scope"]["name"], unit=m.get("unit", ""))
    return out


@pytest.mark.parametrize("aggregation", ["explicit_bucket_histogram", "base2_exponential_bucket_histogram"])
def test_every_data_point_is_a_row_as_the_memory_exporter_sees_it(c_program, clickhouse, service_name, aggregation):
    r = run(c_program("record_all"), env=ch_env(
        clickhouse.url, service_name, OTEL_METRICS_EXPORTER="clickhouse,memory", OTEL_LOGS_EXPORTER="none",
        OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION=aggregation))
    assert r.returncode == 0, r.stderr
    phase2 = json.loads(next(line for line in r.stdout.splitlines() if line.startswith("phase2 ")).split(" ", 1)[1])
    expected = memory_points(phase2)
    tables = ["sum", "gauge", "histogram" if aggregation.startswith("explicit") else "exponential_histogram"]
    rows: dict[tuple[str, frozenset], list[dict]] = {}
    for table in tables:
        for row in clickhouse.query(
            f"SELECT '{table}' AS table, * FROM otel.otel_metrics_{table} WHERE ServiceName = '{service_name}'"
        ):
            rows.setdefault((row["MetricName"], frozenset(row["Attributes"].items())), []).append(row)
    assert set(rows) == set(expected)

    def columns(p: dict) -> dict:
        """What a row of point `p` holds (the times aside: the sum table's are whole seconds,
        so the collections of the run may share one)."""
        if p["kind"] in ("sum", "gauge"):
            cols = {"Value": float(p.get("asDouble", p.get("asInt", 0)))}
            if p["kind"] == "sum":
                cols.update(AggregationTemporality=2, table="sum")
            return cols
        if p["kind"] == "histogram":
            return {"Count": int(p["count"]), "BucketCounts": [int(c) for c in p["bucketCounts"]],
                    "ExplicitBounds": [float(b) for b in p["explicitBounds"]], "Sum": float(p["sum"]),
                    "Min": float(p["min"]), "Max": float(p["max"])}
        return {"Count": int(p["count"]), "Scale": p["scale"], "ZeroCount": int(p.get("zeroCount", 0)),
                "PositiveOffset": p.get("positive", {}).get("offset", 0),
                "PositiveBucketCounts": [int(c) for c in p.get("positive", {}).get("bucketCounts", [])]}

    for key, p in expected.items():
        want = columns(p)
        got = [{k: row[k] for k in want} for row in rows[key]]
        # One row per collection (the two flushes, and the shutdown's when it has one), one of
        # them phase 2's.
        assert len(got) >= 2 and want in got, (key, want, got)
        assert {(row["ScopeName"], row["MetricUnit"]) for row in rows[key]} == {(p["scope"], p["unit"])}


def test_names_ttl_and_gzip_are_settings(c_program, clickhouse, service_name):
    db = database_of(service_name)
    r = run(c_program("logs"), "all", env=ch_env(
        clickhouse.url, service_name, OTELRS_EXPORTER_CLICKHOUSE_DATABASE=db,
        OTELRS_EXPORTER_CLICKHOUSE_LOGS_TABLE="app_logs", OTELRS_EXPORTER_CLICKHOUSE_TTL="3650d",
        OTELRS_EXPORTER_CLICKHOUSE_COMPRESSION="gzip"))
    assert r.returncode == 0, r.stderr
    assert int(clickhouse.query(f"SELECT count() AS n FROM {db}.app_logs")[0]["n"]) == 35
    [ddl] = clickhouse.query(f"SHOW CREATE TABLE {db}.app_logs")
    assert "TTL TimestampTime + toIntervalDay(3650)" in ddl["statement"]
    # Without schema creation a missing table is ClickHouse's error, reported once.
    r = run(c_program("logs"), "all", env=ch_env(
        clickhouse.url, service_name, OTELRS_EXPORTER_CLICKHOUSE_DATABASE=db,
        OTELRS_EXPORTER_CLICKHOUSE_LOGS_TABLE="missing", OTELRS_EXPORTER_CLICKHOUSE_CREATE_SCHEMA="false"))
    assert "flush OTELRS_ERR_EXPORT" in r.stdout
    assert "clickhouse exporter:" in r.stderr and "UNKNOWN_TABLE" in r.stderr, r.stderr


def test_bad_settings_are_errors_naming_the_setting(c_program):
    for settings, message in (
        ({"OTELRS_EXPORTER_CLICKHOUSE_DATABASE": "my-db"}, "OTELRS_EXPORTER_CLICKHOUSE_DATABASE"),
        ({"OTELRS_EXPORTER_CLICKHOUSE_TTL": "3 weeks"}, "OTELRS_EXPORTER_CLICKHOUSE_TTL"),
        ({"OTELRS_EXPORTER_CLICKHOUSE_COMPRESSION": "zstd"}, "OTELRS_EXPORTER_CLICKHOUSE_COMPRESSION"),
        ({"OTELRS_EXPORTER_CLICKHOUSE_PASSWORD": "s3cret"}, "OTELRS_EXPORTER_CLICKHOUSE_PASSWORD is set without"),
    ):
        env = ch_env("http://127.0.0.1:9", "bad")
        env.update(settings)
        r = run(c_program("logs"), "all", env=env)
        assert r.returncode != 0 and message in r.stderr, (settings, r.stderr)
        assert "s3cret" not in r.stderr


def test_basic_auth_is_refused_without_credentials_and_inserts_with_them(c_program, tmp_path, service_name):
    ch = OwnClickhouse(tmp_path, "--user", "otel", "--password", "s3cret")
    ch.start()
    try:
        refused = run(c_program("logs"), "all", env=ch_env(ch.url, service_name))
        assert "flush OTELRS_ERR_EXPORT" in refused.stdout
        assert "AUTHENTICATION_FAILED" in refused.stderr and "s3cret" not in refused.stderr
        ok = run(c_program("logs"), "all", env=ch_env(
            ch.url, service_name, OTELRS_EXPORTER_CLICKHOUSE_USER="otel", OTELRS_EXPORTER_CLICKHOUSE_PASSWORD="s3cret"))
        assert "flush OTELRS_OK" in ok.stdout, ok.stderr
        assert int(ch.query("SELECT count() AS n FROM otel.otel_logs", auth=("otel", "s3cret"))[0]["n"]) == 35
    finally:
        ch.stop()


DOWN_AND_BACK = """
import json, logging, sys, otelrs
otelrs.init(logs_exporter="clickhouse", metrics_exporter="clickhouse", service_name="py-clickhouse",
            exporter_clickhouse_endpoint=sys.argv[1], blrp_export_timeout=2000, metric_export_timeout=2000)
log = logging.getLogger("shop")
log.addHandler(otelrs.LoggingHandler())
log.setLevel(logging.INFO)
orders = otelrs.get_meter("shop").create_counter("shop.orders", value_type=int)
def flush():
    try:
        otelrs.force_flush(20)
        return "delivered"
    except otelrs.ExportError:
        return "failed"
log.info("while down")
print(flush(), flush=True)
sys.stdin.readline()                    # the test starts ClickHouse
orders.add(3, {"region": "eu"})
log.warning("stock low: %d", 3, extra={"sku": "A-1"})
print(flush(), json.dumps([e["status"] for e in otelrs.health()["exporters"]]), flush=True)
otelrs.shutdown()
"""


def test_python_logs_and_metrics_reach_a_clickhouse_that_was_down(tmp_path):
    ch = OwnClickhouse(tmp_path)
    app = subprocess.Popen([sys.executable, "-c", textwrap.dedent(DOWN_AND_BACK), ch.url], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env())
    try:
        assert app.stdout.readline().strip() == "failed", app.stderr.read()
        ch.start()
        app.stdin.write("\n")
        app.stdin.flush()
        back, statuses = app.stdout.readline().split(" ", 1)
        assert app.wait(timeout=60) == 0, app.stderr.read()
        assert back == "delivered" and json.loads(statuses) == ["ok", "ok"]
        # The schema was created once ClickHouse answered.
        [low] = ch.query("SELECT Body, SeverityText, LogAttributes['sku'] AS sku, ScopeName FROM otel.otel_logs "
                         "WHERE Body LIKE 'stock%'")
        assert low == {"Body": "stock low: 3", "SeverityText": "WARN", "sku": "A-1", "ScopeName": "shop"}
        rows = ch.query("SELECT Value, Attributes FROM otel.otel_metrics_sum WHERE MetricName = 'shop.orders' "
                        "ORDER BY TimeUnix DESC LIMIT 1")
        assert rows == [{"Value": 3, "Attributes": {"region": "eu"}}]
    finally:
        app.kill()
        ch.stop()
