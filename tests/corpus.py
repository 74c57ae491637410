"""The sample corpus, read with the same parser that seeds the local wiki."""

from __future__ import annotations

import importlib.util
from functools import cache
from importlib.machinery import SourceFileLoader
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "local-wiki"


@cache
def corpus_pages() -> dict[str, str]:
    """Title (as written in the corpus) to wikitext."""
    loader = SourceFileLoader("local_wiki_script", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return dict(module.read_corpus())
