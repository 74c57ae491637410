"""Near-duplicate pages: block, compare, learn, explain. Pure: records in, pairs out.

Record-linkage practice: never compare all pairs. Pages are first put in blocks by cheap
keys (rare title words and their one-letter deletions, the title without spaces or
without one of its words, website host, e-mail, phone, street address, map cell, dates);
pages also meet on the rarest hashes of their body sketches. Only pages that meet are
compared.

Each candidate pair is compared on every kind of evidence a page may give (title, shared
text, website, e-mail, phone, street address, town and postcode, coordinates, dates, the
title's qualifier, the page type), each comparison giving a level; a Fellegi–Sunter model
(:mod:`movisync.linkage`) learns from the wiki itself how much each level says, and gives
each pair its match probability. No weight is set by hand. The wiki's verdicts (the review
page's « doublon » / « pas un doublon », the not-a-duplicate list) are labels: they refine
the model and stay final for their own pair.

Hard rules only where they are definitions: a page and its own subpages (or two subpages of
one page) are two pages; titles whose years or edition numbers differ are two editions;
redirects are not content.

Titles are normalised for French: NFKC, accents and case folded, apostrophes, quotes and
hyphens as spaces, "tiers lieu(x)" spellings and configured synonyms ("outillothèque" →
"bricotheque") made one word, articles and filler words dropped for comparison.
Identifiers are read wherever they are: the fields the schema types as url, e-mail, phone,
coordinates or date, place fields read as street address, postcode and towns, and the
phones, e-mails, websites and street addresses anywhere in the text
(:mod:`movisync.identifiers`).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from itertools import chain, repeat
from typing import Any, TypeVar

from rapidfuzz import fuzz, utils
from rapidfuzz.distance import OSA

from .identifiers import read_place, same_address, street_of
from .kinds import MONTH_NUMBERS, distance_m, email_key, host, parse_day, phone_key
from .kinds import coordinates as read_coordinates
from .linkage import NULL, Comparison, Labels, Model, Session, Vector, Weight, learn, value_counts
from .profile import Profile
from .records import Record, paused_gc
from .text import fold_words

MIN_SKETCH = 16
"""Fewer distinct 4-word shingles than this: the body is too short to compare."""
MAX_BLOCK = 50
"""A block bigger than this (a common word) gives no useful candidates and is skipped."""
BODY_FLOOR = 0.15
"""Less body shared than this is a few common phrases: the same as none."""
BODY_KEYS = 8
"""Sketch hashes per page used for blocking on text."""
GEO_CELL = (0.006, 0.009)
"""Degrees of latitude and longitude. Two points less than half a cell apart on both
axes (333 m north-south; east-west 315 m at Dunkirk, more further south) share a cell of
one of the four grids shifted by half a cell: places 300 m apart always meet."""
RANDOM_PAIRS = 50_000
"""Pairs drawn at random to measure u (every pair when there are fewer)."""
PLACE_FIELDS = ("location", "lieu", "ville", "commune", "localisation", "adresse", "address")
"""Field names read as a place (address, postcode, towns) on any wiki, besides the
profile's town fields and fields of kind ``address``."""

NONE: frozenset[Any] = frozenset()
"""The one empty set every page without a value shares (each empty frozenset costs
216 bytes: at 100k pages, several per page)."""
T = TypeVar("T", bound=Hashable)


def _set(values: Iterable[T]) -> frozenset[T]:
    found = frozenset(values)
    return found if found else NONE


COMPARISONS = (
    Comparison(
        "title",
        (
            "same",
            "glued",
            "typo",
            "most words",
            "half the words",
            "some words",
            "most words, each its own",
            "half the words, each its own",
            "some words, each its own",
            "different",
        ),
        frequencies=True,
        relative=True,
        exhaustive=frozenset({1, 2}),
    ),
    Comparison("numbers", ("same", "one only"), frequencies=True),
    Comparison("text", ("copied", "shared", "none shared"), exhaustive=frozenset({0, 1})),
    Comparison("website", ("same", "different"), frequencies=True),
    Comparison("email", ("same", "different"), frequencies=True),
    Comparison("phone", ("same", "different"), frequencies=True),
    Comparison(
        "place",
        ("same address", "300 m", "same town", "named in the text", "20 km", "different"),
        frequencies=True,
        exhaustive=frozenset({0, 1}),
    ),
    Comparison("names", ("many", "some", "none")),
    Comparison("dates", ("same", "different")),
    Comparison("qualifier", ("same", "different"), frequencies=True),
    Comparison("type", ("same", "different")),
)
"""Every comparison and its levels, strongest agreement first. Evidence of one kind
that mostly goes together (a street address, coordinates, a town, a postcode: where the
thing is) is one comparison, at its strongest agreement, so that it is not counted twice;
for the same reason a phone shared at the same street address is not counted again (the
premises' switchboard: a hotel's restaurants share it). The exhaustive levels are those
blocking keys pair (block_keys: the title glued, sorted, or a letter off; the street
address and the map cells; rarest_hashes: the text)."""
TITLE, NUMBERS, TEXT, WEBSITE, EMAIL, PHONE, PLACE, NAMES, DATES, QUALIFIER, TYPE = range(
    len(COMPARISONS)
)
SESSIONS = (
    Session(
        "same title",
        lambda v: 0 <= v[TITLE] <= 1,
        frozenset({TITLE, NUMBERS, QUALIFIER}),
        frozenset({PLACE}),
    ),
    Session(
        "same place or contact",
        lambda v: 0 <= v[PLACE] <= 1 or 0 in (v[WEBSITE], v[EMAIL], v[PHONE]),
        frozenset({PLACE, WEBSITE, EMAIL, PHONE}),
    ),
    Session("shared text", lambda v: v[TEXT] == 0, frozenset({TEXT})),
)
"""The candidate pairs EM learns from, each session on pairs agreeing on something,
that something left out (see :class:`movisync.linkage.Session`). Where a thing is and how
to reach it go together (a restaurant in a hotel has the hotel's address and phone, an
event the address and e-mail of its venue), so they are left out together."""


