"""Exemplars from Python: measurements made inside `otelrs.traceparent(...)` (this thread or
asyncio task) carry the trace, by dict and through bound instruments; outside, with the
default trace-based filter, none; `always_on` keeps measurements outside traces too."""

from __future__ import annotations

import json

from helpers import JSON, env, ok

SAMPLED = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
UNSAMPLED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"


def exemplars_by_series(code: str, **settings: str) -> JSON:
    out = ok(f"""
import asyncio, otelrs
otelrs.init(metrics_exporter="memory", logs_exporter="none")
c = otelrs.get_meter("ex").create_counter("py.traced", value_type=int)
{code}
print(otelrs.collect_json())
""", env(**settings))
    (rm,) = json.loads(out.splitlines()[-1])["resourceMetrics"]
    (sm,) = [sm for sm in rm["scopeMetrics"] if sm["scope"]["name"] == "ex"]
    (m,) = sm["metrics"]
    return {p["attributes"][0]["value"]["stringValue"]: [(e["asInt"], e.get("traceId", "").lower())
                                                         for e in p.get("exemplars") or []]
            for p in m["sum"]["dataPoints"]}


RECORD = f"""
c.add(1, {{"k": "outside"}})
with otelrs.traceparent("{SAMPLED}"):
    c.add(2, {{"k": "inside"}})
    c.bind({{"k": "bound"}}).add(3)
with otelrs.traceparent("{UNSAMPLED}"):
    c.add(4, {{"k": "unsampled"}})

async def task():
    with otelrs.traceparent("{SAMPLED}"):
        await asyncio.sleep(0)
        c.add(5, {{"k": "task"}})

async def other():
    await asyncio.sleep(0)
    c.add(6, {{"k": "other task"}})  # runs while the first task is inside its scope

async def main():
    await asyncio.gather(task(), other())

asyncio.run(main())
"""
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_measurements_in_a_sampled_scope_carry_its_trace() -> None:
    got = exemplars_by_series(RECORD)
    assert got == {
        "outside": [],
        "inside": [("2", TRACE)],
        "bound": [("3", TRACE)],
        "unsampled": [],
        "task": [("5", TRACE)],
        "other task": [],
    }


def test_always_on_keeps_measurements_outside_traces() -> None:
    got = exemplars_by_series(RECORD, OTEL_METRICS_EXEMPLAR_FILTER="always_on")
    assert got["outside"] == [("1", "")]
    assert got["unsampled"] == [("4", "0af7651916cd43dd8448eb211c80319c")]
    assert got["other task"] == [("6", "")]


def test_opentelemetry_api_spans_become_exemplars() -> None:
    got = exemplars_by_series(f"""
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
c2 = otelrs.get_meter("ex").create_counter("py.traced", value_type=int)  # made after the import
sampled = NonRecordingSpan(SpanContext(int("{TRACE}", 16), 0x00f067aa0ba902b7, False, TraceFlags(1)))
unsampled = NonRecordingSpan(SpanContext(int("{TRACE}", 16), 0x00f067aa0ba902b7, False, TraceFlags(0)))
c2.add(1, {{"k": "no span"}})
with trace.use_span(sampled):
    c2.add(2, {{"k": "in a span"}})
    c2.bind({{"k": "bound in a span"}}).add(3)
with trace.use_span(unsampled):
    c2.add(4, {{"k": "unsampled span"}})
with otelrs.traceparent("{UNSAMPLED}"), trace.use_span(sampled):
    c2.add(5, {{"k": "both"}})  # otelrs's own scope first
""")
    assert got == {
        "no span": [],
        "in a span": [("2", TRACE)],
        "bound in a span": [("3", TRACE)],
        "unsampled span": [],
        "both": [],
    }
