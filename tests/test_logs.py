"""Logs from C (tests/c/logs.c): every severity, attribute types, event name and timestamp,
trace context set, cleared, explicit and restored; the minimum severity; drops under a tiny
queue; rotation of the JSON-lines file; bad input; end to end through the Collector over gRPC
and HTTP; and fork."""

from __future__ import annotations

import json

import pytest
from conftest import clean_env, run
from otlp import attributes, body, log_records, metrics, number, resource_logs, resource_metrics, series

TRACE_A = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 1)
TRACE_B = ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", 0)
TEXTS = [f"{name}{n if n > 1 else ''}" for name in ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL") for n in range(1, 5)]


def trace_of(record: dict):
    if not record.get("traceId"):
        return None
    return (record["traceId"].lower(), record["spanId"].lower(), int(record.get("flags", 0)))


def check_all(records: list[tuple[dict, dict]], resource: dict, service: str, pid: int, min_severity: int = 1):
    assert resource["service.name"] == service
    assert resource["telemetry.sdk.name"] == "otelrs" and resource["process.pid"] == pid
    for scope, _ in records:
        assert scope.get("name") == "shop.checkout" and scope.get("version") == "2.0"
    by_body = {body(r): r for _, r in records}
    # A record without severity passes any minimum severity, as the specification has it.
    expected_bodies = [f"severity {n}" for n in range(min_severity, 25)] + ["no severity"]
    if min_severity <= 13:
        expected_bodies += ["an event"]
    if min_severity <= 9:
        expected_bodies += ["attribute types", "packed attribute types", "in trace a", "explicit trace b",
                            "packed in trace a", "packed explicit trace b", "cleared", "restored a", "after the scope"]
    assert sorted(by_body) == sorted(expected_bodies)
    for n in range(min_severity, 25):
        r = by_body[f"severity {n}"]
        assert r["severityNumber"] == n and r["severityText"] == TEXTS[n - 1]
        assert int(r["observedTimeUnixNano"]) > 0
        assert trace_of(r) is None
    unspecified = by_body["no severity"]
    assert unspecified.get("severityNumber", 0) == 0 and unspecified.get("severityText", "") == ""
    if min_severity > 9:
        return
    assert attributes(by_body["attribute types"]["attributes"]) == {
        "str": "text", "bool": True, "int": -42, "double": 2.5,
        "strs": ("x", "y"), "bools": (True, False), "ints": (1, -2, 3), "doubles": (0.5, 1.5),
    }
    assert attributes(by_body["packed attribute types"]["attributes"]) == attributes(by_body["attribute types"]["attributes"])
    event = by_body["an event"]
    assert event["eventName"] == "order.refused" and event["severityText"] == "WARN"
    assert event["timeUnixNano"] == "1700000000123456789"
    assert trace_of(by_body["in trace a"]) == TRACE_A
    assert trace_of(by_body["explicit trace b"]) == TRACE_B
    assert trace_of(by_body["packed in trace a"]) == TRACE_A
    assert trace_of(by_body["packed explicit trace b"]) == TRACE_B
    assert trace_of(by_body["cleared"]) is None
    assert trace_of(by_body["restored a"]) == TRACE_A
    assert trace_of(by_body["after the scope"]) is None


def file_records(path) -> tuple[list[tuple[dict, dict]], dict]:
    requests = [json.loads(line) for line in path.read_text().splitlines()]
    rls = resource_logs(requests)
    return log_records(rls), attributes(rls[0]["resource"]["attributes"])


@pytest.mark.parametrize("min_severity,setting", [(1, None), (13, "warn"), (17, "17")])
def test_records_reach_the_file_exporter(c_program, service_name, tmp_path, min_severity, setting):
    path = tmp_path / "logs.jsonl"
    env = clean_env(OTEL_SERVICE_NAME=service_name, OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="file",
                    OTELRS_EXPORTER_FILE_LOGS_PATH=str(path))
    if setting:
        env["OTELRS_LOGS_MIN_SEVERITY"] = setting
    r = run(c_program("logs"), "all", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    records, resource = file_records(path)
    check_all(records, resource, service_name, int(r.stdout.split()[-1]), min_severity)


def test_console_exporter_prints_one_line_per_record(c_program):
    env = clean_env(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="console")
    r = run(c_program("logs"), "all", env=env)
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stdout.splitlines() if "[shop.checkout]" in line]
    assert len(lines) == 35
    assert any(line.endswith(" " * 7 + "[shop.checkout] no severity") for line in lines)
    assert any(line.endswith("FATAL4 [shop.checkout] severity 24") for line in lines)
    assert any(line.startswith("2023-11-14T22:13:20.123Z WARN   [shop.checkout] an event event=order.refused") for line in lines)
    assert any(line.endswith("in trace a trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7") for line in lines)


def test_console_exporter_writes_json_lines(c_program, service_name):
    env = clean_env(OTEL_SERVICE_NAME=service_name, OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="console",
                    OTELRS_EXPORTER_CONSOLE_LOGS_FORMAT="json")
    r = run(c_program("logs"), "all", env=env)
    assert r.returncode == 0, r.stderr
    # Every record is one line, one JSON object; the program prints its own lines beside them.
    lines = r.stdout.splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert [line.split()[0] for line in lines if not line.startswith("{")] == ["flush", "pid"]
    pid = lines[-1].split()[-1]
    assert len(records) == 35
    for record in records:
        assert record["scope"] == {"name": "shop.checkout", "version": "2.0"}
        assert record["resource"]["service.name"] == service_name and record["resource"]["process.pid"] == int(pid)
        assert int(record["observedTimeUnixNano"]) > 0
    by_body = {record["body"]: record for record in records}
    assert by_body["attribute types"]["attributes"] == {
        "str": "text", "bool": True, "int": -42, "double": 2.5,
        "strs": ["x", "y"], "bools": [True, False], "ints": [1, -2, 3], "doubles": [0.5, 1.5],
    }
    assert by_body["severity 24"]["severityNumber"] == 24 and by_body["severity 24"]["severityText"] == "FATAL4"
    assert "severityNumber" not in by_body["no severity"] and "severityText" not in by_body["no severity"]
    event = by_body["an event"]
    assert (event["eventName"], event["timeUnixNano"], event["severityText"]) == ("order.refused", "1700000000123456789", "WARN")
    assert trace_of(by_body["in trace a"]) == TRACE_A and trace_of(by_body["explicit trace b"]) == TRACE_B
    assert trace_of(by_body["cleared"]) is None and "traceId" not in by_body["cleared"]


def test_an_unknown_console_format_is_refused(c_program):
    env = clean_env(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="console", OTELRS_EXPORTER_CONSOLE_LOGS_FORMAT="yaml")
    r = run(c_program("logs"), "all", env=env)
    assert r.returncode != 0
    assert 'invalid value "yaml" for OTELRS_EXPORTER_CONSOLE_LOGS_FORMAT (from the environment): expected text or json' in r.stderr


def flood(c_program, tmp_path, **settings) -> tuple[dict[str, int], list[dict]]:
    path = tmp_path / "logs.jsonl"
    env = clean_env(**{"OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "file",
                       "OTELRS_EXPORTER_FILE_LOGS_PATH": str(path), **settings})
    r = run(c_program("logs"), "flood", env=env)
    assert r.returncode == 0, r.stderr
    words = r.stdout.splitlines()[0].split()
    counts = {k: int(v) for k, v in zip(words[::2], words[1::2])}
    records = [rec for _, rec in file_records(path)[0]] if path.exists() else []
    assert counts["emitted"] == 1000
    assert counts["kept"] + counts["filtered"] + counts["sampled_out"] + counts["suppressed"] == counts["emitted"]
    assert len(records) + counts["dropped"] == counts["kept"]
    return counts, records


def test_a_full_queue_drops_and_counts(c_program, tmp_path):
    counts, records = flood(c_program, tmp_path, OTEL_BLRP_MAX_QUEUE_SIZE="4", OTEL_BLRP_SCHEDULE_DELAY="60000")
    assert counts["dropped"] > 0 and records


def test_min_severity_filters_before_anything_else(c_program, tmp_path):
    counts, records = flood(c_program, tmp_path, OTELRS_LOGS_MIN_SEVERITY="info")
    assert counts["filtered"] == 400 and counts["kept"] == 600
    assert {r["severityNumber"] for r in records} == {9, 13, 17}


def test_ratio_sampling_keeps_every_warning_and_error(c_program, tmp_path):
    counts, records = flood(c_program, tmp_path, OTELRS_LOGS_SAMPLING_RATIO="0.1")
    warnings_and_errors = [r for r in records if r["severityNumber"] >= 13]
    assert len(warnings_and_errors) == 400  # none lost
    assert 0 < counts["sampled_out"] < 600 and counts["suppressed"] == 0
    assert len(records) - 400 == 600 - counts["sampled_out"]


def test_the_rate_limit_suppresses_below_the_threshold_only(c_program, tmp_path):
    counts, records = flood(c_program, tmp_path, OTELRS_LOGS_RATE_LIMIT="1", OTELRS_LOGS_RATE_LIMIT_BURST="50")
    assert counts["suppressed"] >= 600 - 50 - 5 and counts["sampled_out"] == 0
    assert len([r for r in records if r["severityNumber"] >= 13]) == 400


def test_trace_aware_sampling_keeps_every_record_of_a_sampled_trace(c_program, tmp_path):
    counts, records = flood(c_program, tmp_path, OTELRS_LOGS_SAMPLING_RATIO="0.0", OTELRS_LOGS_SAMPLING_TRACE_AWARE="true")
    sampled = [r for r in records if r.get("traceId", "").lower() == TRACE_A[0]]
    assert len(sampled) == 500  # every record of the sampled trace, whatever its severity
    below = [r for r in records if r["severityNumber"] < 13]
    assert all(r.get("traceId", "").lower() == TRACE_A[0] for r in below)
    assert counts["sampled_out"] == 1000 - 500 - 200  # the rest below WARN: not in the sampled trace


def test_the_file_rotates_at_its_size_and_keeps_max_files(c_program, tmp_path):
    path = tmp_path / "logs.jsonl"
    # Each export of one record is a line of about 700 bytes; batches of 1 make many lines.
    env = clean_env(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="file", OTELRS_EXPORTER_FILE_LOGS_PATH=str(path),
                    OTEL_BLRP_MAX_EXPORT_BATCH_SIZE="1", OTELRS_EXPORTER_FILE_LOGS_MAX_BYTES="2000",
                    OTELRS_EXPORTER_FILE_LOGS_MAX_FILES="2")
    r = run(c_program("logs"), "all", env=env)
    assert r.returncode == 0, r.stderr
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["logs.jsonl", "logs.jsonl.1", "logs.jsonl.2"]
    for p in tmp_path.iterdir():
        size = p.stat().st_size
        assert 0 < size <= 2000, (p.name, size)
        for line in p.read_text().splitlines():
            json.loads(line)  # every line whole
    # The newest records are in the current file; the oldest ones were removed.
    newest = [body(r) for _, r in file_records(path)[0]]
    assert newest[-1] == "after the scope"
    oldest_kept = [body(r) for _, r in file_records(tmp_path / "logs.jsonl.2")[0]]
    assert "severity 1" not in oldest_kept


def test_bad_input_gets_a_status_and_a_message(c_program):
    r = run(c_program("logs"), "errors", env=clean_env(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="console"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert " 0 failed" in r.stdout
    assert "still works" in r.stdout


def test_logs_under_valgrind(c_program, tmp_path):
    env = clean_env(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="file",
                    OTELRS_EXPORTER_FILE_LOGS_PATH=str(tmp_path / "logs.jsonl"))
    r = run(c_program("logs"), "all", env=env, valgrind=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""


@pytest.mark.parametrize("protocol,compression", [("grpc", "none"), ("grpc", "gzip"), ("http/protobuf", "gzip")])
def test_records_reach_the_collector(c_program, collector, service_name, protocol, compression):
    env = clean_env(OTEL_SERVICE_NAME=service_name, OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="otlp",
                    OTEL_EXPORTER_OTLP_PROTOCOL=protocol, OTEL_EXPORTER_OTLP_COMPRESSION=compression,
                    OTEL_EXPORTER_OTLP_ENDPOINT=collector.grpc if protocol == "grpc" else collector.http)
    r = run(c_program("logs"), "all", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    records = collector.wait_for_logs(service_name, 35)
    rls = resource_logs(collector.requests(), service_name)
    check_all(records, attributes(rls[0]["resource"]["attributes"]), service_name, int(r.stdout.split()[-1]))


@pytest.mark.parametrize("by_scope", [False, True])
def test_log_derived_metrics_are_exported_with_the_metrics(c_program, tmp_path, by_scope):
    metrics_path = tmp_path / "metrics.jsonl"
    counts, _ = flood(c_program, tmp_path, OTELRS_LOGS_MIN_SEVERITY="info", OTELRS_LOGS_SAMPLING_RATIO="0.5",
                      OTEL_METRICS_EXPORTER="file", OTELRS_EXPORTER_FILE_METRICS_PATH=str(metrics_path),
                      OTELRS_LOGS_METRICS_BY_SCOPE=str(by_scope).lower())
    last = json.loads(metrics_path.read_text().splitlines()[-1])
    got = metrics(resource_metrics([last])[0])
    scope, records = got["otelrs.logs.records"]
    assert scope["name"] == "otelrs"
    # Only the series that counted something: no zeros for every severity and reason.
    scope_key = {("otel.scope.name", "shop.checkout")} if by_scope else set()
    assert {k - scope_key: number(p) for k, p in series(records).items()} == {
        frozenset({("log.severity", s)}): 200 for s in ("INFO", "WARN", "ERROR")}
    assert all(scope_key <= k for k in series(records))
    left_out = {dict(k)["reason"]: number(p) for k, p in series(got["otelrs.logs.left_out"][1]).items()}
    assert left_out == {"filtered": 400, "sampled_out": counts["sampled_out"]}


@pytest.mark.parametrize("prefix", ["OTEL_LOGRECORD_ATTRIBUTE", "OTEL_ATTRIBUTE"])
def test_attribute_limits_cut_records(c_program, tmp_path, prefix):
    path = tmp_path / "logs.jsonl"
    env = clean_env(**{"OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "file",
                       "OTELRS_EXPORTER_FILE_LOGS_PATH": str(path),
                       f"{prefix}_COUNT_LIMIT": "7", f"{prefix}_VALUE_LENGTH_LIMIT": "2"})
    r = run(c_program("logs"), "all", env=env)
    assert r.returncode == 0, r.stderr
    (record,) = [rec for _, rec in file_records(path)[0] if body(rec) == "attribute types"]
    # The first 7 attributes given are kept (the last one, "doubles", is dropped); strings,
    # also inside arrays, are cut to 2 characters.
    assert attributes(record["attributes"]) == {
        "str": "te", "bool": True, "int": -42, "double": 2.5,
        "strs": ("x", "y"), "bools": (True, False), "ints": (1, -2, 3),
    }
    assert record["droppedAttributesCount"] == 1


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf", "http/json"])
def test_the_collector_gets_the_dropped_attribute_count(c_program, collector, service_name, protocol):
    env = clean_env(OTEL_SERVICE_NAME=service_name, OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="otlp",
                    OTEL_EXPORTER_OTLP_PROTOCOL=protocol, OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT="3",
                    OTEL_EXPORTER_OTLP_ENDPOINT=collector.grpc if protocol == "grpc" else collector.http)
    r = run(c_program("logs"), "all", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    records = collector.wait_for_logs(service_name, 35)
    with_attributes = ("attribute types", "packed attribute types")
    for record in [rec for _, rec in records if body(rec) in with_attributes]:
        assert attributes(record["attributes"]) == {"str": "text", "bool": True, "int": -42}
        assert record["droppedAttributesCount"] == 5
    assert all("droppedAttributesCount" not in rec for _, rec in records if body(rec) not in with_attributes)


def test_a_disabled_sdk_takes_every_record_and_writes_nothing(c_program, tmp_path):
    path = tmp_path / "logs.jsonl"
    env = clean_env(OTEL_SDK_DISABLED="true", OTEL_LOGS_EXPORTER="file", OTELRS_EXPORTER_FILE_LOGS_PATH=str(path))
    r = run(c_program("logs"), "all", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "flush OTELRS_OK" in r.stdout
    assert not path.exists()
