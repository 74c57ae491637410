"""Reading wikitext with mwparserfromhell: template calls, parameters, links, plain text.

mwparserfromhell knows wikitext syntax but not a wiki's namespaces: which ``[[X:Y]]`` is a
category or a file, and which ``{{X}}`` is a template, are decided here with the wiki's
own names (:class:`movisync.site.SiteInfo`). A page is read in one pass over the
tokenizer's tokens (the parse tree is never built, which is most of mwparserfromhell's
time): calls with their values' text, links, categories and the plain text together.
"""

from __future__ import annotations

import html.entities as htmlentities
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mwparserfromhell.definitions import is_visible
from mwparserfromhell.parser import Parser
from mwparserfromhell.parser import tokens as tk

from .site import CATEGORY, FILE, SiteInfo

SPACES = re.compile(r"\s+")
_TOKENIZER = Parser()._tokenizer  # type: ignore[no-untyped-call]  # C when compiled
# Tags whose content is not the page's prose (notes, galleries, code, formulas).
NOT_PROSE = frozenset({"ref", "references", "gallery", "nowiki", "pre", "math"})


@dataclass(frozen=True)
class Param:
    """One parameter of a call: ``text`` is its value without comments and markup (a
    link keeps its text; an external link keeps its URL when it has no text); ``url`` is
    the value's first external link; ``dynamic`` marks a value computed by a template or
    parser function (``{{#if:...}}``), which cannot be judged from the text."""

    name: str
    text: str
    url: str | None = None
    dynamic: bool = False


@dataclass(frozen=True)
class Call:
    """One template call: the template page it resolves to, and its parameters.

    ``params`` keeps every parameter in order: MediaWiki rule, when a parameter
    repeats, the last one wins; names are case-sensitive, surrounding blanks ignored;
    unnamed parameters are numbered from 1.
    """

    template: str
    params: tuple[Param, ...]

    def values(self) -> dict[str, Param]:
        """Parameters by name, the last one winning."""
        return {p.name: p for p in self.params}

    def repeated(self) -> tuple[str, ...]:
        seen: set[str] = set()
        twice: dict[str, None] = {}
        for param in self.params:
            if param.name in seen:
                twice[param.name] = None
            seen.add(param.name)
        return tuple(twice)


@dataclass(frozen=True)
class Function:
    """A parser function call (``{{#set:P=v|Q=w}}``): its name (``#set``), the raw text
    after the colon, and its parameters as (name, raw value); unnamed ones are numbered."""

    name: str
    head: str
    params: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Parsed:
    """What a page's wikitext says, read with the wiki's rules."""

    calls: tuple[Call, ...]
    links: tuple[str, ...]
    categories: tuple[str, ...]
    body: str
    """Plain text once templates, comments, tags' markup, categories and files are gone."""
    annotations: tuple[tuple[str, str], ...] = ()
    """Semantic MediaWiki annotations ``[[Property::value]]``: (property, raw value). They
    are values, not links."""
    arguments: tuple[str, ...] = ()
    """Template parameters the text uses (``{{{name|default}}}``), in order."""
    functions: tuple[Function, ...] = ()
    """Parser function calls, in order (noted when asked for)."""


@dataclass
class _Found:
    """What the walks of one text share."""

    calls: list[Call] = field(default_factory=list)
    links: dict[str, None] = field(default_factory=dict)
    categories: dict[str, None] = field(default_factory=dict)
    annotations: list[tuple[str, str]] = field(default_factory=list)
    arguments: dict[str, None] = field(default_factory=dict)
    functions: list[Function] | None = None


_Handler = Callable[..., tuple["str | None", str]]
_WALKS: dict[type, str] = {}
"""Token type opening a construct to the name of the _Walk method that reads it."""


def _handles(*kinds: type) -> Callable[[_Handler], _Handler]:
    def register(method: _Handler) -> _Handler:
        for kind in kinds:
            _WALKS[kind] = method.__name__
        return method

    return register


