"""Load a Special:Export or database dump into the store (offline, large wikis).

A dump carries the pages' wikitext and the wiki's namespaces, not its link and category
tables: those are read from the text later (see :mod:`movisync.records`).
"""

from __future__ import annotations

import bz2
import gzip
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

import mwxml

from .errors import DumpError
from .i18n import _
from .site import CANONICAL, MAIN, Namespace, SiteInfo
from .store import Changes, Page, Store
from .sync import Progress, ProgressCallback, PullSummary, finish, pull_namespaces
from .wiki.api import HIGH_BATCH


def _open_dump(path: Path) -> IO[bytes]:
    try:
        if path.suffix == ".gz":
            return gzip.open(path, "rb")  # type: ignore[return-value]
        if path.suffix == ".bz2":
            return bz2.open(path, "rb")
        return path.open("rb")
    except OSError as exc:
        raise DumpError(
            _("cannot open the dump {path}: {reason}").format(path=path, reason=exc.strerror or exc)
        ) from None


def _dump_site(info: Any) -> SiteInfo:
    namespaces = tuple(
        Namespace(
            id=ns.id,
            name=ns.name or "",
            canonical=CANONICAL.get(ns.id, ""),
            case=ns.case or "first-letter",
            content=ns.id == MAIN,
        )
        for ns in (info.namespaces or [])
    )
    return SiteInfo(
        sitename=info.name or "",
        wiki_id=info.dbname or "",
        generator=info.generator or "",
        server=info.base or "",
        namespaces=namespaces,
        redirect_words=("#REDIRECT", "#REDIRECTION"),
    )


def load_dump(
    store: Store,
    path: Path,
    *,
    namespaces: Iterable[int] | None = None,
    progress: ProgressCallback | None = None,
) -> PullSummary:
    """Load a Special:Export or database dump (``.xml``, ``.xml.gz``, ``.xml.bz2``).

    The latest revision of each page of the pulled namespaces is stored; pages absent
    from the dump are kept (an export is often partial). A store that has never been
    pulled gets a cursor at the dump's newest revision, so that a later API pull of the
    same wiki is incremental.
    """
    started = time.monotonic()
    changes, stored, newest = Changes(), 0, ""
    with _open_dump(path) as handle:
        try:
            dump = mwxml.Dump.from_file(handle)
            site = _dump_site(dump.site_info)
            store.bind(api=None, wiki_id=site.wiki_id)
            if store.site() is None:
                store.save_site(site)
            known = store.site() or site
            chosen = set(pull_namespaces(known, namespaces))
            batch: list[Page] = []
            for item in dump:
                if item.namespace not in chosen:
                    continue
                revisions = list(item)
                if not revisions:
                    continue
                last = revisions[-1]
                if item.id is None or last.id is None:
                    raise DumpError(
                        _(
                            "{path}: the page {title!r} has no id; movisync reads dumps made "
                            "by Special:Export or dumpBackup.php, which give every page its id"
                        ).format(path=path, title=item.title)
                    )
                text = last.text or ""
                stamp = last.timestamp.long_format() if last.timestamp else ""
                newest = max(newest, stamp)
                batch.append(
                    Page(
                        page_id=item.id,
                        ns=item.namespace,
                        title=_full_title(known, item.namespace, item.title),
                        rev_id=last.id,
                        timestamp=stamp,
                        text=text,
                        redirect=known.normalize(item.redirect) if item.redirect else None,
                    )
                )
                if len(batch) >= HIGH_BATCH:
                    changes += _store_batch(store, batch)
                    stored += len(batch)
                    batch = []
                    if progress:
                        progress(Progress("dump", stored, None, 0))
            changes += _store_batch(store, batch)
        except (
            ParseError,
            mwxml.errors.MalformedXML,
            ValueError,
            KeyError,
            EOFError,
            OSError,
        ) as exc:
            raise DumpError(
                _(
                    "{path} is not a readable MediaWiki XML dump ({reason}); pages stored "
                    "before this point are kept"
                ).format(path=path, reason=exc)
            ) from None
    with store.transaction():
        store.set_state("namespaces", sorted(set(store.state("namespaces") or ()) | chosen))
        if store.state("cursor") is None and newest:
            store.set_state("cursor", {"timestamp": newest, "rcid": 0, "logid": 0})
    return finish(
        store,
        PullSummary(
            kind="dump", **asdict(changes), requests=0, seconds=round(time.monotonic() - started, 3)
        ),
    )


def _full_title(site: SiteInfo, ns_id: int, title: str) -> str:
    """The title with its namespace prefix. mwxml rule: a page with an ``<ns>`` element
    keeps its whole title; one without (older exports) has its prefix taken off."""
    ns = site.namespace(ns_id)
    if ns_id == MAIN or ns is None or site.split_title(title)[0] == ns_id:
        return title
    return site.normalize(f"{ns.name}:{title}")


def _store_batch(store: Store, batch: list[Page]) -> Changes:
    with store.transaction():
        return store.apply(batch, seen=store.state("gen") or 0)
