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
- ``dead_link``: a website in a url field does not answer (only with link checks).

Redirects are not judged; structured checks apply to typed pages only.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from .profile import FieldSpec, PageType, Profile
from .records import LinkGraph, Record, Value

KINDS = (
    "missing_field",
    "empty_field",
    "invalid_value",
    "unknown_param",
    "duplicate_param",
    "no_template",
    "uncategorized",
    "stub",
    "orphan",
    "red_link",
    "dead_end",
    "dead_link",
)


@dataclass(frozen=True)
class Gap:
    page: str
    type: str | None
    kind: str
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
        if record.redirect or record.error:
            continue
        pages[record.type or ""] += 1
        page_type = profile.type(record.type) if record.type else None
        if page_type is not None:
            gaps += _field_gaps(record, page_type, profile)
        gaps += _page_gaps(record, profile, graph)
        if page_type is not None and link_status:
            gaps += _dead_links(record, page_type, link_status)
    return GapReport(
        gaps=tuple(gaps),
        fills=tuple(_fills(records, profile)),
        pages=dict(pages),
        errors=tuple((r.title, r.error) for r in records if r.error),
    )


def _field_gaps(record: Record, page_type: PageType, profile: Profile) -> Iterable[Gap]:
    def gap(kind: str, field: str | None, detail: str) -> Gap:
        return Gap(record.title, page_type.key, kind, field, detail)

    if record.typed_by == "category":
        yield gap(
            "no_template",
            None,
            f"in Catégorie:{page_type.category} without {{{{{page_type.templates[0]}}}}}",
        )
        return
    present = {v.name: v for v in record.values}
    for spec in page_type.fields:
        value = next((present[n] for n in (spec.name, *spec.aliases) if n in present), None)
        if value is None:
            if spec.required:
                yield gap("missing_field", spec.name, "required")
            continue
        if value.dynamic:
            continue
        if is_empty(value.text, profile):
            shown = f"placeholder {value.text!r}" if value.text else "empty"
            yield gap("empty_field", spec.name, shown)
            continue
        reason = invalid(spec, value, profile)
        if reason:
            yield gap("invalid_value", spec.name, reason)
    for name in present:
        if page_type.field(name) is None:
            yield gap("unknown_param", name, f"not a field of {page_type.key}")
    for name in record.repeated:
        yield gap(
            "duplicate_param", name, f"given twice; the last value is kept: {present[name].text!r}"
        )


def _page_gaps(record: Record, profile: Profile, graph: LinkGraph) -> Iterable[Gap]:
    def gap(kind: str, detail: str, field: str | None = None) -> Gap:
        return Gap(record.title, record.type, kind, field, detail)

    if not record.categories:
        yield gap("uncategorized", "in no category")
    if record.stub:
        yield gap("stub", "stub banner")
    elif record.body_chars < profile.stub_min_chars:
        yield gap(
            "stub", f"{record.body_chars} characters of text (fewer than {profile.stub_min_chars})"
        )
    if not _linked(record.title, graph):
        yield gap("orphan", "no page links to it")
    if not record.links:
        yield gap("dead_end", "links to no page")
    for target in record.links:
        if (
            target not in graph.existing
            and target != record.title
            and graph.namespace(target) in graph.namespaces
        ):
            yield gap("red_link", f"links to {target!r}, which does not exist")


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
                    "dead_link",
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
                value = next(
                    (record.value(n) for n in (spec.name, *spec.aliases) if record.value(n)), None
                )
                if value is not None and (value.dynamic or not is_empty(value.text, profile)):
                    filled += 1
            yield FieldFill(page_type.key, spec.name, filled, len(typed))


# --- values -----------------------------------------------------------------------------
def is_empty(text: str, profile: Profile) -> bool:
    """Empty, a placeholder of the profile, or nothing but punctuation ("…", "-", "?")."""
    folded = text.strip().casefold()
    return not folded or folded in profile.placeholders or not any(c.isalnum() for c in folded)


