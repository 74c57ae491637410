"""Template calls read with the wiki's rules, as data (tests/data/template-calls.tsv)."""

from __future__ import annotations

import json

import pytest

from movisync.templates import parse, value_text

from .test_site import SITE, cases_of

REDIRECTS = {"Modèle:Tiers lieu": "Modèle:Tiers-lieu", "Modèle:Evènement": "Modèle:Evenement"}


@pytest.mark.parametrize(
    ("text", "template", "params", "repeated"), cases_of("template-calls.tsv", 4)
)
def test_template_calls(text: str, template: str, params: str, repeated: str) -> None:
    calls = parse(text, SITE, redirects=REDIRECTS).calls
    if template == "-":
        assert calls == ()
        return
    assert [c.template for c in calls] == [template]
    assert calls[0].values() == json.loads(params)
    assert calls[0].repeated() == (() if repeated == "-" else tuple(repeated.split(",")))


def test_links_and_categories_follow_the_wikis_namespaces() -> None:
    parsed = parse(
        "[[La Myne|myne]] [[:Catégorie:Commun]] [[Catégorie:Tiers-lieu]] [[Category:Lyon]] "
        "[[Fichier:Logo.png|vignette]] [[Image:Plan.png]] [[#Histoire]] [[la_Myne/2#Haut]] "
        "[[Portail:Fabrication]]",
        SITE,
    )
    assert parsed.links == ("La Myne", "Catégorie:Commun", "La Myne/2", "Portail:Fabrication")
    assert parsed.categories == ("Catégorie:Tiers-lieu", "Catégorie:Lyon")


def test_plain_text_drops_templates_banners_comments_and_categories() -> None:
    parsed = parse(
        "{{Guide pratique}}\n'''Un guide''' pour [[La Myne|la Myne]].<!-- note -->\n"
        "[[Catégorie:Guide pratique]]\n{{Soutenir Movilab}}",
        SITE,
    )
    assert parsed.body == "Un guide pour la Myne."


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("La <!-- c --> Fabrique\n", "La Fabrique"),
        ("[[La Myne|myne]]", "myne"),
        ("[https://x.example.org]", "https://x.example.org"),
        ("'''gras'''", "gras"),
        ("<!-- rien -->", ""),
        ("Fabrication, <!-- E ? -->Animation", "Fabrication, Animation"),
    ],
)
def test_values_as_text(raw: str, text: str) -> None:
    assert value_text(raw) == text
