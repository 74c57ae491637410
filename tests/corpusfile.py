"""The corpus file format of ``tests/data/*/``: standard library only, because
``scripts/local-wiki`` (which runs before any virtualenv exists) reads it too.

UTF-8 ``*.wiki`` files; each page starts with a line ``@@@ <title>``; its text runs to
the next such line, leading and trailing blank lines trimmed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from xml.sax.saxutils import escape

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


def build_dump(pages: list[tuple[str, str]], base_time: dt.datetime, *, ids: bool = False) -> str:
    """A Special:Export-style XML dump; page i is stamped base_time + i minutes. With
    ``ids``, pages and revisions carry ids (an import lets the wiki choose them)."""
    out = [
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="fr">'
    ]
    for i, (title, text) in enumerate(pages):
        stamp = (base_time + dt.timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        author = "Contributrice" if i % 3 else "Admin"
        out.append(
            f"<page><title>{escape(title)}</title>"
            + (f"<id>{i + 1}</id><revision><id>{i + 1}</id>" if ids else "<revision>")
            + f"<timestamp>{stamp}</timestamp>"
            f"<contributor><username>{author}</username></contributor>"
            f"<comment>Import du corpus</comment><model>wikitext</model>"
            f"<format>text/x-wiki</format>"
            f'<text xml:space="preserve">{escape(text)}</text></revision></page>'
        )
    out.append("</mediawiki>\n")
    return "\n".join(out)
