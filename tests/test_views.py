"""Views from C (tests/c/views.c adds each argument with otelrs_config_add_view) and from
OTELRS_METRICS_VIEWS: selection by name (with wildcards), type, unit and meter; renaming,
explicit and exponential buckets, drop, attribute allow-lists, cardinality limits with the
overflow series; OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION; bad views."""

from __future__ import annotations

import json

from conftest import clean_env, run
from otlp import data, key, metrics, number, series


def collect(c_program, *views: str, **settings: str) -> tuple[dict[str, tuple[dict, dict]], list[str], str]:
    """name -> (scope, metric) of what tests/c/views.c recorded, the lines it printed before
    the JSON, and its stderr."""
    r = run(c_program("views"), *views, env=clean_env(**settings))
    assert r.returncode == 0, r.stdout + r.stderr
    *notes, last = r.stdout.splitlines()
    if last.startswith("sdk refused"):
        return {}, [*notes, last], r.stderr
    (rm,) = json.loads(last)["resourceMetrics"]
    return metrics(rm), notes, r.stderr


def test_no_view_gives_the_default_streams(c_program):
    got, notes, _ = collect(c_program)
    assert notes == []
    assert {"shop.orders", "http.server.request.duration", "db.duration", "queue.depth", "noisy.events"} <= set(got)
    assert data(got["http.server.request.duration"][1])[0] == "histogram"


def test_rename_and_describe_one_instrument(c_program):
    got, _, _ = collect(c_program, "instrument_name=shop.orders,name=orders.placed,description=Orders%2C placed")
    assert "shop.orders" not in got
    scope, m = got["orders.placed"]
    assert scope["name"] == "shop" and m["description"] == "Orders, placed" and m["unit"] == "{order}"
    assert sum(number(p) for p in series(m).values()) == 55


def test_explicit_buckets_with_and_without_min_max(c_program):
    got, _, _ = collect(c_program, "instrument_name=http.server.request.duration,boundaries=0.01|0.1|1",
                        "instrument_name=db.duration,boundaries=10|100,record_min_max=false")
    (p,) = series(got["http.server.request.duration"][1]).values()
    assert p["explicitBounds"] == [0.01, 0.1, 1.0]
    assert [int(c) for c in p["bucketCounts"]] == [1, 1, 1, 0]
    assert p["min"] == 0.003 and p["max"] == 0.3
    (db,) = series(got["db.duration"][1]).values()
    assert db["explicitBounds"] == [10.0, 100.0] and db.get("min") is None and db.get("max") is None


def test_exponential_histograms_by_view_and_by_the_default_setting(c_program):
    got, _, _ = collect(c_program, "instrument_type=histogram,unit=s,"
                        "aggregation=base2_exponential_bucket_histogram,max_scale=5,max_size=20")
    kind, d = data(got["http.server.request.duration"][1])
    assert kind == "exponentialHistogram"
    (p,) = d["dataPoints"]
    assert int(p["count"]) == 3 and p.get("scale", 0) <= 5
    assert len(p["positive"]["bucketCounts"]) <= 20
    assert data(got["db.duration"][1])[0] == "histogram"  # unit ms: not selected
    got, _, _ = collect(c_program, OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION="base2_exponential_bucket_histogram")
    assert data(got["http.server.request.duration"][1])[0] == "exponentialHistogram"
    assert data(got["db.duration"][1])[0] == "exponentialHistogram"


def test_drop_a_whole_meter_and_keep_chosen_attribute_keys(c_program):
    got, _, _ = collect(c_program, "meter_name=noisy,aggregation=drop",
                        "instrument_name=http.*,attribute_keys=http.route|http.request.method")
    assert "noisy.events" not in got and "shop.orders" in got
    (attrs,) = series(got["http.server.request.duration"][1])
    assert dict(attrs) == {"http.route": "/a", "http.request.method": "GET"}


def test_a_cardinality_limit_sends_the_rest_to_the_overflow_series_counting_everything_once(c_program):
    for limit, where in [("4", "view"), ("6", "setting")]:
        if where == "view":
            got, _, _ = collect(c_program, f"instrument_name=shop.orders,aggregation_cardinality_limit={limit}")
        else:
            got, _, _ = collect(c_program, OTELRS_METRICS_CARDINALITY_LIMIT=limit)
        points = series(got["shop.orders"][1])
        # `limit` attribute sets keep their series; the others go to the overflow series.
        overflow = points.pop(key({"otel.metric.overflow": True}))
        assert len(points) == int(limit), where
        assert sum(number(p) for p in points.values()) + number(overflow) == 55, where  # 1 + ... + 10, once each
        assert number(overflow) > 0


