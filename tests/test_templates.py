"""Template calls read with the wiki's rules, as data (tests/data/template-calls.tsv)."""

from __future__ import annotations

import contextlib
import json

import mwparserfromhell
import pytest

from movisync.templates import parse, value_text

from .helpers import SITE, cases_of, corpus_pages, dupe_pages

REDIRECTS = {"Modèle:Tiers lieu": "Modèle:Tiers-lieu", "Modèle:Evènement": "Modèle:Evenement"}


@pytest.mark.parametrize(
    ("text", "template", "params", "repeated"), cases_of("template-calls.tsv", 4)
)
def test_template_calls(text: str, template: str, params: str, repeated: str) -> None:
    calls = parse(text, SITE, redirects=REDIRECTS).calls
    if template == "-":
        assert calls == ()
        return
    assert [c.template for c in calls] == [template]
    assert {n: p.text for n, p in calls[0].values().items()} == json.loads(params)
    assert calls[0].repeated() == (() if repeated == "-" else tuple(repeated.split(",")))


def test_links_and_categories_follow_the_wikis_namespaces() -> None:
    parsed = parse(
        "[[La Myne|myne]] [[:Catégorie:Commun]] [[Catégorie:Tiers-lieu]] [[Category:Lyon]] "
        "[[Fichier:Logo.png|vignette]] [[Image:Plan.png]] [[#Histoire]] [[la_Myne/2#Haut]] "
        "[[Portail:Fabrication]]",
        SITE,
    )
    assert parsed.links == ("La Myne", "Catégorie:Commun", "La Myne/2", "Portail:Fabrication")
    assert parsed.categories == ("Catégorie:Tiers-lieu", "Catégorie:Lyon")


def test_plain_text_drops_templates_banners_comments_and_categories() -> None:
    parsed = parse(
        "{{Guide pratique}}\n'''Un guide''' pour [[La Myne|la Myne]].<!-- note -->\n"
        "[[Catégorie:Guide pratique]]\n{{Soutenir Movilab}}",
        SITE,
    )
    assert parsed.body == "Un guide pour la Myne."


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("La <!-- c --> Fabrique\n", "La Fabrique"),
        ("[[La Myne|myne]]", "myne"),
        ("[https://x.example.org]", "https://x.example.org"),
        ("'''gras'''", "gras"),
        ("<!-- rien -->", ""),
        ("Fabrication, <!-- E ? -->Animation", "Fabrication, Animation"),
    ],
)
def test_values_as_text(raw: str, text: str) -> None:
    assert value_text(raw, SITE) == text


# --- the token walk against mwparserfromhell's parse tree --------------------------------
def tree_value(raw: str) -> str:
    code = mwparserfromhell.parse(raw)
    for comment in code.filter_comments(recursive=True):
        with contextlib.suppress(ValueError):
            code.remove(comment)
    for link in code.filter_external_links(recursive=True):
        if link.title is None or not str(link.title).strip():
            code.replace(link, str(link.url))
    return " ".join(code.strip_code(normalize=True, collapse=True).split())


def tree_reading(text: str) -> tuple[list[tuple[str, list[tuple[str, str]]]], set[str], str]:
    """What the parse tree says (the reference the token walk must match): calls with
    their values' text, links, and the plain text (templates, comments, categories,
    files and top-level notes removed, then mwparserfromhell's strip_code)."""
    code = mwparserfromhell.parse(text)
    calls = []
    for node in code.filter_templates(recursive=True):
        title = SITE.template_title(str(node.name))
        if title is not None:
            params = [(str(p.name).strip(), tree_value(str(p.value))) for p in node.params]
            calls.append((title, params))
    links = set()
    for link in code.filter_wikilinks(recursive=True):
        target = str(link.title).strip()
        if target and not target.startswith("#") and "{" not in target:
            ns_id, _ = SITE.split_title(target.lstrip(":"))
            if ns_id not in (6, 14) or target.startswith(":"):
                links.add(SITE.normalize(target.lstrip(":").split("#", 1)[0]))
    for node in [*code.filter_templates(recursive=False), *code.filter_comments(recursive=False)]:
        with contextlib.suppress(ValueError):
            code.remove(node)
    for link in code.filter_wikilinks(recursive=True):
        target = str(link.title).strip()
        if not target.startswith(":") and SITE.split_title(target)[0] in (6, 14):
            with contextlib.suppress(ValueError):
                code.remove(link)
    for tag in code.filter_tags(recursive=False):
        if str(tag.tag).lower() in {"ref", "references", "gallery", "nowiki", "pre", "math"}:
            with contextlib.suppress(ValueError):
                code.remove(tag)
    body = " ".join(code.strip_code(normalize=True, collapse=True).split())
    return calls, links, body


TRAPS = [
    "{{X|a=<b>gras</b>|b=[[L|t]]|c=[http://x.org]|d=[http://y.org titre]|e=&eacute;&#233;"
    "&#xE9;&bogus;|f={{{arg|déf}}}}}",
    '<ref>{{Cite|url=http://z.org}}</ref> texte <div style="{{Couleur}}">div</div> '
    "<nowiki>{{pas}}</nowiki>",
    "== Titre {{X}} ==\n* liste [[Catégorie:A]] [[:Catégorie:B|b]] [[Fichier:F.png|vignette|x]]",
    "{{Tiers-lieu<!-- c -->|x=1}} {{Tiers-lieu|Titre<!--x-->=La}} {{Tiers-lieu|1|2|3=trois|4}}",
    "[[{{PAGENAME}}/sous|label]] [[#ancre]] <gallery>\nA.png|[[Lien]]\n</gallery> <pre>{{T}}</pre>",
    "''italique [[Lien|texte]]'' '''gras''' <span>x<span>y</span></span> <references/> <br/>",
    "[https://a.org/x {{X}} titre] http://bare.example.org/y {{#if:{{{a|}}}|[[Oui]]|non}}",
]


def test_the_token_walk_reads_pages_as_the_parse_tree_does() -> None:
    for text in [*corpus_pages().values(), *dupe_pages().values(), *TRAPS]:
        parsed = parse(text, SITE)
        calls = [(c.template, [(p.name, p.text) for p in c.params]) for c in parsed.calls]
        assert (calls, set(parsed.links), parsed.body) == tree_reading(text), text[:200]
