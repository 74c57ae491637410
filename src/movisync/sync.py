"""Pull a wiki into the store: full, incremental, from a dump, and resuming.

MediaWiki rules this relies on:
- ``generator=allpages`` with ``prop=revisions`` gives the latest revision of up to 50
  pages per request (500 with the ``apihighlimits`` right); when the result would pass
  the 8 MiB cap ($wgAPIMaxResultSize) the API returns part of the batch and an
  ``rvcontinue``: the next batches are then made smaller.
- ``list=recentchanges`` lists edits and page creations for $wgRCMaxAge (90 days by
  default); ``list=logevents`` lists moves, deletions, restores and imports and is never
  pruned. Both are asked for in the same request.
- A page is a redirect when its wikitext starts with a ``redirect`` magic word and a
  link (what MediaWiki itself checks): read from the text, so ``prop=info`` (a fifth of
  the server's time per batch) is not asked for.
- A moved page keeps its page id; the old title becomes a redirect (a new page) or
  disappears. A deleted then restored page may come back under a new id.

Every batch is written in one transaction together with the state needed to resume, so
an interrupted pull (Ctrl-C, kill -9) is resumed by the next one and ends with the same
store as an uninterrupted pull.
"""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

import mwxml

from .client import WikiClient
from .errors import DumpError
from .site import CANONICAL, FILE, MAIN, MEDIAWIKI, Namespace, SiteInfo
from .store import Changes, Page, Store

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


@dataclass(frozen=True)
class PullSummary:
    """What a pull did. ``new``, ``changed``, ``deleted``, ``moved`` count pages; a
    resumed pull counts the whole pull, ``requests`` and ``seconds`` this run only."""

    kind: str
    new: int
    changed: int
    deleted: int
    moved: int
    requests: int
    seconds: float
    resumed: bool = False
    note: str = ""


@dataclass(frozen=True)
class Progress:
    """Reported after each stored batch."""

    kind: str
    pages: int
    total: int | None
    requests: int


ProgressCallback = Callable[[Progress], None]
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
TEXT_PROPS = {**PAGE_PROPS, "prop": "revisions"}
del TEXT_PROPS["pllimit"], TEXT_PROPS["cllimit"]


@dataclass(frozen=True)
class _Batch:
    pages: list[Page]
    missing: list[str]
    following: dict[str, Any] | None
    """The generator's continuation after this batch; None at the end."""
    cut: bool
    """The result size cap cut the batch's content."""


def pull_namespaces(site: SiteInfo, chosen: Iterable[int] | None) -> tuple[int, ...]:
    """The namespaces to pull: as chosen, or every subject namespace (not talk pages)
    but files and interface messages: content, templates (to resolve types), categories,
    and the user, project and portal pages whose links decide what is orphaned."""
    if chosen is not None:
        return tuple(sorted(set(chosen)))
    return tuple(
        sorted(
            {*site.content_namespaces()}
            | {ns.id for ns in site.namespaces if ns.id >= 0 and ns.id % 2 == 0} - {FILE, MEDIAWIKI}
        )
    )


def pull(
    store: Store,
    client: WikiClient,
    *,
    full: bool = False,
    namespaces: Iterable[int] | None = None,
    rc_max_age_days: int = 90,
    batch: int | None = None,
    links: bool = True,
    progress: ProgressCallback | None = None,
) -> PullSummary:
    """Bring the store up to date with the wiki behind ``client``.

    Resumes an interrupted pull first. Otherwise incremental when the store has been
    fully pulled once, full when it has not or when ``full`` is set; an incremental pull
    whose last pull is older than the wiki's recent changes falls back to a full pull and
    says so in ``note``. ``links=False`` leaves out the wiki's link and category tables
    (faster; gaps then read links from the text, missing those that templates add).
    """
    started, first_request = time.monotonic(), client.requests
    site = client.siteinfo()
    store.bind(api=client.api, wiki_id=site.wiki_id)
    store.save_site(site)
    chosen = pull_namespaces(site, namespaces)
    run = _Run(store, client, site, chosen, progress, batch, links)
    note = ""
    if store.state("full") is not None:
        changes, resumed, kind = run.full(), True, "full"
    elif store.state("incremental") is not None:
        changes, resumed, kind = run.incremental(), True, "incremental"
    elif full or store.state("cursor") is None:
        changes, resumed, kind = run.full(), False, "full"
    else:
        cursor = store.state("cursor")
        if _age_days(cursor["timestamp"], site.time) > rc_max_age_days:
            note = (
                f"the last pull ({cursor['timestamp']}) is older than the wiki's recent "
                f"changes ({rc_max_age_days} days): did a full pull"
            )
            changes, resumed, kind = run.full(), False, "full"
        else:
            changes, resumed, kind = run.incremental(), False, "incremental"
    return _finish(
        store,
        PullSummary(
            kind=kind,
            **asdict(changes),
            requests=client.requests - first_request,
            seconds=round(time.monotonic() - started, 3),
            resumed=resumed,
            note=note,
        ),
    )


