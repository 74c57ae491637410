"""The sample corpus, read with the same parser that seeds the local wiki."""

from __future__ import annotations

import importlib.util
from functools import cache
from importlib.machinery import SourceFileLoader
from pathlib import Path
from typing import Any

from movisync.store import Page, Store

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "local-wiki"


@cache
def _script() -> Any:
    loader = SourceFileLoader("local_wiki_script", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@cache
def corpus_pages() -> dict[str, str]:
    """Title (as written in the corpus) to wikitext."""
    return dict(_script().read_corpus())


DUPES = Path(__file__).parent / "data" / "dupes"


@cache
def dupe_pages() -> dict[str, str]:
    """The near-duplicate set's pages (tests/data/dupes/pages.wiki)."""
    return dict(_script().read_corpus(DUPES))


def corpus_store(path: Path, *, with_dupes: bool = False) -> Store:
    """A store holding the corpus' main-namespace and template pages (and the
    near-duplicate set's, if asked), without a wiki: links and categories come from the
    wikitext, as for a dump."""
    from .test_site import SITE

    store = Store(path)
    store.bind(api=None, wiki_id="movilab")
    store.save_site(SITE)
    pages = []
    everything = {**corpus_pages(), **(dupe_pages() if with_dupes else {})}
    for i, (title, text) in enumerate(everything.items()):
        ns = SITE.split_title(title)[0]
        if ns in (0, 10):
            pages.append(
                Page(
                    page_id=i + 1,
                    ns=ns,
                    title=SITE.normalize(title),
                    rev_id=1,
                    timestamp="2026-11-01T00:00:00Z",
                    text=text,
                    redirect=SITE.redirect_target(text),
                )
            )
    with store.transaction():
        store.apply(pages)
    return store
