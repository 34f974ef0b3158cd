"""End to end through the real OpenTelemetry Collector (tests/collector, started by
tests/run-all.sh): what the Collector received and wrote is checked for every instrument kind,
over gRPC and HTTP, cumulative and delta; and fork."""

from __future__ import annotations

import os
import pathlib

import pytest
from conftest import Collector, OwnCollector, clean_env, run
from expected import check_record_all, check_resource
from otlp import attributes, body, data, key, log_records, metrics, number, resource_logs, series


@pytest.mark.parametrize(
    "protocol,temporality,compression",
    [
        ("grpc", "cumulative", "none"),
        ("grpc", "delta", "gzip"),
        ("http/protobuf", "cumulative", "gzip"),
        ("http/protobuf", "delta", "none"),
        ("http/json", "cumulative", "none"),
    ],
)
def test_every_instrument_reaches_the_collector(c_program, collector, service_name, protocol, temporality, compression):
    endpoint = collector.grpc if protocol == "grpc" else collector.http
    env = clean_env(
        OTEL_SERVICE_NAME=service_name,
        OTEL_RESOURCE_ATTRIBUTES="host.name=e2e-host",
        OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT=endpoint,
        OTEL_EXPORTER_OTLP_COMPRESSION=compression,
        OTEL_EXPORTER_OTLP_HEADERS="x-otelrs-test=yes",
        OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=temporality,
    )
    r = run(c_program("record_all"), env=env)
    assert r.returncode == 0, r.stderr
    pid = int(r.stdout.split()[-1])
    received = collector.wait_for(service_name, 2)
    assert len(received) == 2, f"the Collector got {len(received)} exports of {service_name}"
    for phase, rm in enumerate(received, start=1):
        check_resource(rm, service_name, pid, {"host.name": "e2e-host"})
        check_record_all(rm, phase, temporality)


