"""Near-duplicate pages: block, score, explain. Pure: records in, pairs out.

Record-linkage practice: never compare all pairs. Pages are first put in blocks by cheap
keys (rare title words and their one-letter deletions, the title without spaces or
without one of its words, website host, e-mail, map cell, dates); pages also meet on the
rarest hashes of their body sketches. Only pages that meet are scored. A score starts
from how close the normalised titles are (rapidfuzz) and the evidence decides: agreement
on website, e-mail, coordinates or town, and long shared passages, count for; another
town, far-apart coordinates, another year or number, a subpage relation or another name
("Le Garage" / "La Grange") count against. A title alone is never enough: it needs a
second agreeing fact.

Titles are normalised for French: NFKC, accents and case folded, apostrophes, quotes and
hyphens as spaces, "tiers lieu(x)" spellings and configured synonyms ("outillothèque" →
"bricotheque") made one word, articles and filler words dropped for comparison.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from rapidfuzz import fuzz, utils
from rapidfuzz.distance import OSA

from .kinds import coordinates as read_coordinates
from .kinds import distance_m, email_key, host, parse_day
from .profile import Profile
from .records import Record, paused_gc
from .text import fold_words

MIN_SKETCH = 16
"""Fewer distinct 4-word shingles than this: the body is too short to compare."""
MAX_BLOCK = 50
"""A block bigger than this (a common word) gives no useful candidates and is skipped."""
ALIKE = 60
"""A title score from which two names are loosely alike ("Le Sou de la Vallée" /
"Monnaie locale de la vallée"). Some shared text, or the same dates, in the same place
make a pair only with alike names or a shared contact (website, e-mail)."""
BODY_FLOOR = 0.15
"""Less body shared than this is a few common phrases: no evidence."""
BODY_KEYS = 8
"""Sketch hashes per page used for blocking on text."""
GEO_CELL = (0.006, 0.009)
"""Degrees of latitude and longitude. Two points less than half a cell apart on both
axes (333 m north-south; east-west 315 m at Dunkirk, more further south) share a cell of
one of the four grids shifted by half a cell: places 300 m apart always meet."""


@dataclass(frozen=True)
class DupeSettings:
    threshold: int = 80
    title_threshold: int = 93
    body_threshold: float = 0.5
    town_fields: tuple[str, ...] = ()
    type_words: tuple[str, ...] = ()
    stop_words: frozenset[str] = frozenset()
    synonyms: tuple[tuple[str, ...], ...] = ()

    @cached_property
    def synonym_patterns(self) -> tuple[tuple[re.Pattern[str], str], ...]:
        """One pattern per synonym group, longest words first, replaced by its first word."""
        longest_first = (sorted(g[1:], key=len, reverse=True) for g in self.synonyms)
        return tuple(
            (re.compile(rf"\b(?:{'|'.join(map(re.escape, words))})\b"), group[0])
            for group, words in zip(self.synonyms, longest_first, strict=True)
            if words
        )

    @classmethod
    def from_profile(cls, profile: Profile) -> DupeSettings:
        data: Mapping[str, Any] = profile.dupes
        return cls(
            threshold=int(data.get("threshold", 80)),
            title_threshold=int(data.get("title_threshold", 93)),
            body_threshold=float(data.get("body_threshold", 0.5)),
            town_fields=tuple(data.get("town_fields", ())),
            type_words=tuple(fold_words(w) for w in data.get("type_words", ())),
            stop_words=frozenset(fold_words(w) for w in data.get("stop_words", ())),
            synonyms=tuple(
                tuple(fold_words(w) for w in group) for group in data.get("synonyms", ())
            ),
        )


@dataclass(frozen=True)
class Pair:
    """Two pages that document the same thing, with a score (0-100) and its reasons."""

    a: str
    b: str
    score: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Cluster:
    """Pages joined by reported pairs (connected components)."""

    pages: tuple[str, ...]
    score: int


@dataclass(frozen=True)
class FieldMerge:
    """One field of a merge: the value to keep, or a conflict a human must decide."""

    field: str
    a: str
    b: str
    keep: str | None
    conflict: bool


@dataclass(frozen=True)
class MergeProposal:
    a: str
    b: str
    type: str
    fields: tuple[FieldMerge, ...]


@dataclass(frozen=True)
class DupeReport:
    pairs: tuple[Pair, ...]
    clusters: tuple[Cluster, ...]
    merges: tuple[MergeProposal, ...]
    pages: int
    candidates: int
    """Pairs actually scored after blocking (all pairs would be n(n-1)/2)."""


# --- normalising ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Title:
    """A title made comparable: ``key`` for fuzzy matching, ``tokens`` without filler
    words, the parenthesised ``qualifier`` ("(Lyon)"), numbers, and the subpage parent."""

    raw: str
    key: str
    tokens: tuple[str, ...]
    glued: str
    qualifier: str
    numbers: frozenset[str]
    parent: str | None


def normalize_title(title: str, settings: DupeSettings) -> Title:
    base, _, sub = title.partition("/")
    parent = base if sub else None
    found = re.search(r"\(([^)]*)\)\s*$", title)
    qualifier = fold_words(found.group(1)) if found else ""
    text = fold_words(title[: found.start()] if found else title)
    if qualifier in settings.type_words:
        qualifier = ""
    elif qualifier in settings.stop_words:  # "Coopérative des Savoirs (La)": word order
        text, qualifier = f"{qualifier} {text}", ""
    text = re.sub(r"\btiers ?lieux?\b", "tierslieu", text)
    for pattern, word in settings.synonym_patterns:
        text = pattern.sub(word, text)
    words = text.split()
    glued = "".join(words)
    content = [w for w in words if w not in settings.stop_words]
    tokens = tuple(w for w in content if w not in settings.type_words) or tuple(content)
    return Title(
        raw=title,
        key=" ".join(tokens),
        tokens=tokens,
        glued=glued,
        qualifier=qualifier,
        numbers=frozenset(re.findall(r"\d+", f"{text} {qualifier}")),
        parent=parent,
    )


# --- features ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Features:
    title: Title
    type: str | None
    hosts: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    coordinates: tuple[float, float] | None = None
    towns: frozenset[str] = frozenset()
    first_towns: frozenset[str] = frozenset()
    """The first place of each town field: the town itself, or the venue for events."""
    sketch: tuple[int, ...] = ()
    shingles: frozenset[int] = frozenset()
    """The sketch as a set, or empty when the body is too short to compare."""
    days: frozenset[str] = frozenset()
    """Every day the page's dates cover (ranges filled in), as YYYY-MM-DD."""
    values: Mapping[str, str] = field(default_factory=dict)