@dataclass(frozen=True)
class DupeSettings:
    threshold: float = 50
    """Report pairs whose match probability is at least this, in percent."""
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

    @cached_property
    def any_synonym(self) -> re.Pattern[str]:
        """Any word of any synonym group: most titles have none, and are spared the
        replacements."""
        words = sorted({w for group in self.synonyms for w in group[1:]}, key=len, reverse=True)
        return re.compile(rf"\b(?:{'|'.join(map(re.escape, words))})\b" if words else r"(?!)")

    @cached_property
    def place_fields(self) -> frozenset[str]:
        """Fields read as a place, folded: the profile's town fields and PLACE_FIELDS."""
        return frozenset(fold_words(n) for n in (*self.town_fields, *PLACE_FIELDS))

    @classmethod
    def from_profile(cls, profile: Profile) -> DupeSettings:
        data: Mapping[str, Any] = profile.dupes
        return cls(
            threshold=float(data.get("threshold", 50)),
            town_fields=tuple(data.get("town_fields", ())),
            type_words=tuple(fold_words(w) for w in data.get("type_words", ())),
            stop_words=frozenset(fold_words(w) for w in data.get("stop_words", ())),
            synonyms=tuple(
                tuple(fold_words(w) for w in group) for group in data.get("synonyms", ())
            ),
        )


@dataclass(frozen=True)
class Pair:
    """Two pages that may document the same thing: the model's match probability, each
    comparison's weight (bits, positive for a match), and the strongest reasons.
    ``verdict`` is a human's, when one was given ("duplicate")."""

    a: str
    b: str
    probability: float
    weights: tuple[Weight, ...]
    reasons: tuple[str, ...]
    verdict: str = ""
    apart: str = ""
    """Why the two pages are two things by definition, when they are (explanations
    only: such pairs are never reported)."""

    @property
    def score(self) -> int:
        """The match probability in percent."""
        return math.floor(100 * self.probability)


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
    """Pairs actually compared after blocking (all pairs would be n(n-1)/2)."""
    model: Model | None = None


# --- normalising ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Title:
    """A title made comparable: ``key`` for fuzzy matching, ``tokens`` without filler
    words, the parenthesised ``qualifier`` ("(Lyon)"), numbers, and the subpage parent."""

    raw: str
    name: str
    """The title without its qualifier, words folded: "la ruche"."""
    key: str
    tokens: tuple[str, ...]
    glued: str
    qualifier: str
    parent: str | None
    numbers: frozenset[str] = field(init=False)
    """The numbers of the title and its qualifier: "2024", "11" of "(Paris 11e)"."""
    dates: tuple[frozenset[int], frozenset[int], frozenset[int]] = field(init=False)
    """The years, named months and other numbers (days, editions) of the title and its
    qualifier: "Forum de juin 2024" gives ({2024}, {6}, {}), "CR du 12/03/2024" ({2024},
    {}, {12, 3})."""
    own_numbers: frozenset[str] = field(init=False)
    """The numbers of the title itself, not of its qualifier."""
    undated: tuple[tuple[str, ...], str] = field(init=False)
    """The tokens and the qualifier without their numbers and month names."""
    words: frozenset[str] = field(init=False)
    """The tokens as a set."""
    ordered: tuple[str, ...] = field(init=False)
    """The tokens in alphabetical order."""
    processed: tuple[str, str] = field(init=False)
    """The key and the glued title as rapidfuzz's default processor leaves them."""

    def __post_init__(self) -> None:
        # Computed once per title, not per pair: a title meets tens of others.
        qualifier = self.qualifier.split()
        numbers = _set(n for w in (*self.tokens, *qualifier) for n in re.findall(r"\d+", w))
        values = {int(n) for n in numbers}
        years = _set(n for n in values if 1900 <= n <= 2099)
        months = _set(MONTH_NUMBERS[w] for w in (*self.tokens, *qualifier) if w in MONTH_NUMBERS)
        undated = (
            tuple(t for t in self.tokens if not _dating(t)),
            " ".join(w for w in qualifier if not _dating(w)),
        )
        put = object.__setattr__  # frozen
        put(self, "numbers", numbers)
        put(self, "dates", (years, months, _set(values - years)))
        put(self, "own_numbers", _set(t for t in self.tokens if t.isdigit()))
        put(self, "undated", undated)
        put(self, "words", _set(self.tokens))
        put(self, "ordered", tuple(sorted(self.tokens)))
        put(self, "processed", (utils.default_process(self.key), utils.default_process(self.glued)))


TITLE_WORDS = {
    "st": "saint",
    "ste": "sainte",
    "cie": "compagnie",
    "coop": "cooperative",
    "asso": "association",
}
"""Words titles abbreviate, spelt out ("St-Jean" is "Saint-Jean"). Numbers written as words
stay words: a digit in a title is an edition number or a date ("Les Trois Chênes" is not
edition 3 of anything)."""


def normalize_title(title: str, settings: DupeSettings) -> Title:
    base, _, sub = title.partition("/")
    parent = base if sub else None
    found = re.search(r"\(([^)]*)\)\s*$", title)
    qualifier = fold_words(found.group(1)) if found else ""
    name = text = fold_words(title[: found.start()] if found else title)
    if qualifier in settings.type_words:
        qualifier = ""
    elif qualifier in settings.stop_words:  # "Coopérative des Savoirs (La)": word order
        text, qualifier = f"{qualifier} {text}", ""
    text = " ".join(TITLE_WORDS.get(w, w) for w in text.split())
    text = re.sub(r"\btiers ?lieux?\b", "tierslieu", text)
    if settings.any_synonym.search(text):
        for pattern, word in settings.synonym_patterns:
            text = pattern.sub(word, text)
    words = text.split()
    glued = "".join(words)
    content = [w for w in words if w not in settings.stop_words]
    tokens = tuple(w for w in content if w not in settings.type_words) or tuple(content)
    return Title(
        raw=title,
        name=name,
        key=" ".join(tokens),
        tokens=tokens,
        glued=glued,
        qualifier=qualifier,
        parent=parent,
    )