@dataclass
class _Walk:
    """One pass over a page's token stream (mwparserfromhell's tokenizer), collecting
    as it goes: the parse tree is never built. A construct's plain text is what
    mwparserfromhell's ``strip_code`` gives for it; its raw text (for names, titles and
    URLs) is the wikitext it came from.

    ``tokens`` is reversed: the next token is at the end. Sub-walks share what is
    found, each keeping its own first URL and dynamic mark (one per parameter value).
    """

    site: SiteInfo
    redirects: Mapping[str, str]
    tokens: list[Any]
    found: _Found = field(default_factory=_Found)
    url: str | None = None
    dynamic: bool = False

    def child(self) -> _Walk:
        return _Walk(self.site, self.redirects, self.tokens, self.found)

    def seq(
        self, stops: tuple[type, ...] = (), *, value: bool = False, top: bool = False
    ) -> tuple[str, str, Any]:
        """(plain text, raw text, the stop token) of the tokens up to one of ``stops``
        (None at the end). ``value``: a parameter's value, where an external link
        without text keeps its URL and categories and files stay text; ``top``: the page
        itself, where notes and galleries are not prose."""
        texts: list[str] = []
        raws: list[str] = []
        tokens = self.tokens
        while tokens:
            token = tokens.pop()
            kind = type(token)
            if kind is tk.Text:
                if value and "{{" in token.text:
                    self.dynamic = True
                texts.append(token.text)
                raws.append(token.text)
                continue
            if kind in stops:
                return "".join(texts).strip("\n"), "".join(raws), token
            if kind in _SKIPPED:
                continue
            name = _WALKS.get(kind)
            if name is None:
                raise ValueError(f"unexpected {kind.__name__} in the wikitext")
            text, raw = getattr(self, name)(token, value, top)
            if text:
                texts.append(text)
            raws.append(raw)
        if stops:
            raise ValueError(f"unclosed wikitext (expected {stops[-1].__name__})")
        return "".join(texts).strip("\n"), "".join(raws), None

    @_handles(tk.TemplateOpen)
    def template(self, token: Any, value: bool, top: bool) -> tuple[str | None, str]:
        calls, functions = self.found.calls, self.found.functions
        index, at = len(calls), len(functions or ())
        _, name, stop = self.child().seq((tk.TemplateParamSeparator, tk.TemplateClose))
        raws = ["{{", name]
        params, number = [], 1
        raw_params: list[tuple[str, str]] = []
        while type(stop) is tk.TemplateParamSeparator:
            walk = self.child()
            text, raw, stop = walk.seq(
                (tk.TemplateParamEquals, tk.TemplateParamSeparator, tk.TemplateClose), value=True
            )
            raws += ["|", raw]
            key = str(number)
            if type(stop) is tk.TemplateParamEquals:
                key, walk = raw.strip(), self.child()
                text, raw, stop = walk.seq(
                    (tk.TemplateParamSeparator, tk.TemplateClose), value=True
                )
                raws += ["=", raw]
            else:
                number += 1
            params.append(Param(key, SPACES.sub(" ", text).strip(), walk.url, walk.dynamic))
            raw_params.append((key, raw))
        head = name.strip()
        if head.startswith("#") and functions is not None:  # in order, outer calls first
            function, _, rest = head.partition(":")
            functions.insert(at, Function(function.strip().lower(), rest, tuple(raw_params)))
        title = self.site.template_title(name)
        if title is not None:  # before the calls inside its parameters, as in the text
            calls.insert(index, Call(self.redirects.get(title, title), tuple(params)))
        if value:
            self.dynamic = True
        return None, "".join([*raws, "}}"])

    @_handles(tk.ArgumentOpen)
    def argument(self, token: Any, value: bool, top: bool) -> tuple[str | None, str]:
        _, name, stop = self.child().seq((tk.ArgumentSeparator, tk.ArgumentClose))
        self.found.arguments[name.strip()] = None
        if value:
            self.dynamic = True
        if type(stop) is tk.ArgumentSeparator:
            text, raw, _ = self.seq((tk.ArgumentClose,), value=value)
            return text, f"{{{{{{{name}|{raw}}}}}}}"
        return None, f"{{{{{{{name}}}}}}}"

    @_handles(tk.WikilinkOpen)
    def wikilink(self, token: Any, value: bool, top: bool) -> tuple[str | None, str]:
        title_text, title, stop = self.seq((tk.WikilinkSeparator, tk.WikilinkClose), value=value)
        shown: str | None = None
        raw = f"[[{title}]]"
        if type(stop) is tk.WikilinkSeparator:
            shown, label, _ = self.seq((tk.WikilinkClose,), value=value)
            raw = f"[[{title}|{label}]]"
        target = title.strip()
        prop, annotated, said = target.partition("::")
        if annotated and prop.strip() and not prop.startswith(":"):
            # Semantic MediaWiki rule: [[Property::value|text]] stores a value, shows the
            # text (or the value): it is not a link.
            self.found.annotations.append((prop.strip(), said))
            return (shown if shown is not None else SPACES.sub(" ", said).strip()), raw
        if not target or target.startswith("#") or "{" in target:
            return (shown if shown is not None else title_text), raw
        as_link = target.startswith(":")
        ns_id, _ = self.site.split_title(target.lstrip(":"))
        normal = self.site.normalize(target.lstrip(":").split("#", 1)[0])
        if ns_id == CATEGORY and not as_link:
            self.found.categories[normal] = None
            if not value:
                return None, raw
        elif ns_id != FILE or as_link:
            self.found.links[normal] = None
        elif not value:
            return None, raw
        return (shown if shown is not None else title_text), raw

    @_handles(tk.ExternalLinkOpen)
    def external_link(self, token: Any, value: bool, top: bool) -> tuple[str | None, str]:
        url_text, url, stop = self.seq(
            (tk.ExternalLinkSeparator, tk.ExternalLinkClose), value=value
        )
        title, raw = "", url
        if type(stop) is tk.ExternalLinkSeparator:
            title, label, _ = self.seq((tk.ExternalLinkClose,), value=value)
            raw = f"{url} {label}"
        if value and self.url is None:
            self.url = url
        if token.brackets:
            return title or (url if value else None), f"[{raw}]"
        return url_text, raw

    @_handles(tk.HTMLEntityStart)
    def entity(self, token: Any, value: bool, top: bool) -> tuple[str | None, str]:
        tokens = self.tokens
        first = tokens.pop()
        try:
            if type(first) is tk.HTMLEntityNumeric:
                second = tokens.pop()
                if type(second) is tk.HTMLEntityHex:
                    digits = tokens.pop().text
                    raw = f"&#{second.char}{digits};"
                    char = chr(int(digits, 16))
                else:
                    raw = f"&#{second.text};"
                    char = chr(int(second.text))
            else:
                raw = f"&{first.text};"
                char = chr(htmlentities.name2codepoint[first.text])
        except (KeyError, ValueError, OverflowError):
            char = raw
        tokens.pop()  # HTMLEntityEnd
        return char, raw

    @_handles(tk.HeadingStart)
    def heading(self, token: Any, value: bool, top: bool) -> tuple[str | None, str]:
        text, raw, _ = self.seq((tk.HeadingEnd,), value=value)
        marks = "=" * (token.level or 1)
        return text, f"{marks}{raw}{marks}"

    @_handles(tk.CommentStart)
    def comment(self, token: Any, value: bool, top: bool) -> tuple[str | None, str]:
        _, raw, _ = self.child().seq((tk.CommentEnd,))
        return None, f"<!--{raw}-->"

    @_handles(tk.TagOpenOpen)
    def tag(self, token: Any, value: bool, top: bool) -> tuple[str | None, str]:
        ends = (tk.TagAttrStart, tk.TagCloseOpen, tk.TagCloseSelfclose)
        _, name, stop = self.child().seq(ends)
        while type(stop) is tk.TagAttrStart:  # attributes: calls and links count, not text
            _, _, stop = self.child().seq(ends)
        markup = token.wiki_markup
        if type(stop) is tk.TagCloseSelfclose:
            return None, markup or f"<{name}/>"
        inner, contents, stop = self.seq((tk.TagOpenClose, tk.TagCloseClose), value=value)
        if type(stop) is tk.TagOpenClose:
            self.child().seq((tk.TagCloseClose,))
        else:
            inner = ""  # no contents: what came is the closing tag
        raw = f"{markup}{contents}{markup}" if markup else f"<{name}>{contents}</{name}>"
        tag = name.strip().lower()
        if (top and tag in NOT_PROSE) or not is_visible(tag):
            return None, raw
        return inner, raw


