"""The curated pages: one registry, titles from the profile's words, French golden pages.

The golden files in tests/data/golden/ are the curated pages of the offline corpus, as
movisync renders them; after a deliberate change of rendering, write them again with
MOVISYNC_GOLDEN=write and read the diff before committing.
"""

from __future__ import annotations

import os

import pytest

from movisync import pages
from movisync.pages import REGISTRY, Findings, PageKind, curated_pages, publish_prefix, stop_page
from movisync.profile import load_profile
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
    assert len(made) == 2 * len(PROFILE.types) + 2
    assert [p.reviewers_write for p in made].count(True) == 1
    assert stop_page(PROFILE, prefix) == "Movilab:Movisync/Arrêt"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, str]:
    with corpus_store(tmp_path_factory.mktemp("golden") / "s.sqlite", accueil=True) as store:
        ws = Workspace(store, profile=PROFILE)
        found = Findings(
            records=ws.records(),
            gaps=ws.all_gaps(),
            dupes=ws.all_duplicates(),
            verdicts={},
            history=[],
            profile=ws.profile,
            template_ns="Modèle",
        )
        blocks = pages.render_pages(ws.curated_pages(), found)
    return {b.id: b.text for b in blocks}


@pytest.mark.parametrize("block", [p.block for p in curated_pages(PROFILE, "P")])
def test_curated_pages_render_as_their_golden_files(rendered, block: str) -> None:
    golden = GOLDEN / f"{block}.wiki"
    if os.environ.get("MOVISYNC_GOLDEN") == "write":
        golden.write_text(rendered[block] + "\n", encoding="utf-8")
    assert rendered[block] + "\n" == golden.read_text(encoding="utf-8")
