"""The command line: output formats, exit codes and one-line errors (CliRunner)."""

from __future__ import annotations

import json
import socket

import pytest
from click.testing import CliRunner

from movisync.cli import main
from movisync.gaps import GapKind
from movisync.store import Store

from .helpers import corpus_store


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Run movisync in an empty folder with fast retries and no credentials."""
    monkeypatch.chdir(tmp_path)
    for var in (
        "MOVISYNC_API",
        "MOVISYNC_STORE",
        "MOVISYNC_USERNAME",
        "MOVISYNC_PASSWORD",
        "MOVISYNC_CONFIG",
        "MOVISYNC_BATCH",
    ):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "movisync.toml").write_text("max_retries = 1\nbackoff = 0.01\n")

    def invoke(*args: str, env: dict[str, str] | None = None):
        return CliRunner().invoke(main, list(args), env=env)

    return invoke


def assert_one_error_line(result, *fragments: str, code: int = 1) -> None:
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_wiki_is_one_error_line(run):
    result = run("pull", "--api", f"http://127.0.0.1:{free_port()}/api.php")
    assert_one_error_line(result, "cannot reach", "connection refused", "--api")


def test_a_url_that_is_no_api_is_one_error_line(run):
    result = run("pull", "--api", "not-a-url")
    assert_one_error_line(result, "must start with http", code=2)


def test_a_corrupt_store_is_one_error_line_and_stays_as_it_was(run, tmp_path):
    (tmp_path / "bad.sqlite").write_bytes(b"not a database" * 50)
    result = run("status", "--store", "bad.sqlite")
    assert_one_error_line(result, "bad.sqlite", "not a usable movisync store")
    assert (tmp_path / "bad.sqlite").read_bytes() == b"not a database" * 50


def test_a_dump_that_is_not_xml_is_one_error_line(run, tmp_path):
    (tmp_path / "dump.xml").write_text("bonjour")
    result = run("pull", "--dump", "dump.xml")
    assert_one_error_line(result, "dump.xml", "not a readable MediaWiki XML dump")


def test_a_missing_dump_is_one_error_line(run):
    assert_one_error_line(run("pull", "--dump", "nope.xml.gz"), "cannot open the dump")


def test_status_without_a_store_says_to_pull_first(run):
    assert_one_error_line(run("status"), "movisync pull", code=2)


def test_gaps_help_names_every_gap_kind():
    kind = next(p for p in main.commands["gaps"].params if p.name == "kinds")
    listed = kind.help.removeprefix("Only gaps of this kind: ").removesuffix(".").split(", ")
    assert listed == [str(k) for k in GapKind]


def test_every_command_takes_api_and_store_after_its_name(run):
    for command in main.commands.values():
        names = {opt for param in command.params for opt in getattr(param, "opts", [])}
        assert {"--api", "--store"} <= names, command.name


@pytest.mark.live
class TestAgainstTheLocalWiki:
    def test_pull_prints_a_summary_and_json_on_demand(self, run, local_wiki):
        text = run("pull", "--api", local_wiki.api)
        assert text.exit_code == 0, text.output
        assert text.stdout.startswith("full pull: ")
        assert text.stderr == ""  # no progress bar when stderr is not a terminal
        again = run("pull", "--api", local_wiki.api, "--format", "json")
        data = json.loads(again.stdout)
        assert set(data) == {"new", "changed", "deleted", "moved", "requests", "seconds", "kind"}
        assert data["kind"] == "incremental" and data["requests"] <= 2

    def test_status_shows_the_store(self, run, local_wiki):
        run("pull", "--api", local_wiki.api)
        result = run("status", "--format", "json")
        data = json.loads(result.stdout)
        assert data["api"] == local_wiki.api
        assert data["pages"]["0"] > 100 and data["pages"]["10"] > 5
        assert data["last_pull"]["kind"] == "full" and data["pending"] is None
        text = run("status").stdout
        assert "Modèle: " in text and "last pull: " in text

    def test_something_else_than_the_api_is_one_error_line(self, run, local_wiki):
        result = run("pull", "--api", local_wiki.api.replace("api.php", "load.php"))
        assert_one_error_line(result, "did not answer like a MediaWiki API", "/api.php")

    def test_a_missing_path_is_one_error_line(self, run, local_wiki):
        result = run("pull", "--api", local_wiki.api.replace("api.php", "w/api.php"))
        assert_one_error_line(result, "HTTP 404", "ends in /api.php")

    def test_a_page_url_finds_the_api_and_says_which(self, run, local_wiki, caplog):
        page = local_wiki.api.replace("api.php", "index.php?title=Accueil")
        result = run("pull", "--api", page)  # the warning goes to stderr through logging
        assert result.exit_code == 0, result.output
        assert f"using the API at {local_wiki.api}" in caplog.text

    def test_a_wrong_bot_password_is_one_error_line_without_the_password(self, run, local_wiki):
        env = {"MOVISYNC_USERNAME": "MovisyncBot@movisync", "MOVISYNC_PASSWORD": "wrong-pw-123"}
        result = run("pull", "--api", local_wiki.api, env=env)
        assert_one_error_line(result, "refused the login", "MOVISYNC_PASSWORD")
        assert "wrong-pw-123" not in result.output

    def test_a_store_of_another_wiki_is_one_error_line_and_kept(self, run, local_wiki, tmp_path):
        with Store(tmp_path / "movisync.sqlite") as store:
            store.bind(api="https://movilab.org/api.php", wiki_id="movilab")
        result = run("pull", "--api", local_wiki.api)
        assert_one_error_line(result, "holds pages of https://movilab.org/api.php")


@pytest.mark.live
class TestReadingTheStore:
    @pytest.fixture(autouse=True)
    def pulled(self, run, local_wiki):
        assert run("pull", "--api", local_wiki.api).exit_code == 0

    def test_gaps_lists_gaps_in_every_format(self, run):
        table = run("gaps", "--kind", "invalid_value")
        assert table.exit_code == 0
        assert table.stdout.splitlines()[0].split() == ["page", "type", "kind", "field", "detail"]
        assert "Four à pain collectif" in table.stdout
        assert table.stderr.endswith("gaps on 149 pages\n")
        rows = json.loads(run("gaps", "--format", "json").stdout)
        assert set(rows[0]) == {"page", "type", "kind", "field", "detail"}
        lines = run("gaps", "--format", "jsonl", "--type", "commun").stdout.splitlines()
        assert all(json.loads(line)["type"] == "commun" for line in lines)
        csv_out = run("gaps", "--format", "csv", "--page", "LaMyne").stdout.splitlines()
        assert csv_out[0] == "page,type,kind,field,detail" and len(csv_out) == 4
        markdown = run("gaps", "--format", "markdown", "--kind", "orphan").stdout
        assert markdown.startswith("| page | type | kind | field | detail |\n| --- |")

    def test_gaps_summary_gives_counts_and_completeness(self, run):
        result = run("gaps", "--summary", "--format", "json")
        counts, fills = (json.loads(part) for part in result.stdout.split("\n\n"))
        assert {"type": "tiers-lieu", "kind": "invalid_value", "gaps": 6} in counts
        assert {
            "type": "tiers-lieu",
            "field": "Titre",
            "filled": 36,
            "pages": 36,
            "percent": 100.0,
        } in fills

    def test_fail_on_exits_3_only_when_such_gaps_exist(self, run):
        assert run("gaps", "--fail-on", "orphan,red_link").exit_code == 3
        assert run("gaps", "--type", "document", "--fail-on", "orphan").exit_code == 0
        assert_one_error_line(run("gaps", "--fail-on", "typo"), "unknown kind", code=2)
        assert_one_error_line(run("gaps", "--kind", "typo"), "unknown gap kind", code=2)
        assert_one_error_line(run("gaps", "--type", "boulangerie"), "no page type", code=2)

    def test_records_lists_typed_pages(self, run):
        rows = json.loads(run("records", "--type", "evenement", "--format", "json").stdout)
        assert len(rows) == 16 and all(r["type"] == "evenement" for r in rows)
        hackathon = next(r for r in rows if r["title"] == "Hackathon des communs")
        assert hackathon["values"]["Fin de l'évènement"] == "day"
        table = run("records").stdout
        assert table.splitlines()[0].split()[:3] == ["title", "type", "by"]

    def test_schema_shows_each_rule_with_its_source_and_writes_a_profile(self, run, tmp_path):
        rows = json.loads(run("schema", "--format", "json").stdout)
        theme = next(r for r in rows if (r["type"], r["field"]) == ("tiers-lieu", "Theme"))
        assert theme["required"] == "yes" and "profile movilab" in theme["sources"]
        written = run("schema", "--write", str(tmp_path / "schema.toml"))
        assert written.exit_code == 0 and "Wrote" in written.stderr
        text = (tmp_path / "schema.toml").read_text()
        assert "[profile.types.tiers-lieu]" in text and 'category = "Tiers-lieu"' in text


class TestOfflineStore:
    """Every reading command over the offline corpus store (links read from text)."""

    @pytest.fixture(autouse=True)
    def store(self, run, tmp_path):
        corpus_store(tmp_path / "movisync.sqlite", accueil=True).close()

    def test_status(self, run):
        text = run("status")
        assert text.exit_code == 0 and "wiki: Movilab (from a dump)" in text.stdout
        assert "last pull: never" in text.stdout
        data = json.loads(run("status", "--format", "json").stdout)
        assert data["wiki_id"] == "movilab" and data["pages"]["0"] > 150

    def test_gaps_and_their_summary(self, run):
        rows = json.loads(run("gaps", "--format", "json").stdout)
        assert ("Fablab des Trois Rivières", "invalid_value", "Theme") in {
            (r["page"], r["kind"], r["field"]) for r in rows
        }
        summary = run("gaps", "--summary", "--format", "csv").stdout.split("\n\n")
        assert summary[0].startswith("type,kind,gaps") and "type,field,filled" in summary[1]
        assert run("gaps", "--fail-on", "red_link").exit_code == 3
        assert json.loads(run("history", "--format", "json").stdout) == []  # listings keep none
        run("gaps", "--snapshot")
        history = json.loads(run("history", "--format", "json").stdout)
        assert history and history[-1]["gaps"] == len(rows) and history[-1]["new"] is None
        accented = json.loads(run("gaps", "--type", "événement", "--format", "json").stdout)
        assert accented and {r["type"] for r in accented} == {"evenement"}

    def test_exceptions_from_the_command_line(self, run):
        done = run("exception", "tiers-lieu", "Site web", "--page", "laMyne")
        assert done.exit_code == 0 and "exception recorded" in done.stderr
        rows = json.loads(run("gaps", "--page", "LaMyne", "--format", "json").stdout)
        assert "url" not in {r["field"] for r in rows}
        run("exception", "tiers-lieu", "url", "--page", "LaMyne", "--remove")
        rows = json.loads(run("gaps", "--page", "LaMyne", "--format", "json").stdout)
        assert "url" in {r["field"] for r in rows}
        unknown = run("exception", "tiers-lieu", "url", "--page", "Nowhere")
        assert unknown.exit_code == 2 and unknown.stderr.startswith("Error: no content page")
        itself = run("not-duplicate", "LaMyne", "laMyne")
        assert itself.exit_code == 2 and "paired with itself" in itself.stderr

    def test_activities_and_communs(self, run):
        rows = json.loads(run("activities", "--format", "json").stdout)
        assert rows and rows[0]["places"] >= rows[-1]["places"]  # most places first
        assert {"activity", "places", "documented", "docs"} <= set(rows[0])
        undocumented = json.loads(run("activities", "--undocumented", "--format", "json").stdout)
        assert all(r["places"] >= 3 and not r["documented"] for r in undocumented)
        communs = json.loads(run("communs", "--format", "json").stdout)
        dokos = next(r for r in communs if r["commun"] == "Dokos")
        assert dokos["places"] == 3 and "Le Nid Coworking" in dokos["place_titles"]
        assert dokos["page"] is True and all(r["page"] for r in communs)  # no commun field here

    def test_records_schema_and_dupes(self, run):
        records = json.loads(run("records", "--type", "projet", "--format", "json").stdout)
        assert len(records) == 16 and "Titre" in records[0]["values"]
        assert run("records").stdout.splitlines()[0].split()[:3] == ["title", "type", "by"]
        schema = json.loads(run("schema", "--format", "json").stdout)
        assert {r["type"] for r in schema} == {
            "tiers-lieu",
            "commun",
            "document",
            "projet",
            "evenement",
        }
        assert "[profile.types.tiers-lieu]" in run("schema", "--infer").stdout
        pairs = run("dupes", "--format", "json")
        assert "pairs in" in pairs.stderr and json.loads(pairs.stdout)
        clusters = json.loads(run("dupes", "--clusters", "--format", "json").stdout)
        assert all(c["size"] >= 2 for c in clusters)
        merges = json.loads(run("dupes", "--merges", "--format", "json").stdout)
        assert {"a", "b", "field", "keep", "conflict"} <= set(merges[0])
        first = json.loads(pairs.stdout)[0]
        assert run("not-duplicate", first["a"], first["b"]).exit_code == 0
        again = json.loads(run("dupes", "--format", "json").stdout)
        assert (first["a"], first["b"]) not in {(p["a"], p["b"]) for p in again}
        assert run("not-duplicate", first["a"], first["b"], "--remove").exit_code == 0
        assert {"probability", "weights", "reasons", "verdict"} <= set(first)
        assert first["weights"] and first["probability"] >= 0.5
        explained = run("dupes", "--explain", first["a"], first["b"], "--format", "json")
        assert {w["comparison"] for w in json.loads(explained.stdout)} >= {"title"}
        assert "match probability" in explained.stderr
        unknown = run("dupes", "--explain", first["a"], "Nowhere at all")
        assert unknown.exit_code == 2 and unknown.stderr.startswith("Error: no content page")
        assert run("duplicate", first["a"], first["b"]).exit_code == 0
        marked = json.loads(run("dupes", "--format", "json").stdout)
        assert {"a": first["a"], "b": first["b"], "verdict": "duplicate"}.items() <= next(
            p for p in marked if (p["a"], p["b"]) == (first["a"], first["b"])
        ).items()

    def test_reports_in_three_formats(self, run, tmp_path):
        assert run("report").stdout.startswith("# État de la documentation — Movilab")
        assert "headlines" in json.loads(run("report", "--format", "json").stdout)
        written = run("report", "--html", "r.html")
        assert written.exit_code == 0 and written.stderr == "Wrote r.html\n"
        assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
