"""`movisync schema`: templates in use, and a profile inferred from them."""

from __future__ import annotations

import tomllib

from movisync.profile import profile_from_data
from movisync.records import build_record
from movisync.workspace import Workspace

from .helpers import SITE, corpus_pages, corpus_store


def test_schema_shows_templates_fill_rates_and_unknown_parameters(tmp_path) -> None:
    with corpus_store(tmp_path / "s.sqlite") as store:
        uses = {u.template: u for u in Workspace(store).schema()}
    place = uses["Tiers-lieu"]
    assert place.type == "tiers-lieu" and place.pages == 36
    params = {p.name: p for p in place.params}
    assert params["Titre"].fill_percent == 100.0 and params["Titre"].in_profile
    assert params["horaires"].in_profile is False  # used on a page, not in the profile
    assert len(params["url"].samples) == 3
    assert "Financement" in uses["Projet"].unused_fields  # declared by TemplateData only
    assert uses["Ébauche"].type is None and uses["Ébauche"].params == ()


def test_an_inferred_profile_loads_and_recognises_the_same_pages(tmp_path) -> None:
    with corpus_store(tmp_path / "s.sqlite") as store:
        text = Workspace(store).infer_profile()
    profile = profile_from_data(tomllib.loads(text))
    place = profile.type("tiers-lieu")
    assert place.category == "Tiers-lieu"
    assert place.field("Titre").required
    assert place.field("url").kind == "url"
    assert place.field("Coordonnées géo").kind == "coordinates"
    assert profile.type("evenement").field("Début de l'évènement").kind == "date"
    redirects = {"Modèle:Tiers lieu": "Modèle:Tiers-lieu"}
    record = build_record_for("La Fabrique (Lyon)", profile, redirects)
    assert record.type == "tiers-lieu"


def build_record_for(title, profile, redirects):
    from movisync.store import Page

    return build_record(
        Page(page_id=1, ns=0, title=title, rev_id=1, timestamp="", text=corpus_pages()[title]),
        profile,
        SITE,
        redirects,
    )
