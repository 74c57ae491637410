"""The transport to the wiki: one session, retries, maxlag, login, finding the API.

All requests, reads, writes and the login, go through one ``requests`` session and
:meth:`WikiClient.call`, so there is one cookie jar and one set of rules for every
request. movisync batches through raw API calls, spelled in :mod:`movisync.wiki.api` only.

Rules applied here:
- every request carries ``maxlag``; when replicas lag more, the API answers the error
  ``maxlag`` with a ``Retry-After`` header: we wait that long and try again;
- HTTP 429 and 5xx, a connection refused, reset, timed out or closed in the middle of an
  answer, and the transient API errors (``ratelimited``, ``readonly``, database errors)
  are retried after ``Retry-After`` (seconds or an HTTP date) or an exponential backoff;
  every wait is capped at ``max_wait`` and said on stderr (logging, WARNING);
- a TLS certificate error is not retried: it will not go away by itself;
- an answer that is not API JSON is "check the URL" on the first request, and a broken
  answer (retried) once the URL has answered correctly;
- every request has the timeout (to connect, and between two bytes) and a whole answer
  must arrive within ``BODY_TIME_FACTOR`` times it: nothing waits forever;
- a redirect of the API URL is followed keeping the method and the body (307/308
  semantics: a POST stays a POST) and said; ``https`` is never followed to ``http``;
- a URL that does not end in ``api.php`` (a page or the site) is fetched once, on the
  first call, and the API is the one its ``<link rel="EditURI">`` names (MediaWiki puts
  it in every page);
- a request carrying a password or a token always goes as POST, so that no secret is ever
  in a URL (servers and urllib3's DEBUG log write URLs down); nothing logs a body, a
  password, a token or a cookie;
- a query is followed through ``continue`` until the API stops returning it.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import urllib3.exceptions

from .. import __version__
from ..errors import (
    ApiError,
    HttpError,
    LoginFailed,
    MaxlagExceeded,
    NotAnApi,
    WikiError,
    WikiUnreachable,
)
from ..i18n import N_, _

log = logging.getLogger(__name__)

Params = Mapping[str, str | int]
T = TypeVar("T")
# A GET longer than this goes as POST: some servers cut long URLs.
MAX_GET_URL = 4000
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
BODY_TIME_FACTOR = 10
"""A whole answer may take at most this many times ``timeout`` (a server that sends one
byte now and then would otherwise hold a request forever)."""
PAGE_BYTES = 2 * 1024 * 1024
"""The most of a page read to find its API (the EditURI link is in the head)."""
TRANSIENT_ERRORS = frozenset(
    {
        "ratelimited",  # $wgRateLimits: too many actions in a time window
        "readonly",  # maintenance ($wgReadOnly), or most replicas lagged
        # MediaWiki 1.39 names an uncaught exception's class in the code.
        "internal_api_error_DBConnectionError",
        "internal_api_error_DBQueryDisconnectedError",
        "internal_api_error_DBQueryError",  # deadlocks and lock wait timeouts among them
        "internal_api_error_DBQueryTimeoutError",
        "internal_api_error_DBReadOnlyError",
        "internal_api_error_DBReplicationWaitError",
    }
)
"""API error codes that say "not now": retried like a 503."""


def user_agent(contact: str) -> str:
    """A descriptive User-Agent, as the Wikimedia User-Agent policy asks: tool, version,
    contact."""
    return f"movisync/{__version__} ({contact}) python-requests/{requests.__version__}"


def api_url(url: str) -> str:
    """``url`` with a trailing slash after ``api.php`` (``…/api.php/``), a query and a
    fragment removed when it names an ``api.php``; any other URL as it is."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if not path.endswith("api.php"):
        return url
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


class _Again(Exception):
    """A try that failed in a way another try can mend; ``error`` is raised after the
    last."""

    def __init__(self, error: WikiError, why: str, retry_after: float | None = None) -> None:
        super().__init__(why)
        self.error = error
        self.why = why
        self.retry_after = retry_after


class _TooSlow(Exception):
    pass


