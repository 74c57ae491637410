"""The corpus file format of ``tests/data/*/``: standard library only, because
``scripts/local-wiki`` (which runs before any virtualenv exists) reads it too.

UTF-8 ``*.wiki`` files; each page starts with a line ``@@@ <title>``; its text runs to
the next such line, leading and trailing blank lines trimmed.
"""

from __future__ import annotations

from pathlib import Path

PAGE_HEADER = "@@@ "


def read_corpus(folder: Path) -> list[tuple[str, str]]:
    """Pages of a corpus folder as (title, wikitext), in file then page order."""
    pages: list[tuple[str, str]] = []
    for path in sorted(folder.glob("*.wiki")):
        title: str | None = None
        lines: list[str] = []
        for line in [*path.read_text(encoding="utf-8").splitlines(), PAGE_HEADER + "\0"]:
            if line.startswith(PAGE_HEADER):
                if title is not None:
                    pages.append((title, "\n".join(lines).strip("\n")))
                title, lines = line[len(PAGE_HEADER) :].strip(), []
            elif title is not None:
                lines.append(line)
    return pages
