"""The ``movisync`` command: one thin command per :class:`~movisync.workspace.Workspace`
method.

Data goes to stdout, progress and errors to stderr; messages are in the locale's
language (:mod:`movisync.i18n`). Exit codes are
:class:`movisync.errors.ExitCode`: 0 done, 1 error (one ``Error: ...`` line), 2 usage or
configuration, 3 gaps of a ``--fail-on`` kind, 4 pages skipped, 130 interrupted.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__, report, views
from .config import Settings, load_settings
from .errors import ConfigError, ExitCode, MovisyncError
from .files import write_file
from .gaps import GapKind
from .i18n import N_, Group, Option, _, ngettext, option, speak_for_click
from .output import emit, format_option, output_options
from .profile import load_profile
from .store import Store
from .sync import Progress
from .wiki import Wiki, WikiClient
from .workspace import PublishOptions, PullOptions, Workspace

F = TypeVar("F", bound=Callable[..., Any])


class _Group(Group):
    """Speaks the locale's language (Click's messages too), and turns library errors into
    one line and their exit code, in one place."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        speak_for_click()
        return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MovisyncError as exc:
            click.echo(_("Error: {message}").format(message=exc), err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo(
                "\n"
                + _("Interrupted: what was stored is kept; run the same command again to resume."),
                err=True,
            )
            ctx.exit(ExitCode.INTERRUPTED)


@click.group(cls=_Group)
@click.version_option(
    __version__, prog_name="movisync", cls=Option, help=N_("Show the version and exit.")
)
@option(
    "-v",
    "--verbose",
    is_flag=True,
    help=N_("Also log each API request on stderr (waits always show)."),
)
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

    @option(
        "--api",
        metavar="URL",
        help=N_("MediaWiki API URL [env MOVISYNC_API; default https://movilab.org/api.php]."),
    )
    @option(
        "--store",
        type=click.Path(path_type=Path),
        metavar="PATH",
        help=N_("Store file [env MOVISYNC_STORE; default movisync.sqlite]."),
    )
    @functools.wraps(command)
    def wrapper(*args: Any, api: str | None, store: Path | None, **kwargs: Any) -> Any:
        settings = load_settings(flags={"api": api, "store": store})
        return command(*args, settings=settings, **kwargs)

    return wrapper  # type: ignore[return-value]


def connect(settings: Settings) -> Wiki:
    """The settings' wiki (not logged in: the workspace logs in when it must)."""
    client = WikiClient(
        settings.api,
        contact=settings.contact,
        max_retries=settings.max_retries,
        backoff=settings.backoff,
        max_wait=settings.max_wait,
        timeout=settings.timeout,
        maxlag=settings.maxlag,
    )
    return Wiki(client)


@contextmanager
def workspace(settings: Settings, *, existing: bool = True) -> Iterator[Workspace]:
    """A workspace over the settings' store; ``existing``: the store must be there."""
    if existing and not settings.store.exists():
        raise ConfigError(
            _("no store at {store}; run `movisync pull` first").format(store=settings.store)
        )
    credentials = (
        (settings.username, settings.password) if settings.username and settings.password else None
    )
    created = not settings.store.exists()
    store = Store(settings.store)
    empty = False
    try:
        yield Workspace(
            store,
            profile=load_profile(settings.config),
            wiki=lambda: connect(settings),
            credentials=credentials,
            pulling=PullOptions(
                settings.namespaces, settings.batch, settings.links, settings.rc_max_age_days
            ),
            publishing=PublishOptions(
                settings.publish_prefix,
                settings.stop_page,
                settings.throttle,
                settings.budget,
                settings.max_shrink,
                settings.page_limit,
            ),
            contact=settings.contact,
            lock_file=settings.lock_file,
        )
    except BaseException:
        empty = created and store.site() is None  # the wiki never answered: leave no store
        raise
    finally:
        store.close()
        if empty:
            for suffix in ("", "-wal", "-shm", ".lock"):
                settings.store.with_name(settings.store.name + suffix).unlink(missing_ok=True)


def say(lines: Sequence[str]) -> None:
    """Messages for people, on stderr."""
    for line in lines:
        click.echo(line, err=True)


def split(values: Sequence[str]) -> tuple[str, ...]:
    """Options given several times or comma-separated: ``--kind a,b --kind c``."""
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


def fail_kinds(fail_on: str) -> tuple[str, ...]:
    kinds = split((fail_on,))
    unknown = sorted(set(kinds) - {str(k) for k in GapKind})
    if unknown:
        raise ConfigError(_("--fail-on: unknown kind(s) {kinds}").format(kinds=", ".join(unknown)))
    return kinds


class _ProgressLine:
    """A one-line progress bar on stderr, drawn only on a terminal."""

    def __init__(self) -> None:
        self.active = sys.stderr.isatty()
        self.drawn = False

    def __call__(self, progress: Progress) -> None:
        if not self.active:
            return
        kind = views.pull_kind(progress.kind)
        requests = ngettext("{count} request", "{count} requests", progress.requests)
        requests = requests.format(count=progress.requests)
        if progress.total:
            share = min(1.0, progress.pages / progress.total)
            pages = ngettext("{pages}/~{count} page", "{pages}/~{count} pages", progress.total)
            line = _("{kind}: [{bar}] {pages}, {requests}").format(
                kind=kind,
                bar=f"{'#' * int(share * 30):<30}",
                pages=pages.format(pages=progress.pages, count=progress.total),
                requests=requests,
            )
        else:
            pages = ngettext("{count} page", "{count} pages", progress.pages)
            line = _("{kind}: {pages}, {requests}").format(
                kind=kind, pages=pages.format(count=progress.pages), requests=requests
            )
        click.echo(f"\r{line}\x1b[K", err=True, nl=False)
        self.drawn = True

    def done(self) -> None:
        if self.drawn:
            click.echo("", err=True)


types_option = option(
    "--type",
    "types",
    multiple=True,
    metavar="TYPE",
    help=N_("Only pages of this type (repeat or comma-separate)."),
)
fail_on_option = option(
    "--fail-on",
    metavar="KIND[,KIND]",
    default="",
    help=N_("Exit 3 when gaps of these kinds exist (for scheduled runs)."),
)


def publish_options(command: F) -> F:
    command = option(
        "--force",
        is_flag=True,
        help=N_("Overwrite blocks edited by hand since movisync wrote them."),
    )(command)
    command = option(
        "--recreate", is_flag=True, help=N_("Create again the curated pages someone deleted.")
    )(command)
    return option(
        "--allow-shrink",
        is_flag=True,
        help=N_("Allow a block to lose more than the max_shrink share."),
    )(command)


# --- commands ----------------------------------------------------------------------------------
@main.command("pull")
@wiki_options
@option("--full", is_flag=True, help=N_("Pull every page again instead of only the changes."))
@option(
    "--dump",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help=N_("Load a Special:Export or dump file (.xml, .xml.gz, .xml.bz2) instead."),
)
@format_option("text", "json")
def pull_command(settings: Settings, full: bool, dump: Path | None, output_format: str) -> None:
    """Copy the wiki's pages into the store: full the first time, then incremental.

    An interrupted pull is resumed by the next one.
    """
    line = _ProgressLine()
    with workspace(settings, existing=False) as ws:
        try:
            if dump is not None:
                summary = ws.load_dump(dump, progress=line)
            else:
                summary = ws.pull(full=full, progress=line)
        finally:
            line.done()
    if summary.note:
        say([_("Note: {note}").format(note=summary.note)])
    data = views.pull_json(summary)
    click.echo(json.dumps(data) if output_format == "json" else views.pull_line(summary))


@main.command("status")
@wiki_options
@option(
    "--rebind",
    metavar="URL",
    help=N_("Move the store to the same wiki's new API URL (checked: same wiki, same pages)."),
)
@format_option("text", "json")
def status_command(settings: Settings, rebind: str | None, output_format: str) -> None:
    """Show what the store holds: wiki, pages per namespace, last pull, pending resume."""
    with workspace(settings) as ws:
        if rebind is not None:
            moved = ws.rebind(
                connect(load_settings(flags={"api": rebind, "store": settings.store}))
            )
            say([_("Rebound {store} to {api}").format(store=settings.store, api=moved)])
        status = ws.status()
    if output_format == "json":
        click.echo(json.dumps(asdict(status), ensure_ascii=False))
    else:
        click.echo("\n".join(views.status_lines(status)))


@main.command("records")
@wiki_options
@types_option
@output_options
def records_command(settings: Settings, types: tuple[str, ...], output_format: str) -> None:
    """List the records read from the store's pages: type, template and field values."""
    with workspace(settings) as ws:
        found = ws.records(types=split(types))
    emit(*views.records(found, output_format in ("json", "jsonl")), output_format)


@main.command("gaps")
@wiki_options
@types_option
@option(
    "--kind",
    "kinds",
    multiple=True,
    metavar="KIND",
    help=N_(
        "Only gaps of this kind: missing_field, empty_field, invalid_value, unknown_param, "
        "duplicate_param, no_template, uncategorized, stub, orphan, red_link, dead_end, "
        "dead_link, unreadable."
    ),
)
@option("--page", "pages", multiple=True, metavar="TITLE", help=N_("Only this page."))
@option(
    "--summary",
    is_flag=True,
    help=N_("Counts per type and kind, and each field's completeness, instead."),
)
@option(
    "--check-links",
    is_flag=True,
    help=N_("Also check the websites of url fields (dead_link); slow, cached 7 days."),
)
@option(
    "--snapshot",
    "keep",
    is_flag=True,
    help=N_("Also keep a snapshot for history and trends (as each `run` does)."),
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
    keep: bool,
    fail_on: str,
    output_format: str,
) -> None:
    """Find what pages lack: missing, empty or invalid fields, stubs, orphans, red links."""
    failing = fail_kinds(fail_on)
    with workspace(settings) as ws:
        found = ws.gaps(
            types=split(types), kinds=split(kinds), pages=pages, check_links=check_links
        )
        if ws.schema.discovered:
            found_types = ", ".join(t.key for t in ws.profile.types if t.found)
            say(
                [
                    _(
                        "Note: the wiki's own page types were found (`movisync schema` says "
                        "how): {types}"
                    ).format(types=found_types)
                ]
            )
        if keep:
            ws.snapshot()
    say(
        [
            _("Warning: {title}: the parser could not read it ({why})").format(title=t, why=why)
            for t, why in found.errors
        ]
    )
    if summary:
        emit(*views.gap_counts(found), output_format)
        click.echo("")
        emit(*views.fills(found), output_format)
    else:
        emit(*views.gaps(found), output_format)
    say([views.gaps_line(found)])
    if any(g.kind in failing for g in found.gaps):
        raise SystemExit(ExitCode.GAPS)


@main.command("schema")
@wiki_options
@option(
    "--write",
    "write_to",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help=N_("Write the schema as a profile file (to pin it) instead."),
)
@option("--infer", is_flag=True, help=N_("Print that profile file on stdout instead."))
@output_options
def schema_command(
    settings: Settings, write_to: Path | None, infer: bool, output_format: str
) -> None:
    """Show each page type's fields: rules, where each comes from, and how many pages fill them."""
    with workspace(settings) as ws:
        found = ws.schema
        uses = ws.fields()
        text = ws.schema_toml() if write_to or infer else ""
    say(views.schema_notes(found))
    if write_to is not None:
        write_file(write_to, text)
        say([_("Wrote {file}").format(file=write_to)])
    elif infer:
        click.echo(text, nl=False)
    else:
        emit(*views.schema(uses), output_format)


@main.command("dupes")
@wiki_options
@types_option
@option(
    "--threshold",
    type=click.IntRange(0, 100),
    default=None,
    help=N_(
        "Report pairs whose match probability is at least this, in percent "
        "[default: the profile's, 50]."
    ),
)
@option(
    "--explain",
    nargs=2,
    metavar="PAGE_A PAGE_B",
    default=None,
    help=N_("Compare two pages under the learned model and print each comparison's weight."),
)
@option("--clusters", is_flag=True, help=N_("List groups of pages joined by pairs instead."))
@option(
    "--merges",
    is_flag=True,
    help=N_("List, for structured pairs, field by field what to keep, instead."),
)
@output_options
def dupes_command(
    settings: Settings,
    types: tuple[str, ...],
    threshold: int | None,
    explain: tuple[str, str] | None,
    clusters: bool,
    merges: bool,
    output_format: str,
) -> None:
    """Find pages that document the same thing twice, each pair with its match
    probability and its reasons (a model learned from the wiki itself; verdicts teach
    it)."""
    if explain:
        with workspace(settings) as ws:
            pair, prior = ws.explain_pair(*explain)
        emit(*views.explanation(pair), output_format)
        say([views.explanation_line(pair, prior)])
        return
    with workspace(settings) as ws:
        found = ws.duplicates(types=split(types), threshold=threshold)
    view = views.clusters if clusters else views.merges if merges else views.pairs
    emit(*view(found), output_format)
    say([views.dupes_line(found)])


@main.command("not-duplicate")
@wiki_options
@click.argument("page_a")
@click.argument("page_b")
@option("--remove", is_flag=True, help=N_("Take the verdict back."))
def not_duplicate_command(settings: Settings, page_a: str, page_b: str, remove: bool) -> None:
    """Record that two pages are not duplicates: `movisync dupes` stops reporting them
    (and learns from it)."""
    said = (
        _("{a} / {b}: no longer marked as not duplicates")
        if remove
        else _("{a} / {b}: marked as not duplicates")
    )
    _set_verdict(settings, page_a, page_b, None if remove else False, said)


@main.command("duplicate")
@wiki_options
@click.argument("page_a")
@click.argument("page_b")
@option("--remove", is_flag=True, help=N_("Take the verdict back."))
def duplicate_command(settings: Settings, page_a: str, page_b: str, remove: bool) -> None:
    """Record that two pages document the same thing: `movisync dupes` always reports
    them (until one becomes a redirect) and learns from it."""
    said = (
        _("{a} / {b}: no longer marked as duplicates")
        if remove
        else _("{a} / {b}: marked as duplicates")
    )
    _set_verdict(settings, page_a, page_b, None if remove else True, said)


def _set_verdict(settings: Settings, a: str, b: str, duplicate: bool | None, said: str) -> None:
    with workspace(settings) as ws:
        ws.set_verdict(a, b, duplicate)
    say([said.format(a=a, b=b)])


@main.command("activities")
@wiki_options
@option(
    "--undocumented",
    is_flag=True,
    help=N_("Only activities run by several places that no page documents (stubs aside)."),
)
@output_options
def activities_command(settings: Settings, undocumented: bool, output_format: str) -> None:
    """Which activities the places run, and the pages that document each."""
    with workspace(settings) as ws:
        found = ws.commons()
    emit(*views.activities(found, undocumented), output_format)


@main.command("communs")
@wiki_options
@output_options
def communs_command(settings: Settings, output_format: str) -> None:
    """Each commun, with the places that use it (link to it, name it or list it), then the
    communs places list that have no page."""
    with workspace(settings) as ws:
        found = ws.commons()
    emit(*views.communs(found), output_format)


@main.command("exception")
@wiki_options
@click.argument("page_type", metavar="TYPE")
@click.argument("field")
@option("--page", metavar="TITLE", help=N_("Only for this page (otherwise: every page of TYPE)."))
@option(
    "--reason", default=None, help=N_("Why (written on the worklist; default: not applicable).")
)
@option("--remove", is_flag=True, help=N_("Take the exception back: the gaps are reported again."))
def exception_command(
    settings: Settings,
    page_type: str,
    field: str,
    page: str | None,
    reason: str | None,
    remove: bool,
) -> None:
    """Record that a field does not apply (to one page, or to a whole type): its gaps are
    no longer reported, but counted apart, as when « sans objet » is written on a worklist."""
    with workspace(settings) as ws:
        said = None if remove else reason or ws.profile.words.not_applicable
        ws.set_waiver(page_type, page or "", field, said)
    where = page or _("every page of type {type}").format(type=page_type)
    done = (
        _("{field} on {where}: exception taken back")
        if remove
        else _("{field} on {where}: exception recorded")
    )
    say([done.format(field=field, where=where)])


def show_plan(lines: Sequence[str]) -> None:
    """The plan's diffs on stdout, coloured on a terminal."""
    colour = sys.stdout.isatty()
    for line in lines:
        style = {"+": "green", "-": "red", "@": "cyan"}.get(line[:1]) if colour else None
        click.echo(click.style(line, fg=style) if style else line)


@main.command("plan")
@wiki_options
@option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help=N_("Also write the plan as JSON (with each page's base revision)."),
)
@option("--apply", "apply_now", is_flag=True, help=N_("Apply the plan right away."))
@publish_options
def plan_command(
    settings: Settings,
    output: Path | None,
    apply_now: bool,
    force: bool,
    allow_shrink: bool,
    recreate: bool,
) -> None:
    """Render the curated pages and show, per page, the diff and the edit summary."""
    with workspace(settings) as ws:
        options = {"force": force, "allow_shrink": allow_shrink, "recreate": recreate}
        made = ws.plan(force=force, allow_shrink=allow_shrink, recreate=recreate)
        show_plan(views.plan_lines(made))
        say(views.skipped_lines(made))
        if output is not None:
            ws.save_plan(made, output)
        result = ws.apply(made, **options) if apply_now and made.edits else None
    if result is not None:
        say(views.applied_lines(result))
    if made.skipped or (result and (result.skipped or result.stopped)):
        raise SystemExit(ExitCode.SKIPPED)


