"""The wiki's own schema: page types and what their fields should hold, read from what the
wiki declares and merged field by field, each rule with where it comes from. Pure.

Sources, highest first (a rule comes from the highest source that says it; the others
that disagree are noted):

1. the user's ``movisync.toml`` (``[profile]``);
2. Page Forms forms: the template a form fills, its ``mandatory`` fields, their allowed
   values (``values=``, ``values from property=``, ``values from category=``), lists and
   delimiters, the property a field stores (``property=``);
3. TemplateData, and the template itself: the parameters it uses (``{{{name}}}``) and its
   ``#template_params``, the lists its ``#arraymap`` and ``#set`` make;
4. Semantic MediaWiki: the property each parameter is stored in gives its type, its
   allowed values (and value lists) and pattern;
5. the shipped profile (Movilab's), as hints: its types, labels, required fields and
   kinds; a type of it whose templates the wiki does not use is mapped onto a template
   of the wiki whose fields are mostly the same;
6. the data: a field with no declared kind gets the kind nearly all its values have.

Page types are the profile's types the wiki uses, each form's template, and any template
that is the structured call of several content pages mostly in one category.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from . import kinds
from .profile import CONFIG, FieldSpec, PageType, Profile
from .templates import Call, Param
from .text import fold

MIN_PAGES = 3
"""A template structures a page type when it is the first structured call of this many
content pages at least..."""
MIN_CATEGORY_SHARE = 0.5
"""... this share of them in one category."""
MIN_OVERLAP = 0.5
"""Share of parameter names a profile type and a wiki template must have in common
(Jaccard) for the profile's rules to apply to the template."""
INFER_SHARE = 0.9
"""A field with no declared kind gets a kind when this share of its values have it..."""
INFER_MIN = 5
"""... out of this many values at least."""
TEMPLATEDATA_KINDS = {"url": "url", "date": "date", "wiki-page-name": "page", "number": "number"}
INPUT_KINDS = {"datepicker": "date", "datetimepicker": "date", "checkbox": "boolean"}
"""Page Forms input types that say what a value is."""


@dataclass(frozen=True)
class WikiFacts:
    """What the wiki's schema pages say (from their parses), by page title."""

    templates: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Template title to its declaration (params, properties, lists, body)."""
    template_categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    templatedata: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Template title to its TemplateData."""
    forms: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    properties: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Property name (without namespace) to its declaration."""
    lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    patterns: Mapping[str, str] = field(default_factory=dict)
    members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Category name (without namespace) to the titles of its content pages."""
    redirects: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Usage:
    """How the content pages use templates: each page's first structured call (a call
    with named parameters) and its categories."""

    first: Mapping[str, int]
    """Template title to the pages it is the first structured call of."""
    categories: Mapping[str, Counter[str]]
    """Template title to the categories of those pages."""
    params: Mapping[str, Mapping[str, list[Param]]]
    """Template title to each parameter's values on those pages."""


def usage(pages: Iterable[tuple[Sequence[Call], Sequence[str]]], category_prefix: str) -> Usage:
    """``pages``: each content page's calls (template redirects followed) and categories."""
    first: Counter[str] = Counter()
    categories: dict[str, Counter[str]] = defaultdict(Counter)
    params: dict[str, dict[str, list[Param]]] = defaultdict(lambda: defaultdict(list))
    for calls, in_categories in pages:
        call = next((c for c in calls if any(not p.name.isdigit() for p in c.params)), None)
        if call is None:
            continue
        first[call.template] += 1
        categories[call.template].update(c.removeprefix(category_prefix) for c in in_categories)
        for name, value in call.values().items():
            params[call.template][name].append(value)
    return Usage(dict(first), dict(categories), {k: dict(v) for k, v in params.items()})


