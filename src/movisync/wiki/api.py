"""Typed calls to the MediaWiki API: the only module that spells API parameters and
error codes (the cassettes record exactly these requests).

MediaWiki rules these calls rely on:
- ``generator=allpages`` with ``prop=revisions`` gives the latest revision of up to 50
  pages per request (500 with the ``apihighlimits`` right); when the result would pass
  the 8 MiB cap ($wgAPIMaxResultSize) the API returns part of the batch and an
  ``rvcontinue``. With several ``prop`` modules, a batch's links and categories can span
  several responses (``plcontinue``, ``clcontinue``): a batch is complete when only the
  generator's own continuation (or none) is left.
- ``list=recentchanges`` lists edits and creations for $wgRCMaxAge (90 days by default);
  ``list=logevents`` lists moves, deletions, restores and imports and is never pruned.
  Both are asked for in one request.
- An edit carries ``baserevid``/``basetimestamp`` (the server refuses, or merges, an edit
  on a page changed since), ``starttimestamp`` (catches a page deleted since),
  ``createonly``/``nocreate`` (creation is explicit), ``assert=bot`` or ``user`` (fails
  when the login was lost) and ``md5`` (guards the text in transit).

Every answer is read defensively: JSON of another shape than these calls expect (a
proxy's rewrite, another software, a MediaWiki too old) is one :class:`NotAnApi` naming
the module that answered, never a KeyError, TypeError or AttributeError.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..errors import ApiError, LoginFailed, NotAnApi
from ..i18n import N_, _
from ..site import SiteInfo, from_api
from ..store import Page
from .client import WikiClient

BATCH = 50
HIGH_BATCH = 500
# Log types that never change a page's text, so need no re-fetch.
QUIET_LOGS = frozenset(
    {
        "patrol",
        "newusers",
        "block",
        "rights",
        "thanks",
        "tag",
        "protect",
        "create",
        "avatar",
        "usermerge",
        "renameuser",
    }
)
PAGE_PROPS = {
    "action": "query",
    "prop": "revisions|links|categories",
    "rvprop": "ids|timestamp|content",
    "rvslots": "main",
    "pllimit": "max",
    "cllimit": "max",
}
# Without the wiki's link tables: what a text-only use needs (gaps then read links from
# the text, missing those templates add).
TEXT_PROPS = {k: v for k, v in PAGE_PROPS.items() if k not in ("pllimit", "cllimit")}
TEXT_PROPS["prop"] = "revisions"


@dataclass(frozen=True)
class UserInfo:
    """Who the session is: ``anon`` when not logged in."""

    name: str
    anon: bool
    rights: frozenset[str]


@dataclass(frozen=True)
class PageBatch:
    pages: list[Page]
    missing: list[str]
    """Titles the wiki says do not exist (asked for by title)."""
    following: dict[str, Any] | None
    """The generator's continuation after this batch; None at the end."""
    cut: bool
    """The result size cap cut the batch's content: ask for fewer pages."""


@dataclass(frozen=True)
class Cursor:
    """Where recent changes and logs stood: an incremental pull starts after it."""

    timestamp: str
    rcid: int
    logid: int


@dataclass(frozen=True)
class PageState:
    """A page as the wiki has it now, read for editing."""

    title: str
    exists: bool
    text: str = ""
    rev_id: int = 0
    timestamp: str = ""
    protected: bool = False
    user: str = ""
    """Who made its current revision (empty when hidden)."""


class EditStatus(StrEnum):
    SAVED = "saved"
    UNCHANGED = "unchanged"
    """The wiki kept the page as it was (a null edit)."""
    CONFLICT = "conflict"
    """Changed (or created) since the base revision: read it again."""
    PROTECTED = "protected"
    MISSING = "missing"
    """Deleted since the base revision."""


@dataclass(frozen=True)
class EditResult:
    status: EditStatus
    rev_id: int = 0
    """The revision the page is at after the edit."""
    merged: bool = False
    """The server saved our text on top of a revision newer than our base."""
    detail: str = ""