# --- features ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Features:
    title: Title
    type: str | None
    hosts: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    addresses: frozenset[str] = frozenset()
    postcodes: frozenset[str] = frozenset()
    coordinates: tuple[float, float] | None = None
    towns: frozenset[str] = frozenset()
    first_towns: frozenset[str] = frozenset()
    """The first place of each place value: the town itself, or the venue for events."""
    venues: frozenset[str] = frozenset()
    """What a place value gives before its town ("L'Établi, Saint-Julien-la-Forêt": a
    venue's name; "Grenoble, Isère": a town before its département)."""
    mentions: frozenset[str] = frozenset()
    """Places the prose names ("à Valence")."""
    names: frozenset[str] = frozenset()
    """Capitalised words in the text: people, places, organisations."""
    sketch: tuple[int, ...] = ()
    """The body's bottom-k sketch (its smallest shingle hashes, in order), or empty when
    the body is too short to compare. A tuple, not a set: a set of 32 hashes takes 2 KB,
    200 MB at 100k pages, and most pairs meet on their title, not their text."""
    days: tuple[int, int] | None = None
    """The first and last day the page's dates cover (at most 31 days apart), as
    ordinals."""
    title_towns: frozenset[str] = frozenset()
    """The towns the title names ("Repair café de Blois": blois), among those pages
    give as where they are (see :func:`with_title_places`)."""
    text_towns: frozenset[str] = frozenset()
    """For a page that says nowhere where it is (no place field, no town in its title),
    those towns among the names its text gives: where it likely is, read only to tell
    one name in two towns apart (:func:`other_towns`), since prose names other towns
    too."""

    @cached_property
    def streets(self) -> frozenset[str]:
        return frozenset(street_of(a) for a in self.addresses)

    @cached_property
    def town_heads(self) -> frozenset[str]:
        """The first words of the towns ("saint" of "saint etienne"), as :func:`_named`
        matches them."""
        return _heads(self.towns)

    @cached_property
    def first_heads(self) -> frozenset[str]:
        return _heads(self.first_towns)

    @cached_property
    def cell(self) -> str:
        """The map cell (GEO_CELL) the page's point is in, as a value: a point many pages
        give (a venue's) says less than a lone one."""
        if not self.coordinates:
            return ""
        lat, lon = (c / size for c, size in zip(self.coordinates, GEO_CELL, strict=True))
        return f"geo:{math.floor(lat)}:{math.floor(lon)}"

    @cached_property
    def cited(self) -> frozenset[str]:
        """The names the text gives beyond the words of its title and places (what a
        shared name would merely repeat)."""
        words = {w for t in (*self.towns, *self.mentions) for w in t.split()}
        return _set(self.names - (words | self.title.words | set(self.title.glued.split())))


def _heads(places: Iterable[str]) -> frozenset[str]:
    return _set(p[:i] for p in places for i, c in enumerate(p) if c == " ")


def features_of(record: Record, profile: Profile, settings: DupeSettings) -> Features:
    found: dict[str, set[str]] = {
        "tel": set(),
        "mail": set(),
        "host": set(),
        "addr": set(),
        "in": set(),
        "cp": set(),
        "name": set(),
    }
    for identifier in record.identifiers.split("\n") if record.identifiers else ():
        prefix, _, said = identifier.partition(":")
        found.setdefault(prefix, set()).add(said)
    towns: set[str] = set()
    first_towns: set[str] = set()
    venues: set[str] = set()
    postcodes: set[str] = set(found["cp"])
    dates: list[dt.date] = []
    coordinates = None
    spec_of = profile.type(record.type).field if record.type else (lambda name: None)
    place_fields = settings.place_fields
    for value in record.values:
        spec = spec_of(value.name)
        if value.dynamic or not value.text:
            continue
        kind = spec.kind if spec is not None else None
        if kind == "url":
            if (site := host(value.text)) is not None:
                found["host"].add(site)
        elif kind == "email":
            found["mail"].add(email_key(value.text) or value.text.lower().removeprefix("mailto:"))
        elif kind == "phone":
            if (number := phone_key(value.text)) is not None:
                found["tel"].add(number)
        elif kind == "coordinates":
            coordinates = read_coordinates(value.text) or coordinates
        elif kind == "date":
            day = parse_day(value.text)
            if day is not None:
                dates.append(day)
        if kind == "address" or _folded(value.name) in place_fields:
            place = read_place(value.text)
            if place.address:
                found["addr"].add(place.address)
            if place.postcode:
                postcodes.add(place.postcode)
            towns.update(place.towns)
            first_towns.update(place.towns[:1])
            venue_first = value.name not in settings.town_fields[:1]
            if len(place.towns) > 1 and not place.address and venue_first:
                first_towns.add(place.towns[1])  # "Ferme de la Source, Die": venue, then town
                venues.add(place.towns[0])
    return Features(
        title=normalize_title(record.title, settings),
        type=record.type,
        hosts=_set(found["host"]),
        emails=_set(found["mail"]),
        phones=_set(found["tel"]),
        addresses=_set(found["addr"]),
        postcodes=_set(postcodes),
        coordinates=coordinates,
        towns=_set(towns),
        first_towns=_set(first_towns),
        venues=_set(venues),
        mentions=_set(found["in"]),
        names=_set(found["name"]),
        sketch=record.sketch if len(record.sketch) >= MIN_SKETCH else (),
        days=_days(dates),
    )


@lru_cache(maxsize=4096)
def _folded(name: str) -> str:
    return fold_words(name)


def _days(dates: Sequence[dt.date]) -> tuple[int, int] | None:
    """The first and the last day (at most 31 days later): an event's span."""
    if not dates:
        return None
    first = min(dates).toordinal()
    return first, min(max(dates).toordinal(), first + 31)


def similarity(a: Features, b: Features) -> float:
    """Estimated Jaccard similarity of two pages' bodies from their bottom-k sketches;
    0 for texts too short to say (a shared "Un lieu." proves nothing) and below
    BODY_FLOOR (a few common phrases)."""
    both = set(a.sketch).intersection(b.sketch)
    k = min(len(a.sketch), len(b.sketch))
    if not both or len(both) < BODY_FLOOR * k:  # most candidate pairs: nothing to sort
        return 0.0
    union = sorted(both.union(a.sketch, b.sketch))[:k]
    shared = sum(1 for h in union if h in both) / len(union)
    return shared if shared >= BODY_FLOOR else 0.0


