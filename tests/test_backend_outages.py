"""The Loki and Elasticsearch exporters through an outage: records logged while the backend
(VictoriaLogs, which takes both) is down are retried, then counted as failed without the
program waiting, the failure is reported once, and once the backend is back the next records
arrive and the exporter is healthy again. (ClickHouse's outage: tests/test_clickhouse.py.)"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from conftest import OwnVictoriaLogs, clean_env

APP = """
import json, sys, otelrs
otelrs.init(metrics_exporter="none", service_name=sys.argv[1], blrp_export_timeout=2000, **json.loads(sys.argv[2]))
log = otelrs.get_logger("shop")
def flush():
    try:
        otelrs.force_flush(20)
        return "delivered"
    except otelrs.ExportError:
        return "failed"
for i in range(50):
    log.info(f"while down {i}")
print(flush(), json.dumps(otelrs.health()["exporters"][0]), flush=True)
sys.stdin.readline()                    # the test starts the backend
for i in range(50):
    log.info(f"after {i}")
print(flush(), json.dumps(otelrs.health()["exporters"][0]), flush=True)
otelrs.shutdown()
"""


def settings(exporter: str, url: str) -> dict[str, str]:
    if exporter == "loki":
        return {"logs_exporter": "loki", "exporter_loki_endpoint": f"{url}/insert/loki/api/v1/push"}
    return {"logs_exporter": "elasticsearch", "exporter_elasticsearch_endpoint": f"{url}/insert/elasticsearch",
            "exporter_elasticsearch_headers": "VL-Msg-Field=body.text,VL-Time-Field=@timestamp"}


@pytest.mark.parametrize("exporter,field", [("loki", "service_name"),
                                            ("elasticsearch", "resource.attributes.service.name")])
def test_the_exporter_keeps_working_once_a_backend_that_was_down_is_back(tmp_path, service_name, exporter, field):
    backend = OwnVictoriaLogs(tmp_path)
    app = subprocess.Popen([sys.executable, "-c", textwrap.dedent(APP), service_name,
                            json.dumps(settings(exporter, backend.url))],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=clean_env())
    try:
        down, health = app.stdout.readline().split(" ", 1)
        health = json.loads(health)
        # Nothing listens: the push is retried (a refused connection may be transient), then
        # the batch is counted as failed, never blocking the program.
        assert down == "failed", app.stderr.read()
        assert (health["exporter"], health["status"], health["failed"]) == (exporter, "degraded", 50), health
        assert health["retries"] >= 1 and "Connection refused" in health["last_error"], health
        backend.start()
        app.stdin.write("\n")
        app.stdin.flush()
        back, health = app.stdout.readline().split(" ", 1)
        health = json.loads(health)
        assert app.wait(timeout=30) == 0, app.stderr.read()
        assert back == "delivered"
        assert (health["status"], health["exported"], health["failed"]) == ("ok", 50, 50), health
        records = backend.wait_for(f'{field}:"{service_name}"', 50)
        assert sorted(rec["_msg"] for rec in records) == sorted(f"after {i}" for i in range(50))
        # The failure was reported once on stderr, with the reason.
        assert app.stderr.read().count(f"{exporter} exporter:") == 1
    finally:
        app.kill()
        backend.stop()
