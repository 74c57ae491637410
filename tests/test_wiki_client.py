"""The API session's retry, wait, redirect, TLS and error rules, against a scripted fake
server (what MediaWiki itself answers is tested against the local wiki: test_wiki_api.py).
"""

from __future__ import annotations

import email.utils
import logging
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from movisync.cli import connect
from movisync.config import Settings
from movisync.errors import ApiError, HttpError, MaxlagExceeded, NotAnApi, WikiUnreachable
from movisync.wiki import WikiClient

from .fakewiki import Reply, serve

LOGGER = "movisync.wiki.client"

OK = Reply(body={"batchcomplete": True, "query": {"pages": []}})
MAXLAG = Reply(
    body={"error": {"code": "maxlag", "info": "Waiting for 10.0.0.1: 7 seconds lagged"}},
    headers={"Retry-After": "7", "X-Database-Lag": "7"},
)


def client_for(api: str, waits: list[float], **options: object) -> WikiClient:
    return WikiClient(
        api, contact="tests@example.org", max_retries=3, backoff=0.5, sleep=waits.append, **options
    )  # type: ignore[arg-type]


def test_every_request_says_who_we_are_and_asks_for_maxlag_and_json():
    waits: list[float] = []
    with serve([OK]) as (api, fake):
        client_for(api, waits).call({"action": "query"})
    seen = fake.seen[0]
    assert seen.params["maxlag"] == "5"
    assert seen.params["format"] == "json" and seen.params["formatversion"] == "2"
    assert seen.headers["User-Agent"].startswith("movisync/")
    assert "tests@example.org" in seen.headers["User-Agent"]


def test_maxlag_waits_as_long_as_the_wiki_says_then_succeeds():
    waits: list[float] = []
    with serve([MAXLAG, MAXLAG, OK]) as (api, fake):
        client = client_for(api, waits)
        assert client.call({"action": "query"}) == OK.body
    assert waits == [7.0, 7.0]
    assert client.requests == 3 == len(fake.seen)


def test_maxlag_that_never_ends_gives_up_after_the_retries():
    waits: list[float] = []
    with serve([MAXLAG]) as (api, fake), pytest.raises(MaxlagExceeded, match="try again later"):
        client_for(api, waits).call({"action": "query"})
    assert len(fake.seen) == 4 and len(waits) == 3


def test_429_and_5xx_are_retried_with_retry_after_or_exponential_backoff():
    waits: list[float] = []
    replies = [
        Reply(status=429, headers={"Retry-After": "3"}),
        Reply(status=503),
        Reply(status=502),
        OK,
    ]
    with serve(replies) as (api, _):
        assert client_for(api, waits).call({"action": "query"}) == OK.body
    assert waits == [3.0, 1.0, 2.0]


def test_a_server_error_that_persists_is_one_clear_error():
    waits: list[float] = []
    with serve([Reply(status=500)]) as (api, _), pytest.raises(HttpError) as caught:
        client_for(api, waits).call({"action": "query"})
    assert caught.value.status == 500
    assert "answered HTTP 500" in str(caught.value)


def test_a_404_is_not_retried_and_points_at_the_api_url():
    waits: list[float] = []
    not_found = Reply(status=404, body="nope", content_type="text/html")
    with serve([not_found]) as (api, fake), pytest.raises(HttpError, match=r"ends in /api\.php"):
        client_for(api, waits).call({"action": "query"})
    assert len(fake.seen) == 1 and waits == []


def test_a_page_that_is_not_the_api_is_named_as_such():
    waits: list[float] = []
    html = Reply(body="<html><body>Accueil</body></html>", content_type="text/html")
    with serve([html]) as (api, _), pytest.raises(NotAnApi, match="sent text/html"):
        client_for(api, waits).call({"action": "query"})


def test_api_errors_keep_their_code_and_are_not_retried():
    waits: list[float] = []
    error = Reply(body={"error": {"code": "badtoken", "info": "Invalid CSRF token."}})
    with serve([error]) as (api, fake), pytest.raises(ApiError) as caught:
        client_for(api, waits).call({"action": "edit"}, post=True)
    assert caught.value.code == "badtoken"
    assert len(fake.seen) == 1 and fake.seen[0].method == "POST"


def free_port() -> int:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        return int(free.getsockname()[1])


def waits_said(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == LOGGER and r.levelno == logging.WARNING and r.getMessage().startswith("wait")
    ]


