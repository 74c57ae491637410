"""Entry points over a store: the library calls behind ``movisync records`` and
``movisync gaps``. They read the store (and, when asked, external websites) and hand
typed values to the pure modules."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from dataclasses import asdict, replace

from .client import user_agent
from .dupes import DupeReport, detect_duplicates
from .errors import ConfigError, StoreError
from .gaps import KINDS, GapReport, LinkStatus, detect_gaps
from .history import Snapshot, snapshot
from .links import check_urls
from .profile import Profile
from .records import (
    Record,
    effective_profile,
    load_graph,
    load_records,
    page_categories,
    paused_gc,
    template_categories,
    template_redirects,
)
from .report import ReportData
from .report import build as build_report
from .schema import TemplateUse, describe, infer_profile
from .site import CATEGORY, TEMPLATE
from .store import Store
from .templates import Call, parse


def records(store: Store, profile: Profile, *, types: Collection[str] = ()) -> list[Record]:
    """Records of the store's content pages, optionally of some page types only."""
    _check_types(profile, types)
    found = load_records(store, profile)
    return [r for r in found if not types or r.type in types]


def find_gaps(
    store: Store,
    profile: Profile,
    *,
    types: Collection[str] = (),
    kinds: Collection[str] = (),
    pages: Collection[str] = (),
    check_links: bool = False,
    link_max_age_days: int = 7,
    contact: str = "",
    curated: str | None = None,
) -> GapReport:
    """Gaps of the store's content pages, filtered by type, kind and page title.

    Links from movisync's curated pages (under ``curated``, by default
    "<project namespace>:Movisync") do not count. With ``check_links``, the websites in
    url fields are checked (cached in the store for
    ``link_max_age_days``) and unreachable ones become ``dead_link`` gaps.
    """
    _check_types(profile, types)
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ConfigError(f"unknown gap kind(s) {', '.join(unknown)}; known: {', '.join(KINDS)}")
    found = load_records(store, profile)
    status = None
    if check_links:  # only the websites of the pages asked for
        chosen = [
            r for r in found if (not types or r.type in types) and (not pages or r.title in pages)
        ]
        status = _link_status(store, profile, chosen, link_max_age_days, contact)
    graph = load_graph(store, ignore_prefix=curated_prefix(store, curated))
    with paused_gc():  # many gaps, no cycles
        report = detect_gaps(found, profile, graph, link_status=status)
    kept = tuple(
        g
        for g in report.gaps
        if (not types or g.type in types)
        and (not kinds or g.kind in kinds)
        and (not pages or g.page in pages)
    )
    return replace(report, gaps=kept)


def curated_prefix(store: Store, prefix: str | None) -> str:
    """Where movisync's own pages live: as configured, or "<project namespace>:Movisync"."""
    if prefix:
        return prefix
    site = store.site()
    project = site.namespace(4) if site else None
    return f"{project.name if project else 'Project'}:Movisync"


def _check_types(profile: Profile, types: Collection[str]) -> None:
    for key in types:
        profile.type(key)  # raises ConfigError naming the known types


def _link_status(
    store: Store, profile: Profile, found: list[Record], max_age_days: int, contact: str
) -> dict[str, LinkStatus]:
    urls = set()
    for record in found:
        if record.type is None:
            continue
        page_type = profile.type(record.type)
        for value in record.values:
            spec = page_type.field(value.name)
            if spec is not None and spec.kind == "url" and value.text.startswith("http"):
                urls.add(value.text)
    cutoff = (dt.date.today() - dt.timedelta(days=max_age_days)).isoformat()
    cached = {
        url: LinkStatus(url, *row) for url, row in store.link_checks().items() if row[2] >= cutoff
    }
    fresh = check_urls(sorted(urls - set(cached)), user_agent=user_agent(contact))
    store.save_link_checks((s.url, s.ok, s.detail, s.checked) for s in fresh.values())
    return {**cached, **fresh}


