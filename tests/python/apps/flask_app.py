"""A Flask app as a user writes it: otelrs set up at import (settings from the environment),
a counter of the requests it served."""

from __future__ import annotations

import os

import otelrs
from flask import Flask

otelrs.init()
requests = otelrs.get_meter("app").create_counter("app.requests", unit="{request}")
app = Flask(__name__)


@app.route("/hit")
def hit() -> str:
    requests.add(1, {"route": "/hit"})
    return str(os.getpid())


@app.route("/pid")
def pid() -> str:
    return str(os.getpid())
