"""Pages into records: their type, their fields with normalised values, and what the
gap finder needs (links, categories, banners, body length).

Reading a page has two steps. Parsing (:func:`parse_page`) depends on the page's text
and the wiki's names only, so it is cached in the store by revision: a run after an
incremental pull parses only the pages that changed, and a change of profile parses
nothing. Typing (:func:`record_of`) applies the profile to a parsed page; it is cheap
and done in memory. Parsing uses every core when there is enough to parse; a page the
parser cannot read gives a record with ``error`` set, and the run goes on.
"""

from __future__ import annotations

import ctypes
import gc
import hashlib
import json
import logging
import os
import re
import signal
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from typing import Any

from .declared import (
    allows_list,
    allows_patterns,
    read_form,
    read_property,
    read_template,
    transcluded,
)
from .errors import StoreFull, StoreReadOnly
from .i18n import _
from .identifiers import find_identifiers
from .profile import FieldSpec, PageType, Profile, templatedata
from .schema import Usage, WikiFacts, usage
from .site import CATEGORY, MEDIAWIKI, TEMPLATE, SiteInfo
from .store import Page, Store
from .templates import Call, Param, parse

log = logging.getLogger(__name__)
# Below this many pages to parse, worker processes cost more than they save.
PARALLEL_FROM = 200
PARSE_VERSION = 9  # bump when parse_page changes: older cached parses are redone
SKETCH_SIZE = 32
SHINGLE = 4
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Value:
    """One parameter of the type template, as the page fills it.

    ``text`` is the value without comments and wiki markup (for a url field, the first
    external link's URL); ``items`` splits it on the field's separator for list fields;
    ``dynamic`` marks a value computed by a template or parser function
    (``{{#if:...}}``), which cannot be judged from the text.
    """

    name: str
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
    identifiers: str = ""
    """Phones, e-mails, website hosts and street addresses anywhere in the text,
    the places and postcodes the prose names, normalised and prefixed by their kind
    (``tel:``, ``mail:``, ``host:``, ``addr:``, ``in:``, ``cp:``), and the names
    inside its sentences (``name:``)."""

    def value(self, name: str) -> Value | None:
        return next((v for v in self.values if v.name == name), None)

    def field_value(self, spec: FieldSpec) -> Value | None:
        """The value filling ``spec``, by its name or an alias."""
        return next((v for n in spec.names if (v := self.value(n)) is not None), None)


@dataclass(frozen=True)
class ParsedPage:
    """What a revision's wikitext says, independently of any profile (cached).

    Template pages also say what they add to the pages that call them (their text
    outside ``<noinclude>``, or only their ``<onlyinclude>`` part): categories and links,
    which pages from a dump, with no link tables, get that way; and their TemplateData.
    """

    page_id: int
    rev_id: int
    calls: tuple[Call, ...] = ()
    """Every template call, the template titles as written (redirects not followed)."""
    links: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    body_chars: int = 0
    sketch: tuple[int, ...] = ()
    identifiers: str = ""
    error: str | None = None
    adds_categories: tuple[str, ...] = ()
    adds_links: tuple[str, ...] = ()
    templatedata: Mapping[str, Any] | None = field(default=None, compare=False)
    declared: Mapping[str, Any] | None = field(default=None, compare=False)
    """What a schema page declares, as JSON: a template's parameters and properties
    (``template``), a form (``form``), a property (``property``), an allowed-values list
    (``list``) or the allowed patterns (``patterns``); see :mod:`movisync.declared`."""


def identifiers_of(text: str) -> str:
    """The identifiers a text holds, each prefixed by its kind, sorted, one a line (one
    string: cheap to cache and to load; only near-duplicates read it)."""
    found = find_identifiers(text)
    return "\n".join(
        sorted(
            [f"tel:{x}" for x in found.phones]
            + [f"mail:{x}" for x in found.emails]
            + [f"host:{x}" for x in found.hosts]
            + [f"addr:{x}" for x in found.addresses]
            + [f"in:{x}" for x in found.places]
            + [f"cp:{x}" for x in found.postcodes]
            + [f"name:{x}" for x in found.names]
        )
    )


