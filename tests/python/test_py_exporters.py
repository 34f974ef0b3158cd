"""Exporters written in Python (`init(log_exporters=..., metric_exporters=...)`): every batch
handed to a function as OTLP JSON or protobuf bytes on an otelrs thread; the answers None,
True, False, ExportResult and an exception counted in the health report; bad registrations
refused with a reason; and the webhook example posting to a real HTTP server."""

from __future__ import annotations

import http.server
import json
import pathlib
import subprocess
import sys
import threading
from typing import Any

from helpers import env, ok, run_py

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent


def test_python_functions_get_every_batch_and_their_answers_count() -> None:
    out = ok(
        """
        import json, threading, otelrs
        from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
        logs, metrics, calls = [], [], {"flaky": 0}
        def keep(batch):
            logs.append((threading.current_thread() is threading.main_thread(), json.loads(batch)))
        def flaky(batch):
            calls["flaky"] += 1
            return otelrs.ExportResult.RETRY if calls["flaky"] == 1 else True
        def raises(batch):
            raise RuntimeError("webhook down")
        otelrs.init(service_name="py-custom", logs_exporter="none", metrics_exporter="none",
                    log_exporters={"keep": keep, "flaky": flaky, "raises": raises, "false": lambda b: False},
                    metric_exporters=[otelrs.Exporter("pb", lambda b: metrics.append(b), format="protobuf")])
        otelrs.get_meter("shop").create_counter("shop.orders", value_type=int).add(3, {"region": "eu"})
        log = otelrs.get_logger("shop")
        log.info("order placed", attributes={"order.id": "A-17"})
        try:
            otelrs.force_flush(10)
        except otelrs.ExportError as e:
            print("flush:", e)
        request = ExportMetricsServiceRequest.FromString(metrics[0])
        names = [m.name for sm in request.resource_metrics[0].scope_metrics for m in sm.metrics]
        print(json.dumps({"on_main": logs[0][0], "batch": logs[0][1], "names": names,
                          "health": otelrs.health()["exporters"], "flaky": calls["flaky"]}))
        otelrs.shutdown()
        """,
        env(),
    )
    flush, report = out.splitlines()[0], json.loads(out.splitlines()[1])
    assert flush.startswith("flush:") and 'custom "raises" exporter: raised RuntimeError: webhook down' in flush
    assert report["on_main"] is False  # called on otelrs's thread
    [record] = report["batch"]["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    assert record["body"]["stringValue"] == "order placed"
    assert "shop.orders" in report["names"]
    by_name = {e["exporter"]: e for e in report["health"]}
    assert (by_name["keep"]["status"], by_name["keep"]["exported"]) == ("ok", 1)
    assert (by_name["flaky"]["retries"], by_name["flaky"]["exported"], report["flaky"]) == (1, 1, 2)
    assert by_name["raises"]["failed"] == 1
    assert by_name["false"]["last_error"] == 'custom "false" exporter: returned False'
    assert by_name["pb"]["component"] == "custom_metric_exporter/0"


def test_bad_exporters_are_refused_at_init() -> None:
    for given, message in (
        ("log_exporters={'bad name': print}", "invalid custom exporter name"),
        ("log_exporters={'x': 3}", 'exporter "x": int is not callable'),
        ("metric_exporters=[print]", "an exporter in a list is an otelrs.Exporter"),
        ("metric_exporters=[otelrs.Exporter('x', print, format='xml')]", 'format is "json" or "protobuf"'),
        ("log_exporters=[otelrs.Exporter('x', print), otelrs.Exporter('x', print)]", "registered already"),
    ):
        r = run_py(f"import otelrs\notelrs.init({given})\n", env())
        assert r.returncode != 0 and message in r.stderr, (given, r.stderr)


class Webhook(http.server.BaseHTTPRequestHandler):
    received: list[Any] = []

    def do_POST(self) -> None:  # noqa: N802 (the handler's name)
        length = int(self.headers["Content-Length"])
        Webhook.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def test_the_webhook_example_posts_every_record() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/logs"
        r = subprocess.run([sys.executable, str(ROOT / "examples" / "python" / "webhook_exporter.py"), url],
                           env=env(), capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        bodies = [rec["body"]["stringValue"] for batch in Webhook.received for rl in batch["resourceLogs"]
                  for sl in rl["scopeLogs"] for rec in sl["logRecords"]]
        assert bodies == ["order placed", "payment slow"]
        assert "'exporter': 'webhook'" in r.stdout and "'status': 'ok'" in r.stdout
    finally:
        server.shutdown()
