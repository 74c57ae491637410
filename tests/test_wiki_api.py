"""movisync's client against the real local wiki, with faults injected in between
(tests/faultproxy.py): broken connections, broken or reshaped answers, waits, API errors,
redirects, the login and finding the API from a page. Each ends in one clear error, or in
a visible, bounded wait and a retry.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from movisync.errors import ApiError, HttpError, LoginFailed, NotAnApi, WikiUnreachable
from movisync.site import SiteInfo
from movisync.wiki import Cursor, UserInfo, Wiki, WikiClient
from movisync.wiki import client as transport

from .conftest import LocalWiki
from .faultproxy import (
    PASS,
    ApiErrorReply,
    BadGzip,
    CloseMidBody,
    Fault,
    FaultProxy,
    Gzip,
    HtmlPage,
    Json,
    Redirect,
    Reset,
    Rewrite,
    RewriteText,
    Slow,
    Status,
    TruncateJson,
    fault_proxy,
)

pytestmark = pytest.mark.live
LOGGER = "movisync.wiki.client"
EDIT_URI = 'href="http://127.0.0.1:8089/api.php?action=rsd"'


@pytest.fixture
def proxy(local_wiki: LocalWiki) -> Iterator[FaultProxy]:
    with fault_proxy(local_wiki.api.removesuffix("/api.php")) as running:
        yield running


def client(api: str, waits: list[float], **options: Any) -> WikiClient:
    options = {"max_retries": 3, "backoff": 0.5, **options}
    return WikiClient(api, contact="movisync tests", sleep=waits.append, **options)


def said(caplog: pytest.LogCaptureFixture, level: int = logging.WARNING) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == level]


def waits_said(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [line for line in said(caplog) if line.startswith("waiting ")]


def host_of(proxy: FaultProxy) -> str:
    return proxy.url.removeprefix("http://")


# --- 1. a connection closed mid-answer -------------------------------------------------------
BROKEN = [
    (CloseMidBody(), "the connection was closed in the middle of the answer"),
    (CloseMidBody(chunked=True), "the connection was closed in the middle of the answer"),
    (BadGzip(), "the answer could not be decompressed"),
    (Reset(), "the server closed the connection without answering"),
]
BROKEN_IDS = ["content-length cut", "chunked cut", "broken gzip", "reset"]


@pytest.mark.parametrize(("fault", "reason"), BROKEN, ids=BROKEN_IDS)
def test_a_connection_broken_mid_answer_is_retried(proxy, caplog, fault, reason):
    waits: list[float] = []
    proxy.script(fault, fault)
    site = Wiki(client(proxy.api, waits)).siteinfo()
    assert site.sitename == "Movilab"
    assert waits == [0.5, 1.0] and len(proxy.seen) == 3
    assert waits_said(caplog) == [
        f"waiting 0.5 s before try 2 of 4: {reason} ({host_of(proxy)})",
        f"waiting 1 s before try 3 of 4: {reason} ({host_of(proxy)})",
    ]


def test_a_compressed_answer_is_read_whole(proxy):
    waits: list[float] = []
    proxy.script(Gzip())
    site = Wiki(client(proxy.api, waits)).siteinfo()
    assert site.sitename == "Movilab" and len(site.namespaces) > 10 and waits == []


@pytest.mark.parametrize(("fault", "reason"), BROKEN, ids=BROKEN_IDS)
def test_a_connection_that_keeps_breaking_is_wiki_unreachable(proxy, fault, reason):
    waits: list[float] = []
    wiki = client(proxy.api, waits)
    wiki.call({"action": "query", "meta": "userinfo"})
    proxy.default = fault
    with pytest.raises(WikiUnreachable) as caught:
        wiki.call({"action": "query", "meta": "siteinfo"})
    assert str(caught.value) == (
        f"lost the connection to {proxy.api} ({reason}) after 4 tries, though it answered "
        "before; check your network, or try again later"
    )
    assert waits == [0.5, 1.0, 2.0]


def test_a_connection_broken_on_the_first_request_says_check_the_url(proxy):
    waits: list[float] = []
    proxy.default = CloseMidBody()
    with pytest.raises(WikiUnreachable) as caught:
        client(proxy.api, waits).call({"action": "query"})
    assert str(caught.value) == (
        f"cannot reach {proxy.api} (the connection was closed in the middle of the answer); "
        "check the URL (--api or MOVISYNC_API) and your network"
    )


# --- 2. JSON of a wrong shape ------------------------------------------------------------------
def in_query(key: str, change: Callable[[Any], Any]) -> Rewrite:
    def rewrite(data: Any) -> Any:
        query = dict(data["query"])
        query[key] = change(query.get(key))
        return {**data, "query": query}

    return Rewrite(rewrite)


def each_page(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Rewrite:
    return in_query("pages", lambda pages: [change(dict(p)) for p in pages])


def without(key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda item: {k: v for k, v in item.items() if k != key}


def first_item(key: str, field: str, value: Any) -> Rewrite:
    return in_query(key, lambda items: [{**items[0], field: value}, *items[1:]])


ME = UserInfo("MovisyncBot", anon=False, rights=frozenset({"edit"}))
Call = Callable[[Wiki, SiteInfo], object]
SINCE = Cursor("2000-01-01T00:00:00Z", 0, 0)


def edit(wiki: Wiki, site: SiteInfo) -> object:
    return wiki.edit(
        title="Accueil",
        text="x",
        summary="test",
        token="+\\",
        started=site.time,
        user=ME,
        create=False,
        base_rev=1,
        base_timestamp=site.time,
    )


SHAPES: list[tuple[str, Call, list[Fault], str]] = [
    (
        "siteinfo, query a list",
        lambda w, s: w.siteinfo(),
        [Rewrite(lambda d: {**d, "query": []})],
        "without site information",
    ),
    (
        "siteinfo, namespaces a list",
        lambda w, s: w.siteinfo(),
        [in_query("namespaces", lambda ns: list(ns.values()))],
        r"site information \(meta=siteinfo\) in an unknown shape",
    ),
    (
        "userinfo, not an object",
        lambda w, s: w.userinfo(),
        [in_query("userinfo", lambda _: "oops")],
        r"who we are \(meta=userinfo\) in an unknown shape \(userinfo is text, not an object\)",
    ),
    (
        "edit token, no tokens",
        lambda w, s: w.edit_token(),
        [Rewrite(lambda d: {**d, "query": without("tokens")(d["query"])})],
        r"an edit token \(meta=tokens\|userinfo\) in an unknown shape \(no 'tokens'\)",
    ),
    (
        "can_edit, pages a text",
        lambda w, s: w.can_edit("Accueil"),
        [in_query("pages", lambda _: "oops")],
        r"answered a query \(prop=info&intestactions\) whose pages have an unknown shape",
    ),
    (
        "can_edit, actions a text",
        lambda w, s: w.can_edit("Accueil"),
        [each_page(lambda p: {**p, "actions": "edit"})],
        r"the rights on a page \(intestactions\) in an unknown shape",
    ),
    (
        "page_batch, pages a text",
        lambda w, s: w.page_batch(s, namespace=0, limit=5),
        [in_query("pages", lambda _: "oops")],
        r"answered a query \(prop=revisions\) whose pages have an unknown shape",
    ),
    (
        "page_batch, query a list",
        lambda w, s: w.page_batch(s, namespace=0, limit=5),
        [Rewrite(lambda d: {**d, "query": []})],
        r"a query \(prop=revisions\) in an unknown shape \(query is a list\)",
    ),
    (
        "page_batch, no revisions",
        lambda w, s: w.page_batch(s, namespace=0, limit=5),
        [each_page(without("revisions"))],
        r"a batch of pages \(prop=revisions\|links\|categories\) in an unknown shape "
        r"\(page '.+' has no revisions\)",
    ),
    (
        "page_batch, a page without title",
        lambda w, s: w.page_batch(s, namespace=0, limit=5),
        [each_page(without("title"))],
        r"a batch of pages .* in an unknown shape \(no 'title'\)",
    ),
    (
        "page_batch, links a text",
        lambda w, s: w.page_batch(s, namespace=0, limit=5),
        [each_page(lambda p: {**p, "links": "oops"})],
        r"a batch of pages .* \(links is text, not a list\)",
    ),
    (
        "page_batch, continue a text",
        lambda w, s: w.page_batch(s, namespace=0, limit=5),
        [Rewrite(lambda d: {**d, "continue": "oops"})],
        r"a batch of pages .* \(continue is text, not an object\)",
    ),
    (
        "latest_cursor, query a list",
        lambda w, s: w.latest_cursor(s),
        [Rewrite(lambda d: {**d, "query": []})],
        r"the latest changes \(list=recentchanges\|logevents\) in an unknown shape "
        r"\(query is a list, not an object\)",
    ),
    (
        "latest_cursor, rcid a text",
        lambda w, s: w.latest_cursor(s),
        [first_item("recentchanges", "rcid", "12")],
        r"the latest changes .* \(rcid is text, not a number\)",
    ),
    (
        "changes_since, recentchanges a text",
        lambda w, s: w.changes_since(SINCE, [0], s.time),
        [in_query("recentchanges", lambda _: "oops")],
        r"the changes \(list=recentchanges\|logevents\) in an unknown shape",
    ),
    (
        "changes_since, an event without logid",
        lambda w, s: w.changes_since(SINCE, [0], s.time),
        [in_query("logevents", lambda events: [without("logid")(e) for e in events])],
        r"the changes .* \(no 'logid'\)",
    ),
    (
        "changes_since, continue a text",
        lambda w, s: w.changes_since(SINCE, [0], s.time),
        [Rewrite(lambda d: {**d, "continue": "oops"})],
        r"a query \(action=query\) whose continue part has an unknown shape",
    ),
    (
        "read_pages, no revisions",
        lambda w, s: w.read_pages(["Accueil"]),
        [each_page(without("revisions"))],
        r"pages to edit \(prop=revisions\|info\) in an unknown shape \(no 'revisions'\)",
    ),
    (
        "read_pages, a page without title",
        lambda w, s: w.read_pages(["Accueil"]),
        [each_page(without("title"))],
        r"pages to edit .* \(no 'title'\)",
    ),
    (
        "read_pages, normalized a text",
        lambda w, s: w.read_pages(["accueil"]),
        [in_query("normalized", lambda _: "oops")],
        r"pages to edit .* \(normalized is text, not a list\)",
    ),
    (
        "edit, edit a text",
        edit,
        [Json({"edit": "x"})],
        r"an edit \(action=edit\) in an unknown shape \(edit is text, not an object\)",
    ),
    (
        "edit, no edit",
        edit,
        [Json({"batchcomplete": True})],
        r"an edit \(action=edit\) in an unknown shape \(no 'edit'\)",
    ),
    (
        "edit, newrevid a text",
        edit,
        [Json({"edit": {"result": "Success", "oldrevid": 1, "newrevid": "2"}})],
        r"an edit \(action=edit\) .* \(newrevid is text, not a number\)",
    ),
]


@pytest.mark.parametrize(
    ("call", "faults", "match"), [c[1:] for c in SHAPES], ids=[c[0] for c in SHAPES]
)
def test_json_of_a_wrong_shape_is_one_clear_error(proxy, call, faults, match):
    waits: list[float] = []
    wiki = Wiki(client(proxy.api, waits))
    site = wiki.siteinfo()
    proxy.script(*faults)
    with pytest.raises(NotAnApi, match=match) as caught:
        call(wiki, site)
    assert "MediaWiki API" in str(caught.value) and waits == []


@pytest.mark.parametrize(
    ("faults", "match"),
    [
        ([Rewrite(lambda d: {"query": {"tokens": {}}})], "without a login token"),
        ([Rewrite(lambda d: {"batchcomplete": True})], "without a login token"),
        ([None, Rewrite(lambda d: {"login": "Success"})], r"the login \(action=login\)"),
    ],
    ids=["no token", "no query", "login a text"],
)
def test_a_login_answer_of_a_wrong_shape_is_one_clear_error(proxy, local_wiki, faults, match):
    waits: list[float] = []
    bot = local_wiki.credentials["bot"]
    proxy.script(*[f or PASS for f in faults])
    with pytest.raises(NotAnApi, match=match) as caught:
        client(proxy.api, waits).login(bot["username"], bot["password"])
    assert bot["password"] not in str(caught.value)


# --- 3. the login ------------------------------------------------------------------------------
def test_a_bot_password_logs_in_through_call_and_keeps_the_session(proxy, local_wiki):
    waits: list[float] = []
    bot = local_wiki.credentials["bot"]
    wiki = Wiki(client(proxy.api, waits))
    wiki.login(bot["username"], bot["password"])
    user = wiki.userinfo()
    assert user.name == "MovisyncBot" and not user.anon and "apihighlimits" in user.rights
    token, login, after = proxy.seen
    assert (token.method, token.params["meta"], token.params["type"]) == ("GET", "tokens", "login")
    assert login.method == "POST" and login.params["action"] == "login"
    assert login.params["lgname"] == bot["username"] and login.params["lgtoken"]
    assert login.params["maxlag"] == "5" and login.params["formatversion"] == "2"
    assert after.params["meta"] == "userinfo"
    assert "lgpassword" not in token.path and "lgpassword" not in after.path


def test_a_wrong_bot_password_is_login_failed_without_the_password(local_wiki):
    waits: list[float] = []
    bot = local_wiki.credentials["bot"]
    with pytest.raises(LoginFailed) as caught:
        client(local_wiki.api, waits).login(bot["username"], "not-the-password-7431")
    message = str(caught.value)
    assert message == (
        f"the wiki refused the login of {bot['username']!r} (Failed: Incorrect username or "
        "password entered. Please try again.); check MOVISYNC_USERNAME (User@botname) and "
        "MOVISYNC_PASSWORD (Special:BotPasswords)"
    )
    assert "not-the-password-7431" not in message and waits == []


def test_the_login_requests_are_retried_like_any_call(proxy, local_wiki, caplog):
    waits: list[float] = []
    bot = local_wiki.credentials["bot"]
    proxy.script(Status(503, retry_after="2"), PASS, Status(502), HtmlPage(), PASS)
    wiki = Wiki(client(proxy.api, waits))
    wiki.login(bot["username"], bot["password"])
    assert wiki.userinfo().name == "MovisyncBot"
    assert proxy.methods == ["GET", "GET", "POST", "POST", "POST", "GET"]
    assert waits == [2.0, 0.5, 1.0]
    assert waits_said(caplog) == [
        "waiting 2 s before try 2 of 4: the wiki answered HTTP 503",
        "waiting 0.5 s before try 2 of 4: the wiki answered HTTP 502",
        "waiting 1 s before try 3 of 4: the wiki answered text/html instead of API JSON",
    ]


def test_a_login_with_a_lagged_database_waits_as_maxlag_asks(proxy, local_wiki, caplog):
    waits: list[float] = []
    bot = local_wiki.credentials["bot"]
    proxy.script(ApiErrorReply("maxlag", "Waiting for db2: 7 seconds lagged"))
    client(proxy.api, waits).login(bot["username"], bot["password"])
    assert waits == [0.5]
    assert waits_said(caplog) == [
        "waiting 0.5 s before try 2 of 4: the wiki's database lag is over 5 s"
    ]


def test_an_html_answer_to_the_first_login_request_says_check_the_url(proxy, local_wiki):
    waits: list[float] = []
    bot = local_wiki.credentials["bot"]
    proxy.script(HtmlPage())
    with pytest.raises(NotAnApi) as caught:
        client(proxy.api, waits).login(bot["username"], bot["password"])
    assert "did not answer like a MediaWiki API (it sent text/html); check the URL" in str(
        caught.value
    )
    assert len(proxy.seen) == 1 and waits == []


def test_no_password_token_or_cookie_is_ever_logged(proxy, local_wiki, caplog):
    caplog.set_level(logging.DEBUG)
    waits: list[float] = []
    bot = local_wiki.credentials["bot"]
    proxy.script(Status(503, retry_after="1"), PASS, PASS, TruncateJson())  # retries log too
    wiki = Wiki(client(proxy.api, waits))
    wiki.login(bot["username"], bot["password"])
    token, _ = wiki.edit_token()
    checked = wiki.client.call({"action": "checktoken", "type": "csrf", "token": token})
    assert checked["checktoken"]["result"] == "valid"
    login_token = next(s.params["lgtoken"] for s in proxy.seen if "lgtoken" in s.params)
    secrets = [bot["password"], login_token, token, *wiki.client.session.cookies.values()]
    assert all(len(s) >= 8 for s in secrets) and len(secrets) >= 5
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert len(caplog.records) > 5  # urllib3's DEBUG lines and ours are in
    for secret in secrets:
        assert secret not in logged
        for seen in proxy.seen:  # and never in a URL, which servers log
            assert secret not in seen.path
    assert proxy.seen[-1].method == "POST"  # the token went in the body


def test_each_request_is_said_at_info_in_a_few_words(proxy, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    waits: list[float] = []
    Wiki(client(proxy.api, waits)).siteinfo()
    assert said(caplog, logging.INFO) == ["GET action=query meta=siteinfo|userinfo"]


# --- 4. Retry-After ----------------------------------------------------------------------------
def test_retry_after_is_obeyed_and_capped_at_max_wait(proxy, caplog):
    waits: list[float] = []
    proxy.script(Status(503, retry_after="3"), Status(429, retry_after="3600"))
    site = Wiki(client(proxy.api, waits, max_wait=120.0)).siteinfo()
    assert site.sitename == "Movilab" and waits == [3.0, 120.0]
    assert waits_said(caplog) == [
        "waiting 3 s before try 2 of 4: the wiki answered HTTP 503",
        "waiting 120 s (the wiki asked for 3600 s) before try 3 of 4: the wiki answered HTTP 429",
    ]


def test_a_503_that_persists_is_one_http_error_after_bounded_waits(proxy):
    waits: list[float] = []
    proxy.default = Status(503, retry_after="3600")
    wiki = client(proxy.api, waits, max_wait=60.0)
    with pytest.raises(HttpError) as caught:
        wiki.call({"action": "query"})
    assert str(caught.value) == (
        f"{proxy.api} answered HTTP 503 Service Unavailable 4 times; try again later"
    )
    assert waits == [60.0, 60.0, 60.0] and sum(waits) <= wiki.max_retries * wiki.max_wait


# --- 5. transient API errors -------------------------------------------------------------------
@pytest.mark.parametrize("code", ["ratelimited", "readonly"])
def test_a_transient_api_error_backs_off_and_retries(proxy, caplog, code):
    waits: list[float] = []
    proxy.script(ApiErrorReply(code), ApiErrorReply(code))
    assert Wiki(client(proxy.api, waits)).siteinfo().sitename == "Movilab"
    assert waits == [0.5, 1.0] and len(proxy.seen) == 3
    assert waits_said(caplog) == [
        f"waiting 0.5 s before try 2 of 4: the wiki answered {code}",
        f"waiting 1 s before try 3 of 4: the wiki answered {code}",
    ]


def test_a_rate_limit_that_persists_is_one_api_error(proxy):
    waits: list[float] = []
    proxy.default = ApiErrorReply("ratelimited")
    with pytest.raises(ApiError) as caught:
        client(proxy.api, waits).call({"action": "query"})
    assert caught.value.code == "ratelimited"
    assert str(caught.value).startswith("the wiki answered ratelimited: As an anti-abuse")
    assert str(caught.value).endswith("(still after 4 tries; try again later)")
    assert len(proxy.seen) == 4


def test_other_api_errors_fail_at_once(proxy):
    waits: list[float] = []
    with pytest.raises(ApiError) as caught:
        client(proxy.api, waits).call({"action": "nosuchaction"})
    assert caught.value.code == "badvalue" and "nosuchaction" in caught.value.info
    assert len(proxy.seen) == 1 and waits == []


# --- 6. a broken answer from a URL that answered well --------------------------------------------
def test_a_broken_answer_after_a_good_one_is_retried(proxy, caplog):
    waits: list[float] = []
    wiki = Wiki(client(proxy.api, waits))
    wiki.userinfo()
    proxy.script(TruncateJson(), HtmlPage())
    assert wiki.siteinfo().sitename == "Movilab"
    assert waits == [0.5, 1.0]
    assert waits_said(caplog) == [
        "waiting 0.5 s before try 2 of 4: the wiki answered truncated or broken JSON",
        "waiting 1 s before try 3 of 4: the wiki answered text/html instead of API JSON",
    ]


@pytest.mark.parametrize("fault", [TruncateJson(), HtmlPage()], ids=["truncated", "html"])
def test_a_broken_answer_that_persists_does_not_blame_the_url(proxy, fault):
    waits: list[float] = []
    wiki = client(proxy.api, waits)
    wiki.call({"action": "query", "meta": "userinfo"})
    proxy.default = fault
    with pytest.raises(NotAnApi) as caught:
        wiki.call({"action": "query", "meta": "siteinfo"})
    message = str(caught.value)
    assert "4 times, though it answered correctly before in this session" in message
    assert "the URL is right" in message and "check the URL" not in message
    assert len(waits) == 3


@pytest.mark.parametrize("fault", [TruncateJson(), HtmlPage()], ids=["truncated", "html"])
def test_a_first_answer_that_is_not_api_json_says_check_the_url(proxy, fault):
    waits: list[float] = []
    proxy.script(fault)
    with pytest.raises(NotAnApi) as caught:
        client(proxy.api, waits).call({"action": "query"})
    assert "did not answer like a MediaWiki API" in str(caught.value)
    assert "check the URL (--api or MOVISYNC_API)" in str(caught.value)
    assert len(proxy.seen) == 1 and waits == []


# --- 9. trailing slash and redirects ------------------------------------------------------------
def test_a_trailing_slash_after_api_php_works_for_reads_and_the_login(local_wiki):
    waits: list[float] = []
    bot = local_wiki.credentials["bot"]
    wiki = Wiki(client(local_wiki.api + "/", waits))
    assert wiki.url == local_wiki.api
    wiki.login(bot["username"], bot["password"])  # a POST: MediaWiki would 301 api.php/
    assert wiki.userinfo().name == "MovisyncBot"


def test_a_moved_api_is_followed_and_said(proxy, caplog):
    waits: list[float] = []
    proxy.script(Redirect("/api.php", 301))
    old = proxy.url + "/old/api.php"
    wiki = Wiki(client(old, waits))
    assert wiki.siteinfo().sitename == "Movilab"
    assert wiki.url == proxy.api and [s.path.split("?")[0] for s in proxy.seen] == [
        "/old/api.php",
        "/api.php",
    ]
    assert said(caplog) == [
        f"the API at {old} moved to {proxy.api} (HTTP 301): using it; give --api "
        f"{proxy.api} to skip the redirect"
    ]


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirected_login_post_stays_a_post(proxy, local_wiki, status):
    waits: list[float] = []
    bot = local_wiki.credentials["bot"]
    proxy.aliases["/old"] = ""
    proxy.script(PASS, Redirect("/api.php", status))
    wiki = Wiki(client(proxy.url + "/old/api.php", waits))
    wiki.login(bot["username"], bot["password"])
    assert wiki.userinfo().name == "MovisyncBot"
    _, moved, login, _ = proxy.seen
    assert (moved.method, moved.path, login.method, login.path) == (
        "POST",
        "/old/api.php",
        "POST",
        "/api.php",
    )
    assert login.params["lgname"] == bot["username"] and "lgpassword" in login.params


# --- 10. finding the API from a page --------------------------------------------------------------
@pytest.mark.parametrize(
    "page",
    [
        "http://127.0.0.1:8089/index.php?title=Accueil",
        "http://127.0.0.1:8089/",
        "http://127.0.0.1:8089",
        "http://127.0.0.1:8089/index.php/Accueil",
        "http://127.0.0.1:8089/index.php?title=Cette_page_n_existe_pas",  # a 404 page
    ],
)
def test_the_api_is_found_from_a_page_or_the_site(local_wiki, caplog, page):
    waits: list[float] = []
    wiki = Wiki(client(page, waits))
    assert wiki.url == page and wiki.requests == 0  # found lazily, on the first call
    assert wiki.siteinfo().sitename == "Movilab"
    assert wiki.url == local_wiki.api
    assert said(caplog) == [f"using the API at {local_wiki.api} (found on {page})"]


def test_the_login_finds_the_api_from_a_page_too(local_wiki):
    waits: list[float] = []
    bot = local_wiki.credentials["bot"]
    wiki = Wiki(client("http://127.0.0.1:8089/index.php?title=Accueil", waits))
    wiki.login(bot["username"], bot["password"])
    assert wiki.url == local_wiki.api and wiki.userinfo().name == "MovisyncBot"


@pytest.mark.parametrize(
    "href", ["/api.php?action=rsd", "//{host}/api.php?action=rsd"], ids=["relative", "//host"]
)
def test_relative_and_protocol_relative_edit_uris_are_resolved(proxy, caplog, href):
    waits: list[float] = []
    link = 'href="' + href.format(host=host_of(proxy)) + '"'
    proxy.script(RewriteText(lambda page: page.replace(EDIT_URI, link)))
    page = proxy.url + "/index.php?title=Accueil"
    wiki = Wiki(client(page, waits))
    assert wiki.siteinfo().sitename == "Movilab"
    assert wiki.url == proxy.api
    assert said(caplog) == [f"using the API at {proxy.api} (found on {page})"]


def test_a_page_without_edit_uri_is_one_clear_error(proxy):
    waits: list[float] = []
    proxy.script(RewriteText(lambda page: re.sub(r'<link rel="EditURI"[^>]*>', "", page)))
    page = proxy.url + "/index.php?title=Accueil"
    with pytest.raises(NotAnApi) as caught:
        client(page, waits).call({"action": "query"})
    assert str(caught.value) == (
        f"{page} did not answer like a MediaWiki API, nor like a wiki page that names its API "
        '(it has no <link rel="EditURI">); check the URL (--api or MOVISYNC_API): the API URL '
        "usually ends in /api.php, e.g. https://movilab.org/api.php"
    )
    assert len(proxy.seen) == 1


def test_a_url_that_is_neither_the_api_nor_a_page_is_one_clear_error(local_wiki):
    waits: list[float] = []
    with pytest.raises(NotAnApi, match=r"no <link rel=\"EditURI\">.*ends in /api\.php"):
        client(local_wiki.api.replace("api.php", "load.php"), waits).call({"action": "query"})


def test_finding_the_api_is_retried_like_any_request(proxy, caplog):
    waits: list[float] = []
    proxy.script(Status(503, retry_after="1"))
    wiki = Wiki(client(proxy.url + "/index.php?title=Accueil", waits))
    assert wiki.siteinfo().sitename == "Movilab"
    assert waits == [1.0] and waits_said(caplog) == [
        "waiting 1 s before try 2 of 4: the wiki answered HTTP 503"
    ]


# --- 11. nothing hangs -------------------------------------------------------------------------
def test_an_answer_that_drips_is_cut_at_its_deadline(proxy, monkeypatch):
    monkeypatch.setattr(transport, "BODY_TIME_FACTOR", 2)
    waits: list[float] = []
    proxy.default = Slow(pause=0.01)  # 21 kB of site information: 3.5 minutes
    started = time.monotonic()
    with pytest.raises(WikiUnreachable) as caught:
        client(proxy.api, waits, timeout=0.5, max_retries=1).call(
            {"action": "query", "meta": "siteinfo", "siprop": "general|namespaces|magicwords"}
        )
    assert time.monotonic() - started < 8
    assert re.search(r"\((the answer took more than 1 s|timed out)\)", str(caught.value))
    assert len(waits) == 1
