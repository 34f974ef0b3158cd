"""ClickHouse's HTTP interface in front of chDB (ClickHouse's engine in-process, from the
`chdb-core` package), for the tests: as ClickHouse answers at port 8123, each request runs one
query, given in the `query` URL parameter (with the request body as its data, e.g. an
INSERT's rows) or as the body; other URL parameters are settings of that query
(`date_time_input_format=best_effort`); a gzip body (`Content-Encoding: gzip`) is
decompressed; an error answers HTTP 500 with ClickHouse's exception text; with --user, HTTP
basic auth (or X-ClickHouse-User / X-ClickHouse-Key) must name that user and password, else
HTTP 401 with ClickHouse's AUTHENTICATION_FAILED message.

    python3 tests/clickhouse/server.py --port 8123 --path build/clickhouse [--user U --password P]
"""

from __future__ import annotations

import argparse
import base64
import gzip
import http.server
import threading
import urllib.parse

from chdb import session

# Parameters of the HTTP interface that are not settings of the query.
NOT_SETTINGS = {"query", "database", "user", "password", "default_format", "query_id", "session_id"}


class Handler(http.server.BaseHTTPRequestHandler):
    db: session.Session
    lock = threading.Lock()
    credentials: tuple[str, str] | None = None

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def answer(self, status: int, text: bytes, content_type: str = "text/plain; charset=UTF-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def authorized(self, params: dict[str, str]) -> bool:
        if self.credentials is None:
            return True
        given = (self.headers.get("X-ClickHouse-User"), self.headers.get("X-ClickHouse-Key"))
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            given = (user, password)
        elif "user" in params:
            given = (params["user"], params.get("password", ""))
        return given == self.credentials

    def run(self, body: bytes) -> None:
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        if not self.authorized(params):
            self.answer(401, b"Code: 516. DB::Exception: default: Authentication failed: password is incorrect, "
                             b"or there is no user with such name. (AUTHENTICATION_FAILED)\n")
            return
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        query = params.get("query")
        if query is None:
            query, body = body.decode(), b""
        elif body:
            query = f"{query}\n{body.decode()}"
        settings = [f"{k} = '{v}'" for k, v in params.items() if k not in NOT_SETTINGS]
        with self.lock:
            try:
                for setting in settings:
                    self.db.query(f"SET {setting}")
                result = self.db.query(query, params.get("default_format", "TabSeparated"))
            except Exception as e:  # chDB raises its exceptions as RuntimeError
                self.answer(500, f"{e}\n".encode())
                return
        self.answer(200, result.bytes() if result is not None else b"")

    def do_POST(self) -> None:  # noqa: N802 (the handler's name)
        self.run(self.rfile.read(int(self.headers.get("Content-Length", "0"))))

    def do_GET(self) -> None:  # noqa: N802
        if urllib.parse.urlsplit(self.path).path == "/ping":
            self.answer(200, b"Ok.\n")
            return
        self.run(b"")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True, help="where chDB keeps the data")
    parser.add_argument("--user")
    parser.add_argument("--password", default="")
    args = parser.parse_args()
    Handler.db = session.Session(args.path)
    if args.user:
        Handler.credentials = (args.user, args.password)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
