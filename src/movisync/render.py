"""Curated pages as wikitext: directories, activities, gap worklists, duplicate reviews.

Pure: records and findings in, wikitext out, in the wiki's language (the profile's
words and labels; namespace names from siteinfo). Every value taken from a page is
escaped so that it cannot break a table, add a category, call a template or sign a
message on the curated page.
"""

from __future__ import annotations

import html
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from . import locales
from .activities import CommonsMap, Commun
from .dupes import DupeReport
from .gaps import Gap, GapKind, GapReport
from .kinds import KINDS
from .profile import PageType, Profile, Words
from .records import Record
from .store import GapId, Tracked, Waiver
from .text import escape, fold_words, most_written
from .tracking import identity


def order_key(title: str) -> tuple[str, str]:
    """Alphabetical for people ("Écluse" near "Eau"), total for stable output."""
    return fold_words(title), title


def link(title: str) -> str:
    """A link to a page (a leading colon, so a category or file is linked, not used)."""
    return f"[[:{title}]]"


# What MediaWiki refuses in a title ($wgLegalTitleChars leaves out #<>[]|{} and controls;
# percent-escapes and ~~~ are refused too).
NOT_A_TITLE = re.compile(r"[#<>\[\]|{}\x00-\x1f\x7f]|%[0-9A-Fa-f]{2}|~{3}")


def new_link(title: str) -> str:
    """A (red) link to a page to start, or the name as inert text when MediaWiki would
    refuse it as a title."""
    return escape(title) if NOT_A_TITLE.search(title) or not title.strip() else link(title)


@dataclass(frozen=True)
class Block:
    """The content of one owned block on one page."""

    page: str
    id: str
    text: str
    reviewers_write: bool = False
    """People write in the last column of its rows (verdicts): not a hand edit."""
    moved: bool = False
    """Its list moved to subpages (or, on a subpage no longer needed, back to the page):
    the block shrinks to an index or a pointer, which loses nothing."""


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
    """Per activity (the profile's activity fields: themes and tags, case and accents
    folded), the pages that document it and the places doing it."""
    by_activity: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for record in records:
        if record.type is None or record.redirect:
            continue
        for value in record.values:
            if value.name in profile.activity_fields and not value.dynamic:
                for item in value.items or (value.text,):
                    if item:
                        key = fold_words(item)
                        spellings[key][item.strip()] += 1
                        by_activity[key][record.type].add(record.title)
    plural = {t.key: t.plural for t in profile.types}
    lines = []
    for key in sorted(by_activity):
        lines.append(f"== {escape(most_written(spellings[key]))} ==")
        for type_key in sorted(by_activity[key]):
            pages = ", ".join(link(t) for t in sorted(by_activity[key][type_key], key=order_key))
            lines.append(f"* '''{escape(plural.get(type_key, type_key))}''' : {pages}")
    return Block(title, "activities", "\n".join(lines) or profile.words.no_activity)


def to_document(found: CommonsMap, docs: Sequence[str], title: str, words: Words) -> Block:
    """The activities worth a guide: run by at least ``min_places`` places, documented by
    no page but stubs; each with its places, the closest pages (its stubs, then
    documentation pages sharing a word with it) and a red link to start the guide."""
    rows = []
    for activity in found.undocumented():
        near = [d.title for d in activity.docs]
        words_of = {w for w in activity.key.split() if len(w) >= 4}
        near += [t for t in docs if t not in near and words_of & set(fold_words(t).split())]
        guide = words.guide_title.format(activity=activity.label)
        rows.append(
            [
                escape(activity.label),
                str(len(activity.places)),
                ", ".join(link(p) for p in activity.places),
                ", ".join(link(t) for t in near[:5]),
                new_link(guide),
            ]
        )
    head = [words.activity, words.count, words.places_column, words.closest, words.start]
    intro = words.to_document_intro.format(count=found.min_places)
    body = table(head, rows) if rows else words.nothing
    return Block(title, "to-document", intro + "\n" + body)


def communs(found: CommonsMap, title: str, words: Words) -> Block:
    """Each commun and the places that use it, most used first; then the communs places
    list that have no page, as red links to start them."""
    head = [words.commun, words.count, words.places_column]

    def rows(listed: Sequence[Commun], named: Callable[[str], str]) -> list[list[str]]:
        return [
            [named(c.title), str(len(c.places)), ", ".join(link(p) for p in c.places)]
            for c in listed
        ]

    body = table(head, rows(found.communs, link)) if found.communs else words.nothing
    if found.unwritten:
        body += f"\n== {words.unwritten} ==\n{words.unwritten_intro}\n"
        body += table(head, rows(found.unwritten, new_link))
    return Block(title, "communs", words.communs_intro + "\n" + body)


