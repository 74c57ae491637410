"""Curated pages as wikitext: directories, activities, gap worklists, duplicate reviews.

Pure: records and findings in, wikitext out, in French by default (labels from the
profile). Every value taken from a page is escaped so that it cannot break a table,
add a category, call a template or sign a message on the curated page.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .dupes import DupeReport, fold
from .gaps import GapReport
from .profile import PageType, Profile
from .records import Record

# MediaWiki markup that a value must not carry into a table cell, as entities.
ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "[": "&#91;",
    "]": "&#93;",
    "{": "&#123;",
    "}": "&#125;",
    "|": "&#124;",
    "!": "&#33;",
    "~": "&#126;",
    "_": "&#95;",
    "'": "&#39;",
    "=": "&#61;",
}
SAFE_URL = re.compile(r"^https?://[^\s\[\]<>\"{}|'~]+$")
ESCAPE = re.compile("[" + re.escape("".join(ESCAPES)) + "]")
VERDICT_YES, VERDICT_NO = "doublon", "pas un doublon"


def escape(value: str) -> str:
    """A value as inert text in a table cell: table syntax (``|``, ``||``, ``!``),
    templates, links and categories (``{{ }}``, ``[[ ]]``), tags, magic words
    (``__NOTOC__``), signatures (``~~~~``), bold and italics; newlines become spaces."""
    return ESCAPE.sub(lambda m: ESCAPES[m.group(0)], " ".join(value.split()))


def order_key(title: str) -> tuple[str, str]:
    """Alphabetical for people ("Écluse" near "Eau"), total for stable output."""
    return fold(title), title


def link(title: str, text: str | None = None) -> str:
    """A link to a page (a leading colon, so a category or file is linked, not used)."""
    return f"[[:{title}|{escape(text or title)}]]" if text else f"[[:{title}]]"


@dataclass(frozen=True)
class Block:
    """The content of one owned block on one page."""

    page: str
    id: str
    text: str


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ['{| class="wikitable sortable"', "! " + " !! ".join(head)]
    for row in rows:
        lines += ["|-", "| " + " || ".join(row)]
    lines.append("|}")
    return "\n".join(lines)


def _values(record: Record, page_type: PageType, *names: str) -> str:
    for name in names:
        spec = page_type.field(name)
        if spec is None:
            continue
        value = next((record.value(n) for n in (spec.name, *spec.aliases) if record.value(n)), None)
        if value is not None and value.text and not value.dynamic:
            return value.text
    return ""


def directory(records: Sequence[Record], page_type: PageType, title: str) -> Block:
    """Every page of a type, with its main fields, like Movilab's "Liste des Tiers-Lieux"."""
    typed = sorted(
        (r for r in records if r.type == page_type.key and not r.redirect),
        key=lambda r: (fold(r.title), r.title),
    )
    shown = [f for f in page_type.fields if f.required or f.recommended][:6]
    head = ["Page", *[(f.label or f.name) for f in shown], "Dernière modification"]
    rows = []
    for record in typed:
        cells = [link(record.title)]
        for spec in shown:
            text = _values(record, page_type, spec.name)
            if spec.kind == "url" and SAFE_URL.match(text):
                cells.append(f"[{text.replace('_', '%5F')} site]")
            else:
                cells.append(escape(text))
        cells.append(record.timestamp[:10])
        rows.append(cells)
    intro = (
        f"{len(typed)} pages de type ''{escape(page_type.label)}'' "
        f"(modèle {{{{[[Modèle:{page_type.templates[0]}|{page_type.templates[0]}]]}}}})."
    )
    return Block(title, f"directory-{page_type.key}", intro + "\n" + _table(head, rows))


def activities(
    records: Sequence[Record],
    profile: Profile,
    title: str,
    fields: Sequence[str] = ("Theme", "Tags"),
) -> Block:
    """Per activity (themes and tags), the pages that document it and the places doing it."""
    by_activity: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    labels: dict[str, str] = {}
    for record in records:
        if record.type is None or record.redirect:
            continue
        for value in record.values:
            if value.name in fields and not value.dynamic:
                for item in value.items or (value.text,):
                    if item:
                        key = fold(item)
                        labels.setdefault(key, item)
                        by_activity[key][record.type].add(record.title)
    plural = {t.key: t.plural for t in profile.types}
    lines = []
    for key in sorted(by_activity):
        lines.append(f"== {escape(labels[key])} ==")
        for type_key in sorted(by_activity[key]):
            pages = ", ".join(link(t) for t in sorted(by_activity[key][type_key], key=order_key))
            lines.append(f"* '''{escape(plural.get(type_key, type_key))}''' : {pages}")
    return Block(title, "activities", "\n".join(lines) or "Aucune activité renseignée.")


def worklist(gaps: GapReport, page_type: PageType, title: str, trend: str = "") -> Block:
    """Pages by missing fields for one type, worst pages first, and each field's fill rate."""
    kinds = {"missing_field": "manquant", "empty_field": "vide", "invalid_value": "invalide"}
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
        f"=== Pages à compléter ({len(order)}) ===",
        _table(["Page", "Manques", *map(escape, fields)], rows),
        "=== Complétude des champs ===",
        _table(["Champ", "Rempli", "Pages"], fill_rows),
    ]
    return Block(title, f"worklist-{page_type.key}", "\n".join(parts))


def review(report: DupeReport, title: str, verdicts: Mapping[tuple[str, str], str]) -> Block:
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
    intro = (
        f"Écrire « {VERDICT_YES} » ou « {VERDICT_NO} » dans la colonne Verdict : "
        f"les paires « {VERDICT_NO} » ne seront plus proposées."
    )
    return Block(
        title,
        "duplicates",
        intro + "\n" + _table(["Page A", "Page B", "Score", "Raisons", "Verdict"], rows),
    )


ROW = re.compile(
    r"^\|\s*\[\[:([^|\]]+)(?:\|[^\]]*)?\]\]\s*\|\|\s*\[\[:([^|\]]+)(?:\|[^\]]*)?\]\]"
    r"\s*\|\|[^|]*\|\|[^|]*\|\|(.*)$",
    re.MULTILINE,
)


def read_verdicts(text: str) -> dict[tuple[str, str], str]:
    """Verdicts written on a review block: (page a, page b) to "doublon" or "pas un doublon"."""
    found: dict[tuple[str, str], str] = {}
    for a, b, verdict in ROW.findall(text):
        said = fold(verdict.replace("&#39;", "'"))
        if said in (fold(VERDICT_YES), fold(VERDICT_NO)):
            first, second = sorted((a.strip(), b.strip()))
            found[(first, second)] = VERDICT_NO if said == fold(VERDICT_NO) else VERDICT_YES
    return found
