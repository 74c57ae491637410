"""A wiki's own declarations, read as Page Forms and Semantic MediaWiki read them: the
cases are data (tests/data/schema-cases/, see its README)."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from movisync.declared import (
    allows_list,
    allows_patterns,
    form_field,
    form_tags,
    read_form,
    read_property,
    read_template,
)

from .helpers import DATA, SITE

CASES = DATA / "schema-cases"


def cases(name: str) -> list[dict]:
    return [json.loads(line) for line in (CASES / name).read_text("utf-8").splitlines() if line]


@pytest.mark.parametrize("case", cases("form-tags.jsonl"), ids=lambda c: c["tag"][:40])
def test_form_tags(case) -> None:
    (parts,) = list(form_tags(case["tag"]))
    expect = case["expect"]
    if "for_template" in expect:
        (section,) = read_form(case["tag"]).templates
        assert (section.template, section.multiple) == (expect["for_template"], expect["multiple"])
        return
    got = asdict(form_field(parts))
    got["values"] = list(got["values"]) if got["values"] is not None else None
    assert got == expect


@pytest.mark.parametrize("case", cases("property-pages.jsonl"), ids=lambda c: c["title"])
def test_property_pages(case) -> None:
    declared = read_property(case["text"])
    listed = [
        v for name in (declared.values_list,) if name for v in allows_list(case["lists"][name])
    ]
    kind = {"phone": "telephone"}.get(declared.kind, declared.kind)
    expect = case["expect"]
    assert (kind, [*declared.values, *listed], declared.values_list, declared.pattern) == (
        expect["type"],
        expect["values"],
        expect["values_list"],
        expect["pattern"],
    )


@pytest.mark.parametrize(
    "case", cases("template-annotations.jsonl"), ids=lambda c: c["template"][:40]
)
def test_template_annotations(case) -> None:
    declared = read_template(case["template"], SITE)
    expect = case["expect"]
    assert list(declared.params) == expect["params"]
    assert dict(declared.properties) == expect["properties"]
    assert dict(declared.lists) == expect["lists"]


def test_the_pattern_page_skips_its_first_line() -> None:
    text = "Motifs autorisés\n codepostal|^[0-9]{5}$\n siret|^[0-9]{14}$\nsans barre"
    assert allows_patterns(text) == {"codepostal": "^[0-9]{5}$", "siret": "^[0-9]{14}$"}
