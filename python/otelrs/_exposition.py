"""Prometheus metrics served by the app's own HTTP server: a WSGI app and an ASGI app that
answer a scrape as otelrs's Prometheus endpoint does (every worker's metrics merged in a
pre-fork server), to mount at `/metrics` in Flask, Django, FastAPI or Starlette."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Iterable, MutableMapping
from typing import Any, Callable, NamedTuple

from otelrs._otelrs import OtelrsError, _check_prometheus_exposition, _prometheus_exposition

_log = logging.getLogger("otelrs")
_reported: set[str] = set()


class Exposition(NamedTuple):
    """A scrape's answer: send `body` with the headers `Content-Type: content_type` and, when
    it is not None, `Content-Encoding: content_encoding`."""

    body: bytes
    content_type: str
    content_encoding: str | None


def prometheus_exposition(accept: str | None = None, accept_encoding: str | None = None) -> Exposition:
    """The answer to a Prometheus scrape whose Accept and Accept-Encoding headers were `accept`
    and `accept_encoding` (None when absent): the text format 0.0.4, or OpenMetrics when
    `accept` asks for it, gzip-compressed when `accept_encoding` accepts it. Needs
    `prometheus` in OTEL_METRICS_EXPORTER (OTELRS_PROMETHEUS_LISTEN=false: no port of
    otelrs's own). Blocks while collecting, without the GIL: in a pre-fork server, at most
    twice OTELRS_PROMETHEUS_WORKER_TIMEOUT and a second. Raises ConfigError without the
    Prometheus exporter, ShutdownError before init or after shutdown, ExportError when the
    process merging the workers cannot be asked (in time)."""
    return Exposition(*_prometheus_exposition(accept or "", accept_encoding or ""))


def _answer(accept: str, accept_encoding: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """The status, headers and body of the answer to a scrape; an error is a 503 whose body
    says why (reported once on the `otelrs` logger)."""
    try:
        e = prometheus_exposition(accept, accept_encoding)
    except OtelrsError as err:
        message = str(err)
        if message not in _reported:
            _reported.add(message)
            _log.error("the Prometheus exposition failed: %s", message)
        body = f"{message}\n".encode()
        return "503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8")], body
    headers = [("Content-Type", e.content_type), ("Vary", "Accept, Accept-Encoding")]
    if e.content_encoding is not None:
        headers.append(("Content-Encoding", e.content_encoding))
    return "200 OK", headers, e.body


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def make_wsgi_app(disable_compression: bool = False) -> WSGIApp:
    """A WSGI app that answers every GET or HEAD with the Prometheus exposition (mount it at
    `/metrics`, e.g. with werkzeug's DispatcherMiddleware in Flask). With
    `disable_compression` the body is never gzip-compressed. Raises ConfigError at once when
    otelrs is initialised without the Prometheus exporter."""
    _check_prometheus_exposition()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Type", "text/plain")])
            return [b"GET or HEAD\n"]
        encoding = "" if disable_compression else environ.get("HTTP_ACCEPT_ENCODING", "")
        status, headers, body = _answer(environ.get("HTTP_ACCEPT", ""), encoding)
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [b""] if method == "HEAD" else [body]

    return app


ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[MutableMapping[str, Any]]],
     Callable[[MutableMapping[str, Any]], Awaitable[None]]],
    Awaitable[None],
]


def make_asgi_app(disable_compression: bool = False) -> ASGIApp:
    """An ASGI app that answers every GET or HEAD with the Prometheus exposition (mount it at
    `/metrics`, e.g. `app.mount("/metrics", otelrs.make_asgi_app())` in FastAPI or
    Starlette). The collection runs in the event loop's default executor, so the loop serves
    other requests meanwhile. With `disable_compression` the body is never gzip-compressed.
    Raises ConfigError at once when otelrs is initialised without the Prometheus exporter."""
    _check_prometheus_exposition()

    async def app(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] == "lifespan":  # served on its own: nothing to start or stop
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            raise ValueError(f"otelrs's metrics app serves HTTP, not {scope['type']!r}")
        method = scope.get("method", "GET")
        if method not in ("GET", "HEAD"):
            await send({"type": "http.response.start", "status": 405,
                        "headers": [(b"allow", b"GET, HEAD"), (b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"GET or HEAD\n"})
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        encoding = "" if disable_compression else headers.get("accept-encoding", "")
        import asyncio  # here: an ASGI server has it already, a WSGI app need not pay for it

        answer = functools.partial(_answer, headers.get("accept", ""), encoding)
        status, head, body = await asyncio.get_running_loop().run_in_executor(None, answer)
        head = [*head, ("Content-Length", str(len(body)))]
        await send({"type": "http.response.start", "status": int(status.split()[0]),
                    "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in head]})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})

    return app
