"""A scripted HTTP(S) server on loopback for the transport's own logic (retries, waits,
redirects, TLS): what needs no real wiki. MediaWiki's behaviour is tested against the
local wiki, through tests/faultproxy.py."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: object = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


@dataclass
class Seen:
    method: str
    params: dict[str, str]
    headers: dict[str, str]
    path: str = ""


class FakeWiki:
    """Answers each request with the next scripted Reply (the last one repeats)."""

    def __init__(self, replies: list[Reply]) -> None:
        self.replies = replies
        self.seen: list[Seen] = []

    def next_reply(self) -> Reply:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


@contextmanager
def serve(
    replies: list[Reply], *, tls: ssl.SSLContext | None = None
) -> Iterator[tuple[str, FakeWiki]]:
    """The fake on a free port: ``http://127.0.0.1:PORT/api.php`` (``https`` with ``tls``,
    a server context holding its certificate)."""
    fake = FakeWiki(replies)

    class Handler(BaseHTTPRequestHandler):
        def answer(self, params: dict[str, str]) -> None:
            fake.seen.append(
                Seen(self.command, params, dict(self.headers), urlsplit(self.path).path)
            )
            reply = fake.next_reply()
            body = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
            data = body.encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(data)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self.answer(dict(parse_qsl(urlsplit(self.path).query)))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            self.answer(dict(parse_qsl(self.rfile.read(length).decode())))

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        scheme = "https" if tls is not None else "http"
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}/api.php", fake
    finally:
        server.shutdown()
        server.server_close()