def fold(text: str) -> str:
    """Case and accents folded, for comparisons: "Économique" matches "Economique"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


EMAIL = re.compile(r"^[^@\s<>()\[\],;:]+@[^@\s<>()\[\],;:]+\.[a-z]{2,}$", re.IGNORECASE)
NUMBER = r"[-+]?\d{1,3}(?:[.,]\d+)?"
COORDINATES = re.compile(rf"^\s*({NUMBER})\s*[,;/ ]\s*({NUMBER})\s*$")
MONTHS = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre "
    "décembre janv févr fevrier aout decembre sept oct nov déc dec"
).split()
DAYS = "lundi mardi mercredi jeudi vendredi samedi dimanche".split()
DATE_FORMS = (
    re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}[:h]\d{2}(?::\d{2})?Z?)?$"),
    re.compile(r"^\d{1,2}[/.]\d{1,2}[/.]\d{4}(?:,? \d{1,2}[:h]\d{0,2})?$"),
    re.compile(
        rf"^(?:(?:{'|'.join(DAYS)}) )?(?:1er|\d{{1,2}}) (?:{'|'.join(MONTHS)})\.? "
        rf"\d{{4}}(?:,? (?:à )?\d{{1,2}} ?h ?(?:\d{{2}})?)?$"
    ),
    re.compile(rf"^(?:{'|'.join(MONTHS)}) \d{{4}}$"),
    re.compile(r"^\d{4}$"),
)


def invalid(spec: FieldSpec, value: Value, profile: Profile) -> str | None:
    """Why a non-empty value is not of its field's kind, or None when it is."""
    text = value.text
    if spec.kind == "url":
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or "." not in parts.netloc or " " in text:
            return f"not a web address (http:// or https://): {text!r}"
    elif spec.kind == "email":
        address = text.removeprefix("mailto:")
        if not EMAIL.match(address):
            return f"not an e-mail address: {text!r}"
    elif spec.kind == "coordinates":
        found = COORDINATES.match(text)
        if not found:
            return f"not coordinates (latitude, longitude in degrees): {text!r}"
        lat, lon = (float(n.replace(",", ".")) for n in found.groups())
        if not -90 <= lat <= 90:
            return f"latitude {lat} out of range (-90 to 90)"
        if not -180 <= lon <= 180:
            return f"longitude {lon} out of range (-180 to 180)"
    elif spec.kind == "date":
        if not any(form.match(fold(text)) or form.match(text.casefold()) for form in DATE_FORMS):
            return f"not a date: {text!r}"
    elif spec.kind in ("enum", "multi-enum") and spec.values:
        allowed = {fold(v) for v in spec.values}
        items = value.items if spec.kind == "multi-enum" else (text,)
        wrong = [i for i in items if fold(i) not in allowed]
        if wrong:
            return (
                f"{', '.join(repr(w) for w in wrong)} not in the allowed list "
                f"({', '.join(spec.values)})"
            )
    elif spec.kind == "licence" and profile.licences:
        known = [fold(name) for name in profile.licences]
        wrong = [i for i in value.items if not any(fold(i).startswith(k) for k in known)]
        if wrong:
            return f"{', '.join(repr(w) for w in wrong)}: not a known licence"
    return None


MONTH_NUMBERS = {
    "janvier": 1,
    "janv": 1,
    "fevrier": 2,
    "fevr": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "septembre": 9,
    "sept": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
}


def parse_day(text: str) -> dt.date | None:
    """The day a date value names (ISO, dd/mm/yyyy, or French words such as "vendredi
    11 octobre 2024, 18h"), or None."""
    folded = fold(text)
    found = re.match(r"(\d{4})-(\d{2})-(\d{2})", folded)
    if found:
        year, month, day = map(int, found.groups())
    elif found := re.match(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", folded):
        day, month, year = map(int, found.groups())
    elif found := re.search(r"(1er|\d{1,2}) ([a-z]+)\.? (\d{4})", folded):
        month = MONTH_NUMBERS.get(found.group(2), 0)
        day, year = int(found.group(1).replace("1er", "1")), int(found.group(3))
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None
