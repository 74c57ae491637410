"""What a wiki declares about its own pages: Page Forms forms, Semantic MediaWiki property
pages and their lists, and what its templates say about their parameters. Pure.

The extensions need not be installed to read these: their pages are wikitext. The rules
below are the extensions' own (Page Forms ``PFFormField``, ``PFTemplateParams``,
``PFArrayMap``; Semantic MediaWiki's property annotations and its ``i18n/extra`` labels,
French and English).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from .site import SiteInfo
from .templates import parse

# --- Page Forms ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormField:
    """``{{{field|name|option|key=value…}}}`` of a form. ``values`` None: none given, or
    given by a template call (unknown). Page Forms rule: option names are case-sensitive;
    ``values=`` is split on the field's delimiter (``,`` unless ``delimiter=``)."""

    name: str
    mandatory: bool = False
    values: tuple[str, ...] | None = None
    values_from_property: str | None = None
    values_from_category: str | None = None
    list: bool = False
    delimiter: str = ","
    input_type: str | None = None
    default: str | None = None
    property: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class FormTemplate:
    """One ``{{{for template|T}}}`` section of a form and the fields it fills."""

    template: str
    multiple: bool
    fields: tuple[FormField, ...] = ()


@dataclass(frozen=True)
class Form:
    templates: tuple[FormTemplate, ...] = ()

    @property
    def main(self) -> FormTemplate | None:
        """The template the form is first about (its first section that is not
        ``multiple``): what defines a page type."""
        return next((t for t in self.templates if not t.multiple), None)


def form_tags(text: str) -> Iterator[list[str]]:
    """Each ``{{{…}}}`` tag of a form as its components. Page Forms rule: a tag is split
    on ``|`` outside braces (it counts single braces), components trimmed."""
    start = text.find("{{{")
    while start != -1:
        depth, i, parts, begin = 0, start + 3, [], start + 3
        while i < len(text):
            char = text[i]
            if char == "{":
                depth += 1
            elif char == "}":
                if depth == 0 and text.startswith("}}}", i):
                    break
                depth = max(0, depth - 1)
            elif char == "|" and depth == 0:
                parts.append(text[begin:i].strip())
                begin = i + 1
            i += 1
        else:
            return
        parts.append(text[begin:i].strip())
        yield parts
        start = text.find("{{{", i + 3)


def form_field(parts: list[str]) -> FormField:
    """A form field from its tag's components (``parts[0]`` is ``field``)."""
    options: dict[str, str | None] = {}
    for part in parts[2:]:
        key, equals, value = part.partition("=")
        options[key.strip()] = value.strip() if equals else None
    delimiter = options.get("delimiter") or ","
    values: tuple[str, ...] | None = None
    given = options.get("values")
    if given is not None and "{{" not in given:
        values = tuple(v.strip() for v in given.split(delimiter) if v.strip())
    category = options.get("values from category")
    return FormField(
        name=parts[1] if len(parts) > 1 else "",
        mandatory="mandatory" in options,
        values=values,
        values_from_property=options.get("values from property") or None,
        values_from_category=(category[:1].upper() + category[1:]) if category else None,
        list="list" in options,
        delimiter=delimiter,
        input_type=options.get("input type") or None,
        default=options.get("default"),
        property=options.get("property") or None,
        label=options.get("label") or None,
    )


def read_form(text: str) -> Form:
    """A form page's sections and fields: what its definition (the text it transcludes)
    says, with or without ``<includeonly>``."""
    sections: list[FormTemplate] = []
    current: FormTemplate | None = None
    fields: list[FormField] = []
    for parts in form_tags(transcluded(text)):
        kind = parts[0]
        if kind == "for template" and len(parts) > 1:
            if current is not None:
                sections.append(FormTemplate(current.template, current.multiple, tuple(fields)))
            current, fields = FormTemplate(parts[1], "multiple" in parts[2:]), []
        elif kind == "end template" and current is not None:
            sections.append(FormTemplate(current.template, current.multiple, tuple(fields)))
            current, fields = None, []
        elif kind == "field" and current is not None and len(parts) > 1:
            fields.append(form_field(parts))
    if current is not None:
        sections.append(FormTemplate(current.template, current.multiple, tuple(fields)))
    return Form(tuple(sections))


