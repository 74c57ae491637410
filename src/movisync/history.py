"""Snapshots: the documentation's state after each `movisync run` (or `gaps --snapshot`). Pure.

A snapshot keeps counts only (gaps by type and kind, each field's completeness, pages
per type, duplicate pairs and clusters) and the wiki revision it describes (the last
recent change seen): a year of daily runs stays well under a megabyte.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from . import locales
from .dupes import DupeReport
from .gaps import GapReport
from .locales import counted
from .profile import Words
from .tracking import Progress


@dataclass(frozen=True)
class Snapshot:
    at: str
    """When (UTC, ISO 8601)."""
    rc_id: int
    """The last recent change the store had seen: which state of the wiki this is."""
    gaps: Mapping[str, Mapping[str, int]]
    """Type ("" for free-form) to gap kind to count."""
    fills: Mapping[str, Mapping[str, float]]
    """Type to field to completeness in percent."""
    pages: Mapping[str, int]
    pairs: int | None = None
    clusters: int | None = None
    new: int | None = None
    """Gaps that appeared since the snapshot before (None: the first, or an older movisync)."""
    back: int | None = None
    """Gaps found again since the snapshot before, after they were fixed."""
    fixed: int | None = None
    """Gaps fixed since the snapshot before."""
    excepted: int | None = None
    """Field gaps that maintainers' exceptions cover (not counted in ``gaps``)."""

    def total(self, page_type: str | None = None, kinds: Collection[str] | None = None) -> int:
        return sum(
            n
            for t, found in self.gaps.items()
            if page_type in (None, t)
            for kind, n in found.items()
            if kinds is None or kind in kinds
        )

    def by_kind(self, page_type: str | None = None) -> dict[str, int]:
        out: dict[str, int] = {}
        for t, kinds in self.gaps.items():
            if page_type in (None, t):
                for kind, n in kinds.items():
                    out[kind] = out.get(kind, 0) + n
        return out


def snapshot(
    gaps: GapReport,
    dupes: DupeReport | None,
    *,
    rc_id: int,
    at: str,
    change: Progress | None = None,
) -> Snapshot:
    """The counts of ``gaps`` and ``dupes`` at ``at``; ``change``: since the snapshot before."""
    counts: dict[str, dict[str, int]] = {}
    for (page_type, kind), n in gaps.summary().items():
        counts.setdefault(page_type, {})[kind] = n
    fills: dict[str, dict[str, float]] = {}
    for fill in gaps.fills:
        fills.setdefault(fill.type, {})[fill.field] = fill.percent
    return Snapshot(
        at=at,
        rc_id=rc_id,
        gaps=counts,
        fills=fills,
        pages=dict(gaps.pages),
        pairs=len(dupes.pairs) if dupes else None,
        clusters=len(dupes.clusters) if dupes else None,
        new=change.new if change and change.since else None,
        back=change.back if change and change.since else None,
        fixed=change.fixed if change and change.since else None,
        excepted=len(gaps.excepted),
    )


def _moment(at: str) -> dt.datetime:
    return dt.datetime.fromisoformat(at.replace("Z", "+00:00"))


def before(snapshots: Sequence[Snapshot], at: str, days: int) -> Snapshot | None:
    """The newest snapshot at least ``days`` older than ``at`` (0: the one just before)."""
    limit = _moment(at) - dt.timedelta(days=days)
    older = [s for s in snapshots if s.at < at and _moment(s.at) <= limit]
    return older[-1] if older else None


def reference(snapshots: Sequence[Snapshot], at: str, days: int = 7) -> str | None:
    """When "new" and "fixed" are counted from: the newest run at least ``days`` before
    ``at``, else the first run; None before any."""
    chosen = before(snapshots, at, days) or next((s for s in snapshots if s.at < at), None)
    return chosen.at if chosen else None


def headline(
    snapshots: Sequence[Snapshot],
    words: Words,
    *,
    now: int,
    at: str,
    change: Progress,
    page_type: str | None = None,
    kinds: Collection[str] | None = None,
) -> str:
    """« 106 manques aujourd’hui (142 il y a 30 jours). 12 corrigés, 5 nouveaux depuis le
    24 novembre 2026. », from the findings being published (``now``, ``change``) and the
    snapshot a month old, in the wiki's words."""
    language = words.language
    counted_now = counted(now, words.gap_forms, language)
    old = before(snapshots, at, 30)
    if old is None:
        line = words.trend_now.format(now=counted_now)
    else:
        then = counted(old.total(page_type, kinds), words.gap_forms, language)
        days = (_moment(at) - _moment(old.at)).days
        line = words.trend.format(then=then, days=days, now=counted_now)
    if change.since is None:
        return line
    changes = [
        counted(change.fixed, words.fixed_forms, language),
        counted(change.new, words.new_forms, language),
    ]
    if change.back:
        changes.append(counted(change.back, words.back_forms, language))
    return (
        line
        + " "
        + words.progress.format(
            changes=", ".join(changes), date=locales.date(change.since, language)
        )
    )
