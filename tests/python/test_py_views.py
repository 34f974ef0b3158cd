"""Views from Python: `otelrs.init(views=[...])` with dicts (lists for boundaries and
attribute keys) or strings in the text form; bad views raise ConfigError saying why."""

from __future__ import annotations

import json

from helpers import JSON, env, ok


def collected(code: str) -> JSON:
    out = ok(f"""
import otelrs
{code}
m = otelrs.get_meter("shop")
m.create_histogram("http.server.request.duration", unit="s").record(0.02, {{"http.route": "/a", "user.id": 7}})
c = m.create_counter("shop.orders")
for i in range(10):
    c.add(1, {{"region": f"r{{i}}"}})
otelrs.get_meter("noisy").create_counter("noisy.events").add(1)
print(otelrs.collect_json())
""", env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none"))
    by_name: JSON = {}
    for rm in json.loads(out.splitlines()[-1])["resourceMetrics"]:
        for sm in rm["scopeMetrics"]:
            for m in sm["metrics"]:
                by_name[m["name"]] = m
    return by_name


def test_views_as_dicts_and_strings() -> None:
    got = collected("""
otelrs.init(views=[
    {"instrument_name": "http.server.*", "boundaries": [0.01, 0.1], "record_min_max": False,
     "attribute_keys": ["http.route"]},
    {"instrument_name": "shop.orders", "name": "orders", "description": "a, b | c",
     "aggregation_cardinality_limit": 3},
    "meter_name=noisy,aggregation=drop",
])
""")
    (point,) = got["http.server.request.duration"]["histogram"]["dataPoints"]
    assert point["explicitBounds"] == [0.01, 0.1] and point.get("min") is None
    assert point["attributes"] == [{"key": "http.route", "value": {"stringValue": "/a"}}]
    orders = got["orders"]
    assert orders["description"] == "a, b | c"
    assert len(orders["sum"]["dataPoints"]) == 4  # 3 attribute sets and the overflow series
    assert sum(p["asDouble"] for p in orders["sum"]["dataPoints"]) == 10
    assert "noisy.events" not in got and "shop.orders" not in got


def test_exponential_histograms_selected_by_type_and_unit() -> None:
    got = collected("""
otelrs.init(views=[{"instrument_type": "histogram", "unit": "s", "aggregation": "base2_exponential_bucket_histogram",
                    "max_scale": 4, "max_size": 40}])
""")
    (point,) = got["http.server.request.duration"]["exponentialHistogram"]["dataPoints"]
    assert int(point["count"]) == 1 and point.get("scale", 0) <= 4
    assert "sum" in got["shop.orders"]  # a counter: not selected


def test_bad_views_raise_config_error() -> None:
    out = ok("""
import otelrs
for views in ([{"name": "x"}], [{"instrument_name": "h", "boundaries": [2, 1]}], ["instrument_name=h,colour=red"],
              "instrument_name=h", [42]):
    try:
        otelrs.init(views=views)
    except (otelrs.ConfigError, TypeError) as e:
        print(type(e).__name__, e)
""")
    lines = out.splitlines()
    assert lines[0].startswith('ConfigError invalid view "name=x": it selects nothing')
    assert lines[1].endswith("boundaries must increase: 1 comes after 2")
    assert 'unknown key "colour"' in lines[2]
    assert lines[3] == "TypeError views must be a list of views (dicts or strings), not a single view"
    assert lines[4] == "TypeError a view is a dict or a str, got int"
