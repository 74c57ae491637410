"""The ``movisync`` command: one thin command per library function.

Data goes to stdout, progress and errors to stderr. Exit codes: 0 done, 1 error (one
``Error: ...`` line), 2 usage or configuration, 130 interrupted (what was stored is kept).
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__, analysis, job, report
from .config import Settings, load_settings
from .errors import ConfigError, MovisyncError
from .gaps import KINDS
from .output import emit, output_options
from .profile import Profile, load_profile
from .publish import ApplyResult, Plan
from .store import Store
from .sync import Progress, PullSummary, load_dump, pull, store_status

F = TypeVar("F", bound=Callable[..., Any])


class _Group(click.Group):
    """Turns library errors into one line and an exit code, in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(2)
        except MovisyncError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo(
                "\nInterrupted: what was stored is kept; run the same command again to resume.",
                err=True,
            )
            ctx.exit(130)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="movisync")
@click.option("-v", "--verbose", is_flag=True, help="Log API warnings and retries on stderr.")
def main(verbose: bool) -> None:
    """Keep Movilab's documentation in good shape: pull the wiki into a local store,
    find gaps and near-duplicates, push curated summary pages back safely."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s: %(message)s",
        stream=sys.stderr,
    )


def wiki_options(command: F) -> F:
    """``--api`` and ``--store``, accepted by every command after its name."""

    @click.option(
        "--api",
        metavar="URL",
        help="MediaWiki API URL [env MOVISYNC_API; default https://movilab.org/api.php].",
    )
    @click.option(
        "--store",
        type=click.Path(path_type=Path),
        metavar="PATH",
        help="Store file [env MOVISYNC_STORE; default movisync.sqlite].",
    )
    @functools.wraps(command)
    def wrapper(*args: Any, api: str | None, store: Path | None, **kwargs: Any) -> Any:
        settings = load_settings(flags={"api": api, "store": store})
        return command(*args, settings=settings, **kwargs)

    return wrapper  # type: ignore[return-value]


def format_option(*choices: str) -> Callable[[F], F]:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format on stdout.",
    )


connect = job.client_for


class _ProgressLine:
    """A one-line progress bar on stderr, drawn only on a terminal."""

    def __init__(self) -> None:
        self.active = sys.stderr.isatty()
        self.drawn = False

    def __call__(self, progress: Progress) -> None:
        if not self.active:
            return
        if progress.total:
            share = min(1.0, progress.pages / progress.total)
            bar = "#" * int(share * 30)
            line = (
                f"{progress.kind}: [{bar:<30}] {progress.pages}/~{progress.total} pages, "
                f"{progress.requests} requests"
            )
        else:
            line = f"{progress.kind}: {progress.pages} pages, {progress.requests} requests"
        click.echo(f"\r{line}\x1b[K", err=True, nl=False)
        self.drawn = True

    def done(self) -> None:
        if self.drawn:
            click.echo("", err=True)


@main.command("pull")
@wiki_options
@click.option("--full", is_flag=True, help="Pull every page again instead of only the changes.")
@click.option(
    "--dump",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Load a Special:Export or dump file (.xml, .xml.gz, .xml.bz2) instead.",
)
@format_option("text", "json")
def pull_command(settings: Settings, full: bool, dump: Path | None, output_format: str) -> None:
    """Copy the wiki's pages into the store: full the first time, then incremental.

    An interrupted pull is resumed by the next one.
    """
    line = _ProgressLine()
    with Store(settings.store) as store:
        try:
            if dump is not None:
                summary = load_dump(store, dump, namespaces=settings.namespaces, progress=line)
            else:
                summary = pull(
                    store,
                    connect(settings),
                    full=full,
                    namespaces=settings.namespaces,
                    rc_max_age_days=settings.rc_max_age_days,
                    batch=settings.batch,
                    links=settings.links,
                    progress=line,
                )
        finally:
            line.done()
    if summary.note:
        click.echo(f"Note: {summary.note}", err=True)
    if output_format == "json":
        keys = ("new", "changed", "deleted", "moved", "requests", "seconds")
        data = asdict(summary)
        click.echo(json.dumps({k: data[k] for k in keys} | {"kind": summary.kind}))
    else:
        click.echo(_summary_line(summary))


def _summary_line(summary: PullSummary) -> str:
    resumed = " (resumed)" if summary.resumed else ""
    return (
        f"{summary.kind} pull{resumed}: {summary.new} new, {summary.changed} changed, "
        f"{summary.deleted} deleted, {summary.moved} moved; {summary.requests} requests "
        f"in {summary.seconds:.1f} s"
    )


@main.command("status")
@wiki_options
@format_option("text", "json")
def status_command(settings: Settings, output_format: str) -> None:
    """Show what the store holds: wiki, pages per namespace, last pull, pending resume."""
    with _open_store(settings) as store:
        status = store_status(store)
    if output_format == "json":
        click.echo(json.dumps(asdict(status), ensure_ascii=False))
        return
    click.echo(f"store: {status.store}")
    click.echo(f"wiki: {status.sitename or '?'} ({status.api or 'from a dump'})")
    for ns, count in status.pages.items():
        click.echo(f"  {status.namespace_names.get(ns) or '(main)'}: {count} pages")
    last = status.last_pull
    click.echo("last pull: " + (f"{last['finished']}, {last['kind']}" if last else "never"))
    if status.pending:
        click.echo(f"pending: an interrupted {status.pending} pull; `movisync pull` resumes it")


def _profile(settings: Settings) -> Profile:
    return load_profile(settings.config)


def _open_store(settings: Settings) -> Store:
    if not settings.store.exists():
        raise ConfigError(f"no store at {settings.store}; run `movisync pull` first")
    return Store(settings.store)


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    """Options given several times or comma-separated: ``--kind a,b --kind c``."""
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


types_option = click.option(
    "--type",
    "types",
    multiple=True,
    metavar="TYPE",
    help="Only pages of this type (repeat or comma-separate).",
)
fail_on_option = click.option(
    "--fail-on",
    metavar="KIND[,KIND]",
    default="",
    help="Exit 3 when gaps of these kinds exist (for scheduled runs).",
)


def _fail_kinds(fail_on: str) -> set[str]:
    kinds = set(_split((fail_on,)))
    unknown = sorted(kinds - set(KINDS))
    if unknown:
        raise ConfigError(f"--fail-on: unknown kind(s) {', '.join(unknown)}")
    return kinds


@main.command("records")
@wiki_options
@types_option
@output_options
def records_command(settings: Settings, types: tuple[str, ...], output_format: str) -> None:
    """List the records read from the store's pages: type, template and field values."""
    with _open_store(settings) as store:
        found = analysis.records(store, _profile(settings), types=_split(types))
    if output_format in ("json", "jsonl"):
        rows = [asdict(r) | {"values": {v.name: v.text for v in r.values}} for r in found]
        emit(rows, [], output_format)
        return
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
    emit(rows, ["title", "type", "by", "fields", "chars", "redirect", "values"], output_format)


