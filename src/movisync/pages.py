"""The curated pages movisync owns on the wiki, in one registry. Pure.

Each kind of curated page says, in one place, how its title is made (from the profile's
words, under the publish prefix), whether there is one per page type, how it renders,
and whether reviewers may write in it (the review page's verdict column): plan, apply
and doctor all read this registry. Adding a curated page is adding one entry.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from . import render
from .activities import CommonsMap
from .dupes import DupeReport
from .gaps import FIELD_KINDS, GapReport
from .history import Snapshot, headline, reference
from .profile import PageType, Profile, Words
from .records import Record
from .render import Block
from .site import SiteInfo
from .store import GapId, Tracked, Waiver
from .tracking import progress

PROJECT = 4


class PageKind(StrEnum):
    DIRECTORY = "directory"
    ACTIVITIES = "activities"
    WORKLIST = "worklist"
    REVIEW = "duplicates"
    TO_DOCUMENT = "to-document"
    COMMUNS = "communs"


@dataclass(frozen=True)
class CuratedPage:
    """One page movisync writes: its title, its kind, and its block's id."""

    kind: PageKind
    title: str
    type: str | None = None
    """The page type it is about, for the pages made one per type."""

    @property
    def block(self) -> str:
        """The id in the page's ``<!-- movisync:begin ID -->`` marker."""
        return f"{self.kind}-{self.type}" if self.type else str(self.kind)

    @property
    def reviewers_write(self) -> bool:
        """Whether people write in the block (its last column): their words are theirs."""
        return REGISTRY[self.kind].reviewers_write


@dataclass(frozen=True)
class Findings:
    """What the curated pages are made from."""

    records: Sequence[Record]
    gaps: GapReport
    dupes: DupeReport
    verdicts: Mapping[tuple[str, str], str]
    history: Sequence[Snapshot]
    profile: Profile
    template_ns: str
    """The wiki's name of the template namespace ("Modèle" on Movilab)."""
    at: str = "1970-01-01T00:00:00Z"
    """When the findings were made (ISO 8601)."""
    log: Mapping[GapId, Tracked] = field(default_factory=dict)
    """Every gap's life, as this run leaves it (see :mod:`movisync.tracking`)."""
    waivers: Sequence[Waiver] = ()
    inbound: Mapping[str, int] = field(default_factory=dict)
    special_ns: str = "Special"
    """The wiki's name of the special namespace ("Spécial" on Movilab)."""
    commons: CommonsMap | None = None
    """Activities, their documentation and the communs in use (see :mod:`movisync.activities`)."""
    page_limit: int = render.PAGE_LIMIT
    """Bytes of wikitext past which a curated page is split into subpages."""


Renderer = Callable[[CuratedPage, PageType | None, Findings], Block]


@dataclass(frozen=True)
class Spec:
    word: Callable[[Words], str]
    """The title's last part(s), from the profile's words."""
    per_type: bool
    render: Renderer
    reviewers_write: bool = False


def _directory(page: CuratedPage, page_type: PageType | None, found: Findings) -> Block:
    assert page_type is not None
    words = found.profile.words
    return render.directory(found.records, page_type, page.title, words, found.template_ns)


def _worklist(page: CuratedPage, page_type: PageType | None, found: Findings) -> Block:
    assert page_type is not None
    words = found.profile.words
    since = reference(found.history, found.at)
    change = progress(found.log.values(), since, page_type.key, fields=True)
    shown = sum(1 for g in found.gaps.gaps if g.type == page_type.key and g.kind in FIELD_KINDS)
    line = headline(
        found.history,
        words,
        now=shown,
        at=found.at,
        change=change,
        page_type=page_type.key,
        kinds={str(k) for k in FIELD_KINDS},
    )
    more = render.Followed(found.log, since, found.waivers, found.inbound, found.special_ns, line)
    return render.worklist(found.gaps, page_type, page.title, words, more)


def _commons(found: Findings) -> CommonsMap:
    assert found.commons is not None, "the commons map is needed for this page"
    return found.commons


def _to_document(page: CuratedPage, _: PageType | None, found: Findings) -> Block:
    profile = found.profile
    docs = sorted(
        r.title
        for r in found.records
        if not r.redirect
        and ((r.type in profile.documentation_types and r.typed_by == "template") or r.banners)
    )
    return render.to_document(_commons(found), docs, page.title, profile.words)