def features_of(record: Record, profile: Profile, settings: DupeSettings) -> Features:
    hosts: set[str] = set()
    emails: set[str] = set()
    towns: set[str] = set()
    first_towns: set[str] = set()
    dates: list[dt.date] = []
    coordinates = None
    spec_of = profile.type(record.type).field if record.type else (lambda name: None)
    for value in record.values:
        spec = spec_of(value.name)
        if spec is None or value.dynamic or not value.text:
            continue
        if spec.kind == "url":
            if (site := host(value.text)) is not None:
                hosts.add(site)
        elif spec.kind == "email":
            emails.add(email_key(value.text) or value.text.lower().removeprefix("mailto:"))
        elif spec.kind == "coordinates":
            coordinates = read_coordinates(value.text) or coordinates
        elif spec.kind == "date":
            day = parse_day(value.text)
            if day is not None:
                dates.append(day)
        if value.name in settings.town_fields:
            places = [t for t in (fold_words(part) for part in value.text.split(",")) if t]
            towns.update(places)
            first_towns.update(places[:1])
            if len(places) > 1 and value.name != settings.town_fields[0]:
                first_towns.add(places[1])  # "Ferme de la Source, Die": venue, then town
    return Features(
        title=normalize_title(record.title, settings),
        type=record.type,
        hosts=frozenset(hosts),
        emails=frozenset(emails),
        coordinates=coordinates,
        towns=frozenset(towns),
        sketch=record.sketch,
        shingles=frozenset(record.sketch) if len(record.sketch) >= MIN_SKETCH else frozenset(),
        first_towns=frozenset(first_towns),
        days=_days(dates),
        values={v.name: v.text for v in record.values},
    )


def _days(dates: Sequence[dt.date]) -> frozenset[str]:
    """The days from the first date to the last (at most 31): an event's span."""
    if not dates:
        return frozenset()
    first, last = min(dates), max(dates)
    span = min((last - first).days, 31)
    return frozenset((first + dt.timedelta(days=n)).isoformat() for n in range(span + 1))


