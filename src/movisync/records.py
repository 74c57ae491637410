"""Pages into records: their type, their fields with normalised values, and what the
gap finder needs (links, categories, banners, body length).

Records are cached in the store by revision id (and by a key of the profile and the
template redirects): a run after an incremental pull re-parses only the pages that
changed. A page the parser cannot read gives a record with ``error`` set; the run goes on.
Parsing uses every core (one process per core) when there is enough to parse.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from .errors import StoreError
from .profile import FieldSpec, Profile, templatedata, with_templatedata
from .site import CATEGORY, TEMPLATE, SiteInfo
from .store import Page, Store
from .templates import Call, Parsed, first_url, parse, value_text

COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
# Below this many pages to parse, worker processes cost more than they save.
PARALLEL_FROM = 200


@dataclass(frozen=True)
class Value:
    """One parameter of the type template, as the page fills it.

    ``text`` is the value without comments and wiki markup; ``items`` splits it on the
    field's separator for multi-valued kinds; ``dynamic`` marks a value computed by a
    template or parser function (``{{#if:...}}``), which cannot be judged from the text.
    """

    name: str
    raw: str
    text: str
    items: tuple[str, ...] = ()
    dynamic: bool = False


@dataclass(frozen=True)
class Record:
    """A page read with the profile: what it is and what it holds."""

    page_id: int
    title: str
    ns: int
    rev_id: int
    timestamp: str
    redirect: str | None
    type: str | None
    """The profile's page type key, or None for a free-form page."""
    typed_by: str | None
    """``template`` or ``category`` (in the type's category but without its template)."""
    template: str | None
    values: tuple[Value, ...]
    """Every parameter of the type template, in order of first appearance, last value
    winning (MediaWiki rule)."""
    repeated: tuple[str, ...]
    templates: tuple[str, ...]
    links: tuple[str, ...]
    categories: tuple[str, ...]
    banners: tuple[str, ...]
    stub: bool
    body_chars: int
    error: str | None = None
    sketch: tuple[int, ...] = ()
    """Bottom-k hashes of the body's word shingles: estimates how much text two pages
    share (near-duplicates) without keeping the text."""

    def value(self, name: str) -> Value | None:
        return next((v for v in self.values if v.name == name), None)


NOINCLUDE = re.compile(r"<noinclude>.*?(?:</noinclude>|$)", re.DOTALL | re.IGNORECASE)


def template_categories(store: Store) -> dict[str, tuple[str, ...]]:
    """Categories each template adds to the pages that call it (its text outside
    ``<noinclude>``): what a dump, which has no category table, needs to type pages."""
    site = store.site()
    if site is None:
        return {}
    added = {}
    for page in store.pages(namespaces=[TEMPLATE]):
        try:
            categories = parse(NOINCLUDE.sub("", page.text), site).categories
        except Exception:  # a broken template adds nothing we can know
            continue
        if categories:
            added[page.title] = categories
    return added


def page_categories(
    page: Page, parsed: Parsed, added: Mapping[str, tuple[str, ...]]
) -> tuple[str, ...]:
    """The wiki's categories of the page, or (from a dump) those of its text and templates."""
    if page.categories:
        return page.categories
    from_templates = (c for call in parsed.calls for c in added.get(call.template, ()))
    return tuple(dict.fromkeys([*parsed.categories, *from_templates]))


def template_redirects(store: Store) -> dict[str, str]:
    """Template redirects known from the wiki (``Modèle:Tiers lieu`` → ``Modèle:Tiers-lieu``)."""
    return {p.title: p.redirect for p in store.pages(namespaces=[TEMPLATE]) if p.redirect}


def effective_profile(store: Store, profile: Profile) -> Profile:
    """The profile, completed by the TemplateData of the type templates in the store."""
    site = store.site()
    template_ns = site.namespace(TEMPLATE) if site else None
    prefix = f"{template_ns.name}:" if template_ns else "Template:"
    declared = {}
    for page in store.pages(namespaces=[TEMPLATE]):
        data = templatedata(page.text)
        if data is not None:
            declared[page.title.removeprefix(prefix)] = data
    return with_templatedata(profile, declared) if declared else profile


def build_record(
    page: Page,
    profile: Profile,
    site: SiteInfo,
    redirects: Mapping[str, str],
    added: Mapping[str, tuple[str, ...]] | None = None,
) -> Record:
    """Read one page with the profile. Never raises on bad wikitext: ``error`` says why.

    A page pulled from the API has the wiki's own categories; one from a dump has none,
    so its categories are read from its text plus those its templates add (``added``).
    """
    base: dict[str, Any] = dict(
        page_id=page.page_id,
        title=page.title,
        ns=page.ns,
        rev_id=page.rev_id,
        timestamp=page.timestamp,
        redirect=page.redirect,
    )
    try:
        parsed = parse(page.text, site, redirects=redirects)
    except Exception as exc:  # a parser bug on hostile text must not stop a run
        return Record(
            **base,
            type=None,
            typed_by=None,
            template=None,
            values=(),
            repeated=(),
            templates=(),
            links=page.links,
            categories=page.categories,
            banners=(),
            stub=False,
            body_chars=0,
            error=f"{type(exc).__name__}: {exc}",
        )
    template_ns = site.namespace(TEMPLATE)
    prefix = f"{template_ns.name}:" if template_ns else "Template:"
    names = [c.template.removeprefix(prefix) for c in parsed.calls]
    categories = page_categories(page, parsed, added or {})
    page_type, typed_by, call = _type_of(profile, parsed.calls, names, categories, site)
    values: tuple[Value, ...] = ()
    repeated: tuple[str, ...] = ()
    if call is not None and page_type is not None:
        spec = profile.type(page_type)
        values = tuple(_value(name, raw, spec.field(name)) for name, raw in call.values().items())
        repeated = call.repeated()
    return Record(
        **base,
        type=page_type,
        typed_by=typed_by,
        template=call.template if call else None,
        values=values,
        repeated=repeated,
        templates=tuple(dict.fromkeys(c.template for c in parsed.calls)),
        links=page.links or parsed.links,
        categories=categories,
        banners=tuple(n for n in dict.fromkeys(names) if n in profile.doc_banners),
        stub=any(n in profile.stub_banners for n in names),
        body_chars=len(parsed.body),
        sketch=body_sketch(parsed.body),
    )


def _type_of(
    profile: Profile,
    calls: Sequence[Call],
    names: Sequence[str],
    categories: Sequence[str],
    site: SiteInfo,
) -> tuple[str | None, str | None, Call | None]:
    for call, name in zip(calls, names, strict=True):
        for page_type in profile.types:
            if name in page_type.templates:
                return page_type.key, "template", call
    category_ns = site.namespace(CATEGORY)
    prefix = f"{category_ns.name}:" if category_ns else "Category:"
    in_categories = {c.removeprefix(prefix) for c in categories}
    for page_type in profile.types:
        if page_type.category and page_type.category in in_categories:
            return page_type.key, "category", None
    return None, None, None


def _value(name: str, raw: str, spec: FieldSpec | None) -> Value:
    text = value_text(raw)
    dynamic = "{{" in COMMENT.sub("", raw)
    if spec is not None and spec.kind == "url":
        text = first_url(raw) or text
    items: tuple[str, ...] = ()
    if spec is not None and spec.multi:
        items = tuple(i.strip() for i in text.split(spec.separator) if i.strip())
    return Value(name=name, raw=raw, text=text, items=items, dynamic=dynamic)


@dataclass(frozen=True)
class LinkGraph:
    """Which pages exist and who links to whom, over every pulled namespace."""

    existing: frozenset[str]
    redirects: Mapping[str, str]
    inbound: Mapping[str, frozenset[str]]
    """Title to the titles of the pages that link to it."""
    namespaces: frozenset[int]
    """Namespaces pulled: a link into another one cannot be judged red."""
    prefixes: Mapping[str, int]
    """Local namespace name to id, to tell a title's namespace (titles are normalised)."""

    def namespace(self, title: str) -> int:
        prefix, sep, _ = title.partition(":")
        return self.prefixes.get(prefix, 0) if sep else 0


SKETCH_SIZE = 32
SHINGLE = 4
WORD = re.compile(r"\w+")


def body_sketch(text: str, size: int = SKETCH_SIZE) -> tuple[int, ...]:
    """The ``size`` smallest CRC-32 hashes of the text's 4-word shingles (a bottom-k
    MinHash sketch): two sketches estimate the texts' Jaccard similarity."""
    words = WORD.findall(text.casefold())
    shingles = {" ".join(words[i : i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}
    shingles.discard("")
    return tuple(sorted({zlib.crc32(s.encode()) for s in shingles})[:size])


@contextmanager
def paused_gc() -> Iterator[None]:
    """Cyclic garbage collection paused while many long-lived objects are made (records,
    features, blocks): each collection would walk them all again, making big stores
    slower than linear. Records and features hold no reference cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- loading with the cache ---------------------------------------------------------------
RECORD_VERSION = 2  # bump when Record changes: older cached records are parsed again


def cache_key(profile: Profile, redirects: Mapping[str, str], site: SiteInfo) -> str:
    """Records depend on the profile (not its [dupes] settings), the template redirects
    and the site's names."""
    blob = json.dumps(
        [
            RECORD_VERSION,
            {k: v for k, v in profile.raw.items() if k != "dupes"},
            sorted(redirects.items()),
            asdict(site),
        ],
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@paused_gc()  # many records, no cycles
def load_records(
    store: Store,
    profile: Profile,
    *,
    namespaces: Iterable[int] | None = None,
    workers: int | None = None,
) -> list[Record]:
    """Records of the stored pages (content namespaces by default), from the cache where
    the revision is unchanged, parsed (on every core) where not."""
    site = store.site()
    if site is None:
        raise StoreError(f"{store.path} holds no wiki yet; run `movisync pull` first")
    profile = effective_profile(store, profile)
    redirects = template_redirects(store)
    added = template_categories(store)
    key = cache_key(profile, {**redirects, **{k: "|".join(v) for k, v in added.items()}}, site)
    chosen = tuple(namespaces) if namespaces is not None else site.content_namespaces()
    cached = store.cached_records(key)
    records: dict[int, Record] = {}
    stale: list[int] = []
    for page_id, rev_id in store.revisions(namespaces=chosen).items():
        hit = cached.get(page_id)
        if hit is not None and hit[0] == rev_id:
            records[page_id] = record_from_json(hit[1])
        else:
            stale.append(page_id)
    todo = list(store.pages(ids=stale)) if stale else []
    for record in _parse_all(todo, profile, site, redirects, added, workers):
        records[record.page_id] = record
    if todo:
        with store.transaction():
            store.cache_records(
                key,
                (
                    (r.page_id, r.rev_id, json.dumps(asdict(r), ensure_ascii=False))
                    for r in (records[p.page_id] for p in todo)
                ),
            )
    return sorted(records.values(), key=lambda r: r.title)


def _parse_all(
    pages: list[Page],
    profile: Profile,
    site: SiteInfo,
    redirects: Mapping[str, str],
    added: Mapping[str, tuple[str, ...]],
    workers: int | None,
) -> Iterator[Record]:
    count = workers or os.cpu_count() or 1
    if count < 2 or len(pages) < PARALLEL_FROM:
        for page in pages:
            yield build_record(page, profile, site, redirects, added)
        return
    chunk = max(1, len(pages) // (count * 8))
    with ProcessPoolExecutor(
        count, initializer=_init_worker, initargs=(profile, site, dict(redirects), dict(added))
    ) as pool:
        yield from pool.map(_build_in_worker, pages, chunksize=chunk)


_WORKER: dict[str, Any] = {}


def _init_worker(
    profile: Profile, site: SiteInfo, redirects: dict[str, str], added: dict[str, tuple[str, ...]]
) -> None:
    _WORKER.update(profile=profile, site=site, redirects=redirects, added=added)


def _build_in_worker(page: Page) -> Record:
    return build_record(
        page, _WORKER["profile"], _WORKER["site"], _WORKER["redirects"], _WORKER["added"]
    )


def record_from_json(text: str) -> Record:
    data = json.loads(text)
    data["values"] = tuple(Value(**{**v, "items": tuple(v["items"])}) for v in data["values"])
    for key in ("repeated", "templates", "links", "categories", "banners", "sketch"):
        data[key] = tuple(data[key])
    return Record(**data)


@paused_gc()
def load_graph(store: Store, *, ignore_prefix: str = "") -> LinkGraph:
    """The link graph over every stored page (all pulled namespaces). Links from pages
    under ``ignore_prefix`` (movisync's own curated pages, which link to everything) do
    not count: publishing must not hide orphans."""
    site = store.site()
    existing: set[str] = set()
    redirects: dict[str, str] = {}
    inbound: dict[str, set[str]] = {}
    unlinked: dict[int, tuple[int, str]] = {}
    for page_id, rev_id, title, redirect, links in store.link_table():
        existing.add(title)
        if ignore_prefix and (title == ignore_prefix or title.startswith(f"{ignore_prefix}/")):
            continue
        if redirect:
            redirects[title] = redirect
        if not links:
            unlinked[page_id] = (rev_id, title)
        for target in links:
            inbound.setdefault(target, set()).add(title)
    # Pages from a dump have no link table: their links are read from the text, once
    # per revision (cached in the store).
    cached = store.text_links()
    stale = [i for i, (rev_id, _) in unlinked.items() if cached.get(i, (None,))[0] != rev_id]
    read = [(page.page_id, page.rev_id, parse_links(page, site)) for page in store.pages(ids=stale)]
    if read:
        with store.transaction():
            store.save_text_links(read)
    cached.update((page_id, (rev_id, links)) for page_id, rev_id, links in read)
    for page_id, (_, title) in unlinked.items():
        for target in cached.get(page_id, (0, ()))[1]:
            inbound.setdefault(target, set()).add(title)
    namespaces = store.state("namespaces") or sorted({store_ns for store_ns in store.counts()})
    return LinkGraph(
        existing=frozenset(existing),
        redirects=redirects,
        inbound={k: frozenset(v) for k, v in inbound.items()},
        namespaces=frozenset(namespaces),
        prefixes={ns.name: ns.id for ns in site.namespaces if ns.name} if site else {},
    )


def parse_links(page: Page, site: SiteInfo | None) -> tuple[str, ...]:
    """Links read from the wikitext, for pages that came from a dump (no link table)."""
    if site is None or not page.text:
        return ()
    try:
        return parse(page.text, site).links
    except Exception:
        return ()