@main.command("gaps")
@wiki_options
@types_option
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    metavar="KIND",
    help=f"Only gaps of this kind: {', '.join(KINDS)}.",
)
@click.option("--page", "pages", multiple=True, metavar="TITLE", help="Only this page.")
@click.option(
    "--summary",
    is_flag=True,
    help="Counts per type and kind, and each field's completeness, instead.",
)
@click.option(
    "--check-links",
    is_flag=True,
    help="Also check the websites of url fields (dead_link); slow, cached 7 days.",
)
@fail_on_option
@output_options
def gaps_command(
    settings: Settings,
    types: tuple[str, ...],
    kinds: tuple[str, ...],
    pages: tuple[str, ...],
    summary: bool,
    check_links: bool,
    fail_on: str,
    output_format: str,
) -> None:
    """Find what pages lack: missing, empty or invalid fields, stubs, orphans, red links."""
    fail_kinds = _fail_kinds(fail_on)
    with _open_store(settings) as store:
        report = analysis.find_gaps(
            store,
            _profile(settings),
            types=_split(types),
            kinds=_split(kinds),
            pages=pages,
            check_links=check_links,
            contact=settings.contact,
            curated=settings.publish_prefix,
        )
    for title, error in report.errors:
        click.echo(f"Warning: {title}: the parser could not read it ({error})", err=True)
    if not (types or kinds or pages):  # a whole picture: keep it for history and reports
        with _open_store(settings) as store:
            analysis.record_snapshot(store, report)
    if summary:
        counts = [
            {"type": t, "kind": k, "gaps": n} for (t, k), n in sorted(report.summary().items())
        ]
        fills = [
            {
                "type": f.type,
                "field": f.field,
                "filled": f.filled,
                "pages": f.pages,
                "percent": f.percent,
            }
            for f in report.fills
        ]
        emit(counts, ["type", "kind", "gaps"], output_format)
        click.echo("")
        emit(fills, ["type", "field", "filled", "pages", "percent"], output_format)
    else:
        emit(
            [asdict(g) for g in report.gaps],
            ["page", "type", "kind", "field", "detail"],
            output_format,
        )
    total = sum(report.pages.values())
    click.echo(f"{len(report.gaps)} gaps on {total} pages", err=True)
    if fail_kinds and any(g.kind in fail_kinds for g in report.gaps):
        raise SystemExit(3)