def similarity(a: Features, b: Features) -> float:
    """Estimated Jaccard similarity of two pages' bodies from their bottom-k sketches;
    0 for texts too short to say (a shared "Un lieu." proves nothing) and below
    BODY_FLOOR (a few common phrases)."""
    both = a.shingles & b.shingles
    k = min(len(a.sketch), len(b.sketch))
    if not both or len(both) < BODY_FLOOR * k:  # most candidate pairs: nothing to sort
        return 0.0
    union = sorted(a.shingles | b.shingles)[:k]
    shared = sum(1 for h in union if h in both) / len(union)
    return shared if shared >= BODY_FLOOR else 0.0


# --- blocking ----------------------------------------------------------------------------------
def block_keys(f: Features) -> set[str]:
    """The page's blocking keys, by kind ("t:" a title word, "host:", "geo:"...); the
    body's keys are apart (rarest_hashes)."""
    keys = {f"glued:{f.title.glued}", f"sorted:{' '.join(sorted(f.title.tokens))}"}
    for token in f.title.tokens:
        if len(token) >= 3:
            keys.add(f"t:{token}")
            if len(token) >= 5:  # one-letter typos meet on a deletion (symmetric delete)
                keys.update(f"t:{token[:i]}{token[i + 1 :]}" for i in range(len(token)))
    words = sorted([*f.title.tokens, f.title.qualifier] if f.title.qualifier else f.title.tokens)
    if len(words) >= 3:  # a typo in a common word: the rest of the title meets
        keys.update(f"but:{' '.join(words[:i] + words[i + 1 :])}" for i in range(len(words)))
    keys.update(f"host:{h}" for h in f.hosts)
    keys.update(f"mail:{m}" for m in f.emails)
    if f.coordinates:
        lat, lon = (c / cell for c, cell in zip(f.coordinates, GEO_CELL, strict=True))
        for i, j in ((0, 0), (0, 1), (1, 0), (1, 1)):
            keys.add(f"geo:{i}{j}:{math.floor(lat + i / 2)}:{math.floor(lon + j / 2)}")
    glued = "".join(f.title.tokens)
    if 5 <= len(glued) <= 40 and not f.title.numbers:  # typos meet on a deletion of the name
        keys.update(f"g:{glued[:i]}{glued[i + 1 :]}" for i in range(len(glued)))
    keys.update(f"day:{d}" for d in sorted(f.days)[:3])
    return keys


def same_town(a: Features, b: Features) -> str | None:
    """A town both pages name: the first place one page gives (its town, before the
    département or after the venue) among the places of the other ("Grenoble" matches
    "Grenoble, Isère"; a shared département alone is no match)."""
    for one, other in ((a, b), (b, a)):
        for first in sorted(one.first_towns):  # stable reasons, stable review page
            if _named(first, other.towns):
                return first
    return None


def candidates(items: Sequence[Features]) -> Iterator[tuple[int, int]]:
    """Each pair of indexes (i < j) to score, once: pages sharing a block of at most
    MAX_BLOCK pages, unless their titles have two different qualifiers, or sharing two of
    their rarest body hashes (one shared shingle is a common phrase). Pairs are made page
    by page, never all kept at once."""
    keyed = _memberships([block_keys(f) for f in items])
    texts = _memberships(rarest_hashes(items))
    qualifiers = [f.title.qualifier for f in items]
    for i, qualifier in enumerate(qualifiers):
        others = {j for members in keyed[i] for j in members if j > i}
        if qualifier:  # "La Ruche (Brest)", "La Ruche (Lyon)": only a copied text joins them
            others = {j for j in others if not qualifiers[j] or qualifiers[j] == qualifier}
        if texts[i]:
            shared = Counter(j for members in texts[i] for j in members if j > i)
            others.update(j for j, count in shared.items() if count >= 2)
        yield from ((i, j) for j in others)


def rarest_hashes(items: Sequence[Features]) -> list[list[int]]:
    """Each page's BODY_KEYS rarest sketch hashes that some other page has too:
    boilerplate is common, so it is not among them."""
    seen = Counter(h for f in items for h in f.shingles)
    rarest = (sorted((seen[h], h) for h in f.shingles if seen[h] > 1) for f in items)
    return [[h for _, h in hashes[:BODY_KEYS]] for hashes in rarest]


def _memberships(keys: Sequence[Iterable[Hashable]]) -> list[list[list[int]]]:
    """For each index, the blocks (member lists) it is in, blocks of one page or of more
    than MAX_BLOCK left out. A block holds an int until its second member (most keys are
    one page's)."""
    blocks: dict[Hashable, int | list[int]] = {}
    for index, page_keys in enumerate(keys):
        for key in page_keys:
            members = blocks.setdefault(key, index)
            if isinstance(members, list):
                members.append(index)
            elif members != index:
                blocks[key] = [members, index]
    of: list[list[list[int]]] = [[] for _ in keys]
    for block in blocks.values():
        if isinstance(block, list) and len(block) <= MAX_BLOCK:
            for index in block:
                of[index].append(block)
    return of