@main.command("apply")
@wiki_options
@click.argument("plan_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@publish_options
def apply_command(
    settings: Settings, plan_file: Path, force: bool, allow_shrink: bool, recreate: bool
) -> None:
    """Write exactly a saved plan, re-checking each page's base revision first."""
    with workspace(settings) as ws:
        made = ws.load_plan(plan_file)
        result = ws.apply(made, force=force, allow_shrink=allow_shrink, recreate=recreate)
    say(views.applied_lines(result))
    if result.skipped or result.stopped:
        raise SystemExit(ExitCode.SKIPPED)


@main.command("run")
@wiki_options
@option("--apply", "apply_now", is_flag=True, help=N_("Write the plan (otherwise: plan only)."))
@fail_on_option
@option(
    "--report",
    "report_file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help=N_("Write what the run did as JSON."),
)
@option("--diff", is_flag=True, help=N_("Show each page's diff (otherwise one line a page)."))
@publish_options
def run_command(
    settings: Settings,
    apply_now: bool,
    fail_on: str,
    report_file: Path | None,
    diff: bool,
    force: bool,
    allow_shrink: bool,
    recreate: bool,
) -> None:
    """The scheduled job: incremental pull, gaps, duplicates, plan, and apply with --apply."""
    failing = fail_kinds(fail_on)
    with workspace(settings, existing=False) as ws:
        done = ws.run(
            apply=apply_now,
            fail_on=failing,
            force=force,
            allow_shrink=allow_shrink,
            recreate=recreate,
        )
    say([views.pull_line(done.pull)])
    show_plan(views.plan_lines(done.plan) if diff else views.plan_summary_lines(done.plan))
    say(views.skipped_lines(done.plan))
    if done.applied is not None:
        say(views.applied_lines(done.applied))
    if report_file is not None:
        write_file(report_file, json.dumps(views.run_json(done), ensure_ascii=False, indent=1))
    raise SystemExit(done.exit_code)


@main.command("doctor")
@wiki_options
def doctor_command(settings: Settings) -> None:
    """Check the API URL, the login, the account's rights and the targets' markers."""
    with workspace(settings, existing=False) as ws:
        checks = ws.doctor(check_store=settings.store.exists())
    marks = {True: _("ok"), False: _("FAIL")}
    width = max(map(len, marks.values()))
    for check in checks:
        line = _("{mark} {name}: {detail}").format(
            mark=marks[check.ok].ljust(width), name=check.name, detail=check.detail
        )
        click.echo(line)
    if not all(c.ok for c in checks):
        raise SystemExit(ExitCode.ERROR)


@main.command("history")
@wiki_options
@option("--type", "page_type", metavar="TYPE", help=N_("Count only this page type's gaps."))
@output_options
def history_command(settings: Settings, page_type: str | None, output_format: str) -> None:
    """List the snapshots that `run` (and `gaps --snapshot`) keep: gaps, fixed and new
    gaps, pages and duplicates over time."""
    with workspace(settings) as ws:
        if page_type:
            page_type = ws.base_profile.type(page_type).key
        taken = ws.history()
    emit(*views.history(taken, page_type), output_format)


@main.command("report")
@wiki_options
@option(
    "--html",
    "html_file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help=N_("Write one self-contained HTML report to FILE."),
)
@format_option("markdown", "json")
def report_command(settings: Settings, html_file: Path | None, output_format: str) -> None:
    """Report the documentation's state and its trends (HTML, Markdown or JSON)."""
    with workspace(settings) as ws:
        data = ws.report()
    if html_file is not None:
        write_file(html_file, report.to_html(data))
        say([_("Wrote {file}").format(file=html_file)])
    elif output_format == "json":
        click.echo(report.to_json(data))
    else:
        click.echo(report.to_markdown(data), nl=False)