def test_views_from_the_environment_come_first_and_both_apply(c_program):
    got, _, err = collect(c_program, "instrument_name=shop.orders,name=orders.b",
                          OTELRS_METRICS_VIEWS="instrument_name=shop.orders,name=orders.a; meter_name=noisy,aggregation=drop")
    assert {"orders.a", "orders.b"} <= set(got) and "shop.orders" not in got and "noisy.events" not in got
    assert err == ""


def test_two_views_giving_one_stream_name_are_reported(c_program):
    got, _, err = collect(c_program, "instrument_name=shop.orders,name=orders", "instrument_type=counter,meter_name=shop,"
                          "attribute_keys=region", "instrument_name=shop.orders,name=ORDERS,description=again")
    assert 'two views give instrument "shop.orders" of meter "shop" a stream named "orders"' in err
    assert "orders" in got or "ORDERS" in got


def test_bad_views_are_refused_with_the_reason(c_program):
    _, notes, _ = collect(c_program, "name=x", "instrument_name=h.*,name=x", "instrument_name=h,boundaries=5|1",
                          "instrument_name=h,boundaries=-1", "instrument_name=h,aggregation=median",
                          "instrument_name=h,max_scale=3")
    assert notes == [
        'refused OTELRS_ERR_CONFIG: otelrs_config_add_view: invalid view "name=x": it selects nothing: give one of '
        "instrument_name, instrument_type, unit, meter_name, meter_version, meter_schema_url",
        'refused OTELRS_ERR_CONFIG: otelrs_config_add_view: invalid view "instrument_name=h.*,name=x": a view that renames '
        "must select one instrument by its exact instrument_name (otherwise every instrument it selects would get the "
        "same name)",
        'refused OTELRS_ERR_CONFIG: otelrs_config_add_view: invalid view "instrument_name=h,boundaries=5|1": boundaries '
        "must increase: 1 comes after 5",
        'refused OTELRS_ERR_CONFIG: otelrs_config_add_view: invalid view "instrument_name=h,boundaries=-1": boundaries: '
        "-1 is not a finite number of 0 or more",
        'refused OTELRS_ERR_CONFIG: otelrs_config_add_view: invalid view "instrument_name=h,aggregation=median": '
        "aggregation \"median\" is none of default, drop, sum, last_value, explicit_bucket_histogram, "
        "base2_exponential_bucket_histogram",
        'refused OTELRS_ERR_CONFIG: otelrs_config_add_view: invalid view "instrument_name=h,max_scale=3": max_scale '
        "applies to aggregation=base2_exponential_bucket_histogram only",
    ]
    _, notes, _ = collect(c_program, OTELRS_METRICS_VIEWS="meter_name=a;unit=s,boundaries=1|1")
    assert notes == [
        'sdk refused OTELRS_ERR_CONFIG: otelrs_sdk_new: invalid value "meter_name=a;unit=s,boundaries=1|1" for '
        'OTELRS_METRICS_VIEWS (from the environment): invalid view "unit=s,boundaries=1|1": boundaries must '
        "increase: 1 comes after 1"
    ]


def test_a_million_distinct_values_keep_memory_bounded_and_count_every_add_once(c_program):
    r = run(c_program("cardinality"), "1000000", env=clean_env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none"),
            timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    tenth, everything = (int(line.split()[1]) for line in lines[:2])
    (rm,) = json.loads(lines[2])["resourceMetrics"]
    points = series(metrics(rm)["flood.requests"][1])
    overflow = points.pop(key({"otel.metric.overflow": True}))
    assert len(points) == 2000  # the default limit
    assert sum(number(p) for p in points.values()) + number(overflow) == 1_000_000
    # 900 000 more distinct values after the first 100 000 cost no memory per value.
    assert everything - tenth < 4096, f"resident memory grew by {everything - tenth} kB"


def test_exemplar_reservoirs_stay_within_the_cardinality_limit(c_program):
    # Every measurement offered (always_on), a million distinct series on a histogram: before
    # reservoirs were bounded this took about 1 kB per series (1 GB).
    env = clean_env(OTEL_METRICS_EXPORTER="memory", OTEL_LOGS_EXPORTER="none", OTEL_METRICS_EXEMPLAR_FILTER="always_on")
    r = run(c_program("cardinality"), "1000000", "histogram", env=env, timeout=180)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    tenth, everything = (int(line.split()[1]) for line in lines[:2])
    assert everything - tenth < 4096, f"resident memory grew by {everything - tenth} kB"
    (rm,) = json.loads(lines[2])["resourceMetrics"]
    points = metrics(rm)["flood.latency"][1]["histogram"]["dataPoints"]
    overflow = [p for p in points if p["attributes"][0]["key"] == "otel.metric.overflow"]
    assert len(points) == 2001 and len(overflow) == 1
    assert sum(int(p["count"]) for p in points) == 1_000_000
    # The overflow point carries the exemplar of the series beyond the limit.
    assert [e["asDouble"] for e in overflow[0]["exemplars"]] == [1.5]
