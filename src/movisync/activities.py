"""The commons map: which activities the places run, which pages document them, and which
communs the places use. Pure: records (and the places' texts) in, typed findings out.

- **Places** are the pages of the profile's ``place_types`` (tiers-lieux), by their
  template (a page only in the type's category is not counted: it says too little).
- **A place's activities** are the items of its activity fields (the profile's
  ``activity_fields``: Tags, Theme), dynamic values left out, folded as the near-duplicate
  detector folds titles (case, accents, punctuation) and mapped through its synonym groups
  to the group's first phrase (« outillothèque » is « bricotheque », « café réparation » is
  « repair cafe »); and the synonym groups' activities its title names, as whole words.
- **Documentation** is every page of the ``documentation_types`` (documents, communs; by
  template) and every page carrying a documentation banner. It documents an activity among its own
  activity fields, or one its title names (the activity or a synonym, as whole words).
  Its state: a stub (stub banner, or too short), a page with field gaps, or complete.
- **An undocumented activity** is run by at least ``min_places`` places (3) and documented
  by no page, or only by stubs.
- **A commun** (a page of the ``commun_types``) is used by the places that link to it
  (directly or through a redirect), name its title in their text, that its own actor
  fields (``actor_fields``: Acteurs) list by their title, or that list it in a commun field.
- **A commun field** is a field of a place filled from the communs' category (Page Forms'
  ``values from category=``, read from the wiki's forms) or named by the profile's
  ``commun_fields``. Each item is compared, folded, with the wiki's titles: a commun's
  title or a redirect to a commun is a use; another page's title is nothing; a name with
  no page is **a commun with no page**, listed with the places that name it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .dupes import DupeSettings
from .gaps import FIELD_KINDS, GapReport
from .profile import Profile
from .records import Record
from .text import fold_words, most_written


class DocState(StrEnum):
    COMPLETE = "complete"
    GAPS = "gaps"
    """Some of its fields are missing, empty or invalid."""
    STUB = "stub"


@dataclass(frozen=True)
class DocPage:
    title: str
    state: DocState


@dataclass(frozen=True)
class Activity:
    key: str
    """The folded activity, synonyms mapped to their group's first phrase."""
    label: str
    """How the pages write it most often."""
    places: tuple[str, ...]
    docs: tuple[DocPage, ...]

    @property
    def documented(self) -> bool:
        """Documented by at least one page that is not a stub."""
        return any(d.state is not DocState.STUB for d in self.docs)


@dataclass(frozen=True)
class Commun:
    title: str
    places: tuple[str, ...]


@dataclass(frozen=True)
class CommonsMap:
    activities: tuple[Activity, ...]
    """Every activity some place runs, most places first."""
    communs: tuple[Commun, ...]
    """Every commun, most used first."""
    min_places: int
    unwritten: tuple[Commun, ...] = ()
    """Communs the places' commun fields name that have no page (as written most
    often), most named first."""

    def undocumented(self) -> tuple[Activity, ...]:
        """Activities run by at least ``min_places`` places with no documentation but stubs."""
        return tuple(
            a for a in self.activities if len(a.places) >= self.min_places and not a.documented
        )


class Folding:
    """Activities folded and mapped through the profile's synonym groups."""

    def __init__(self, profile: Profile) -> None:
        self.settings = DupeSettings.from_profile(profile)
        groups = self.settings.synonyms
        self.canonical = {phrase: group[0] for group in groups for phrase in group}
        self.firsts = [group[0] for group in groups]

    def key(self, item: str) -> str:
        folded = fold_words(item)
        return self.canonical.get(folded, folded)

    def named(self, title: str) -> set[str]:
        """The synonym groups' activities a title names, as whole words (its synonyms
        replaced as the near-duplicate detector replaces them in titles)."""
        folded = fold_words(title)
        for pattern, first in self.settings.synonym_patterns:
            folded = pattern.sub(first, folded)
        padded = f" {folded} "
        return {first for first in self.firsts if f" {first} " in padded}


def _items(record: Record, fields: Iterable[str], separator: str | None = None) -> list[str]:
    """The items of the record's values of ``fields``, dynamic values left out; a value the
    schema does not split is split on ``separator``, when given."""
    wanted = set(fields)
    found = []
    for value in record.values:
        if value.name in wanted and not value.dynamic:
            items = value.items or (value.text.split(separator) if separator else (value.text,))
            found += [i.strip() for i in items if i.strip()]
    return found