# --- scoring ---------------------------------------------------------------------------------
def score(a: Features, b: Features, settings: DupeSettings) -> Pair | None:
    """The pair's score and reasons, or None when it is no duplicate."""
    ta, tb = a.title, b.title
    if ta.parent == tb.raw or tb.parent == ta.raw or (ta.parent and ta.parent == tb.parent):
        return None  # a page and its subpages
    if ta.numbers and tb.numbers and ta.numbers != tb.numbers:
        return None  # yearly editions, numbered sessions
    body = similarity(a, b)
    copied = body >= settings.body_threshold  # a page renamed: its text kept
    if ta.qualifier and tb.qualifier and ta.qualifier != tb.qualifier and not copied:
        return None  # "La Fabrique (Lyon)" / "La Fabrique (Rennes)"
    same_days = bool(a.days & b.days)
    title, renamed = _title_score(ta, tb)
    close = title >= settings.title_threshold and not renamed
    if body < min(BODY_FLOOR, settings.body_threshold) and not same_days and not close:
        return None  # no shared text, no shared dates, titles apart: the rules below refuse it
    town = same_town(a, b)
    if a.towns and b.towns and town is None:
        return None  # another town
    for one, other in ((a, b), (b, a)):
        if one.title.qualifier and other.towns and not _named(one.title.qualifier, other.towns):
            return None  # "Le Grenier (Limoges)" and a page in another town
    if a.coordinates and b.coordinates and distance_m(a.coordinates, b.coordinates) > 5000:
        return None
    if a.days and b.days and not same_days:
        return None  # another edition: the dates do not meet
    reasons = [f"title {round(title)}"]
    agree = 0
    if a.hosts & b.hosts:
        agree += 1
        reasons.append("same website host")
    if a.emails & b.emails:
        agree += 1
        reasons.append("same e-mail")
    if a.coordinates and b.coordinates:
        metres = distance_m(a.coordinates, b.coordinates)
        if metres <= 300:
            agree += 1
            reasons.append(f"coordinates {round(metres)} m apart")
    if town is None:
        town = _title_town(a, b) or _title_town(b, a)
        if town:
            reasons.append(f"town named in the title ({town})")
    else:
        reasons.append(f"same town ({town})")
    agree += bool(town)
    if same_days:
        reasons.append("same dates")
    same_type = a.type is not None and a.type == b.type
    if same_type and title >= 95 and not renamed and not (ta.qualifier or tb.qualifier):
        agree += 1
        reasons.append(f"both {a.type}")
    if body:
        reasons.append(f"body {round(100 * body)}% shared")
    related = title >= ALIKE or bool(a.emails & b.emails or a.hosts & b.hosts)
    if copied or (body >= 0.2 and same_type) or (body and town and related):
        value = max(title, 80 + 20 * body)
    elif same_days and town and related:  # one event under two names
        value = max(title, 85.0)
    elif close and (agree or body):
        value = min(100.0, title + 3 * agree + 20 * body)
    else:
        return None
    if value < settings.threshold:
        return None
    first, second = sorted((ta.raw, tb.raw))
    return Pair(first, second, round(value), tuple(reasons))


def _title_score(a: Title, b: Title) -> tuple[float, bool]:
    """How close two titles are (0-100), and whether they name two things.

    The score is the better of the word-order-free and the glued comparison, at least 95
    for a typo. Two titles that each have words the other lacks name two things unless
    those words are a typo apart: "Coworking Le Garage" / "Coworking La Grange" differ in
    a name, "La Ruche" / "La Ruhce" in a letter."""
    title = max(
        fuzz.token_sort_ratio(a.key, b.key, processor=utils.default_process),
        fuzz.ratio(a.glued, b.glued, processor=utils.default_process),
    )
    if title < ALIKE:
        return title, True  # far apart (a typo keeps titles above 75)
    x = "".join(t for t in a.tokens if t not in b.tokens)
    y = "".join(t for t in b.tokens if t not in a.tokens)
    if not x or not y or x == y or a.glued == b.glued:
        return title, False  # the same words, written apart or together, or words added
    if min(len("".join(a.tokens)), len("".join(b.tokens))) >= 5 and _typo(x, y):
        return max(title, 95.0), False
    return title, True


