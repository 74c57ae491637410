"""External link checks, against websites served on loopback."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from movisync.links import check_urls
from movisync.profile import load_profile
from movisync.store import Page
from movisync.workspace import Workspace

from .helpers import corpus_store


@pytest.fixture
def websites():
    """/ok answers 200, /gone 404, /nohead refuses HEAD (405) but GETs fine, /error 500."""

    class Handler(BaseHTTPRequestHandler):
        def reply(self, with_body: bool) -> None:
            status = {"/ok": 200, "/gone": 404, "/error": 500}.get(self.path, 200)
            if self.path == "/nohead":
                status = 405 if self.command == "HEAD" else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            if with_body:
                self.wfile.write(b"ok")
            seen.append((self.command, self.path, self.headers["User-Agent"]))

        def do_HEAD(self) -> None:
            self.reply(False)

        def do_GET(self) -> None:
            self.reply(True)

        def log_message(self, *args: object) -> None:
            pass

    seen: list[tuple[str, str, str]] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/"


def test_live_and_dead_sites_are_told_apart(websites) -> None:
    base, seen = websites
    dead = refused_url()
    status = check_urls(
        [f"{base}/ok", f"{base}/gone", f"{base}/nohead", f"{base}/error", dead, f"{base}/ok"],
        user_agent="movisync tests",
        timeout=2,
    )
    assert {url: s.ok for url, s in status.items()} == {
        f"{base}/ok": True,
        f"{base}/gone": False,
        f"{base}/nohead": True,
        f"{base}/error": False,
        dead: False,
    }
    assert status[f"{base}/gone"].detail == "HTTP 404"
    assert "unreachable" in status[dead].detail
    assert sum(1 for s in seen if s[1] == "/ok") == 1  # each URL once
    assert all(agent == "movisync tests" for *_, agent in seen)


def test_dead_links_become_gaps_and_checks_are_cached(tmp_path, websites) -> None:
    base, seen = websites
    profile = load_profile()
    with corpus_store(tmp_path / "s.sqlite") as store:
        for title, url in (
            ("La Fabrique (Lyon)", f"{base}/ok"),
            ("La Fabrique (Rennes)", f"{base}/gone"),
        ):
            page = store.page(title)
            text = page.text.replace(page.text.split("|url=")[1].split("\n")[0], url)
            with store.transaction():
                store.apply([Page(**{**page.__dict__, "rev_id": 2, "text": text})])
        both = ["La Fabrique (Lyon)", "La Fabrique (Rennes)"]
        ws = Workspace(store, profile=profile, contact="tests")
        report = ws.gaps(kinds=["dead_link"], pages=both, check_links=True)
        asked = len(seen)
        again = Workspace(store, profile=profile).gaps(
            kinds=["dead_link"], pages=both, check_links=True
        )
    assert [(g.page, g.field) for g in report.gaps] == [("La Fabrique (Rennes)", "url")]
    assert "HTTP 404" in report.gaps[0].detail
    assert again.gaps == report.gaps
    assert len(seen) == asked  # the second run used the cache