@dataclass(frozen=True)
class Schema:
    profile: Profile
    """The profile to read the wiki with: types and fields as discovered and merged."""
    disagreements: tuple[str, ...] = ()
    """Rules two sources give differently (the higher one was kept)."""
    unmatched: tuple[tuple[str, str], ...] = ()
    """Profile types whose templates no page uses: (type key, the closest template of
    the wiki with the share of fields in common, or "")."""
    mapped: tuple[tuple[str, str, float], ...] = ()
    """Profile types whose templates no page uses, read onto a template of the wiki with
    mostly the same fields: (type key, template, share of fields in common)."""
    untyped: tuple[tuple[str, int], ...] = ()
    """Templates structuring several pages that belong to no type: (title, pages)."""
    form_only: tuple[tuple[str, str], ...] = ()
    """Form fields their template does not use: (form, field)."""

    @property
    def discovered(self) -> bool:
        """Whether some types were found on the wiki rather than named by the profile."""
        return any(t.found for t in self.profile.types)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-") or "type"


class _Rules:
    """One field's rules as they come, highest source first: the first rule for an
    attribute is kept, a later different one is a disagreement."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.values: dict[str, Any] = {}
        self.sources: dict[str, str] = {}
        self.disagreements: list[str] = []

    def add(self, attribute: str, value: Any, source: str) -> None:
        if value is None or value == () or value == "":
            return
        if attribute not in self.values:
            self.values[attribute], self.sources[attribute] = value, source
        elif self.values[attribute] != value and attribute not in ("label", "aliases"):
            self.disagreements.append(
                f"{self.name}: {attribute} {self.values[attribute]!r} ({self.sources[attribute]})"
                f" over {value!r} ({source})"
            )

    def spec(self) -> FieldSpec:
        v = self.values
        return FieldSpec(
            name=self.name,
            kind=v.get("kind", "text"),
            multi=bool(v.get("multi", False)),
            separator=v.get("separator", ","),
            values=tuple(v.get("values", ())),
            required=bool(v.get("required", False)),
            recommended=bool(v.get("recommended", False)),
            aliases=tuple(v.get("aliases", ())),
            label=v.get("label", ""),
            pattern=v.get("pattern"),
            pages_in=v.get("pages_in", ""),
            sources=dict(self.sources),
        )


@dataclass
class _Type:
    key: str
    label: str
    plural: str
    template: str
    found: str
    hint: PageType | None = None
    form: tuple[str, Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class Names:
    """How the wiki names things: its template, category and property namespaces, and
    the page a template name calls (``{{tiers lieu}}`` → ``Modèle:Tiers-lieu``)."""

    template: str
    category: str
    property: str
    resolve: Callable[[str], str]


def discover(profile: Profile, facts: WikiFacts, used: Usage, names: Names) -> Schema:
    """The wiki's schema, from its declarations, the profile's hints and the data."""
    title, template_prefix, category_prefix = names.resolve, names.template, names.category

    claimed: dict[str, _Type] = {}
    # Profile types the wiki uses, by their own templates.
    unmatched: list[PageType] = []
    for hint in profile.types:
        templates = [title(t) for t in hint.templates]
        live = next((t for t in templates if used.first.get(t) or t in facts.templates), None)
        if live is not None and live not in claimed and used.first.get(live):
            claimed[live] = _Type(hint.key, hint.label, hint.plural, live, "", hint=hint)
        else:
            unmatched.append(hint)
    # Forms: each form's first template is a type.
    for form_title, form in sorted(facts.forms.items()):
        sections = [s for s in form.get("templates", ()) if not s.get("multiple")]
        if not sections:
            continue
        template = title(sections[0]["template"])
        name = form_title.split(":", 1)[-1]
        if template in claimed:
            claimed[template].form = (form_title, sections[0])
            continue
        plural = next(iter(facts.template_categories.get(template, ())), "").split(":", 1)[-1]
        claimed[template] = _Type(
            slug(name),
            name,
            plural or name,
            template,
            f"form {form_title}",
            form=(form_title, sections[0]),
        )
    # Templates structuring several pages, mostly in one category.
    untyped = []
    for template, pages in sorted(used.first.items(), key=lambda kv: -kv[1]):
        if template in claimed or pages < MIN_PAGES:
            continue
        category, count = (used.categories.get(template) or Counter({"": 0})).most_common(1)[0]
        if not category or count < MIN_CATEGORY_SHARE * pages:
            untyped.append((template, pages))
            continue
        name = template.removeprefix(template_prefix)
        claimed[template] = _Type(
            slug(name),
            name,
            category,
            template,
            f"used on {pages} pages, {count} of them in {category_prefix}{category}",
        )
    # Profile types the wiki does not use: onto the template with the most fields in common.
    still, mapped = [], []
    for hint in unmatched:
        known = {n for f in hint.fields for n in f.names}
        best, share = None, 0.0
        for template, kind in claimed.items():
            if kind.hint is not None:
                continue
            params = _params(template, facts, used)
            overlap = len(known & params) / len(known | params) if known | params else 0.0
            if overlap > share:
                best, share = template, overlap
        if best is not None and share >= MIN_OVERLAP:
            kind = claimed[best]
            kind.key, kind.label, kind.plural, kind.hint = hint.key, hint.label, hint.plural, hint
            kind.found = (
                f"{best} ({round(100 * share)}% of its fields in common with the profile's "
                f"{hint.key})"
            )
            mapped.append((hint.key, best, share))
        else:
            still.append((hint.key, f"{best} ({round(100 * share)}%)" if best else ""))
    types, disagreements, form_only = [], [], []
    for kind in claimed.values():
        made, notes, only = _type(kind, facts, used, names)
        types.append(made)
        disagreements += notes
        form_only += only
    order = {t.key: i for i, t in enumerate(profile.types)}
    types.sort(key=lambda t: (order.get(t.key, len(order)), t.key))
    banners = _stub_banners(profile, facts, claimed, template_prefix)
    return Schema(
        profile=replace(profile, types=tuple(types), stub_banners=banners),
        disagreements=tuple(disagreements),
        unmatched=tuple(still),
        mapped=tuple(mapped),
        untyped=tuple(untyped),
        form_only=tuple(form_only),
    )


def _params(template: str, facts: WikiFacts, used: Usage) -> set[str]:
    declared = facts.templates.get(template, {}).get("params", ())
    return set(declared) or set(used.params.get(template, {}))


def _stub_banners(
    profile: Profile, facts: WikiFacts, claimed: Mapping[str, _Type], prefix: str
) -> tuple[str, ...]:
    """The profile's stub banners, and the wiki's templates without parameters whose text
    says one of the profile's stub words ("Cette page est une ébauche")."""
    found = list(profile.stub_banners)
    words = [fold(w) for w in profile.stub_words]
    for template, declared in sorted(facts.templates.items()):
        name = template.removeprefix(prefix)
        body = fold(declared.get("body", ""))
        if template in claimed or declared.get("params") or name in found:
            continue
        if any(re.search(rf"\b{re.escape(w)}\b", body) for w in words):
            found.append(name)
    return tuple(found)