class WikiClient:
    """A session with one MediaWiki API.

    ``api`` is the API URL (``…/api.php``), or the URL of any page of the wiki or of the
    site: the API is then found from the page on the first call, and ``api`` becomes its
    URL. ``timeout`` is the seconds to connect and between two bytes of an answer;
    ``max_wait`` caps every wait between two tries, whatever ``Retry-After`` asks, so
    that all the waits of one call take at most ``max_retries * max_wait``.

    ``requests`` counts the HTTP requests made (retries, redirects and login included).
    """

    def __init__(
        self,
        api: str,
        *,
        contact: str,
        max_retries: int = 5,
        backoff: float = 2.0,
        max_wait: float = 120.0,
        timeout: float = 30.0,
        maxlag: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(api)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise WikiUnreachable(_("{api!r} is not an http(s) URL").format(api=api))
        self.api = api_url(api)
        self._page: str | None = None if _is_api(self.api) else api
        """A page URL whose API is still to be found (on the first call)."""
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.timeout = timeout
        self.maxlag = maxlag
        self._sleep = sleep
        self._answered = False
        """The API has answered API JSON once in this session: the URL is right."""
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent(contact)
        self.requests = 0
        self.session.hooks["response"].append(self._count)

    def _count(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.requests += 1

    @property
    def tries(self) -> int:
        return self.max_retries + 1

    # --- one call -----------------------------------------------------------------
    def call(self, params: Params, *, post: bool = False) -> dict[str, Any]:
        """One API request with retries; returns the decoded JSON (formatversion 2).

        Raises WikiUnreachable, HttpError, NotAnApi, MaxlagExceeded or ApiError.
        """
        self._find_api()
        data = {"format": "json", "formatversion": "2", "maxlag": str(self.maxlag)}
        data.update({k: str(v) for k, v in params.items()})
        if any(_secret(k) for k in data) or (
            len(self.api) + sum(len(k) + len(v) + 2 for k, v in data.items()) > MAX_GET_URL
        ):
            post = True
        return self._retrying(lambda: self._call_once(data, "POST" if post else "GET"))

    def _call_once(self, data: dict[str, str], method: str) -> dict[str, Any]:
        log.info("%s %s", method, _describe(data))
        response, body = self._api_request(method, data)
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Again(
                HttpError(
                    _(
                        "{api} answered HTTP {status} {reason} {tries} times; try again later"
                    ).format(api=self.api, status=status, reason=response.reason, tries=self.tries),
                    status,
                ),
                _("the wiki answered HTTP {status}").format(status=status),
                _retry_after(response),
            )
        if status >= 400:
            advice = (
                _("it answered correctly before: try again later")
                if self._answered
                else _("check the API URL (it usually ends in /api.php)")
            )
            raise HttpError(
                _("{api} answered HTTP {status} {reason}; {advice}").format(
                    api=self.api, status=status, reason=response.reason, advice=advice
                ),
                status,
            )
        result = self._decode(response, body)
        self._answered = True
        error = result.get("error")
        if error is None:
            _log_warnings(result.get("warnings"))
            return result
        if not isinstance(error, dict):
            raise NotAnApi(
                _(
                    "{api} answered an error of an unknown shape ({error}); check that the URL "
                    "is a MediaWiki API (--api or MOVISYNC_API)"
                ).format(api=self.api, error=_short(error))
            )
        code, info = str(error.get("code", "")), str(error.get("info", ""))
        if code == "maxlag":
            raise _Again(
                MaxlagExceeded(
                    _(
                        "the wiki's database lag stayed over {maxlag} s ({info}); try again later"
                    ).format(maxlag=self.maxlag, info=info)
                ),
                _("the wiki's database lag is over {maxlag} s").format(maxlag=self.maxlag),
                _retry_after(response),
            )
        if code in TRANSIENT_ERRORS:
            raise _Again(
                ApiError(
                    code,
                    _("{info} (still after {tries} tries; try again later)").format(
                        info=info, tries=self.tries
                    ),
                ),
                _("the wiki answered {code}").format(code=code),
                _retry_after(response),
            )
        raise ApiError(code, info)

    def _decode(self, response: requests.Response, body: bytes) -> dict[str, Any]:
        kind = response.headers.get("Content-Type", "").split(";")[0].strip()
        try:
            result = json.loads(body)
        except ValueError:
            result = None
        if isinstance(result, dict):
            return result
        what = (
            _("truncated or broken JSON")
            if "json" in kind
            else _("{kind} instead of API JSON").format(kind=kind or _("an answer of no type"))
        )
        if self._answered:
            raise _Again(
                NotAnApi(
                    _(
                        "{api} answered {what} {tries} times, though it answered correctly "
                        "before in this session (the URL is right); the wiki may be overloaded "
                        "or being updated: try again later"
                    ).format(api=self.api, what=what, tries=self.tries)
                ),
                _("the wiki answered {what}").format(what=what),
            )
        if result is not None:
            raise NotAnApi(
                _(
                    "{api} answered JSON that is not a MediaWiki API result; check the URL "
                    "(--api or MOVISYNC_API): the API URL usually ends in /api.php"
                ).format(api=self.api)
            )
        raise NotAnApi(
            _(
                "{api} did not answer like a MediaWiki API (it sent {kind}); check the URL "
                "(--api or MOVISYNC_API): the API URL usually ends in /api.php, e.g. "
                "https://movilab.org/api.php"
            ).format(api=self.api, kind=kind or _("no type"))
        )

    def query(self, params: Params) -> Iterator[dict[str, Any]]:
        """``action=query`` followed through ``continue``: yields each result's ``query``
        part together with the ``continue`` that follows it (key ``"continue"``; absent on
        the last)."""
        cont: Mapping[str, Any] = {"continue": ""}
        while True:
            result = self.call({"action": "query", **params, **cont})
            query = result.get("query", {})
            following = result.get("continue")
            if not isinstance(query, dict) or not isinstance(following, dict | None):
                raise NotAnApi(
                    _(
                        "{api} answered a query (action=query) whose {part} part has an unknown "
                        "shape; check that the URL is a MediaWiki API (1.35 or later)"
                    ).format(
                        api=self.api, part="query" if not isinstance(query, dict) else "continue"
                    )
                )
            part = dict(query)
            if following is not None:
                part["continue"] = following
            yield part
            if following is None:
                return
            cont = following

    # --- account ---------------------------------------------------------------------
    def login(self, username: str, password: str) -> None:
        """Log in with a bot password (``User@app`` and its password,
        Special:BotPasswords): a login token, then ``action=login``, both through
        :meth:`call` (retries and all), in this session's cookie jar. The password is
        never logged nor put in a message."""
        tokens = self.call({"action": "query", "meta": "tokens", "type": "login"})
        query = tokens.get("query")
        token = query.get("tokens", {}) if isinstance(query, dict) else None
        token = token.get("logintoken") if isinstance(token, dict) else None
        if not isinstance(token, str) or not token:
            raise NotAnApi(
                _(
                    "{api} answered a login token request (meta=tokens) without a login "
                    "token; check that the URL is a MediaWiki API (1.27 or later)"
                ).format(api=self.api)
            )
        answer = self.call(
            {"action": "login", "lgname": username, "lgpassword": password, "lgtoken": token},
            post=True,
        ).get("login")
        if not isinstance(answer, dict) or not isinstance(answer.get("result"), str):
            raise NotAnApi(
                _(
                    "{api} answered the login (action=login) in an unknown shape; check that "
                    "the URL is a MediaWiki API"
                ).format(api=self.api)
            )
        result = answer["result"]
        if result == "Success":
            log.info("logged in as %s", answer.get("lgusername", username))
            return
        reason = _text_of(answer.get("reason"))
        if password:
            reason = reason.replace(password, "…")
        hint = (
            _(
                "the wiki lost the session between the token and the login: check that its "
                "cookies reach it (a proxy or a cache in between?) and try again"
            )
            if result in ("WrongToken", "NeedToken")
            else _(
                "check MOVISYNC_USERNAME (User@botname) and MOVISYNC_PASSWORD "
                "(Special:BotPasswords)"
            )
        )
        refused = (
            _("the wiki refused the login of {user!r} ({result}: {reason}); {hint}")
            if reason
            else _("the wiki refused the login of {user!r} ({result}); {hint}")
        )
        raise LoginFailed(refused.format(user=username, result=result, reason=reason, hint=hint))

    # --- retries ---------------------------------------------------------------------
    def _retrying(self, attempt: Callable[[], T]) -> T:
        """``attempt`` until it succeeds, raises something final, or ``tries`` are spent;
        each wait is capped at ``max_wait`` and said at WARNING."""
        for number in range(1, self.tries + 1):
            try:
                return attempt()
            except _Again as again:
                if number == self.tries:
                    raise again.error from None
                asked = again.retry_after
                wait = asked if asked is not None else self.backoff * 2 ** (number - 1)
                wait = max(0.0, min(wait, self.max_wait))
                said = (
                    _(
                        "waiting {wait} s (the wiki asked for {asked} s) before try {number} of "
                        "{tries}: {why}"
                    )
                    if asked is not None and asked > wait
                    else _("waiting {wait} s before try {number} of {tries}: {why}")
                )
                log.warning(
                    "%s",
                    said.format(
                        wait=_seconds(wait),
                        asked=_seconds(asked),
                        number=number + 1,
                        tries=self.tries,
                        why=again.why,
                    ),
                )
                self._sleep(wait)
        raise AssertionError("a try neither returned nor raised")  # pragma: no cover

    # --- HTTP ----------------------------------------------------------------------------
    def _api_request(self, method: str, data: dict[str, str]) -> tuple[requests.Response, bytes]:
        """One request to the API, following its redirects with the same method and data."""
        for _hop in range(MAX_REDIRECTS + 1):
            response, body = self._fetch(method, self.api, data=data)
            location = response.headers.get("Location")
            if response.status_code not in REDIRECTS or not location:
                return response, body
            self._moved(response.status_code, urljoin(self.api, location))
        raise HttpError(
            _(
                "{api} redirected more than {count} times; check the URL (--api or MOVISYNC_API)"
            ).format(api=self.api, count=MAX_REDIRECTS),
            response.status_code,
        )

    def _moved(self, status: int, target: str) -> None:
        new = api_url(target)
        parts = urlsplit(new)
        if parts.scheme not in ("http", "https") or not _is_api(new):
            raise HttpError(
                _(
                    "{api} redirects (HTTP {status}) to {target}, which is not a MediaWiki API "
                    "URL; check the URL (--api or MOVISYNC_API): it usually ends in /api.php"
                ).format(api=self.api, status=status, target=target),
                status,
            )
        if urlsplit(self.api).scheme == "https" and parts.scheme != "https":
            raise HttpError(
                _(
                    "{api} redirects (HTTP {status}) to {target}, which is not encrypted; "
                    "movisync does not follow https to http: check the URL (--api or "
                    "MOVISYNC_API)"
                ).format(api=self.api, status=status, target=new),
                status,
            )
        log.warning(
            _("the API at %s moved to %s (HTTP %d): using it; give --api %s to skip the redirect"),
            self.api,
            new,
            status,
            new,
        )
        self.api = new

    def _fetch(
        self,
        method: str,
        url: str,
        *,
        data: dict[str, str] | None = None,
        follow: bool = False,
        limit: int | None = None,
    ) -> tuple[requests.Response, bytes]:
        """One HTTP request and its whole body (at most ``limit`` bytes), read within the
        body deadline; transport failures become ``_Again`` or a final WikiError."""
        options: dict[str, Any] = {"data": data} if method == "POST" else {"params": data}
        try:
            response = self.session.request(
                method, url, timeout=self.timeout, allow_redirects=follow, stream=True, **options
            )
        except requests.RequestException as exc:
            raise self._transport_error(exc, url) from None
        try:
            return response, self._read(response, limit)
        except (
            requests.RequestException,
            urllib3.exceptions.HTTPError,
            http.client.HTTPException,
            OSError,
            _TooSlow,
        ) as exc:
            raise self._transport_error(exc, url) from None
        finally:
            response.close()

    def _read(self, response: requests.Response, limit: int | None) -> bytes:
        deadline = time.monotonic() + self.timeout * BODY_TIME_FACTOR
        raw = response.raw
        read1 = getattr(raw, "read1", None)
        if read1 is None:  # not urllib3 2: no way to see the bytes as they come
            return response.content
        raw.decode_content = True  # gzip and deflate undone (requests leaves it to us)
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk: bytes = read1(65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if limit is not None and size >= limit:
                break
            if time.monotonic() > deadline:
                raise _TooSlow(
                    _("the answer took more than {seconds} s").format(
                        seconds=_seconds(self.timeout * BODY_TIME_FACTOR)
                    )
                )
        return b"".join(chunks)

    def _transport_error(self, exc: Exception, url: str) -> Exception:
        """What a failed connection becomes: ``_Again`` (retried), or a final error."""
        host = urlsplit(url).netloc
        if isinstance(exc, requests.exceptions.SSLError | urllib3.exceptions.SSLError):
            return _tls_error(host, exc)
        retried = (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
            urllib3.exceptions.HTTPError,
            http.client.HTTPException,
            OSError,
            _TooSlow,
        )
        reason = _reason(exc)
        if not isinstance(exc, retried):
            return WikiUnreachable(
                _("the request to {url} failed ({reason}): {error}").format(
                    url=url, reason=reason, error=_short(exc)
                )
            )
        if self._answered:
            error = WikiUnreachable(
                _(
                    "lost the connection to {url} ({reason}) after {tries} tries, though it "
                    "answered before; check your network, or try again later"
                ).format(url=url, reason=reason, tries=self.tries)
            )
        else:
            error = WikiUnreachable(
                _(
                    "cannot reach {url} ({reason}); check the URL (--api or MOVISYNC_API) and "
                    "your network"
                ).format(url=url, reason=reason)
            )
        return _Again(error, f"{reason} ({host})")

    # --- finding the API -------------------------------------------------------------
    def _find_api(self) -> None:
        """On the first call with a page URL: the API that page names, from then on."""
        page = self._page
        if page is None:
            return
        self.api = self._retrying(lambda: self._find_api_once(page))
        self._page = None
        log.warning(_("using the API at %s (found on %s)"), self.api, page)

    def _find_api_once(self, page: str) -> str:
        log.info("GET %s to find the wiki's API", page)
        response, body = self._fetch("GET", page, follow=True, limit=PAGE_BYTES)
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Again(
                HttpError(
                    _(
                        "{api} answered HTTP {status} {reason} {tries} times; try again later"
                    ).format(api=page, status=status, reason=response.reason, tries=self.tries),
                    status,
                ),
                _("the wiki answered HTTP {status}").format(status=status),
                _retry_after(response),
            )
        finder = _EditUri()
        finder.feed(body.decode(response.encoding or "utf-8", errors="replace"))
        if finder.href is None:
            if status >= 400:
                raise HttpError(
                    _(
                        "{page} answered HTTP {status} {reason}; check the URL (--api or "
                        "MOVISYNC_API): give the wiki's API URL (it usually ends in /api.php, "
                        "e.g. https://movilab.org/api.php) or the URL of one of its pages"
                    ).format(page=page, status=status, reason=response.reason),
                    status,
                )
            raise NotAnApi(
                _(
                    "{page} did not answer like a MediaWiki API, nor like a wiki page that "
                    'names its API (it has no <link rel="EditURI">); check the URL (--api or '
                    "MOVISYNC_API): the API URL usually ends in /api.php, e.g. "
                    "https://movilab.org/api.php"
                ).format(page=page)
            )
        found = api_url(urljoin(response.url, finder.href))
        parts = urlsplit(found)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise NotAnApi(
                _(
                    "{page} names its API at {href!r}, which is not an http(s) URL; give the "
                    "API URL (--api or MOVISYNC_API), it usually ends in /api.php"
                ).format(page=page, href=finder.href)
            )
        if urlsplit(response.url).scheme == "https" and parts.scheme != "https":
            raise NotAnApi(
                _(
                    "{page} names its API at {api}, which is not encrypted; movisync does not "
                    "go from https to http: give the API URL (--api or MOVISYNC_API)"
                ).format(page=page, api=found)
            )
        return found


class _EditUri(HTMLParser):
    """Finds ``<link rel="EditURI" href="…/api.php?action=rsd">`` in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link" or self.href is not None:
            return
        values = dict(attrs)
        if "edituri" in (values.get("rel") or "").lower().split() and values.get("href"):
            self.href = (values["href"] or "").strip()


def _is_api(url: str) -> bool:
    return urlsplit(url).path.endswith("api.php")


def _secret(key: str) -> bool:
    """A parameter whose value must never be in a URL (nor in a log)."""
    return key.endswith(("token", "password"))


def _describe(data: Mapping[str, str]) -> str:
    """A request in a few words, for the INFO log: never a value that could be secret."""
    words = [f"action={data.get('action', '?')}"]
    words += [f"{k}={data[k]}" for k in ("meta", "list", "prop", "generator") if k in data]
    if "titles" in data:
        words.append(f"titles=({data['titles'].count('|') + 1})")
    if "title" in data:
        words.append(f"title={data['title']}")
    return " ".join(words)


def _log_warnings(warnings: object) -> None:
    if not isinstance(warnings, dict):
        return
    for module, warning in warnings.items():
        text = warning.get("warnings", warning) if isinstance(warning, dict) else warning
        log.warning(_("API warning from %s: %s"), module, text)


def _retry_after(response: requests.Response) -> float | None:
    """``Retry-After`` in seconds: a number of seconds, or an HTTP date."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _tls_error(host: str, exc: Exception) -> WikiUnreachable:
    text = str(exc)
    found = re.search(r"certificate verify failed: ([^(]*?)\s*(?:\(_ssl|'\)|$)", text)
    if found or "certificate" in text.lower():
        detail = found.group(1) if found else "certificate verify failed"
        return WikiUnreachable(
            _(
                "the TLS certificate of {host} is not valid ({detail}): movisync does not "
                "retry; check the host name in the URL, ask the wiki's admins to fix the "
                "certificate, or behind a proxy that inspects TLS set REQUESTS_CA_BUNDLE to "
                "its certificate"
            ).format(host=host, detail=detail)
        )
    found = re.search(r"\] (.*?) \(_ssl\.c", text)
    return WikiUnreachable(
        _(
            "the TLS connection to {host} failed ({detail}): movisync does not retry; check "
            "that the URL's scheme is right (https:// only for a server that speaks TLS)"
        ).format(host=host, detail=found.group(1) if found else _("TLS error"))
    )


REASONS = {
    "Connection refused": N_("connection refused"),
    "Name or service not known": N_("name or service not known"),
    "nodename nor servname provided": N_("nodename nor servname provided"),
    "Temporary failure in name resolution": N_("temporary failure in name resolution"),
    "No route to host": N_("no route to host"),
    "Network is unreachable": N_("network is unreachable"),
    "Connection reset by peer": N_("connection reset by peer"),
    "timed out": N_("timed out"),
}
"""What a connection error's text says, in a few words for people."""


def _reason(exc: Exception) -> str:
    """A short cause for a connection error, without the long urllib3 chain."""
    if isinstance(exc, _TooSlow):
        return str(exc)
    if isinstance(exc, requests.exceptions.ContentDecodingError | urllib3.exceptions.DecodeError):
        return _("the answer could not be decompressed")
    text = str(exc)
    for known, said in REASONS.items():
        if known in text:
            return _(said)
    if "Remote end closed connection without response" in text:
        return _("the server closed the connection without answering")
    if isinstance(
        exc,
        requests.exceptions.ChunkedEncodingError
        | urllib3.exceptions.ProtocolError
        | http.client.HTTPException,
    ):
        return _("the connection was closed in the middle of the answer")
    return type(exc).__name__


def _text_of(value: object) -> str:
    """A message that may come as text or, with some ``errorformat``, as an object."""
    if isinstance(value, dict):
        value = value.get("text") or value.get("*") or value.get("key") or ""
    return str(value or "").strip()


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _seconds(value: float | None) -> str:
    return f"{round(value or 0.0, 2):g}"
