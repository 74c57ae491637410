"""Result types as rows for the command line's tables (and as JSON-able dicts), and as
the lines it says to people, in their language (:mod:`movisync.i18n`). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from .activities import CommonsMap
from .dupes import DupeReport, Pair
from .gaps import GapKind, GapReport
from .history import Snapshot
from .i18n import N_, _, ngettext
from .publish import ApplyResult, Plan
from .records import Record
from .schema import FieldUse, Schema
from .sync import PullSummary, StoreStatus
from .workspace import RunResult

Rows = tuple[list[dict[str, Any]], list[str]]
"""Rows and the columns a table shows."""


PULL_KINDS = {
    "full": N_("full pull"),
    "incremental": N_("incremental pull"),
    "dump": N_("dump pull"),
}


def pull_kind(kind: str) -> str:
    """A pull's kind (``full``, ``incremental``, ``dump``) said for people."""
    return _(PULL_KINDS[kind]) if kind in PULL_KINDS else kind


def pull_line(summary: PullSummary) -> str:
    kind = pull_kind(summary.kind)
    if summary.resumed:
        kind = _("{kind} (resumed)").format(kind=kind)
    return _("{kind}: {new}, {changed}, {deleted}, {moved}; {requests} in {seconds:.1f} s").format(
        kind=kind,
        new=ngettext("{count} new", "{count} new", summary.new).format(count=summary.new),
        changed=ngettext("{count} changed", "{count} changed", summary.changed).format(
            count=summary.changed
        ),
        deleted=ngettext("{count} deleted", "{count} deleted", summary.deleted).format(
            count=summary.deleted
        ),
        moved=ngettext("{count} moved", "{count} moved", summary.moved).format(count=summary.moved),
        requests=ngettext("{count} request", "{count} requests", summary.requests).format(
            count=summary.requests
        ),
        seconds=summary.seconds,
    )


def pull_json(summary: PullSummary) -> dict[str, Any]:
    data = asdict(summary)
    keys = ("new", "changed", "deleted", "moved", "requests", "seconds")
    return {k: data[k] for k in keys} | {"kind": summary.kind}


def status_lines(status: StoreStatus) -> list[str]:
    lines = [
        _("store: {store}").format(store=status.store),
        _("wiki: {name} ({api})").format(
            name=status.sitename or "?", api=status.api or _("from a dump")
        ),
    ]
    for ns, count in status.pages.items():
        name = status.namespace_names.get(ns) or _("(main)")
        pages = ngettext("{namespace}: {count} page", "{namespace}: {count} pages", count)
        lines.append("  " + pages.format(namespace=name, count=count))
    last = status.last_pull
    lines.append(
        _("last pull: {when}, {kind}").format(when=last["finished"], kind=pull_kind(last["kind"]))
        if last
        else _("last pull: never")
    )
    if status.pending:
        lines.append(
            _("pending: an interrupted {kind}; `movisync pull` resumes it").format(
                kind=pull_kind(status.pending)
            )
        )
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
    lines = [
        _("type {key}: {how}").format(key=t.key, how=t.found)
        for t in found.profile.types
        if t.found
    ]
    lines += [
        (
            _("profile type {key}: no page uses its templates; closest: {closest}")
            if closest
            else _("profile type {key}: no page uses its templates")
        ).format(key=key, closest=closest)
        for key, closest in found.unmatched
    ]
    lines += [
        ngettext(
            "template {template} structures {count} page but is no type",
            "template {template} structures {count} pages but is no type",
            n,
        ).format(template=t, count=n)
        for t, n in found.untyped
    ]
    lines += [
        _("{form}: field {name} is not a parameter of its template").format(form=form, name=name)
        for form, name in found.form_only
    ]
    lines += [_("sources disagree: {note}").format(note=note) for note in found.disagreements]
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
    line = _(
        "{a} / {b}: match probability {probability:.1%} ({prior:+.1f} bits for two random "
        "pages, {total:+.1f} with the evidence)"
    ).format(a=pair.a, b=pair.b, probability=pair.probability, prior=prior_bits, total=total)
    if pair.apart:
        line = _("{line}; two things by definition ({why}): never reported").format(
            line=line, why=pair.apart
        )
    return line


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
    pairs, clusters = len(report.pairs), len(report.clusters)
    return _("{pairs} in {clusters} among {pages} ({compared})").format(
        pairs=ngettext("{count} pair", "{count} pairs", pairs).format(count=pairs),
        clusters=ngettext("{count} cluster", "{count} clusters", clusters).format(count=clusters),
        pages=ngettext("{count} page", "{count} pages", report.pages).format(count=report.pages),
        compared=ngettext(
            "{count} candidate pair compared", "{count} candidate pairs compared", report.candidates
        ).format(count=report.candidates),
    )


