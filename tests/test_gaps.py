"""Gaps: hand-labelled expectations on the corpus (live wiki), value rules as data."""

from __future__ import annotations

import pytest

from movisync.dump import load_dump
from movisync.gaps import LABELS, GapKind, invalid, is_empty
from movisync.profile import FieldSpec, load_profile
from movisync.records import Value
from movisync.store import Store
from movisync.sync import pull
from movisync.templates import first_url, value_text
from movisync.workspace import Workspace

from .helpers import DATA, SITE, cases_of, corpus_store, expected_gaps, found_gaps
from .wikiedit import Editor

PROFILE = load_profile()
TYPES = {"": 37, "tiers-lieu": 38, "commun": 21, "document": 21, "projet": 16, "evenement": 16}


def find_gaps(store, profile=PROFILE, **filters):  # type: ignore[no-untyped-def]
    return Workspace(store, profile=profile).gaps(**filters)


def test_every_labelled_gap_is_found_offline_and_nothing_else(tmp_path):
    with corpus_store(tmp_path / "s.sqlite", accueil=True) as store:  # links read from text
        report = find_gaps(store)
    expected = expected_gaps()
    assert found_gaps(report) - expected == set(), "found but not labelled"
    assert expected - found_gaps(report) == set(), "labelled but not found"
    assert report.pages == TYPES
    assert report.errors == ()


def test_every_gap_kind_has_its_label():
    assert set(LABELS) == set(GapKind)


@pytest.mark.live
def test_every_labelled_gap_is_found_and_nothing_else(local_wiki, tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        pull(store, local_wiki.client())
        report = find_gaps(store, PROFILE)
    expected = expected_gaps()
    assert found_gaps(report) - expected == set(), "found but not labelled"
    assert expected - found_gaps(report) == set(), "labelled but not found"
    assert report.pages == TYPES
    assert report.errors == ()


@pytest.mark.live
def test_filters_keep_only_what_is_asked(local_wiki, tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        pull(store, local_wiki.client())
        report = find_gaps(store, PROFILE, types=["tiers-lieu"], kinds=["invalid_value"])
        page = find_gaps(store, PROFILE, pages=["LaMyne"])
    assert {g.kind for g in report.gaps} == {"invalid_value"}
    assert {g.type for g in report.gaps} == {"tiers-lieu"}
    assert {(g.kind, g.field) for g in page.gaps} == {
        ("missing_field", "url"),
        ("stub", None),
        ("orphan", None),
    }
    completeness = {(f.type, f.field): f.percent for f in report.fills}
    assert completeness[("tiers-lieu", "Titre")] == 100.0
    assert 0 < completeness[("tiers-lieu", "url")] < 100


@pytest.mark.live
def test_a_page_changed_on_the_wiki_shows_its_new_gaps_after_an_incremental_pull(
    fresh_wiki, tmp_path
):
    with Store(tmp_path / "s.sqlite") as store:
        pull(store, fresh_wiki.client())
        before = find_gaps(store, PROFILE, pages=["La Fabrique (Lyon)"])
        Editor(fresh_wiki.client("human")).edit(
            "La Fabrique (Lyon)",
            store.page("La Fabrique (Lyon)").text.replace("|Theme=Fabrication,", "|Theme=Partage,"),
        )
        summary = pull(store, fresh_wiki.client())
        after = find_gaps(store, PROFILE, pages=["La Fabrique (Lyon)"])
    assert summary.kind == "incremental" and summary.changed == 1
    assert not [g for g in before.gaps if g.kind == "invalid_value"]
    assert [(g.kind, g.field) for g in after.gaps if g.kind == "invalid_value"] == [
        ("invalid_value", "Theme")
    ]


def spec_for(kind: str) -> FieldSpec:
    if kind.startswith("multi-enum:"):
        themes = PROFILE.type("tiers-lieu").field("Theme").values
        return FieldSpec("x", kind="text", multi=True, values=themes)
    return FieldSpec("x", kind=kind, multi=kind == "licence")


@pytest.mark.parametrize(("kind", "text", "reason"), cases_of("values.tsv", 3))
def test_value_rules(kind: str, text: str, reason: str) -> None:
    spec = spec_for(kind)
    shown = value_text(text, SITE)
    if kind == "url":
        shown = first_url(text, SITE) or shown
    items = tuple(i.strip() for i in shown.split(",") if i.strip()) if spec.multi else ()
    verdict = invalid(spec, Value("x", shown, items), PROFILE)
    if reason == "-":
        assert verdict is None
    else:
        assert verdict is not None and reason in verdict


@pytest.mark.parametrize(
    "text", ["", "  ", "...", "…", "à compléter", "À compléter", "?", "-", "TODO"]
)
def test_placeholders_are_empty(text: str) -> None:
    assert is_empty(text, PROFILE)


def test_real_values_are_not_empty() -> None:
    assert not is_empty("Lyon", PROFILE) and not is_empty("0", PROFILE)
    assert (DATA / "expected-gaps.tsv").exists()


@pytest.mark.live
def test_a_dump_store_gets_the_same_field_gaps_as_an_api_store(local_wiki, tmp_path):
    import urllib.request

    export = (
        local_wiki.api + "?action=query&generator=allpages&gapnamespace=0&gaplimit=max"
        "&export&exportnowrap"
    )
    with urllib.request.urlopen(export) as response:
        (tmp_path / "dump.xml").write_bytes(response.read())
    templates = (
        local_wiki.api
        + "?action=query&generator=allpages&gapnamespace=10&gaplimit=max&export&exportnowrap"
    )
    with urllib.request.urlopen(templates) as response:
        (tmp_path / "templates.xml").write_bytes(response.read())
    with Store(tmp_path / "dump.sqlite") as store:
        load_dump(store, tmp_path / "dump.xml", namespaces=[0, 10])
        load_dump(store, tmp_path / "templates.xml", namespaces=[0, 10])
        from_dump = find_gaps(store, PROFILE)
    field_kinds = {
        "missing_field",
        "empty_field",
        "invalid_value",
        "unknown_param",
        "duplicate_param",
        "no_template",
    }
    expected = {row for row in expected_gaps() if row[1] in field_kinds}
    assert {row for row in found_gaps(from_dump) if row[1] in field_kinds} == expected
    assert from_dump.pages["tiers-lieu"] == 38  # typed through template redirects and categories


def test_a_page_nested_too_deep_is_one_unreadable_gap():
    from movisync.gaps import detect_gaps
    from movisync.records import LinkGraph, build_record

    from .helpers import page

    deep = "{{a|" * 300 + "x" + "}}" * 300
    text = f"{{{{Tiers-lieu|Titre=X|shortDescription={deep}|location=Lyon}}}}\nUn lieu. " * 3
    record = build_record(page("Profond", text), PROFILE, SITE)
    graph = LinkGraph(frozenset({"Profond"}), {}, {}, frozenset({0}), {})
    gaps = detect_gaps([record], PROFILE, graph).gaps
    assert [(g.kind, g.field) for g in gaps] == [("unreadable", None)]
    assert "nested 301 deep" in gaps[0].detail  # the call itself, then 300 inside
