"""A request loop that logs with the trace context each request arrived with (its W3C
`traceparent` header), and times each request into a histogram.

    OTEL_LOGS_EXPORTER=console OTEL_METRICS_EXPORTER=console python3 examples/python/traced_requests.py
"""

from __future__ import annotations

import random

import otelrs

REQUESTS = [
    ("/users", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    ("/orders", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
    ("/health", None),
]


def main() -> None:
    meter = otelrs.get_meter("server")
    duration = meter.create_histogram("http.server.request.duration", unit="s")
    log = otelrs.get_logger("server")
    for route, traceparent in REQUESTS:
        with otelrs.traceparent(traceparent) if traceparent else _no_trace():
            with duration.time({"http.route": route}):
                log.info("handling request", attributes={"http.route": route})
                if random.random() < 0.5:
                    log.warning("slow backend", attributes={"http.route": route})
    otelrs.shutdown()


class _no_trace:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


if __name__ == "__main__":
    main()
