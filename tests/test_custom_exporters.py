"""Exporters written in C (tests/c/exporters.c): every log batch handed to a function as OTLP
JSON and every collection as OTLP protobuf, beside or instead of the configured exporters; a
function's retry and failure answers counted in the health report as an OTLP exporter's are;
bad registrations refused with a reason."""

from __future__ import annotations

import json

from conftest import clean_env, run
from otlp import attributes, body, log_records, resource_logs


def test_c_exporters_get_every_batch_and_their_answers_count(c_program, tmp_path):
    path = tmp_path / "batches.txt"
    r = run(c_program("exporters"), str(path), env=clean_env(
        OTEL_SERVICE_NAME="custom", OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="none"))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    # The broken exporter fails the flush, and says why once.
    assert lines[0] == "flush OTELRS_ERR_EXPORT"
    assert 'custom "broken" exporter: broken returned 42' in r.stderr
    health = json.loads(lines[1])
    by_name = {e["exporter"]: e for e in health["exporters"]}
    assert set(by_name) == {"jsonl", "flaky", "broken", "sizes"}
    assert (by_name["jsonl"]["status"], by_name["jsonl"]["exported"]) == ("ok", 3)
    assert (by_name["flaky"]["retries"], by_name["flaky"]["exported"], by_name["flaky"]["failed"]) == (1, 3, 0)
    assert (by_name["broken"]["status"], by_name["broken"]["failed"]) == ("degraded", 3)
    assert by_name["broken"]["last_error"] == 'custom "broken" exporter: broken returned 42'
    assert by_name["sizes"]["component"] == "custom_metric_exporter/0" and by_name["sizes"]["exported"] >= 1
    assert lines[2] == "flaky calls 2"
    batches = path.read_text().splitlines()
    logs = [json.loads(b) for b in batches if not b.startswith("metrics ")]
    records = log_records(resource_logs(logs))
    assert [body(rec) for _, rec in records] == ["order placed"] * 3
    assert attributes(records[0][1]["attributes"]) == {"order.id": "A-17", "items": 3}
    # One protobuf request per collection (the flush's, and the shutdown's).
    assert all(int(b.split()[1]) > 0 for b in batches if b.startswith("metrics "))
    assert any(b.startswith("metrics ") for b in batches)


def test_bad_registrations_get_a_status_and_a_message(c_program):
    r = run(c_program("exporters"), "errors", env=clean_env())
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().endswith("0 failed")
