"""The API session's retry, maxlag and error rules, against a scripted fake server."""

from __future__ import annotations

import socket

import pytest

from movisync.errors import ApiError, HttpError, MaxlagExceeded, NotAnApi, WikiUnreachable
from movisync.wiki import WikiClient

from .fakewiki import Reply, serve

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


def test_an_unreachable_host_is_retried_then_named():
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    waits: list[float] = []
    with pytest.raises(WikiUnreachable, match="connection refused"):
        client_for(f"http://127.0.0.1:{port}/api.php", waits).call({"action": "query"})
    assert waits == [0.5, 1.0, 2.0]


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
