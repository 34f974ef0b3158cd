"""Metrics and logs from Python with otelrs: run it with the console exporter to see them.

    OTEL_METRICS_EXPORTER=console OTEL_LOGS_EXPORTER=console python3 examples/python/quickstart.py
"""

from __future__ import annotations

import logging
import time
from typing import Iterable

import otelrs


def queue_depths(options: otelrs.CallbackOptions) -> Iterable[otelrs.Observation]:
    return [otelrs.Observation(3, {"queue": "orders"}), otelrs.Observation(0, {"queue": "refunds"})]


def load_user(latency: otelrs.Histogram, user_id: int) -> str:
    with latency.time({"http.route": "/users"}):  # timed even when it returns from inside
        return f"user-{user_id}"


def main() -> None:
    otelrs.init(service_name="checkout")  # everything else from the OTEL_* environment
    meter = otelrs.get_meter("shop", "1.0")
    orders = meter.create_counter("shop.orders", unit="{order}", description="Orders placed", value_type=int)
    orders.add(1, {"region": "eu", "paid": True})
    eu = orders.bind({"region": "eu"})  # the hot path: no attribute work per call
    eu.add(1)

    latency = meter.create_histogram("http.server.request.duration", unit="s")
    with latency.time({"http.route": "/users"}):
        time.sleep(0.01)
    load_user(latency, 7)

    @latency.time({"http.route": "/orders"})
    def handle_order() -> str:
        return "ok"

    handle_order()
    meter.create_observable_gauge("queue.depth", callbacks=[queue_depths])

    logging.basicConfig(level=logging.INFO, handlers=[otelrs.LoggingHandler()])
    logging.getLogger("shop.checkout").info("order %s placed", "A-17", extra={"order.id": "A-17"})
    otelrs.get_logger("shop").warning("stock low", attributes={"sku": "B-2", "left": 3})
    otelrs.shutdown()


if __name__ == "__main__":
    main()
