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
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..errors import ApiError, LoginFailed, NotAnApi
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
        if not isinstance(query, dict) or "general" not in query:
            raise NotAnApi(
                f"{self.url} answered, but without site information; is it a MediaWiki API?"
            )
        return from_api(query)

    def userinfo(self) -> UserInfo:
        info = self.client.call({"action": "query", "meta": "userinfo", "uiprop": "rights"})
        return _user(info["query"]["userinfo"])

    def edit_token(self) -> tuple[str, UserInfo]:
        """A CSRF token and who it is for. Raises LoginFailed when anonymous: movisync
        never edits without an account."""
        info = self.client.call(
            {"action": "query", "meta": "tokens|userinfo", "uiprop": "rights|groups"}
        )
        user = _user(info["query"]["userinfo"])
        if user.anon:
            raise LoginFailed(
                "applying needs a login: set MOVISYNC_USERNAME and MOVISYNC_PASSWORD "
                "(a bot password from Special:BotPasswords)"
            )
        return str(info["query"]["tokens"]["csrftoken"]), user

    def login(self, username: str, password: str) -> None:
        """Log in with a bot password (``User@app``, Special:BotPasswords)."""
        self.client.login(username, password)

    def can_edit(self, title: str) -> bool:
        """Whether this account may edit ``title`` (``intestactions``: protection,
        namespace rights and blocks included)."""
        tested = self.client.call(
            {"action": "query", "titles": title, "prop": "info", "intestactions": "edit"}
        )
        return all(p.get("actions", {}).get("edit") for p in tested["query"]["pages"])

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
    ) -> PageBatch:
        """One batch of pages with their latest revision (and, with ``links``, the wiki's
        link and category tables): the next ``limit`` pages of ``namespace`` after
        ``cont``, or the pages named by ``titles``."""
        params: dict[str, Any] = dict(PAGE_PROPS if links else TEXT_PROPS)
        if titles:
            params["titles"] = "|".join(titles)
        else:
            params.update(generator="allpages", gapnamespace=namespace, gaplimit=limit)
            params.update(cont or {})
        items: dict[int, dict[str, Any]] = {}
        missing: list[str] = []
        cut = False
        more: dict[str, Any] = {"continue": ""}
        while True:
            result = self.client.call({**params, **more})
            for item in _pages_of(self.url, result):
                if item.get("missing") or item.get("invalid"):
                    missing.append(item["title"])
                    continue
                entry = items.setdefault(item["pageid"], {"links": [], "categories": []})
                entry.update({k: item[k] for k in ("ns", "title") if k in item})
                if item.get("revisions"):
                    entry["revision"] = item["revisions"][0]
                entry["links"] += [link["title"] for link in item.get("links", [])]
                entry["categories"] += [c["title"] for c in item.get("categories", [])]
            following = result.get("continue")
            cut = cut or bool(following and "rvcontinue" in following)
            if not following or set(following) <= {"continue", "gapcontinue"}:
                break
            more = following
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
        )["query"]
        rc, le = result.get("recentchanges", []), result.get("logevents", [])
        return Cursor(site.time, rc[0]["rcid"] if rc else 0, le[0]["logid"] if le else 0)

    def changes_since(
        self, cursor: Cursor, namespaces: Iterable[int], now: str
    ) -> tuple[list[str], Cursor]:
        """Titles (in ``namespaces``) edited, created, moved, deleted, restored or
        imported after ``cursor``, and the cursor to start from next time."""
        titles: set[str] = set()
        rcid, logid = cursor.rcid, cursor.logid
        wanted = set(namespaces)
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
            for rc in part.get("recentchanges", []):
                if rc["rcid"] > cursor.rcid:
                    rcid = max(rcid, rc["rcid"])
                    if rc["ns"] in wanted:
                        titles.add(rc["title"])
            for event in part.get("logevents", []):
                if event["logid"] <= cursor.logid:
                    continue
                logid = max(logid, event["logid"])
                if event["type"] in QUIET_LOGS or "title" not in event:
                    continue
                if event["ns"] in wanted:
                    titles.add(event["title"])
                target = event.get("params", {})
                if event["type"] == "move" and target.get("target_ns") in wanted:
                    titles.add(target["target_title"])
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
                    "rvprop": "ids|timestamp|content",
                    "rvslots": "main",
                    "inprop": "protection",
                }
            )
            query = result.get("query", {})
            aliases = {n["to"]: n["from"] for n in query.get("normalized", [])}
            for page in _pages_of(self.url, result):
                title = aliases.get(page["title"], page["title"])
                if page.get("missing") or page.get("invalid"):
                    states[title] = PageState(title, exists=False)
                    continue
                rev = page["revisions"][0]
                protected = any(
                    p.get("type") == "edit" and p.get("level") not in ("", "autoconfirmed")
                    for p in page.get("protection", [])
                )
                states[title] = PageState(
                    title,
                    exists=True,
                    text=rev["slots"]["main"].get("content", ""),
                    rev_id=rev["revid"],
                    timestamp=rev["timestamp"],
                    protected=protected,
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
            answer = self.client.call(params, post=True)["edit"]
        except ApiError as exc:
            if exc.code in ("editconflict", "articleexists"):
                return EditResult(EditStatus.CONFLICT, detail=exc.info)
            if exc.code in ("protectedpage", "cascadeprotected", "protectednamespace"):
                return EditResult(EditStatus.PROTECTED, detail=exc.info)
            if exc.code == "missingtitle":
                return EditResult(EditStatus.MISSING, detail="the page was deleted since")
            if exc.code in ("assertbotfailed", "assertuserfailed"):
                raise LoginFailed(f"the wiki no longer sees us logged in ({exc.code})") from None
            raise
        if answer.get("result") != "Success":
            return EditResult(EditStatus.CONFLICT, detail=f"the wiki answered {answer}")
        if "nochange" in answer:
            return EditResult(EditStatus.UNCHANGED, rev_id=base_rev)
        merged = not create and answer.get("oldrevid") != base_rev
        return EditResult(EditStatus.SAVED, rev_id=int(answer["newrevid"]), merged=merged)


def _user(info: Mapping[str, Any]) -> UserInfo:
    return UserInfo(
        name="" if info.get("anon") else str(info.get("name", "")),
        anon=bool(info.get("anon")),
        rights=frozenset(info.get("rights", [])),
    )


def _pages_of(url: str, result: Mapping[str, Any]) -> list[dict[str, Any]]:
    pages = result.get("query", {}).get("pages", [])
    if not isinstance(pages, list) or not all(isinstance(p, dict) for p in pages):
        raise NotAnApi(f"{url} answered a query with pages of an unknown shape")
    return pages


def _page(site: SiteInfo, page_id: int, entry: dict[str, Any]) -> Page:
    rev = entry["revision"]
    text = rev.get("slots", {}).get("main", {}).get("content", "")
    return Page(
        page_id=page_id,
        ns=entry["ns"],
        title=entry["title"],
        rev_id=rev["revid"],
        timestamp=rev["timestamp"],
        text=text,
        redirect=site.redirect_target(text),
        links=tuple(sorted(set(entry["links"]))),
        categories=tuple(sorted(set(entry["categories"]))),
    )