def _finish(store: Store, summary: PullSummary) -> PullSummary:
    """Record the summary as the store's last pull."""
    finished = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with store.transaction():
        store.set_state("last_pull", {**asdict(summary), "finished": finished})
    return summary


@dataclass(frozen=True)
class StoreStatus:
    """What a store holds. ``pages`` maps namespace ids (as text, for JSON) to counts."""

    store: str
    api: str | None
    wiki_id: str | None
    sitename: str
    pages: dict[str, int]
    namespace_names: dict[str, str]
    last_pull: dict[str, Any] | None
    pending: str | None


def store_status(store: Store) -> StoreStatus:
    """Describe the store: its wiki, its pages per namespace, its last and pending pull."""
    site = store.site()
    pending = next((k for k in ("full", "incremental") if store.state(k) is not None), None)
    return StoreStatus(
        store=str(store.path),
        api=store.meta("api"),
        wiki_id=store.meta("wiki_id"),
        sitename=site.sitename if site else "",
        pages={str(ns): n for ns, n in store.counts().items()},
        namespace_names={str(ns.id): ns.name for ns in site.namespaces} if site else {},
        last_pull=store.state("last_pull"),
        pending=pending,
    )


class _Run:
    """One pull's working parts."""

    def __init__(
        self,
        store: Store,
        client: WikiClient,
        site: SiteInfo,
        namespaces: tuple[int, ...],
        progress: ProgressCallback | None,
        batch: int | None,
        links: bool = True,
    ) -> None:
        self.store, self.client, self.site = store, client, site
        self.namespaces = namespaces
        self.progress = progress
        self.max_batch = batch or (HIGH_BATCH if "apihighlimits" in site.rights else BATCH)
        self.props = PAGE_PROPS if links else TEXT_PROPS
        self.stored = 0

    def report(self, kind: str, total: int | None) -> None:
        if self.progress:
            self.progress(Progress(kind, self.stored, total, self.client.requests))

    def fetch(self, params: dict[str, Any]) -> _Batch:
        """One batch of pages with their content, links and categories.

        MediaWiki rule: with several ``prop`` modules, a batch's links and categories can
        span several responses (``plcontinue``, ``clcontinue``, or ``rvcontinue`` when the
        size cap cut the content); the batch is complete when only the generator's own
        continuation (or none) is left.
        """
        items: dict[int, dict[str, Any]] = {}
        missing: list[str] = []
        cut = False
        cont: dict[str, Any] = {"continue": ""}
        while True:
            result = self.client.call({**params, **self.props, **cont})
            for item in result.get("query", {}).get("pages", []):
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
            cont = following
        pages = [self.page_of(page_id, entry) for page_id, entry in items.items()]
        return _Batch(pages, missing, following, cut)

    def page_of(self, page_id: int, entry: dict[str, Any]) -> Page:
        rev = entry["revision"]
        text = rev.get("slots", {}).get("main", {}).get("content", "")
        return Page(
            page_id=page_id,
            ns=entry["ns"],
            title=entry["title"],
            rev_id=rev["revid"],
            timestamp=rev["timestamp"],
            text=text,
            redirect=self.site.redirect_target(text),
            links=tuple(sorted(set(entry["links"]))),
            categories=tuple(sorted(set(entry["categories"]))),
        )

    # --- full ------------------------------------------------------------------------
    def latest_cursor(self) -> dict[str, Any]:
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
        return {
            "timestamp": self.site.time,
            "rcid": rc[0]["rcid"] if rc else 0,
            "logid": le[0]["logid"] if le else 0,
        }

    def full(self) -> Changes:
        state = self.store.state("full")
        if state is None:
            state = {
                "gen": (self.store.state("gen") or 0) + 1,
                "namespaces": self.namespaces,
                "index": 0,
                "continue": None,
                "limit": self.max_batch,
                "cursor": self.latest_cursor(),
                "changes": asdict(Changes()),
            }
            with self.store.transaction():
                self.store.set_state("full", state)
        namespaces: list[int] = state["namespaces"]
        self.stored = 0
        for position in self.prefetch(self.positions(state)):
            batch = position.pop("batch")
            with self.store.transaction():
                changes = self.store.apply(batch.pages, seen=state["gen"])
                state.update(position, changes=asdict(Changes(**state["changes"]) + changes))
                self.store.set_state("full", state)
            self.stored += len(batch.pages)
            self.report("full", self.site.page_count or None)
        with self.store.transaction():
            deleted = self.store.sweep(namespaces=namespaces, seen_before=state["gen"])
            self.store.set_state("full", None)
            self.store.set_state("incremental", None)
            self.store.set_state("gen", state["gen"])
            self.store.set_state("cursor", state["cursor"])
            self.store.set_state("namespaces", namespaces)
        return Changes(**state["changes"]) + Changes(deleted=deleted)

    def positions(self, state: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The full pull's batches in order, each with the position to resume after it."""
        index, cont, limit = state["index"], state["continue"], state["limit"]
        namespaces = state["namespaces"]
        while index < len(namespaces):
            batch = self.fetch(
                {
                    "generator": "allpages",
                    "gapnamespace": namespaces[index],
                    "gaplimit": limit,
                    **(cont or {}),
                }
            )
            if batch.cut:  # the result size cap cut this batch: ask for fewer pages
                limit = max(1, limit // 2)
            elif limit < self.max_batch:
                limit = min(self.max_batch, limit * 2)
            cont = batch.following
            if cont is None:
                index += 1
            yield {"batch": batch, "index": index, "continue": cont, "limit": limit}

    @staticmethod
    def prefetch(items: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Run ``items`` one step ahead in a thread, so that the wiki prepares the next
        batch while this one is written. Requests stay one at a time, as the API
        etiquette asks; an error in the thread is raised here."""
        ahead: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
        stop = threading.Event()

        def produce() -> None:
            try:
                for item in items:
                    while not stop.is_set():
                        try:
                            ahead.put(("item", item), timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
                ahead.put(("end", None))
            except BaseException as exc:  # handed to the consumer, which raises it
                ahead.put(("error", exc))

        thread = threading.Thread(target=produce, name="movisync-prefetch", daemon=True)
        thread.start()
        try:
            while True:
                kind, value = ahead.get()
                if kind == "end":
                    return
                if kind == "error":
                    raise value
                yield value
        finally:
            stop.set()

    # --- incremental ---------------------------------------------------------------------
    def changed_titles(self, cursor: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
        """Titles (in the pulled namespaces) touched since ``cursor``, and the new cursor."""
        titles: set[str] = set()
        rcid, logid = cursor["rcid"], cursor["logid"]
        wanted = set(self.namespaces)
        for part in self.client.query(
            {
                "list": "recentchanges|logevents",
                "rcstart": cursor["timestamp"],
                "rcdir": "newer",
                "rcprop": "title|ids|timestamp",
                "rctype": "edit|new",
                "rclimit": "max",
                "lestart": cursor["timestamp"],
                "ledir": "newer",
                "leprop": "ids|title|type|timestamp|details",
                "lelimit": "max",
            }
        ):
            for rc in part.get("recentchanges", []):
                if rc["rcid"] > cursor["rcid"]:
                    rcid = max(rcid, rc["rcid"])
                    if rc["ns"] in wanted:
                        titles.add(rc["title"])
            for event in part.get("logevents", []):
                if event["logid"] <= cursor["logid"]:
                    continue
                logid = max(logid, event["logid"])
                if event["type"] in QUIET_LOGS or "title" not in event:
                    continue
                if event["ns"] in wanted:
                    titles.add(event["title"])
                target = event.get("params", {})
                if event["type"] == "move" and target.get("target_ns") in wanted:
                    titles.add(target["target_title"])
        timestamp = max(cursor["timestamp"], self.site.time)
        return sorted(titles), {"timestamp": timestamp, "rcid": rcid, "logid": logid}

    def incremental(self) -> Changes:
        state = self.store.state("incremental")
        if state is None:
            titles, cursor = self.changed_titles(self.store.state("cursor"))
            state = {"titles": titles, "cursor": cursor, "changes": asdict(Changes())}
            with self.store.transaction():
                if titles:
                    self.store.set_state("incremental", state)
                else:
                    self.store.set_state("cursor", cursor)
            if not titles:
                return Changes()
        gen = self.store.state("gen") or 0
        self.stored = 0
        while state["titles"]:
            titles = state["titles"][: self.max_batch]
            batch = self.fetch({"titles": "|".join(titles)})
            if batch.cut:
                self.max_batch = max(1, self.max_batch // 2)
            state["titles"] = state["titles"][len(titles) :]
            with self.store.transaction():
                changes = self.store.apply(batch.pages, missing=batch.missing, seen=gen)
                state["changes"] = asdict(Changes(**state["changes"]) + changes)
                self.store.set_state("incremental", state if state["titles"] else None)
                if not state["titles"]:
                    self.store.set_state("cursor", state["cursor"])
            self.stored += len(batch.pages)
            self.report("incremental", None)
        return Changes(**state["changes"])


def _age_days(then: str, now: str) -> float:
    def parse(stamp: str) -> dt.datetime:
        return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))

    if not then or not now:
        return 0.0
    return (parse(now) - parse(then)).total_seconds() / 86400


# --- dumps ---------------------------------------------------------------------------------
def _open_dump(path: Path) -> IO[bytes]:
    try:
        if path.suffix == ".gz":
            return gzip.open(path, "rb")  # type: ignore[return-value]
        if path.suffix == ".bz2":
            return bz2.open(path, "rb")
        return path.open("rb")
    except OSError as exc:
        raise DumpError(f"cannot open the dump {path}: {exc.strerror or exc}") from None


def _dump_site(info: Any) -> SiteInfo:
    namespaces = tuple(
        Namespace(
            id=ns.id,
            name=ns.name or "",
            canonical=CANONICAL.get(ns.id, ""),
            case=ns.case or "first-letter",
            content=ns.id == MAIN,
        )
        for ns in (info.namespaces or [])
    )
    return SiteInfo(
        sitename=info.name or "",
        wiki_id=info.dbname or "",
        generator=info.generator or "",
        server=info.base or "",
        namespaces=namespaces,
        redirect_words=("#REDIRECT", "#REDIRECTION"),
    )


def load_dump(
    store: Store,
    path: Path,
    *,
    namespaces: Iterable[int] | None = None,
    progress: ProgressCallback | None = None,
) -> PullSummary:
    """Load a Special:Export or database dump (``.xml``, ``.xml.gz``, ``.xml.bz2``).

    The latest revision of each page of the pulled namespaces is stored; pages absent
    from the dump are kept (an export is often partial). A store that has never been
    pulled gets a cursor at the dump's newest revision, so that a later API pull of the
    same wiki is incremental.
    """
    started = time.monotonic()
    changes, stored, newest = Changes(), 0, ""
    with _open_dump(path) as handle:
        try:
            dump = mwxml.Dump.from_file(handle)
            site = _dump_site(dump.site_info)
            store.bind(api=None, wiki_id=site.wiki_id)
            if store.site() is None:
                store.save_site(site)
            known = store.site() or site
            chosen = set(pull_namespaces(known, namespaces))
            batch: list[Page] = []
            for item in dump:
                if item.namespace not in chosen:
                    continue
                revisions = list(item)
                if not revisions:
                    continue
                last = revisions[-1]
                text = last.text or ""
                stamp = last.timestamp.long_format() if last.timestamp else ""
                newest = max(newest, stamp)
                batch.append(
                    Page(
                        page_id=item.id,
                        ns=item.namespace,
                        title=item.title,
                        rev_id=last.id,
                        timestamp=stamp,
                        text=text,
                        redirect=known.normalize(item.redirect) if item.redirect else None,
                    )
                )
                if len(batch) >= HIGH_BATCH:
                    changes += _store_batch(store, batch)
                    stored += len(batch)
                    batch = []
                    if progress:
                        progress(Progress("dump", stored, None, 0))
            changes += _store_batch(store, batch)
        except (
            ParseError,
            mwxml.errors.MalformedXML,
            ValueError,
            KeyError,
            EOFError,
            OSError,
        ) as exc:
            raise DumpError(
                f"{path} is not a readable MediaWiki XML dump ({exc}); pages stored before "
                "this point are kept"
            ) from None
    with store.transaction():
        store.set_state("namespaces", sorted(set(store.state("namespaces") or ()) | chosen))
        if store.state("cursor") is None and newest:
            store.set_state("cursor", {"timestamp": newest, "rcid": 0, "logid": 0})
    return _finish(
        store,
        PullSummary(
            kind="dump", **asdict(changes), requests=0, seconds=round(time.monotonic() - started, 3)
        ),
    )


def _store_batch(store: Store, batch: list[Page]) -> Changes:
    with store.transaction():
        return store.apply(batch, seen=store.state("gen") or 0)
