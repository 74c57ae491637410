"""The page-type profile: the shipped Movilab one, a user's extension, TemplateData."""

from __future__ import annotations

import pytest

from movisync.errors import ConfigError
from movisync.profile import load_profile, templatedata, with_templatedata

from .helpers import corpus_pages


def test_the_movilab_profile_ships_with_its_five_types_and_theme_list() -> None:
    profile = load_profile()
    assert profile.type_keys() == ("tiers-lieu", "commun", "document", "projet", "evenement")
    theme = profile.type("tiers-lieu").field("Theme")
    assert (theme.kind, theme.multi) == ("text", True) and "Mobilité" in theme.values
    assert profile.type("tiers-lieu").field("Site web").name == "url"  # an alias
    assert profile.stub_banners == ("Ébauche",)


def test_a_user_profile_extends_the_default(tmp_path) -> None:
    config = tmp_path / "movisync.toml"
    config.write_text(
        "[profile]\nstub_min_chars = 500\n"
        '[profile.types.tiers-lieu.fields]\nhoraires = { kind = "text", recommended = true }\n'
        'url = { kind = "url", required = false }\n'
        '[profile.types.atelier]\ntemplates = ["Atelier"]\ncategory = "Atelier"\n'
    )
    profile = load_profile(config)
    assert profile.stub_min_chars == 500
    place = profile.type("tiers-lieu")
    assert place.field("horaires").recommended
    assert place.field("url").required is False and place.field("url").kind == "url"
    assert place.field("Titre").required  # untouched fields stay
    assert "atelier" in profile.type_keys() and "commun" in profile.type_keys()


def test_a_user_profile_can_replace_the_default(tmp_path) -> None:
    config = tmp_path / "movisync.toml"
    config.write_text('[profile]\nextends = "none"\n[profile.types.lieu]\ntemplates = ["Lieu"]\n')
    assert load_profile(config).type_keys() == ("lieu",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[profile.types.x]\ntemplates = ["X"]\nfields = { a = { kind = "colour" } }', "kind"),
        ('[profile.types.x]\ncategory = "X"', "names no template"),
        (
            '[profile.types.x]\ntemplates = ["X"]\n'
            'fields = { a = { kind = "enum", values = "nope" } }',
            "unknown list",
        ),
        ('[profile]\nextends = "wikipedia"', "extends"),
    ],
)
def test_a_wrong_profile_says_what_is_wrong(tmp_path, text: str, message: str) -> None:
    config = tmp_path / "movisync.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_profile(config)
    with pytest.raises(ConfigError, match="no page type"):
        load_profile().type("nope")


def test_templatedata_adds_the_parameters_a_template_declares() -> None:
    declared = templatedata(corpus_pages()["Modèle:Projet"])
    assert declared is not None and "Financement" in declared["params"]
    profile = with_templatedata(load_profile(), {"Projet": declared})
    projet = profile.type("projet")
    assert projet.field("Financement").recommended
    assert projet.field("financement").name == "Financement"  # TemplateData alias
    assert projet.field("Date de lancement").kind == "date"
    # The profile keeps the last word on the fields it names.
    assert projet.field("url").recommended and not projet.field("url").required
    assert templatedata("<templatedata>{not json</templatedata>") is None
