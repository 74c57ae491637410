"""Gaps: what pages lack, from records and the link graph. Pure: no I/O.

Each gap has a stable ``kind``:

- ``missing_field``: a required field is absent from the type's template call;
- ``empty_field``: a field is present but empty once comments and placeholders ("...",
  "à compléter") are removed;
- ``invalid_value``: a value that is not of its field's kind (``detail`` says why);
- ``unknown_param``: a parameter the type does not define (typos, leftovers);
- ``duplicate_param``: a parameter given twice (MediaWiki keeps the last one);
- ``no_template``: in a type's category, but without the type's template;
- ``uncategorized``: a content page in no category;
- ``stub``: a stub banner, or less text than the profile's ``stub_min_chars`` once
  templates, banners and boilerplate are stripped;
- ``orphan``: no other page links to it, directly or through a redirect;
- ``red_link``: it links to a page of a pulled namespace that does not exist;
- ``dead_end``: it links to no page at all (links added by templates count);
- ``dead_link``: a website in a url field does not answer (only with link checks);
- ``unreadable``: the page could not be read (nested too deep, or a parser failure):
  nothing else is judged on it.

Redirects are not judged; structured checks apply to typed pages only.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .kinds import KINDS
from .profile import FieldSpec, PageType, Profile
from .records import LinkGraph, Record, Value
from .site import CATEGORY


class GapKind(StrEnum):
    MISSING_FIELD = "missing_field"
    EMPTY_FIELD = "empty_field"
    INVALID_VALUE = "invalid_value"
    UNKNOWN_PARAM = "unknown_param"
    DUPLICATE_PARAM = "duplicate_param"
    NO_TEMPLATE = "no_template"
    UNCATEGORIZED = "uncategorized"
    STUB = "stub"
    ORPHAN = "orphan"
    RED_LINK = "red_link"
    DEAD_END = "dead_end"
    DEAD_LINK = "dead_link"
    UNREADABLE = "unreadable"


LABELS: Mapping[GapKind, str] = {
    GapKind.MISSING_FIELD: "champ manquant",
    GapKind.EMPTY_FIELD: "champ vide",
    GapKind.INVALID_VALUE: "valeur invalide",
    GapKind.UNKNOWN_PARAM: "paramètre inconnu",
    GapKind.DUPLICATE_PARAM: "paramètre répété",
    GapKind.NO_TEMPLATE: "sans modèle",
    GapKind.UNCATEGORIZED: "sans catégorie",
    GapKind.STUB: "ébauche",
    GapKind.ORPHAN: "page orpheline",
    GapKind.RED_LINK: "lien rouge",
    GapKind.DEAD_END: "impasse",
    GapKind.DEAD_LINK: "site injoignable",
    GapKind.UNREADABLE: "page illisible",
}
"""Each gap kind in French, as the wiki and the reports show it (a test proves it whole)."""
FIELD_KINDS = frozenset({GapKind.MISSING_FIELD, GapKind.EMPTY_FIELD, GapKind.INVALID_VALUE})
"""Gaps a worklist shows: what a field lacks."""


@dataclass(frozen=True)
class Gap:
    """One gap. (page, kind, field) is its identity from run to run; ``field`` is the
    parameter for field gaps and the missing page's title for red links."""

    page: str
    type: str | None
    kind: GapKind
    field: str | None
    detail: str


@dataclass(frozen=True)
class FieldFill:
    """How many pages of a type fill a field (with a non-empty value)."""

    type: str
    field: str
    filled: int
    pages: int

    @property
    def percent(self) -> float:
        return round(100 * self.filled / self.pages, 1) if self.pages else 0.0


@dataclass(frozen=True)
class LinkStatus:
    """The outcome of checking one external URL."""

    url: str
    ok: bool
    detail: str
    checked: str


@dataclass(frozen=True)
class GapReport:
    gaps: tuple[Gap, ...]
    fills: tuple[FieldFill, ...]
    pages: Mapping[str, int]
    """Number of pages per type (``""`` for free-form pages)."""
    errors: tuple[tuple[str, str], ...]
    """Pages the parser could not read: (title, why)."""
    excepted: tuple[Gap, ...] = ()
    """Field gaps an exception covers (see :mod:`movisync.tracking`): not reported."""

    def summary(self) -> dict[tuple[str, str], int]:
        """Gap counts per (type, kind); free-form pages under type ``""``."""
        return dict(Counter((g.type or "", g.kind) for g in self.gaps))


def detect_gaps(
    records: Sequence[Record],
    profile: Profile,
    graph: LinkGraph,
    *,
    link_status: Mapping[str, LinkStatus] | None = None,
) -> GapReport:
    """Every gap of every record. ``link_status`` (URL to status) adds ``dead_link`` gaps."""
    gaps: list[Gap] = []
    pages: Counter[str] = Counter()
    for record in records:
        if record.redirect:
            continue
        if record.error:
            gaps.append(Gap(record.title, None, GapKind.UNREADABLE, None, record.error))
            continue
        pages[record.type or ""] += 1
        page_type = profile.type(record.type) if record.type else None
        if page_type is not None:
            gaps += _field_gaps(record, page_type, profile, graph)
        gaps += _page_gaps(record, profile, graph)
        if page_type is not None and link_status:
            gaps += _dead_links(record, page_type, link_status)
    return GapReport(
        gaps=tuple(gaps),
        fills=tuple(_fills(records, profile)),
        pages=dict(pages),
        errors=tuple((r.title, r.error) for r in records if r.error),
    )