# --- blocking ----------------------------------------------------------------------------------
def block_keys(f: Features) -> set[str]:
    """The page's blocking keys, by kind ("t:" a title word, "host:", "geo:"...); the
    body's keys are apart (rarest_hashes)."""
    keys = {f"glued:{f.title.glued}", f"sorted:{' '.join(f.title.ordered)}"}
    for token in f.title.tokens:
        if len(token) >= 3:
            keys.add(f"t:{token}")
            if len(token) >= 5:  # one-letter typos meet on a deletion (symmetric delete)
                keys.update([f"t:{token[:i]}{token[i + 1 :]}" for i in range(len(token))])
    words = sorted([*f.title.tokens, f.title.qualifier] if f.title.qualifier else f.title.tokens)
    if len(words) >= 3:  # a typo in a common word: the rest of the title meets
        keys.update([f"but:{' '.join(words[:i] + words[i + 1 :])}" for i in range(len(words))])
    for kind, values in (
        ("host", f.hosts),
        ("mail", f.emails),
        ("tel", f.phones),
        ("addr", f.addresses),
    ):
        keys.update([f"{kind}:{v}" for v in values])
    if f.coordinates:
        lat, lon = (c / cell for c, cell in zip(f.coordinates, GEO_CELL, strict=True))
        for i, j in ((0, 0), (0, 1), (1, 0), (1, 1)):
            keys.add(f"geo:{i}{j}:{math.floor(lat + i / 2)}:{math.floor(lon + j / 2)}")
    glued = "".join(f.title.tokens)
    if 5 <= len(glued) <= 40 and not f.title.numbers:
        # A letter dropped or doubled meets the other title's name itself; two letters
        # swapped meet on a deletion of each.
        keys.add(f"g:{glued}")
        keys.update([f"g:{glued[:i]}{glued[i + 1 :]}" for i in range(len(glued))])
    if f.days:
        keys.update(f"day:{d}" for d in range(f.days[0], min(f.days[1], f.days[0] + 2) + 1))
    return keys


def candidates(items: Sequence[Features]) -> Iterator[tuple[int, int]]:
    """Each pair of indexes (i < j) to compare, once: pages sharing a block of at most
    MAX_BLOCK pages, unless their titles have two different qualifiers (those that name
    a place are places by then: :func:`with_title_places`), or sharing two of their
    rarest body hashes (one shared shingle is a common phrase). Pairs are made page by
    page, never all kept at once."""
    keyed = _memberships([block_keys(f) for f in items])
    texts = _memberships(rarest_hashes(items))
    qualifiers = [f.title.qualifier for f in items]
    for i, qualifier in enumerate(qualifiers):
        others: set[int] = set()
        for members in keyed[i]:  # in index order: those after i are a slice
            others.update(members[bisect_right(members, i) :])
        if qualifier:  # "La Ruche (Brest)", "La Ruche (Lyon)": only a copied text joins them
            others = {j for j in others if not qualifiers[j] or qualifiers[j] == qualifier}
        if texts[i]:
            shared = Counter(chain.from_iterable(m[bisect_right(m, i) :] for m in texts[i]))
            others.update(j for j, count in shared.items() if count >= 2)
        yield from ((i, j) for j in sorted(others))


def rarest_hashes(items: Sequence[Features]) -> list[list[int]]:
    """Each page's BODY_KEYS rarest sketch hashes that some other page has too:
    boilerplate is common, so it is not among them."""
    seen: Counter[int] = Counter()
    for f in items:
        seen.update(f.sketch)
    once = {h for h, count in seen.items() if count == 1}
    rank = seen.__getitem__  # rarest first, then by hash (a stable sort of sorted hashes)
    return [sorted([h for h in f.sketch if h not in once], key=rank)[:BODY_KEYS] for f in items]


def _memberships(keys: Sequence[Collection[Hashable]]) -> list[list[list[int]]]:
    """For each index, the blocks (member lists, in index order) it is in, blocks of one
    page or of more than MAX_BLOCK left out. Keys are counted first: most are one page's,
    and only the others get a block."""
    counts: Counter[Hashable] = Counter()
    for page_keys in keys:
        counts.update(page_keys)
    useful = {key for key, count in counts.items() if 1 < count <= MAX_BLOCK}
    del counts
    blocks: defaultdict[Hashable, list[int]] = defaultdict(list)
    for index, page_keys in enumerate(keys):
        for key in useful.intersection(page_keys):
            blocks[key].append(index)
    of: list[list[list[int]]] = [[] for _ in keys]
    for block in blocks.values():
        for index in block:
            of[index].append(block)
    return of


# --- comparing -------------------------------------------------------------------------------
def two_things(a: Features, b: Features) -> bool:
    """The definitions: a page and its subpages, two subpages of one page, titles whose
    years, months or edition numbers differ where both give one ("Programme de juin 2020"
    / "Programme de décembre 2020", "2e Forum" / "3e Forum"), and a series and its
    edition (the same title, one dated: "Nuit des fablabs" / "Nuit des fablabs 2025") are
    never one thing (nor compared: see :func:`apart` for the definitions the model learns
    from)."""
    return bool(_definition(a, b))


def _definition(a: Features, b: Features) -> str:
    ta, tb = a.title, b.title
    if ta.parent == tb.raw or tb.parent == ta.raw:
        return "une page et sa sous-page"
    if ta.parent and ta.parent == tb.parent:
        return "deux sous-pages d’une même page"
    dated_a, dated_b = any(ta.dates), any(tb.dates)
    if dated_a and dated_b:
        return "dates ou éditions différentes" if _disagree(ta.dates, tb.dates) else ""
    if dated_a or dated_b:
        return "une série et son édition" if ta.undated == tb.undated else ""
    return ""


def _disagree(a: Sequence[frozenset[int]], b: Sequence[frozenset[int]]) -> bool:
    """Whether two titles' dates differ on a part both give: a year, a month, a day or
    edition number. A date more precise than the other is not another one ("2024" /
    "mars 2024" / "12/03/2024"), nor an edition number beside a year ("2e Forum" /
    "Forum 2024"): the model weighs those."""
    return any(x and y and not (x <= y or y <= x) for x, y in zip(a, b, strict=True))


def apart(a: Features, b: Features) -> str:
    """Why two pages are two things by definition, in French (the review page's
    language), or "" when they may be one. Beyond :func:`two_things`, two definitions
    stay among the pairs the model learns from (what a shared title or a date says is
    learnt on them) and are only never reported: one name in two towns
    (:func:`other_towns`), and two pages dated on days that do not meet (two events, or
    two editions of one: "Repair Party de printemps" on 20 April 2024 and "… 2025")."""
    if why := _definition(a, b):
        return why
    if other_towns(a, b):
        towns = ", ".join(sorted(_towns_named(a) | _towns_named(b)))
        return f"même nom dans deux villes : {towns}"
    if a.days and b.days and not meet(a.days, b.days):
        return "à des dates différentes"
    return ""