def _typo(x: str, y: str) -> bool:
    """One edit apart (a swap counts as one) after the same first letter, or two edits
    apart in words of 8 letters or more: "Ruche" / "Ruhce", "Sciences" / "Sicences"."""
    distance = OSA.distance(x, y, score_cutoff=2)
    return x[0] == y[0] and (distance <= 1 or (distance <= 2 and min(len(x), len(y)) >= 8))


def _named(word: str, towns: frozenset[str]) -> bool:
    return any(word == t or t.startswith(f"{word} ") or word.startswith(f"{t} ") for t in towns)


def _title_town(a: Features, b: Features) -> str | None:
    """A town of ``b`` that ``a``'s title names ("Café bricole de Saumur")."""
    return next((t for t in sorted(b.towns) if t in a.title.tokens), None)


def clusters(pairs: Iterable[Pair]) -> list[Cluster]:
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    best: dict[str, int] = {}
    listed = list(pairs)
    for pair in listed:
        parent[root(pair.a)] = root(pair.b)
    groups: dict[str, list[str]] = defaultdict(list)
    for title in list(parent):
        groups[root(title)].append(title)
    for pair in listed:
        best[root(pair.a)] = max(best.get(root(pair.a), 0), pair.score)
    return sorted(
        (Cluster(tuple(sorted(members)), best[key]) for key, members in groups.items()),
        key=lambda c: (-c.score, c.pages),
    )


def merge_proposal(a: Record, b: Record, profile: Profile) -> MergeProposal | None:
    """Field by field, what to keep of two structured pages of one type."""
    if a.type is None or a.type != b.type or a.typed_by != "template" or b.typed_by != "template":
        return None
    page_type = profile.type(a.type)
    fields = []
    for spec in page_type.fields:
        va, vb = a.value(spec.name), b.value(spec.name)
        ta, tb = (va.text if va else ""), (vb.text if vb else "")
        if not ta and not tb:
            continue
        if spec.multi and spec.kind != "licence":  # two licences are a choice
            items = dict.fromkeys([*(va.items if va else ()), *(vb.items if vb else ())])
            fields.append(FieldMerge(spec.name, ta, tb, f"{spec.separator} ".join(items), False))
        elif not ta or not tb or fold_words(ta) == fold_words(tb):
            fields.append(FieldMerge(spec.name, ta, tb, ta or tb, False))
        else:
            fields.append(FieldMerge(spec.name, ta, tb, None, True))
    return MergeProposal(a.title, b.title, a.type, tuple(fields))


SHARED_HOST = 4
"""A website host on more pages than this is a platform (facebook.com, framagit.org...):
sharing it says nothing."""


def without_shared_hosts(items: list[Features]) -> list[Features]:
    counts = Counter(h for f in items for h in f.hosts)
    shared = {h for h, n in counts.items() if n > SHARED_HOST}
    if not shared:
        return items
    return [replace(f, hosts=f.hosts - shared) if f.hosts & shared else f for f in items]


@paused_gc()  # many features and blocks, no cycles
def detect_duplicates(
    records: Sequence[Record],
    profile: Profile,
    *,
    rejected: Iterable[tuple[str, str]] = (),
    threshold: int | None = None,
) -> DupeReport:
    """Near-duplicate pairs among the records (redirects left out), their clusters and,
    for structured pairs, merge proposals. ``rejected`` pairs (a human said "not a
    duplicate") are never reported."""
    settings = DupeSettings.from_profile(profile)
    if threshold is not None:
        settings = replace(settings, threshold=threshold)
    kept = [r for r in records if not r.redirect and not r.error]
    items = without_shared_hosts([features_of(r, profile, settings) for r in kept])
    refused = {tuple(sorted(p)) for p in rejected}
    found = []
    scored = 0
    for i, j in candidates(items):
        scored += 1
        pair = score(items[i], items[j], settings)
        if pair is not None and (pair.a, pair.b) not in refused:
            found.append(pair)
    found.sort(key=lambda p: (-p.score, p.a, p.b))
    by_title = {r.title: r for r in kept}
    merges = [m for p in found if (m := merge_proposal(by_title[p.a], by_title[p.b], profile))]
    return DupeReport(
        pairs=tuple(found),
        clusters=tuple(clusters(found)),
        merges=tuple(merges),
        pages=len(kept),
        candidates=scored,
    )