# --- Semantic MediaWiki -----------------------------------------------------------------------
# SMW's own labels (i18n/extra/en.json, fr.json): special properties and datatypes.
TYPE_LABELS = frozenset({"has type", "a le type"})
VALUE_LABELS = frozenset({"allows value", "valeur possible"})
LIST_LABELS = frozenset({"allows value list", "has allows value list"})
PATTERN_LABELS = frozenset({"allows pattern", "has allows pattern"})
DATATYPES = {
    # English labels and aliases
    "page": "page",
    "text": "text",
    "string": "text",
    "enumeration": "text",
    "code": "text",
    "keyword": "text",
    "monolingual text": "text",
    "external identifier": "text",
    "record": "text",
    "reference": "text",
    "quantity": "text",  # a number with its unit
    "temperature": "text",
    "boolean": "boolean",
    "number": "number",
    "float": "number",
    "integer": "number",
    "geographic coordinates": "coordinates",
    "geographic coordinate": "coordinates",
    "date": "date",
    "email": "email",
    "e-mail": "email",
    "url": "url",
    "uri": "url",
    "annotation uri": "url",
    "telephone number": "phone",
    "phone number": "phone",
    # French labels and aliases
    "texte": "text",
    "chaîne de caractères": "text",
    "énumeration": "text",
    "enregistrement": "text",
    "quantité": "text",
    "température": "text",
    "booléen": "boolean",
    "nombre": "number",
    "nombre entier": "number",
    "nombre décimal": "number",
    "coordonnées géographiques": "coordinates",
    "adresse électronique": "email",
    "annotation-uri": "url",
    "numéro de téléphone": "phone",
}
"""SMW datatype names (labels and aliases, English and French) to movisync field kinds."""
INCLUDEONLY = re.compile(r"<includeonly>.*?(?:</includeonly>|$)", re.DOTALL | re.IGNORECASE)
NOINCLUDE = re.compile(r"<noinclude>.*?(?:</noinclude>|$)", re.DOTALL | re.IGNORECASE)
ONLYINCLUDE = re.compile(r"<onlyinclude>(.*?)(?:</onlyinclude>|$)", re.DOTALL | re.IGNORECASE)
HIDDEN = re.compile(r"<!--.*?(?:-->|$)|<nowiki>.*?(?:</nowiki>|$)", re.DOTALL | re.IGNORECASE)
ANNOTATION = re.compile(r"\[\[([^\[\]|:]+?)::([^\[\]|]*)(?:\|[^\[\]]*)?\]\]")


def transcluded(text: str) -> str:
    """What another page gets when it includes this one: MediaWiki rule, only the
    ``<onlyinclude>`` parts when there are some, else everything but ``<noinclude>``."""
    parts = ONLYINCLUDE.findall(text)
    return "".join(parts) if parts else NOINCLUDE.sub("", text)


@dataclass(frozen=True)
class Property:
    """What a property page declares. SMW rule: a property with no declared type is of
    type Page; what counts is what the page itself stores (``<noinclude>`` counts,
    ``<includeonly>``, comments and ``<nowiki>`` do not)."""

    kind: str = "page"
    values: tuple[str, ...] = ()
    values_list: str | None = None
    pattern: str | None = None


def _label(name: str) -> str:
    """Special property names compare case-insensitively on the first letter; we fold
    case for the whole label, as no two labels differ by case alone."""
    return " ".join(name.split()).casefold()


def read_property(text: str) -> Property:
    kind, values, values_list, pattern = "page", [], None, None
    stored = HIDDEN.sub("", INCLUDEONLY.sub("", text))
    for label, value in ANNOTATION.findall(stored):
        name, said = _label(label), value.strip()
        if name in TYPE_LABELS:
            kind = DATATYPES.get(said.casefold(), kind)
        elif name in VALUE_LABELS and said:
            values.append(said)
        elif name in LIST_LABELS and said:
            values_list = said
        elif name in PATTERN_LABELS and said:
            pattern = said
    return Property(kind, tuple(values), values_list, pattern)


def allows_list(text: str) -> tuple[str, ...]:
    """The items of a ``MediaWiki:Smw allows list <name>`` page: SMW keeps the lines with
    a ``*``, the marker removed."""
    return tuple(
        item
        for line in text.splitlines()
        if line.lstrip().startswith("*") and (item := line.strip().lstrip("*").strip())
    )


