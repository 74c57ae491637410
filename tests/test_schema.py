"""The wiki's own schema, with no configuration: the sample corpus as it is, renamed, and
an SMW + Page Forms wiki, each read to exactly its hand-labelled gaps."""

from __future__ import annotations

import tomllib

import pytest

from movisync.profile import load_profile, profile_from_data
from movisync.store import Store
from movisync.workspace import Workspace

from .helpers import (
    corpus_store,
    expected_gaps,
    found_gaps,
    renamed_corpus,
    smw_pages,
)

SMW_LABELS = "../data/smw-corpus/expected-gaps.tsv"


@pytest.fixture(scope="module")
def smw(tmp_path_factory):
    with corpus_store(
        tmp_path_factory.mktemp("smw") / "s.sqlite", accueil=True, pages=smw_pages()
    ) as store:
        yield Workspace(store)


def test_an_smw_and_page_forms_wiki_reads_to_its_labels_with_no_configuration(smw) -> None:
    found, expected = found_gaps(smw.gaps()), expected_gaps(SMW_LABELS)
    assert found - expected == set(), "found but not labelled"
    assert expected - found == set(), "labelled but not found"
    kinds = {t.key: t.found for t in smw.profile.types}
    assert kinds == {
        "tutoriel": "form Formulaire:Tutoriel",
        "machine": "form Formulaire:Machine",
        "lieu": "form Formulaire:Lieu",
        "rendez-vous": "form Formulaire:Rendez-vous",
        "organisation": "form Formulaire:Organisation",
    }


def test_each_rule_says_where_it_comes_from(smw) -> None:
    tutorial = smw.profile.type("tutoriel")
    difficulty = tutorial.field("Difficulté")
    assert difficulty.required and difficulty.values == ("Facile", "Moyen", "Difficile")
    assert difficulty.sources["values"] == "form Formulaire:Tutoriel"
    assert tutorial.field("Durée").sources["kind"] == "property Attribut:Durée"
    assert tutorial.field("Durée").kind == "number"
    materials = tutorial.field("Matériaux")
    assert (materials.multi, materials.separator) == (True, ";")
    assert "Bois" in materials.values
    assert tutorial.field("Vidéo").sources == {"kind": "property Attribut:Vidéo"}
    place = smw.profile.type("lieu")
    assert place.field("Code postal").pattern == "^[0-9]{5}$"
    assert place.field("Thème").sources["values"].endswith("Catégorie:Thématiques")
    assert any("Difficulté" in d and "Expert" in d for d in smw.schema.disagreements)
    assert ("Formulaire:Lieu", "Horaires") in smw.schema.form_only
    gap = next(g for g in smw.gaps(pages=["Réparer une chaise paillée"]).gaps)
    assert "'Expert' not an allowed value of Difficulté" in gap.detail
    assert gap.detail.endswith("(form Formulaire:Tutoriel)")
    assert "Brouillon" in smw.profile.stub_banners  # its text says "ébauche"


def test_a_wiki_whose_names_differ_reads_as_the_original(tmp_path) -> None:
    with corpus_store(tmp_path / "r.sqlite", accueil=True, pages=renamed_corpus()) as store:
        ws = Workspace(store)
        found = found_gaps(ws.gaps())
        place = ws.profile.type("tiers-lieu")
    assert found == expected_gaps()
    assert place.templates[0] == "Fiche Lieu" and place.category == "Lieux"
    assert "in common with the profile's tiers-lieu" in place.found
    assert place.field("Theme").values == load_profile().type("tiers-lieu").field("Theme").values


def test_the_sample_corpus_keeps_the_profiles_types(tmp_path) -> None:
    with corpus_store(tmp_path / "s.sqlite") as store:
        ws = Workspace(store)
        assert [t.found for t in ws.profile.types] == [""] * 5
        assert ws.schema.unmatched == () and not ws.schema.discovered
        fields = {(u.type, u.spec.name): u for u in ws.fields()}
    picture = fields[("tiers-lieu", "Main_Picture")]
    assert (picture.filled, picture.pages) == (11, 36)  # pages with a value, not pages named
    assert fields[("projet", "Financement")].spec.sources == {
        "label": "templatedata",
        "recommended": "templatedata",
        "aliases": "templatedata",
    }


def test_the_written_schema_loads_back_as_the_same_profile(tmp_path) -> None:
    with corpus_store(tmp_path / "s.sqlite", pages=smw_pages()) as store:
        ws = Workspace(store)
        text = ws.schema_toml()
        before = ws.gaps()
    assert "# found: form Formulaire:Tutoriel" in text and "property Attribut:Durée" in text
    pinned = profile_from_data(tomllib.loads(text)["profile"])
    tutorial = pinned.type("tutoriel")
    assert tutorial.field("Matériaux").separator == ";" and tutorial.field("Durée").kind == "number"
    config = tmp_path / "movisync.toml"
    config.write_text(text, encoding="utf-8")
    with corpus_store(tmp_path / "t.sqlite", pages=smw_pages()) as store:
        again = Workspace(store, profile=load_profile(config)).gaps()
    assert found_gaps(again) == found_gaps(before)


def test_the_user_configuration_outranks_the_wiki(tmp_path) -> None:
    config = tmp_path / "movisync.toml"
    config.write_text(
        '[profile.types.tutoriel]\ntemplates = ["Fiche tutoriel"]\n'
        '[profile.types.tutoriel.fields]\n"Durée" = { required = false }\n',
        encoding="utf-8",
    )
    with corpus_store(tmp_path / "s.sqlite", pages=smw_pages()) as store:
        ws = Workspace(store, profile=load_profile(config))
        duration = ws.profile.type("tutoriel").field("Durée")
        gaps = found_gaps(ws.gaps(kinds=["missing_field"]))
    assert not duration.required and duration.sources["required"] == "movisync.toml"
    assert ("Réparer un grille-pain", "missing_field", "Durée") not in gaps
    assert ("Imprimer un support de téléphone", "missing_field", "Titre") in gaps


@pytest.mark.live
def test_a_live_smw_wiki_reads_to_its_labels(smw_wiki, tmp_path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        ws = Workspace(store, wiki=smw_wiki.client)
        pulled = ws.pull()
        assert store.page("MediaWiki:Smw allows list Niveaux") is not None  # the lists too
        found = found_gaps(ws.gaps())
    expected = expected_gaps(SMW_LABELS)
    assert found - expected == set(), "found but not labelled"
    assert expected - found == set(), "labelled but not found"
    assert pulled.kind == "full"


@pytest.mark.live
def test_a_live_wiki_whose_names_differ_reads_as_the_original(renamed_wiki, tmp_path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        ws = Workspace(store, wiki=renamed_wiki.client)
        ws.pull()
        assert found_gaps(ws.gaps()) == expected_gaps()
        assert ws.profile.type("evenement").templates[0] == "Rencontre"
