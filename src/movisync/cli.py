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

from . import __version__
from .client import WikiClient
from .config import Settings, load_settings
from .errors import ConfigError, MovisyncError
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


def connect(settings: Settings) -> WikiClient:
    """A client for the settings' wiki, logged in when credentials are set."""
    client = WikiClient(
        settings.api,
        contact=settings.contact,
        max_retries=settings.max_retries,
        backoff=settings.backoff,
        timeout=settings.timeout,
        maxlag=settings.maxlag,
    )
    if settings.username and settings.password:
        client.login(settings.username, settings.password)
    return client


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
    if not settings.store.exists():
        raise ConfigError(f"no store at {settings.store}; run `movisync pull` first")
    with Store(settings.store) as store:
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
