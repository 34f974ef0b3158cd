"""Logs sent to Elasticsearch's bulk API, as documents of Elastic's OpenTelemetry-native mapping
in the data stream `logs-<dataset>.otel-<namespace>`: from C (tests/c/logs.c) and Python,
received by VictoriaLogs (which takes Elasticsearch bulk requests) and queried back with
LogsQL, and by OpenSearch 2.19 as a data stream (its mapping's types, the nanoseconds kept, the
documents its mapping refuses counted and reported); bad settings. (A backend that is down and
comes back: tests/test_backend_outages.py.)"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from conftest import OTEL_MAPPING, clean_env, run
from test_logs import TEXTS, TRACE_A

# How VictoriaLogs reads the documents: the message, the time, and the stream fields (as a
# shipper that sends it Elasticsearch bulk requests tells it, in headers).
VL_HEADERS = "VL-Msg-Field=body.text,VL-Time-Field=@timestamp,VL-Stream-Fields=resource.attributes.service.name"


def es_env(service: str, endpoint: str, **settings: str) -> dict[str, str]:
    return clean_env(OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="elasticsearch", OTEL_SERVICE_NAME=service,
                     OTELRS_EXPORTER_ELASTICSEARCH_ENDPOINT=f"{endpoint}/insert/elasticsearch",
                     OTELRS_EXPORTER_ELASTICSEARCH_HEADERS=VL_HEADERS, **settings)


def test_records_become_documents_of_the_otel_mapping(c_program, victorialogs, service_name):
    r = run(c_program("logs"), "all", env=es_env(service_name, victorialogs.url,
                                                 OTELRS_EXPORTER_ELASTICSEARCH_DATASET="checkout"))
    assert r.returncode == 0, r.stderr
    pid = r.stdout.split()[-1]
    docs = victorialogs.wait_for(f'resource.attributes.service.name:"{service_name}"', 35)
    by_body = {d["_msg"]: d for d in docs}
    assert len(docs) == len(by_body) == 35, sorted(by_body)
    for n in range(1, 25):
        d = by_body[f"severity {n}"]
        assert (d["severity_number"], d["severity_text"]) == (str(n), TEXTS[n - 1])
        assert (d["data_stream.type"], d["data_stream.dataset"], d["data_stream.namespace"]) == (
            "logs", "checkout.otel", "default")
        assert (d["scope.name"], d["scope.version"]) == ("shop.checkout", "2.0")
        assert (d["resource.attributes.process.pid"], d["resource.attributes.telemetry.sdk.name"]) == (pid, "otelrs")
    assert "severity_number" not in by_body["no severity"]
    typed = by_body["attribute types"]
    assert {k: typed[f"attributes.{k}"] for k in ("str", "bool", "int", "double", "strs", "ints")} == {
        "str": "text", "bool": "true", "int": "-42", "double": "2.5", "strs": '["x","y"]', "ints": "[1,-2,3]"}
    trace_id, span_id, _ = TRACE_A
    assert (by_body["in trace a"]["trace_id"], by_body["in trace a"]["span_id"]) == (trace_id, span_id)
    event = by_body["an event"]
    # @timestamp keeps the nanoseconds (epoch milliseconds with a fraction).
    assert event["event_name"] == "order.refused" and event["_time"] == "2023-11-14T22:13:20.123456789Z"
    assert int(event["observed_timestamp"].split(".")[0]) > 1_700_000_000_000


def test_a_structured_body_from_python_is_body_structured(victorialogs, service_name):
    code = f"""
        import otelrs
        otelrs.init(service_name={service_name!r}, metrics_exporter="none", logs_exporter="elasticsearch",
                    exporter_elasticsearch_endpoint={victorialogs.url + "/insert/elasticsearch"!r},
                    exporter_elasticsearch_headers={VL_HEADERS.replace("body.text", "event_name")!r})
        log = otelrs.get_logger("shop")
        log.emit({{"order": {{"id": 42, "paid": True}}, "items": ["a", "b"]}}, otelrs.Severity.INFO,
                 event_name="order.placed")
        log.emit(["x", 1], otelrs.Severity.WARN, event_name="a.list")
        otelrs.shutdown()
    """
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=clean_env(), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    docs = {d["_msg"]: d for d in victorialogs.wait_for(f'resource.attributes.service.name:"{service_name}"', 2)}
    placed = docs["order.placed"]
    assert (placed["body.structured.order.id"], placed["body.structured.order.paid"]) == ("42", "true")
    assert placed["body.structured.items"] == '["a","b"]'
    # A list of values that are not maps goes under structured.value, as the mapping asks.
    assert docs["a.list"]["body.structured.value"] == '["x",1]'


def test_bad_settings_are_errors_naming_the_setting(c_program):
    for settings, message in (
        ({"OTELRS_EXPORTER_ELASTICSEARCH_DATASET": "my-app"}, "OTELRS_EXPORTER_ELASTICSEARCH_DATASET"),
        ({"OTELRS_EXPORTER_ELASTICSEARCH_NAMESPACE": "Prod"}, "OTELRS_EXPORTER_ELASTICSEARCH_NAMESPACE"),
        ({"OTELRS_EXPORTER_ELASTICSEARCH_API_KEY": "k3y", "OTELRS_EXPORTER_ELASTICSEARCH_USER": "elastic"},
         "OTELRS_EXPORTER_ELASTICSEARCH_API_KEY and OTELRS_EXPORTER_ELASTICSEARCH_USER both set"),
        ({"OTELRS_EXPORTER_ELASTICSEARCH_ENDPOINT": "localhost"}, "OTELRS_EXPORTER_ELASTICSEARCH_ENDPOINT"),
        ({"OTEL_METRICS_EXPORTER": "elasticsearch"}, 'invalid value "elasticsearch" for OTEL_METRICS_EXPORTER'),
    ):
        env = es_env("bad", "http://127.0.0.1:9")
        env.update(settings)
        r = run(c_program("logs"), "all", env=env)
        assert r.returncode != 0 and message in r.stderr, (settings, r.stderr)
        assert "k3y" not in r.stderr


def test_records_become_documents_of_an_opensearch_data_stream(c_program, opensearch, service_name):
    r = run(c_program("logs"), "all", env=clean_env(
        OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="elasticsearch", OTEL_SERVICE_NAME=service_name,
        OTELRS_EXPORTER_ELASTICSEARCH_ENDPOINT=opensearch.url, OTELRS_EXPORTER_ELASTICSEARCH_DATASET="cprog"))
    assert r.returncode == 0 and "flush OTELRS_OK" in r.stdout, r.stderr
    docs = opensearch.search("logs-cprog.otel-default", f'resource.attributes.service.name:"{service_name}"')
    by_body = {d["body"]["text"]: d for d in docs}
    assert len(docs) == len(by_body) == 35, sorted(by_body)
    [stream] = opensearch.call("GET", "/_data_stream/logs-cprog.otel-default")["data_streams"]
    assert stream["template"] == "logs-otel" and stream["timestamp_field"]["name"] == "@timestamp"
    event = by_body["an event"]
    assert (event["@timestamp"], event["event_name"], event["severity_number"]) == (
        "1700000000123.456789", "order.refused", 13)
    assert event["data_stream"] == {"type": "logs", "dataset": "cprog.otel", "namespace": "default"}
    assert by_body["attribute types"]["attributes"]["strs"] == ["x", "y"]
    # The date_nanos field keeps the nanoseconds: a range query on them finds the event alone.
    hits = opensearch.call("POST", "/logs-cprog.otel-default/_search", {"query": {"bool": {"filter": [
        {"term": {"resource.attributes.service.name.keyword": service_name}},
        {"range": {"@timestamp": {"gte": "2023-11-14T22:13:20.123456789Z", "lte": "2023-11-14T22:13:20.123456789Z"}}},
    ]}}})["hits"]["hits"]
    assert [h["_source"]["body"]["text"] for h in hits] == ["an event"]


REFUSED = """
import json, sys, otelrs
otelrs.init(logs_exporter="elasticsearch", metrics_exporter="none", service_name=sys.argv[2],
            exporter_elasticsearch_endpoint=sys.argv[1], exporter_elasticsearch_dataset="strict")
log = otelrs.get_logger("shop")
for i in range(5):
    log.info(f"order {i}", attributes={"count": -42} if i in (1, 3) else {"count": True})
try:
    otelrs.force_flush(20)
    print("delivered")
except otelrs.ExportError as e:
    print(e)
print(json.dumps(otelrs.health()["exporters"][0]))
"""


def test_documents_opensearch_refuses_are_counted_and_reported(opensearch, service_name):
    # A mapping that takes `attributes.count` as a boolean only: the records with a number fail.
    opensearch.template("logs-strict", "logs-strict.otel-*", dict(OTEL_MAPPING, attributes={
        "properties": {"count": {"type": "boolean"}}}), priority=200)
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(REFUSED), opensearch.url, service_name],
                       env=clean_env(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    message, health = r.stdout.splitlines()
    assert "Elasticsearch rejected 2 of 5 documents: HTTP 400 mapper_parsing_exception" in message, message
    health = json.loads(health)
    assert (health["exported"], health["failed"], health["status"]) == (3, 2, "degraded"), health
    docs = opensearch.search("logs-strict.otel-default", f'resource.attributes.service.name:"{service_name}"')
    assert sorted(d["body"]["text"] for d in docs) == ["order 0", "order 2", "order 4"]
