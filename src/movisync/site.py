"""What a wiki says about itself (``meta=siteinfo``) and the title rules that follow.

Namespace names on Movilab are French (Modèle, Catégorie, Utilisateur...) and are never
hard-coded: they come from ``siprop=namespaces|namespacealiases`` and are kept in the
store, so that every later step (and an offline dump) applies the wiki's own rules.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

SPECIAL, MAIN, FILE, MEDIAWIKI, TEMPLATE, CATEGORY = -1, 0, 6, 8, 10, 14
# The names of Semantic MediaWiki's and Page Forms' namespaces (their i18n: en, fr).
ROLE_NAMES = {
    "property": frozenset({"property", "attribut"}),
    "form": frozenset({"form", "formulaire"}),
}
# Magic words known even when the wiki's list is not at hand (a dump has none).
FALLBACK_MAGIC = frozenset(
    [
        "pagename",
        "fullpagename",
        "basepagename",
        "subpagename",
        "namespace",
        "sitename",
        "currentyear",
        "currentmonth",
        "currentday",
        "defaultsort",
        "displaytitle",
        "int",
        "lc",
        "uc",
        "lcfirst",
        "ucfirst",
        "urlencode",
        "fullurl",
        "localurl",
        "formatnum",
        "plural",
        "gender",
        "grammar",
        "padleft",
        "padright",
        "tag",
        "ns",
        "nse",
        "filepath",
        "anchorencode",
        "toc",
        "!",
    ]
)


@dataclass(frozen=True)
class Namespace:
    """One namespace: its id, local name, canonical (English) name and aliases."""

    id: int
    name: str
    canonical: str = ""
    case: str = "first-letter"
    content: bool = False
    aliases: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        """Every name that designates this namespace in a link or a title."""
        return tuple(n for n in (self.name, self.canonical, *self.aliases) if n)


@dataclass(frozen=True)
class SiteInfo:
    """A wiki's identity and rules, as its API (or a dump's ``<siteinfo>``) states them."""

    sitename: str
    wiki_id: str
    generator: str = ""
    lang: str = ""
    server: str = ""
    namespaces: tuple[Namespace, ...] = ()
    redirect_words: tuple[str, ...] = ("#REDIRECT",)
    magic_words: tuple[str, ...] = ()
    """Every alias of every magic word (``PAGENAME``, ``NOMPAGE``, ``subst``...), as
    written, without a trailing colon: what looks like a template but is not one."""
    time: str = ""
    page_count: int = 0
    rights: frozenset[str] = field(default_factory=frozenset)
    user: str = ""

    def namespace(self, ns: int) -> Namespace | None:
        return next((n for n in self.namespaces if n.id == ns), None)

    def role(self, ns_id: int) -> str | None:
        """``property`` for Semantic MediaWiki's property namespace, ``form`` for Page
        Forms' form namespace, by their names (canonical, local or alias: Property,
        Attribut; Form, Formulaire) or, when the wiki gives no names, their usual ids."""
        ns = self.namespace(ns_id)
        names = {n.casefold() for n in ns.names()} if ns else set()
        for role, known, usual in (
            ("property", ROLE_NAMES["property"], 102),
            ("form", ROLE_NAMES["form"], 106),
        ):
            if names & known or (ns_id == usual and not names - {""}):
                return role
        return None

    def content_namespaces(self) -> tuple[int, ...]:
        return tuple(n.id for n in self.namespaces if n.content) or (MAIN,)

    def split_title(self, title: str) -> tuple[int, str]:
        """``(namespace id, title without prefix)``, with the wiki's names and aliases.

        MediaWiki rule: a namespace prefix matches case-insensitively, spaces and
        underscores alike; a prefix that is no namespace name stays part of the title
        (``Atelier : réparer son vélo`` is in the main namespace).
        """
        clean = " ".join(title.replace("_", " ").split())
        prefix, sep, rest = clean.partition(":")
        if sep:
            ns_id = self._prefixes.get(prefix.strip().casefold())
            if ns_id is not None:
                return ns_id, rest.strip()
        return MAIN, clean

    @cached_property
    def _prefixes(self) -> dict[str, int]:
        """Every namespace name and alias (case-folded, ``_`` as space) to its id."""
        return {
            name.replace("_", " ").casefold(): ns.id
            for ns in self.namespaces
            if ns.id != MAIN
            for name in ns.names()
        }

    @cached_property
    def _magic(self) -> frozenset[str]:
        return frozenset(w.casefold() for w in self.magic_words) | FALLBACK_MAGIC

    def normalize(self, title: str) -> str:
        """The title as the wiki stores it: local namespace name, ``_`` as space, and the
        first letter upper-cased where the namespace's case rule is ``first-letter``."""
        ns_id, rest = self.split_title(title)
        ns = self.namespace(ns_id)
        if rest and (ns is None or ns.case == "first-letter"):
            rest = rest[0].upper() + rest[1:]
        if ns_id == MAIN or ns is None:
            return rest
        return f"{ns.name}:{rest}"

    def template_title(self, name: str) -> str | None:
        """The page a ``{{name}}`` transcludes, or None for parser functions (``#if:``,
        ``PAGENAME``...), variables and transclusions of main-namespace pages (``{{:X}}``).

        MediaWiki rules: a name without a namespace prefix is in the template namespace;
        ``subst:`` and ``safesubst:`` do not change which template is meant; a name starting
        with ``#`` or whose part before ``:`` is a magic word is a parser function.
        """
        clean = " ".join(name.replace("_", " ").split())
        for modifier in ("subst:", "safesubst:", "msgnw:", "msg:", "raw:"):
            if clean.casefold().startswith(modifier):
                clean = clean[len(modifier) :].strip()
        if not clean or clean.startswith(("#", ":")) or "{" in clean or "<" in clean:
            return None
        head = clean.split(":", 1)[0].strip()
        if head.casefold() in self._magic and (":" in clean or head.isupper()):
            return None
        ns_id, rest = self.split_title(clean)
        if ns_id == MAIN:
            template = self.namespace(TEMPLATE)
            return self.normalize(f"{template.name if template else 'Template'}:{rest}")
        return self.normalize(clean)

    def redirect_target(self, text: str) -> str | None:
        """The target of a redirect page, or None when ``text`` is not a redirect.

        MediaWiki rule: a redirect is a page whose text starts (after blanks) with one
        of the ``redirect`` magic words (``#REDIRECTION``, ``#REDIRECT``: case-insensitive)
        followed by a link; the section part of the target is kept out.
        """
        found = _redirect_pattern(self.redirect_words).match(text)
        return self.normalize(found.group(1)) if found else None


