"""The library's one way through: a :class:`Workspace` over one store.

A workspace loads what the jobs share once, lazily: the site's names, the parsed pages
(from the cache, parsing only what changed), the records, the link graph, the gaps and
the duplicates. A pull made through it invalidates them. Each job is one method: pull,
records, gaps, duplicates, schema, snapshot, report, plan, apply, run, doctor; the
command line calls one method per command.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from . import pages as curated
from .activities import CommonsMap, commons_map
from .config import CONTACT
from .dump import load_dump
from .dupes import DupeReport, Pair, detect_duplicates, explain, features, link
from .errors import (
    ConfigError,
    ExitCode,
    MarkerError,
    MovisyncError,
    StoreError,
    StoreFull,
    StoreLocked,
    StoreReadOnly,
    StoreWikiMismatch,
    UnknownPage,
)
from .gaps import GapKind, GapReport, LinkStatus, detect_gaps
from .history import Snapshot, snapshot
from .i18n import _
from .links import check_urls
from .pages import CuratedPage, Findings, PageKind
from .profile import Profile, load_profile, with_templatedata
from .publish import (
    ApplyResult,
    Guards,
    Plan,
    Skip,
    apply_plan,
    block_content,
    check_plan,
    deleted_skip,
    load_plan,
    make_plan,
    save_plan,
    says_stop,
)
from .records import (
    LinkGraph,
    ParsedPage,
    Record,
    TemplateFacts,
    link_graph,
    load_parsed,
    page_usage,
    paused_gc,
    record_of,
    template_facts,
    wiki_facts,
)
from .render import PAGE_LIMIT, read_exceptions, read_verdicts
from .report import ReportData
from .report import build as build_report
from .schema import FieldUse, Names, Schema, Usage, describe, discover, to_toml
from .site import CATEGORY, MEDIAWIKI, SPECIAL, TEMPLATE, SiteInfo
from .store import GapId, Page, Store, Tracked, Waiver
from .sync import ProgressCallback, PullSummary, StoreStatus, pull, store_status
from .text import fold_words
from .tracking import advance, merged, progress, waive
from .wiki import PageState, Wiki, user_agent


@dataclass(frozen=True)
class PullOptions:
    namespaces: tuple[int, ...] | None = None
    """Namespaces to pull; None: every subject namespace but files and messages."""
    batch: int | None = None
    """Most pages per request; None: 50, or 500 with the apihighlimits right."""
    links: bool = True
    """Pull the wiki's link and category tables too (orphans, red links)."""
    rc_max_age_days: int = 90
    """How far back the wiki keeps recent changes ($wgRCMaxAge)."""


@dataclass(frozen=True)
class PublishOptions:
    prefix: str | None = None
    """Root of the curated pages; None: "<project namespace>:Movisync"."""
    stop_page: str | None = None
    """A page that stops every edit when it says so; None: "<prefix>/<the stop word>"."""
    throttle: float = 5.0
    """Seconds between two edits."""
    budget: int = 50
    """Most edits in one run."""
    max_shrink: float = 0.5
    """A block may not lose more than this share of its text without allow_shrink."""
    page_limit: int = PAGE_LIMIT
    """Bytes of wikitext past which a curated page is split into numbered subpages."""


