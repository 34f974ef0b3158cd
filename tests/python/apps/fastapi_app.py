"""A FastAPI app as a user writes it: otelrs set up at import (settings from the
environment), a counter of the requests it served, and the metrics at /metrics of its own
port."""

from __future__ import annotations

import os

import otelrs
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

otelrs.init()
requests = otelrs.get_meter("app").create_counter("app.requests", unit="{request}")
app = FastAPI()
app.mount("/metrics", otelrs.make_asgi_app())


@app.get("/hit", response_class=PlainTextResponse)
def hit() -> str:
    requests.add(1, {"route": "/hit"})
    return str(os.getpid())


@app.get("/pid", response_class=PlainTextResponse)
def pid() -> str:
    return str(os.getpid())
