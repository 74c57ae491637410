"""The curated pages: one registry, titles from the profile's words, French golden pages.

The golden files in tests/data/golden/ are the curated pages of the offline corpus, as
movisync renders them; after a deliberate change of rendering, write them again with
MOVISYNC_GOLDEN=write and read the diff before committing.
"""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from movisync import pages
from movisync.gaps import FIELD_KINDS
from movisync.history import Snapshot
from movisync.pages import REGISTRY, Findings, PageKind, curated_pages, publish_prefix, stop_page
from movisync.profile import load_profile
from movisync.store import Tracked, Waiver
from movisync.tracking import identity, waive
from movisync.workspace import Workspace

from .helpers import DATA, SITE, corpus_store

PROFILE = load_profile()
GOLDEN = DATA / "golden"


def test_every_kind_of_curated_page_is_in_the_registry() -> None:
    assert set(REGISTRY) == set(PageKind)


def test_titles_come_from_the_profile_and_the_wikis_project_namespace() -> None:
    prefix = publish_prefix(SITE)
    assert prefix == "Movilab:Movisync" and publish_prefix(SITE, "Aide:Bot") == "Aide:Bot"
    made = curated_pages(PROFILE, prefix)
    titles = {p.title: p.block for p in made}
    assert titles["Movilab:Movisync/Annuaire/Tiers-lieux"] == "directory-tiers-lieu"
    assert titles["Movilab:Movisync/À compléter/Événements"] == "worklist-evenement"
    assert titles["Movilab:Movisync/Activités"] == "activities"
    assert titles["Movilab:Movisync/Doublons"] == "duplicates"
    assert titles["Movilab:Movisync/Activités à documenter"] == "to-document"
    assert titles["Movilab:Movisync/Communs utilisés"] == "communs"
    assert len(made) == 2 * len(PROFILE.types) + 4
    # reviewers write verdicts on the review page and exceptions on the worklists
    assert [p.kind for p in made if p.reviewers_write] == ["worklist"] * len(PROFILE.types) + [
        "duplicates"
    ]
    assert stop_page(PROFILE, prefix) == "Movilab:Movisync/Arrêt"


AT = "2026-12-01T03:00:00Z"
WEEK_AGO = "2026-11-24T03:00:00Z"
WAIVERS = (
    Waiver("tiers-lieu", "Le Relais des Possibles", "Tags", "sans objet", "wiki", "Anne", AT),
    Waiver("tiers-lieu", "", "referent", "exception : collectifs sans référent", "cli", "cli", AT),
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, str]:
    """The curated pages a week after a first run: one gap new since, one back, one
    fixed; an exception for one page and one for a whole type; tiers-lieux edited
    through a Page Forms form."""
    with corpus_store(tmp_path_factory.mktemp("golden") / "s.sqlite", accueil=True) as store:
        ws = Workspace(store, profile=PROFILE)
        gaps = waive(ws.all_gaps(), WAIVERS)
        found = [g for g in gaps.gaps if g.type == "tiers-lieu" and g.kind in FIELD_KINDS]
        fresh, returned = found[0], found[1]
        log = {
            identity(g): Tracked(*identity(g), type=g.type or "", opened=WEEK_AGO)
            for g in gaps.gaps + gaps.excepted
        }
        log[identity(fresh)] = replace(log[identity(fresh)], opened="2026-11-30T03:00:00Z")
        log[identity(returned)] = replace(log[identity(returned)], opened=AT, returns=1)
        gone = ("La Myne", "missing_field", "url")
        log[gone] = Tracked(*gone, type="tiers-lieu", opened=WEEK_AGO, fixed=AT)
        profile = replace(
            ws.profile,
            types=tuple(
                replace(t, form="Tiers-lieu") if t.key == "tiers-lieu" else t
                for t in ws.profile.types
            ),
        )
        found_all = Findings(
            records=ws.records(),
            gaps=gaps,
            dupes=ws.all_duplicates(),
            verdicts={},
            history=[
                Snapshot(WEEK_AGO, 1, {"tiers-lieu": {"missing_field": 20}}, {}, {}),
            ],
            profile=profile,
            template_ns="Modèle",
            at=AT,
            log=log,
            waivers=WAIVERS,
            inbound={t: len(s) for t, s in ws.graph().inbound.items()},
            special_ns="Spécial",
            commons=ws.commons(),
        )
        blocks = pages.render_pages(ws.curated_pages(), found_all)
    return {b.id: b.text for b in blocks}


@pytest.mark.parametrize("block", [p.block for p in curated_pages(PROFILE, "P")])
def test_curated_pages_render_as_their_golden_files(rendered, block: str) -> None:
    golden = GOLDEN / f"{block}.wiki"
    if os.environ.get("MOVISYNC_GOLDEN") == "write":
        golden.write_text(rendered[block] + "\n", encoding="utf-8")
    assert rendered[block] + "\n" == golden.read_text(encoding="utf-8")


def test_a_long_page_goes_to_subpages_that_movisync_owns_and_retires(tmp_path) -> None:
    with corpus_store(tmp_path / "s.sqlite") as store:
        ws = Workspace(store, profile=PROFILE)
        found = Findings(
            records=ws.records(),
            gaps=ws.all_gaps(),
            dupes=ws.all_duplicates(),
            verdicts={},
            history=[],
            profile=ws.profile,
            template_ns="Modèle",
            page_limit=2000,
            commons=ws.commons(),
        )
        made = ws.curated_pages()
        places = next(p for p in made if p.block == "directory-tiers-lieu")
        old = [f"{places.title}/{n}" for n in (1, 2, 40)]
        blocks = pages.render_pages(made, found, existing=old)
    mine = [b for b in blocks if b.page.startswith(places.title)]
    assert mine[0].page == places.title and "sous-pages" in mine[0].text
    assert mine[0].moved  # the page's list went to subpages: shrinking to an index is fine
    numbered = [b for b in mine[1:] if not b.moved]
    assert [b.page for b in numbered] == [
        f"{places.title}/{n}" for n in range(1, len(numbered) + 1)
    ]
    assert all(len(b.text.encode()) <= 2000 for b in numbered)
    retired = [b for b in mine[1:] if b.moved]
    assert [b.page for b in retired] == [f"{places.title}/40"]
    assert f"[[{places.title}]]" in retired[0].text
    owned = pages.owned_blocks(made, [b.page for b in blocks] + ["Accueil", f"{places.title}/x"])
    assert owned[f"{places.title}/2"] == {"directory-tiers-lieu-2"}
    assert "Accueil" not in owned and f"{places.title}/x" not in owned