def _field_gaps(
    record: Record, page_type: PageType, profile: Profile, graph: LinkGraph
) -> Iterable[Gap]:
    def gap(kind: GapKind, field: str | None, detail: str) -> Gap:
        return Gap(record.title, page_type.key, kind, field, detail)

    if record.typed_by == "category":
        category = graph.name_of(CATEGORY)
        yield gap(
            GapKind.NO_TEMPLATE,
            None,
            f"in {category}:{page_type.category} without {{{{{page_type.templates[0]}}}}}",
        )
        return
    present = {v.name: v for v in record.values}
    for spec in page_type.fields:
        value = next((present[n] for n in spec.names if n in present), None)
        if value is None:
            if spec.required:
                yield gap(GapKind.MISSING_FIELD, spec.name, "required")
            continue
        if value.dynamic:
            continue
        if is_empty(value.text, profile):
            shown = f"placeholder {value.text!r}" if value.text else "empty"
            yield gap(GapKind.EMPTY_FIELD, spec.name, shown)
            continue
        reason = invalid(spec, value, profile)
        if reason:
            yield gap(GapKind.INVALID_VALUE, spec.name, reason)
    for name in present:
        if page_type.field(name) is None:
            yield gap(GapKind.UNKNOWN_PARAM, name, f"not a field of {page_type.key}")
    for name in record.repeated:
        yield gap(
            GapKind.DUPLICATE_PARAM,
            name,
            f"given twice; the last value is kept: {present[name].text!r}",
        )


def _page_gaps(record: Record, profile: Profile, graph: LinkGraph) -> Iterable[Gap]:
    def gap(kind: GapKind, detail: str, field: str | None = None) -> Gap:
        return Gap(record.title, record.type, kind, field, detail)

    if not record.categories:
        yield gap(GapKind.UNCATEGORIZED, "in no category")
    if record.stub:
        yield gap(GapKind.STUB, "stub banner")
    elif record.body_chars < profile.stub_min_chars:
        yield gap(
            GapKind.STUB,
            f"{record.body_chars} characters of text (fewer than {profile.stub_min_chars})",
        )
    if not _linked(record.title, graph):
        yield gap(GapKind.ORPHAN, "no page links to it")
    if not record.links:
        yield gap(GapKind.DEAD_END, "links to no page")
    for target in record.links:
        if (
            target not in graph.existing
            and target != record.title
            and graph.namespace(target) in graph.namespaces
        ):
            yield gap(GapKind.RED_LINK, f"links to {target!r}, which does not exist", target)


def _linked(title: str, graph: LinkGraph) -> bool:
    """MediaWiki rule (Special:LonelyPages): a link to a redirect of the page counts, and
    so does the redirect page itself."""
    sources = set(graph.inbound.get(title, ()))
    for redirect, target in graph.redirects.items():
        if target == title:
            sources.add(redirect)
            sources |= graph.inbound.get(redirect, frozenset())
    sources.discard(title)
    return bool(sources)


def _dead_links(
    record: Record, page_type: PageType, status: Mapping[str, LinkStatus]
) -> Iterable[Gap]:
    for value in record.values:
        spec = page_type.field(value.name)
        if spec is not None and spec.kind == "url" and value.text in status:
            checked = status[value.text]
            if not checked.ok:
                yield Gap(
                    record.title,
                    page_type.key,
                    GapKind.DEAD_LINK,
                    spec.name,
                    f"{value.text}: {checked.detail} (checked {checked.checked})",
                )


def _fills(records: Sequence[Record], profile: Profile) -> Iterable[FieldFill]:
    for page_type in profile.types:
        typed = [
            r
            for r in records
            if r.type == page_type.key and r.typed_by == "template" and not r.redirect
        ]
        for spec in page_type.fields:
            filled = 0
            for record in typed:
                value = record.field_value(spec)
                if value is not None and (value.dynamic or not is_empty(value.text, profile)):
                    filled += 1
            yield FieldFill(page_type.key, spec.name, filled, len(typed))


# --- values -----------------------------------------------------------------------------
def is_empty(text: str, profile: Profile) -> bool:
    """Empty, a placeholder of the profile, or nothing but punctuation ("…", "-", "?")."""
    folded = text.strip().casefold()
    return not folded or folded in profile.placeholders or not any(c.isalnum() for c in folded)


def invalid(spec: FieldSpec, value: Value, profile: Profile) -> str | None:
    """Why a non-empty value is not of its field's kind, not among its allowed values or
    not of its pattern, or None when it is fine; the reason names the rule's source. A
    list field is judged item by item."""
    kind = KINDS[spec.kind]
    items = value.items if spec.multi else (value.text,)

    def said(reason: str, rule: str) -> str:
        source = spec.sources.get(rule)
        return f"{reason} ({source})" if source else reason

    problems = [p for item in items if (p := kind.check(item))]
    if problems:
        return said("; ".join(problems), "kind")
    if spec.pattern is not None:
        try:
            pattern = re.compile(spec.pattern)
        except re.error:
            pattern = None
        wrong = [i for i in items if pattern is not None and not pattern.fullmatch(i)]
        if wrong:
            shown = ", ".join(repr(w) for w in wrong)
            return said(f"{shown} does not match {spec.pattern}", "pattern")
    known = spec.values or (profile.licences if kind.vocabulary else ())
    if not known:
        return None
    wrong = [i for i in items if not kind.known(i, known)]
    if not wrong:
        return None
    shown = ", ".join(repr(w) for w in wrong)
    if kind.vocabulary:
        return said(f"{shown}: not a known {kind.name}", "values")
    listed = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
    return said(f"{shown} not an allowed value of {spec.name} ({listed})", "values")