def body_sketch(text: str, size: int = SKETCH_SIZE) -> tuple[int, ...]:
    """The ``size`` smallest CRC-32 hashes of the text's 4-word shingles (a bottom-k
    MinHash sketch): two sketches estimate the texts' Jaccard similarity."""
    words = WORD.findall(text.casefold())
    shingles = {" ".join(words[i : i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}
    shingles.discard("")
    return tuple(sorted({zlib.crc32(s.encode()) for s in shingles})[:size])


ALLOWS_LIST = "Smw allows list "
ALLOWS_PATTERN = "Smw allows pattern"


def template_declaration(text: str, site: SiteInfo, body: str) -> dict[str, Any]:
    """A template page's declaration, as JSON; ``body`` is the plain text it transcludes
    (a banner's words: "Cette page est une ébauche")."""
    declared = read_template(text, site)
    return {
        "params": list(declared.params),
        "properties": dict(declared.properties),
        "lists": dict(declared.lists),
        "body": body[:300],
    }


def declaration(page: Page, site: SiteInfo) -> dict[str, Any] | None:
    """What a form, property or Semantic MediaWiki list page declares, as JSON."""
    role = site.role(page.ns)
    if role == "form":
        return {"form": asdict(read_form(page.text))}
    if role == "property":
        return {"property": asdict(read_property(page.text))}
    if page.ns == MEDIAWIKI:
        name = site.split_title(page.title)[1]
        if name.startswith(ALLOWS_LIST):
            return {"list": [name.removeprefix(ALLOWS_LIST).strip(), allows_list(page.text)]}
        if name == ALLOWS_PATTERN:
            return {"patterns": allows_patterns(page.text)}
    return None


MAX_NESTING = 30
"""Templates nested deeper than this are beyond mwparserfromhell's tokenizer (it reads
about 33 levels, then takes the rest for text, which would lose fields)."""
BRACES = re.compile(r"\{\{|\}\}")


def nesting(text: str) -> int:
    """How deep ``{{`` ... ``}}`` pairs nest in a text (a quick count, not a parse)."""
    depth = deepest = 0
    for found in BRACES.finditer(text):
        depth = depth + 1 if found.group() == "{{" else max(0, depth - 1)
        deepest = max(deepest, depth)
    return deepest


def parse_page(page: Page, site: SiteInfo) -> ParsedPage:
    """Parse one page. Never raises on bad wikitext: ``error`` says why."""
    if (depth := nesting(page.text)) > MAX_NESTING:
        return ParsedPage(
            page.page_id,
            page.rev_id,
            error=f"templates nested {depth} deep: movisync reads up to {MAX_NESTING}",
        )
    try:
        parsed = parse(page.text, site)
        extra: dict[str, Any] = {}
        if page.ns == TEMPLATE:
            added = parse(transcluded(page.text), site)
            extra = dict(
                adds_categories=added.categories,
                adds_links=added.links,
                templatedata=templatedata(page.text),
                declared={"template": template_declaration(page.text, site, added.body)},
            )
        elif (declared := declaration(page, site)) is not None:
            extra = dict(declared=declared)
    except (RecursionError, MemoryError) as exc:
        return ParsedPage(page.page_id, page.rev_id, error=f"{type(exc).__name__}: too deep")
    except Exception as exc:  # a parser bug on hostile text must not stop a run
        return ParsedPage(page.page_id, page.rev_id, error=f"{type(exc).__name__}: {exc}")
    return ParsedPage(
        page.page_id,
        page.rev_id,
        calls=parsed.calls,
        links=parsed.links,
        categories=parsed.categories,
        body_chars=len(parsed.body),
        sketch=body_sketch(parsed.body),
        identifiers=identifiers_of(page.text),
        **extra,
    )


def to_json(parsed: ParsedPage) -> str:
    """The cached form: compact arrays, parameters as [name, text, url, dynamic]."""
    data: dict[str, Any] = {
        "c": [
            [c.template, [[p.name, p.text, p.url, int(p.dynamic)] for p in c.params]]
            for c in parsed.calls
        ],
        "l": parsed.links,
        "k": parsed.categories,
        "b": parsed.body_chars,
        "s": parsed.sketch,
    }
    if parsed.identifiers:
        data["i"] = parsed.identifiers
    if parsed.error:
        data["e"] = parsed.error
    if parsed.adds_categories or parsed.adds_links or parsed.templatedata:
        data["t"] = [parsed.adds_categories, parsed.adds_links, parsed.templatedata]
    if parsed.declared:
        data["d"] = parsed.declared
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def from_json(page_id: int, rev_id: int, text: str) -> ParsedPage:
    data = json.loads(text)
    adds_categories, adds_links, declared = data.get("t", ((), (), None))
    return ParsedPage(
        page_id,
        rev_id,
        calls=tuple(
            Call(name, tuple(Param(p[0], p[1], p[2], bool(p[3])) for p in params))
            for name, params in data["c"]
        ),
        links=tuple(data["l"]),
        categories=tuple(data["k"]),
        body_chars=data["b"],
        sketch=tuple(data["s"]),
        identifiers=data.get("i", ""),
        error=data.get("e"),
        adds_categories=tuple(adds_categories),
        adds_links=tuple(adds_links),
        templatedata=declared,
        declared=data.get("d"),
    )


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


# --- parsing with the cache ---------------------------------------------------------------
def parse_key(site: SiteInfo) -> str:
    """Parses depend on the parser's version and the wiki's names only (namespaces,
    magic words, redirect words): not on the profile, nor on when the site was read."""
    blob = json.dumps(
        [
            PARSE_VERSION,
            [[n.id, n.name, n.canonical, n.case, list(n.aliases)] for n in site.namespaces],
            sorted(site.magic_words),
            list(site.redirect_words),
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@paused_gc()  # many parsed pages, no cycles
def load_parsed(
    store: Store,
    site: SiteInfo,
    revisions: Mapping[int, int],
    *,
    workers: int | None = None,
    parsed_now: list[int] | None = None,
) -> dict[int, ParsedPage]:
    """Parsed pages for ``revisions`` (page id to revision id): from the cache where the
    revision is unchanged, parsed (on every core) and cached where not. The ids parsed
    are appended to ``parsed_now`` when given. A read-only store is read, not written."""
    key = parse_key(site)
    cached = store.cached_records(key)
    found: dict[int, ParsedPage] = {}
    stale: list[int] = []
    for page_id, rev_id in revisions.items():
        hit = cached.get(page_id)
        if hit is not None and hit[0] == rev_id:
            found[page_id] = from_json(page_id, rev_id, hit[1])
        else:
            stale.append(page_id)
    del cached
    if not stale:
        return found
    rows = []
    for parsed, text in _parse_all(store.pages(ids=stale), site, len(stale), workers):
        found[parsed.page_id] = parsed
        rows.append((parsed.page_id, parsed.rev_id, text))
    if parsed_now is not None:
        parsed_now.extend(stale)
    try:  # the cache saves time next run; without it nothing is lost
        with store.transaction():
            store.cache_records(key, rows)
    except (StoreReadOnly, StoreFull) as exc:
        log.warning(_("the parses were not cached: %s"), exc)
    return found


def _parse_all(
    pages: Iterable[Page], site: SiteInfo, count: int, workers: int | None
) -> Iterator[tuple[ParsedPage, str]]:
    cores = workers or os.cpu_count() or 1
    if cores < 2 or count < PARALLEL_FROM:
        for page in pages:
            parsed = parse_page(page, site)
            yield parsed, to_json(parsed)
        return
    chunk = max(1, min(64, count // (cores * 8)))
    with ProcessPoolExecutor(cores, initializer=_init_worker, initargs=(site,)) as pool:
        for text in pool.map(_parse_in_worker, pages, chunksize=chunk):
            page_id, rev_id, data = text.split("\x1f", 2)
            yield from_json(int(page_id), int(rev_id), data), data


_WORKER: dict[str, SiteInfo] = {}


def _init_worker(site: SiteInfo) -> None:
    """A parse worker: dies with its parent (Linux: the parent-death signal), lets
    Ctrl-C reach the parent only."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER["site"] = site


def _parse_in_worker(page: Page) -> str:
    parsed = parse_page(page, _WORKER["site"])
    return f"{parsed.page_id}\x1f{parsed.rev_id}\x1f{to_json(parsed)}"


# --- typing --------------------------------------------------------------------------------
@dataclass(frozen=True)
class TemplateFacts:
    """What the wiki's template pages say, for typing pages: template redirects, the
    categories and links each template adds, and TemplateData by template name."""

    redirects: Mapping[str, str]
    categories: Mapping[str, tuple[str, ...]]
    links: Mapping[str, tuple[str, ...]]
    declared: Mapping[str, Mapping[str, Any]]


def template_facts(
    pages: Iterable[Page], parsed: Mapping[int, ParsedPage], site: SiteInfo
) -> TemplateFacts:
    """Facts of the template pages among ``pages`` (metadata; their parses in ``parsed``)."""
    template_ns = site.namespace(TEMPLATE)
    prefix = f"{template_ns.name}:" if template_ns else "Template:"
    redirects, categories, links, declared = {}, {}, {}, {}
    for page in pages:
        if page.ns != TEMPLATE:
            continue
        if page.redirect:
            redirects[page.title] = page.redirect
        facts = parsed.get(page.page_id)
        if facts is None:
            continue
        if facts.adds_categories:
            categories[page.title] = facts.adds_categories
        if facts.adds_links:
            links[page.title] = facts.adds_links
        if facts.templatedata is not None:
            declared[page.title.removeprefix(prefix)] = facts.templatedata
    return TemplateFacts(redirects, categories, links, declared)


def wiki_links(page: Page) -> tuple[str, ...]:
    """The links of the wiki's own table, without Semantic MediaWiki annotations: on a wiki
    without the extension, ``[[Property::value]]`` is stored as a link to a page
    "Property::value", which no wiki with it could create."""
    return tuple(link for link in page.links if "::" not in link)


def categories_of(page: Page, parsed: ParsedPage, facts: TemplateFacts) -> tuple[str, ...]:
    """A page's categories: the wiki's own (from the API), or, for a page from a dump,
    those of its text and those its templates add."""
    if page.categories:
        return page.categories
    added = (
        k
        for c in parsed.calls
        for k in facts.categories.get(facts.redirects.get(c.template, c.template), ())
    )
    return tuple(dict.fromkeys([*parsed.categories, *added]))


def wiki_facts(
    pages: Sequence[Page], parsed: Mapping[int, ParsedPage], site: SiteInfo, facts: TemplateFacts
) -> WikiFacts:
    """What the wiki's schema pages declare, and which content pages each category holds
    (for fields whose allowed values are a category's pages)."""
    templates, templatedata, forms, properties, lists, patterns = {}, {}, {}, {}, {}, {}
    members: dict[str, list[str]] = defaultdict(list)
    content = set(site.content_namespaces())
    category_ns = site.namespace(CATEGORY)
    category_prefix = f"{category_ns.name}:" if category_ns else "Category:"
    for page in pages:
        read = parsed.get(page.page_id)
        if read is None or page.redirect:
            continue
        declared = read.declared or {}
        if "template" in declared:
            templates[page.title] = declared["template"]
            if read.templatedata is not None:
                templatedata[page.title] = read.templatedata
        elif "form" in declared:
            forms[page.title] = declared["form"]
        elif "property" in declared:
            properties[site.split_title(page.title)[1]] = declared["property"]
        elif "list" in declared:
            lists[declared["list"][0]] = tuple(declared["list"][1])
        elif "patterns" in declared:
            patterns.update(declared["patterns"])
        if page.ns in content:
            name = site.split_title(page.title)[1]
            for category in categories_of(page, read, facts):
                members[category.removeprefix(category_prefix)].append(name)
    return WikiFacts(
        templates=templates,
        template_categories=facts.categories,
        templatedata=templatedata,
        forms=forms,
        properties=properties,
        lists=lists,
        patterns=patterns,
        members={k: tuple(v) for k, v in members.items()},
        redirects=facts.redirects,
    )


def page_usage(
    pages: Sequence[Page], parsed: Mapping[int, ParsedPage], site: SiteInfo, facts: TemplateFacts
) -> Usage:
    """How the content pages use templates (template redirects followed)."""
    content = set(site.content_namespaces())
    category_ns = site.namespace(CATEGORY)
    used = []
    for page in pages:
        read = parsed.get(page.page_id)
        if page.ns not in content or page.redirect or read is None or read.error:
            continue
        calls = [Call(facts.redirects.get(c.template, c.template), c.params) for c in read.calls]
        used.append((calls, categories_of(page, read, facts)))
    return usage(used, f"{category_ns.name}:" if category_ns else "Category:")


def record_of(
    page: Page, parsed: ParsedPage, profile: Profile, site: SiteInfo, facts: TemplateFacts
) -> Record:
    """A parsed page read with the profile.

    A page pulled from the API has the wiki's own categories and links; one from a dump
    has none, so they are read from its text plus those its templates add.
    """
    base: dict[str, Any] = dict(
        page_id=page.page_id,
        title=page.title,
        ns=page.ns,
        rev_id=page.rev_id,
        timestamp=page.timestamp,
        redirect=page.redirect,
    )
    if parsed.error:
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
            error=parsed.error,
        )
    template_ns = site.namespace(TEMPLATE)
    prefix = f"{template_ns.name}:" if template_ns else "Template:"
    calls = [Call(facts.redirects.get(c.template, c.template), c.params) for c in parsed.calls]
    names = [c.template.removeprefix(prefix) for c in calls]
    categories = categories_of(page, parsed, facts)
    links = wiki_links(page) or tuple(
        dict.fromkeys([*parsed.links, *(t for c in calls for t in facts.links.get(c.template, ()))])
    )
    page_type, typed_by, call = _type_of(profile, calls, names, categories, site)
    values: tuple[Value, ...] = ()
    repeated: tuple[str, ...] = ()
    if call is not None and page_type is not None:
        values = tuple(_value(p, page_type.field(p.name)) for p in call.values().values())
        repeated = call.repeated()
    return Record(
        **base,
        type=page_type.key if page_type else None,
        typed_by=typed_by,
        template=call.template if call else None,
        values=values,
        repeated=repeated,
        templates=tuple(dict.fromkeys(c.template for c in calls)),
        links=links,
        categories=categories,
        banners=tuple(n for n in dict.fromkeys(names) if n in profile.doc_banners),
        stub=any(n in profile.stub_banners for n in names),
        body_chars=parsed.body_chars,
        sketch=parsed.sketch,
        identifiers=parsed.identifiers,
    )


def build_record(
    page: Page,
    profile: Profile,
    site: SiteInfo,
    redirects: Mapping[str, str] | None = None,
    added: Mapping[str, tuple[str, ...]] | None = None,
) -> Record:
    """Parse and read one page (with its text) in one step: for tests and tools."""
    facts = TemplateFacts(redirects or {}, added or {}, {}, {})
    return record_of(page, parse_page(page, site), profile, site, facts)


def _type_of(
    profile: Profile,
    calls: Sequence[Call],
    names: Sequence[str],
    categories: Sequence[str],
    site: SiteInfo,
) -> tuple[PageType | None, str | None, Call | None]:
    for call, name in zip(calls, names, strict=True):
        for page_type in profile.types:
            if name in page_type.templates:
                return page_type, "template", call
    category_ns = site.namespace(CATEGORY)
    prefix = f"{category_ns.name}:" if category_ns else "Category:"
    in_categories = {c.removeprefix(prefix) for c in categories}
    for page_type in profile.types:
        if page_type.category and page_type.category in in_categories:
            return page_type, "category", None
    return None, None, None


def _value(param: Param, spec: FieldSpec | None) -> Value:
    text = param.text
    if spec is not None and spec.kind == "url" and not (text.startswith("http") and " " in text):
        text = param.url or text  # a link's address; a bare address with more text stays whole
    items: tuple[str, ...] = ()
    if spec is not None and spec.multi:
        items = tuple(i.strip() for i in text.split(spec.separator) if i.strip())
    return Value(name=param.name, text=text, items=items, dynamic=param.dynamic)


# --- the link graph ----------------------------------------------------------------------------
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

    def name_of(self, ns_id: int) -> str:
        """A namespace's local name (from the wiki's siteinfo)."""
        return next((name for name, i in self.prefixes.items() if i == ns_id), str(ns_id))


@paused_gc()
def link_graph(
    pages: Iterable[Page],
    parsed: Mapping[int, ParsedPage],
    facts: TemplateFacts,
    site: SiteInfo,
    namespaces: Iterable[int],
    *,
    ignore_prefix: str = "",
) -> LinkGraph:
    """The link graph over every stored page (all pulled namespaces). A page without a
    link table (from a dump) links to what its text and its templates link to. Links
    from pages under ``ignore_prefix`` (movisync's own curated pages, which link to
    everything) do not count: publishing must not hide orphans."""
    existing: set[str] = set()
    redirects: dict[str, str] = {}
    inbound: dict[str, set[str]] = {}
    for page in pages:
        existing.add(page.title)
        if ignore_prefix and (
            page.title == ignore_prefix or page.title.startswith(f"{ignore_prefix}/")
        ):
            continue
        if page.redirect:
            redirects[page.title] = page.redirect
        links: Iterable[str] = wiki_links(page)
        if not links and (read := parsed.get(page.page_id)) is not None:
            called = (facts.redirects.get(c.template, c.template) for c in read.calls)
            links = dict.fromkeys(
                [*read.links, *(t for c in called for t in facts.links.get(c, ()))]
            )
        for target in links:
            inbound.setdefault(target, set()).add(page.title)
    return LinkGraph(
        existing=frozenset(existing),
        redirects=redirects,
        inbound={k: frozenset(v) for k, v in inbound.items()},
        namespaces=frozenset(namespaces),
        prefixes={ns.name: ns.id for ns in site.namespaces if ns.name},
    )
