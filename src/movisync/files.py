"""Files movisync writes besides its store (reports, plans): whole or not at all.

A file is written to a temporary name in its folder, flushed, then renamed over the
target (POSIX rule: a rename within a file system is atomic), so a full disk or a kill
never leaves a half-written report over the previous one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import FileError
from .i18n import _


def write_file(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; a FileError says what went wrong."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise FileError(
            _("cannot write {path}: {reason} ({folder})").format(
                path=path, reason=exc.strerror, folder=folder
            )
        ) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise FileError(
            _("cannot write {path}: {reason}; the previous file, if any, is unchanged").format(
                path=path, reason=exc.strerror
            )
        ) from None


def read_file(path: Path) -> str:
    """A UTF-8 file's text, or a FileError saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FileError(
            _("cannot read {path}: {reason}").format(path=path, reason=exc.strerror)
        ) from None
    except UnicodeDecodeError:
        raise FileError(_("{path} is not UTF-8 text").format(path=path)) from None
