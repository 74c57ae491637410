"""Snapshots: the documentation's state after each `movisync gaps` or `run`. Pure.

A snapshot keeps counts only (gaps by type and kind, each field's completeness, pages
per type, duplicate pairs and clusters) and the wiki revision it describes (the last
recent change seen): a year of daily runs stays well under a megabyte.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .dupes import DupeReport
from .gaps import GapReport
from .profile import Words


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

    def total(self, page_type: str | None = None) -> int:
        return sum(
            n for t, kinds in self.gaps.items() if page_type in (None, t) for n in kinds.values()
        )

    def by_kind(self, page_type: str | None = None) -> dict[str, int]:
        out: dict[str, int] = {}
        for t, kinds in self.gaps.items():
            if page_type in (None, t):
                for kind, n in kinds.items():
                    out[kind] = out.get(kind, 0) + n
        return out


def snapshot(gaps: GapReport, dupes: DupeReport | None, *, rc_id: int, at: str) -> Snapshot:
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
    )


def before(snapshots: Sequence[Snapshot], latest: Snapshot, days: int) -> Snapshot | None:
    """The newest snapshot at least ``days`` older than ``latest`` (0: the one just before)."""
    limit = dt.datetime.fromisoformat(latest.at.replace("Z", "+00:00")) - dt.timedelta(days=days)
    older = [
        s
        for s in snapshots
        if s is not latest
        and s.at < latest.at
        and dt.datetime.fromisoformat(s.at.replace("Z", "+00:00")) <= limit
    ]
    return older[-1] if older else None


def trend_line(snapshots: Sequence[Snapshot], page_type: str | None, words: Words) -> str:
    """ "142 manques il y a 30 jours, 97 aujourd'hui" (in the wiki's words)."""
    if not snapshots:
        return ""
    latest = snapshots[-1]
    old = before(snapshots, latest, 30)
    now = latest.total(page_type)
    if old is None:
        return words.trend_now.format(now=now)
    days = (
        dt.datetime.fromisoformat(latest.at.replace("Z", "+00:00"))
        - dt.datetime.fromisoformat(old.at.replace("Z", "+00:00"))
    ).days
    return words.trend.format(then=old.total(page_type), days=days, now=now)