@main.command("schema")
@wiki_options
@click.option("--infer", is_flag=True, help="Print a profile TOML learned from the wiki instead.")
@output_options
def schema_command(settings: Settings, infer: bool, output_format: str) -> None:
    """Show every template in use: pages, parameters with fill rate and sample values."""
    with _open_store(settings) as store:
        if infer:
            click.echo(analysis.infer_profile_toml(store))
            return
        uses = analysis.template_schema(store, _profile(settings))
    rows = []
    for use in uses:
        for param in use.params or ():
            rows.append(
                {
                    "template": use.template,
                    "type": use.type or "",
                    "pages": use.pages,
                    "param": param.name,
                    "fill": f"{param.fill_percent}%",
                    "in_profile": "yes" if param.in_profile else "NO" if use.type else "",
                    "samples": " · ".join(param.samples),
                }
            )
        if not use.params:
            rows.append(
                {
                    "template": use.template,
                    "type": use.type or "",
                    "pages": use.pages,
                    "param": "",
                    "fill": "",
                    "in_profile": "",
                    "samples": "",
                }
            )
        for field in use.unused_fields:
            rows.append(
                {
                    "template": use.template,
                    "type": use.type or "",
                    "pages": use.pages,
                    "param": field,
                    "fill": "0%",
                    "in_profile": "never used",
                    "samples": "",
                }
            )
    emit(
        rows, ["template", "type", "pages", "param", "fill", "in_profile", "samples"], output_format
    )


@main.command("dupes")
@wiki_options
@types_option
@click.option(
    "--threshold",
    type=click.IntRange(0, 100),
    default=None,
    help="Report pairs scoring at least this (0-100) [default: the profile's, 80].",
)
@click.option("--clusters", is_flag=True, help="List groups of pages joined by pairs instead.")
@click.option(
    "--merges",
    is_flag=True,
    help="List, for structured pairs, field by field what to keep, instead.",
)
@output_options
def dupes_command(
    settings: Settings,
    types: tuple[str, ...],
    threshold: int | None,
    clusters: bool,
    merges: bool,
    output_format: str,
) -> None:
    """Find pages that document the same thing twice, each pair with its reasons."""
    with _open_store(settings) as store:
        report = analysis.find_duplicates(
            store, _profile(settings), types=_split(types), threshold=threshold
        )
    if clusters:
        emit(
            [
                {"pages": list(c.pages), "size": len(c.pages), "score": c.score}
                for c in report.clusters
            ],
            ["score", "size", "pages"],
            output_format,
        )
    elif merges:
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
        emit(rows, ["a", "b", "field", "value_a", "value_b", "keep", "conflict"], output_format)
    else:
        emit(
            [asdict(p) | {"reasons": list(p.reasons)} for p in report.pairs],
            ["score", "a", "b", "reasons"],
            output_format,
        )
    click.echo(
        f"{len(report.pairs)} pairs in {len(report.clusters)} clusters among "
        f"{report.pages} pages ({report.candidates} candidate pairs scored)",
        err=True,
    )


