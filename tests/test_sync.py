"""Pulling from the real local MediaWiki: full, incremental, resume, fallback, dumps."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from movisync.dump import load_dump
from movisync.errors import ConfigError, DumpError, StoreWikiMismatch
from movisync.store import Store
from movisync.sync import pull

from .conftest import LocalWiki
from .wikiedit import Editor

pytestmark = pytest.mark.live


def snapshot(path: Path, *, links: bool = True) -> set[tuple[object, ...]]:
    """Everything a pull stores about pages, comparable across stores (a dump has no
    links or categories: compare it with ``links=False``)."""
    with Store(path) as store:
        return {
            (p.page_id, p.ns, p.title, p.rev_id, p.timestamp, p.text, p.redirect)
            + ((p.links, p.categories) if links else ())
            for p in store.pages()
        }


def wiki_titles(wiki: LocalWiki, namespaces: tuple[int, ...]) -> set[str]:
    client = wiki.client().client
    titles: set[str] = set()
    for ns in namespaces:
        for part in client.query({"list": "allpages", "apnamespace": ns, "aplimit": "max"}):
            titles |= {p["title"] for p in part.get("allpages", [])}
    return titles


def test_full_pull_copies_every_page_of_the_pulled_namespaces(local_wiki, tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        summary = pull(store, local_wiki.client())
        stored = {p.title for p in store.pages()}
        template_redirect = store.page("Modèle:Tiers lieu")
        la_myne = store.page("La Myne")
        counts = store.counts()
    assert summary.kind == "full"
    assert summary.new == len(stored) > 150
    # By default every subject namespace but files and interface messages.
    assert stored == wiki_titles(local_wiki, (0, 2, 4, 10, 12, 14, 100))
    assert template_redirect is not None
    assert template_redirect.redirect == "Modèle:Tiers-lieu"
    # Links and categories are the wiki's own, templates included.
    assert "Catégorie:Tiers-lieu" in la_myne.categories
    assert la_myne.links
    # 50 pages a request, anonymously, and one request per namespace at least: never one
    # request per page (siteinfo and the recent-changes cursor come first).
    batches = sum(-(-count // 50) for count in counts.values())
    assert 2 + batches <= summary.requests <= 2 + 2 * batches  # links may take a second


def test_incremental_pull_with_nothing_changed_makes_at_most_two_requests(local_wiki, tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        pull(store, local_wiki.client())
        before = snapshot(tmp_path / "s.sqlite")
        summary = pull(store, local_wiki.client())
    assert summary.kind == "incremental"
    assert (summary.new, summary.changed, summary.deleted, summary.moved) == (0, 0, 0, 0)
    assert summary.requests <= 2
    assert snapshot(tmp_path / "s.sqlite") == before


def test_incremental_pull_reflects_edits_creations_deletions_moves_restores_imports(
    fresh_wiki, tmp_path
):
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        pull(store, fresh_wiki.client())
    editor = Editor(fresh_wiki.client("admin"))
    editor.edit("La Myne", "Texte modifié par le test.")
    editor.edit("Page créée par le test", "Une page toute neuve.")
    editor.edit("Page supprimée par le test", "Bientôt supprimée.")
    editor.edit("Page restaurée par le test", "Supprimée puis restaurée.")
    editor.edit("Ancien titre du test", "Une page qui va changer de nom.")
    with Store(path) as store:
        pull(store, fresh_wiki.client())
    editor.delete("Page supprimée par le test")
    editor.delete("Page restaurée par le test")
    editor.undelete("Page restaurée par le test")
    editor.move("Ancien titre du test", "Nouveau titre du test")
    editor.import_xml(
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11">'
        "<page><title>Page importée par le test</title><revision>"
        "<timestamp>2026-01-01T00:00:00Z</timestamp><contributor><username>Quelqu'un"
        "</username></contributor><text>Importée.</text></revision></page></mediawiki>"
    )
    with Store(path) as store:
        summary = pull(store, fresh_wiki.client())
        assert store.page("La Myne").text == "Texte modifié par le test."
        assert store.page("Page créée par le test") is not None
        assert store.page("Page supprimée par le test") is None
        assert store.page("Page restaurée par le test").text == "Supprimée puis restaurée."
        assert store.page("Nouveau titre du test").text == "Une page qui va changer de nom."
        assert store.page("Ancien titre du test").redirect == "Nouveau titre du test"
        assert store.page("Page importée par le test").text == "Importée."
    assert summary.kind == "incremental"
    assert summary.moved == 1
    assert summary.deleted >= 1
    # The incremental store is the store a full pull would make now.
    with Store(tmp_path / "full.sqlite") as store:
        pull(store, fresh_wiki.client())
    assert snapshot(path) == snapshot(tmp_path / "full.sqlite")


def test_a_store_older_than_recent_changes_falls_back_to_a_full_pull(local_wiki, tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        pull(store, local_wiki.client())
        cursor = store.state("cursor")
        with store.transaction():
            store.set_state("cursor", {**cursor, "timestamp": "2020-01-01T00:00:00Z"})
        summary = pull(store, local_wiki.client())
    assert summary.kind == "full"
    assert "older than the wiki's recent changes" in summary.note


def test_a_store_of_another_wiki_is_refused_and_kept(local_wiki, fresh_wiki, tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        pull(store, local_wiki.client())
    before = snapshot(tmp_path / "s.sqlite")
    with Store(tmp_path / "s.sqlite") as store, pytest.raises(StoreWikiMismatch):
        pull(store, fresh_wiki.client())
    assert snapshot(tmp_path / "s.sqlite") == before


def run_pull_until(store: Path, api: str, stop_signal: int) -> subprocess.CompletedProcess[str]:
    """Start `movisync pull` with tiny batches and send it a signal mid-way."""
    env = dict(os.environ, MOVISYNC_BATCH="3", MOVISYNC_API=api, MOVISYNC_STORE=str(store))
    process = subprocess.Popen(
        [sys.executable, "-m", "movisync", "pull"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
                if db.execute("SELECT COUNT(*) FROM pages").fetchone()[0] >= 30:
                    break
        except sqlite3.Error:
            pass
        time.sleep(0.01)
    process.send_signal(stop_signal)
    out, err = process.communicate(timeout=30)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.mark.parametrize("stop_signal", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_an_interrupted_pull_is_resumed_and_ends_like_an_uninterrupted_one(
    local_wiki, tmp_path, stop_signal
):
    store = tmp_path / "s.sqlite"
    killed = run_pull_until(store, local_wiki.api, stop_signal)
    assert killed.returncode != 0, "the pull finished before it could be interrupted"
    if stop_signal == signal.SIGINT:
        assert killed.returncode == 130
        assert "run the same command again to resume" in killed.stderr
        assert "Traceback" not in killed.stderr
    with Store(store) as opened:
        assert opened.state("full") is not None
        assert len(list(opened.pages())) >= 30
        summary = pull(opened, local_wiki.client())
    assert summary.resumed and summary.kind == "full"
    with Store(tmp_path / "whole.sqlite") as whole:
        pull(whole, local_wiki.client())
    assert snapshot(store) == snapshot(tmp_path / "whole.sqlite")


class Interrupt(Exception):
    pass


def test_an_interrupted_pull_restarts_with_the_namespaces_configured_now(local_wiki, tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as store, pytest.raises(ConfigError, match="99 do not exist"):
        pull(store, local_wiki.client(), namespaces=(0, 99))
    assert not path.exists() or snapshot(path) == set()

    def stop_after_a_batch(*_: object) -> None:
        raise Interrupt

    with Store(path) as store:
        with pytest.raises(Interrupt):
            pull(store, local_wiki.client(), namespaces=(0,), batch=3, progress=stop_after_a_batch)
        assert store.state("full")["namespaces"] == [0]
        summary = pull(store, local_wiki.client())
    assert summary.kind == "full" and not summary.resumed
    assert "namespaces to pull changed" in summary.note
    with Store(tmp_path / "whole.sqlite") as whole:
        pull(whole, local_wiki.client())
    assert snapshot(path) == snapshot(tmp_path / "whole.sqlite")

    with Store(path) as store:  # a store pulled for fewer namespaces grows with the list
        pull(store, local_wiki.client(), namespaces=(0,), full=True)
        grown = pull(store, local_wiki.client())
    assert grown.kind == "full" and "namespaces were added" in grown.note


def test_a_dump_loads_the_same_pages_as_the_api(local_wiki, tmp_path):
    export = (
        local_wiki.api
        + "?action=query&generator=allpages&gapnamespace=0&gaplimit=max&export&exportnowrap"
    )
    with urllib.request.urlopen(export) as response:
        (tmp_path / "dump.xml").write_bytes(response.read())
    with Store(tmp_path / "dump.sqlite") as store:
        summary = load_dump(store, tmp_path / "dump.xml", namespaces=[0])
    with Store(tmp_path / "api.sqlite") as store:
        pull(store, local_wiki.client(), namespaces=[0])
    assert summary.kind == "dump" and summary.new > 100
    assert snapshot(tmp_path / "dump.sqlite", links=False) == snapshot(
        tmp_path / "api.sqlite", links=False
    )
    # The dump's store then follows the wiki incrementally.
    with Store(tmp_path / "dump.sqlite") as store:
        follow = pull(store, local_wiki.client(), namespaces=[0])
    assert follow.kind == "incremental"
    assert snapshot(tmp_path / "dump.sqlite", links=False) == snapshot(
        tmp_path / "api.sqlite", links=False
    )


@pytest.mark.parametrize("content", [b"not xml at all", b"<mediawiki><page><title>x"])
def test_a_dump_that_is_not_xml_is_refused_and_loses_nothing(local_wiki, tmp_path, content):
    with Store(tmp_path / "s.sqlite") as store:
        pull(store, local_wiki.client())
    before = snapshot(tmp_path / "s.sqlite")
    (tmp_path / "bad.xml").write_bytes(content)
    with Store(tmp_path / "s.sqlite") as store, pytest.raises(DumpError):
        load_dump(store, tmp_path / "bad.xml")
    assert snapshot(tmp_path / "s.sqlite") == before


def test_a_text_only_pull_stores_the_same_pages_without_link_tables(local_wiki, tmp_path):
    with Store(tmp_path / "text.sqlite") as store:
        summary = pull(store, local_wiki.client(), links=False)
        assert all(p.links == () and p.categories == () for p in store.pages())
    with Store(tmp_path / "full.sqlite") as store:
        pull(store, local_wiki.client())
    assert summary.kind == "full"
    assert snapshot(tmp_path / "text.sqlite", links=False) == snapshot(
        tmp_path / "full.sqlite", links=False
    )
