"""Health rules and the health callback from C (tests/c/health.c): the rules of
OTELRS_HEALTH_RULES are in the health report with their readings, a broken one makes the
status `degraded` (or `failing`), the callback is told of each change with the report, and a
bad rule is refused naming it."""

from __future__ import annotations

import json

from conftest import clean_env, run


def test_a_broken_rule_degrades_the_report_and_the_callback_is_told(c_program):
    env = clean_env(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="discard", OTELRS_HEALTH_INTERVAL="50",
                    OTELRS_HEALTH_RULES="error_logs_per_minute>2,log_drops_per_minute>0,"
                                        "process_memory_usage>1e15:failing,filesystem_utilization>1")
    r = run(c_program("health"), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    told = [line.split(" ", 3) for line in lines if line.startswith("told ")]
    assert [(who, status) for _, who, status, _ in told] == [("cb", "degraded")]
    report = json.loads(told[0][3])
    assert report["status"] == "degraded"
    assert report["reasons"] == ["rule error_logs_per_minute>2: the reading is 3"]
    rules = {rule["rule"]: rule for rule in report["rules"]}
    assert rules["error_logs_per_minute>2"] == {"rule": "error_logs_per_minute>2", "value": 3.0, "status": "degraded"}
    assert rules["log_drops_per_minute>0"]["value"] == 0.0
    assert 1e6 < rules["process_memory_usage>1e15"]["value"] < 1e15
    assert 0 < rules["filesystem_utilization>1"]["value"] <= 1
    (last,) = [json.loads(line.split(" ", 1)[1]) for line in lines if line.startswith("report ")]
    assert last["status"] == "degraded" and last["rules"] == report["rules"]
    assert lines[-1] == "1 passed, 0 failed"


def test_a_failing_rule_makes_the_sdk_failing(c_program):
    env = clean_env(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="discard", OTELRS_HEALTH_INTERVAL="50",
                    OTELRS_HEALTH_RULES="process_memory_usage>1000:failing")
    r = run(c_program("health"), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    told = [line.split(" ", 3) for line in r.stdout.splitlines() if line.startswith("told ")]
    assert [status for _, _, status, _ in told] == ["failing"]
    assert json.loads(told[0][3])["reasons"][0].startswith("rule process_memory_usage>1000: the reading is ")


def test_a_bad_rule_is_refused_naming_it(c_program):
    for rules, says in [("cpu>0.9", 'rule "cpu>0.9": unknown reading "cpu"'),
                        ("error_logs_per_minute>x", "the threshold is not a number of 0 or more")]:
        r = run(c_program("health"), env=clean_env(OTEL_METRICS_EXPORTER="none", OTELRS_HEALTH_RULES=rules))
        assert r.returncode != 0
        assert "OTELRS_HEALTH_RULES" in r.stderr and says in r.stderr, r.stderr
