"""History, trends and the three report formats; the HTML report in a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from movisync.history import Snapshot, before, headline, reference
from movisync.profile import load_profile
from movisync.report import to_html, to_json, to_markdown
from movisync.tracking import Progress
from movisync.workspace import Workspace

from .helpers import corpus_store

PROFILE = load_profile()


def snap(at: str, missing: int, orphans: int = 2) -> Snapshot:
    return Snapshot(
        at=at,
        rc_id=1,
        gaps={"tiers-lieu": {"missing_field": missing}, "": {"orphan": orphans}},
        fills={"tiers-lieu": {"url": 50.0}},
        pages={"tiers-lieu": 10},
        pairs=3,
        clusters=2,
    )


def test_trends_compare_with_thirty_days_ago() -> None:
    history = [
        snap("2026-10-01T03:00:00Z", 140),
        snap("2026-11-10T03:00:00Z", 120),
        snap("2026-11-28T03:00:00Z", 95),
    ]
    at = "2026-11-29T03:00:00Z"
    assert before(history, at, 30) == history[0]
    assert before(history, at, 0) == history[2]
    words = PROFILE.words
    none = Progress(0, 0, 0, None)
    # "now" is what is being published, not the last snapshot
    assert headline(history, words, now=97, at=at, change=none) == (
        "142 manques il y a 59 jours, 97 manques aujourd’hui."
    )
    assert headline(history, words, now=1, at=at, change=none, page_type="tiers-lieu") == (
        "140 manques il y a 59 jours, 1 manque aujourd’hui."
    )
    assert headline(history[-1:], words, now=0, at=at, change=none) == "0 manque aujourd’hui."
    change = Progress(new=5, back=1, fixed=12, since="2026-11-24T03:00:00Z")
    assert headline(history[-1:], words, now=97, at=at, change=change) == (
        "97 manques aujourd’hui. 12 corrigés, 5 nouveaux, 1 revenu depuis le 24 novembre 2026."
    )
    assert reference(history, at) == "2026-11-10T03:00:00Z"  # a week before at least
    assert reference(history, "2026-10-02T03:00:00Z") == "2026-10-01T03:00:00Z"  # else the first
    assert reference([], at) is None


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    with corpus_store(tmp_path_factory.mktemp("report") / "s.sqlite") as store:
        store.add_snapshot(
            "2026-10-01T03:00:00Z", json.dumps(snap("2026-10-01T03:00:00Z", 30).__dict__)
        )
        return Workspace(store, profile=PROFILE).report()


def test_a_snapshot_is_small_and_kept(tmp_path) -> None:
    with corpus_store(tmp_path / "s.sqlite") as store:
        ws = Workspace(store, profile=PROFILE)
        report = ws.gaps()
        assert ws.history() == []  # a listing keeps nothing
        ws.snapshot()
        taken = ws.history()
        size = len(store.snapshot_rows()[0])
    assert len(taken) == 1 and taken[0].total() == len(report.gaps)
    assert taken[0].pairs is not None and size < 4000  # a year of daily runs: < 1.5 MB


def test_markdown_and_json_reports(data) -> None:
    markdown = to_markdown(data)
    assert markdown.startswith("# État de la documentation — Movilab")
    assert "| Manques |" in markdown and "## Pages à reprendre en priorité" in markdown
    # French numbers and dates, fields by their labels
    assert "Image 30,6\u00a0%" in markdown and "Main_Picture" not in markdown
    assert re.search(r"Rapport du \d{1,2}(er)? [a-zéû]+ \d{4}\.", markdown)
    assert not re.search(r"\d\.\d %", markdown)
    parsed = json.loads(to_json(data))
    assert {"headlines", "fills", "history", "clusters", "worst"} <= set(parsed)
    assert parsed["headlines"][0]["label"] == "Pages documentées"
    assert "action=edit" in parsed["worst"][0]["edit_url"]


def test_the_html_report_is_self_contained(data) -> None:
    page = to_html(data)
    assert not re.search(r"<(script|link[^>]+stylesheet|img)\b", page)
    assert not re.search(
        r"(src|href)=\"https?://(?!127\.0\.0\.1)", page.replace(data.worst[0].url.split("?")[0], "")
    )
    assert page.count("<figure") == len(data.fills) + 2 and '<html lang="fr">' in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--no-pings",
    "--disable-breakpad",
    "--disable-features=OptimizationHints,Translate,MediaRouter,NetworkTimeServiceQuerying",
]


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/test installs it)")
def test_the_report_renders_in_a_browser_without_any_network_request(data, tmp_path) -> None:
    page = to_html(data).encode()
    asked: list[str] = []

    class Proxy(BaseHTTPRequestHandler):
        """Every request of the browser comes here: the report, or a violation."""

        def do_GET(self) -> None:
            # The browser's own background requests (updates, time) carry no Referer
            # and no Origin; anything the report itself asked for carries one.
            if (
                self.path == "http://report.test/rapport.html"
                or self.headers.get("Referer", "").startswith("http://report.test")
                or self.headers.get("Origin")
            ):
                asked.append(self.path)
            if self.path == "http://report.test/rapport.html":
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(page)
            else:
                self.send_error(403)

        do_CONNECT = do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proxy = [
        f"--proxy-server=http://127.0.0.1:{server.server_address[1]}",
        "--proxy-bypass-list=<-loopback>",
    ]
    try:

        def browse(*extra: str, profile: str) -> str:
            done = subprocess.run(
                [
                    CHROMIUM,
                    *FLAGS,
                    *proxy,
                    f"--user-data-dir={tmp_path / profile}",
                    *extra,
                    "http://report.test/rapport.html",
                ],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stderr[-2000:]
            return done.stdout

        dom = browse("--dump-dom", profile="a")
        shot = tmp_path / "rapport.png"
        browse(f"--screenshot={shot}", "--window-size=1000,3000", profile="b")
        phone = tmp_path / "rapport-telephone.png"
        browse(f"--screenshot={phone}", "--window-size=390,3000", profile="c")
    finally:
        server.shutdown()
        server.server_close()
    assert set(asked) == {"http://report.test/rapport.html"}, asked
    assert dom.count("<svg") == len(data.fills) + 2  # fills, gaps over time, activities
    kinds = {k for s in data.history for k in s.by_kind()}
    line_chart = dom.split("Manques au fil du temps")[1].split("Pages à reprendre")[0]
    assert len(set(re.findall(r'class="series serie-(\d+)', line_chart))) == len(kinds)
    assert "page orpheline" in line_chart and "champ manquant" in line_chart
    for image in (shot, phone):
        assert image.stat().st_size > 20_000 and image.read_bytes()[:4] == b"\x89PNG"
    saved = Path(__file__).parent.parent / ".local-wiki"
    if saved.is_dir():  # keep the latest screenshot at hand for a person to look at
        shutil.copy(shot, saved / "rapport.png")