def edit_link(page: str, page_type: PageType, words: Words, special_ns: str) -> str:
    """Where to fix a page: its Page Forms form (``Special:FormEdit/Form/Page``) when its
    type has one, else the source editor (``{{fullurl:Page|action=edit}}``)."""
    if page_type.form:
        return f"[[{special_ns}:FormEdit/{page_type.form}/{page}|{words.edit_form}]]"
    return f"[{{{{fullurl:{page}|action=edit}}}} {words.edit_source}]"


@dataclass(frozen=True)
class Followed:
    """What a worklist says beside the gaps: each gap's life, the exceptions, the links."""

    log: Mapping[GapId, Tracked]
    since: str | None
    """The moment "new" and "fixed" are counted from (None: the first run)."""
    waivers: Sequence[Waiver]
    inbound: Mapping[str, int]
    """Pages linking to each page: the most linked pages are worth fixing first."""
    special_ns: str
    headline: str


def worklist(
    gaps: GapReport, page_type: PageType, title: str, words: Words, more: Followed
) -> Block:
    """One row per field gap of one type (the field by its label, since when, a link to
    the edit form, a column for exceptions), pages with most gaps and most linked first;
    the exceptions apart; each field's fill rate, with a column for exceptions that hold
    for the whole type."""
    kinds = {
        GapKind.MISSING_FIELD: words.missing,
        GapKind.EMPTY_FIELD: words.empty,
        GapKind.INVALID_VALUE: words.invalid,
    }
    order = {spec.name: i for i, spec in enumerate(page_type.fields)}

    def mine(found: Iterable[Gap]) -> list[Gap]:
        return [g for g in found if g.type == page_type.key and g.kind in kinds and g.field]

    reasons = {(w.page, w.field): w.reason for w in more.waivers if w.type == page_type.key}
    shown = mine(gaps.gaps)
    excepted = [g for g in mine(gaps.excepted) if (g.page, g.field) in reasons]  # type-wide: below
    per_page = Counter(g.page for g in shown)

    def rank(gap: Gap) -> tuple[object, ...]:
        page = gap.page
        return (
            -per_page[page],
            -more.inbound.get(page, 0),
            *order_key(page),
            order.get(gap.field or "", len(order)),
            gap.field,
        )

    def row(gap: Gap, exception: str) -> list[str]:
        spec = page_type.field(gap.field or "")
        tracked = more.log.get(identity(gap))
        since = ""
        if tracked is not None:
            if more.since is not None and tracked.opened > more.since:
                since = words.back if tracked.returns else words.new
            else:
                since = locales.date(tracked.opened, words.language)
        return [
            link(gap.page),
            escape(spec.title if spec else gap.field or ""),
            kinds[gap.kind],
            since,
            edit_link(gap.page, page_type, words, more.special_ns),
            escape(exception),
        ]

    head = [words.page, words.field, words.gap, words.since, words.edit, words.exception_column]
    pages = len(per_page)
    parts = [more.headline] if more.headline else []
    parts += [
        words.worklist_intro.format(
            na=words.not_applicable, exception=words.exception, column=words.exception_column
        ),
        f"=== {words.to_complete.format(count=pages)} ===",
        table(head, (row(g, "") for g in sorted(shown, key=rank))),
    ]
    if excepted:
        kept = sorted(excepted, key=lambda g: (*order_key(g.page), order.get(g.field or "", 0)))
        parts += [
            f"=== {words.exceptions.format(count=len(excepted))} ===",
            table(head, (row(g, reasons.get((g.page, g.field or ""), "")) for g in kept)),
        ]
    fill_rows = [
        [
            escape(spec.title),
            locales.percent(f.percent, words.language),
            f"{f.filled}/{f.pages}",
            escape(reasons.get(("", f.field), "")),
        ]
        for f in gaps.fills
        if f.type == page_type.key and (spec := page_type.field(f.field)) is not None
    ]
    parts += [
        f"=== {words.completeness} ===",
        table([words.field, words.filled, words.pages, words.exception_column], fill_rows),
    ]
    return Block(title, f"worklist-{page_type.key}", "\n".join(parts))


