"""The store: schema and migrations, refusing what is not ours, and how pages change."""

from __future__ import annotations

import sqlite3

import pytest

from movisync.errors import StoreCorrupt, StoreTooNew, StoreWikiMismatch
from movisync.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Changes,
    Page,
    Store,
    Tracked,
    Verdict,
    Waiver,
)


def page(page_id: int, title: str, rev: int, text: str = "texte") -> Page:
    return Page(
        page_id=page_id,
        ns=0,
        title=title,
        rev_id=rev,
        timestamp="2026-11-01T00:00:00Z",
        text=text,
        links=("Autre page",),
        categories=("Catégorie:Tiers-lieu",),
    )


def test_a_new_store_has_the_latest_schema_and_wal(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert len(MIGRATIONS) == SCHEMA_VERSION


def test_a_version_1_store_migrates_forward_and_keeps_its_pages(tmp_path):
    path = tmp_path / "s.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
        db.execute("INSERT INTO pages VALUES (1, 0, 'La Myne', 3, 't', 'texte', NULL, 1)")
        db.execute("""INSERT INTO sync_state VALUES ('cursor', '{"rcid": 1}')""")
    with Store(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.page("La Myne").text == "texte"
        # Version 1 kept no links: the next pull must be a full one.
        assert store.state("cursor") is None
    with Store(path) as store:  # opening again runs nothing twice
        assert store.page("La Myne") is not None


def test_the_not_a_duplicate_list_becomes_verdicts(tmp_path):
    path = tmp_path / "s.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript("".join(MIGRATIONS[:8]) + "PRAGMA user_version = 8;")
        db.execute("INSERT INTO not_duplicates VALUES ('A', 'B', 'wiki', '2026-01-02')")
    with Store(path) as store:
        assert store.verdicts() == [Verdict("A", "B", False, "wiki", "2026-01-02")]
        store.set_verdict("D", "C", True, source="cli", added="2026-12-01")
        assert store.verdicts()[-1] == Verdict("C", "D", True, "cli", "2026-12-01")
        store.set_verdict("C", "D", None, source="cli", added="2026-12-01")
        assert len(store.verdicts()) == 1


def test_a_store_from_a_newer_movisync_is_refused(tmp_path):
    path = tmp_path / "s.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreTooNew, match="upgrade movisync"):
        Store(path)


@pytest.mark.parametrize("content", [b"garbage" * 100, b"SQLite format 3\x00" + b"\xff" * 200])
def test_a_file_that_is_no_database_is_refused_untouched(tmp_path, content):
    path = tmp_path / "s.sqlite"
    path.write_bytes(content)
    with pytest.raises(StoreCorrupt, match="not a usable movisync store"):
        Store(path)
    assert path.read_bytes() == content


def test_another_sqlite_database_is_not_taken_for_a_store(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE mine (x)")
    with pytest.raises(StoreCorrupt, match="not a movisync store"):
        Store(path)


def test_a_store_is_bound_to_one_wiki(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        store.bind(api="https://movilab.org/api.php", wiki_id="movilab")
        store.bind(api="https://movilab.org/api.php/", wiki_id="movilab")
        with pytest.raises(StoreWikiMismatch, match="use another --store"):
            store.bind(api="https://wiki.laplumealoup.fr/api.php", wiki_id="plume")
        with pytest.raises(StoreWikiMismatch):
            store.bind(api=None, wiki_id="plume")


def test_a_store_from_a_dump_binds_its_api_on_the_first_pull(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        store.bind(api=None, wiki_id="movilab")
        store.bind(api="http://127.0.0.1:8089/api.php", wiki_id="movilab")
        assert store.meta("api") == "http://127.0.0.1:8089/api.php"


def test_apply_counts_new_changed_moved_and_deleted_pages(tmp_path):
    with Store(tmp_path / "s.sqlite") as store, store.transaction():
        assert store.apply([page(1, "A", 1), page(2, "B", 1)]) == Changes(new=2)
        assert store.apply([page(1, "A", 1)]) == Changes()
        assert store.apply([page(1, "A", 2)]) == Changes(changed=1)
        assert store.apply([page(2, "C", 3)]) == Changes(moved=1)
        # "A" deleted and re-created under a new id: the old row goes.
        assert store.apply([page(7, "A", 9)]) == Changes(new=1, deleted=1)
        assert store.apply([], missing=["C", "Nothing"]) == Changes(deleted=1)
        assert [p.title for p in store.pages()] == ["A"]
        assert store.page("A").links == ("Autre page",)
        # Links and categories of deleted pages go with them.
        assert store.db.execute("SELECT COUNT(*) FROM links").fetchone()[0] == 1
        assert store.db.execute("SELECT COUNT(*) FROM categories").fetchone()[0] == 1


def test_what_was_said_of_a_page_follows_it_when_it_is_moved(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        with store.transaction():
            store.apply([page(1, "La Myne", 1), page(2, "LaMyne", 1), page(3, "Zinc", 1)])
        store.set_waiver(Waiver("tiers-lieu", "La Myne", "url", "pas de site", "cli", "A", "t"))
        store.set_waiver(Waiver("tiers-lieu", "", "email", "jamais", "cli", "A", "t"))
        store.set_verdict("La Myne", "LaMyne", False, source="cli", added="t")
        store.set_verdict("La Myne", "Zinc", True, source="wiki", added="t")
        store.log_gaps([Tracked("La Myne", "missing", "url", "tiers-lieu", "t0")])
        with store.transaction():
            assert store.apply([page(1, "Myne (Villeurbanne)", 2)]) == Changes(moved=1)
        assert {(w.page, w.field) for w in store.waivers()} == {
            ("", "email"),
            ("Myne (Villeurbanne)", "url"),
        }
        # each pair in order again: "LaMyne" < "Myne (Villeurbanne)" < "Zinc"
        assert [(v.a, v.b, v.duplicate, v.source) for v in store.verdicts()] == [
            ("LaMyne", "Myne (Villeurbanne)", False, "cli"),
            ("Myne (Villeurbanne)", "Zinc", True, "wiki"),
        ]
        assert list(store.gap_log()) == [("Myne (Villeurbanne)", "missing", "url")]


def test_a_failed_batch_stores_nothing(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        with pytest.raises(KeyboardInterrupt), store.transaction():
            store.apply([page(1, "A", 1)])
            store.set_state("full", {"index": 1})
            raise KeyboardInterrupt
        assert store.page("A") is None and store.state("full") is None


def test_sweep_removes_pages_not_seen_by_the_last_full_pull(tmp_path):
    with Store(tmp_path / "s.sqlite") as store, store.transaction():
        store.apply([page(1, "A", 1), page(2, "B", 1)], seen=1)
        store.apply([page(1, "A", 1)], seen=2)
        assert store.sweep(namespaces=[0], seen_before=2) == 1
        assert store.sweep(namespaces=[10], seen_before=3) == 0
        assert [p.title for p in store.pages()] == ["A"]