class Wiki:
    """The MediaWiki API of one wiki, through one transport (:class:`WikiClient`)."""

    def __init__(self, client: WikiClient) -> None:
        self.client = client

    @property
    def url(self) -> str:
        return self.client.api

    @property
    def requests(self) -> int:
        return self.client.requests

    # --- site and account ----------------------------------------------------------------
    def siteinfo(self) -> SiteInfo:
        """The wiki's identity, namespaces, redirect words, statistics and our rights."""
        result = self.client.call(
            {
                "action": "query",
                "meta": "siteinfo|userinfo",
                "siprop": "general|namespaces|namespacealiases|magicwords|statistics",
                "uiprop": "rights",
            }
        )
        query = result.get("query", {})
        if not isinstance(query, dict) or not isinstance(query.get("general"), dict):
            raise NotAnApi(
                _("{api} answered, but without site information; is it a MediaWiki API?").format(
                    api=self.url
                )
            )
        with _reading(self.url, _("site information (meta=siteinfo)")):
            return from_api(query)

    def userinfo(self) -> UserInfo:
        info = self.client.call({"action": "query", "meta": "userinfo", "uiprop": "rights"})
        with _reading(self.url, _("who we are (meta=userinfo)")):
            return _user(_query(info)["userinfo"])

    def edit_token(self) -> tuple[str, UserInfo]:
        """A CSRF token and who it is for. Raises LoginFailed when anonymous: movisync
        never edits without an account."""
        info = self.client.call(
            {"action": "query", "meta": "tokens|userinfo", "uiprop": "rights|groups"}
        )
        with _reading(self.url, _("an edit token (meta=tokens|userinfo)")):
            query = _query(info)
            user = _user(query["userinfo"])
            token = _text(_object(query["tokens"], "tokens")["csrftoken"], "csrftoken")
        if user.anon:
            raise LoginFailed(
                _(
                    "applying needs a login: set MOVISYNC_USERNAME and MOVISYNC_PASSWORD "
                    "(a bot password from Special:BotPasswords)"
                )
            )
        return token, user

    def login(self, username: str, password: str) -> None:
        """Log in with a bot password (``User@app``, Special:BotPasswords)."""
        self.client.login(username, password)

    def can_edit(self, title: str) -> bool:
        """Whether this account may edit ``title`` (``intestactions``: protection,
        namespace rights and blocks included)."""
        tested = self.client.call(
            {"action": "query", "titles": title, "prop": "info", "intestactions": "edit"}
        )
        pages = _pages_of(self.url, tested, "prop=info&intestactions")
        with _reading(self.url, _("the rights on a page (intestactions)")):
            return all(_object(p.get("actions", {}), "actions").get("edit") for p in pages)

    def deletion(self, title: str) -> tuple[str, str] | None:
        """Who deleted a page that does not exist, and when (its last deletion in the
        log), or None when it was never deleted."""
        result = self.client.call(
            {
                "action": "query",
                "list": "logevents",
                "letype": "delete",
                "letitle": title,
                "lelimit": 1,
                "leprop": "user|timestamp|type",
            }
        )
        with _reading(self.url, _("the deletion log (list=logevents)")):
            events = _array(
                _object(result.get("query", {}), "query").get("logevents", []), "logevents"
            )
            for event in events:
                if _object(event, "logevent").get("action", "delete") == "delete":
                    return str(event.get("user", "?")), str(event.get("timestamp", ""))
        return None

    # --- pulling -------------------------------------------------------------------------
    def page_batch(
        self,
        site: SiteInfo,
        *,
        namespace: int | None = None,
        limit: int = BATCH,
        cont: Mapping[str, Any] | None = None,
        titles: Sequence[str] = (),
        links: bool = True,
        prefix: str | None = None,
    ) -> PageBatch:
        """One batch of pages with their latest revision (and, with ``links``, the wiki's
        link and category tables): the next ``limit`` pages of ``namespace`` (whose title
        starts with ``prefix``, if given) after ``cont``, or the pages named by ``titles``."""
        params: dict[str, Any] = dict(PAGE_PROPS if links else TEXT_PROPS)
        if titles:
            params["titles"] = "|".join(titles)
        else:
            params.update(generator="allpages", gapnamespace=namespace, gaplimit=limit)
            if prefix:
                params["gapprefix"] = prefix
            params.update(cont or {})
        items: dict[int, dict[str, Any]] = {}
        missing: list[str] = []
        cut = False
        more: dict[str, Any] = {"continue": ""}
        what = _("a batch of pages (prop=revisions|links|categories)")
        while True:
            result = self.client.call({**params, **more})
            with _reading(self.url, what):
                for item in _pages_of(self.url, result, "prop=revisions"):
                    if item.get("missing") or item.get("invalid"):
                        missing.append(_text(item["title"], "title"))
                        continue
                    page_id = _number(item["pageid"], "pageid")
                    entry = items.setdefault(page_id, {"links": [], "categories": []})
                    entry.update({k: item[k] for k in ("ns", "title") if k in item})
                    if item.get("revisions"):
                        entry["revision"] = _array(item["revisions"], "revisions")[0]
                    entry["links"] += _titles(item.get("links", []), "links")
                    entry["categories"] += _titles(item.get("categories", []), "categories")
                following = result.get("continue")
                if following is not None:
                    following = _object(following, "continue")
            cut = cut or bool(following and "rvcontinue" in following)
            if not following or set(following) <= {"continue", "gapcontinue"}:
                break
            more = following
        with _reading(self.url, what):
            pages = [_page(site, page_id, entry) for page_id, entry in items.items()]
        return PageBatch(pages, missing, following, cut)

    def latest_cursor(self, site: SiteInfo) -> Cursor:
        """Where recent changes and logs stand now: the next incremental pull starts here."""
        result = self.client.call(
            {
                "action": "query",
                "list": "recentchanges|logevents",
                "rclimit": 1,
                "rcprop": "ids|timestamp",
                "lelimit": 1,
                "leprop": "ids|timestamp",
            }
        )
        with _reading(self.url, _("the latest changes (list=recentchanges|logevents)")):
            query = _query(result)
            rc = _array(query.get("recentchanges", []), "recentchanges")
            le = _array(query.get("logevents", []), "logevents")
            return Cursor(
                site.time,
                _number(rc[0]["rcid"], "rcid") if rc else 0,
                _number(le[0]["logid"], "logid") if le else 0,
            )

    def changes_since(
        self,
        cursor: Cursor,
        namespaces: Iterable[int],
        now: str,
        prefixes: Mapping[int, str] | None = None,
    ) -> tuple[list[str], Cursor]:
        """Titles (in ``namespaces``, or in a namespace of ``prefixes`` starting with its
        prefix) edited, created, moved, deleted, restored or imported after ``cursor``,
        and the cursor to start from next time."""
        with _reading(self.url, _("the changes (list=recentchanges|logevents)")):
            return self._changes_since(cursor, namespaces, now, prefixes or {})

    def _changes_since(
        self, cursor: Cursor, namespaces: Iterable[int], now: str, prefixes: Mapping[int, str]
    ) -> tuple[list[str], Cursor]:
        titles: set[str] = set()
        rcid, logid = cursor.rcid, cursor.logid
        whole = set(namespaces)

        def wanted(ns: object, title: str) -> bool:
            prefix = prefixes.get(ns) if isinstance(ns, int) else None
            return ns in whole or (
                prefix is not None and title.split(":", 1)[-1].startswith(prefix)
            )

        for part in self.client.query(
            {
                "list": "recentchanges|logevents",
                "rcstart": cursor.timestamp,
                "rcdir": "newer",
                "rcprop": "title|ids|timestamp",
                "rctype": "edit|new",
                "rclimit": "max",
                "lestart": cursor.timestamp,
                "ledir": "newer",
                "leprop": "ids|title|type|timestamp|details",
                "lelimit": "max",
            }
        ):
            for rc in _array(part.get("recentchanges", []), "recentchanges"):
                number = _number(rc["rcid"], "rcid")
                if number > cursor.rcid:
                    rcid = max(rcid, number)
                    if wanted(rc["ns"], title := _text(rc["title"], "title")):
                        titles.add(title)
            for event in _array(part.get("logevents", []), "logevents"):
                number = _number(event["logid"], "logid")
                if number <= cursor.logid:
                    continue
                logid = max(logid, number)
                if event["type"] in QUIET_LOGS or "title" not in event:
                    continue
                if wanted(event["ns"], title := _text(event["title"], "title")):
                    titles.add(title)
                target = _object(event.get("params", {}), "params")
                moved = target.get("target_title", "")
                if event["type"] == "move" and wanted(target.get("target_ns"), str(moved)):
                    titles.add(_text(moved, "target_title"))
        return sorted(titles), Cursor(max(cursor.timestamp, now), rcid, logid)

    # --- editing -------------------------------------------------------------------------
    def read_pages(self, titles: Sequence[str]) -> dict[str, PageState]:
        """Pages' current text, revision and edit protection, in batches of 50."""
        states: dict[str, PageState] = {}
        for start in range(0, len(titles), BATCH):
            result = self.client.call(
                {
                    "action": "query",
                    "titles": "|".join(titles[start : start + BATCH]),
                    "prop": "revisions|info",
                    "rvprop": "ids|timestamp|user|content",
                    "rvslots": "main",
                    "inprop": "protection",
                }
            )
            pages = _pages_of(self.url, result, "prop=revisions|info")
            with _reading(self.url, _("pages to edit (prop=revisions|info)")):
                normalized = _array(_query(result).get("normalized", []), "normalized")
                aliases = {n["to"]: n["from"] for n in normalized}
                for page in pages:
                    title = _text(page["title"], "title")
                    title = aliases.get(title, title)
                    if page.get("missing") or page.get("invalid"):
                        states[title] = PageState(title, exists=False)
                        continue
                    rev = _object(_array(page["revisions"], "revisions")[0], "revision")
                    protected = any(
                        p.get("type") == "edit" and p.get("level") not in ("", "autoconfirmed")
                        for p in _array(page.get("protection", []), "protection")
                    )
                    states[title] = PageState(
                        title,
                        exists=True,
                        text=_content(rev),
                        rev_id=_number(rev["revid"], "revid"),
                        timestamp=_text(rev["timestamp"], "timestamp"),
                        protected=protected,
                        user=str(rev.get("user", "")),
                    )
        return states

    def edit(
        self,
        *,
        title: str,
        text: str,
        summary: str,
        token: str,
        started: str,
        user: UserInfo,
        create: bool,
        base_rev: int = 0,
        base_timestamp: str = "",
    ) -> EditResult:
        """Save ``text`` as the page's new revision, or say why the wiki refused."""
        is_bot = "bot" in user.rights
        params: dict[str, str | int] = {
            "action": "edit",
            "title": title,
            "text": text,
            "summary": summary,
            "token": token,
            "starttimestamp": started,
            "md5": hashlib.md5(text.encode()).hexdigest(),
            "assert": "bot" if is_bot else "user",
            "watchlist": "nochange",
        }
        if is_bot:
            params["bot"] = "1"
        if create:
            params["createonly"] = "1"
        else:
            params.update(nocreate="1", baserevid=base_rev, basetimestamp=base_timestamp)
        try:
            result = self.client.call(params, post=True)
        except ApiError as exc:
            if exc.code in ("editconflict", "articleexists"):
                return EditResult(EditStatus.CONFLICT, detail=exc.info)
            if exc.code in ("protectedpage", "cascadeprotected", "protectednamespace"):
                return EditResult(EditStatus.PROTECTED, detail=exc.info)
            if exc.code == "missingtitle":
                return EditResult(EditStatus.MISSING, detail=_("the page was deleted since"))
            if exc.code in ("assertbotfailed", "assertuserfailed"):
                raise LoginFailed(
                    _("the wiki no longer sees us logged in ({code})").format(code=exc.code)
                ) from None
            raise
        with _reading(self.url, _("an edit (action=edit)")):
            answer = _object(result["edit"], "edit")
            if answer.get("result") != "Success":
                return EditResult(
                    EditStatus.CONFLICT,
                    detail=_("the wiki answered {answer}").format(answer=answer),
                )
            if "nochange" in answer:
                return EditResult(EditStatus.UNCHANGED, rev_id=base_rev)
            merged = not create and answer.get("oldrevid") != base_rev
            rev_id = _number(answer["newrevid"], "newrevid")
        return EditResult(EditStatus.SAVED, rev_id=rev_id, merged=merged)


