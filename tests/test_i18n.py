"""The command line in French when the locale is French, in English otherwise; the
French catalogue complete, compiled, and in step with the code (scripts/catalogue.py)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from movisync import i18n
from movisync.cli import main
from movisync.config import load_settings
from movisync.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import catalogue  # noqa: E402  (scripts/catalogue.py)

FRENCH = {"LANG": "fr_FR.UTF-8"}
ENGLISH = {"LANG": "C"}


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Run movisync in an empty folder, in the given locale."""
    monkeypatch.chdir(tmp_path)
    for var in ("MOVISYNC_API", "MOVISYNC_STORE", "MOVISYNC_CONFIG"):
        monkeypatch.delenv(var, raising=False)

    def invoke(env: dict[str, str], *args: str):
        return CliRunner().invoke(main, list(args), env=env, prog_name="movisync")

    return invoke


@pytest.fixture(scope="module")
def french() -> tuple[str, list[catalogue.Entry]]:
    return catalogue.parse_po(catalogue.po_path("fr").read_text(encoding="utf-8"))


def own(entries: list[catalogue.Entry]) -> set[tuple[str, str | None]]:
    """The keys of movisync's own messages (not Click's)."""
    return {e.key for e in entries if any(s.startswith("src/") for s in e.sources)}


# --- the catalogue ---------------------------------------------------------------------------
def test_every_message_of_the_code_has_a_french_translation(french):
    header, entries = french
    translated = {e.key for e in entries if e.translated}
    wanted = own(catalogue.extract())
    assert len(wanted) > 100
    assert wanted - translated == set()
    assert "Plural-Forms: nplurals=2; plural=(n > 1);" in header


def test_the_french_catalogue_has_no_message_the_code_no_longer_says(french):
    assert own(french[1]) == own(catalogue.extract())


def test_every_translation_has_its_msgids_placeholders(french):
    assert catalogue.problems(french[1]) == []


def test_the_placeholder_check_sees_a_wrong_or_missing_field():
    entries = [
        catalogue.Entry("cannot read {path}: {reason}", translations=["impossible : {raison}"]),
        catalogue.Entry("{count} gap", "{count} gaps", ["{count} manque", "des manques"]),
        catalogue.Entry("Wrote {file}", translations=[""]),
    ]
    found = catalogue.problems(entries)
    assert len(found) == 3 and found[2].startswith("untranslated")


def test_the_shipped_mo_is_the_po_compiled():
    po = catalogue.po_path("fr")
    header, entries = catalogue.parse_po(po.read_text(encoding="utf-8"))
    assert po.with_suffix(".mo").read_bytes() == catalogue.compile_mo(header, entries)


def test_the_po_reads_back_as_it_is_written(french):
    header, entries = french
    assert catalogue.parse_po(catalogue.write_po(header, entries)) == (header, entries)


def test_a_message_that_is_not_a_constant_is_refused():
    assert catalogue.messages('_("a {b}").format(b=1)\nN_("c")', "x.py") == [
        ("a {b}", None),
        ("c", None),
    ]
    for source in ('_(f"a {b}")', '_("a " + b)', 'ngettext(f"{n} a", "{n} b", n)'):
        with pytest.raises(catalogue.ExtractError, match=r"x\.py:1: .*constant"):
            catalogue.messages(source, "x.py")


def test_the_catalogues_are_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["movisync"]
    package = ROOT / "src" / "movisync"
    shipped = {path for pattern in patterns for path in package.glob(pattern)}
    assert catalogue.po_path("fr").with_suffix(".mo") in shipped


# --- the language, at run time ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "french_wanted"),
    [
        ({"LANG": "fr_FR.UTF-8"}, True),
        ({"LANG": "fr_CA"}, True),
        ({"LANG": "C", "LANGUAGE": "fr"}, True),  # LANGUAGE first, as gettext reads it
        ({"LC_ALL": "fr_FR.UTF-8", "LANG": "en_GB.UTF-8"}, True),
        ({"LANG": "C"}, False),
        ({"LANG": "en_US.UTF-8"}, False),
        ({"LANG": "de_DE.UTF-8"}, False),  # no German catalogue: English
        ({}, False),
    ],
)
def test_the_language_is_the_locales(monkeypatch, env, french_wanted):
    monkeypatch.delenv("LANG", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    said = i18n._("Error: {message}")
    assert said == ("Erreur : {message}" if french_wanted else "Error: {message}")


def test_plurals_follow_each_languages_rule(monkeypatch):
    def pages(count: int) -> str:
        return i18n.ngettext("{count} page", "{count} pages", count).format(count=count)

    assert [pages(n) for n in (0, 1, 2)] == ["0 pages", "1 page", "2 pages"]
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert [pages(n) for n in (0, 1, 2)] == ["0 page", "1 page", "2 pages"]


def test_library_errors_are_said_in_the_locales_language(monkeypatch):
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(env={"MOVISYNC_BATCH": "x"})
    assert str(refused.value) == "le réglage 'batch' doit être un nombre, pas 'x'"


# --- the command line ------------------------------------------------------------------------
def test_help_is_in_french_in_a_french_locale(run):
    result = run(FRENCH, "--help")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Utilisation : movisync [OPTIONS] COMMAND")
    assert "Garder la documentation de Movilab en bon état" in result.stdout
    assert "Afficher ce message et quitter." in result.stdout
    assert "Afficher la version et quitter." in result.stdout
    assert "Commandes:" in result.stdout and "Copier les pages du wiki" in result.stdout
    options = " ".join(run(FRENCH, "gaps", "--help").stdout.split())
    assert "Seulement cette page." in options and "[par défaut : table]" in options


def test_help_is_in_english_otherwise(run):
    result = run(ENGLISH, "--help")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Usage: movisync [OPTIONS] COMMAND")
    assert "Keep Movilab's documentation in good shape" in result.stdout
    assert "Show this message and exit." in result.stdout
    assert "Only this page." in run(ENGLISH, "gaps", "--help").stdout


def test_one_process_speaks_each_runs_language(run):
    """Translations are looked up when a command runs, not when movisync is imported."""
    for env, usage, help_option in [
        (FRENCH, "Utilisation :", "Afficher ce message et quitter."),
        (ENGLISH, "Usage:", "Show this message and exit."),
        (FRENCH, "Utilisation :", "Afficher ce message et quitter."),
    ]:
        shown = run(env, "status", "--help").stdout
        assert shown.startswith(usage) and help_option in shown


def test_an_error_is_one_french_line_in_a_french_locale(run):
    result = run(FRENCH, "status")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (
        "Erreur : pas de base locale à movisync.sqlite ; lancez d’abord `movisync pull`\n"
    )
    bad = run(FRENCH, "pull", "--api", "not-a-url")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("Erreur : l’URL de l’API doit commencer par http://")


def test_an_error_is_one_english_line_otherwise(run):
    result = run(ENGLISH, "status")
    assert result.exit_code == 2
    assert result.stderr == "Error: no store at movisync.sqlite; run `movisync pull` first\n"


def test_clicks_own_errors_are_in_french_too(run):
    result = run(FRENCH, "gaps", "--format", "xml")
    assert result.exit_code == 2
    assert "Erreur : Valeur invalide pour '--format'" in result.stderr
    assert "Essayez 'movisync gaps --help' pour de l’aide." in result.stderr
