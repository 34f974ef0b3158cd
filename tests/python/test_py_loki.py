"""Records of the standard library's `logging` pushed to Loki through otelrs.LoggingHandler,
with the settings given to otelrs.init; received by VictoriaLogs (which takes Loki pushes;
tests/run-all.sh starts it) and queried back."""

from __future__ import annotations

from typing import Any

from helpers import env, ok


def test_logging_records_reach_loki_with_the_settings_given_in_code(victorialogs: Any, service_name: str) -> None:
    ok(
        f"""
        import logging, otelrs
        otelrs.init(service_name={service_name!r}, metrics_exporter="none", logs_exporter="loki",
                    exporter_loki_endpoint={victorialogs.loki!r}, exporter_loki_labels="service.name,level,sku")
        log = logging.getLogger("shop")
        log.addHandler(otelrs.LoggingHandler())
        log.setLevel(logging.INFO)
        log.warning("stock low: %d", 3, extra={{"sku": "A-1", "store": 7}})
        try:
            1 / 0
        except ZeroDivisionError:
            log.exception("checkout failed")
        otelrs.shutdown()
        """,
        env(),
    )
    records = {r["_msg"]: r for r in victorialogs.wait_for(f'service_name:"{service_name}"', 2)}
    assert sorted(records) == ["checkout failed", "stock low: 3"]
    low = records["stock low: 3"]
    # `sku` is a label now; the record's other attributes are structured metadata.
    assert low["_stream"] == f'{{level="warn",service_name="{service_name}",sku="A-1"}}'
    assert (low["store"], low["scope_name"], low["severity_text"]) == ("7", "shop", "WARN")
    failed = records["checkout failed"]
    assert failed["level"] == "error" and failed["exception_type"] == "ZeroDivisionError"
    assert "ZeroDivisionError: division by zero" in failed["exception_stacktrace"]