@main.command("not-duplicate")
@wiki_options
@click.argument("page_a")
@click.argument("page_b")
@click.option("--remove", is_flag=True, help="Take the verdict back.")
def not_duplicate_command(settings: Settings, page_a: str, page_b: str, remove: bool) -> None:
    """Record that two pages are not duplicates: `movisync dupes` stops reporting them."""
    with _open_store(settings) as store:
        analysis.reject_pair(store, page_a, page_b, remove=remove)
    verb = "no longer marked" if remove else "marked"
    click.echo(f"{page_a} / {page_b}: {verb} as not duplicates", err=True)


def _show_plan(plan: Plan) -> None:
    colour = sys.stdout.isatty()
    for edit in plan.edits:
        click.echo(f"== {edit.title} ({'new page' if edit.create else f'rev {edit.base_rev}'})")
        click.echo(f"summary: {edit.summary}")
        for line in edit.diff().splitlines():
            style = {"+": "green", "-": "red", "@": "cyan"}.get(line[:1]) if colour else None
            click.echo(click.style(line, fg=style) if style else line)
    for skip in plan.skipped:
        click.echo(f"Skipped {skip.title}: {skip.detail}", err=True)
    click.echo(f"{len(plan.edits)} page(s) to edit, {len(plan.skipped)} skipped", err=True)


def _report_applied(result: ApplyResult) -> None:
    for done in result.applied:
        click.echo(f"Edited {done.title} (rev {done.rev_id})", err=True)
    for skip in result.skipped:
        click.echo(f"Skipped {skip.title}: {skip.detail}", err=True)
    if result.stopped:
        click.echo("Stopped: the stop page says stop", err=True)


def publish_options(command: F) -> F:
    command = click.option(
        "--force", is_flag=True, help="Overwrite blocks edited by hand since movisync wrote them."
    )(command)
    return click.option(
        "--allow-shrink", is_flag=True, help="Allow a block to lose more than the max_shrink share."
    )(command)


@main.command("plan")
@wiki_options
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Also write the plan as JSON (with each page's base revision).",
)
@click.option("--apply", "apply_now", is_flag=True, help="Apply the plan right away.")
@publish_options
def plan_command(
    settings: Settings, output: Path | None, apply_now: bool, force: bool, allow_shrink: bool
) -> None:
    """Render the curated pages and show, per page, the diff and the edit summary."""
    profile = _profile(settings)
    client = connect(settings)
    with _open_store(settings) as store:
        made = job.plan(store, client, profile, settings, force=force, allow_shrink=allow_shrink)
        _show_plan(made)
        if output is not None:
            job.save_plan(made, output, settings.api)
        if apply_now and made.edits:
            result = job.apply(
                made, store, client, profile, settings, force=force, allow_shrink=allow_shrink
            )
            _report_applied(result)
            if result.skipped or result.stopped:
                raise SystemExit(4)
    if made.skipped:
        raise SystemExit(4)


