"""Records: types, values, the cache by revision, parallel parsing, hostile wikitext."""

from __future__ import annotations

import gc

import pytest

from movisync import records as records_module
from movisync.profile import load_profile
from movisync.records import build_record, load_graph, load_records, paused_gc
from movisync.store import Page

from .corpus import corpus_pages, corpus_store
from .test_site import SITE

PROFILE = load_profile()
REDIRECTS = {"Modèle:Tiers lieu": "Modèle:Tiers-lieu", "Modèle:Evènement": "Modèle:Evenement"}


def page(title: str, text: str, page_id: int = 1, rev: int = 1, **extra: object) -> Page:
    return Page(
        page_id=page_id,
        ns=0,
        title=title,
        rev_id=rev,
        timestamp="2026-11-01T00:00:00Z",
        text=text,
        **extra,
    )  # type: ignore[arg-type]


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
    assert record.error == "RecursionError: maximum recursion depth exceeded"


def test_records_are_cached_by_revision(tmp_path, monkeypatch) -> None:
    with corpus_store(tmp_path / "s.sqlite") as store:
        first = load_records(store, PROFILE, workers=1)
        calls: list[str] = []
        real = records_module.build_record

        def counting(p, *args):  # type: ignore[no-untyped-def]
            calls.append(p.title)
            return real(p, *args)

        monkeypatch.setattr(records_module, "build_record", counting)
        assert load_records(store, PROFILE, workers=1) == first
        assert calls == []
        changed = store.page("La Bobine")
        with store.transaction():
            store.apply(
                [
                    Page(
                        **{
                            **changed.__dict__,
                            "rev_id": changed.rev_id + 1,
                            "text": changed.text + "\nAjout.",
                        }
                    )
                ]
            )
        again = load_records(store, PROFILE, workers=1)
    assert calls == ["La Bobine"]
    assert len(again) == len(first)


def test_parallel_parsing_gives_the_same_records(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(records_module, "PARALLEL_FROM", 10)
    with corpus_store(tmp_path / "a.sqlite") as store:
        parallel = load_records(store, PROFILE, workers=2)
    with corpus_store(tmp_path / "b.sqlite") as store:
        serial = load_records(store, PROFILE, workers=1)
    assert parallel == serial and len(serial) > 150


def test_garbage_collection_is_paused_then_restored_even_on_errors() -> None:
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
        _ = 1 / 0
    assert gc.isenabled()


def test_links_of_pages_without_a_link_table_are_read_once_per_revision(
    tmp_path, monkeypatch
) -> None:
    with corpus_store(tmp_path / "s.sqlite") as store:  # like a dump: no link table
        first = load_graph(store)
        calls: list[str] = []
        real = records_module.parse_links

        def counting(p, site):  # type: ignore[no-untyped-def]
            calls.append(p.title)
            return real(p, site)

        monkeypatch.setattr(records_module, "parse_links", counting)
        assert load_graph(store) == first
        assert calls == []
        changed = store.page("La Bobine")
        with store.transaction():
            revised = {**changed.__dict__, "rev_id": changed.rev_id + 1}
            store.apply([Page(**{**revised, "text": changed.text + "\n[[Page nouvelle]]"})])
        again = load_graph(store)
    assert calls == ["La Bobine"]
    assert again.inbound["Page nouvelle"] == {"La Bobine"}
    assert first.inbound.get("Page nouvelle") is None