def _type(
    kind: _Type, facts: WikiFacts, used: Usage, names: Names
) -> tuple[PageType, list[str], list[tuple[str, str]]]:
    """One type's fields, merged from every source."""
    template, template_prefix, category_prefix = kind.template, names.template, names.category
    rules: dict[str, _Rules] = {}

    def rule(name: str) -> _Rules:
        return rules.setdefault(name, _Rules(name))

    hint_fields = list(kind.hint.fields) if kind.hint else []
    # 1. movisync.toml
    for spec in hint_fields:
        for attribute, source in spec.sources.items():
            if source == CONFIG:
                rule(spec.name).add(attribute, getattr(spec, attribute), CONFIG)
    # 2. the form
    form_only = []
    declared = facts.templates.get(template, {})
    properties: dict[str, str] = dict(declared.get("properties", {}))
    if kind.form is not None:
        form_title, section = kind.form
        source = f"form {form_title}"
        for entry in section.get("fields", ()):
            name, r = entry["name"], rule(entry["name"])
            r.add("required", bool(entry.get("mandatory")), source)  # the form says which
            r.add("label", entry.get("label"), source)
            if entry.get("list"):
                r.add("multi", True, source)
                r.add("separator", entry.get("delimiter") or ",", source)
            r.add("kind", INPUT_KINDS.get(entry.get("input_type") or ""), source)
            if entry.get("property"):
                properties.setdefault(name, entry["property"])
            if entry.get("values") is not None:
                r.add("values", tuple(entry["values"]), source)
            elif entry.get("values_from_category"):
                members = facts.members.get(entry["values_from_category"], ())
                where = f"{source}, {category_prefix}{entry['values_from_category']}"
                r.add("values", tuple(members), where)
                r.add("pages_in", entry["values_from_category"], where)
            elif entry.get("values_from_property"):
                named = facts.properties.get(entry["values_from_property"], {})
                r.add(
                    "values", _allowed(named, facts), f"{source}, {entry['values_from_property']}"
                )
            if declared.get("params") and name not in declared["params"]:
                form_only.append((form_title, name))
    # 3. TemplateData and the template itself
    data = facts.templatedata.get(template, {}).get("params", {})
    for name, param in data.items() if isinstance(data, Mapping) else ():
        if not isinstance(param, Mapping):
            continue
        r = rule(name)
        r.add("required", True if param.get("required") else None, "templatedata")
        r.add("recommended", True if param.get("suggested") else None, "templatedata")
        r.add("kind", TEMPLATEDATA_KINDS.get(str(param.get("type"))), "templatedata")
        r.add("label", _label(param.get("label")), "templatedata")
        r.add("aliases", tuple(param.get("aliases", ())), "templatedata")
    for name in declared.get("params", ()):
        rule(name)
    for name, delimiter in declared.get("lists", {}).items():
        rule(name).add("multi", True, f"template {template}")
        rule(name).add("separator", delimiter, f"template {template}")
    # 4. Semantic MediaWiki properties
    for name, prop_name in properties.items():
        if (prop := facts.properties.get(prop_name)) is None:
            continue
        source = f"property {names.property}{prop_name}"
        r = rule(name)
        r.add("kind", prop.get("kind"), source)
        r.add("values", _allowed(prop, facts), source)
        if prop.get("pattern") and prop["pattern"] in facts.patterns:
            r.add("pattern", facts.patterns[prop["pattern"]], f"{source} ({prop['pattern']})")
    # 5. the profile's hints
    for spec in hint_fields:
        for attribute, source in spec.sources.items():
            if source != CONFIG:
                rule(spec.name).add(attribute, getattr(spec, attribute), source)
        for alias in spec.aliases:  # a parameter named by an alias is that field
            rules.pop(alias, None)
    # 6. the data
    filled = used.params.get(template, {})
    for name, r in rules.items():
        if "kind" in r.values:
            continue
        texts = [v.text for v in filled.get(name, ()) if v.text and not v.dynamic]
        if r.values.get("multi"):
            texts = [i.strip() for t in texts for i in t.split(r.values["separator"]) if i.strip()]
        guessed = kinds.guess(texts, INFER_SHARE) if len(texts) >= INFER_MIN else None
        if guessed is not None:
            share = sum(1 for t in texts if kinds.KINDS[guessed].looks_like(t))  # type: ignore[misc]
            r.add("kind", guessed, f"inferred from {share} of {len(texts)} values")
    ordered = [n for n in [*(s.name for s in hint_fields), *rules] if n in rules]
    specs = tuple(rules[n].spec() for n in dict.fromkeys(ordered))
    added = facts.template_categories.get(template, ())
    category = added[0].removeprefix(category_prefix) if added else ""
    if not category and kind.hint is not None:
        category = kind.hint.category
    if not category:
        common = used.categories.get(template, Counter()).most_common(1)
        category = common[0][0] if common else ""
    called = [template.removeprefix(template_prefix)]
    if kind.hint is not None:
        called += [t for t in kind.hint.templates if t not in called]
    page_type = PageType(
        key=kind.key,
        label=kind.label,
        plural=kind.plural,
        templates=tuple(called),
        category=category,
        fields=specs,
        found=kind.found,
        form=kind.form[0].split(":", 1)[-1] if kind.form else "",
    )
    notes = [f"{kind.key}.{note}" for r in rules.values() for note in r.disagreements]
    return page_type, notes, form_only


