"""Result types as rows for the command line's tables (and as JSON-able dicts). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from .dupes import DupeReport, Pair
from .gaps import GapKind, GapReport
from .history import Snapshot
from .publish import ApplyResult, Plan
from .records import Record
from .schema import FieldUse, Schema
from .sync import PullSummary, StoreStatus
from .workspace import RunResult

Rows = tuple[list[dict[str, Any]], list[str]]
"""Rows and the columns a table shows."""


def pull_line(summary: PullSummary) -> str:
    resumed = " (resumed)" if summary.resumed else ""
    return (
        f"{summary.kind} pull{resumed}: {summary.new} new, {summary.changed} changed, "
        f"{summary.deleted} deleted, {summary.moved} moved; {summary.requests} requests "
        f"in {summary.seconds:.1f} s"
    )


def pull_json(summary: PullSummary) -> dict[str, Any]:
    data = asdict(summary)
    keys = ("new", "changed", "deleted", "moved", "requests", "seconds")
    return {k: data[k] for k in keys} | {"kind": summary.kind}


def status_lines(status: StoreStatus) -> list[str]:
    lines = [
        f"store: {status.store}",
        f"wiki: {status.sitename or '?'} ({status.api or 'from a dump'})",
    ]
    for ns, count in status.pages.items():
        lines.append(f"  {status.namespace_names.get(ns) or '(main)'}: {count} pages")
    last = status.last_pull
    lines.append("last pull: " + (f"{last['finished']}, {last['kind']}" if last else "never"))
    if status.pending:
        lines.append(f"pending: an interrupted {status.pending} pull; `movisync pull` resumes it")
    return lines


def records(found: Sequence[Record], detailed: bool) -> Rows:
    if detailed:
        return [asdict(r) | {"values": {v.name: v.text for v in r.values}} for r in found], []
    rows = [
        {
            "title": r.title,
            "type": r.type or "",
            "by": r.typed_by or "",
            "fields": len(r.values),
            "chars": r.body_chars,
            "redirect": r.redirect or "",
            "values": "; ".join(f"{v.name}={v.text}" for v in r.values),
        }
        for r in found
    ]
    return rows, ["title", "type", "by", "fields", "chars", "redirect", "values"]


def gaps(report: GapReport) -> Rows:
    return [asdict(g) for g in report.gaps], ["page", "type", "kind", "field", "detail"]


def gap_counts(report: GapReport) -> Rows:
    rows = [{"type": t, "kind": k, "gaps": n} for (t, k), n in sorted(report.summary().items())]
    return rows, ["type", "kind", "gaps"]


def fills(report: GapReport) -> Rows:
    rows = [
        {
            "type": f.type,
            "field": f.field,
            "filled": f.filled,
            "pages": f.pages,
            "percent": f.percent,
        }
        for f in report.fills
    ]
    return rows, ["type", "field", "filled", "pages", "percent"]


def schema(uses: Sequence[FieldUse]) -> Rows:
    """One row a field: its rules, where each comes from, and how many pages fill it."""
    rows = []
    for use in uses:
        spec = use.spec
        rows.append(
            {
                "type": use.type,
                "field": spec.name,
                "kind": spec.kind + (f" list ({spec.separator})" if spec.multi else ""),
                "required": "yes" if spec.required else "",
                "values": ", ".join(spec.values[:6]) + (" …" if len(spec.values) > 6 else ""),
                "filled": f"{use.filled}/{use.pages}",
                "percent": use.percent,
                "sources": "; ".join(f"{a}: {s}" for a, s in sorted(spec.sources.items())),
            }
        )
    return rows, ["type", "field", "kind", "required", "values", "filled", "sources"]


def schema_notes(found: Schema) -> list[str]:
    """What the schema's discovery did, for people (stderr)."""
    lines = [f"type {t.key}: {t.found}" for t in found.profile.types if t.found]
    lines += [
        f"profile type {key}: no page uses its templates"
        + (f"; closest: {closest}" if closest else "")
        for key, closest in found.unmatched
    ]
    lines += [f"template {t} structures {n} pages but is no type" for t, n in found.untyped]
    lines += [
        f"{form}: field {name} is not a parameter of its template" for form, name in found.form_only
    ]
    lines += [f"sources disagree: {note}" for note in found.disagreements]
    return lines


def _pair_row(pair: Pair) -> dict[str, Any]:
    return {
        "score": pair.score,
        "a": pair.a,
        "b": pair.b,
        "probability": round(pair.probability, 4),
        "reasons": list(pair.reasons),
        "verdict": pair.verdict,
        "weights": [
            {"comparison": w.comparison, "level": w.level, "bits": round(w.bits, 2)}
            for w in pair.weights
        ],
    }


def pairs(report: DupeReport) -> Rows:
    """Each pair with its match probability (score, in percent), reasons, the human's
    verdict if any and (in JSON) every comparison's weight."""
    return [_pair_row(p) for p in report.pairs], ["score", "a", "b", "reasons", "verdict"]