_SKIPPED = (tk.TagAttrEquals, tk.TagAttrQuote)


def _tokens(text: str) -> list[Any]:
    """mwparserfromhell's tokens of ``text``, last first."""
    tokens: list[Any] = _TOKENIZER.tokenize(text, 0, False)
    tokens.reverse()
    return tokens


def parse(
    text: str,
    site: SiteInfo,
    *,
    redirects: Mapping[str, str] | None = None,
    functions: bool = False,
) -> Parsed:
    """Parse one page's wikitext. Template names are resolved through ``redirects``
    (template redirect title to target title), as MediaWiki follows them; with
    ``functions``, parser function calls are noted too."""
    found = _Found(functions=[] if functions else None)
    walk = _Walk(site, redirects or {}, _tokens(text), found)
    body, _, _ = walk.seq(top=True)
    return Parsed(
        calls=tuple(found.calls),
        links=tuple(found.links),
        categories=tuple(found.categories),
        body=SPACES.sub(" ", body).strip(),
        annotations=tuple(found.annotations),
        arguments=tuple(found.arguments),
        functions=tuple(found.functions or ()),
    )


def value_text(raw: str, site: SiteInfo) -> str:
    """A parameter's value as text: comments removed, wiki markup stripped (a link keeps
    its text; an external link keeps its URL when it has no text), blanks collapsed."""
    text, _, _ = _Walk(site, {}, _tokens(raw)).seq(value=True)
    return SPACES.sub(" ", text).strip()


def first_url(raw: str, site: SiteInfo) -> str | None:
    """The URL of the first external link in a value, bracketed or bare."""
    walk = _Walk(site, {}, _tokens(raw))
    walk.seq(value=True)
    return walk.url
