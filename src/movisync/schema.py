"""What templates the wiki really uses, and a profile learned from that. Pure."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from . import kinds
from .profile import Profile
from .templates import Call, Param
from .text import fold

SAMPLES = 3


@dataclass(frozen=True)
class ParamUse:
    name: str
    pages: int
    filled: int
    samples: tuple[str, ...]
    in_profile: bool

    @property
    def fill_percent(self) -> float:
        return round(100 * self.filled / self.pages, 1) if self.pages else 0.0


@dataclass(frozen=True)
class TemplateUse:
    """One template in use: on how many pages, with which parameters."""

    template: str
    pages: int
    type: str | None
    params: tuple[ParamUse, ...]
    unused_fields: tuple[str, ...]
    """Fields the profile declares for this template's type that no page fills."""


def describe(
    calls_by_page: Mapping[str, Iterable[Call]], profile: Profile, template_prefix: str
) -> list[TemplateUse]:
    """Every template used by the pages, most used first."""
    pages: Counter[str] = Counter()
    params: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for calls in calls_by_page.values():
        seen = set()
        for call in calls:
            name = call.template.removeprefix(template_prefix)
            if name not in seen:
                pages[name] += 1
                seen.add(name)
                for param, value in call.values().items():
                    params[name][param].append(value.text)
    type_of = {t: pt for pt in profile.types for t in pt.templates}
    uses = []
    for name, count in pages.most_common():
        page_type = type_of.get(name)
        declared = (
            {n for f in page_type.fields for n in (f.name, *f.aliases)} if page_type else set()
        )
        param_uses = tuple(
            ParamUse(
                name=param,
                pages=len(values),
                filled=sum(1 for v in values if v),
                samples=tuple(dict.fromkeys(v for v in values if v))[:SAMPLES],
                in_profile=param in declared,
            )
            for param, values in sorted(params[name].items(), key=lambda kv: -len(kv[1]))
        )
        used = set(params[name])
        unused = tuple(
            f.name
            for f in (page_type.fields if page_type else ())
            if not ({f.name, *f.aliases} & used)
        )
        uses.append(
            TemplateUse(name, count, page_type.key if page_type else None, param_uses, unused)
        )
    return uses


def guess_kind(values: list[str]) -> tuple[str, tuple[str, ...]]:
    """A field kind (and allowed values, for enums) that fits most of the values."""
    filled = [v for v in values if v]
    if not filled:
        return "text", ()

    guessed = kinds.guess(filled)
    if guessed is not None:
        return guessed, ()
    items = [i.strip() for v in filled for i in v.split(",") if i.strip()]
    distinct = Counter(items)
    if len(filled) >= 5 and len(distinct) <= 12 and len(items) > len(filled):
        return "multi-enum", tuple(sorted(distinct))
    if len(filled) >= 5 and len(distinct) <= 12:
        return "enum", tuple(sorted(distinct))
    if sum(1 for v in filled if "," in v) >= 0.5 * len(filled):
        return "multi", ()
    return "text", ()


def infer_profile(
    calls_by_page: Mapping[str, Iterable[Call]],
    categories_by_page: Mapping[str, Iterable[str]],
    *,
    template_prefix: str,
    category_prefix: str,
    min_pages: int = 3,
) -> str:
    """A profile TOML learned from the pages: each template with parameters, used on at
    least ``min_pages`` pages, becomes a type; a field is required when at least 90 % of
    the pages fill it, recommended from 50 %."""
    by_template: dict[str, list[tuple[str, dict[str, Param]]]] = defaultdict(list)
    for title, calls in calls_by_page.items():
        for call in calls:
            if call.params:
                name = call.template.removeprefix(template_prefix)
                by_template[name].append((title, call.values()))
    lines = [
        "# Learned by `movisync schema --infer`: check every line, then keep it in",
        '# movisync.toml under [profile] with extends = "none".',
        "",
    ]
    for name, uses in sorted(by_template.items(), key=lambda kv: -len(kv[1])):
        if len(uses) < min_pages:
            continue
        key = re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-") or "type"
        categories = Counter(
            c.removeprefix(category_prefix)
            for title, _ in uses
            for c in categories_by_page.get(title, ())
        )
        category = categories.most_common(1)[0][0] if categories else ""
        lines += [
            f"[types.{key}]",
            f"label = {_toml(name)}",
            f"templates = [{_toml(name)}]",
            f"category = {_toml(category)}",
            f"[types.{key}.fields]",
        ]
        params: dict[str, list[str]] = defaultdict(list)
        for _, call_values in uses:
            for param, value in call_values.items():
                params[param].append(value.text)
        for param, texts in sorted(params.items(), key=lambda kv: -len(kv[1])):
            kind, allowed = guess_kind(texts)
            fill = sum(1 for v in texts if v) / len(uses)
            options = [f"kind = {_toml(kind)}"]
            if fill >= 0.9:
                options.append("required = true")
            elif fill >= 0.5:
                options.append("recommended = true")
            if allowed:
                options.append("values = [" + ", ".join(_toml(a) for a in allowed) + "]")
            lines.append(f"{_toml(param)} = {{ {', '.join(options)} }}")
        lines.append("")
    return "\n".join(lines)


def _toml(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
