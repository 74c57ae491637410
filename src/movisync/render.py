"""Curated pages as wikitext: directories, activities, gap worklists, duplicate reviews.

Pure: records and findings in, wikitext out, in the wiki's language (the profile's
words and labels; namespace names from siteinfo). Every value taken from a page is
escaped so that it cannot break a table, add a category, call a template or sign a
message on the curated page.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .dupes import DupeReport
from .gaps import GapKind, GapReport
from .kinds import KINDS
from .profile import PageType, Profile, Words
from .records import Record
from .text import escape, fold_words


def order_key(title: str) -> tuple[str, str]:
    """Alphabetical for people ("Écluse" near "Eau"), total for stable output."""
    return fold_words(title), title


def link(title: str) -> str:
    """A link to a page (a leading colon, so a category or file is linked, not used)."""
    return f"[[:{title}]]"


@dataclass(frozen=True)
class Block:
    """The content of one owned block on one page."""

    page: str
    id: str
    text: str
    reviewers_write: bool = False
    """People write in the last column of its rows (verdicts): not a hand edit."""


def table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ['{| class="wikitable sortable"', "! " + " !! ".join(head)]
    for row in rows:
        lines += ["|-", "| " + " || ".join(row)]
    lines.append("|}")
    return "\n".join(lines)


def directory(
    records: Sequence[Record], page_type: PageType, title: str, words: Words, template_ns: str
) -> Block:
    """Every page of a type, with its main fields, like Movilab's "Liste des Tiers-Lieux"."""
    typed = sorted(
        (r for r in records if r.type == page_type.key and not r.redirect),
        key=lambda r: order_key(r.title),
    )
    shown = [f for f in page_type.fields if f.required or f.recommended][:6]
    head = [words.page, *(f.title for f in shown), words.modified]
    rows = []
    for record in typed:
        cells = [link(record.title)]
        for spec in shown:
            value = record.field_value(spec)
            text = value.text if value is not None and value.text and not value.dynamic else ""
            cells.append(KINDS[spec.kind].cell(text, words.website) if text else "")
        cells.append(record.timestamp[:10])
        rows.append(cells)
    template = page_type.templates[0]
    intro = words.directory_intro.format(
        count=len(typed),
        label=escape(page_type.label),
        template=f"{{{{[[{template_ns}:{template}|{template}]]}}}}",
    )
    return Block(title, f"directory-{page_type.key}", intro + "\n" + table(head, rows))


def activities(records: Sequence[Record], profile: Profile, title: str) -> Block:
    """Per activity (the profile's activity fields: themes and tags), the pages that
    document it and the places doing it."""
    by_activity: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    labels: dict[str, str] = {}
    for record in records:
        if record.type is None or record.redirect:
            continue
        for value in record.values:
            if value.name in profile.activity_fields and not value.dynamic:
                for item in value.items or (value.text,):
                    if item:
                        key = fold_words(item)
                        labels.setdefault(key, item)
                        by_activity[key][record.type].add(record.title)
    plural = {t.key: t.plural for t in profile.types}
    lines = []
    for key in sorted(by_activity):
        lines.append(f"== {escape(labels[key])} ==")
        for type_key in sorted(by_activity[key]):
            pages = ", ".join(link(t) for t in sorted(by_activity[key][type_key], key=order_key))
            lines.append(f"* '''{escape(plural.get(type_key, type_key))}''' : {pages}")
    return Block(title, "activities", "\n".join(lines) or profile.words.no_activity)


def worklist(
    gaps: GapReport, page_type: PageType, title: str, words: Words, trend: str = ""
) -> Block:
    """Pages by missing fields for one type, worst pages first, and each field's fill rate."""
    kinds = {
        GapKind.MISSING_FIELD: words.missing,
        GapKind.EMPTY_FIELD: words.empty,
        GapKind.INVALID_VALUE: words.invalid,
    }
    per_page: dict[str, dict[str, str]] = defaultdict(dict)
    for gap in gaps.gaps:
        if gap.type == page_type.key and gap.kind in kinds and gap.field:
            per_page[gap.page][gap.field] = kinds[gap.kind]
    fields = [f.name for f in page_type.fields if any(f.name in v for v in per_page.values())]
    order = sorted(per_page, key=lambda p: (-len(per_page[p]), *order_key(p)))
    rows = [
        [link(p), str(len(per_page[p])), *(per_page[p].get(f, "") for f in fields)] for p in order
    ]
    fills = [f for f in gaps.fills if f.type == page_type.key]
    fill_rows = [[escape(f.field), f"{f.percent:g} %", f"{f.filled}/{f.pages}"] for f in fills]
    parts = [trend] if trend else []
    parts += [
        f"=== {words.to_complete.format(count=len(order))} ===",
        table([words.page, words.gaps_column, *map(escape, fields)], rows),
        f"=== {words.completeness} ===",
        table([words.field, words.filled, words.pages], fill_rows),
    ]
    return Block(title, f"worklist-{page_type.key}", "\n".join(parts))


def review(
    report: DupeReport, title: str, verdicts: Mapping[tuple[str, str], str], words: Words
) -> Block:
    """Pairs to review, with a verdict column a reviewer fills ("doublon" / "pas un
    doublon"). Verdicts already given are kept as they are."""
    rows = []
    for pair in report.pairs:
        verdict = verdicts.get((pair.a, pair.b), "")
        rows.append(
            [
                link(pair.a),
                link(pair.b),
                str(pair.score),
                escape(", ".join(pair.reasons)),
                escape(verdict),
            ]
        )
    intro = words.review_intro.format(yes=words.duplicate, no=words.not_duplicate)
    head = [words.page_a, words.page_b, words.score, words.reasons, words.verdict]
    return Block(title, "duplicates", intro + "\n" + table(head, rows))


ROW = re.compile(
    r"^\|\s*\[\[:([^|\]]+)(?:\|[^\]]*)?\]\]\s*\|\|\s*\[\[:([^|\]]+)(?:\|[^\]]*)?\]\]"
    r"\s*\|\|[^|]*\|\|[^|]*\|\|(.*)$",
    re.MULTILINE,
)


def read_verdicts(text: str, words: Words) -> dict[tuple[str, str], str]:
    """Verdicts written on a review block: (page a, page b) to the words for "duplicate"
    or "not a duplicate"."""
    yes, no = fold_words(words.duplicate), fold_words(words.not_duplicate)
    found: dict[tuple[str, str], str] = {}
    for a, b, verdict in ROW.findall(text):
        said = fold_words(verdict.replace("&#39;", "'"))
        if said in (yes, no):
            first, second = sorted((a.strip(), b.strip()))
            found[(first, second)] = words.not_duplicate if said == no else words.duplicate
    return found
