"""Reading wikitext with mwparserfromhell: template calls, parameters, links, plain text.

mwparserfromhell knows wikitext syntax but not a wiki's namespaces: which ``[[X:Y]]`` is a
category or a file, and which ``{{X}}`` is a template, are decided here with the wiki's
own names (:class:`movisync.site.SiteInfo`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

import mwparserfromhell
from mwparserfromhell.nodes import Node
from mwparserfromhell.wikicode import Wikicode

from .site import CATEGORY, FILE, SiteInfo

SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Call:
    """One template call: the template page it resolves to, and its parameters.

    ``params`` keeps every parameter in order as (name, raw value): MediaWiki rule, when a
    parameter repeats, the last one wins; names are case-sensitive, surrounding blanks
    ignored; unnamed parameters are numbered from 1.
    """

    template: str
    params: tuple[tuple[str, str], ...]

    def values(self) -> dict[str, str]:
        """Parameter values, the last one winning."""
        return dict(self.params)

    def repeated(self) -> tuple[str, ...]:
        seen: set[str] = set()
        twice: dict[str, None] = {}
        for name, _ in self.params:
            if name in seen:
                twice[name] = None
            seen.add(name)
        return tuple(twice)


@dataclass(frozen=True)
class Parsed:
    """What a page's wikitext says, read with the wiki's rules."""

    calls: tuple[Call, ...]
    links: tuple[str, ...]
    categories: tuple[str, ...]
    body: str
    """Plain text once templates, comments, tags' markup, categories and files are gone."""


def parse(text: str, site: SiteInfo, *, redirects: Mapping[str, str] | None = None) -> Parsed:
    """Parse one page's wikitext. Template names are resolved through ``redirects``
    (template redirect title to target title), as MediaWiki follows them."""
    code = mwparserfromhell.parse(text)
    calls: list[Call] = []
    for node in code.filter_templates(recursive=True):
        title = site.template_title(str(node.name))
        if title is None:
            continue
        title = (redirects or {}).get(title, title)
        params = tuple((str(p.name).strip(), str(p.value)) for p in node.params)
        calls.append(Call(title, params))
    links: list[str] = []
    categories: list[str] = []
    for link in code.filter_wikilinks(recursive=True):
        target = str(link.title).strip()
        if not target or target.startswith("#") or "{" in target:
            continue
        as_link = target.startswith(":")
        ns_id, _ = site.split_title(target.lstrip(":"))
        title = site.normalize(target.lstrip(":").split("#", 1)[0])
        if ns_id == CATEGORY and not as_link:
            categories.append(title)
        elif ns_id != FILE or as_link:
            links.append(title)
    return Parsed(
        calls=tuple(calls),
        links=tuple(dict.fromkeys(links)),
        categories=tuple(dict.fromkeys(categories)),
        body=plain_text(code, site),  # last: it takes the parsed code apart
    )


def plain_text(code: Wikicode, site: SiteInfo) -> str:
    """Readable text: templates (banners and boilerplate with them), comments,
    categories, files and markup removed, link texts kept, white space collapsed.
    ``code`` is changed in place (parse again to keep it)."""
    for node in [*code.filter_templates(recursive=False), *code.filter_comments(recursive=False)]:
        _remove(code, node)
    for link in code.filter_wikilinks(recursive=True):
        target = str(link.title).strip()
        ns_id, _ = site.split_title(target)
        if not target.startswith(":") and ns_id in (CATEGORY, FILE):
            _remove(code, link)
    for tag in code.filter_tags(recursive=False):
        if str(tag.tag).lower() in {"ref", "references", "gallery", "nowiki", "pre", "math"}:
            _remove(code, tag)
    return SPACES.sub(" ", code.strip_code(normalize=True, collapse=True)).strip()


def _remove(code: Wikicode, node: Node) -> None:
    with contextlib.suppress(ValueError):  # already gone with an enclosing node
        code.remove(node)


def value_text(raw: str) -> str:
    """A parameter's value as text: comments removed, wiki markup stripped (a link keeps
    its text; an external link keeps its URL when it has no text), blanks collapsed."""
    code = mwparserfromhell.parse(raw)
    for comment in code.filter_comments(recursive=True):
        _remove(code, comment)
    for link in code.filter_external_links(recursive=True):
        if link.title is None or not str(link.title).strip():
            code.replace(link, str(link.url))
    return SPACES.sub(" ", code.strip_code(normalize=True, collapse=True)).strip()


def first_url(raw: str) -> str | None:
    """The URL of the first external link in a value, bracketed or bare."""
    for link in mwparserfromhell.parse(raw).filter_external_links(recursive=True):
        return str(link.url)
    return None
