"""One output path for every listing command: a table on a terminal, or
``--format json|jsonl|csv|markdown`` for pipes and reports. Data only: progress and
messages go to stderr elsewhere."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import click

from .i18n import N_, option

FORMATS = ("table", "json", "jsonl", "csv", "markdown")
F = TypeVar("F", bound=Callable[..., Any])
Row = Mapping[str, Any]


def format_option(*choices: str) -> Callable[[F], F]:
    """``--format``, the one option every command's output goes through: the listing
    commands take :data:`FORMATS`, the others a few of their own (the first is the
    default)."""
    return option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help=N_("Output format on stdout."),
    )


output_options = format_option(*FORMATS)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def render(rows: Sequence[Row], columns: Sequence[str], output_format: str) -> str:
    """Rows (dicts with at least ``columns``) as text in the chosen format."""
    if output_format == "json":
        return json.dumps([dict(r) for r in rows], ensure_ascii=False, indent=1)
    if output_format == "jsonl":
        return "\n".join(json.dumps(dict(r), ensure_ascii=False) for r in rows)
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_cell(r.get(c)) for c in columns] for r in rows)
        return buffer.getvalue().rstrip("\n")
    cells = [[_cell(r.get(c)).replace("\n", " ") for c in columns] for r in rows]
    if output_format == "markdown":

        def line(values: Sequence[str]) -> str:
            return "| " + " | ".join(v.replace("|", "\\|") for v in values) + " |"

        return "\n".join([line(columns), line(["---"] * len(columns)), *map(line, cells)])
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    widths = [min(w, 60) for w in widths]

    def fit(value: str, width: int) -> str:
        return value if len(value) <= width else value[: width - 1] + "…"

    head = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    body = [
        "  ".join(fit(v, w).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]
    return "\n".join([head.rstrip(), *body])


def emit(rows: Sequence[Row], columns: Sequence[str], output_format: str) -> None:
    text = render(rows, columns, output_format)
    if text:
        click.echo(text)