@dataclass(frozen=True)
class Check:
    """One check of :meth:`Workspace.doctor`: what it checked and what to fix."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class RunResult:
    """What the scheduled job did."""

    pull: PullSummary
    gaps: GapReport
    dupes: DupeReport
    plan: Plan
    applied: ApplyResult | None
    failing: tuple[GapKind, ...]
    """Gap kinds asked for with ``fail_on`` that were found."""

    @property
    def skipped(self) -> tuple[Skip, ...]:
        return self.plan.skipped + (self.applied.skipped if self.applied else ())

    @property
    def stopped(self) -> bool:
        return bool(self.applied and self.applied.stopped)

    @property
    def exit_code(self) -> ExitCode:
        if self.failing:
            return ExitCode.GAPS
        if self.skipped or self.stopped:
            return ExitCode.SKIPPED
        return ExitCode.OK


@dataclass(frozen=True)
class _Loaded:
    """What one load of the store gives (valid until the next pull)."""

    site: SiteInfo
    pages: tuple[Page, ...]
    """Every stored page, without its text."""
    parsed: dict[int, ParsedPage]
    facts: TemplateFacts
    schema: Schema
    usage: Usage
    records: tuple[Record, ...]


log = logging.getLogger(__name__)


def _erased(waiver: Waiver, state: PageState) -> bool:
    """Whether a blank Exception cell in this revision takes ``waiver`` back: it was written
    before the revision (a wiki revision's time has whole seconds: one read from the wiki
    may be erased within its second; one given on the command line, later than a revision
    in the same second, is not)."""
    if waiver.source == "wiki":
        return waiver.added <= state.timestamp
    return waiver.added < state.timestamp


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def moment() -> str:
    """Now, to the microsecond: runs follow one another in order even within a second."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Workspace:
    """One store, the profile to read it with, and (when a job needs it) the wiki.

    ``wiki`` makes the connection when first needed, so that commands that only read
    the store never touch the network; ``credentials`` (a bot password) log it in.
    """

    def __init__(
        self,
        store: Store,
        *,
        profile: Profile | None = None,
        wiki: Callable[[], Wiki] | None = None,
        credentials: tuple[str, str] | None = None,
        pulling: PullOptions = PullOptions(),
        publishing: PublishOptions = PublishOptions(),
        contact: str = CONTACT,
        lock_file: Path | None = None,
        workers: int | None = None,
        discover: bool = True,
    ) -> None:
        self.store = store
        self.base_profile = profile or load_profile()
        self._connect = wiki
        self._credentials = credentials
        self._wiki: Wiki | None = None
        self._logged_in = False
        self.pulling = pulling
        self.publishing = publishing
        self.contact = contact
        self.lock_file = lock_file or store.path.with_name(store.path.name + ".lock")
        self.workers = workers
        self.discover = discover
        """Read the wiki's own schema (forms, properties, templates) over the profile's
        hints; without, the profile is taken as it is."""
        self.parsed_now: list[int] = []
        """Page ids parsed (not read from the cache) by this workspace so far."""
        self._locks = 0
        self._forget()

    def _forget(self) -> None:
        self._loaded: _Loaded | None = None
        self._graph: LinkGraph | None = None
        self._gaps: GapReport | None = None
        self._dupes: DupeReport | None = None

    # --- the wiki --------------------------------------------------------------------------
    @property
    def wiki(self) -> Wiki:
        """The wiki, connected (and logged in, with credentials) on first use."""
        if self._wiki is None:
            if self._connect is None:
                raise ConfigError(_("this job needs the wiki: give the workspace a connection"))
            self._wiki = self._connect()
        if self._credentials and not self._logged_in:
            self._wiki.login(*self._credentials)
            self._logged_in = True
        return self._wiki

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The store's lock file, held while a job writes: a second movisync that writes
        the same store fails at once instead of overlapping. Re-entrant."""
        if self._locks:
            self._locks += 1
            try:
                yield
            finally:
                self._locks -= 1
            return
        handle = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreLocked(
                    _("another movisync run holds {lock}; wait for it to finish").format(
                        lock=self.lock_file
                    )
                ) from None
            os.ftruncate(handle, 0)
            os.write(handle, str(os.getpid()).encode())
            self._locks = 1
            try:
                yield
            finally:
                self._locks = 0
        finally:
            os.close(handle)

    # --- pulling ---------------------------------------------------------------------------
    def pull(self, *, full: bool = False, progress: ProgressCallback | None = None) -> PullSummary:
        """Bring the store up to date with the wiki (see :func:`movisync.sync.pull`),
        holding the store's lock."""
        try:
            with self.locked():
                return pull(
                    self.store,
                    self.wiki,
                    full=full,
                    namespaces=self.pulling.namespaces,
                    rc_max_age_days=self.pulling.rc_max_age_days,
                    batch=self.pulling.batch,
                    links=self.pulling.links,
                    progress=progress,
                )
        finally:
            self._forget()

    def load_dump(self, path: Path, *, progress: ProgressCallback | None = None) -> PullSummary:
        """Load an XML dump into the store (see :func:`movisync.dump.load_dump`)."""
        try:
            with self.locked():
                return load_dump(
                    self.store, path, namespaces=self.pulling.namespaces, progress=progress
                )
        finally:
            self._forget()

    def status(self) -> StoreStatus:
        return store_status(self.store)

    def rebind(self, wiki: Wiki, *, sample: int = 20) -> str:
        """Move the store to the same wiki reached at another URL (http to https, a new
        host name): the wiki must say it is the same one (its id) and hold the stored
        pages at their stored revisions or later. Returns the new API URL."""
        site = wiki.siteinfo()
        known = self.store.meta("wiki_id")
        if known and site.wiki_id != known:
            raise StoreWikiMismatch(
                _("{api} is the wiki {wiki!r}, not {known!r}: not rebound").format(
                    api=wiki.url, wiki=site.wiki_id, known=known
                )
            )
        stored = sorted(self.store.pages(text=False), key=lambda p: p.page_id)
        picked = stored[:: max(1, len(stored) // sample)][:sample]
        states = wiki.read_pages([p.title for p in picked])
        missing = [
            p.title
            for p in picked
            if p.rev_id > states.get(p.title, PageState(p.title, False)).rev_id
        ]
        if missing:
            raise StoreWikiMismatch(
                _(
                    "{api} does not hold the stored pages ({titles}...): not the same wiki, not "
                    "rebound"
                ).format(api=wiki.url, titles=", ".join(missing[:3]))
            )
        self.store.rebind(wiki.url)
        return wiki.url

    # --- loading ---------------------------------------------------------------------------
    @property
    def site(self) -> SiteInfo:
        return self._load().site

    @property
    def profile(self) -> Profile:
        """The profile completed with what the wiki declares (see :attr:`schema`)."""
        return self._load().schema.profile

    @paused_gc()
    def _load(self) -> _Loaded:
        if self._loaded is not None:
            return self._loaded
        site = self.store.site()
        if site is None:
            raise StoreError(
                _("{path} holds no wiki yet; run `movisync pull` first").format(
                    path=self.store.path
                )
            )
        pages = tuple(self.store.pages(text=False))
        content = set(site.content_namespaces())
        # Content and schema pages (templates, forms, properties, their lists) are read;
        # other pages only for their links when the wiki gave no link table (a dump).
        wanted = {
            p.page_id: p.rev_id
            for p in pages
            if p.ns in content
            or p.ns in (TEMPLATE, MEDIAWIKI)
            or site.role(p.ns) is not None
            or not p.links
        }
        parsed = load_parsed(
            self.store, site, wanted, workers=self.workers, parsed_now=self.parsed_now
        )
        facts = template_facts(pages, parsed, site)
        used = page_usage(pages, parsed, site, facts)
        schema = self._schema(site, pages, parsed, facts, used)
        records = tuple(
            record_of(p, parsed[p.page_id], schema.profile, site, facts)
            for p in pages
            if p.ns in content and p.page_id in parsed
        )
        self._loaded = _Loaded(site, pages, parsed, facts, schema, used, records)
        return self._loaded

    def _schema(
        self,
        site: SiteInfo,
        pages: Sequence[Page],
        parsed: Mapping[int, ParsedPage],
        facts: TemplateFacts,
        used: Usage,
    ) -> Schema:
        """The profile completed with what the wiki declares, or (``discover=False``) the
        profile as it is, with the TemplateData of its own templates."""
        if not self.discover:
            profile = self.base_profile
            return Schema(with_templatedata(profile, facts.declared) if facts.declared else profile)

        def resolve(name: str) -> str:
            title = site.template_title(name) or name
            return facts.redirects.get(title, title)

        names = Names(
            template=self._prefix_of(site, TEMPLATE, "Template"),
            category=self._prefix_of(site, CATEGORY, "Category"),
            property=next(
                (f"{n.name}:" for n in site.namespaces if site.role(n.id) == "property"),
                "Property:",
            ),
            resolve=resolve,
        )
        return discover(self.base_profile, wiki_facts(pages, parsed, site, facts), used, names)

    @property
    def schema(self) -> Schema:
        """The schema the pages are read with (see :mod:`movisync.schema`)."""
        return self._load().schema

    def _check_types(self, types: Collection[str]) -> frozenset[str]:
        """The types' keys as the profile spells them (ConfigError naming the known ones)."""
        return frozenset(self.profile.type(key).key for key in types)

    def records(self, *, types: Collection[str] = ()) -> list[Record]:
        """Records of the content pages, by title, optionally of some page types only."""
        types = self._check_types(types)
        found = sorted(self._load().records, key=lambda r: r.title)
        return [r for r in found if not types or r.type in types]

    @property
    def prefix(self) -> str:
        return curated.publish_prefix(self.store.site(), self.publishing.prefix)

    def graph(self) -> LinkGraph:
        """Who links to whom; links from movisync's own pages do not count."""
        if self._graph is None:
            loaded = self._load()
            namespaces = self.store.state("namespaces") or sorted(self.store.counts())
            self._graph = link_graph(
                loaded.pages,
                loaded.parsed,
                loaded.facts,
                loaded.site,
                namespaces,
                ignore_prefix=self.prefix,
            )
        return self._graph

    # --- gaps and duplicates -------------------------------------------------------------------
    def all_gaps(self) -> GapReport:
        """Every gap of every content page (computed once per load)."""
        if self._gaps is None:
            with paused_gc():  # many gaps, no cycles
                found = detect_gaps(self._load().records, self.profile, self.graph())
            self._gaps = waive(found, self.store.waivers())
        return self._gaps

    def gaps(
        self,
        *,
        types: Collection[str] = (),
        kinds: Collection[str] = (),
        pages: Collection[str] = (),
        check_links: bool = False,
        link_max_age_days: int = 7,
    ) -> GapReport:
        """Gaps filtered by page type, gap kind and page title. With ``check_links``,
        the websites in url fields of those pages are checked (cached in the store for
        ``link_max_age_days``) and unreachable ones become ``dead_link`` gaps."""
        types = self._check_types(types)
        known = {str(k) for k in GapKind}
        unknown = sorted(set(kinds) - known)
        if unknown:
            raise ConfigError(
                _("unknown gap kind(s) {kinds}; known: {known}").format(
                    kinds=", ".join(unknown), known=", ".join(GapKind)
                )
            )
        pages = {self._content_page(title) for title in pages}
        report = self.all_gaps()
        if check_links:
            chosen = [
                r
                for r in self._load().records
                if (not types or r.type in types) and (not pages or r.title in pages)
            ]
            status = self._link_status(chosen, link_max_age_days)
            report = waive(
                detect_gaps(self._load().records, self.profile, self.graph(), link_status=status),
                self.store.waivers(),
            )
        kept = tuple(
            g
            for g in report.gaps
            if (not types or g.type in types)
            and (not kinds or g.kind in kinds)
            and (not pages or g.page in pages)
        )
        return replace(report, gaps=kept)

    def _link_status(self, found: list[Record], max_age_days: int) -> dict[str, LinkStatus]:
        urls = set()
        for record in found:
            if record.type is None:
                continue
            page_type = self.profile.type(record.type)
            for value in record.values:
                spec = page_type.field(value.name)
                if spec is not None and spec.kind == "url" and value.text.startswith("http"):
                    urls.add(value.text)
        cutoff = (dt.date.today() - dt.timedelta(days=max_age_days)).isoformat()
        cached = {
            url: LinkStatus(url, *row)
            for url, row in self.store.link_checks().items()
            if row[2] >= cutoff
        }
        fresh = check_urls(sorted(urls - set(cached)), user_agent=user_agent(self.contact))
        try:
            self.store.save_link_checks((s.url, s.ok, s.detail, s.checked) for s in fresh.values())
        except (StoreReadOnly, StoreFull) as exc:
            log.warning(_("the link checks were not cached: %s"), exc)
        return {**cached, **fresh}

    def all_duplicates(self) -> DupeReport:
        """Near-duplicate pairs of every content page but those on the not-a-duplicate
        list (computed once per load)."""
        if self._dupes is None:
            self._dupes = detect_duplicates(
                self._load().records, self.profile, verdicts=self.verdicts()
            )
        return self._dupes

    def duplicates(
        self, *, types: Collection[str] = (), threshold: int | None = None
    ) -> DupeReport:
        """Near-duplicate pairs among the content pages (of some types only, if given)."""
        types = self._check_types(types)
        if not types and threshold is None:
            return self.all_duplicates()
        found = [r for r in self._load().records if not types or r.type in types]
        return detect_duplicates(found, self.profile, verdicts=self.verdicts(), threshold=threshold)

    def explain_pair(self, a: str, b: str) -> tuple[Pair, float]:
        """Two pages compared under the model learned from the whole wiki (whether or
        not they were a candidate pair): the pair, and the prior in bits."""
        records = self._load().records
        named = [self._content_page(t) for t in (a, b)]
        linkage = link(features(records, self.profile), self.verdicts())
        return explain(linkage, *named), linkage.model.prior_bits

    def verdicts(self) -> dict[tuple[str, str], bool]:
        """What humans said of pairs (a before b): True for a duplicate, False for not one."""
        return {(v.a, v.b): v.duplicate for v in self.store.verdicts()}

    def set_verdict(self, a: str, b: str, duplicate: bool | None, *, source: str = "cli") -> None:
        """Say that two pages are one thing (True) or two (False), or take it back (None).
        Verdicts are final for their pair and teach the model for the others."""
        today = dt.date.today().isoformat()
        a, b = (self._content_page(t) for t in (a, b))
        if a == b:
            raise UnknownPage(
                _("{title!r} is paired with itself: name two different pages").format(title=a)
            )
        self.store.set_verdict(a, b, duplicate, source=source, added=today)
        self._dupes = None

    # --- the commons map ---------------------------------------------------------------------
    def commons(self) -> CommonsMap:
        """Which activities the places run, which pages document them, which communs the
        places use (see :mod:`movisync.activities`)."""
        records = self._load().records
        texts = {}
        for record in records:
            if record.type in self.profile.place_types and not record.redirect:
                page = self.store.page(record.title)
                texts[record.title] = page.text if page else ""
        return commons_map(records, self.profile, self.all_gaps(), texts)

    # --- schema --------------------------------------------------------------------------------
    @staticmethod
    def _prefix_of(site: SiteInfo, ns_id: int, default: str) -> str:
        ns = site.namespace(ns_id)
        return f"{ns.name if ns else default}:"

    def fields(self) -> list[FieldUse]:
        """Every field of every type, with its rules, their sources, and how many of
        the type's pages fill it."""
        loaded = self._load()
        prefix = self._prefix_of(loaded.site, TEMPLATE, "Template")
        fills = {(f.type, f.field): (f.filled, f.pages) for f in self.all_gaps().fills}
        return describe(loaded.schema, fills, prefix)

    def schema_toml(self) -> str:
        """The schema as a profile file, each rule commented with its source."""
        return to_toml(self.schema)

    # --- history and reports -------------------------------------------------------------------
    def followed(self, at: str) -> dict[GapId, Tracked]:
        """Every gap's life as a run at ``at`` leaves it (nothing is stored)."""
        return merged(*self._advanced(at))

    def _advanced(self, at: str) -> tuple[dict[GapId, Tracked], tuple[Tracked, ...]]:
        """The gaps' lives as stored, and what a run at ``at`` changes in them."""
        life, found = self.store.gap_log(), self.all_gaps()
        return life, advance(life, found.gaps, at, found.excepted)

    def snapshot(self, *, at: str | None = None, keep: bool = True) -> Snapshot:
        """The state the reports describe: every gap and duplicate, at ``at`` (now), with
        the gaps new, back and fixed since the snapshot before. ``keep``: store it and move
        each gap's life forward (on a read-only store or a full disk it is taken, said,
        and not kept). Each run of the job keeps one; listings do not."""
        at = at or moment()
        cursor = self.store.state("cursor") or {}
        life, changes = self._advanced(at)
        history = self.history()
        previous = next((s.at for s in reversed(history) if s.at < at), None)
        change = progress(merged(life, changes).values(), previous)
        taken = snapshot(
            self.all_gaps(),
            self.all_duplicates(),
            rc_id=int(cursor.get("rcid", 0)),
            at=at,
            change=change,
        )
        if keep:
            try:
                with self.store.transaction():
                    self.store.log_gaps(changes)
                    self.store.add_snapshot(taken.at, json.dumps(asdict(taken), ensure_ascii=False))
            except (StoreReadOnly, StoreFull) as exc:
                log.warning(_("this snapshot was not kept: %s"), exc)
        return taken

    def history(self) -> list[Snapshot]:
        """Every snapshot, oldest first."""
        return [Snapshot(**json.loads(row)) for row in self.store.snapshot_rows()]

    def report(self) -> ReportData:
        """What `movisync report` shows: the history up to now (a snapshot taken, not
        kept), the worst pages and the duplicate clusters."""
        history = [*self.history(), self.snapshot(keep=False)]
        api = self.store.meta("api")
        index_url = api.rsplit("/", 1)[0] + "/index.php" if api else f"{self.site.server}/index.php"
        return build_report(
            history,
            self.all_gaps(),
            self.all_duplicates(),
            sitename=self.site.sitename,
            index_url=index_url,
            generated=now(),
            labels={t.key: t.plural for t in self.profile.types},
            field_labels={(t.key, f.name): f.title for t in self.profile.types for f in t.fields},
            commons=self.commons(),
        )

    # --- publishing ----------------------------------------------------------------------------
    def curated_pages(self) -> list[CuratedPage]:
        return curated.curated_pages(self.profile, self.prefix)

    @property
    def stop_page(self) -> str:
        return curated.stop_page(self.profile, self.prefix, self.publishing.stop_page)

    @staticmethod
    def _written(
        page: CuratedPage, states: Mapping[str, PageState], titles: Collection[str]
    ) -> list[tuple[PageState, str]]:
        """The page and its subpages as the wiki has them, each with its block's content
        (pages without the block, or with broken markers, left out)."""
        found = []
        numbers = curated.subpage_numbers(page, titles)
        for title, block in [
            (page.title, page.block),
            *((f"{page.title}/{n}", f"{page.block}-{n}") for n in numbers),
        ]:
            state = states.get(title)
            if state is None or not state.exists:
                continue
            try:
                found.append((state, block_content(state.text, block)))
            except MarkerError:
                continue
        return found

    def _verdicts(self, written: Sequence[tuple[PageState, str]]) -> dict[tuple[str, str], str]:
        """Verdicts reviewers wrote on the review page (and its subpages), kept in the
        store: « doublon » pairs stay reported, « pas un doublon » pairs leave the
        duplicates; both teach the model. A pair naming a page gone since is left."""
        verdicts: dict[tuple[str, str], str] = {}
        for _state, content in written:
            verdicts.update(read_verdicts(content, self.profile.words))
        known = self.verdicts()
        for pair, verdict in verdicts.items():
            said = verdict == self.profile.words.duplicate
            if known.get(pair) is not said:
                with suppress(UnknownPage):
                    self.set_verdict(*pair, said, source="wiki")
        return verdicts

    def _exceptions(
        self,
        worklists: Sequence[CuratedPage],
        states: Mapping[str, PageState],
        titles: Collection[str],
    ) -> None:
        """Exceptions maintainers wrote in the worklists' Exception column, kept in the
        store: a word written adds (or rewords) one, a cell erased in a revision newer than
        the exception takes it back; rows the page does not show change nothing."""
        stored = {w.key: w for w in self.store.waivers()}
        changed = False
        for page, (state, content) in (
            (p, w) for p in worklists if p.type for w in self._written(p, states, titles)
        ):
            assert page.type is not None
            page_type = self.profile.type(page.type)
            said_here = read_exceptions(content, page_type, self.profile.words)
            for (title, name), said in said_here.items():
                key = (page.type, title, name)
                known = stored.get(key)
                if said and (known is None or known.reason != said):
                    who = state.user or "?"
                    self.store.set_waiver(
                        Waiver(*key, said, source="wiki", who=who, added=state.timestamp)
                    )
                    changed = True
                elif not said and known is not None and _erased(known, state):
                    self.store.drop_waiver(*key)
                    changed = True
        if changed:
            self._gaps = None

    def waivers(self) -> list[Waiver]:
        """The exceptions maintainers gave (see :mod:`movisync.tracking`)."""
        return self.store.waivers()

    def set_waiver(
        self, type_key: str, page: str, field: str, reason: str | None, *, who: str = "cli"
    ) -> None:
        """Say that ``field`` does not apply to ``page`` (to the whole type when ``page``
        is ""), or take it back (``reason`` None). The field is named by name or label."""
        page_type = self.profile.type(type_key)
        spec = page_type.field(field) or next(
            (f for f in page_type.fields if fold_words(f.title) == fold_words(field)), None
        )
        if spec is None:
            known = ", ".join(f.name for f in page_type.fields)
            raise ConfigError(
                _("no field {field!r} in type {type!r}; known: {known}").format(
                    field=field, type=type_key, known=known
                )
            )
        if page:
            page = self._content_page(page)
        if reason is None:
            self.store.drop_waiver(type_key, page, spec.name)
        else:
            self.store.set_waiver(
                Waiver(type_key, page, spec.name, reason, source="cli", who=who, added=moment())
            )
        self._gaps = None

    def _content_page(self, title: str) -> str:
        """A title as MediaWiki normalises it (underscores, first letter), refused when
        the store has no content page of that name."""
        named = self.site.normalize(title)
        if named not in {r.title for r in self._load().records if not r.redirect and not r.error}:
            raise UnknownPage(
                _(
                    "no content page {title!r} in the store (a redirect, misspelt, or not "
                    "pulled yet?)"
                ).format(title=named)
            )
        return named

    def _subpages(self, pages: Sequence[CuratedPage]) -> list[str]:
        """Subpages of curated pages (``<title>/<n>``) the store saw on the wiki or
        movisync wrote: long lists are split on them."""
        known = [t for t, _block in self.store.published()] + self.store.titles_under(self.prefix)
        owned = curated.owned_blocks(pages, known)
        return sorted(set(owned) - {p.title for p in pages})

    def plan(
        self,
        *,
        force: bool = False,
        allow_shrink: bool = False,
        recreate: bool = False,
        at: str | None = None,
    ) -> Plan:
        """Render every curated page and diff it against the wiki. Nothing is written but
        what reviewers wrote in it (verdicts, exceptions), read into the store. A curated
        page someone deleted is skipped (and said) unless ``recreate``. ``at``: the
        moment the findings describe (now)."""
        at = at or moment()
        pages = self.curated_pages()
        subpages = self._subpages(pages)
        states = self.wiki.read_pages(sorted({p.title for p in pages} | set(subpages)))
        gone = (
            []
            if recreate
            else [
                skip
                for title, state in sorted(states.items())
                if not state.exists and (skip := deleted_skip(self.wiki, title))
            ]
        )
        kept = [p for p in pages if p.title not in {s.title for s in gone}]
        verdicts = self._verdicts(self._written(curated.review_page(pages), states, subpages))
        self._exceptions([p for p in pages if p.kind is PageKind.WORKLIST], states, subpages)
        template_ns = self.site.namespace(TEMPLATE)
        special_ns = self.site.namespace(SPECIAL)
        found = Findings(
            records=self.records(),
            gaps=self.all_gaps(),
            dupes=self.all_duplicates(),
            verdicts=verdicts,
            history=self.history(),
            profile=self.profile,
            template_ns=template_ns.name if template_ns else "Template",
            at=at,
            log=self.followed(at),
            waivers=self.store.waivers(),
            inbound={title: len(sources) for title, sources in self.graph().inbound.items()},
            special_ns=special_ns.name if special_ns else "Special",
            page_limit=self.publishing.page_limit,
            commons=self.commons(),
        )
        counts = ", ".join(
            f"{sum(1 for r in found.records if r.type == t.key)} {t.plural.lower()}"
            for t in self.profile.types
        )
        made = make_plan(
            curated.render_pages(kept, found, [t for t in subpages if states[t].exists]),
            states,
            self.store.published(),
            force=force,
            allow_shrink=allow_shrink,
            max_shrink=self.publishing.max_shrink,
            user=self.wiki.userinfo().name,
            summary=f"{self.profile.words.summary} ({counts})",
        )
        return replace(made, skipped=made.skipped + tuple(gone))

    def guards(
        self, *, force: bool = False, allow_shrink: bool = False, recreate: bool = False
    ) -> Guards:
        return Guards(
            recreate=recreate,
            stop_page=self.stop_page,
            stop_words=self.profile.words.stop_words,
            throttle=self.publishing.throttle,
            budget=self.publishing.budget,
            force=force,
            allow_shrink=allow_shrink,
            max_shrink=self.publishing.max_shrink,
        )

    def apply(
        self,
        plan: Plan,
        *,
        force: bool = False,
        allow_shrink: bool = False,
        recreate: bool = False,
    ) -> ApplyResult:
        """Write a plan's blocks into the curated pages as they are now. The plan may
        only touch movisync's own blocks of its own pages (PlanRejected otherwise); what
        proves a block is still movisync's is on the wiki (its begin marker)."""
        owned = curated.owned_blocks(self.curated_pages(), [e.title for e in plan.edits])
        check_plan(plan, owned)
        with self.locked():
            return apply_plan(
                plan,
                self.wiki,
                self.store.published(),
                self.guards(force=force, allow_shrink=allow_shrink, recreate=recreate),
            )

    def save_plan(self, plan: Plan, path: Path) -> None:
        """Write a plan file for this store's wiki (see :func:`movisync.publish.save_plan`)."""
        save_plan(plan, path, api=self.store.meta("api") or "", wiki_id=self.site.wiki_id)

    def load_plan(self, path: Path) -> Plan:
        """Read a plan file made for this store's wiki, unaltered (PlanRejected otherwise)."""
        return load_plan(path, api=self.store.meta("api") or "", wiki_id=self.site.wiki_id)

    def run(
        self,
        *,
        apply: bool = False,
        fail_on: Collection[str] = (),
        force: bool = False,
        allow_shrink: bool = False,
        recreate: bool = False,
        progress: ProgressCallback | None = None,
    ) -> RunResult:
        """The scheduled job: incremental pull, verdicts read back, gaps, duplicates, a
        snapshot, the plan, and (with ``apply``) its edits. Each is computed once."""
        fail = {GapKind(k) for k in fail_on}
        with self.locked():
            pulled = self.pull(progress=progress)
            at = moment()
            made = self.plan(force=force, allow_shrink=allow_shrink, recreate=recreate, at=at)
            self.snapshot(at=at)
            result = (
                self.apply(made, force=force, allow_shrink=allow_shrink, recreate=recreate)
                if apply and made.edits
                else None
            )
        gaps = self.all_gaps()
        failing = tuple(sorted({g.kind for g in gaps.gaps} & fail))
        return RunResult(pulled, gaps, self.all_duplicates(), made, result, failing)

    # --- doctor --------------------------------------------------------------------------------
    def doctor(self, *, check_store: bool = True) -> list[Check]:
        """What would stop a run, each with what to fix. Stops at the first blocking
        failure. ``check_store``: also check that the store belongs to this wiki."""
        checks: list[Check] = []
        try:
            if self._wiki is None and self._connect is not None:
                self._wiki = self._connect()
            wiki = self._wiki
            if wiki is None:
                raise ConfigError(_("no wiki to check"))
            site = wiki.siteinfo()
        except MovisyncError as exc:
            return [Check("API", False, str(exc))]
        checks.append(
            Check(
                "API",
                True,
                _("{generator} ({name}) at {api}").format(
                    generator=site.generator, name=site.sitename, api=wiki.url
                ),
            )
        )
        if self._credentials:
            try:
                self.wiki  # noqa: B018 (logs in)
            except MovisyncError as exc:
                return [*checks, Check(_("login"), False, str(exc))]
            checks.append(
                Check(
                    _("login"),
                    True,
                    _("logged in as {user}").format(user=self._credentials[0].split("@")[0]),
                )
            )
        else:
            checks.append(
                Check(
                    _("login"),
                    False,
                    _(
                        "anonymous: reading works, but plan --apply, apply and run --apply need "
                        "MOVISYNC_USERNAME and MOVISYNC_PASSWORD"
                    ),
                )
            )
        rights = set(wiki.siteinfo().rights)
        checks += _rights_checks(rights)
        prefix = curated.publish_prefix(site, self.publishing.prefix)
        pages = curated.curated_pages(self.base_profile, prefix)
        titles = sorted(p.title for p in pages)
        can_edit = wiki.can_edit(titles[0])
        checks.append(
            Check(
                _("edit the targets"),
                can_edit,
                _("pages under {prefix}").format(prefix=prefix)
                if can_edit
                else _("this account may not edit {title} (protected namespace?)").format(
                    title=titles[0]
                ),
            )
        )
        states = wiki.read_pages(titles)
        problems = []
        for page in pages:
            state = states.get(page.title)
            if state is not None and state.exists:
                try:
                    block_content(state.text, page.block)
                except MarkerError as exc:
                    problems.append(f"{page.title}: {exc}")
        existing = sum(s.exists for s in states.values())
        checks.append(
            Check(
                _("markers"),
                not problems,
                "; ".join(problems)
                or _("{existing} existing target page(s) sane, {missing} to create").format(
                    existing=existing, missing=len(states) - existing
                ),
            )
        )
        stop = curated.stop_page(self.base_profile, prefix, self.publishing.stop_page)
        state = wiki.read_pages([stop]).get(stop)
        stopped = bool(state and says_stop(state, self.base_profile.words.stop_words))
        checks.append(
            Check(
                _("stop page"),
                not stopped,
                (
                    _("{page} says stop: remove it to run")
                    if stopped
                    else _("{page} does not say stop")
                ).format(page=stop),
            )
        )
        if check_store:
            try:
                self.store.bind(api=wiki.url, wiki_id=site.wiki_id)
                checks.append(
                    Check(
                        _("store"),
                        True,
                        _("{path} belongs to this wiki").format(path=self.store.path),
                    )
                )
            except MovisyncError as exc:
                checks.append(Check(_("store"), False, str(exc)))
                return checks
            if self.store.site() is not None:
                checks += schema_checks(self.schema, self.base_profile)
        return checks


def schema_checks(found: Schema, profile: Profile) -> list[Check]:
    """Where the profile and the wiki's own schema do not fit, one line each."""
    checks = []
    templates = {t.key: ", ".join(t.templates) for t in profile.types}
    for key, template, share in found.mapped:
        checks.append(
            Check(
                _("type {key}").format(key=key),
                False,
                _(
                    "no page uses {templates}; read onto {template} ({percent}% of the fields in "
                    "common): pin it with templates = [...] in movisync.toml"
                ).format(templates=templates[key], template=template, percent=round(100 * share)),
            )
        )
    for key, closest in found.unmatched:
        said = (
            _("no page uses {templates}; the closest template is {closest}")
            if closest
            else _("no page uses {templates}")
        )
        checks.append(
            Check(
                _("type {key}").format(key=key),
                False,
                said.format(templates=templates[key], closest=closest),
            )
        )
    for template, pages in found.untyped:
        checks.append(
            Check(
                _("types"),
                False,
                _("{template} structures {pages} pages but belongs to no type").format(
                    template=template, pages=pages
                ),
            )
        )
    for form, name in found.form_only:
        checks.append(
            Check(
                _("forms"),
                False,
                _("{form}: field {name} is not a parameter of its template").format(
                    form=form, name=name
                ),
            )
        )
    if not checks:
        checks.append(
            Check(
                _("schema"),
                True,
                _("{count} page types, all in use").format(count=len(found.profile.types)),
            )
        )
    return checks


def _rights_checks(rights: set[str]) -> list[Check]:
    return [
        Check(
            _("edit right"),
            "edit" in rights,
            _("can edit") if "edit" in rights else _("this account cannot edit"),
        ),
        Check(
            _("bot flag"),
            "bot" in rights,
            _("edits are flagged as bot edits")
            if "bot" in rights
            else _(
                "not in the bot group: edits will show in recent changes (ask a bureaucrat for "
                "the bot flag)"
            ),
        ),
        Check(
            _("high limits"),
            True,
            _("apihighlimits: 500 pages a request")
            if "apihighlimits" in rights
            else _("50 pages a request (no apihighlimits)"),
        ),
    ]