REGISTRY: Mapping[PageKind, Spec] = {
    PageKind.DIRECTORY: Spec(lambda w: w.directory, True, _directory),
    PageKind.ACTIVITIES: Spec(
        lambda w: w.activities,
        False,
        lambda page, _, found: render.activities(found.records, found.profile, page.title),
    ),
    PageKind.WORKLIST: Spec(lambda w: w.worklist, True, _worklist, reviewers_write=True),
    PageKind.REVIEW: Spec(
        lambda w: w.review,
        False,
        lambda page, _, found: render.review(
            found.dupes, page.title, found.verdicts, found.profile.words
        ),
        reviewers_write=True,
    ),
    PageKind.TO_DOCUMENT: Spec(lambda w: w.to_document, False, _to_document),
    PageKind.COMMUNS: Spec(
        lambda w: w.communs_used,
        False,
        lambda page, _, found: render.communs(_commons(found), page.title, found.profile.words),
    ),
}
"""Every kind of curated page (a test proves it covers PageKind)."""


def publish_prefix(site: SiteInfo | None, prefix: str | None = None) -> str:
    """Where movisync's own pages live: as configured, or "<project namespace>:Movisync"
    (the project namespace's name from siteinfo: "Movilab" on Movilab)."""
    if prefix:
        return prefix
    project = site.namespace(PROJECT) if site else None
    return f"{project.name if project else 'Project'}:Movisync"


def curated_pages(profile: Profile, prefix: str) -> list[CuratedPage]:
    """Every curated page, in the registry's order, per type where it is per type."""
    pages = []
    for kind, spec in REGISTRY.items():
        base = f"{prefix}/{spec.word(profile.words)}"
        if spec.per_type:
            pages += [CuratedPage(kind, f"{base}/{t.plural}", t.key) for t in profile.types]
        else:
            pages.append(CuratedPage(kind, base))
    return pages


def stop_page(profile: Profile, prefix: str, configured: str | None = None) -> str:
    """The page that stops every edit when it says so."""
    return configured or f"{prefix}/{profile.words.stop}"


def review_page(pages: Sequence[CuratedPage]) -> CuratedPage:
    return next(p for p in pages if p.kind is PageKind.REVIEW)


def subpage_numbers(page: CuratedPage, titles: Iterable[str]) -> list[int]:
    """The numbers of ``page``'s subpages (``<title>/1``, ``<title>/2``…) among ``titles``."""
    head = page.title + "/"
    return sorted(
        int(rest) for t in titles if t.startswith(head) and (rest := t[len(head) :]).isdigit()
    )


def owned_blocks(pages: Sequence[CuratedPage], titles: Iterable[str]) -> dict[str, frozenset[str]]:
    """Which blocks movisync may write on which page: each curated page's block, and on
    each of its subpages among ``titles`` that subpage's block (``<block>-<n>``)."""
    titles = list(titles)
    owned = {p.title: frozenset({p.block}) for p in pages}
    for page in pages:
        for number in subpage_numbers(page, titles):
            owned[f"{page.title}/{number}"] = frozenset({f"{page.block}-{number}"})
    return owned


def render_pages(
    pages: Sequence[CuratedPage], found: Findings, existing: Collection[str] = ()
) -> list[Block]:
    """Every curated page's block, rendered; a page longer than ``found.page_limit`` is
    split into numbered subpages (itself an index of them), and subpages in ``existing``
    (titles on the wiki) that are no longer needed get a pointer to the page."""
    types = {t.key: t for t in found.profile.types}
    words = found.profile.words
    blocks = []
    for page in pages:
        block = REGISTRY[page.kind].render(page, types.get(page.type or ""), found)
        block = replace(block, reviewers_write=page.reviewers_write)
        main, parts = render.chunks(block.text, found.page_limit)
        if parts:
            index = render.subpage_index(main, parts, page.title, words)
            blocks.append(replace(block, text=index, moved=True))
        else:
            blocks.append(block)
        for number, part in enumerate(parts, 1):
            blocks.append(
                replace(
                    block, page=f"{page.title}/{number}", id=f"{page.block}-{number}", text=part
                )
            )
        for number in subpage_numbers(page, existing):
            if number > len(parts):
                pointer = words.retired.format(page=f"[[{page.title}]]")
                blocks.append(
                    Block(
                        f"{page.title}/{number}",
                        f"{page.block}-{number}",
                        pointer,
                        reviewers_write=page.reviewers_write,  # as when it was written
                        moved=True,
                    )
                )
    return blocks
