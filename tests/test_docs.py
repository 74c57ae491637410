"""The README documents every command, and every command explains itself."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import movisync
from movisync.cli import main

from .helpers import corpus_store

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_has_help_and_is_in_the_readme(name: str) -> None:
    command = main.commands[name]
    assert command.help and len(command.help) > 20
    assert f"movisync {name}" in README
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.name} has no help"


def test_the_readme_starts_with_the_two_commands() -> None:
    head = README[: README.index("## Using it")]
    assert "scripts/demo" in head and "scripts/test" in head


@pytest.mark.live
def test_the_demo_runs_the_main_job(local_wiki) -> None:  # type: ignore[no-untyped-def]
    started = time.time()
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "demo")], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    plan = (ROOT / ".local-wiki" / "demo-plan.txt").read_text(encoding="utf-8")
    assert plan.startswith("== ") and "summary: " in plan  # the diffs the demo points to
    assert (ROOT / ".local-wiki" / "rapport.html").stat().st_mtime >= started


def library_section() -> str:
    return README.split("## Library\n", 1)[1].split("\n## ", 1)[0]


def test_the_public_api_and_the_readme_name_the_same_things() -> None:
    listed = library_section().split("importable from `movisync` itself:", 1)[1]
    named = set(re.findall(r"`([A-Za-z_]\w*)`", listed))
    public = set(movisync.__all__) - {"__version__"}
    assert public - named == set(), "public but not in the README's library section"
    assert named - public == set(), "in the README's library section but not public"
    assert all(getattr(movisync, name) is not None for name in public)


def test_the_readme_library_example_runs(tmp_path, monkeypatch) -> None:
    code = library_section().split("```python\n", 1)[1].split("```", 1)[0]
    corpus_store(tmp_path / "movisync.sqlite").close()
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    printed = out.getvalue().splitlines()
    assert "Fablab des Trois Rivières invalid_value Theme" in printed
    kinds = [f" {k} " for k in movisync.GapKind]
    assert printed and all(any(k in f" {line} " for k in kinds) for line in printed)


def test_every_test_the_reliability_table_names_exists() -> None:
    section = README.split("## Reliability", 1)[1].split("\n## ", 1)[0]
    named, last = [], ""
    for ref in re.findall(r"`((?:test_\w+|…)(?:::(?:…|\w+))+)`", section):
        module, *_, test = ref.split("::")
        last = last if module == "…" else module
        named.append((last, test))
    assert len(named) > 30
    here = Path(__file__).resolve().parent
    for module, test in named:
        source = (here / f"{module}.py").read_text(encoding="utf-8")
        assert re.search(rf"def {test}\(", source), f"{module}::{test} is not a test"
