"""Logs from C (tests/c/logs.c) pushed to Loki's push API, as snappy-compressed protobuf and as
JSON, and received by VictoriaLogs (which takes Loki pushes), queried back with LogsQL: the
stream labels, each record's line, time and structured metadata (attributes, trace context,
severity, scope, event name); basic auth refused and accepted by a server that asks for it;
bad settings. (A Loki that is down and comes back: tests/test_backend_outages.py.)"""

from __future__ import annotations


import pytest
from conftest import OwnVictoriaLogs, clean_env, run
from test_logs import TEXTS, TRACE_A, TRACE_B

RANGES = ["trace", "debug", "info", "warn", "error", "fatal"]


def loki_env(service: str, endpoint: str, **settings: str) -> dict[str, str]:
    return clean_env(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="loki", OTEL_SERVICE_NAME=service,
                     OTELRS_EXPORTER_LOKI_ENDPOINT=endpoint, **settings)


@pytest.mark.parametrize("protocol", ["protobuf", "json"])
def test_records_reach_loki_with_labels_and_structured_metadata(c_program, victorialogs, service_name, protocol):
    r = run(c_program("logs"), "all", env=loki_env(service_name, victorialogs.loki,
                                                   OTELRS_EXPORTER_LOKI_PROTOCOL=protocol))
    assert r.returncode == 0, r.stderr
    pid = r.stdout.split()[-1]
    records = victorialogs.wait_for(f'service_name:"{service_name}"', 35)
    by_line = {rec["_msg"]: rec for rec in records}
    assert len(records) == len(by_line) == 35, sorted(by_line)
    for n in range(1, 25):
        rec = by_line[f"severity {n}"]
        level = RANGES[(n - 1) // 4]
        # The stream: the default labels, service.name (as Loki names it) and the level.
        assert rec["_stream"] == f'{{level="{level}",service_name="{service_name}"}}'
        assert (rec["severity_number"], rec["severity_text"]) == (str(n), TEXTS[n - 1])
        assert "trace_id" not in rec
    unspecified = by_line["no severity"]
    assert unspecified["level"] == "unknown" and "severity_number" not in unspecified
    typed = by_line["attribute types"]
    assert {k: typed[k] for k in ("str", "bool", "int", "double", "strs", "bools", "ints", "doubles")} == {
        "str": "text", "bool": "true", "int": "-42", "double": "2.5", "strs": '["x","y"]',
        "bools": "[true,false]", "ints": "[1,-2,3]", "doubles": "[0.5,1.5]"}
    packed = by_line["packed attribute types"]
    assert all(packed[k] == typed[k] for k in ("str", "bool", "int", "double", "strs", "ints"))
    for line, (trace_id, span_id, _) in (("in trace a", TRACE_A), ("explicit trace b", TRACE_B),
                                          ("restored a", TRACE_A)):
        assert (by_line[line]["trace_id"], by_line[line]["span_id"]) == (trace_id, span_id)
    assert "trace_id" not in by_line["cleared"]
    event = by_line["an event"]
    assert event["event_name"] == "order.refused" and event["_time"] == "2023-11-14T22:13:20.123456789Z"
    # The scope and the resource's other attributes are structured metadata too.
    assert (event["scope_name"], event["scope_version"]) == ("shop.checkout", "2.0")
    assert (event["process_pid"], event["telemetry_sdk_name"]) == (pid, "otelrs")


def test_labels_are_configurable_and_take_record_attributes(c_program, victorialogs, service_name):
    r = run(c_program("logs"), "all", env=loki_env(service_name, victorialogs.loki,
                                                   OTELRS_EXPORTER_LOKI_LABELS="service.name,str,telemetry.sdk.name"))
    assert r.returncode == 0, r.stderr
    records = victorialogs.wait_for(f'service_name:"{service_name}"', 35)
    streams = {rec["_stream"] for rec in records}
    # Records with the attribute `str` have a stream of their own; no `level` label now.
    assert streams == {f'{{service_name="{service_name}",telemetry_sdk_name="otelrs"}}',
                       f'{{service_name="{service_name}",str="text",telemetry_sdk_name="otelrs"}}'}
    typed = next(rec for rec in records if rec["_msg"] == "attribute types")
    assert typed["str"] == "text" and typed["int"] == "-42"


def test_bad_settings_are_errors_naming_the_setting(c_program):
    for settings, message in (
        ({"OTELRS_EXPORTER_LOKI_PROTOCOL": "grpc"}, "OTELRS_EXPORTER_LOKI_PROTOCOL"),
        ({"OTELRS_EXPORTER_LOKI_LABELS": "service.name,,level"}, "OTELRS_EXPORTER_LOKI_LABELS"),
        ({"OTELRS_EXPORTER_LOKI_PASSWORD": "secret"}, "OTELRS_EXPORTER_LOKI_PASSWORD is set without"),
        ({"OTELRS_EXPORTER_LOKI_ENDPOINT": "http://"}, "OTELRS_EXPORTER_LOKI_ENDPOINT"),
        ({"OTEL_METRICS_EXPORTER": "loki"}, 'invalid value "loki" for OTEL_METRICS_EXPORTER'),
    ):
        env = loki_env("bad", "http://127.0.0.1:9/loki/api/v1/push")
        env.update(settings)
        r = run(c_program("logs"), "all", env=env)
        assert r.returncode != 0 and message in r.stderr, (settings, r.stderr)
        assert "secret" not in r.stderr


def test_basic_auth_is_refused_without_credentials_and_delivered_with_them(c_program, tmp_path, service_name):
    loki = OwnVictoriaLogs(tmp_path, "-httpAuth.username=loki", "-httpAuth.password=s3cret")
    loki.start()
    try:
        refused = run(c_program("logs"), "all", env=loki_env(service_name, loki.loki))
        # A 401 is final: the flush fails, and the reason is reported once.
        assert "flush OTELRS_ERR_EXPORT" in refused.stdout, refused.stdout
        assert "401" in refused.stderr and "s3cret" not in refused.stderr
        ok = run(c_program("logs"), "all", env=loki_env(
            service_name, loki.loki, OTELRS_EXPORTER_LOKI_USER="loki", OTELRS_EXPORTER_LOKI_PASSWORD="s3cret"))
        assert "flush OTELRS_OK" in ok.stdout, ok.stderr
        auth = {"Authorization": "Basic bG9raTpzM2NyZXQ="}
        assert len(loki.wait_for(f'service_name:"{service_name}"', 35, headers=auth)) == 35
    finally:
        loki.stop()