def explanation(pair: Pair) -> Rows:
    """One pair's comparisons: level, weight in bits, m and u."""
    rows = [
        {
            "comparison": w.comparison,
            "level": w.level,
            "bits": round(w.bits, 2),
            "m": round(w.m, 4),
            "u": float(f"{w.u:.3g}"),
        }
        for w in pair.weights
    ]
    return rows, ["comparison", "level", "bits", "m", "u"]


def explanation_line(pair: Pair, prior_bits: float) -> str:
    total = prior_bits + sum(w.bits for w in pair.weights)
    return (
        f"{pair.a} / {pair.b}: match probability {pair.probability:.1%} "
        f"({prior_bits:+.1f} bits for two random pages, {total:+.1f} with the evidence)"
    )


def clusters(report: DupeReport) -> Rows:
    rows = [
        {"pages": list(c.pages), "size": len(c.pages), "score": c.score} for c in report.clusters
    ]
    return rows, ["score", "size", "pages"]


def merges(report: DupeReport) -> Rows:
    rows = [
        {
            "a": m.a,
            "b": m.b,
            "type": m.type,
            "field": f.field,
            "value_a": f.a,
            "value_b": f.b,
            "keep": f.keep,
            "conflict": f.conflict,
        }
        for m in report.merges
        for f in m.fields
    ]
    return rows, ["a", "b", "field", "value_a", "value_b", "keep", "conflict"]


def dupes_line(report: DupeReport) -> str:
    return (
        f"{len(report.pairs)} pairs in {len(report.clusters)} clusters among "
        f"{report.pages} pages ({report.candidates} candidate pairs compared)"
    )


def history(taken: Sequence[Snapshot], page_type: str | None) -> Rows:
    rows = [
        {
            "at": s.at,
            "rc_id": s.rc_id,
            "pages": sum(s.pages.values()),
            "gaps": s.total(page_type),
            "new": None if page_type else s.new,
            "back": None if page_type else s.back,
            "fixed": None if page_type else s.fixed,
            "excepted": None if page_type else s.excepted,
            "pairs": s.pairs,
            "clusters": s.clusters,
            **s.by_kind(page_type),
        }
        for s in taken
    ]
    kinds = [str(k) for k in GapKind if any(k in r for r in rows)]
    return rows, [
        "at",
        "pages",
        "gaps",
        "new",
        "back",
        "fixed",
        "excepted",
        "pairs",
        "clusters",
        *kinds,
    ]


def plan_lines(plan: Plan) -> list[str]:
    """The plan as it is shown: per page, a heading, the edit summary and the diff."""
    lines = []
    for edit in plan.edits:
        lines.append(f"== {edit.title} ({'new page' if edit.create else f'rev {edit.base_rev}'})")
        lines.append(f"summary: {edit.summary}")
        lines += edit.diff().splitlines()
    return lines


def skipped_lines(plan: Plan) -> list[str]:
    lines = [f"Skipped {skip.title}: {skip.detail}" for skip in plan.skipped]
    return [*lines, f"{len(plan.edits)} page(s) to edit, {len(plan.skipped)} skipped"]


def plan_summary_lines(plan: Plan) -> list[str]:
    """The plan in one line a page (what a scheduled run prints; diffs with --diff)."""
    lines = []
    for edit in plan.edits:
        added = removed = 0
        for line in edit.diff().splitlines():
            if line.startswith("+") and not line.startswith("+++"):
                added += 1
            elif line.startswith("-") and not line.startswith("---"):
                removed += 1
        where = "new page" if edit.create else f"rev {edit.base_rev}"
        lines.append(f"plan: {edit.title} ({where}): +{added} -{removed} lines")
    return lines


def applied_lines(result: ApplyResult) -> list[str]:
    lines = [f"Edited {done.title} (rev {done.rev_id})" for done in result.applied]
    if result.unchanged:
        lines.append(f"{len(result.unchanged)} page(s) already up to date: nothing saved")
    lines += [f"Skipped {skip.title}: {skip.detail}" for skip in result.skipped]
    if result.stopped:
        lines.append("Stopped: the stop page says stop")
    return lines


def run_json(done: RunResult) -> dict[str, Any]:
    """What `movisync run --report FILE` writes."""
    return {
        "pull": asdict(done.pull),
        "gaps": {f"{t}:{k}": n for (t, k), n in sorted(done.gaps.summary().items())},
        "planned": [{"title": e.title, "diff": e.diff()} for e in done.plan.edits],
        "applied": [
            {"title": a.title, "rev_id": a.rev_id, "blocks": sorted(b.id for b in a.blocks)}
            for a in (done.applied.applied if done.applied else ())
        ],
        "skipped": [asdict(s) for s in done.skipped],
        "stopped": done.stopped,
        "failing_gap_kinds": list(done.failing),
    }
