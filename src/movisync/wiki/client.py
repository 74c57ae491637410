"""The transport to the wiki: one session, retries, maxlag, login.

All requests, reads and writes, go through one ``requests`` session (mwclient's), so there
is one login and one cookie jar. mwclient's ``page.text()`` costs a request per page;
movisync batches through raw API calls instead, spelled in :mod:`movisync.wiki.api` only.

MediaWiki rules applied here:
- every request carries ``maxlag``; when replicas lag more, the API answers the error
  ``maxlag`` with a ``Retry-After`` header: we wait that long and try again;
- HTTP 429 and 5xx are retried after ``Retry-After`` (or an exponential backoff);
- a query is followed through ``continue`` until the API stops returning it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import mwclient
import mwclient.errors
import requests

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

log = logging.getLogger(__name__)

Params = Mapping[str, str | int]
# A GET longer than this goes as POST: some servers cut long URLs.
MAX_GET_URL = 4000


def user_agent(contact: str) -> str:
    """A descriptive User-Agent, as the Wikimedia User-Agent policy asks: tool, version,
    contact."""
    return f"movisync/{__version__} ({contact}) mwclient/{mwclient.__version__}"


class WikiClient:
    """A session with one MediaWiki API.

    ``requests`` counts the HTTP requests made (retries and login included).
    """

    def __init__(
        self,
        api: str,
        *,
        contact: str,
        max_retries: int = 5,
        backoff: float = 2.0,
        timeout: float = 30.0,
        maxlag: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(api)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise WikiUnreachable(f"{api!r} is not an http(s) URL")
        self.api = api
        self.max_retries = max_retries
        self.backoff = backoff
        self.timeout = timeout
        self.maxlag = maxlag
        self._sleep = sleep
        path, _, script = parts.path.rpartition("/")
        stem, dot, ext = script.partition(".")
        # mwclient is given the same URL pieces; it is used for login only, through the
        # same session.
        self.site = mwclient.Site(
            parts.netloc,
            path=f"{path}/",
            ext=f"{dot}{ext}" if stem == "api" else ".php",
            scheme=parts.scheme,
            do_init=False,
            clients_useragent=user_agent(contact),
            max_retries=max_retries,
            retry_timeout=int(backoff) or 1,
            max_lag=maxlag,
            connection_options={"timeout": timeout},
        )
        self.session: requests.Session = self.site.connection
        self.session.headers["User-Agent"] = user_agent(contact)
        self.requests = 0
        self.session.hooks["response"].append(self._count)

    def _count(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.requests += 1

    # --- one call -----------------------------------------------------------------
    def call(self, params: Params, *, post: bool = False) -> dict[str, Any]:
        """One API request with retries; returns the decoded JSON (formatversion 2).

        Raises WikiUnreachable, HttpError, NotAnApi, MaxlagExceeded or ApiError.
        """
        data = {"format": "json", "formatversion": "2", "maxlag": str(self.maxlag)}
        data.update({k: str(v) for k, v in params.items()})
        if (
            not post
            and len(self.api) + sum(len(k) + len(v) + 2 for k, v in data.items()) > MAX_GET_URL
        ):
            post = True
        last: WikiError | None = None
        wait = 0.0
        for attempt in range(self.max_retries + 1):
            if attempt:
                self._sleep(wait)
            wait = self.backoff * 2**attempt
            try:
                if post:
                    response = self.session.post(self.api, data=data, timeout=self.timeout)
                else:
                    response = self.session.get(self.api, params=data, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = WikiUnreachable(
                    f"cannot reach {self.api} ({_reason(exc)}); check the URL (--api or "
                    "MOVISYNC_API) and your network"
                )
                continue
            retry_after = _retry_after(response)
            if response.status_code == 429 or response.status_code >= 500:
                last = HttpError(
                    f"{self.api} answered HTTP {response.status_code} "
                    f"{response.reason} {self.max_retries + 1} times; try again later",
                    response.status_code,
                )
                wait = retry_after if retry_after is not None else wait
                continue
            if response.status_code >= 400:
                raise HttpError(
                    f"{self.api} answered HTTP {response.status_code} {response.reason}; "
                    "check the API URL (it usually ends in /api.php)",
                    response.status_code,
                )
            result = _decode(self.api, response)
            error = result.get("error")
            if error is None:
                for module, warning in result.get("warnings", {}).items():
                    log.warning("API warning from %s: %s", module, warning)
                return result
            if error.get("code") == "maxlag":
                last = MaxlagExceeded(
                    f"the wiki's database lag stayed over {self.maxlag} s ({error.get('info')}); "
                    "try again later"
                )
                wait = retry_after if retry_after is not None else wait
                continue
            raise ApiError(str(error.get("code")), str(error.get("info", "")))
        assert last is not None
        raise last

    def query(self, params: Params) -> Iterator[dict[str, Any]]:
        """``action=query`` followed through ``continue``: yields each result's ``query``
        part together with the ``continue`` that follows it (key ``"continue"``; absent on
        the last)."""
        cont: Mapping[str, str] = {"continue": ""}
        while True:
            result = self.call({"action": "query", **params, **cont})
            part = dict(result.get("query", {}))
            if "continue" in result:
                part["continue"] = result["continue"]
            yield part
            if "continue" not in result:
                return
            cont = result["continue"]

    # --- account ---------------------------------------------------------------------
    def login(self, username: str, password: str) -> None:
        """Log in with a bot password (``User@app`` and its password,
        Special:BotPasswords). The password is never logged nor put in a message."""
        try:
            self.site.login(username, password)
        except mwclient.errors.LoginError as exc:
            raise LoginFailed(
                f"the wiki refused the login of {username!r} ({exc.code}); check "
                "MOVISYNC_USERNAME (User@botname) and MOVISYNC_PASSWORD (Special:BotPasswords)"
            ) from None
        except mwclient.errors.APIError as exc:
            raise ApiError(str(exc.code), str(exc.info)) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise WikiUnreachable(f"cannot reach {self.api} to log in ({_reason(exc)})") from None


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None


def _decode(api: str, response: requests.Response) -> dict[str, Any]:
    try:
        result = response.json()
    except (json.JSONDecodeError, ValueError):
        kind = response.headers.get("Content-Type", "unknown").split(";")[0]
        raise NotAnApi(
            f"{api} did not answer like a MediaWiki API (it sent {kind}); the API URL "
            "usually ends in /api.php, e.g. https://movilab.org/api.php"
        ) from None
    if not isinstance(result, dict):
        raise NotAnApi(f"{api} answered JSON that is not a MediaWiki API result")
    return result


def _reason(exc: Exception) -> str:
    """A short cause for a connection error, without the long urllib3 chain."""
    text = str(exc)
    for known in (
        "Connection refused",
        "Name or service not known",
        "timed out",
        "No route to host",
        "Temporary failure in name resolution",
    ):
        if known in text:
            return known.lower()
    return type(exc).__name__
