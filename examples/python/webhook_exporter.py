"""An exporter of one's own: each batch of log records, as OTLP JSON, posted to a webhook.
Any function can take the batches; otelrs calls it on its own thread, never the program's.

    python3 examples/python/webhook_exporter.py http://localhost:8080/logs
"""

from __future__ import annotations

import sys
import urllib.request

import otelrs


def post_to(url: str) -> otelrs.Exporter:
    def post(batch: bytes) -> otelrs.ExportResult:
        request = urllib.request.Request(url, data=batch, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                return otelrs.ExportResult.SUCCESS if answer.status < 300 else otelrs.ExportResult.FAILURE
        except OSError:
            return otelrs.ExportResult.RETRY  # the webhook may be back in a moment: otelrs retries

    return otelrs.Exporter("webhook", post, format="json")


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8080/logs"
    otelrs.init(service_name="checkout", logs_exporter="none", metrics_exporter="none", log_exporters=[post_to(url)])
    log = otelrs.get_logger("shop")
    log.info("order placed", attributes={"order.id": "A-17"})
    log.warning("payment slow", attributes={"ms": 950})
    otelrs.shutdown()  # the last batch is posted before it returns
    print(otelrs.health()["exporters"][0])


if __name__ == "__main__":
    main()
