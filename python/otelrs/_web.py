"""WSGI and ASGI middleware that measure every request as the HTTP semantic conventions say,
through the core that otelrs's C API and Ruby Rack middleware use: `http.server.request.duration`
(seconds) with `http.request.method`, `http.route` (when known), `http.response.status_code`,
`url.scheme`, `network.protocol.version` and `error.type`, and `http.server.active_requests`.
The request's `traceparent` header is the trace context while the app runs."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Iterable, Iterator, MutableMapping
from typing import Any, Callable

from otelrs._otelrs import HttpRequest, HttpServer, Meter, TraceContext, __version__, get_meter

_logger = logging.getLogger("otelrs")

_Scope = MutableMapping[str, Any]
_Message = MutableMapping[str, Any]
_Receive = Callable[[], Awaitable[_Message]]
_Send = Callable[[_Message], Awaitable[None]]
_AsgiApp = Callable[[_Scope, _Receive, _Send], Awaitable[None]]


class _Measured:
    """What both middlewares share: the instruments, starting and ending a request without
    ever failing it, and the trace context of its header."""

    def __init__(self, meter: Meter | None, scope: str) -> None:
        self._server = HttpServer(meter if meter is not None else get_meter(scope, __version__))
        self._reported = False

    def _report(self, what: str, e: BaseException) -> None:
        if not self._reported:
            self._reported = True
            _logger.warning("%s: %s (reported once)", what, e)

    def _start(self, method: str, scheme: str) -> HttpRequest | None:
        try:
            return self._server.start(method, scheme)
        except Exception as e:  # noqa: BLE001 -- a request is never failed by its measurement
            self._report("a request was not measured", e)
            return None

    def _end(self, request: HttpRequest | None, status: int, route: str | None, version: str | None,
             error_type: str | None) -> None:
        if request is None:
            return
        try:
            request.end(status, route, version, error_type)
        except Exception as e:  # noqa: BLE001
            self._report("a request was not measured", e)

    def _trace(self, header: str | None) -> contextlib.AbstractContextManager[Any]:
        if not header:
            return contextlib.nullcontext()
        import otelrs  # the package imports this module: imported when first needed

        try:
            return otelrs.traceparent(TraceContext(header))
        except ValueError as e:
            self._report("a request's traceparent was left out", e)
            return contextlib.nullcontext()


class WsgiMiddleware(_Measured):
    """Measures every request of a WSGI app (until the server closes the response):

        app.wsgi_app = otelrs.WsgiMiddleware(app.wsgi_app)      # Flask

    The route is the app's `environ["otelrs.route"]` when it sets one (Flask:
    `request.environ["otelrs.route"] = request.url_rule.rule` in a `before_request`)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], meter: Meter | None = None) -> None:
        super().__init__(meter, "otelrs.wsgi")
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = self._start(environ.get("REQUEST_METHOD", ""), environ.get("wsgi.url_scheme") or "http")
        status = 0

        def started(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            nonlocal status
            status = int(status_line[:3])
            return start_response(status_line, headers, exc_info)

        version = environ.get("SERVER_PROTOCOL")  # "HTTP/1.1": core takes it as servers give it
        try:
            with self._trace(environ.get("HTTP_TRACEPARENT")):
                body = self._app(environ, started)
        except BaseException as e:
            self._end(request, status or 500, environ.get("otelrs.route"), version, type(e).__qualname__)
            raise
        return _Closing(body, lambda: self._end(request, status, environ.get("otelrs.route"), version, None))


class _Closing:
    """A WSGI response that calls `done` once when the server closes it."""

    def __init__(self, body: Iterable[bytes], done: Callable[[], None]) -> None:
        self._body = body
        self._done: Callable[[], None] | None = done

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            done, self._done = self._done, None
            if done is not None:
                done()


class AsgiMiddleware(_Measured):
    """Measures every HTTP request of an ASGI app (until the app returns):

        app = otelrs.AsgiMiddleware(app)      # Starlette, FastAPI, Django's ASGI app

    The route is the matched route's template when the framework puts it in the scope
    (FastAPI, Starlette), or `scope["otelrs.route"]`."""

    def __init__(self, app: _AsgiApp, meter: Meter | None = None) -> None:
        super().__init__(meter, "otelrs.asgi")
        self._app = app

    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        if scope.get("type") != "http":
            await self._app(scope, receive, send)
            return
        request = self._start(scope.get("method", ""), scope.get("scheme") or "http")
        status = 0

        async def sending(message: _Message) -> None:
            nonlocal status
            if message.get("type") == "http.response.start":
                status = int(message.get("status", 0))
            await send(message)

        traceparent = next((v for k, v in scope.get("headers") or () if k == b"traceparent"), None)
        version = scope.get("http_version")
        try:
            with self._trace(traceparent.decode("latin-1") if traceparent else None):
                await self._app(scope, receive, sending)
        except BaseException as e:
            self._end(request, status or 500, _route(scope), version, type(e).__qualname__)
            raise
        self._end(request, status, _route(scope), version, None)


def _route(scope: _Scope) -> str | None:
    """The template of the route that matched, as the framework left it in the scope."""
    route = scope.get("otelrs.route")
    if route is None:
        matched = scope.get("route")
        route = getattr(matched, "path_format", None) or getattr(matched, "path", None)
    return route if isinstance(route, str) else None
