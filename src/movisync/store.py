"""The local store: one SQLite file holding a copy of one wiki.

Only this module writes SQL. The file is in WAL mode and every batch of a pull is one
transaction, so a pull killed at any point (Ctrl-C, kill -9) leaves the store as it was
after the last complete batch, with the sync state that lets the next pull resume.

The schema carries a version (``PRAGMA user_version``); opening an older store applies
the forward migrations in order, a newer one is refused.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .errors import (
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreReadOnly,
    StoreTooNew,
    StoreWikiMismatch,
)
from .i18n import _
from .site import Namespace, SiteInfo

MIGRATIONS: tuple[str, ...] = (
    # 1: pages, site, sync state.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE pages (
        page_id INTEGER PRIMARY KEY,
        ns INTEGER NOT NULL,
        title TEXT NOT NULL UNIQUE,
        rev_id INTEGER NOT NULL,
        timestamp TEXT NOT NULL,
        text TEXT NOT NULL,
        redirect TEXT,
        seen INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX pages_ns ON pages (ns);
    CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: links and categories as the wiki computed them (templates add some); stores of
    # version 1 have none, so their next pull is a full one.
    """
    CREATE TABLE links (page_id INTEGER NOT NULL, target TEXT NOT NULL,
                        PRIMARY KEY (page_id, target)) WITHOUT ROWID;
    CREATE INDEX links_target ON links (target);
    CREATE TABLE categories (page_id INTEGER NOT NULL, category TEXT NOT NULL,
                             PRIMARY KEY (page_id, category)) WITHOUT ROWID;
    CREATE INDEX categories_category ON categories (category);
    DELETE FROM sync_state WHERE key = 'cursor';
    """,
    # 3: records cache, by revision and by what records depend on (profile, redirects).
    """
    CREATE TABLE records (page_id INTEGER PRIMARY KEY, rev_id INTEGER NOT NULL,
                          key TEXT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE link_checks (url TEXT PRIMARY KEY, ok INTEGER NOT NULL,
                              detail TEXT NOT NULL, checked TEXT NOT NULL);
    """,
    # 4: pairs a human said are not duplicates (titles in alphabetical order).
    """
    CREATE TABLE not_duplicates (a TEXT NOT NULL, b TEXT NOT NULL, source TEXT NOT NULL,
                                 added TEXT NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
    """,
    # 5: what movisync last wrote in each owned block (hand-edit detection).
    """
    CREATE TABLE published (page TEXT NOT NULL, block TEXT NOT NULL, hash TEXT NOT NULL,
                            rev_id INTEGER NOT NULL, at TEXT NOT NULL,
                            PRIMARY KEY (page, block)) WITHOUT ROWID;
    """,
    # 6: snapshots of the documentation's state, for history and reports.
    """
    CREATE TABLE snapshots (id INTEGER PRIMARY KEY, at TEXT NOT NULL, data TEXT NOT NULL);
    """,
    # 7: links read from the wikitext of pages the wiki gave no link table for (dumps),
    # by revision, so that they are parsed once.
    """
    CREATE TABLE text_links (page_id INTEGER PRIMARY KEY, rev_id INTEGER NOT NULL,
                             links TEXT NOT NULL);
    """,
    # 8: parses are cached profile-free in `records` (links read from text with them).
    """
    DROP TABLE text_links;
    DELETE FROM records;
    """,
    # 9: verdicts both ways: a duplicate (1) or not one (0); the not-a-duplicate list
    # becomes the verdicts of value 0.
    """
    CREATE TABLE verdicts (a TEXT NOT NULL, b TEXT NOT NULL, duplicate INTEGER NOT NULL,
                           source TEXT NOT NULL, added TEXT NOT NULL,
                           PRIMARY KEY (a, b)) WITHOUT ROWID;
    INSERT INTO verdicts SELECT a, b, 0, source, added FROM not_duplicates;
    DROP TABLE not_duplicates;
    """,
    # 10: each gap's life from run to run (see movisync.tracking), and the exceptions
    # maintainers wrote (a field that does not apply to a page, or to a whole type: page '').
    """
    CREATE TABLE gap_log (page TEXT NOT NULL, kind TEXT NOT NULL, field TEXT NOT NULL,
                          type TEXT NOT NULL, opened TEXT NOT NULL, fixed TEXT,
                          returns INTEGER NOT NULL DEFAULT 0,
                          PRIMARY KEY (page, kind, field)) WITHOUT ROWID;
    CREATE TABLE exceptions (type TEXT NOT NULL, page TEXT NOT NULL, field TEXT NOT NULL,
                             reason TEXT NOT NULL, source TEXT NOT NULL, who TEXT NOT NULL,
                             added TEXT NOT NULL,
                             PRIMARY KEY (type, page, field)) WITHOUT ROWID;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
EMPTY = "''"  # an SQL empty string, in place of a text not read


@dataclass(frozen=True)
class Page:
    """A page as last pulled: its latest revision's wikitext.

    ``title`` is the full title with its local namespace prefix, as the wiki writes it;
    ``redirect`` is the normalised target when the page is a redirect. ``links`` (pages it
    links to) and ``categories`` are the wiki's own tables, templates included; a page
    loaded from a dump has none.
    """

    page_id: int
    ns: int
    title: str
    rev_id: int
    timestamp: str
    text: str
    redirect: str | None = None
    links: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


GapId = tuple[str, str, str]
"""(page, kind, field), the field being "" for gaps that name none."""


@dataclass(frozen=True)
class Tracked:
    """One gap's life: when it (last) appeared, when it was fixed (None while open),
    how many times it came back."""

    page: str
    kind: str
    field: str
    type: str
    opened: str
    fixed: str | None = None
    returns: int = 0

    @property
    def id(self) -> GapId:
        return self.page, self.kind, self.field


@dataclass(frozen=True)
class Waiver:
    """An exception: ``field`` does not apply to ``page`` (to every page of ``type`` when
    ``page`` is empty). ``reason`` is what the maintainer wrote; ``who`` and ``added``
    say who and when (for one read on the wiki: the last editor of the worklist and that
    revision's date, as the wiki does not say who wrote one cell)."""

    type: str
    page: str
    field: str
    reason: str
    source: str
    who: str
    added: str

    @property
    def key(self) -> tuple[str, str, str]:
        return self.type, self.page, self.field


@dataclass(frozen=True)
class Verdict:
    """A human's word on two pages (a before b): one thing or two; where it was said
    ("cli", "wiki") and when (YYYY-MM-DD)."""

    a: str
    b: str
    duplicate: bool
    source: str
    added: str


@dataclass(frozen=True)
class Changes:
    """What applying a batch did to the store."""

    new: int = 0
    changed: int = 0
    deleted: int = 0
    moved: int = 0

    def __add__(self, other: Changes) -> Changes:
        return Changes(
            self.new + other.new,
            self.changed + other.changed,
            self.deleted + other.deleted,
            self.moved + other.moved,
        )


class Store:
    """One wiki's pages and sync state in one SQLite file.

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise StoreCorrupt(
                _("{path} is a folder; --store needs a file path").format(path=self.path)
            )
        folder = self.path.parent
        if not folder.exists():
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreReadOnly(
                    _("cannot make the folder {folder} ({reason})").format(
                        folder=folder, reason=exc.strerror
                    )
                ) from None
        self.writable = os.access(folder, os.W_OK) and (
            not self.path.exists() or os.access(self.path, os.W_OK)
        )
        """Whether this process may write the store: a read-only store is still read."""
        if not self.writable and not self.path.exists():
            raise StoreReadOnly(
                _(
                    "cannot create the store {path}: {folder} is read-only; choose another "
                    "--store or make the folder writable"
                ).format(path=self.path, folder=folder)
            )
        try:
            self.db = self._connect()
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreCorrupt(
                _(
                    "{path} is not a usable movisync store ({reason}); choose another --store, "
                    "or keep it aside and pull again"
                ).format(path=self.path, reason=exc)
            ) from None

    def _connect(self) -> sqlite3.Connection:
        if self.writable:
            db = sqlite3.connect(self.path, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        else:
            # SQLite rule: reading a WAL store needs its -shm file, which a read-only folder
            # cannot get; an immutable read is then the only way (nothing writes meanwhile).
            shm = self.path.with_name(self.path.name + "-shm")
            mode = "ro" if shm.exists() and os.access(shm, os.W_OK) else "ro&immutable=1"
            db = sqlite3.connect(f"file:{self.path}?mode={mode}", uri=True, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA busy_timeout=5000")
        return db

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master")}
        if version == 0 and tables:
            raise StoreCorrupt(
                _(
                    "{path} is an SQLite file but not a movisync store; choose another --store"
                ).format(path=self.path)
            )
        if version > SCHEMA_VERSION:
            raise StoreTooNew(
                _(
                    "{path} was written by a newer movisync (schema {version}, this one knows "
                    "{known}); upgrade movisync"
                ).format(path=self.path, version=version, known=SCHEMA_VERSION)
            )
        if version < SCHEMA_VERSION and not self.writable:
            raise StoreReadOnly(
                _(
                    "{path} was written by an older movisync and must be upgraded, but it is "
                    "read-only; make it and its folder writable once (nothing is lost)"
                ).format(path=self.path)
            )
        for number in range(version, SCHEMA_VERSION):
            # One transaction per step: the schema and its version move together.
            try:
                self.db.executescript(
                    f"BEGIN; {MIGRATIONS[number]}; PRAGMA user_version = {number + 1}; COMMIT;"
                )
            except sqlite3.OperationalError as exc:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise self._write_error(exc, _("upgrading its schema")) from None

    def _write_error(self, exc: sqlite3.Error, doing: str) -> StoreError:
        """What a failed write means, for people: the store is as it was before."""
        name = getattr(exc, "sqlite_errorname", "")
        if name == "SQLITE_FULL" or "full" in str(exc):
            return StoreFull(
                _(
                    "the disk holding {path} is full ({doing}): nothing of this step was "
                    "stored and the store is as it was; free some space and run again"
                ).format(path=self.path, doing=doing)
            )
        if name.startswith("SQLITE_READONLY") or "readonly" in str(exc):
            return StoreReadOnly(
                _(
                    "{path} is read-only ({doing}): nothing was changed; make the file and "
                    "its folder writable to keep what this command finds"
                ).format(path=self.path, doing=doing)
            )
        return StoreCorrupt(
            _("{path} cannot be written ({reason}); nothing of this step was stored").format(
                path=self.path, reason=exc
            )
        )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit: everything inside is stored, or nothing. Raises StoreReadOnly
        on a read-only store and StoreFull on a full disk, the store left as it was."""
        if not self.writable:
            raise StoreReadOnly(
                _(
                    "{path} is read-only: nothing was changed; make the file and its folder "
                    "writable to keep what this command finds"
                ).format(path=self.path)
            )
        outer = not self.db.in_transaction
        try:
            if outer:
                self.db.execute("BEGIN IMMEDIATE")
            yield
            if outer:
                self.db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise self._write_error(exc, _("writing")) from None
        except BaseException:
            if self.db.in_transaction and outer:
                self.db.execute("ROLLBACK")
            raise

    # --- which wiki ---------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def bind(self, *, api: str | None, wiki_id: str) -> None:
        """Tie the store to one wiki, or check that it is that wiki.

        A store filled from a dump knows the wiki's id (its database name) but no API URL:
        the first API pull then binds the URL, if the ids agree.
        """
        known_api, known_id = self.meta("api"), self.meta("wiki_id")
        if known_api and api and known_api.rstrip("/") != api.rstrip("/"):
            raise StoreWikiMismatch(
                _(
                    "{path} holds pages of {known}, not {api}; use another --store for this wiki"
                ).format(path=self.path, known=known_api, api=api)
            )
        if known_id and wiki_id and known_id != wiki_id:
            raise StoreWikiMismatch(
                _(
                    "{path} holds pages of the wiki {known!r}, not {wiki!r}; use another "
                    "--store for this wiki"
                ).format(path=self.path, known=known_id, wiki=wiki_id)
            )
        with self.transaction():
            if api and not known_api:
                self._set_meta("api", api)
            if wiki_id and not known_id:
                self._set_meta("wiki_id", wiki_id)

    def rebind(self, api: str) -> None:
        """Tie the store to the same wiki's new API URL (its identity checked by the
        caller): verdicts, history and the pull's cursor are kept."""
        with self.transaction():
            self._set_meta("api", api)

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def save_site(self, site: SiteInfo) -> None:
        """Keep the wiki's names and rules (not the account's rights)."""
        data = asdict(site)
        data.pop("rights")
        data.pop("user")
        with self.transaction():
            self._set_meta("site", json.dumps(data, ensure_ascii=False))

    def site(self) -> SiteInfo | None:
        raw = self.meta("site")
        if raw is None:
            return None
        data = json.loads(raw)
        data["namespaces"] = tuple(
            Namespace(**{**ns, "aliases": tuple(ns["aliases"])}) for ns in data["namespaces"]
        )
        data["redirect_words"] = tuple(data["redirect_words"])
        return SiteInfo(**data)

    # --- sync state -------------------------------------------------------------------
    def state(self, key: str) -> Any:
        row = self.db.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set_state(self, key: str, value: Any) -> None:
        """Set (or, with None, clear) one piece of sync state; call inside a transaction
        together with the data it describes."""
        if value is None:
            self.db.execute("DELETE FROM sync_state WHERE key = ?", (key,))
        else:
            self.db.execute(
                "INSERT OR REPLACE INTO sync_state VALUES (?, ?)",
                (key, json.dumps(value, ensure_ascii=False)),
            )

    # --- pages ----------------------------------------------------------------------------
    def apply(
        self, pages: Iterable[Page], *, missing: Iterable[str] = (), seen: int = 0
    ) -> Changes:
        """Write pulled pages and remove titles the wiki says are missing.

        Call inside a transaction. A page is matched by id: a new title for a known id is
        a move. A row holding the title under another id (deleted then re-created) goes.
        """
        changes = Changes()
        for page in pages:
            old = self.db.execute(
                "SELECT title, rev_id FROM pages WHERE page_id = ?", (page.page_id,)
            ).fetchone()
            other = self.db.execute(
                "SELECT page_id FROM pages WHERE title = ? AND page_id != ?",
                (page.title, page.page_id),
            ).fetchone()
            if other is not None:
                self._delete(other[0])
            gone = 0 if other is None else 1
            if old is None:
                changes += Changes(new=1, deleted=gone)
            elif old["title"] != page.title:
                changes += Changes(moved=1, deleted=gone)
                self._follow(old["title"], page.title)
            elif old["rev_id"] != page.rev_id:
                changes += Changes(changed=1, deleted=gone)
            self.db.execute(
                "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    page.page_id,
                    page.ns,
                    page.title,
                    page.rev_id,
                    page.timestamp,
                    page.text,
                    page.redirect,
                    seen,
                ),
            )
            self._forget_links(page.page_id)
            self.db.executemany(
                "INSERT OR IGNORE INTO links VALUES (?, ?)",
                ((page.page_id, target) for target in page.links),
            )
            self.db.executemany(
                "INSERT OR IGNORE INTO categories VALUES (?, ?)",
                ((page.page_id, category) for category in page.categories),
            )
        for title in missing:
            row = self.db.execute("SELECT page_id FROM pages WHERE title = ?", (title,)).fetchone()
            if row is not None:
                self._delete(row[0])
                changes += Changes(deleted=1)
        return changes

    def _forget_links(self, page_id: int) -> None:
        self.db.execute("DELETE FROM links WHERE page_id = ?", (page_id,))
        self.db.execute("DELETE FROM categories WHERE page_id = ?", (page_id,))

    def _follow(self, old: str, new: str) -> None:
        """What maintainers said of a page follows it when it is moved: its exceptions,
        its verdicts (each pair put in order again) and its gaps' history, all keyed by
        title. (MediaWiki keeps the page id across a move; the old title becomes a
        redirect or nothing.)"""
        self.db.execute("UPDATE OR REPLACE exceptions SET page = ? WHERE page = ?", (new, old))
        self.db.execute("UPDATE OR REPLACE gap_log SET page = ? WHERE page = ?", (new, old))
        rows = self.db.execute(
            "SELECT a, b, duplicate, source, added FROM verdicts WHERE a = ? OR b = ?", (old, old)
        ).fetchall()
        self.db.execute("DELETE FROM verdicts WHERE a = ? OR b = ?", (old, old))
        for a, b, duplicate, source, added in rows:
            if (other := b if a == old else a) != new:
                self.set_verdict(new, other, bool(duplicate), source=source, added=added)

    def _delete(self, page_id: int) -> None:
        self._forget_links(page_id)
        self.db.execute("DELETE FROM records WHERE page_id = ?", (page_id,))
        self.db.execute("DELETE FROM pages WHERE page_id = ?", (page_id,))

    def sweep(
        self,
        *,
        namespaces: Iterable[int],
        seen_before: int,
        prefixes: Iterable[tuple[int, str]] = (),
    ) -> int:
        """Delete pages of these namespaces (and of these namespaces' titles starting with
        a prefix) not seen since the pull numbered ``seen_before`` began (they were deleted
        on the wiki). Call inside a transaction."""
        marks = ",".join("?" * len(ns := list(namespaces)))
        stale = [
            row[0]
            for row in self.db.execute(
                f"SELECT page_id FROM pages WHERE ns IN ({marks}) AND seen < ?", (*ns, seen_before)
            )
        ]
        for ns_id, prefix in prefixes:
            stale += [
                row[0]
                for row in self.db.execute(
                    "SELECT page_id, title FROM pages WHERE ns = ? AND seen < ?",
                    (ns_id, seen_before),
                )
                if row[1].split(":", 1)[-1].startswith(prefix)
            ]
        for page_id in stale:
            self._delete(page_id)
        return len(stale)

    def titles_under(self, prefix: str) -> list[str]:
        """Titles of the pages whose title starts with ``prefix`` + "/" (subpages)."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self.db.execute(
            "SELECT title FROM pages WHERE title LIKE ? ESCAPE '\\' ORDER BY title",
            (escaped + "/%",),
        )
        return [r[0] for r in rows]

    def page(self, title: str) -> Page | None:
        return next(self._select("WHERE title = ?", (title,)), None)

    def pages(
        self,
        *,
        namespaces: Iterable[int] | None = None,
        ids: Iterable[int] | None = None,
        text: bool = True,
    ) -> Iterator[Page]:
        """Stored pages (with links and categories) by title: all, or of some namespaces,
        or with some page ids; without their text (``text=False``: empty) when only
        what describes them is needed."""
        if ids is not None:
            wanted = sorted(set(ids))
            for start in range(0, len(wanted), 500):
                chunk = tuple(wanted[start : start + 500])
                where = f"WHERE page_id IN ({','.join('?' * len(chunk))})"
                yield from self._select(where, chunk, text)
            return
        if namespaces is None:
            yield from self._select("", (), text)
            return
        args = tuple(namespaces)
        yield from self._select(f"WHERE ns IN ({','.join('?' * len(args))})", args, text)

    def revisions(self, *, namespaces: Iterable[int]) -> dict[int, int]:
        """Page id to revision id, for the pages of some namespaces (no text read)."""
        args = tuple(namespaces)
        sql = f"SELECT page_id, rev_id FROM pages WHERE ns IN ({','.join('?' * len(args))})"
        return {row[0]: row[1] for row in self.db.execute(sql, args)}

    def _select(self, where: str, args: tuple[object, ...], text: bool = True) -> Iterator[Page]:
        sql = (
            f"SELECT page_id, ns, title, rev_id, timestamp, {'text' if text else EMPTY}, "
            "redirect, "
            "(SELECT group_concat(target, char(31)) FROM links l WHERE l.page_id = p.page_id), "
            "(SELECT group_concat(category, char(31)) FROM categories c "
            "WHERE c.page_id = p.page_id) "
            f"FROM pages p {where} ORDER BY title"
        )
        for row in self.db.execute(sql, args):
            yield Page(
                page_id=row[0],
                ns=row[1],
                title=row[2],
                rev_id=row[3],
                timestamp=row[4],
                text=row[5],
                redirect=row[6],
                links=tuple(sorted(row[7].split("\x1f"))) if row[7] else (),
                categories=tuple(sorted(row[8].split("\x1f"))) if row[8] else (),
            )

    def cached_records(self, key: str) -> dict[int, tuple[int, str]]:
        """Cached records made with ``key``: page id to (revision id, JSON)."""
        return {
            row[0]: (row[1], row[2])
            for row in self.db.execute(
                "SELECT page_id, rev_id, data FROM records WHERE key = ?", (key,)
            )
        }

    def cache_records(self, key: str, rows: Iterable[tuple[int, int, str]]) -> None:
        """Keep records (page id, revision id, JSON); call inside a transaction."""
        self.db.executemany(
            "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?)",
            ((page_id, rev_id, key, data) for page_id, rev_id, data in rows),
        )

    def link_checks(self) -> dict[str, tuple[bool, str, str]]:
        """Cached external link checks: URL to (ok, detail, date checked)."""
        return {
            row[0]: (bool(row[1]), row[2], row[3])
            for row in self.db.execute("SELECT url, ok, detail, checked FROM link_checks")
        }

    def save_link_checks(self, rows: Iterable[tuple[str, bool, str, str]]) -> None:
        with self.transaction():
            self.db.executemany("INSERT OR REPLACE INTO link_checks VALUES (?, ?, ?, ?)", rows)

    def verdicts(self) -> list[Verdict]:
        """What humans said of pairs of pages, a before b."""
        return [
            Verdict(a, b, bool(duplicate), source, added)
            for a, b, duplicate, source, added in self.db.execute(
                "SELECT a, b, duplicate, source, added FROM verdicts ORDER BY a, b"
            )
        ]

    def set_verdict(
        self, a: str, b: str, duplicate: bool | None, *, source: str, added: str
    ) -> None:
        """Say that two pages are one thing (True), two (False), or take it back (None)."""
        first, second = sorted((a, b))
        with self.transaction():
            if duplicate is None:
                self.db.execute("DELETE FROM verdicts WHERE a = ? AND b = ?", (first, second))
            else:
                self.db.execute(
                    "INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?, ?, ?)",
                    (first, second, int(duplicate), source, added),
                )

    def gap_log(self) -> dict[GapId, Tracked]:
        """Every gap ever seen, by identity, with its life (see :mod:`movisync.tracking`)."""
        return {
            (r[0], r[1], r[2]): Tracked(*r)
            for r in self.db.execute(
                "SELECT page, kind, field, type, opened, fixed, returns FROM gap_log"
            )
        }

    def log_gaps(self, changes: Iterable[Tracked]) -> None:
        """Record gaps that appeared, came back or were fixed."""
        with self.transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO gap_log VALUES (?, ?, ?, ?, ?, ?, ?)",
                ((t.page, t.kind, t.field, t.type, t.opened, t.fixed, t.returns) for t in changes),
            )

    def waivers(self) -> list[Waiver]:
        """The exceptions maintainers gave, by type, page and field."""
        return [
            Waiver(*r)
            for r in self.db.execute(
                "SELECT type, page, field, reason, source, who, added FROM exceptions"
                " ORDER BY type, page, field"
            )
        ]

    def set_waiver(self, waiver: Waiver) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO exceptions VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    waiver.type,
                    waiver.page,
                    waiver.field,
                    waiver.reason,
                    waiver.source,
                    waiver.who,
                    waiver.added,
                ),
            )

    def drop_waiver(self, type_key: str, page: str, field: str) -> bool:
        """Take an exception back; whether there was one."""
        with self.transaction():
            done = self.db.execute(
                "DELETE FROM exceptions WHERE type = ? AND page = ? AND field = ?",
                (type_key, page, field),
            )
        return done.rowcount > 0

    def published(self) -> dict[tuple[str, str], str]:
        """(page, block id) to the fingerprint of what movisync last wrote there."""
        return {
            (r[0], r[1]): r[2] for r in self.db.execute("SELECT page, block, hash FROM published")
        }

    def set_published(self, page: str, block: str, fingerprint: str, rev_id: int, at: str) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO published VALUES (?, ?, ?, ?, ?)",
                (page, block, fingerprint, rev_id, at),
            )

    def add_snapshot(self, at: str, data: str) -> None:
        with self.transaction():
            self.db.execute("INSERT INTO snapshots (at, data) VALUES (?, ?)", (at, data))

    def snapshot_rows(self) -> list[str]:
        """Snapshots as JSON, oldest first."""
        return [r[0] for r in self.db.execute("SELECT data FROM snapshots ORDER BY at, id")]

    def counts(self) -> dict[int, int]:
        """Number of pages per namespace id."""
        return {
            row[0]: row[1]
            for row in self.db.execute("SELECT ns, COUNT(*) FROM pages GROUP BY ns ORDER BY ns")
        }
