"""A Flask app as a user writes it: otelrs set up at import (settings from the environment),
a counter of the requests it served, and the metrics at /metrics of its own port."""

from __future__ import annotations

import os

import otelrs
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

otelrs.init()
requests = otelrs.get_meter("app").create_counter("app.requests", unit="{request}")
app = Flask(__name__)
app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/metrics": otelrs.make_wsgi_app()})  # type: ignore[method-assign]


@app.route("/hit")
def hit() -> str:
    requests.add(1, {"route": "/hit"})
    return str(os.getpid())


@app.route("/pid")
def pid() -> str:
    return str(os.getpid())