def _calls_and_categories(
    store: Store,
) -> tuple[dict[str, tuple[Call, ...]], dict[str, tuple[str, ...]]]:
    site = store.site()
    if site is None:
        raise StoreError(f"{store.path} holds no wiki yet; run `movisync pull` first")
    redirects = template_redirects(store)
    added = template_categories(store)
    calls: dict[str, tuple[Call, ...]] = {}
    categories: dict[str, tuple[str, ...]] = {}
    for page in store.pages(namespaces=site.content_namespaces()):
        if page.redirect:
            continue
        try:
            parsed = parse(page.text, site, redirects=redirects)
        except Exception:  # reported by `movisync gaps`; the schema does without the page
            continue
        calls[page.title] = parsed.calls
        categories[page.title] = page_categories(page, parsed, added)
    return calls, categories


def _prefix(store: Store, ns_id: int, default: str) -> str:
    site = store.site()
    ns = site.namespace(ns_id) if site else None
    return f"{ns.name if ns else default}:"


def template_schema(store: Store, profile: Profile) -> list[TemplateUse]:
    """Every template the content pages use, with parameter fill rates and samples."""
    calls, _ = _calls_and_categories(store)
    return describe(calls, effective_profile(store, profile), _prefix(store, TEMPLATE, "Template"))


def infer_profile_toml(store: Store, *, min_pages: int = 3) -> str:
    """A profile TOML learned from the wiki's template use, to edit and keep."""
    calls, categories = _calls_and_categories(store)
    return infer_profile(
        calls,
        categories,
        template_prefix=_prefix(store, TEMPLATE, "Template"),
        category_prefix=_prefix(store, CATEGORY, "Category"),
        min_pages=min_pages,
    )


def find_duplicates(
    store: Store,
    profile: Profile,
    *,
    types: Collection[str] = (),
    threshold: int | None = None,
) -> DupeReport:
    """Near-duplicate pairs among the store's content pages (of some types only, if
    given), without the pairs on the "not a duplicate" list."""
    _check_types(profile, types)
    found = [r for r in load_records(store, profile) if not types or r.type in types]
    rejected = [(a, b) for a, b, _, _ in store.not_duplicates()]
    return detect_duplicates(found, profile, rejected=rejected, threshold=threshold)


def reject_pair(store: Store, a: str, b: str, *, remove: bool = False, source: str = "cli") -> None:
    """Say that two pages are not duplicates (or take it back)."""
    today = dt.date.today().isoformat()
    store.set_not_duplicate(a, b, source=source, added=today, remove=remove)


def record_snapshot(store: Store, gaps: GapReport, dupes: DupeReport | None = None) -> Snapshot:
    """Keep the state the reports describe (call with unfiltered reports)."""
    cursor = store.state("cursor") or {}
    at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    taken = snapshot(gaps, dupes, rc_id=int(cursor.get("rcid", 0)), at=at)
    store.add_snapshot(taken.at, json.dumps(asdict(taken), ensure_ascii=False))
    return taken


def snapshots(store: Store) -> list[Snapshot]:
    """Every snapshot, oldest first."""
    return [Snapshot(**json.loads(row)) for row in store.snapshot_rows()]


def report_data(store: Store, profile: Profile, *, curated: str | None = None) -> ReportData:
    """What `movisync report` shows: takes a fresh snapshot, then gathers history, the
    worst pages and the duplicate clusters."""
    gaps = find_gaps(store, profile, curated=curated)
    dupes = find_duplicates(store, profile)
    record_snapshot(store, gaps, dupes)
    site = store.site()
    api = store.meta("api")
    index_url = (
        api.rsplit("/", 1)[0] + "/index.php" if api else f"{site.server if site else ''}/index.php"
    )
    return build_report(
        snapshots(store),
        gaps,
        dupes,
        sitename=site.sitename if site else "",
        index_url=index_url,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        labels={t.key: t.plural for t in profile.types},
    )
