"""Dumps loaded offline: every pulled namespace's pages, the dump's own site, errors."""

from __future__ import annotations

import bz2
import datetime as dt
import gzip

import pytest

from movisync.dump import load_dump
from movisync.errors import DumpError
from movisync.store import Store
from movisync.workspace import Workspace

from .corpusfile import build_dump
from .helpers import SITE, corpus_pages

SITEINFO = """<siteinfo><sitename>Movilab</sitename><dbname>movilab</dbname>
<base>http://127.0.0.1:8089/index.php/Accueil</base><generator>MediaWiki 1.39</generator>
<case>first-letter</case><namespaces>
<namespace key="0" case="first-letter" />
<namespace key="10" case="first-letter">Modèle</namespace>
<namespace key="14" case="first-letter">Catégorie</namespace>
<namespace key="100" case="first-letter">Portail</namespace>
</namespaces></siteinfo>"""


def dump_text() -> str:
    pages = [(t, x) for t, x in corpus_pages().items() if SITE.split_title(t)[0] in (0, 10, 14)]
    text = build_dump(pages, dt.datetime(2026, 11, 1, tzinfo=dt.UTC), ids=True)
    return text.replace('xml:lang="fr">', 'xml:lang="fr">\n' + SITEINFO, 1)


@pytest.mark.parametrize("suffix", [".xml", ".xml.gz", ".xml.bz2"])
def test_a_dump_fills_a_store_that_gaps_can_read(tmp_path, suffix) -> None:
    path = tmp_path / f"dump{suffix}"
    data = dump_text().encode()
    path.write_bytes(
        gzip.compress(data)
        if suffix == ".xml.gz"
        else bz2.compress(data)
        if suffix == ".xml.bz2"
        else data
    )
    with Store(tmp_path / "s.sqlite") as store:
        summary = load_dump(store, path, namespaces=[0, 10, 14])
        assert summary.kind == "dump" and summary.new == sum(store.counts().values()) > 150
        assert store.meta("wiki_id") == "movilab" and store.site().sitename == "Movilab"
        assert store.state("cursor")["timestamp"].startswith("2026-11-01")
        report = Workspace(store).gaps(kinds=["invalid_value"])
    assert ("Fablab des Trois Rivières", "Theme") in {(g.page, g.field) for g in report.gaps}


def test_a_broken_dump_keeps_what_was_stored(tmp_path) -> None:
    path = tmp_path / "dump.xml"
    path.write_text(dump_text()[: len(dump_text()) // 2])
    with Store(tmp_path / "s.sqlite") as store:
        with pytest.raises(DumpError, match="pages stored before this point are kept"):
            load_dump(store, path)
        assert store.state("full") is None and store.counts() == {}  # nothing half-written
    with (
        pytest.raises(DumpError, match="cannot open the dump"),
        Store(tmp_path / "t.sqlite") as store,
    ):
        load_dump(store, tmp_path / "nope.xml.gz")


def test_a_dump_without_page_ids_is_refused(tmp_path) -> None:
    path = tmp_path / "dump.xml"
    text = build_dump([("La Myne", "Texte.")], dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    path.write_text(text.replace('xml:lang="fr">', 'xml:lang="fr">\n' + SITEINFO, 1))
    with Store(tmp_path / "s.sqlite") as store, pytest.raises(DumpError, match="no id"):
        load_dump(store, path)
