"""End to end from Python through the real OpenTelemetry Collector, over gRPC and HTTP (what
the Collector received and wrote is checked), and what reaches an OTLP/HTTP endpoint."""

from __future__ import annotations

import http.server
import threading

import pytest
from helpers import CollectorLike, attributes, env, number, ok, points


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf", "http/json"])
def test_metrics_and_logs_reach_the_collector(collector: CollectorLike, service_name: str, protocol: str) -> None:
    endpoint = collector.grpc if protocol == "grpc" else collector.http
    out = ok(
        """
        import logging, os, otelrs
        otelrs.init(service_name=%r, exporter_otlp_endpoint=%r, exporter_otlp_protocol=%r,
                    resource_attributes={"host.name": "py-host"})
        meter = otelrs.get_meter("shop", "1.0")
        orders = meter.create_counter("shop.orders", unit="{order}", description="Orders placed", value_type=int)
        orders.add(1, {"region": "eu", "paid": True})
        eu = orders.bind({"region": "eu"}); eu.add(2)
        latency = meter.create_histogram("http.server.request.duration", unit="s")
        latency.record(0.25, {"http.route": "/users"})
        meter.create_observable_gauge("queue.depth", callbacks=[lambda o: [otelrs.Observation(3, {"q": "a"})]])
        meter.create_gauge("temperature").set(21.5)
        meter.create_up_down_counter("active").add(-2)
        logging.getLogger().addHandler(otelrs.LoggingHandler())
        logging.getLogger("app").warning("low stock %%s", "A-1", extra={"sku": "A-1"})
        otelrs.get_logger("shop").info("order placed", attributes={"order.id": 42},
                                        traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        otelrs.shutdown()
        print(os.getpid())
        """
        % (service_name, endpoint, protocol),
        env(),
    )
    pid = int(out.split()[-1])
    (rm,) = collector.wait_for(service_name, 1)
    resource = attributes(rm["resource"]["attributes"])
    assert resource["service.name"] == service_name and resource["host.name"] == "py-host"
    assert resource["telemetry.sdk.language"] == "python" and resource["process.pid"] == pid
    got = {m["name"]: (sm["scope"], m) for sm in rm["scopeMetrics"] for m in sm["metrics"]}
    scope, orders = got["shop.orders"]
    assert scope["name"] == "shop" and scope["version"] == "1.0"
    assert orders["unit"] == "{order}" and orders["description"] == "Orders placed"
    assert {k: p["asInt"] for k, p in points(orders).items()} == {
        frozenset({("region", "eu"), ("paid", True)}): "1",
        frozenset({("region", "eu")}): "2",
    }
    hist = points(got["http.server.request.duration"][1])[frozenset({("http.route", "/users")})]
    assert int(hist["count"]) == 1 and hist["sum"] == 0.25
    assert number(points(got["queue.depth"][1])[frozenset({("q", "a")})]) == 3
    assert number(points(got["temperature"][1])[frozenset()]) == 21.5
    assert number(points(got["active"][1])[frozenset()]) == -2

    records = {r["body"]["stringValue"]: (scope, r) for scope, r in collector.wait_for_logs(service_name, 2)}
    scope, warning = records["low stock A-1"]
    assert scope["name"] == "app" and warning["severityNumber"] == 13 and warning["severityText"] == "WARN"
    assert attributes(warning["attributes"])["sku"] == "A-1"
    scope, placed = records["order placed"]
    assert scope["name"] == "shop" and placed["severityText"] == "INFO"
    assert attributes(placed["attributes"]) == {"order.id": 42}
    assert placed["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736" and placed["spanId"] == "00f067aa0ba902b7"


def test_settings_from_code_win_over_the_environment_on_the_wire() -> None:
    # Headers and compression given to init() are what both signals send, whatever the
    # environment says (an OTLP exporter that re-reads the environment would send "env").
    seen: list[tuple[str, dict[str, str]]] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        ok(
            """
            import otelrs
            otelrs.init(exporter_otlp_endpoint=%r, exporter_otlp_protocol="http/protobuf",
                        exporter_otlp_headers={"x-tenant": "code"}, exporter_otlp_compression="none")
            otelrs.get_meter("m").create_counter("c").add(1)
            otelrs.get_logger("l").info("hello")
            otelrs.shutdown()
            """
            % f"http://127.0.0.1:{server.server_address[1]}",
            env(OTEL_EXPORTER_OTLP_HEADERS="x-tenant=env", OTEL_EXPORTER_OTLP_COMPRESSION="gzip"),
        )
    finally:
        server.shutdown()
    paths = {path for path, _ in seen}
    assert paths == {"/v1/metrics", "/v1/logs"}
    assert all(h["x-tenant"] == "code" and "content-encoding" not in h for _, h in seen), seen
