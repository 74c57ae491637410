"""The commons map against truths labelled by hand from the pages: the sample corpus, a
corpus written for it (tests/data/commons/), and the sample corpus with its schema renamed."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

from movisync.activities import CommonsMap, Folding
from movisync.profile import load_profile
from movisync.text import fold_words
from movisync.workspace import Workspace

from .helpers import DATA, corpus_pages, corpus_store, read_corpus, renamed_corpus

PROFILE = load_profile()
Rows = set[tuple[str, str, str, str]]


def truth(path: Path) -> Rows:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return {(r["kind"], r["key"], r["places"], r["pages"] or "") for r in rows}


def rows_of(found: CommonsMap) -> Rows:
    rows: Rows = set()
    for a in found.activities:
        rows.add(("activity", a.key, str(len(a.places)), "; ".join(d.title for d in a.docs)))
    for a in found.undocumented():
        stubs = "; ".join(d.title for d in a.docs)
        rows.add(("undocumented", a.key, str(len(a.places)), stubs))
    for c in found.communs:
        if c.places:
            rows.add(("uses", c.title, "; ".join(c.places), ""))
    for c in found.unwritten:
        rows.add(("unwritten", fold_words(c.title), "; ".join(c.places), ""))
    return rows


def commons_of(tmp_path: Path, pages: dict[str, str]) -> CommonsMap:
    with corpus_store(tmp_path / "s.sqlite", pages=pages) as store:
        return Workspace(store, profile=PROFILE).commons()


def test_activities_fold_as_people_write_them() -> None:
    folding = Folding(PROFILE)
    assert folding.key("Outillothèque") == folding.key("prêt d'objets") == "bricotheque"
    assert folding.key("Café Réparation") == "repair cafe"
    assert folding.key("Vélo-cargo") == "velo cargo"
    assert folding.named("Café réparation du Vieux-Moulin") == {"repair cafe"}
    assert folding.named("Fab Lab des Trois Rivières") == {"fablab"}
    assert folding.named("La Cafetière") == set()  # whole words only


def check(found: Rows, expected: Rows) -> None:
    assert found - expected == set(), "found but not labelled"
    assert expected - found == set(), "labelled but not found"


def test_the_sample_corpus_matches_its_labels(tmp_path) -> None:
    check(rows_of(commons_of(tmp_path, corpus_pages())), truth(DATA / "activities-truth.tsv"))


def test_a_corpus_written_for_it_matches_its_labels(tmp_path) -> None:
    templates = {t: x for t, x in corpus_pages().items() if t.startswith(("Modèle:", "Template:"))}
    pages = {**templates, **dict(read_corpus(DATA / "commons"))}
    found = commons_of(tmp_path, pages)
    check(rows_of(found), truth(DATA / "commons" / "truth.tsv"))
    assert found.undocumented()  # the corpus has activities worth a guide
    assert found.unwritten  # and communs the places list with no page
    kanopee = next(c for c in found.unwritten if fold_words(c.title) == "kanopee")
    assert kanopee.title == "Kanopée"  # as written most often, capitalised


def test_commun_fields_come_from_the_wikis_forms_or_the_profile(tmp_path) -> None:
    templates = {t: x for t, x in corpus_pages().items() if t.startswith(("Modèle:", "Template:"))}
    pages = {**templates, **dict(read_corpus(DATA / "commons"))}
    del pages["Formulaire:Tiers-lieu"]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    without = commons_of(tmp_path / "a", pages)
    assert without.unwritten == ()  # no form: Communs is a field like any other
    with corpus_store(tmp_path / "b" / "s.sqlite", pages=pages) as store:
        named = Workspace(store, profile=replace(PROFILE, commun_fields=("Communs",))).commons()
    assert {fold_words(c.title) for c in named.unwritten} == {
        r[1] for r in truth(DATA / "commons" / "truth.tsv") if r[0] == "unwritten"
    }


def test_a_renamed_schema_gives_the_same_map(tmp_path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    original = rows_of(commons_of(tmp_path / "a", corpus_pages()))
    assert rows_of(commons_of(tmp_path / "b", renamed_corpus())) == original