def test_an_unreachable_host_is_retried_visibly_then_named(caplog):
    port = free_port()
    waits: list[float] = []
    with pytest.raises(WikiUnreachable) as caught:
        client_for(f"http://127.0.0.1:{port}/api.php", waits).call({"action": "query"})
    assert str(caught.value) == (
        f"cannot reach http://127.0.0.1:{port}/api.php (connection refused); check the URL "
        "(--api or MOVISYNC_API) and your network"
    )
    assert waits == [0.5, 1.0, 2.0]
    assert waits_said(caplog) == [
        f"waiting 0.5 s before try 2 of 4: connection refused (127.0.0.1:{port})",
        f"waiting 1 s before try 3 of 4: connection refused (127.0.0.1:{port})",
        f"waiting 2 s before try 4 of 4: connection refused (127.0.0.1:{port})",
    ]


def test_all_the_waits_of_a_call_are_bounded_by_retries_times_max_wait(caplog):
    waits: list[float] = []
    client = WikiClient(
        f"http://127.0.0.1:{free_port()}/api.php",
        contact="tests",
        max_retries=4,
        backoff=100.0,
        max_wait=7.0,
        sleep=waits.append,
    )
    with pytest.raises(WikiUnreachable, match="cannot reach"):
        client.call({"action": "query"})
    assert waits == [7.0, 7.0, 7.0, 7.0] and sum(waits) <= client.max_retries * client.max_wait
    assert len(waits_said(caplog)) == 4


def test_every_wait_is_said_at_warning_with_the_try_and_the_cause(caplog):
    waits: list[float] = []
    with serve([Reply(status=503), Reply(status=502), OK]) as (api, _):
        client_for(api, waits).call({"action": "query"})
    assert waits_said(caplog) == [
        "waiting 0.5 s before try 2 of 4: the wiki answered HTTP 503",
        "waiting 1 s before try 3 of 4: the wiki answered HTTP 502",
    ]


def test_retry_after_is_obeyed_but_capped_at_max_wait(caplog):
    waits: list[float] = []
    replies = [Reply(status=503, headers={"Retry-After": "3600"}), OK]
    with serve(replies) as (api, _):
        client_for(api, waits, max_wait=120.0).call({"action": "query"})
    assert waits == [120.0]
    assert waits_said(caplog) == [
        "waiting 120 s (the wiki asked for 3600 s) before try 2 of 4: the wiki answered HTTP 503"
    ]


def test_an_http_date_retry_after_is_read():
    waits: list[float] = []
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    with serve([Reply(status=503, headers={"Retry-After": when}), OK]) as (api, _):
        client_for(api, waits).call({"action": "query"})
    assert len(waits) == 1 and 27.0 <= waits[0] <= 30.0


def test_a_retry_after_date_in_the_past_or_unreadable_does_not_wait_wrongly():
    waits: list[float] = []
    past = email.utils.formatdate(time.time() - 600, usegmt=True)
    replies = [
        Reply(status=503, headers={"Retry-After": past}),
        Reply(status=503, headers={"Retry-After": "soon"}),
        OK,
    ]
    with serve(replies) as (api, _):
        client_for(api, waits).call({"action": "query"})
    assert waits == [0.0, 1.0]  # a past date: now; unreadable: the backoff


@pytest.mark.parametrize(
    "code",
    ["readonly", "internal_api_error_DBConnectionError", "internal_api_error_DBQueryError"],
)
def test_transient_api_errors_are_retried(code, caplog):
    waits: list[float] = []
    error = Reply(body={"error": {"code": code, "info": "not now"}})
    with serve([error, OK]) as (api, fake):
        assert client_for(api, waits).call({"action": "query"}) == OK.body
    assert waits == [0.5] and len(fake.seen) == 2
    assert waits_said(caplog) == [f"waiting 0.5 s before try 2 of 4: the wiki answered {code}"]


def test_an_error_of_an_unknown_shape_is_not_an_api():
    waits: list[float] = []
    with serve([Reply(body={"error": "oops"})]) as (api, _), pytest.raises(NotAnApi) as caught:
        client_for(api, waits).call({"action": "query"})
    assert "error of an unknown shape" in str(caught.value)


def test_a_trailing_slash_after_api_php_is_dropped():
    waits: list[float] = []
    assert WikiClient("https://movilab.org/api.php/", contact="t").api == (
        "https://movilab.org/api.php"
    )
    with serve([OK]) as (api, fake):
        client = client_for(api + "/", waits)
        client.call({"action": "login", "lgname": "a"}, post=True)
    assert client.api == api
    assert fake.seen[0].path == "/api.php" and fake.seen[0].method == "POST"


