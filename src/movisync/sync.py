"""Pull a wiki into the store: full, incremental, and resuming.

MediaWiki rules this relies on (the API calls themselves are in :mod:`movisync.wiki.api`):
- a page is a redirect when its wikitext starts with a ``redirect`` magic word and a
  link (what MediaWiki itself checks): read from the text, so ``prop=info`` (a fifth of
  the server's time per batch) is not asked for;
- a moved page keeps its page id; the old title becomes a redirect (a new page) or
  disappears. A deleted then restored page may come back under a new id;
- recent changes are kept for $wgRCMaxAge only: a store older than that needs a full pull.

Every batch is written in one transaction together with the state needed to resume, so
an interrupted pull (Ctrl-C, kill -9) is resumed by the next one and ends with the same
store as an uninterrupted pull.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from .errors import ConfigError
from .i18n import _
from .site import FILE, MEDIAWIKI, SiteInfo
from .store import Changes, Store
from .wiki.api import BATCH, HIGH_BATCH, Cursor, PageBatch, Wiki


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


def pull_namespaces(site: SiteInfo, chosen: Iterable[int] | None) -> tuple[int, ...]:
    """The namespaces to pull: as chosen, or every subject namespace (not talk pages)
    but files and interface messages: content, templates (to resolve types), categories,
    and the user, project and portal pages whose links decide what is orphaned. A chosen
    namespace the wiki does not have is a ConfigError."""
    if chosen is not None:
        wanted = tuple(sorted(set(chosen)))
        known = {ns.id: ns.name or "(main)" for ns in site.namespaces if ns.id >= 0}
        unknown = [n for n in wanted if known and n not in known]
        if unknown:
            listed = ", ".join(f"{i} {name}" for i, name in sorted(known.items()))
            raise ConfigError(
                _(
                    "namespace(s) {unknown} do not exist on this wiki; its namespaces are: {known}"
                ).format(unknown=", ".join(map(str, unknown)), known=listed)
            )
        return wanted
    return tuple(
        sorted(
            {*site.content_namespaces()}
            | {ns.id for ns in site.namespaces if ns.id >= 0 and ns.id % 2 == 0} - {FILE, MEDIAWIKI}
        )
    )


SMW_PAGES = (MEDIAWIKI, "Smw allows")
"""The interface messages Semantic MediaWiki keeps allowed-value lists and patterns in:
the only pages of the MediaWiki namespace a pull needs."""


def pull_prefixes(site: SiteInfo, chosen: Iterable[int] | None) -> tuple[tuple[int, str], ...]:
    """Parts of namespaces to pull: (namespace, title prefix) — Semantic MediaWiki's
    lists, when the wiki has its property namespace and the namespaces were not chosen."""
    has_smw = any(site.role(ns.id) == "property" for ns in site.namespaces)
    return (SMW_PAGES,) if chosen is None and has_smw else ()


def pull(
    store: Store,
    wiki: Wiki,
    *,
    full: bool = False,
    namespaces: Iterable[int] | None = None,
    rc_max_age_days: int = 90,
    batch: int | None = None,
    links: bool = True,
    progress: ProgressCallback | None = None,
) -> PullSummary:
    """Bring the store up to date with ``wiki``.

    Resumes an interrupted pull first. Otherwise incremental when the store has been
    fully pulled once, full when it has not or when ``full`` is set; an incremental pull
    whose last pull is older than the wiki's recent changes falls back to a full pull and
    says so in ``note``. ``links=False`` leaves out the wiki's link and category tables
    (faster; gaps then read links from the text).
    """
    started, first_request = time.monotonic(), wiki.requests
    site = wiki.siteinfo()
    chosen = pull_namespaces(site, namespaces)
    prefixes = pull_prefixes(site, namespaces)
    store.bind(api=wiki.url, wiki_id=site.wiki_id)
    store.save_site(site)
    run = _Run(store, wiki, site, chosen, prefixes, progress, batch, links)
    note = ""
    pending = store.state("full")
    if pending is not None and tuple(pending["namespaces"]) != chosen:
        with store.transaction():  # an interrupted pull of other namespaces: start afresh
            store.set_state("full", None)
        full = True
        note = _(
            "the namespaces to pull changed since the pull was interrupted: started a full pull "
            "again"
        )
    elif pending is None and (known := store.state("namespaces")) and not set(chosen) <= set(known):
        full, note = True, _("namespaces were added to the pull: did a full pull")
    if store.state("full") is not None:
        changes, resumed, kind = run.full(), True, "full"
    elif store.state("incremental") is not None:
        changes, resumed, kind = run.incremental(), True, "incremental"
    elif full or store.state("cursor") is None:
        changes, resumed, kind = run.full(), False, "full"
    else:
        cursor = store.state("cursor")
        if _age_days(cursor["timestamp"], site.time) > rc_max_age_days:
            note = _(
                "the last pull ({when}) is older than the wiki's recent changes ({days} "
                "days): did a full pull"
            ).format(when=cursor["timestamp"], days=rc_max_age_days)
            changes, resumed, kind = run.full(), False, "full"
        else:
            changes, resumed, kind = run.incremental(), False, "incremental"
    return finish(
        store,
        PullSummary(
            kind=kind,
            **asdict(changes),
            requests=wiki.requests - first_request,
            seconds=round(time.monotonic() - started, 3),
            resumed=resumed,
            note=note,
        ),
    )


def finish(store: Store, summary: PullSummary) -> PullSummary:
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
        wiki: Wiki,
        site: SiteInfo,
        namespaces: tuple[int, ...],
        prefixes: tuple[tuple[int, str], ...],
        progress: ProgressCallback | None,
        batch: int | None,
        links: bool = True,
    ) -> None:
        self.store, self.wiki, self.site = store, wiki, site
        self.namespaces = namespaces
        self.prefixes = prefixes
        self.progress = progress
        self.max_batch = batch or (HIGH_BATCH if "apihighlimits" in site.rights else BATCH)
        self.links = links
        self.stored = 0

    def report(self, kind: str, total: int | None) -> None:
        if self.progress:
            self.progress(Progress(kind, self.stored, total, self.wiki.requests))

    # --- full ------------------------------------------------------------------------
    def full(self) -> Changes:
        state = self.store.state("full")
        if state is None:
            state = {
                "gen": (self.store.state("gen") or 0) + 1,
                "namespaces": self.namespaces,
                "prefixes": [list(p) for p in self.prefixes],
                "index": 0,
                "continue": None,
                "limit": self.max_batch,
                "cursor": asdict(self.wiki.latest_cursor(self.site)),
                "changes": asdict(Changes()),
            }
            with self.store.transaction():
                self.store.set_state("full", state)
        namespaces: list[int] = state["namespaces"]
        prefixes = [tuple(p) for p in state.get("prefixes", [])]
        self.stored = 0
        for position in self.prefetch(self.positions(state)):
            batch: PageBatch = position.pop("batch")
            with self.store.transaction():
                changes = self.store.apply(batch.pages, seen=state["gen"])
                state.update(position, changes=asdict(Changes(**state["changes"]) + changes))
                self.store.set_state("full", state)
            self.stored += len(batch.pages)
            self.report("full", self.site.page_count or None)
        with self.store.transaction():
            deleted = self.store.sweep(
                namespaces=namespaces, prefixes=prefixes, seen_before=state["gen"]
            )
            self.store.set_state("full", None)
            self.store.set_state("incremental", None)
            self.store.set_state("gen", state["gen"])
            self.store.set_state("cursor", state["cursor"])
            self.store.set_state("namespaces", namespaces)
            self.store.set_state("prefixes", [list(p) for p in prefixes])
        return Changes(**state["changes"]) + Changes(deleted=deleted)

    def positions(self, state: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The full pull's batches in order, each with the position to resume after it."""
        index, cont, limit = state["index"], state["continue"], state["limit"]
        units = [(ns, None) for ns in state["namespaces"]]
        units += [(ns, prefix) for ns, prefix in state.get("prefixes", [])]
        while index < len(units):
            namespace, prefix = units[index]
            batch = self.wiki.page_batch(
                self.site,
                namespace=namespace,
                limit=limit,
                cont=cont,
                links=self.links,
                prefix=prefix,
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
    def incremental(self) -> Changes:
        state = self.store.state("incremental")
        if state is None:
            titles, cursor = self.wiki.changes_since(
                Cursor(**self.store.state("cursor")),
                self.namespaces,
                self.site.time,
                {ns: prefix for ns, prefix in self.prefixes},
            )
            state = {"titles": titles, "cursor": asdict(cursor), "changes": asdict(Changes())}
            with self.store.transaction():
                if titles:
                    self.store.set_state("incremental", state)
                else:
                    self.store.set_state("cursor", state["cursor"])
            if not titles:
                return Changes()
        gen = self.store.state("gen") or 0
        self.stored = 0
        while state["titles"]:
            titles = state["titles"][: self.max_batch]
            batch = self.wiki.page_batch(self.site, titles=titles, links=self.links)
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