def read_exceptions(text: str, page_type: PageType, words: Words) -> dict[tuple[str, str], str]:
    """What a worklist block's Exception column says, row by row: (page, field) to the
    words written there ("" where nothing is), the page being "" on the completeness
    table's rows (an exception for the whole type). Only « sans objet » and « exception :
    reason » (the profile's words) are exceptions; other words count as nothing. Fields
    are named by label or by name."""
    by_title = {fold_words(spec.title): spec.name for spec in page_type.fields}
    by_title.update((fold_words(spec.name), spec.name) for spec in page_type.fields)
    na, exception = fold_words(words.not_applicable), fold_words(words.exception)
    found: dict[tuple[str, str], str] = {}
    for line in text.splitlines():
        if not line.startswith("| ") or "||" not in line:
            continue
        cells = [c.strip() for c in line[2:].split("||")]
        page = ""
        if (linked := LINKED.fullmatch(cells[0])) is not None:
            page, cells = linked.group(1).strip(), cells[1:]
        if len(cells) < 2:
            continue
        name = by_title.get(fold_words(html.unescape(cells[0])))
        if name is None:
            continue
        said = html.unescape(cells[-1]).strip()
        folded = fold_words(said)
        meant = folded in (na, exception) or folded.startswith(exception + " ")
        found[(page, name)] = said if meant else ""
    return found


LINKED = re.compile(r"\[\[:([^|\]]+)(?:\|[^\]]*)?\]\]")


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


PAGE_LIMIT = 200_000
"""Bytes of wikitext a curated page may hold: longer ones are split into subpages, so that
each opens on a phone (MediaWiki itself refuses pages over $wgMaxArticleSize, 2 MB)."""


def chunks(text: str, limit: int = PAGE_LIMIT) -> tuple[str, list[str]]:
    """A block's text cut where a reader would not mind: (what stays on the page, the
    parts for its subpages), no part passing ``limit`` bytes unless one line does. The
    lines before the first heading or table stay on the page; the rest is cut between
    table rows (the table closed, then opened again with its header row and the heading
    it was under) or between lines outside tables. Nothing is cut when all fits."""
    if len(text.encode()) <= limit:
        return text, []
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.startswith(("=", "{|"))), len(lines))
    # Units that are never cut: a table row (from its "|-"), a table's opening (with its
    # header row) or closing, any line outside tables. Each knows its heading and table.
    units: list[tuple[list[str], str | None, list[str]]] = []
    heading: str | None = None
    table: list[str] = []
    for line in lines[first:]:
        if line.startswith("{|"):
            table = [line]
            units.append(([line], heading, []))
        elif table and line.startswith("!") and len(table) == 1:
            table.append(line)
            units[-1][0].append(line)
        elif table and line.startswith("|}"):
            units.append(([line], heading, []))
            table = []
        elif table and line != "|-" and units[-1][2]:
            units[-1][0].append(line)  # a row's cells, after its "|-"
        else:
            if line.startswith("="):
                heading = line
            units.append(([line], heading, list(table) if line == "|-" else []))
    parts: list[list[str]] = []
    current: list[str] = []
    size = 0
    for unit, under, opened in units:
        needed = sum(len(u.encode()) + 1 for u in unit) + (4 if opened else 0)  # + "|}"
        if current and size + needed > limit:
            if opened:
                current.append("|}")
            parts.append(current)
            current = [under] if under and not unit[0].startswith("=") else []
            current += opened
            size = sum(len(c.encode()) + 1 for c in current)
        current += unit
        size += needed - (4 if opened else 0)
    parts.append(current)
    return "\n".join(lines[:first]), ["\n".join(part) for part in parts]


def subpage_index(main: str, parts: Sequence[str], title: str, words: Words) -> str:
    """What the page says when its list is on subpages: one line per subpage, with the
    first and last pages it lists."""
    lines = [main] if main else []
    subpages = locales.counted(len(parts), words.subpage_forms, words.language)
    lines.append(words.split_intro.format(subpages=subpages))
    for number, part in enumerate(parts, 1):
        named = LINKED.findall(part)
        span = f" : {link(named[0])} … {link(named[-1])}" if named else ""
        lines.append(f"* [[{title}/{number}|{title.rsplit('/', 1)[-1]} ({number})]]{span}")
    return "\n".join(lines)