def _allowed(prop: Mapping[str, Any], facts: WikiFacts) -> tuple[str, ...]:
    values = tuple(prop.get("values", ()))
    listed = prop.get("values_list")
    return values + tuple(facts.lists.get(listed, ())) if listed else values


def _label(label: object) -> str | None:
    if isinstance(label, str):
        return label
    if isinstance(label, Mapping):
        return str(label.get("fr") or next(iter(label.values()), "")) or None
    return None


# --- the schema as a table and as a profile file -------------------------------------------------
@dataclass(frozen=True)
class FieldUse:
    """One field of one type, as the wiki's pages fill it."""

    type: str
    template: str
    spec: FieldSpec
    filled: int
    pages: int

    @property
    def percent(self) -> float:
        return round(100 * self.filled / self.pages, 1) if self.pages else 0.0


def describe(
    schema: Schema, fills: Mapping[tuple[str, str], tuple[int, int]], template_prefix: str
) -> list[FieldUse]:
    """Every field of every type, with how many of the type's pages fill it: ``fills``
    maps (type, field) to (pages filling it, pages), the gaps' measure (a non-empty value,
    placeholders not counting), so that one fill rate is shown everywhere."""
    rows = []
    for page_type in schema.profile.types:
        template = f"{template_prefix}{page_type.templates[0]}"
        for spec in page_type.fields:
            count, pages = fills.get((page_type.key, spec.name), (0, 0))
            rows.append(FieldUse(page_type.key, template, spec, count, pages))
    return rows


