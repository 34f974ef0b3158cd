"""Configuration files (OTEL_CONFIG_FILE, otelrs_config_from_file) from C: the settings come
from the file, the environment only through its ${VAR} references, settings from code over
the file; a bad file is refused naming the path in it."""

from __future__ import annotations

import json

from conftest import clean_env, run

CONSOLE_JSON = """
file_format: "1.0-rc.2"
resource:
  attributes:
    - name: service.name
      value: ${SERVICE:-unset}
tracer_provider:
  processors: []
logger_provider:
  processors:
    - batch:
        schedule_delay: 100
        exporter:
          console:
otelrs:
  exporter_console_logs_format: json
"""


def records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def test_the_file_replaces_the_environment_but_for_its_references(c_program, tmp_path):
    path = tmp_path / "otel.yaml"
    path.write_text(CONSOLE_JSON)
    # Ignored with a file: OTEL_LOGS_EXPORTER and OTEL_SERVICE_NAME from the environment.
    env = clean_env(OTEL_CONFIG_FILE=str(path), SERVICE="shop", OTEL_LOGS_EXPORTER="otlp",
                    OTEL_SERVICE_NAME="from-the-environment", OTEL_METRICS_EXPORTER="otlp")
    r = run(c_program("logs"), "all", env=env)
    assert r.returncode == 0, r.stderr
    got = records(r.stdout)
    assert len(got) == 35
    assert {rec["resource"]["service.name"] for rec in got} == {"shop"}
    assert "tracer_provider is not used by otelrs" in r.stderr
    # Said, not silent.
    assert ("a configuration file is read (OTEL_CONFIG_FILE), so the environment's OTEL_LOGS_EXPORTER, "
            "OTEL_METRICS_EXPORTER, OTEL_SERVICE_NAME are not read") in r.stderr, r.stderr


def test_from_code_with_settings_over_it(c_program, tmp_path):
    path = tmp_path / "otel.yaml"
    path.write_text(CONSOLE_JSON)
    r = run(c_program("config_file"), str(path), "from-code", env=clean_env())
    assert r.returncode == 0, r.stdout + r.stderr
    (record,) = records(r.stdout)
    assert record["body"] == "from the file" and record["resource"]["service.name"] == "from-code"


def test_a_bad_file_is_refused_naming_the_path(c_program, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text('file_format: "1.0"\nmeter_provider:\n  readers:\n    - periodic:\n        exporter:\n'
                    '          otlp_http:\n            endpoint: [1]\n')
    r = run(c_program("config_file"), str(path), env=clean_env())
    assert r.returncode == 1
    assert (f"from_file OTELRS_ERR_CONFIG otelrs_config_from_file: configuration file {path}: "
            "meter_provider.readers[0].periodic.exporter.otlp_http.endpoint: expected a string") in r.stdout
    # A value a setting refuses, with its path in the file.
    path.write_text('file_format: "1.0"\nlogger_provider:\n  processors:\n    - batch:\n        max_queue_size: 0\n')
    r = run(c_program("config_file"), str(path), env=clean_env())
    assert "logger_provider.processors[0].batch.max_queue_size: invalid value \"0\" for OTEL_BLRP_MAX_QUEUE_SIZE" \
        in r.stdout, r.stdout
    # From the environment: otelrs_sdk_new fails the same way.
    r = run(c_program("logs"), "all", env=clean_env(OTEL_CONFIG_FILE=str(tmp_path / "missing.yaml")))
    assert r.returncode != 0 and "OTEL_CONFIG_FILE" in r.stderr