def meet(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two spans of days (first, last) share a day."""
    return a[0] <= b[1] and b[0] <= a[1]


DISTRICT = re.compile(r"\d{1,2}(?:e|er|eme)")
"""A town's district, folded: "11e" of "Paris 11e", "1er" of "Lyon 1er"."""


def other_towns(a: Features, b: Features) -> bool:
    """One name in two towns, by definition two things: the titles are the same but for
    the towns they name, and those differ ("Repair café de Blois" / "Repair café de
    Saint-Chamond", "Café des bricoleurs (Brest)" / "Café des bricoleurs (Caen)": the
    branches of a network share its website and phone). A title that names no town
    stands for the towns its text names when its page says nowhere else where it is, and
    none is the other title's ("Le Grenier Numérique", in "la médiathèque de Bourges" /
    "Le Grenier Numérique (Limoges)"); when its text names the other's town, or no town,
    the two may be one ("Le Cœur du Bourg" / "Le Cœur du Bourg (Moulins)"). Unlike
    :func:`two_things`, such pairs stay among those the model learns from (homonyms in
    other towns teach it what a shared title says); they are only never reported."""
    if not (a.title_towns or b.title_towns):
        return False
    ta, tb = _towns_named(a), _towns_named(b)
    if not (ta and tb) or not ta.isdisjoint(tb):
        return False
    if any(_named(t, tb) for t in ta) or any(_named(t, ta) for t in tb):
        return False  # "Lyon" / "Lyon 7e": one town
    x, y = _beyond(a.title.words, ta), _beyond(b.title.words, tb)
    if x == y:
        return True
    one, other = x - y, y - x  # "Café Bricoleur de Nantes" / "Café des bricoleurs (Brest)"
    return len(one) == len(other) == 1 and _typo(min(one), min(other))


def _towns_named(f: Features) -> frozenset[str]:
    return f.title_towns or f.text_towns


def _beyond(words: frozenset[str], towns: frozenset[str]) -> set[str]:
    """A title's words but its towns' and their districts' ("Paris 11e", "Lyon 7e")."""
    said = {w for t in towns for w in t.split()}
    return {w for w in words if w not in said and not DISTRICT.fullmatch(w)}


def _dating(word: str) -> bool:
    return word.isdigit() or word in MONTH_NUMBERS


@dataclass(frozen=True)
class Corpus:
    """How many of the pages hold each value, per kind of value: what makes a value
    rare (a town on hundreds of pages says less than one on two)."""

    pages: int
    counts: Mapping[str, Mapping[str, int]]

    @cached_property
    def title_words(self) -> dict[str, int]:
        """The information each title word carries, in bits: log2(pages / pages whose
        title has it), in units of 1 / ONE."""
        pages = max(self.pages, 2)
        counts = self.counts["title words"]
        return {word: round(ONE * math.log2(pages / n)) for word, n in counts.items()}

    @cached_property
    def name_weights(self) -> dict[str, int]:
        """What each name in the texts counts for when two pages share it: 1 / (the other
        pages holding it), 1 for a name only the two hold, in units of 1 / ONE (rounded
        up: three names each on three other pages count 1)."""
        return {name: -(-ONE // max(n - 1, 1)) for name, n in self.counts["names"].items()}


ONE = 1 << 32
"""Weights are summed as whole numbers of 1 / ONE: a sum over a set of words then does
not depend on the order Python's hash randomisation gives the set in each process (a
float sum does, in its last bit, and a level bound sits on either side of it)."""


def corpus_of(items: Sequence[Features]) -> Corpus:
    return Corpus(
        pages=len(items),
        counts={
            "title": value_counts([f.title.key] if f.title.key else [] for f in items),
            "title words": value_counts(f.title.tokens for f in items),
            "website": value_counts(f.hosts for f in items),
            "email": value_counts(f.emails for f in items),
            "phone": value_counts(f.phones for f in items),
            "place": value_counts(
                [*f.addresses, *f.towns, *f.mentions, *([f.cell] if f.cell else [])] for f in items
            ),
            "names": value_counts(f.names for f in items),
            "numbers": value_counts(
                [" ".join(sorted(n))] if (n := f.title.own_numbers) else [] for f in items
            ),
            "qualifier": value_counts(
                [f.title.qualifier] if f.title.qualifier else [] for f in items
            ),
        },
    )


def compare(a: Features, b: Features, corpus: Corpus) -> Vector:
    """The pair's level on every comparison, and the values that agree (the rarest,
    when several do), for the frequency adjustment."""
    levels = [NULL] * len(COMPARISONS)
    values = [""] * len(COMPARISONS)
    levels[TITLE], values[TITLE] = _title_level(a.title, b.title, corpus)
    na, nb = a.title.own_numbers, b.title.own_numbers
    if na or nb:
        levels[NUMBERS], values[NUMBERS] = (0, " ".join(sorted(na))) if na == nb else (1, "")
    if a.sketch and b.sketch:
        body = similarity(a, b)
        levels[TEXT] = 0 if body >= 0.5 else 1 if body else 2
    for k, x, y, name in (
        (WEBSITE, a.hosts, b.hosts, "website"),
        (EMAIL, a.emails, b.emails, "email"),
        (PHONE, a.phones, b.phones, "phone"),
    ):
        if x and y:
            if x.isdisjoint(y):
                levels[k] = 1
            else:
                levels[k], values[k] = 0, _rarest(x & y, corpus.counts[name])
    levels[PLACE], values[PLACE] = _place_level(a, b, corpus.counts["place"])
    if levels[PLACE] == 0 and levels[PHONE] == 0:  # the premises' switchboard: said once
        levels[PHONE], values[PHONE] = NULL, ""
    levels[NAMES] = _names_level(a, b, corpus.name_weights)
    if a.days and b.days:
        levels[DATES] = 0 if meet(a.days, b.days) else 1
    if a.title.qualifier and b.title.qualifier:
        same = a.title.qualifier == b.title.qualifier
        levels[QUALIFIER], values[QUALIFIER] = (0, a.title.qualifier) if same else (1, "")
    if a.type and b.type:
        levels[TYPE] = 0 if a.type == b.type else 1
    return Vector(tuple(levels), tuple(values))


def _place_level(a: Features, b: Features, counts: Mapping[str, int]) -> tuple[int, str]:
    """Where the two things are: the same street address, coordinates 300 m apart, the
    same town, postcode or street; else, when both pages say where they are (coordinates
    or a town in a field), 20 km apart (or the same département) or different; else a
    place both texts name; NULL when one page says nowhere."""
    if a.addresses and b.addresses:
        if shared := a.addresses & b.addresses:
            return 0, _rarest(shared, counts)
        if any(same_address(x, y) for x in a.addresses for y in b.addresses):
            return 0, ""
    metres = distance_m(a.coordinates, b.coordinates) if a.coordinates and b.coordinates else None
    if metres is not None and metres <= 300:
        return 1, a.cell
    town = same_town(a, b) or _title_town(a, b) or _title_town(b, a)
    if town:
        return 2, town
    if shared := (a.postcodes & b.postcodes) or (
        a.addresses and b.addresses and a.streets & b.streets
    ):
        return 2, min(shared)
    if metres is not None or (a.towns and b.towns):  # both say where: they disagree
        if (metres is not None and metres <= 20000) or (
            {p[:2] for p in a.postcodes} & {p[:2] for p in b.postcodes}
        ):
            return 4, ""
        return 5, ""
    if named := _named_places(a, b):
        return 3, _rarest(named, counts)
    somewhere_a = a.addresses or a.towns or a.postcodes or a.mentions
    somewhere_b = b.addresses or b.towns or b.postcodes or b.mentions
    return (5, "") if somewhere_a and somewhere_b else (NULL, "")


def _named_places(a: Features, b: Features) -> set[str]:
    """Places one page gives or names in its text that the other gives or names too."""
    return set(
        ((a.first_towns | a.mentions) & (b.towns | b.mentions))
        | ((b.first_towns | b.mentions) & (a.towns | a.mentions))
    )


def _names_level(a: Features, b: Features, weights: Mapping[str, int]) -> int:
    """Names both texts give beyond their titles and places (people, organisations),
    each counting for 1 / (the other pages holding it): a name only the two pages hold
    counts 1."""
    if not a.names or not b.names:
        return NULL
    if a.names.isdisjoint(b.names):
        return 2
    shared = a.cited & b.cited
    said = sum(map(weights.get, shared, repeat(ONE)))
    return 0 if said >= 2 * ONE else 1 if 2 * said >= ONE else 2


def _rarest(values: Iterable[str], counts: Mapping[str, int]) -> str:
    return min(values, key=lambda v: (counts.get(v, 0), v))


def title_score(a: Title, b: Title) -> tuple[float, bool]:
    """How close two titles are (0-100), and whether they name two things.

    The score is the better of the word-order-free and the glued comparison, at least 95
    for a typo. Two titles that each have words the other lacks name two things unless
    those words are a typo apart: "Coworking Le Garage" / "Coworking La Grange" differ in
    a name, "La Ruche" / "La Ruhce" in a letter."""
    (key_a, glued_a), (key_b, glued_b) = a.processed, b.processed
    title = max(fuzz.token_sort_ratio(key_a, key_b), fuzz.ratio(glued_a, glued_b))
    if title < 60:
        return title, True  # far apart (a typo keeps titles above 75)
    if a.words <= b.words or b.words <= a.words or a.glued == b.glued:
        return title, False  # words added, or the same words written apart or together
    x = "".join([t for t in a.tokens if t not in b.words])
    y = "".join([t for t in b.tokens if t not in a.words])
    if x == y:
        return title, False  # what each lacks is the same letters, split another way
    if min(len("".join(a.tokens)), len("".join(b.tokens))) >= 5 and _typo(x, y):
        return max(title, 95.0), False
    return title, True


def _title_level(a: Title, b: Title, corpus: Corpus) -> tuple[int, str]:
    """The same key, the same words (glued or in another order), a typo; else how much
    of the two titles' information their common words carry (each word weighing what it
    tells: a word in many titles, "café", "atelier", little; a name, much): most, half,
    some of it, or none; "each its own" when each title also has words the other lacks,
    not a typo apart ("Ritz-Carlton Café" / "Ritz-Carlton Dining Room": two names), apart
    from one title holding the other's words and more ("Careys" / "Careys Corner")."""
    if a.key == b.key and a.key:
        return 0, a.key
    if a.glued == b.glued or a.ordered == b.ordered:
        return 1, ""
    score, two_names = title_score(a, b)
    if score >= 95 and not two_names:
        return 2, ""
    shared = title_overlap(a, b, corpus)
    if shared < 0.25:
        return 9, ""
    return (3 if shared >= 0.75 else 4 if shared >= 0.5 else 5) + 3 * two_names, ""


def title_overlap(a: Title, b: Title, corpus: Corpus) -> float:
    """The share of the two titles' information in the words they have in common (a
    typo apart counts as common), each word weighted by its rarity among titles."""
    weight = corpus.title_words
    x, y = a.words, b.words
    matched = x & y
    ones = [w for w in x - matched if len(w) >= 5]
    others = [w for w in y - matched if len(w) >= 5] if ones else ()
    if others:  # in word order, not in the set's
        for one in sorted(ones):
            for other in sorted(others):
                if other not in matched and _typo(one, other):
                    matched |= {one, other}
    total = sum(map(weight.get, x | y, repeat(ONE)))
    return sum(map(weight.get, matched, repeat(ONE))) / total if total else 0.0


def same_town(a: Features, b: Features) -> str | None:
    """A town both pages name: the first place one page gives (its town, before the
    département or after the venue) among the places of the other ("Grenoble" matches
    "Grenoble, Isère"; a shared département alone is no match)."""
    if not (a.towns and b.towns):
        return None
    exact = (a.first_towns & b.towns) | (b.first_towns & a.towns)
    if exact:
        return min(exact)  # stable reasons, stable review page
    if (
        a.first_towns.isdisjoint(b.town_heads)
        and b.first_towns.isdisjoint(a.town_heads)
        and a.first_heads.isdisjoint(b.towns)
        and b.first_heads.isdisjoint(a.towns)
    ):
        return None  # no town is the start of the other's (the loop below would say so)
    for one, other in ((a, b), (b, a)):
        for first in sorted(one.first_towns):
            if _named(first, other.towns):
                return first
    return None


def _typo(x: str, y: str) -> bool:
    """One edit apart (a swap counts as one) after the same first letter, or two edits
    apart in words of 8 letters or more: "Ruche" / "Ruhce", "Sciences" / "Sicences"."""
    if x[0] != y[0] or abs(len(x) - len(y)) > 2:  # most word pairs: no edit distance needed
        return False
    distance = OSA.distance(x, y, score_cutoff=2)
    return distance <= 1 or (distance <= 2 and min(len(x), len(y)) >= 8)


def _named(word: str, towns: frozenset[str]) -> bool:
    if word in towns:
        return True
    spaced = f"{word} "
    return any(t.startswith(spaced) or word.startswith(f"{t} ") for t in towns)


def _title_town(a: Features, b: Features) -> str | None:
    """A town of ``b`` that ``a``'s title names ("Café bricole de Saumur", "Spago (Los
    Angeles)")."""
    if a.title.qualifier and _named(a.title.qualifier, b.towns):
        return a.title.qualifier
    if b.towns and not b.towns.isdisjoint(a.title.words):
        return min(b.towns & a.title.words)
    return None


# --- learning -------------------------------------------------------------------------------
def with_title_places(items: Sequence[Features]) -> list[Features]:
    """Places a title names ("Repair café de Saumur", "La Ruche (Brest)"), among the
    towns some page gives first in a field (not a département given after its town,
    "Saint-Étienne, Loire", nor the venues that have their own page: "La Fabrique, Lyon"
    names a place called La Fabrique, nor a name only ever given before a town: "L'Établi,
    Saint-Julien-la-Forêt" is a venue, and "L'Établi Paysanne" is not there), are where a
    page that has no place field is. A qualifier that names a place is compared as a
    place, not as a qualifier, and its numbers are a district's, not an edition's ("(Lyon
    9e)")."""
    venues = {t for f in items for t in f.venues} - {t for f in items for t in f.towns - f.venues}
    known = {t for f in items for t in f.towns} - {f.title.name for f in items} - venues
    towns = {t for f in items for t in f.first_towns} & known  # "Loire": a département
    longest = max((len(t.split()) for t in known), default=0)
    firsts = {t.partition(" ")[0] for t in known}
    by_first: dict[str, list[str]] = {}
    for town in sorted(towns):
        by_first.setdefault(town.partition(" ")[0], []).append(town)
    found = []
    for f in items:
        words = fold_words(f.title.raw.partition("/")[0]).split()
        named = {
            " ".join(words[i : i + n])
            for i in range(len(words))
            if words[i] in firsts  # where a known town's name may begin
            for n in range(1, min(longest, len(words) - i) + 1)
        } & known
        changes: dict[str, Any] = {}
        if (qualifier := f.title.qualifier) in known:
            changes["title"] = replace(f.title, qualifier="")  # and its numbers
            named.add(qualifier)
        if titled := frozenset(named & towns):
            changes["title_towns"] = titled
            if not f.towns:  # a place field says better where the page is
                changes["towns"] = changes["first_towns"] = titled
        elif not f.towns and (said := _towns_in(f.names, by_first)):
            changes["text_towns"] = said
        found.append(replace(f, **changes) if changes else f)
    return found


def _towns_in(names: frozenset[str], by_first: Mapping[str, list[str]]) -> frozenset[str]:
    """The towns (indexed by their first word) whose every word is among the names."""
    return _set(t for n in names for t in by_first.get(n, ()) if names.issuperset(t.split()))


def random_pairs(count: int, limit: int, seed: int = 0) -> Iterator[tuple[int, int]]:
    """Every pair of ``count`` items when there are at most ``limit``, else ``limit``
    pairs drawn at random (the same ones each run)."""
    total = count * (count - 1) // 2
    if total <= limit:
        yield from ((i, j) for i in range(count) for j in range(i + 1, count))
        return
    rng = random.Random(seed)
    for _ in range(limit):
        i, j = rng.randrange(count), rng.randrange(count - 1)
        yield (i, j + (j >= i))


# --- reasons --------------------------------------------------------------------------------
REASONS = {
    ("title", "same"): "même titre",
    ("title", "glued"): "mêmes mots du titre",
    ("title", "typo"): "titres à une faute près ({title})",
    ("title", "most words"): "titres proches ({title})",
    ("title", "half the words"): "titres assez proches ({title})",
    ("title", "most words, each its own"): "titres proches ({title})",
    ("title", "half the words, each its own"): "titres assez proches ({title})",
    ("text", "copied"): "même texte ({text} % en commun)",
    ("text", "shared"): "texte en partie commun ({text} %)",
    ("website", "same"): "même site web ({website})",
    ("email", "same"): "même adresse électronique",
    ("phone", "same"): "même téléphone",
    ("numbers", "same"): "mêmes nombres dans le titre",
    ("place", "same address"): "même adresse",
    ("place", "300 m"): "à {metres} m l’un de l’autre",
    ("place", "same town"): "même ville ({town})",
    ("place", "named in the text"): "même lieu cité ({place})",
    ("place", "20 km"): "à {km} km l’un de l’autre",
    ("names", "many"): "mêmes noms cités ({names})",
    ("names", "some"): "noms cités en commun ({names})",
    ("dates", "same"): "mêmes dates",
    ("qualifier", "same"): "même précision entre parenthèses",
    ("type", "same"): "même type",
}
"""What a comparison level says, for the review page (French: Movilab's language)."""
REASON_BITS = 1.0
"""A comparison is a reason when it says at least this much for the pair (in bits: it
makes a match at least twice as likely)."""


def reasons_for(a: Features, b: Features, weights: Sequence[Weight]) -> tuple[str, ...]:
    """The comparisons that speak for the pair, strongest first, in words."""
    details = _details(a, b)
    said = []
    for weight in sorted(weights, key=lambda w: -w.bits):
        phrase = REASONS.get((weight.comparison, weight.level))
        if phrase and weight.bits >= REASON_BITS:
            said.append(phrase.format(**details))
    return tuple(said)


def _details(a: Features, b: Features) -> dict[str, str]:
    metres = distance_m(a.coordinates, b.coordinates) if a.coordinates and b.coordinates else 0.0
    return {
        "title": str(round(title_score(a.title, b.title)[0])),
        "text": str(round(100 * similarity(a, b))),
        "website": ", ".join(sorted(a.hosts & b.hosts)),
        "town": same_town(a, b) or _title_town(a, b) or _title_town(b, a) or "",
        "place": ", ".join(sorted(_named_places(a, b))[:2]),
        "metres": str(round(metres)),
        "km": str(round(metres / 1000)),
        "names": ", ".join(sorted(a.cited & b.cited)[:3]),
    }


# --- detecting ------------------------------------------------------------------------------
def clusters(pairs: Iterable[Pair]) -> list[Cluster]:
    """Pages joined by the pairs (connected components), best score first."""
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


def consistent(pairs: Sequence[Pair], items: Mapping[str, Features]) -> list[Pair]:
    """The pairs, strongest first, without those that would put in one cluster two pages
    that are two things by definition (a page that duplicates a series is not its
    edition too): the weaker link gives way. A subpage's links come after the others: a
    subpage tells part of its parent's story, so a page that matches both a page and
    that page's subpage ("Halle des Minimes (Toulouse)", "La Halle des Minimes" and "La
    Halle des Minimes/Équipe", whose texts cite the same people) matches the page."""
    members: dict[str, list[str]] = {}
    kept = []

    def subpage(p: Pair) -> bool:
        return bool(items[p.a].title.parent or items[p.b].title.parent)

    for pair in sorted(pairs, key=lambda p: (subpage(p), -p.probability, p.a, p.b)):
        one, other = members.get(pair.a, [pair.a]), members.get(pair.b, [pair.b])
        if one is other:
            kept.append(pair)
            continue
        if not pair.verdict and any(apart(items[x], items[y]) for x in one for y in other):
            continue
        joined = one + other
        for title in joined:
            members[title] = joined
        kept.append(pair)
    return sorted(kept, key=lambda p: (-p.probability, p.a, p.b))


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


@dataclass(frozen=True)
class Linkage:
    """The pages as features, the candidate pairs compared, and the model learned."""

    items: tuple[Features, ...]
    pairs: tuple[tuple[int, int], ...]
    vectors: tuple[Vector, ...]
    model: Model
    corpus: Corpus
    labels: Mapping[tuple[int, int], bool]
    """The verdicts by pair of indexes (i < j)."""


@paused_gc()  # many features, blocks and vectors, no cycles
def link(
    items: Sequence[Features], verdicts: Mapping[tuple[str, str], bool] | None = None
) -> Linkage:
    """Compare the candidate pairs and learn the model: u from random pairs, m by EM
    on the candidates, the verdicts (pair of titles, a before b, to "is a duplicate") as
    labels. Labelled pairs that blocking did not pair are compared too."""
    verdicts = verdicts or {}
    items = with_title_places(items)
    corpus = corpus_of(items)
    index = {f.title.raw: i for i, f in enumerate(items)}
    labels = {
        (min(i, j), max(i, j)): said
        for (a, b), said in verdicts.items()
        if (i := index.get(a)) is not None and (j := index.get(b)) is not None
    }
    pairs = [(i, j) for i, j in candidates(items) if not two_things(items[i], items[j])]
    seen = set(pairs)
    pairs.extend(
        (i, j) for i, j in labels if (i, j) not in seen and not two_things(items[i], items[j])
    )
    vectors = _shared(compare(items[i], items[j], corpus) for i, j in pairs)
    matches, non_matches = set(), set()
    if labels:
        for n, pair in enumerate(pairs):
            said = labels.get(pair)
            if said is True:
                matches.add(n)
            elif said is False:
                non_matches.add(n)
    sample = [
        compare(items[i], items[j], corpus)
        for i, j in random_pairs(len(items), RANDOM_PAIRS)
        if not two_things(items[i], items[j])
    ]
    model = learn(
        COMPARISONS,
        vectors,
        sample,
        all_pairs=len(items) * (len(items) - 1) // 2,
        sessions=SESSIONS,
        labels=Labels(frozenset(matches), frozenset(non_matches)),
        value_counts={
            name: corpus.counts[name]
            for name in ("title", "numbers", "website", "email", "phone", "place", "qualifier")
        },
        pages=len(items),
    )
    return Linkage(tuple(items), tuple(pairs), tuple(vectors), model, corpus, labels)


def _shared(vectors: Iterable[Vector]) -> list[Vector]:
    """The vectors, their levels and values kept once each: most candidate pairs
    (nearly a million at 100k pages) fall into a few thousand patterns."""
    seen: dict[tuple[Any, ...], Any] = {}
    return [
        Vector(seen.setdefault(v.levels, v.levels), seen.setdefault(v.values, v.values))
        for v in vectors
    ]


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def explain(linkage: Linkage, a: str, b: str) -> Pair:
    """One pair of pages compared under the learned model, whether or not it was a
    candidate."""
    index = {f.title.raw: i for i, f in enumerate(linkage.items)}
    fa, fb = linkage.items[index[a]], linkage.items[index[b]]
    pair = _pair(fa, fb, compare(fa, fb, linkage.corpus), linkage.model)
    if why := apart(fa, fb):
        return replace(pair, apart=why)
    return pair


def _pair(a: Features, b: Features, vector: Vector, model: Model, verdict: str = "") -> Pair:
    weights = model.weights(vector)
    first, second = _ordered(a.title.raw, b.title.raw)
    return Pair(
        first,
        second,
        model.probability(vector),
        weights,
        reasons_for(a, b, weights),
        verdict,
    )


def features(records: Sequence[Record], profile: Profile) -> list[Features]:
    """The content pages (redirects and unreadable pages left out) as features."""
    settings = DupeSettings.from_profile(profile)
    return [features_of(r, profile, settings) for r in records if not r.redirect and not r.error]


@paused_gc()  # many features, blocks and vectors, no cycles
def detect_duplicates(
    records: Sequence[Record],
    profile: Profile,
    *,
    verdicts: Mapping[tuple[str, str], bool] | None = None,
    threshold: float | None = None,
) -> DupeReport:
    """Near-duplicate pairs among the records (redirects left out), their clusters and,
    for structured pairs, merge proposals. ``verdicts`` map pairs of titles (a before
    b) to what a human said: True (a duplicate: always reported) or False (not one:
    never reported); both teach the model."""
    settings = DupeSettings.from_profile(profile)
    if threshold is not None:
        settings = replace(settings, threshold=threshold)
    verdicts = {_ordered(*pair): said for pair, said in (verdicts or {}).items()}
    kept = [r for r in records if not r.redirect and not r.error]
    items = [features_of(r, profile, settings) for r in kept]
    linkage = link(items, verdicts)
    found = []
    known: dict[tuple[Any, ...], float] = {}  # most pairs share their vector with others
    for pair, vector in zip(linkage.pairs, linkage.vectors, strict=True):
        said = linkage.labels.get(pair)
        if said is False:
            continue
        key = (vector.levels, vector.values)
        if (probability := known.get(key)) is None:
            probability = known[key] = linkage.model.probability(vector)
        if said or 100 * probability >= settings.threshold:
            i, j = pair
            if not said and apart(linkage.items[i], linkage.items[j]):
                continue
            verdict = "duplicate" if said else ""
            found.append(_pair(items[i], items[j], vector, linkage.model, verdict))
    found = consistent(found, {f.title.raw: f for f in linkage.items})
    by_title = {r.title: r for r in kept}
    merges = [m for p in found if (m := merge_proposal(by_title[p.a], by_title[p.b], profile))]
    return DupeReport(
        pairs=tuple(found),
        clusters=tuple(clusters(found)),
        merges=tuple(merges),
        pages=len(kept),
        candidates=len(linkage.pairs),
        model=linkage.model,
    )