def commons_map(
    records: Sequence[Record],
    profile: Profile,
    gaps: GapReport,
    texts: Mapping[str, str],
) -> CommonsMap:
    """The commons map of ``records``; ``texts``: each place's wikitext (for the communs
    it names)."""
    folding = Folding(profile)
    live = [r for r in records if not r.redirect and not r.error]
    typed = [r for r in live if r.typed_by == "template"]  # a category alone says little
    places = [r for r in typed if r.type in profile.place_types]
    doc_types = set(profile.documentation_types)
    docs = [r for r in live if (r.type in doc_types and r.typed_by == "template") or r.banners]
    with_gaps = {g.page for g in gaps.gaps if g.kind in FIELD_KINDS}

    run_by: dict[str, set[str]] = defaultdict(set)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for place in places:
        items = _items(place, profile.activity_fields)
        for item in items:
            key = folding.key(item)
            run_by[key].add(place.title)
            spellings[key][item] += 1
        for key in folding.named(place.title):
            run_by[key].add(place.title)
            spellings[key].setdefault(key, 0)  # named by titles only: written as its key
    by_first_word: dict[str, list[str]] = defaultdict(list)
    for key in run_by:
        if key:
            by_first_word[key.split()[0]].append(key)
    documented_by: dict[str, list[DocPage]] = defaultdict(list)
    for doc in docs:
        state = (
            DocState.STUB
            if doc.stub or doc.body_chars < profile.stub_min_chars
            else DocState.GAPS
            if doc.title in with_gaps
            else DocState.COMPLETE
        )
        keys = {folding.key(i) for i in _items(doc, profile.activity_fields)}
        folded_title = fold_words(doc.title)
        keys |= folding.named(doc.title)
        padded = f" {folded_title} "
        keys |= {
            k
            for word in set(folded_title.split())
            for k in by_first_word.get(word, ())
            if f" {k} " in padded
        }
        for key in keys:
            documented_by[key].append(DocPage(doc.title, state))

    activities = sorted(
        (
            Activity(
                key,
                most_written(spellings[key]),
                tuple(sorted(run_by[key])),
                tuple(sorted(documented_by.get(key, ()), key=lambda d: d.title)),
            )
            for key in run_by
        ),
        key=lambda a: (-len(a.places), a.key),
    )
    communs, unwritten = _communs(records, places, profile, texts)
    return CommonsMap(tuple(activities), communs, profile.min_places, unwritten)


def commun_fields(profile: Profile) -> set[str]:
    """The fields of the place types that list communs: filled from a commun type's
    category by the wiki's forms, or named by the profile."""
    categories = {t.category for t in profile.types if t.key in profile.commun_types}
    categories.discard("")
    return set(profile.commun_fields) | {
        f.name
        for t in profile.types
        if t.key in profile.place_types
        for f in t.fields
        if f.pages_in and f.pages_in in categories
    }


NOT_ASCII_WORD = re.compile(r"[^a-z0-9]+")


def _ascii_words(text: str) -> str:
    """Text folded to ASCII words (case and accents folded, other letters dropped), fast
    enough for every place's wikitext: titles are folded the same way to be found in it."""
    folded = unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode()
    return " ".join(NOT_ASCII_WORD.sub(" ", folded).split())


def _communs(
    records: Sequence[Record],
    places: Sequence[Record],
    profile: Profile,
    texts: Mapping[str, str],
) -> tuple[tuple[Commun, ...], tuple[Commun, ...]]:
    communs = [
        r
        for r in records
        if r.type in profile.commun_types and r.typed_by == "template" and not r.redirect
    ]
    redirects = {r.title: r.redirect for r in records if r.redirect}
    users: dict[str, set[str]] = {c.title: set() for c in communs}
    # A commun is looked for only in texts holding all its title's words, found through
    # the word fewest commun titles share.
    titles = {c.title: _ascii_words(c.title).split() for c in communs}
    shared = Counter(w for named in titles.values() for w in set(named))
    by_word: dict[str, list[tuple[str, frozenset[str], str]]] = defaultdict(list)
    for title, named in titles.items():
        if named:
            key = min(named, key=lambda w: (shared[w], -len(w)))
            by_word[key].append((title, frozenset(named), f" {' '.join(named)} "))
    by_name: dict[str, list[str]] = defaultdict(list)
    for place in places:
        by_name[fold_words(place.title)].append(place.title)
    for commun in communs:
        for item in _items(commun, profile.actor_fields):
            users[commun.title].update(by_name.get(fold_words(item), ()))
    named_by: dict[str, set[str]] = defaultdict(set)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    listing = commun_fields(profile)
    by_title = {fold_words(r.title): r.title for r in records} if listing else {}
    for place in places if listing else ():
        for item in _items(place, listing, separator=","):
            folded = fold_words(item)
            page = by_title.get(folded)
            target = redirects.get(page, page) if page else None
            if target in users:
                users[target].add(place.title)
            elif page is None and folded:
                named_by[folded].add(place.title)
                spellings[folded][item] += 1
    for place in places:
        for target in place.links:
            target = redirects.get(target) or target
            if target in users:
                users[target].add(place.title)
        text = f" {_ascii_words(texts.get(place.title, ''))} "
        present = set(text.split())
        for word in present & by_word.keys():
            for title, needed, phrase in by_word[word]:
                if needed <= present and phrase in text:
                    users[title].add(place.title)
    return _ranked(users), _ranked(
        {most_written(spellings[key]): places for key, places in named_by.items()}
    )


def _ranked(users: Mapping[str, set[str]]) -> tuple[Commun, ...]:
    return tuple(
        sorted(
            (Commun(title, tuple(sorted(places))) for title, places in users.items()),
            key=lambda c: (-len(c.places), c.title),
        )
    )
