"""Page types and what each should hold: the profile (TOML), and what the wiki declares.

The Movilab profile ships with movisync (``profiles/movilab.toml``) and is the default.
A ``[profile]`` table in ``movisync.toml`` extends it (same keys; types merge by key,
fields by name) or replaces it (``extends = "none"``). Template pages that carry
TemplateData (``<templatedata>`` JSON) add the parameters they declare, unless the
profile already says something about them.

The profile also holds the words movisync writes on the wiki (``[wiki]``: the curated
pages' titles, headings, column headers), so that nothing French is spelled in code.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from .config import read_toml
from .errors import ConfigError
from .i18n import _
from .kinds import KINDS, LEGACY
from .text import fold

# TemplateData parameter types, mapped to field kinds.
TEMPLATEDATA_KINDS = {"url": "url", "date": "date", "wiki-page-name": "page", "number": "number"}


@dataclass(frozen=True)
class FieldSpec:
    """One template parameter a page type should (or may) fill.

    ``kind`` names a :data:`movisync.kinds.KINDS` entry; ``multi`` fields hold a list of
    such values split on ``separator``; ``values``, when given, are the allowed ones.
    """

    name: str
    kind: str = "text"
    multi: bool = False
    separator: str = ","
    values: tuple[str, ...] = ()
    required: bool = False
    recommended: bool = False
    aliases: tuple[str, ...] = ()
    label: str = ""
    pattern: str | None = None
    """A regular expression the whole value must match (Semantic MediaWiki's "Allows
    pattern")."""
    pages_in: str = ""
    """The category whose pages are the field's values (Page Forms' ``values from
    category=``): the field names pages of that category."""
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    """Where each rule comes from, by attribute (``kind``, ``required``, ``values``…):
    ``movisync.toml``, ``profile movilab``, ``form Formulaire:X``, ``property
    Attribut:Y``, ``inferred from 40 of 42 pages``…"""

    @property
    def names(self) -> tuple[str, ...]:
        """The parameter names that fill this field: its name, then its aliases."""
        return (self.name, *self.aliases)

    @property
    def title(self) -> str:
        """How people call the field: its label, or its name."""
        return self.label or self.name


@dataclass(frozen=True)
class PageType:
    """A kind of structured page: recognised by its template, then by its category."""

    key: str
    label: str
    plural: str
    templates: tuple[str, ...]
    category: str
    fields: tuple[FieldSpec, ...]
    found: str = ""
    """How the type was found on the wiki (empty: named by the profile, as is)."""
    form: str = ""
    """The Page Forms form that edits its pages (its name, without the namespace), if any."""

    def field(self, param: str) -> FieldSpec | None:
        """The field a parameter fills, by name or alias. MediaWiki rule: parameter names
        are case-sensitive."""
        return self._by_param.get(param)

    @cached_property
    def _by_param(self) -> dict[str, FieldSpec]:
        found: dict[str, FieldSpec] = {}
        for spec in self.fields:  # the first field naming a parameter wins
            for name in spec.names:
                found.setdefault(name, spec)
        return found


@dataclass(frozen=True)
class Words:
    """What movisync writes on the wiki, in the wiki's language: the ``[wiki]`` table of
    the profile (French in the Movilab profile; English by default)."""

    directory: str = "Directory"
    activities: str = "Activities"
    worklist: str = "To complete"
    review: str = "Duplicates"
    stop: str = "Stop"
    stop_words: tuple[str, ...] = ("stop",)
    """Whole words that, written on the stop page, stop every edit."""
    summary: str = "movisync: summary pages"
    page: str = "Page"
    modified: str = "Last modified"
    website: str = "website"
    directory_intro: str = "{count} pages of type ''{label}'' (template {template})."
    no_activity: str = "No activity given."
    to_complete: str = "Pages to complete ({count})"
    gaps_column: str = "Gaps"
    completeness: str = "Field completeness"
    field: str = "Field"
    filled: str = "Filled"
    pages: str = "Pages"
    missing: str = "missing"
    empty: str = "empty"
    invalid: str = "invalid"
    review_intro: str = (
        "Write « {yes} » or « {no} » in the Verdict column: "
        "pairs marked « {no} » will not be proposed again."
    )
    page_a: str = "Page A"
    page_b: str = "Page B"
    score: str = "Score"
    reasons: str = "Reasons"
    verdict: str = "Verdict"
    duplicate: str = "duplicate"
    not_duplicate: str = "not a duplicate"
    language: str = "en"
    """How numbers, dates and plurals are written (see :mod:`movisync.locales`): en, fr."""
    gap_forms: tuple[str, str] = ("gap", "gaps")
    trend_now: str = "{now} today."
    trend: str = "{then} {days} days ago, {now} today."
    fixed_forms: tuple[str, str] = ("fixed", "fixed")
    new_forms: tuple[str, str] = ("new", "new")
    back_forms: tuple[str, str] = ("back", "back")
    progress: str = "{changes} since {date}."
    gap: str = "Gap"
    since: str = "Since"
    new: str = "new"
    back: str = "back"
    edit: str = "Edit"
    edit_form: str = "form"
    edit_source: str = "edit"
    exception_column: str = "Exception"
    not_applicable: str = "not applicable"
    exception: str = "exception"
    exceptions: str = "Exceptions ({count})"
    to_document: str = "Activities to document"
    communs_used: str = "Commons in use"
    activity: str = "Activity"
    places_column: str = "Places"
    count: str = "Count"
    closest: str = "Closest pages"
    start: str = "Start the guide"
    guide_title: str = "Guide: {activity}"
    commun: str = "Commun"
    to_document_intro: str = (
        "Activities run by at least {count} places that no page documents yet (or only a "
        "stub), most places first: a guide written once serves them all."
    )
    communs_intro: str = "Each commun with the places that link to it or name it."
    unwritten: str = "Communs with no page"
    unwritten_intro: str = (
        "Communs the places list that have no page yet: a page would show who relies on them."
    )
    nothing: str = "None."
    split_intro: str = "This list is too long for one page: it is on {subpages}."
    subpage_forms: tuple[str, str] = ("subpage", "subpages")
    retired: str = "This subpage is no longer used: the list is on {page}."
    worklist_intro: str = (
        "Write « {na} » (or « {exception}: reason ») in the {column} column when a field does "
        "not apply to a page, or, in the completeness table, to any page of this type: it is "
        "no longer reported. Erase it to have it reported again."
    )


@dataclass(frozen=True)
class Profile:
    name: str
    types: tuple[PageType, ...]
    stub_banners: tuple[str, ...] = ()
    stub_words: tuple[str, ...] = ("ébauche", "stub")
    """Words that make a parameterless template a stub banner when its text says them."""
    doc_banners: tuple[str, ...] = ()
    placeholders: tuple[str, ...] = ()
    licences: tuple[str, ...] = ()
    stub_min_chars: int = 300
    activity_fields: tuple[str, ...] = ("Theme", "Tags")
    """Fields naming what a page is about (themes, tags): the activities page groups by them."""
    place_types: tuple[str, ...] = ("tiers-lieu",)
    """Page types that are places (the commons map counts the places running an activity)."""
    documentation_types: tuple[str, ...] = ("document", "commun")
    """Page types that document activities (pages with a documentation banner do too)."""
    commun_types: tuple[str, ...] = ("commun",)
    actor_fields: tuple[str, ...] = ("Acteurs",)
    """Fields of a commun listing who uses it."""
    commun_fields: tuple[str, ...] = ()
    """Fields of a place listing the communs it uses, by name (besides the fields the
    wiki's forms fill from the communs' category)."""
    min_places: int = 3
    """Places running an activity before its lack of documentation is reported."""
    words: Words = Words()
    dupes: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The ``[dupes]`` table: near-duplicate settings (see :mod:`movisync.dupes`)."""

    def type(self, key: str) -> PageType:
        """The type of that key; accents and case do not matter ("événement" is
        "evenement")."""
        for page_type in self.types:
            if page_type.key == key:
                return page_type
        for page_type in self.types:
            if fold(page_type.key) == fold(key):
                return page_type
        raise ConfigError(
            _("no page type {key!r} in the profile; known: {known}").format(
                key=key, known=", ".join(self.type_keys())
            )
        )

    def type_keys(self) -> tuple[str, ...]:
        return tuple(t.key for t in self.types)


def default_profile_data() -> dict[str, Any]:
    text = resources.files("movisync").joinpath("profiles/movilab.toml").read_text("utf-8")
    return tomllib.loads(text)


def merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge: tables merge key by key, anything else in ``extra`` replaces."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


SHIPPED = "profile movilab"
CONFIG = "movisync.toml"


def load_profile(config_file: Path | None = None) -> Profile:
    """The Movilab profile, extended or replaced by ``[profile]`` in ``config_file``. Each
    field's rules remember whether the shipped profile or the configuration said them."""
    data = default_profile_data()
    if config_file is not None and config_file.exists():
        extra = read_toml(config_file).get("profile", {})
        if not isinstance(extra, dict):
            raise ConfigError(
                _("{file}: profile must be a table ([profile]), not {value!r}").format(
                    file=config_file, value=extra
                )
            )
        if extra.get("extends", "movilab") == "none":
            data = {}
        elif extra.get("extends", "movilab") != "movilab":
            raise ConfigError(
                _('{file}: [profile] extends must be "movilab" or "none"').format(file=config_file)
            )
        extra = {k: v for k, v in extra.items() if k != "extends"}
        data = merge(data, extra)
        try:
            return profile_from_data(data, user=extra)
        except ConfigError as exc:
            raise ConfigError(
                _("{file}: {problem}").format(file=config_file, problem=exc)
            ) from None
    return profile_from_data(data)


OPTION_RULES = {
    "kind": ("kind",),
    "list": ("multi",),
    "separator": ("separator",),
    "values": ("values",),
    "required": ("required",),
    "recommended": ("recommended",),
    "aliases": ("aliases",),
    "label": ("label",),
    "pattern": ("pattern",),
}
"""A profile field's option to the rules it sets."""


def _field(
    key: str,
    name: str,
    options: Mapping[str, Any],
    lists: Mapping[str, Any],
    user: Mapping[str, Any],
) -> FieldSpec:
    kind = options.get("kind", "text")
    multi = bool(options.get("list", kind == "licence"))
    if kind in LEGACY:
        kind, multi = LEGACY[kind][0], LEGACY[kind][1] or multi
    if kind not in KINDS:
        known = ", ".join(sorted([*KINDS, *LEGACY]))
        raise ConfigError(
            _("profile: field {type}.{name} has kind {kind!r}; known: {known}").format(
                type=key, name=name, kind=kind, known=known
            )
        )
    values = options.get("values", ())
    if isinstance(values, str):
        if values not in lists:
            raise ConfigError(
                _("profile: field {type}.{name} uses an unknown list {list!r}").format(
                    type=key, name=name, list=values
                )
            )
        values = lists[values]
    sources = {}
    for option, rules in OPTION_RULES.items():
        if option in options:
            for rule in rules:
                sources[rule] = CONFIG if option in user else SHIPPED
    if options.get("kind") in LEGACY or options.get("kind") == "licence":
        sources.setdefault("multi", sources["kind"])
    return FieldSpec(
        name=name,
        kind=kind,
        multi=multi,
        separator=options.get("separator", ","),
        values=tuple(values),
        required=bool(options.get("required", False)),
        recommended=bool(options.get("recommended", False)),
        aliases=tuple(options.get("aliases", ())),
        label=options.get("label", ""),
        pattern=options.get("pattern"),
        sources=sources,
    )


def _words(table: Mapping[str, Any]) -> Words:
    known = {f.name for f in fields(Words)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(
            _("profile: unknown [wiki] word(s) {words}").format(words=", ".join(unknown))
        )
    values: dict[str, Any] = {
        k: tuple(str(w) for w in v) if isinstance(v, list) else str(v) for k, v in table.items()
    }
    for key, value in values.items():
        if key.endswith("_forms") and (not isinstance(value, tuple) or len(value) != 2):
            raise ConfigError(
                _("profile: [wiki] {key} takes two words, singular and plural").format(key=key)
            )
    return replace(Words(), **values)


def profile_from_data(data: Mapping[str, Any], *, user: Mapping[str, Any] | None = None) -> Profile:
    """Build and check a profile from its TOML tables: a value of the wrong shape is a
    ConfigError naming it. ``user``: the part of ``data`` the configuration gave (its
    rules outrank what the wiki declares; the shipped profile's are hints)."""
    try:
        return _profile(data, user or {})
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(
            _("profile: {problem}").format(problem=_shape_error(data) or exc)
        ) from None


def _shape_error(data: Mapping[str, Any]) -> str | None:
    """Which value of the profile has the wrong shape, said for people."""
    tables = ("types", "lists", "banners", "wiki", "dupes")
    for key in tables:
        if key in data and not isinstance(data[key], Mapping):
            return _("{key} must be a table ([profile.{key}]), not {value!r}").format(
                key=key, value=data[key]
            )
    for key in NAME_LISTS:
        if not _is_names(listed := data.get(key, ())):
            return _('{key} must be a list of names such as ["Acteurs"], not {value!r}').format(
                key=key, value=listed
            )
    value = data.get("stub_min_chars", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return _("stub_min_chars must be a whole number of characters, not {value!r}").format(
            value=value
        )
    for key, spec in data.get("types", {}).items():
        if not isinstance(spec, Mapping):
            return _("type {key!r} must be a table, not {value!r}").format(key=key, value=spec)
        for name, options in spec.get("fields", {}).items():
            if not isinstance(options, Mapping):
                return _('field {type}.{name} must be a table such as {{ kind = "text" }}').format(
                    type=key, name=name
                )
    return None


def _profile(data: Mapping[str, Any], user: Mapping[str, Any]) -> Profile:
    lists: Mapping[str, list[str]] = data.get("lists", {})
    banners = data.get("banners", {})
    types = []
    for key, spec in data.get("types", {}).items():
        if not spec.get("templates"):
            raise ConfigError(_("profile: type {key!r} names no template").format(key=key))
        types.append(
            PageType(
                key=key,
                label=spec.get("label", key),
                plural=spec.get("plural", key),
                templates=tuple(spec["templates"]),
                category=spec.get("category", ""),
                fields=tuple(
                    _field(key, name, options, lists, _table(user, "types", key, "fields", name))
                    for name, options in spec.get("fields", {}).items()
                ),
            )
        )
    return Profile(
        name=data.get("name", "custom"),
        types=tuple(types),
        stub_banners=tuple(banners.get("stub", ())),
        stub_words=tuple(banners.get("stub_words", ("ébauche", "stub"))),
        doc_banners=tuple(banners.get("documentation", ())),
        placeholders=tuple(p.casefold() for p in data.get("placeholders", ())),
        licences=tuple(lists.get("licences", ())),
        stub_min_chars=_count(data.get("stub_min_chars", 300)),
        activity_fields=_names(data.get("activity_fields", ("Theme", "Tags"))),
        place_types=_names(data.get("place_types", ("tiers-lieu",))),
        documentation_types=_names(data.get("documentation_types", ("document", "commun"))),
        commun_types=_names(data.get("commun_types", ("commun",))),
        actor_fields=_names(data.get("actor_fields", ("Acteurs",))),
        commun_fields=_names(data.get("commun_fields", ())),
        min_places=_count(data.get("min_places", 3)),
        words=_words(data.get("wiki", {})),
        dupes=data.get("dupes", {}),
    )


def _table(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    for key in keys:
        data = data.get(key, {}) if isinstance(data, Mapping) else {}
    return data if isinstance(data, Mapping) else {}


NAME_LISTS = (
    "activity_fields",
    "place_types",
    "documentation_types",
    "commun_types",
    "actor_fields",
    "commun_fields",
)
"""The profile's settings that are lists of names (fields or page types)."""


def _is_names(value: Any) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)


def _names(value: Any) -> tuple[str, ...]:
    if not _is_names(value):
        raise ValueError(value)
    return tuple(value)


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(value)
    return value


TEMPLATEDATA = re.compile(r"<templatedata>(.*?)</templatedata>", re.DOTALL | re.IGNORECASE)


def templatedata(text: str) -> dict[str, Any] | None:
    """The TemplateData JSON a template page declares, or None (absent or malformed)."""
    found = TEMPLATEDATA.search(text)
    if not found:
        return None
    try:
        data = json.loads(found.group(1))
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def with_templatedata(profile: Profile, declared: Mapping[str, Mapping[str, Any]]) -> Profile:
    """Add the parameters each type's template declares in TemplateData.

    ``declared`` maps a template name without namespace (``Tiers-lieu``) to its
    TemplateData. The profile keeps the last word on fields it names; TemplateData's
    ``required`` and ``suggested`` become required and recommended.
    """
    types = []
    for page_type in profile.types:
        fields_ = list(page_type.fields)
        known = {n for f in fields_ for n in f.names}
        for template in page_type.templates:
            for name, param in declared.get(template, {}).get("params", {}).items():
                if name in known or not isinstance(param, Mapping):
                    continue
                fields_.append(
                    FieldSpec(
                        name=name,
                        kind=TEMPLATEDATA_KINDS.get(str(param.get("type")), "text"),
                        required=bool(param.get("required")),
                        recommended=bool(param.get("suggested")),
                        aliases=tuple(param.get("aliases", ())),
                        label=_label(param.get("label")),
                    )
                )
                known.add(name)
        types.append(replace(page_type, fields=tuple(fields_)))
    return replace(profile, types=tuple(types))


def _label(label: object) -> str:
    if isinstance(label, str):
        return label
    if isinstance(label, Mapping):
        return str(label.get("fr") or next(iter(label.values()), ""))
    return ""
