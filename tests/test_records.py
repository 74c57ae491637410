"""Records: types, values, the cache by revision, parallel parsing, hostile wikitext."""

from __future__ import annotations

import gc
from dataclasses import replace

import pytest

from movisync import records as records_module
from movisync.profile import load_profile
from movisync.records import build_record, load_parsed, paused_gc
from movisync.workspace import Workspace

from .helpers import SITE, corpus_pages, corpus_store, page

PROFILE = load_profile()
REDIRECTS = {"Modèle:Tiers lieu": "Modèle:Tiers-lieu", "Modèle:Evènement": "Modèle:Evenement"}


def test_a_structured_page_becomes_a_typed_record_with_normalised_values() -> None:
    text = corpus_pages()["La Bobine"]
    record = build_record(page("La Bobine", text), PROFILE, SITE, REDIRECTS)
    assert record.type == "tiers-lieu" and record.typed_by == "template"
    assert record.value("Theme").items == ("Fabrication", "Animation")
    assert "<!--" not in record.value("location").text


def test_template_redirects_and_odd_spellings_find_the_type() -> None:
    for title in (
        "Café réparation du Vieux-Moulin",
        "Le Bocal Coworking",
        "La Ruche des Coteaux",
        "Objethèque",
        "Modèle de statuts SCIC",
        "Marché de Noël solidaire",
    ):
        record = build_record(page(title, corpus_pages()[title]), PROFILE, SITE, REDIRECTS)
        assert record.type is not None and record.typed_by == "template", title


def test_a_category_without_the_template_is_typed_by_category() -> None:
    text = "Un lieu.\n[[Catégorie:Tiers-lieu]]"
    record = build_record(page("Un lieu", text), PROFILE, SITE, REDIRECTS)
    assert (record.type, record.typed_by) == ("tiers-lieu", "category")


@pytest.mark.parametrize(
    "text",
    [
        "{{Tiers-lieu|Titre=jamais fermé",
        "{{" * 5000 + "x" + "}}" * 10,
        "[[" * 3000 + "{{Tiers-lieu|url=" + "]]" * 7,
        "\x00\x01\x02\ufffd binaire \udcff".encode("utf-8", "surrogatepass").decode(
            "utf-8", "replace"
        ),
        "{{Tiers-lieu|Titre=" + "très long " * 300_000 + "}}",
        "<!-- jamais fermé {{Tiers-lieu|Titre=x}}",
        "{| class=wikitable\n|-\n| {{Commun|Acteurs=}} \n" * 300,
    ],
    ids=["unclosed", "deep", "brackets", "binary", "huge", "open-comment", "tables"],
)
def test_hostile_wikitext_never_stops_a_run(text: str) -> None:
    record = build_record(page("Hostile", text), PROFILE, SITE, REDIRECTS)
    assert record.title == "Hostile"
    assert record.error is None or isinstance(record.error, str)


def test_a_parser_failure_is_reported_not_raised(monkeypatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(records_module, "parse", explode)
    record = build_record(page("Piège", "{{x}}"), PROFILE, SITE, REDIRECTS)
    assert record.error == "RecursionError: too deep"


def revise(store, title: str, text: str) -> None:
    """A new revision of a stored page, as an incremental pull stores it."""
    old = store.page(title)
    with store.transaction():
        store.apply([replace(old, rev_id=old.rev_id + 1, text=text)])


def test_parses_are_cached_by_revision_whatever_the_profile(tmp_path) -> None:
    with corpus_store(tmp_path / "s.sqlite") as store:
        revisions = store.revisions(namespaces=[0, 10])
        parsed: list[int] = []
        first = load_parsed(store, SITE, revisions, workers=1, parsed_now=parsed)
        assert len(parsed) == len(revisions) > 150
        parsed.clear()
        assert load_parsed(store, SITE, revisions, workers=1, parsed_now=parsed) == first
        assert parsed == []
        revise(store, "La Bobine", store.page("La Bobine").text + "\nAjout.")
        load_parsed(store, SITE, store.revisions(namespaces=[0, 10]), workers=1, parsed_now=parsed)
        assert parsed == [store.page("La Bobine").page_id]
        Workspace(store).records()
        other = Workspace(store, profile=replace(PROFILE, stub_min_chars=5))  # another profile
        other.records()
        assert other.parsed_now == []


def test_parallel_parsing_gives_the_same_parses(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(records_module, "PARALLEL_FROM", 10)
    with corpus_store(tmp_path / "a.sqlite") as store:
        revisions = store.revisions(namespaces=[0, 10])
        parallel = load_parsed(store, SITE, revisions, workers=2)
    with corpus_store(tmp_path / "b.sqlite") as store:
        serial = load_parsed(store, SITE, revisions, workers=1)
    assert parallel == serial and len(serial) > 150


def test_garbage_collection_is_paused_then_restored_even_on_errors() -> None:
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
        _ = 1 / 0
    assert gc.isenabled()


def test_pages_without_a_link_table_link_through_their_text_and_templates(tmp_path) -> None:
    with corpus_store(tmp_path / "s.sqlite") as store:  # like a dump: no link table
        graph = Workspace(store).graph()
        # Modèle:Navigation Tiers-lieux links to the list: the pages that call it do too.
        assert "Financer son tiers-lieu" in graph.inbound["Liste des Tiers-Lieux"]
        assert graph.inbound.get("Page nouvelle") is None
        revise(store, "La Bobine", store.page("La Bobine").text + "\n[[Page nouvelle]]")
        again = Workspace(store)
        assert again.graph().inbound["Page nouvelle"] == {"La Bobine"}
        assert again.parsed_now == [store.page("La Bobine").page_id]
