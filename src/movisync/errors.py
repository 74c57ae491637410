"""Every error movisync raises, in one tree, and the exit codes of the command line.

The CLI turns any of them into one line, ``Error: <message>``, and the exit code the
class carries (1, or 2 for configuration); the message always says what happened and
what to do about it, in the locale's language (``Erreur : ...`` in French, see
:mod:`movisync.i18n`).

::

    MovisyncError                  exit 1 unless said
    ├── ConfigError                bad configuration or option value (exit 2)
    ├── StoreError                 the local SQLite store
    │   ├── StoreCorrupt           not a movisync store, or damaged
    │   ├── StoreWikiMismatch      the store belongs to another wiki
    │   ├── StoreTooNew            written by a newer movisync (schema version ahead)
    │   ├── StoreLocked            another movisync command holds the store's lock
    │   ├── StoreReadOnly          the store (or its folder) cannot be written
    │   └── StoreFull              the disk is full: nothing of the step was stored
    ├── DumpError                  an XML dump that cannot be read
    ├── FileError                  a report or plan file that cannot be read or written
    ├── PublishError               writing curated pages
    │   ├── MarkerError            a page's movisync markers are missing, reversed or repeated
    │   └── PlanRejected           a plan file that is not safe to apply
    └── WikiError                  talking to the MediaWiki API
        ├── WikiUnreachable        no connection (DNS, refused, timeout) after retries
        ├── NotAnApi               the URL answers, but not as a MediaWiki API
        ├── HttpError              an HTTP error status after retries
        ├── MaxlagExceeded         the replicas stayed lagged longer than our retries
        ├── LoginFailed            wrong bot password or user name
        └── ApiError               any other API error code (``code`` and ``info`` kept)
"""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar

from .i18n import _


class ExitCode(IntEnum):
    """What the ``movisync`` command exits with."""

    OK = 0
    ERROR = 1
    """An error: one ``Error:`` line on stderr."""
    USAGE = 2
    """A wrong option or configuration."""
    GAPS = 3
    """Gaps of a ``--fail-on`` kind exist (wins over SKIPPED)."""
    SKIPPED = 4
    """Finished, but pages were skipped or the stop page stopped the run."""
    INTERRUPTED = 130
    """Ctrl-C: what was stored is kept."""


class MovisyncError(Exception):
    """Base of every error movisync raises on purpose."""

    exit_code: ClassVar[ExitCode] = ExitCode.ERROR


class ConfigError(MovisyncError):
    """A configuration file, environment variable or option is wrong."""

    exit_code = ExitCode.USAGE


class UnknownPage(MovisyncError):
    """A page named on the command line is not in the store."""

    exit_code = ExitCode.USAGE


class StoreError(MovisyncError):
    """The local store cannot be used."""


class StoreCorrupt(StoreError):
    """The store file is not a movisync SQLite store, or it is damaged."""


class StoreWikiMismatch(StoreError):
    """The store was filled from another wiki; stores are never mixed."""


class StoreTooNew(StoreError):
    """The store's schema version is newer than this movisync knows."""


class StoreLocked(StoreError):
    """Another movisync command that writes (pull, apply, run) holds the store's lock."""


class StoreReadOnly(StoreError):
    """The store file or its folder cannot be written; reading still works."""


class StoreFull(StoreError):
    """The disk holding the store is full; the interrupted step stored nothing."""


class DumpError(MovisyncError):
    """An XML dump file cannot be read."""


class FileError(MovisyncError):
    """A file movisync was asked to read or write (a report, a plan) cannot be."""


class PublishError(MovisyncError):
    """Writing curated pages cannot go on safely."""


class MarkerError(PublishError):
    """A page's movisync markers are missing, reversed or repeated."""


class PlanRejected(PublishError):
    """A plan file names another wiki, was altered, or edits what movisync does not own."""


class WikiError(MovisyncError):
    """Talking to the MediaWiki API failed."""


class WikiUnreachable(WikiError):
    """No connection could be made to the API host, even after retries."""


class NotAnApi(WikiError):
    """The URL answered, but not with MediaWiki API JSON."""


class HttpError(WikiError):
    """The server kept answering with an HTTP error status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class MaxlagExceeded(WikiError):
    """The wiki's database replicas stayed lagged beyond ``maxlag`` for every retry."""


class LoginFailed(WikiError):
    """The wiki refused the login (wrong bot password, unknown user, missing grants)."""


class ApiError(WikiError):
    """The API answered with an error code (``code``) and a message (``info``)."""

    def __init__(self, code: str, info: str) -> None:
        super().__init__(_("the wiki answered {code}: {info}").format(code=code, info=info))
        self.code = code
        self.info = info