def gaps_line(report: GapReport) -> str:
    """How many gaps on how many pages."""
    gaps, pages = len(report.gaps), sum(report.pages.values())
    return _("{gaps} on {pages}").format(
        gaps=ngettext("{count} gap", "{count} gaps", gaps).format(count=gaps),
        pages=ngettext("{count} page", "{count} pages", pages).format(count=pages),
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
        lines.append(f"== {edit.title} ({_where(edit.create, edit.base_rev)})")
        lines.append(_("summary: {summary}").format(summary=edit.summary))
        lines += edit.diff().splitlines()
    return lines


def _where(create: bool, base_rev: int) -> str:
    return _("new page") if create else _("rev {rev}").format(rev=base_rev)


def skipped_lines(plan: Plan) -> list[str]:
    lines = [
        _("Skipped {title}: {detail}").format(title=skip.title, detail=skip.detail)
        for skip in plan.skipped
    ]
    edits, skipped = len(plan.edits), len(plan.skipped)
    counts = _("{edits}, {skipped}").format(
        edits=ngettext("{count} page to edit", "{count} pages to edit", edits).format(count=edits),
        skipped=ngettext("{count} skipped", "{count} skipped", skipped).format(count=skipped),
    )
    return [*lines, counts]


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
        lines.append(
            _("plan: {title} ({where}): +{added} -{removed} lines").format(
                title=edit.title,
                where=_where(edit.create, edit.base_rev),
                added=added,
                removed=removed,
            )
        )
    return lines


def applied_lines(result: ApplyResult) -> list[str]:
    lines = [
        _("Edited {title} (rev {rev})").format(title=done.title, rev=done.rev_id)
        for done in result.applied
    ]
    if result.unchanged:
        count = len(result.unchanged)
        lines.append(
            ngettext(
                "{count} page already up to date: nothing saved",
                "{count} pages already up to date: nothing saved",
                count,
            ).format(count=count)
        )
    lines += [
        _("Skipped {title}: {detail}").format(title=skip.title, detail=skip.detail)
        for skip in result.skipped
    ]
    if result.stopped:
        lines.append(_("Stopped: the stop page says stop"))
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


def activities(found: CommonsMap, undocumented: bool) -> Rows:
    """One activity a row: places running it, the pages documenting it and their state."""
    chosen = found.undocumented() if undocumented else found.activities
    rows = [
        {
            "activity": a.key,
            "label": a.label,
            "places": len(a.places),
            "documented": a.documented,
            "docs": "; ".join(f"{d.title} ({d.state})" for d in a.docs),
            "place_titles": "; ".join(a.places),
        }
        for a in chosen
    ]
    return rows, ["activity", "places", "documented", "docs"]


def communs(found: CommonsMap) -> Rows:
    """Each commun with its users, then the communs places list that have no page."""
    rows = [
        {
            "commun": c.title,
            "page": page,
            "places": len(c.places),
            "place_titles": "; ".join(c.places),
        }
        for page, listed in ((True, found.communs), (False, found.unwritten))
        for c in listed
    ]
    return rows, ["commun", "page", "places", "place_titles"]