def _user(info: Any) -> UserInfo:
    info = _object(info, "userinfo")
    rights = _array(info.get("rights", []), "rights")
    return UserInfo(
        name="" if info.get("anon") else str(info.get("name", "")),
        anon=bool(info.get("anon")),
        rights=frozenset(_text(r, "rights") for r in rights),
    )


# --- reading answers of an unknown shape ---------------------------------------------------
class _Shape(Exception):
    """A value of the answer is not what the module documents."""


@contextmanager
def _reading(url: str, what: str) -> Iterator[None]:
    """Reads an answer: any wrong shape met inside becomes one NotAnApi naming ``what``."""
    try:
        yield
    except (_Shape, KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        raise NotAnApi(_unknown(url, what, _detail(exc))) from None


def _unknown(url: str, what: str, detail: str) -> str:
    return _(
        "the wiki at {api} answered {what} in an unknown shape ({detail}); check that the "
        "URL is a MediaWiki API (1.35 or later, --api or MOVISYNC_API), or try again later"
    ).format(api=url, what=what, detail=detail)


def _detail(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return _("no {key!r}").format(key=exc.args[0]) if exc.args else _("a value is missing")
    if isinstance(exc, IndexError):
        return _("an empty list")
    text = str(exc)
    return text if len(text) <= 80 else text[:79] + "…"


_KINDS = {dict: N_("an object"), list: N_("a list"), str: N_("text"), bool: N_("a boolean")}


def _kind(value: object) -> str:
    kind = _KINDS.get(type(value))
    return _(kind) if kind else type(value).__name__


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Shape(_("{name} is {kind}, not an object").format(name=name, kind=_kind(value)))
    return value


def _array(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Shape(_("{name} is {kind}, not a list").format(name=name, kind=_kind(value)))
    return value


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise _Shape(_("{name} is {kind}, not text").format(name=name, kind=_kind(value)))
    return value


def _number(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Shape(_("{name} is {kind}, not a number").format(name=name, kind=_kind(value)))
    return value


def _titles(items: Any, name: str) -> list[str]:
    return [_text(_object(i, name)["title"], "title") for i in _array(items, name)]


def _query(result: Mapping[str, Any]) -> dict[str, Any]:
    return _object(result.get("query", {}), "query")


def _content(rev: Mapping[str, Any]) -> str:
    slots = _object(rev.get("slots", {}), "slots")
    main = _object(slots.get("main", {}), "slots.main")
    return _text(main.get("content", ""), "content")


def _pages_of(url: str, result: Mapping[str, Any], module: str) -> list[dict[str, Any]]:
    query = result.get("query", {})
    if not isinstance(query, dict):
        raise NotAnApi(
            _unknown(
                url,
                _("a query ({module})").format(module=module),
                _("query is {kind}").format(kind=_kind(query)),
            )
        )
    pages = query.get("pages", [])
    if not isinstance(pages, list) or not all(isinstance(p, dict) for p in pages):
        raise NotAnApi(
            _(
                "the wiki at {api} answered a query ({module}) whose pages have an unknown "
                "shape; check that the URL is a MediaWiki API (1.35 or later, --api or "
                "MOVISYNC_API), or try again later"
            ).format(api=url, module=module)
        )
    return pages


def _page(site: SiteInfo, page_id: int, entry: dict[str, Any]) -> Page:
    if "revision" not in entry:
        raise _Shape(_("page {title!r} has no revisions").format(title=entry.get("title", page_id)))
    rev = _object(entry["revision"], "revision")
    text = _content(rev)
    return Page(
        page_id=page_id,
        ns=_number(entry["ns"], "ns"),
        title=_text(entry["title"], "title"),
        rev_id=_number(rev["revid"], "revid"),
        timestamp=_text(rev["timestamp"], "timestamp"),
        text=text,
        redirect=site.redirect_target(text),
        links=tuple(sorted(set(entry["links"]))),
        categories=tuple(sorted(set(entry["categories"]))),
    )
