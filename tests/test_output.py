"""The one output path: the same rows as a table, JSON, JSON lines, CSV or Markdown."""

from __future__ import annotations

import csv
import io
import json

import click
import pytest
from click.testing import CliRunner

from movisync.output import FORMATS, emit, format_option, output_options, render

ROWS = [
    {"page": "La Myne", "kind": "orphan", "tags": ["a", "b"], "n": 3, "none": None},
    {"page": "Le | Bocal", "kind": "stub\nlong", "tags": (), "n": 10, "none": None},
]
COLUMNS = ["page", "kind", "tags", "n", "none"]


def test_json_and_jsonl_keep_every_value() -> None:
    assert json.loads(render(ROWS, COLUMNS, "json")) == [
        {**ROWS[0]},
        {**ROWS[1], "tags": []},
    ]
    lines = render(ROWS, COLUMNS, "jsonl").splitlines()
    assert [json.loads(line)["page"] for line in lines] == ["La Myne", "Le | Bocal"]


def test_csv_has_a_header_and_joins_lists() -> None:
    rows = list(csv.reader(io.StringIO(render(ROWS, COLUMNS, "csv"))))
    assert rows[0] == COLUMNS
    assert rows[1] == ["La Myne", "orphan", "a, b", "3", ""]


def test_markdown_escapes_pipes_and_newlines() -> None:
    lines = render(ROWS, COLUMNS, "markdown").splitlines()
    assert lines[0] == "| page | kind | tags | n | none |"
    assert lines[1] == "| --- | --- | --- | --- | --- |"
    assert lines[3] == "| Le \\| Bocal | stub long |  | 10 |  |"


def test_tables_align_and_cut_long_cells() -> None:
    long = [{"page": "x" * 80, "kind": "k"}]
    lines = render(long, ["page", "kind"], "table").splitlines()
    assert lines[0].startswith("page ") and len(lines[1]) <= 60 + 2 + 1
    assert lines[1].split()[0].endswith("…")


@pytest.mark.parametrize("chosen", FORMATS)
def test_every_listing_command_takes_the_same_formats(chosen: str) -> None:
    @click.command()
    @output_options
    def listing(output_format: str) -> None:
        emit(ROWS, COLUMNS, output_format)

    result = CliRunner().invoke(listing, ["--format", chosen])
    assert result.exit_code == 0 and result.stdout.strip() == render(ROWS, COLUMNS, chosen)


def test_other_commands_choose_their_own_formats() -> None:
    @click.command()
    @format_option("text", "json")
    def status(output_format: str) -> None:
        click.echo(output_format)

    assert CliRunner().invoke(status, []).stdout == "text\n"
    assert CliRunner().invoke(status, ["--format", "csv"]).exit_code == 2


def test_nothing_to_show_prints_nothing() -> None:
    @click.command()
    def empty() -> None:
        emit([], [], "jsonl")

    assert CliRunner().invoke(empty, []).stdout == ""