@main.command("apply")
@wiki_options
@click.argument("plan_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@publish_options
def apply_command(settings: Settings, plan_file: Path, force: bool, allow_shrink: bool) -> None:
    """Write exactly a saved plan, re-checking each page's base revision first."""
    profile = _profile(settings)
    made = job.load_plan(plan_file, settings.api)
    client = connect(settings)
    with _open_store(settings) as store:
        result = job.apply(
            made, store, client, profile, settings, force=force, allow_shrink=allow_shrink
        )
    _report_applied(result)
    if result.skipped or result.stopped:
        raise SystemExit(4)


@main.command("run")
@wiki_options
@click.option("--apply", "apply_now", is_flag=True, help="Write the plan (otherwise: plan only).")
@fail_on_option
@click.option(
    "--report",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Write what the run did as JSON.",
)
@publish_options
def run_command(
    settings: Settings,
    apply_now: bool,
    fail_on: str,
    report: Path | None,
    force: bool,
    allow_shrink: bool,
) -> None:
    """The scheduled job: incremental pull, gaps, duplicates, plan, and apply with --apply."""
    fail_kinds = _fail_kinds(fail_on)
    profile = _profile(settings)
    lock_path = settings.lock_file or settings.store.with_name(settings.store.name + ".lock")
    with job.lock(lock_path), Store(settings.store) as store:
        client = connect(settings)
        pulled = pull(
            store,
            client,
            namespaces=settings.namespaces,
            rc_max_age_days=settings.rc_max_age_days,
            batch=settings.batch,
            links=settings.links,
        )
        click.echo(_summary_line(pulled), err=True)
        gaps = analysis.find_gaps(store, profile, curated=settings.publish_prefix)
        analysis.record_snapshot(store, gaps, analysis.find_duplicates(store, profile))
        made = job.plan(store, client, profile, settings, force=force, allow_shrink=allow_shrink)
        _show_plan(made)
        result = None
        if apply_now and made.edits:
            result = job.apply(
                made, store, client, profile, settings, force=force, allow_shrink=allow_shrink
            )
            _report_applied(result)
    skipped = list(made.skipped) + (list(result.skipped) if result else [])
    failing = sorted({g.kind for g in gaps.gaps} & fail_kinds)
    if report is not None:
        report.write_text(
            json.dumps(
                {
                    "pull": asdict(pulled),
                    "gaps": {f"{t}:{k}": n for (t, k), n in sorted(gaps.summary().items())},
                    "planned": [e.title for e in made.edits],
                    "applied": [asdict(a) | {"blocks": sorted(a.blocks)} for a in result.applied]
                    if result
                    else [],
                    "skipped": [asdict(s) for s in skipped],
                    "stopped": bool(result and result.stopped),
                    "failing_gap_kinds": failing,
                },
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
    if failing:
        raise SystemExit(3)
    if skipped or (result and result.stopped):
        raise SystemExit(4)


@main.command("doctor")
@wiki_options
def doctor_command(settings: Settings) -> None:
    """Check the API URL, the login, the account's rights and the targets' markers."""
    profile = _profile(settings)
    checks = job.doctor(settings, profile)
    for check in checks:
        click.echo(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    if not all(c.ok for c in checks):
        raise SystemExit(1)


@main.command("history")
@wiki_options
@click.option("--type", "page_type", metavar="TYPE", help="Count only this page type's gaps.")
@output_options
def history_command(settings: Settings, page_type: str | None, output_format: str) -> None:
    """List the snapshots that `gaps` and `run` keep: gaps, pages and duplicates over time."""
    with _open_store(settings) as store:
        if page_type:
            _profile(settings).type(page_type)
        taken = analysis.snapshots(store)
    rows = [
        {
            "at": s.at,
            "rc_id": s.rc_id,
            "pages": sum(s.pages.values()),
            "gaps": s.total(page_type),
            "pairs": s.pairs,
            "clusters": s.clusters,
            **s.by_kind(page_type),
        }
        for s in taken
    ]
    kinds = [k for k in KINDS if any(k in r for r in rows)]
    emit(rows, ["at", "pages", "gaps", "pairs", "clusters", *kinds], output_format)


@main.command("report")
@wiki_options
@click.option(
    "--html",
    "html_file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Write one self-contained HTML report to FILE.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
    help="Format on stdout (without --html).",
)
def report_command(settings: Settings, html_file: Path | None, output_format: str) -> None:
    """Report the documentation's state and its trends (HTML, Markdown or JSON)."""
    with _open_store(settings) as store:
        data = analysis.report_data(store, _profile(settings), curated=settings.publish_prefix)
    if html_file is not None:
        html_file.write_text(report.to_html(data), encoding="utf-8")
        click.echo(f"Wrote {html_file}", err=True)
    elif output_format == "json":
        click.echo(report.to_json(data))
    else:
        click.echo(report.to_markdown(data), nl=False)