@functools.lru_cache(maxsize=8)
def _redirect_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"\s*(?:{alternatives})\s*:?\s*\[\[([^\]|#]+)", re.IGNORECASE)


def from_api(query: Mapping[str, Any]) -> SiteInfo:
    """Build a SiteInfo from a formatversion=2 ``meta=siteinfo|userinfo`` query result."""
    general = query["general"]
    aliases: dict[int, list[str]] = {}
    for alias in query.get("namespacealiases", []):
        aliases.setdefault(int(alias["id"]), []).append(alias["alias"])
    namespaces = tuple(
        Namespace(
            id=int(ns["id"]),
            name=ns.get("name", ""),
            canonical=ns.get("canonical", ""),
            case=ns.get("case", "first-letter"),
            content=bool(ns.get("content", False)),
            aliases=tuple(aliases.get(int(ns["id"]), [])),
        )
        for ns in query.get("namespaces", {}).values()
    )
    words: Sequence[str] = next(
        (m["aliases"] for m in query.get("magicwords", []) if m["name"] == "redirect"),
        ["#REDIRECT"],
    )
    magic = sorted(
        {
            alias.rstrip(":")
            for word in query.get("magicwords", [])
            for alias in word["aliases"]
            if not alias.startswith("__")
        }
    )
    userinfo = query.get("userinfo", {})
    return SiteInfo(
        sitename=general["sitename"],
        wiki_id=general.get("wikiid", ""),
        generator=general.get("generator", ""),
        lang=general.get("lang", ""),
        server=general.get("server", ""),
        namespaces=namespaces,
        redirect_words=tuple(words),
        magic_words=tuple(magic),
        time=general.get("time", ""),
        page_count=int(query.get("statistics", {}).get("pages", 0)),
        rights=frozenset(userinfo.get("rights", [])),
        user="" if userinfo.get("anon") else userinfo.get("name", ""),
    )


# MediaWiki's canonical (English) namespace names: fixed by MediaWiki itself, and the
# only names a dump's <siteinfo> does not carry.
CANONICAL = {
    -2: "Media",
    -1: "Special",
    1: "Talk",
    2: "User",
    3: "User talk",
    4: "Project",
    5: "Project talk",
    6: "File",
    7: "File talk",
    8: "MediaWiki",
    9: "MediaWiki talk",
    10: "Template",
    11: "Template talk",
    12: "Help",
    13: "Help talk",
    14: "Category",
    15: "Category talk",
}
