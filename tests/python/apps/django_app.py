"""A Django app as a user writes it, in one file: otelrs set up at import (settings from the
environment), a counter of the requests it served, and the metrics at /metrics through a
view (as the README shows)."""

from __future__ import annotations

import os

import django  # type: ignore[import-untyped]
import otelrs
from django.conf import settings  # type: ignore[import-untyped]
from django.core.wsgi import get_wsgi_application  # type: ignore[import-untyped]
from django.http import HttpRequest, HttpResponse  # type: ignore[import-untyped]
from django.urls import path  # type: ignore[import-untyped]

settings.configure(DEBUG=False, ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"], SECRET_KEY="otelrs-test")
django.setup()

otelrs.init()
requests = otelrs.get_meter("app").create_counter("app.requests", unit="{request}")


def hit(request: HttpRequest) -> HttpResponse:
    requests.add(1, {"route": "/hit"})
    return HttpResponse(str(os.getpid()))


def pid(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(os.getpid()))


def metrics(request: HttpRequest) -> HttpResponse:
    e = otelrs.prometheus_exposition(request.headers.get("Accept"), request.headers.get("Accept-Encoding"))
    response = HttpResponse(e.body, content_type=e.content_type)
    if e.content_encoding:
        response["Content-Encoding"] = e.content_encoding
    return response


urlpatterns = [path("hit", hit), path("pid", pid), path("metrics", metrics)]
app = get_wsgi_application()