def allows_patterns(text: str) -> dict[str, str]:
    """The patterns of ``MediaWiki:Smw allows pattern``: SMW skips the first line, then
    reads `` reference|regular expression`` a line."""
    patterns = {}
    for line in text.splitlines()[1:]:
        name, bar, regex = line.partition("|")
        if bar and name.strip() and regex.strip():
            patterns[name.strip()] = regex.strip()
    return patterns


# --- templates -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TemplateDeclaration:
    """What a template page says about its parameters: those it uses (outside
    ``<noinclude>``, then those ``#template_params`` names), the property each one is
    stored in, and the delimiter of those stored as lists."""

    params: tuple[str, ...] = ()
    properties: Mapping[str, str] = field(default_factory=dict)
    lists: Mapping[str, str] = field(default_factory=dict)


ARGUMENT = re.compile(r"^\{\{\{\s*([^{}|]+?)\s*(?:\|.*)?\}\}\}$", re.DOTALL)


def _argument(raw: str) -> str | None:
    """The parameter a value is, when it is exactly ``{{{name}}}`` or ``{{{name|…}}}``."""
    found = ARGUMENT.match(raw.strip())
    return found.group(1) if found else None


def _delimiter(raw: str) -> str:
    """``#arraymap`` rule: the delimiter is trimmed; ``\\n`` and ``\\s`` stand for a
    newline and a space."""
    return raw.strip().replace("\\n", "\n").replace("\\s", " ") or ","


def read_template(text: str, site: SiteInfo) -> TemplateDeclaration:
    used = parse(transcluded(text), site, functions=True)
    params = dict.fromkeys(used.arguments)
    properties: dict[str, str] = {}
    lists: dict[str, str] = {}
    for prop, value in used.annotations:
        if (param := _argument(value)) is not None:
            properties.setdefault(param, prop)
    for function in used.functions:
        args = dict(function.params)
        if function.name == "#arraymap" and (param := _argument(function.head)) is not None:
            lists.setdefault(param, _delimiter(args.get("1", ",")))
            variable, formula = args.get("2", "").strip(), args.get("3", "")
            mapped = re.search(
                rf"\[\[([^\[\]|:]+?)::\s*{re.escape(variable)}\s*(?:\|[^\]]*)?\]\]"
                rf"|#set:\s*([^=|]+?)\s*=\s*{re.escape(variable)}\s*(?:\||}}}})",
                formula,
            )
            if variable and mapped:
                properties.setdefault(param, (mapped.group(1) or mapped.group(2)).strip())
        elif function.name == "#set":
            assignments = [function.head, *(f"{k}={v}" for k, v in function.params)]
            last = None
            for assignment in assignments:
                prop, _, value = assignment.partition("=")
                if prop.strip() == "+sep" and last is not None:
                    lists.setdefault(last, _delimiter(value))
                elif (param := _argument(value)) is not None:
                    properties.setdefault(param, prop.strip())
                    last = param
                else:
                    last = None
    for name, options in template_params(text, site).items():
        params.setdefault(name, None)
        if "property" in options:
            properties.setdefault(name, options["property"])
        if "list" in options:
            lists.setdefault(name, options.get("delimiter") or ",")
    return TemplateDeclaration(tuple(params), properties, lists)


def template_params(text: str, site: SiteInfo) -> dict[str, dict[str, str]]:
    """``{{#template_params:Name (label=…;property=…)|Other (list;delimiter=/)|…}}``
    (Page Forms puts it in the template's ``<noinclude>``): each name's options."""
    declared: dict[str, dict[str, str]] = {}
    for function in parse(text, site, functions=True).functions:
        if function.name != "#template_params":
            continue
        for part in [
            function.head,
            *(v if k.isdigit() else f"{k}={v}" for k, v in function.params),
        ]:
            name, _, rest = part.strip().partition("(")
            if not name.strip():
                continue
            options = {}
            for option in rest.rstrip().removesuffix(")").split(";"):
                key, _, value = option.partition("=")
                if key.strip():
                    options[key.strip()] = value.strip()
            declared[name.strip()] = options
    return declared
