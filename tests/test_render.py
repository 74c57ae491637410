"""Curated wikitext: escaping as data, and the review page's verdicts read back."""

from __future__ import annotations

import pytest

from movisync.activities import CommonsMap, Commun
from movisync.dupes import DupeReport, Pair
from movisync.profile import load_profile
from movisync.render import chunks, communs, new_link, read_verdicts, review, subpage_index
from movisync.text import escape

WORDS = load_profile().words


@pytest.mark.parametrize(
    "value",
    [
        "}}[[Catégorie:Spam]]{{",
        "a || b !! c",
        "| cellule",
        "~~~~",
        "__NOTOC__",
        "<script>x</script>",
        "'''gras'''",
        "[https://exemple.org lien]",
        "{{{param}}}",
        "ligne 1\nligne 2",
        "a = b",
    ],
)
def test_escaped_values_carry_no_markup(value: str) -> None:
    escaped = escape(value)
    for markup in (
        "{{",
        "}}",
        "[[",
        "]]",
        "||",
        "!!",
        "~~~",
        "__",
        "<",
        ">",
        "'''",
        "\n",
        "|",
        "=",
    ):
        assert markup not in escaped, (value, escaped)


def test_plain_words_stay_readable() -> None:
    assert escape("Fabrication, Animation") == "Fabrication, Animation"
    assert escape("Café réparation : 5 €") == "Café réparation : 5 €"


def test_verdicts_written_by_reviewers_are_read_back() -> None:
    report = DupeReport(
        pairs=(
            Pair("A", "B", 0.90, (), ("title 90",)),
            Pair("C", "D", 0.85, (), ("x",)),
            Pair("E", "F", 0.80, (), ("y",)),
        ),
        clusters=(),
        merges=(),
        pages=6,
        candidates=3,
    )
    text = review(report, "R", {}, WORDS).text
    lines = text.splitlines()
    lines = [
        line + " Pas un doublon"
        if "[[:A]]" in line
        else line + " doublon"
        if "[[:C]]" in line
        else line
        for line in lines
    ]
    verdicts = read_verdicts("\n".join(lines), WORDS)
    assert verdicts == {("A", "B"): "pas un doublon", ("C", "D"): "doublon"}
    # Rendering again keeps the verdicts where they are.
    again = review(report, "R", verdicts, WORDS).text
    assert "| pas un doublon" in again.replace("|| pas", "| pas")


def test_bidirectional_controls_cannot_turn_a_row_around() -> None:
    assert escape("La Ruche \u202eeruoL\u202c (Lyon) \u2066x\u2069") == "La Ruche eruoL (Lyon) x"


def test_a_long_block_is_cut_between_rows_each_part_a_whole_table() -> None:
    rows = [f"| [[:Page {i:03}]] || {'x' * 40}" for i in range(200)]
    text = "\n".join(
        ["Intro.", "=== Liste ===", '{| class="wikitable"', "! Page !! Valeur"]
        + [line for row in rows for line in ("|-", row)]
        + ["|}", "=== Après ===", "* fin"]
    )
    assert chunks(text, limit=len(text.encode())) == (text, [])  # what fits is not cut
    main, parts = chunks(text, limit=2000)
    assert main == "Intro." and len(parts) > 5
    assert all(len(p.encode()) <= 2000 for p in parts)
    for part in parts[:-1]:
        lines = part.splitlines()
        assert lines[-1] == "|}" and lines.count("{|" + ' class="wikitable"') == 1
        assert "! Page !! Valeur" in lines and lines[0].startswith("=== Liste")
    kept = [line for p in parts for line in p.splitlines() if line.startswith("| [[:")]
    assert kept == rows  # every row once, in order
    assert parts[-1].endswith("=== Après ===\n* fin")
    index = subpage_index(main, parts, "P:Movisync/À compléter/Tiers-lieux", WORDS)
    assert "[[P:Movisync/À compléter/Tiers-lieux/1|Tiers-lieux (1)]] : [[:Page 000]]" in index
    assert index.startswith("Intro.\nCette liste est trop longue")


def test_communs_with_no_page_are_red_links_unless_no_title_could_be() -> None:
    found = CommonsMap(
        (),
        (Commun("Résa Commune", ("La Bascule",)),),
        3,
        (Commun("Outil libre", ("La Bascule", "Le Quai")), Commun("Wiki [interne]", ("Le Quai",))),
    )
    text = communs(found, "Communs utilisés", WORDS).text
    used, unwritten = text.split("== Communs sans page ==")
    assert "[[:Résa Commune]]" in used and "Outil libre" not in used
    assert "[[:Outil libre]] || 2 || [[:La Bascule]], [[:Le Quai]]" in unwritten
    assert "Wiki &#91;interne&#93;" in unwritten and "[[:Wiki" not in unwritten
    assert new_link("Guide pratique : Café") == "[[:Guide pratique : Café]]"
    for refused in ("a#b", "a|b", "{{x}}", "50%25", "~~~", " "):
        assert "[[" not in new_link(refused)
    nobody = communs(CommonsMap((), (), 3), "Communs utilisés", WORDS).text
    assert "Communs sans page" not in nobody and "Aucune." in nobody
