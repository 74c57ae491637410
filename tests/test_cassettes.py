"""Real request shapes, replayed offline from cassettes/ (recorded from the local wiki).

Replay is the default (``--record-mode=none``): a change in what movisync asks the wiki
fails here until the cassettes are recorded again with ``scripts/record-cassettes``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from movisync.store import Store
from movisync.sync import pull
from movisync.wiki import Wiki, WikiClient
from movisync.workspace import Workspace

from .conftest import DEFAULT_PORT, ROOT
from .helpers import corpus_pages

pytestmark = [pytest.mark.cassette, pytest.mark.vcr]
API = f"http://127.0.0.1:{DEFAULT_PORT}/api.php"


@pytest.fixture
def credentials(request) -> dict[str, str]:
    """Real bot credentials when recording; any value when replaying (they are scrubbed)."""
    if request.config.getoption("--record-mode") == "none":
        return {"username": "MovisyncBot@movisync", "password": "replayed"}
    return request.getfixturevalue("local_wiki").credentials["bot"]


@pytest.fixture(autouse=True)
def _wiki_when_recording(request) -> None:
    if request.config.getoption("--record-mode") != "none":
        request.getfixturevalue("local_wiki")


def client() -> Wiki:
    return Wiki(WikiClient(API, contact="movisync tests", backoff=0.01))


def expected(namespaces: set[str]) -> dict[str, str]:
    """Corpus pages whose namespace prefix is one of ``namespaces`` ("" for main)."""
    prefixes = {"Modèle", "Catégorie", "Utilisateur", "Movilab", "Portail", "Aide"}

    def ns_of(title: str) -> str:
        prefix = title.split(":", 1)[0]
        return prefix if ":" in title and prefix in prefixes else ""

    return {t: text for t, text in corpus_pages().items() if ns_of(t) in namespaces}


def test_full_then_incremental_pull(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        full = pull(store, client())
        stored = {p.title: p.text for p in store.pages()}
        again = pull(store, client())
    wanted = expected({"", "Modèle", "Catégorie", "Utilisateur", "Movilab", "Portail", "Aide"})
    assert {t: stored.get(t) for t in wanted} == wanted
    assert set(stored) - set(wanted) <= {"Accueil"}  # the main page install.php creates
    assert full.kind == "full" and full.new == len(stored)
    assert again.kind == "incremental" and again.requests <= 2
    assert (again.new, again.changed, again.deleted, again.moved) == (0, 0, 0, 0)


def test_bot_login_uses_high_limits(tmp_path: Path, credentials: dict[str, str]) -> None:
    logged_in = client()
    logged_in.login(credentials["username"], credentials["password"])
    with Store(tmp_path / "s.sqlite") as store:
        summary = pull(store, logged_in, namespaces=[0])
    assert summary.new == len(expected({""})) + 1
    # 500 pages a request with apihighlimits: one content request for the whole namespace.
    assert summary.requests == 3


def test_no_cassette_holds_a_credential_a_token_or_a_cookie() -> None:
    secrets = (
        [json.loads((ROOT / ".local-wiki" / "credentials.json").read_text())]
        if (ROOT / ".local-wiki" / "credentials.json").exists()
        else []
    )
    cassettes = sorted((ROOT / "cassettes").rglob("*.yaml"))
    assert len(cassettes) >= 2
    for cassette in cassettes:
        text = cassette.read_text(encoding="utf-8")
        assert not re.search(r"lgpassword|lgtoken|set-cookie|cookie:", text, re.IGNORECASE)
        assert not re.search(r'token\\?"\s*:\s*\\?"(?!scrubbed)', text), cassette.name
        for creds in secrets:
            for account in creds.values():
                assert account["password"] not in text, cassette.name


def test_a_plan_reads_the_curated_pages_and_writes_nothing(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        ws = Workspace(store, wiki=client)
        ws.pull()
        made = ws.plan()
    titles = [e.title for e in made.edits]
    assert len(titles) == 14 and all(e.create for e in made.edits) and made.skipped == ()
    assert "Movilab:Movisync/Annuaire/Tiers-lieux" in titles
    assert made.edits[0].summary.startswith("movisync : pages de synthèse (")
    review = next(e for e in made.edits if e.title == "Movilab:Movisync/Doublons")
    assert "[[:Tiers Lieux]] || [[:Tiers-Lieux]]" in review.new_text
