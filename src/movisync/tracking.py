"""Gaps followed from run to run, and the exceptions maintainers write. Pure.

A gap's identity is (page, kind, field): the same missing field of the same page is the
same gap on every run, whatever its detail says. Each run of the job (and ``gaps
--snapshot``) moves the log forward: a gap not seen before is *new*, one seen again after
it was fixed is *back*, one no longer found is *fixed*. Only those changes are stored, so a
year of nightly runs costs one row per gap ever seen.

An exception says a field does not apply: to one page (``page``), or to every page of a
type (``page`` empty). Its gaps of that field (missing, empty, invalid) are not reported
but counted apart. Exceptions are written on the worklists (« sans objet », « exception :
raison ») and read back on the next run, like duplicate verdicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from .gaps import FIELD_KINDS, Gap, GapReport
from .store import GapId, Tracked, Waiver


def identity(gap: Gap) -> GapId:
    return gap.page, str(gap.kind), gap.field or ""


@dataclass(frozen=True)
class Progress:
    """What changed between two moments: gaps that appeared (new or back) and gaps fixed."""

    new: int
    back: int
    fixed: int
    since: str | None
    """The earlier moment (ISO 8601); None when there is none to compare with."""


def advance(
    log: Mapping[GapId, Tracked], current: Iterable[Gap], at: str, excepted: Iterable[Gap] = ()
) -> tuple[Tracked, ...]:
    """The entries of ``log`` that change at ``at`` given the gaps found now: new gaps,
    gaps back after a fix, gaps fixed. An entry already in its state is left out, and so
    are gaps an exception covers: not reported, but not fixed either."""
    changed: list[Tracked] = []
    seen: set[GapId] = {identity(g) for g in excepted}
    for gap in current:
        key = identity(gap)
        if key in seen:
            continue
        seen.add(key)
        old = log.get(key)
        if old is None:
            changed.append(Tracked(*key, type=gap.type or "", opened=at))
        elif old.fixed is not None:
            changed.append(replace(old, opened=at, fixed=None, returns=old.returns + 1))
    changed += [replace(t, fixed=at) for k, t in log.items() if t.fixed is None and k not in seen]
    return tuple(changed)


def merged(log: Mapping[GapId, Tracked], changes: Iterable[Tracked]) -> dict[GapId, Tracked]:
    """The log once ``changes`` are applied."""
    out = dict(log)
    out.update((t.id, t) for t in changes)
    return out


def progress(
    log: Iterable[Tracked], since: str | None, page_type: str | None = None, *, fields: bool = False
) -> Progress:
    """Gaps new, back and fixed after ``since`` (of one type; ``fields``: field gaps only)."""
    new = back = fixed = 0
    if since is not None:
        kinds = {str(k) for k in FIELD_KINDS}
        for t in log:
            if (page_type is not None and t.type != page_type) or (fields and t.kind not in kinds):
                continue
            if t.fixed is None and t.opened > since:
                if t.returns:
                    back += 1
                else:
                    new += 1
            elif t.fixed is not None and t.fixed > since:
                fixed += 1
    return Progress(new, back, fixed, since)


def waive(report: GapReport, waivers: Sequence[Waiver]) -> GapReport:
    """The report with the field gaps that exceptions cover moved to ``excepted``."""
    if not waivers:
        return report
    keys = {w.key for w in waivers}
    kept: list[Gap] = []
    excepted: list[Gap] = []
    for gap in report.gaps:
        covered = (
            gap.kind in FIELD_KINDS
            and gap.field
            and gap.type
            and ((gap.type, gap.page, gap.field) in keys or (gap.type, "", gap.field) in keys)
        )
        (excepted if covered else kept).append(gap)
    return replace(report, gaps=tuple(kept), excepted=report.excepted + tuple(excepted))
