"""The shipped Prometheus alerting rules (prometheus/otelrs-alerts.yml): `promtool check rules`
and `promtool test rules` pass, and every series the rule tests feed them is one a real otelrs
scrape shows, by name and labels, in a program whose exporter fails, whose log queue drops,
which samples logs and whose metric overflows its cardinality limit."""

from __future__ import annotations

import pathlib
import re
import subprocess
from typing import Dict, List, Set

from helpers import env, ok
from prometheus_client.parser import text_string_to_metric_families
from test_py_prometheus import SCRAPE, free_port

ROOT = pathlib.Path(__file__).resolve().parents[2]
RULES = ROOT / "prometheus" / "otelrs-alerts.yml"
RULE_TESTS = ROOT / "tests" / "prometheus" / "otelrs-alerts.test.yml"


def test_promtool_checks_and_tests_the_rules() -> None:
    check = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True, text=True, check=False)
    assert check.returncode == 0 and "SUCCESS: 5 rules found" in check.stdout, check.stdout + check.stderr
    tested = subprocess.run(["promtool", "test", "rules", str(RULE_TESTS)], capture_output=True, text=True,
                            check=False)
    assert tested.returncode == 0 and "SUCCESS" in tested.stdout, tested.stdout + tested.stderr


def scraped_labels(text: str) -> Dict[str, List[Dict[str, str]]]:
    """The label sets of every sample of a scrape, by sample name."""
    samples: Dict[str, List[Dict[str, str]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(dict(sample.labels))
    return samples


def test_the_rule_tests_series_are_what_otelrs_exports() -> None:
    port = free_port()
    text = ok(SCRAPE + f"""
import time, otelrs
otelrs.init(service_name="alerts", metrics_exporter="prometheus", exporter_prometheus_port={port},
            system_metrics=["sdk"], metrics_cardinality_limit=10, logs_exporter="otlp",
            exporter_otlp_protocol="http/protobuf", exporter_otlp_logs_endpoint="http://127.0.0.1:9",
            exporter_otlp_timeout=300, blrp_schedule_delay=50, blrp_max_queue_size=4,
            logs_sampling_ratio=0.5)
hits = otelrs.get_meter("m").create_counter("hits", value_type=int)
for k in range(20):
    hits.add(1, {{"k": str(k)}})
log = otelrs.get_logger("app")
for i in range(200):
    log.info("ok")
for i in range(20):
    log.error("boom")
time.sleep(2)
print(scrape({port}))
otelrs.shutdown()
""", env(), timeout=120)
    scraped = scraped_labels(text)
    series = re.findall(r"series: '(\w+)\{(.*?)\}'", RULE_TESTS.read_text())
    assert len(series) >= 10
    for name, labels in series:
        keys: Set[str] = {kv.split("=")[0] for kv in labels.split(",")} - {"job", "instance"}
        if name in ("hits_total", "orders_total"):
            continue  # a program's own metrics
        assert name in scraped, f"{name} is not in a scrape of otelrs"
        assert any(keys <= set(s) for s in scraped[name]), f"{name}: no sample has the labels {keys}: {scraped[name]}"
    values = {(name, k, v) for name, sets in scraped.items() for s in sets for k, v in s.items()}
    # The label values the rules select on.
    for expected in [("otelrs_logs_records_total", "log_severity", "ERROR"),
                     ("otelrs_logs_left_out_total", "reason", "dropped"),
                     ("otelrs_logs_left_out_total", "reason", "sampled_out"),
                     ("otel_sdk_exporter_log_exported_total", "error_type", "unavailable"),
                     ("hits_total", "otel_metric_overflow", "true")]:
        assert expected in values, expected