def to_toml(schema: Schema) -> str:
    """The schema as a profile file (``[profile]`` of movisync.toml), each rule commented
    with its source, to pin it."""
    lines = [
        "# The schema movisync found on the wiki (movisync schema --write): keep it in",
        "# movisync.toml to pin it; each rule says where it came from.",
        "[profile]",
    ]
    for page_type in schema.profile.types:
        key = f"profile.types.{page_type.key}"
        lines += ["", f"[{key}]"]
        if page_type.found:
            lines.append(f"# found: {page_type.found}")
        lines += [
            f"label = {_toml(page_type.label)}",
            f"plural = {_toml(page_type.plural)}",
            f"templates = [{', '.join(map(_toml, page_type.templates))}]",
            f"category = {_toml(page_type.category)}",
            f"[{key}.fields]",
        ]
        for spec in page_type.fields:
            options = [f"kind = {_toml(spec.kind)}"]
            if spec.multi:
                options += ["list = true", f"separator = {_toml(spec.separator)}"]
            if spec.required:
                options.append("required = true")
            if spec.recommended:
                options.append("recommended = true")
            if spec.values:
                options.append("values = [" + ", ".join(map(_toml, spec.values)) + "]")
            if spec.pattern:
                options.append(f"pattern = {_toml(spec.pattern)}")
            if spec.label:
                options.append(f"label = {_toml(spec.label)}")
            said = "; ".join(f"{a}: {s}" for a, s in sorted(spec.sources.items()))
            lines.append(f"{_toml(spec.name)} = {{ {', '.join(options)} }}")
            if said:
                lines[-1] += f"  # {said}"
    return "\n".join(lines) + "\n"


def _toml(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