def test_secrets_never_go_in_a_url():
    waits: list[float] = []
    with serve([OK]) as (api, fake):
        client_for(api, waits).call({"action": "checktoken", "type": "csrf", "token": "+\\"})
    assert fake.seen[0].method == "POST" and fake.seen[0].params["token"] == "+\\"


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirected_post_keeps_its_method_and_body_and_is_said(status, caplog):
    waits: list[float] = []
    with serve([OK]) as (api, fake):
        moved = api.replace("/api.php", "/w/api.php")
        replies = [Reply(status=status, headers={"Location": "/w/api.php"}, body=""), OK]
        fake.replies[:] = replies
        client = client_for(api, waits)
        client.call({"action": "edit", "title": "T", "text": "x"}, post=True)
        client.call({"action": "query"})
    first, again, later = fake.seen
    assert first.method == again.method == "POST" and again.path == "/w/api.php"
    assert again.params["text"] == "x" and again.params["title"] == "T"
    assert client.api == moved and later.path == "/w/api.php"  # no redirect any more
    assert f"the API at {api} moved to {moved} (HTTP {status})" in caplog.text
    assert f"give --api {moved}" in caplog.text


def test_a_redirect_to_something_else_than_an_api_is_one_error():
    waits: list[float] = []
    to_page = Reply(status=301, headers={"Location": "/index.php/Accueil"}, body="")
    with serve([to_page]) as (api, _), pytest.raises(HttpError) as caught:
        client_for(api, waits).call({"action": "query"})
    assert "redirects (HTTP 301) to http://127.0.0.1:" in str(caught.value)
    assert "which is not a MediaWiki API URL; check the URL" in str(caught.value)


def test_endless_redirects_are_one_error():
    waits: list[float] = []
    loop = Reply(status=302, headers={"Location": "/api.php"}, body="")
    with serve([loop]) as (api, fake), pytest.raises(HttpError, match="redirected more than 5"):
        client_for(api, waits).call({"action": "query"})
    assert len(fake.seen) == 6


# --- TLS ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def tls_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def test_a_tls_certificate_error_is_not_retried_and_said_clearly(certificate, caplog):
    waits: list[float] = []
    with (
        serve([OK], tls=tls_context(certificate)) as (api, fake),
        pytest.raises(WikiUnreachable) as caught,
    ):
        client_for(api, waits).call({"action": "query"})
    host = api.split("/")[2]
    message = str(caught.value)
    assert message.startswith(
        f"the TLS certificate of {host} is not valid (self-signed certificate): "
    )
    assert "SSLError" not in message and "REQUESTS_CA_BUNDLE" in message
    assert waits == [] and waits_said(caplog) == [] and fake.seen == []


def test_https_is_never_followed_to_http(certificate, monkeypatch):
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # they would win over verify
        monkeypatch.delenv(name, raising=False)
    waits: list[float] = []
    with serve([OK]) as (plain, _):
        down = Reply(status=301, headers={"Location": plain}, body="")
        with serve([down], tls=tls_context(certificate)) as (api, _):
            client = client_for(api, waits)
            client.session.verify = str(certificate[0])
            with pytest.raises(HttpError) as caught:
                client.call({"action": "login", "lgpassword": "x"}, post=True)
    assert f"redirects (HTTP 301) to {plain}, which is not encrypted" in str(caught.value)
    assert client.api == api


def test_the_cli_passes_max_wait_and_the_other_settings():
    settings = Settings(api="https://movilab.org/api.php/", max_wait=7.5, timeout=3.0)
    client = connect(settings).client
    assert (client.max_wait, client.timeout, client.api) == (
        7.5,
        3.0,
        "https://movilab.org/api.php",
    )
    assert client.requests == 0  # nothing asked yet


def test_long_requests_go_as_post():
    waits: list[float] = []
    with serve([OK]) as (api, fake):
        client_for(api, waits).call({"action": "query", "titles": "|".join(["Titre"] * 1000)})
    assert fake.seen[0].method == "POST"


def test_query_follows_continue_until_the_end():
    waits: list[float] = []
    first = Reply(
        body={
            "continue": {"apcontinue": "M", "continue": "-||"},
            "query": {"allpages": [{"title": "A"}]},
        }
    )
    last = Reply(body={"query": {"allpages": [{"title": "M"}]}})
    with serve([first, last]) as (api, fake):
        parts = list(client_for(api, waits).query({"list": "allpages"}))
    assert [p["allpages"][0]["title"] for p in parts] == ["A", "M"]
    assert fake.seen[1].params["apcontinue"] == "M"
    assert "continue" not in parts[-1]
