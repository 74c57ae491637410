"""Text made comparable (folding) or inert on a wiki page (escaping). Pure."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

# MediaWiki markup that a value must not carry into a table cell, as entities.
ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "[": "&#91;",
    "]": "&#93;",
    "{": "&#123;",
    "}": "&#125;",
    "|": "&#124;",
    "!": "&#33;",
    "~": "&#126;",
    "_": "&#95;",
    "'": "&#39;",
    "=": "&#61;",
}
ESCAPE = re.compile("[" + re.escape("".join(ESCAPES)) + "]")
# Bidirectional controls (U+202A-U+202E, U+2066-U+2069) reorder what readers see around
# them: a value must not turn a table row around.
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
NOT_WORD = re.compile(r"[^\w]+")
LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
"""Letters Unicode does not decompose, written both ways in French: "cœur" / "coeur"."""
SAFE_URL = re.compile(r"^https?://[^\s\[\]<>\"{}|'~]+$")


def fold(text: str) -> str:
    """Case, accents and ligatures folded, for comparing values: "Économique" matches
    "Economique", "Cœur" "coeur"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


@lru_cache(maxsize=1 << 16)
def fold_words(text: str) -> str:
    """Words only, for comparing names: NFKC, case, accents and ligatures folded;
    apostrophes, quotes, hyphens and punctuation as spaces; blanks collapsed. (Cached:
    names, towns and field names come back often.)"""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        text = text.translate(LIGATURES)
        combining = unicodedata.combining
        text = "".join([c for c in unicodedata.normalize("NFKD", text) if not combining(c)])
    return " ".join(NOT_WORD.sub(" ", text.replace("_", " ")).split())


def most_written(spellings: Mapping[str, int]) -> str:
    """The spelling written most often (ties: one with a capital, then the last in
    order), with a capital: the heading for "repair café", "Repair Café", "repair-café"."""
    said = max(spellings.items(), key=lambda kv: (kv[1], kv[0][:1].isupper(), kv[0]))[0]
    return said[:1].upper() + said[1:]


def escape(value: str) -> str:
    """A value as inert text in a table cell: table syntax (``|``, ``||``, ``!``),
    templates, links and categories (``{{ }}``, ``[[ ]]``), tags, magic words
    (``__NOTOC__``), signatures (``~~~~``), bold and italics; newlines become spaces and
    bidirectional control characters are dropped."""
    return ESCAPE.sub(lambda m: ESCAPES[m.group(0)], " ".join(BIDI.sub("", value).split()))