def test_signal_specific_endpoint_and_settings_from_code_reach_the_collector(c_program, collector, service_name):
    # OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is used as given (no /v1/metrics appended), and it
    # beats a wrong generic endpoint.
    env = clean_env(
        OTEL_SERVICE_NAME=service_name,
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:1",
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=collector.http + "/v1/metrics",
    )
    r = run(c_program("record_all"), env=env)
    assert r.returncode == 0, r.stderr
    assert len(collector.wait_for(service_name, 2)) == 2


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_tls_with_the_certificate_setting(c_program, collector, service_name, protocol):
    env = clean_env(
        OTEL_SERVICE_NAME=service_name,
        OTEL_LOGS_EXPORTER="none",
        OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT=collector.grpc_tls if protocol == "grpc" else collector.http_tls,
        OTEL_EXPORTER_OTLP_CERTIFICATE=str(collector.ca),
    )
    r = run(c_program("record_all"), env=env)
    assert r.returncode == 0, r.stderr
    received = collector.wait_for(service_name, 2)
    assert len(received) == 2
    check_record_all(received[0], 1, "cumulative")


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_tls_without_the_ca_fails_with_a_clear_error(c_program, collector, service_name, protocol):
    env = clean_env(
        OTEL_SERVICE_NAME=service_name,
        OTEL_LOGS_EXPORTER="none",
        OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT=collector.grpc_tls if protocol == "grpc" else collector.http_tls,
    )
    r = run(c_program("record_all"), env=env, timeout=30)
    assert r.returncode == 1
    assert "flush: otelrs_sdk_force_flush: otlp exporter:" in r.stderr
    # Both transports say why.
    assert "UnknownIssuer" in r.stderr, r.stderr


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_logs_over_tls_with_the_certificate_setting(c_program, collector, service_name, protocol):
    env = clean_env(
        OTEL_SERVICE_NAME=service_name,
        OTEL_METRICS_EXPORTER="none",
        OTEL_LOGS_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT=collector.grpc_tls if protocol == "grpc" else collector.http_tls,
        OTEL_EXPORTER_OTLP_CERTIFICATE=str(collector.ca),
    )
    r = run(c_program("logs"), "all", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(collector.wait_for_logs(service_name, 35)) == 35


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_logs_over_tls_without_the_ca_fail_with_a_clear_error(c_program, collector, service_name, protocol):
    env = clean_env(
        OTEL_SERVICE_NAME=service_name,
        OTEL_METRICS_EXPORTER="none",
        OTEL_LOGS_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT=collector.grpc_tls if protocol == "grpc" else collector.http_tls,
    )
    r = run(c_program("logs"), "all", env=env, timeout=30)
    assert "otlp log exporter:" in r.stderr, r.stdout + r.stderr
    assert "UnknownIssuer" in r.stderr, r.stderr


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_fork_child_exports_its_own_measurements_and_the_parent_keeps_exporting(c_program, collector, service_name,
                                                                                protocol):
    env = clean_env(
        OTEL_SERVICE_NAME=service_name,
        OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT=collector.grpc if protocol == "grpc" else collector.http,
        OTELRS_SYSTEM_METRICS="process,sdk",
        # The health thread evaluating often, so that it is likely at work when the parent forks.
        OTELRS_HEALTH_RULES="error_logs_per_minute>1000,host_cpu_utilization>1", OTELRS_HEALTH_INTERVAL="5",
    )
    r = run(c_program("fork"), env=env, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = dict(line.split(" ", 1) for line in r.stdout.splitlines())
    child_pid = int(lines["child"].split()[0])
    parent_pid = int(lines["parent"].split()[0])
    assert "flush OTELRS_OK shutdown OTELRS_OK" in lines["child"]

    received = collector.wait_for(service_name, 3)
    collector.wait_for_logs(service_name, 3)
    by_pid: dict[int, list[dict]] = {}
    for rm in received:
        by_pid.setdefault(attributes(rm["resource"]["attributes"])["process.pid"], []).append(rm)
    assert set(by_pid) == {child_pid, parent_pid}

    child = metrics(by_pid[child_pid][-1])
    events = {dict(k)["who"]: number(p) for k, p in series(child["fork.events"][1]).items()}
    # The child's own counts only: nothing the parent recorded before the fork.
    assert events == {"child": 7, "bound": 2, "parent-before-fork": 3}
    # A bound histogram the child never recorded through: no empty series in the child.
    assert "fork.latency" not in child
    assert number(series(child["fork.pid"][1])[key({})]) == child_pid
    # otelrs's own figures in the child start from zero: its one record, created and exported
    # (by its flush), and its own process.
    assert number(series(child["otel.sdk.log.created"][1])[key({})]) == 1
    exported = {k: number(p) for k, p in series(child["otel.sdk.exporter.log.exported"][1]).items()}
    assert sum(exported.values()) == 1 and all("error.type" not in dict(k) for k in exported), exported
    assert number(series(child["process.thread.count"][1])[key({})]) >= 1

    parent = metrics(by_pid[parent_pid][-1])
    events = {dict(k)["who"]: number(p) for k, p in series(parent["fork.events"][1]).items()}
    assert events == {"parent-before-fork": 5, "parent-after-fork": 11, "bound": 4}
    (latency,) = data(parent["fork.latency"][1])[1]["dataPoints"]
    assert int(latency["count"]) == 2
    assert number(series(parent["fork.pid"][1])[key({})]) == parent_pid

    logs = {}
    for rl in resource_logs(collector.requests(), service_name):
        pid = attributes(rl["resource"]["attributes"])["process.pid"]
        logs.setdefault(pid, []).extend(body(r) for _, r in log_records([rl]))
    assert sorted(logs[child_pid]) == ["child"]
    assert sorted(logs[parent_pid]) == ["parent after fork", "parent before fork"]


@pytest.fixture
def mtls_collector(tmp_path):
    """A Collector that asks its clients for a certificate of the test CA."""
    c = OwnCollector(tmp_path, "mtls.yaml")
    c.start()
    yield c
    c.stop()


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_logs_over_mtls_with_the_client_certificate_settings(c_program, mtls_collector, service_name, protocol):
    tls = pathlib.Path(os.environ["OTELRS_TEST_TLS_DIR"])
    port = (mtls_collector.grpc if protocol == "grpc" else mtls_collector.http).rsplit(":", 1)[1]
    settings = dict(OTEL_SERVICE_NAME=service_name, OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="otlp",
                    OTEL_EXPORTER_OTLP_PROTOCOL=protocol, OTEL_EXPORTER_OTLP_ENDPOINT=f"https://localhost:{port}",
                    OTEL_EXPORTER_OTLP_CERTIFICATE=str(tls / "ca.pem"))
    # Without a client certificate the Collector refuses the connection. otelrs's write to the
    # closed connection raises SIGPIPE, which killed this C program in about half the runs
    # over gRPC before otelrs's threads kept it blocked: five runs.
    for _ in range(5):
        refused = run(c_program("logs"), "all", env=clean_env(**settings), timeout=60)
        assert refused.returncode != -13, "killed by SIGPIPE"
        assert "otlp log exporter:" in refused.stderr, refused.stdout + refused.stderr
    r = run(c_program("logs"), "all", env=clean_env(**settings, OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE=str(
        tls / "client.pem"), OTEL_EXPORTER_OTLP_CLIENT_KEY=str(tls / "client.key")), timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    received = Collector._wait(lambda: log_records(resource_logs(mtls_collector.requests(), service_name)),
                               lambda found: len(found) >= 35, 30)
    assert len(received) == 35  # only the second run's records: the first one's never arrived
