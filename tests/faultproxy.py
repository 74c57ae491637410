"""A fault-injecting HTTP proxy on loopback, in front of the real local wiki.

Tests point movisync's client at the proxy (``proxy.api``) and script, request by
request, what the proxy does with each: pass it through to the wiki, or break the wiki's
real answer in one of the ways networks and servers do (close mid-body, truncate the
JSON, 503 with Retry-After, an HTML page, a JSON of another shape, an API error, a
redirect, a broken gzip, a slow drip). Once the script is used up, requests pass
through (or get ``proxy.default``).

Only the standard library: ``http.server`` for the proxy, ``http.client`` to the wiki.
"""

from __future__ import annotations

import gzip
import http.client
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "content-encoding",
}


@dataclass
class Upstream:
    """The wiki's real answer."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")


@dataclass
class Seen:
    """A request the proxy received, and what it did with it."""

    method: str
    path: str
    params: dict[str, str]
    fault: str


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    proxy: FaultProxy

    # --- what faults use -------------------------------------------------------------
    def forward(self, path: str | None = None, method: str | None = None) -> Upstream:
        """The request as received (or ``method path`` instead), sent to the real wiki."""
        parts = urlsplit(self.proxy.upstream)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Host"] = parts.netloc
        headers["Accept-Encoding"] = "identity"
        body = self.body if (method or self.command) == "POST" else None
        if body is not None:
            headers["Content-Length"] = str(len(body))
        path = path or self.path
        for alias, real in self.proxy.aliases.items():
            if path.startswith(alias + "/"):
                path = real + path[len(alias) :]
        try:
            connection.request(method or self.command, path, body, headers)
            answer = connection.getresponse()
            return Upstream(answer.status, answer.reason, answer.getheaders(), answer.read())
        finally:
            connection.close()

    def send(
        self,
        status: int,
        body: bytes,
        *,
        headers: list[tuple[str, str]] | None = None,
        extra: list[tuple[str, str]] | None = None,
        content_type: str | None = None,
        length: int | None = None,
    ) -> None:
        """Status, ``headers`` (the wiki's, hop-by-hop ones dropped), ``extra`` headers,
        Content-Length (``length`` or the body's), then the body."""
        self.send_response(status)
        for key, value in headers or []:
            if key.lower() not in HOP_BY_HOP and not (
                content_type and key.lower() == "content-type"
            ):
                self.send_header(key, value)
        for key, value in extra or []:
            self.send_header(key, value)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def relay(self, answer: Upstream, body: bytes | None = None, **options: Any) -> None:
        self.send(
            answer.status,
            answer.body if body is None else body,
            headers=answer.headers,
            **options,
        )

    # --- the server side ---------------------------------------------------------------
    def handle_one(self) -> None:
        length = int(self.headers.get("Content-Length", 0) or 0)
        self.body = self.rfile.read(length) if length else b""
        query = dict(parse_qsl(urlsplit(self.path).query))
        if self.command == "POST":
            query.update(parse_qsl(self.body.decode("utf-8", "replace")))
        fault = self.proxy.next_fault()
        self.proxy.seen.append(Seen(self.command, self.path, query, fault.name))
        try:
            fault.serve(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_HEAD = handle_one

    def log_message(self, *args: object) -> None:
        pass


class Fault:
    """What the proxy does with one request; ``serve`` answers it through the handler."""

    name = "pass"

    def serve(self, h: Handler) -> None:
        h.relay(h.forward())


PASS = Fault()


@dataclass
class CloseMidBody(Fault):
    """The wiki's answer, announced whole (Content-Length, or chunked), cut at ``share``
    of its body, then the connection closed."""

    share: float = 0.5
    chunked: bool = False
    name = "close mid-body"

    def serve(self, h: Handler) -> None:
        answer = h.forward()
        cut = answer.body[: int(len(answer.body) * self.share)]
        if not self.chunked:
            h.relay(answer, cut, length=len(answer.body))
        else:
            h.send_response(answer.status)
            h.send_header("Content-Type", answer.header("Content-Type"))
            h.send_header("Transfer-Encoding", "chunked")
            h.end_headers()
            h.wfile.write(b"%x\r\n%s\r\n" % (len(cut), cut))
            h.wfile.flush()
        h.close_connection = True
        h.connection.shutdown(2)


@dataclass
class TruncateJson(Fault):
    """The wiki's answer cut at ``share``, and said to be that long: complete on the wire,
    broken as JSON."""

    share: float = 0.5
    name = "truncated JSON"

    def serve(self, h: Handler) -> None:
        answer = h.forward()
        h.relay(answer, answer.body[: int(len(answer.body) * self.share)])


@dataclass
class Status(Fault):
    """An error status of the server in front of the wiki (it never sees the request)."""

    status: int = 503
    retry_after: str | None = None
    name = "status"

    def serve(self, h: Handler) -> None:
        headers = [("Retry-After", self.retry_after)] if self.retry_after is not None else []
        page = f"<html><body><h1>{self.status}</h1>Service Unavailable</body></html>"
        h.send(self.status, page.encode(), extra=headers, content_type="text/html")


@dataclass
class HtmlPage(Fault):
    """A status 200 HTML page instead of the API's answer: the wiki's real main page."""

    path: str = "/index.php?title=Accueil"
    name = "HTML page"

    def serve(self, h: Handler) -> None:
        h.relay(h.forward(self.path, "GET"))


@dataclass
class Rewrite(Fault):
    """The wiki's JSON answer, changed by ``change`` (which gets the decoded JSON)."""

    change: Callable[[Any], Any]
    name = "rewritten JSON"

    def serve(self, h: Handler) -> None:
        answer = h.forward()
        h.relay(answer, json.dumps(self.change(json.loads(answer.body))).encode())


@dataclass
class RewriteText(Fault):
    """The wiki's answer (a page), its text changed by ``change``."""

    change: Callable[[str], str]
    name = "rewritten text"

    def serve(self, h: Handler) -> None:
        answer = h.forward()
        h.relay(answer, self.change(answer.body.decode("utf-8")).encode("utf-8"))


@dataclass
class Json(Fault):
    """A fixed JSON answer; the wiki never sees the request (for what must not reach it,
    such as an edit of the shared test wiki)."""

    body: Any
    name = "fixed JSON"

    def serve(self, h: Handler) -> None:
        data = json.dumps(self.body).encode()
        h.send(200, data, content_type="application/json; charset=utf-8")


@dataclass
class ApiErrorReply(Fault):
    """An API error as MediaWiki writes it (status 200, the MediaWiki-API-Error header)."""

    code: str = "ratelimited"
    info: str = (
        "As an anti-abuse measure, you are limited from performing this action too many "
        "times in a short space of time, and you have exceeded this limit. Please try "
        "again in a few minutes."
    )
    name = "API error"

    def serve(self, h: Handler) -> None:
        body = json.dumps({"error": {"code": self.code, "info": self.info, "docref": "…"}})
        h.send(
            200,
            body.encode(),
            extra=[("MediaWiki-API-Error", self.code)],
            content_type="application/json; charset=utf-8",
        )


@dataclass
class Redirect(Fault):
    """A redirect to ``location`` (absolute, or a path on the proxy)."""

    location: str
    status: int = 301
    name = "redirect"

    def serve(self, h: Handler) -> None:
        location = self.location
        if location.startswith("/"):
            location = h.proxy.url + location
        h.send(self.status, b"", extra=[("Location", location)], content_type="text/html")


class Gzip(Fault):
    """The wiki's answer gzip-compressed, as most servers in front of a wiki send it."""

    name = "gzip"

    def serve(self, h: Handler) -> None:
        answer = h.forward()
        body = gzip.compress(answer.body)
        h.send(answer.status, body, headers=answer.headers, extra=[("Content-Encoding", "gzip")])


class BadGzip(Fault):
    """The wiki's answer, said to be gzip-compressed but not."""

    name = "broken gzip"

    def serve(self, h: Handler) -> None:
        answer = h.forward()
        h.send(
            answer.status, answer.body, headers=answer.headers, extra=[("Content-Encoding", "gzip")]
        )


@dataclass
class Slow(Fault):
    """The wiki's answer, one byte every ``pause`` seconds."""

    pause: float = 0.01
    name = "slow"

    def serve(self, h: Handler) -> None:
        answer = h.forward()
        h.send_response(answer.status)
        h.send_header("Content-Type", answer.header("Content-Type"))
        h.send_header("Content-Length", str(len(answer.body)))
        h.end_headers()
        for byte in answer.body:
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(self.pause)
        h.close_connection = True


class Reset(Fault):
    """No answer: the connection is closed as soon as the request is read."""

    name = "reset"

    def serve(self, h: Handler) -> None:
        h.close_connection = True
        h.connection.shutdown(2)


class FaultProxy:
    def __init__(self, upstream: str, port: int) -> None:
        self.upstream = upstream.rstrip("/")
        self.url = f"http://127.0.0.1:{port}"
        self.api = f"{self.url}/api.php"
        self.faults: list[Fault] = []
        self.default: Fault = PASS
        self.aliases: dict[str, str] = {}
        """Path prefixes the proxy serves as others of the wiki: {"/old": ""} serves
        /old/api.php as /api.php (where a redirect comes from)."""
        self.seen: list[Seen] = []
        self._lock = threading.Lock()

    def script(self, *faults: Fault) -> FaultProxy:
        """What to do with the next requests, in order (then ``default``)."""
        with self._lock:
            self.faults.extend(faults)
        return self

    def next_fault(self) -> Fault:
        with self._lock:
            return self.faults.pop(0) if self.faults else self.default

    @property
    def methods(self) -> list[str]:
        return [s.method for s in self.seen]


@contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    """A proxy on a free loopback port in front of ``upstream`` (``http://host:port``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    proxy = FaultProxy(upstream, server.server_address[1])

    class Bound(Handler):
        pass

    Bound.proxy = proxy
    server.RequestHandlerClass = Bound
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
