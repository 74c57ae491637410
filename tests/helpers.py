"""Shared test helpers: the local wiki's siteinfo, data files, the corpora as stores."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from movisync.gaps import GapReport
from movisync.site import SiteInfo, from_api
from movisync.store import Page, Store

from .corpusfile import read_corpus

DATA = Path(__file__).parent / "data"
SITE: SiteInfo = from_api(
    json.loads((DATA / "siteinfo-fr.json").read_text(encoding="utf-8"))["query"]
)
STAMP = "2026-11-01T00:00:00Z"
# The main page MediaWiki's installer creates (external links only, no category): the
# live wiki has it, so the offline store has one like it.
ACCUEIL = (
    "<strong>Le wiki est installé.</strong>\n\nLe [https://www.mediawiki.org/wiki/Help:Contents "
    "guide de l'utilisateur] explique comment se servir de ce logiciel de wiki.\n\n"
    "== Pour démarrer ==\n* [https://www.mediawiki.org/wiki/Manual:FAQ Questions courantes]\n"
    "* [https://www.mediawiki.org/wiki/Localisation Adapter le wiki à votre langue]"
)


def cases_of(name: str, columns: int) -> list[tuple[str, ...]]:
    """Rows of a tab-separated data file (``# `` lines are comments; ``\\n`` in the first
    column is a newline)."""
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("# "):
            cells = line.split("\t")
            assert len(cells) == columns, line
            rows.append((cells[0].replace("\\n", "\n"), *cells[1:]))
    return rows


def page(title: str, text: str, page_id: int = 1, rev: int = 1, ns: int = 0, **extra) -> Page:
    """A page of the main namespace (or of ``ns``)."""
    return Page(page_id, ns, title, rev, STAMP, text, **extra)


@cache
def corpus_pages() -> dict[str, str]:
    """The sample corpus: title (as written) to wikitext."""
    return dict(read_corpus(DATA / "corpus"))


@cache
def dupe_pages() -> dict[str, str]:
    """The near-duplicate set's pages (tests/data/dupes/)."""
    return dict(read_corpus(DATA / "dupes"))


@cache
def smw_pages() -> dict[str, str]:
    """The Semantic MediaWiki + Page Forms corpus (tests/data/smw-corpus/)."""
    return dict(read_corpus(DATA / "smw-corpus"))


def corpus_store(
    path: Path,
    *,
    with_dupes: bool = False,
    accueil: bool = False,
    pages: dict[str, str] | None = None,
) -> Store:
    """A store holding the corpus' pages of every namespace (or ``pages``; and the
    near-duplicate set's, if asked; and the installer's main page, if asked), without a
    wiki: links and categories come from the wikitext, as for a dump."""
    store = Store(path)
    store.bind(api=None, wiki_id="movilab")
    store.save_site(SITE)
    everything = {**(corpus_pages() if pages is None else pages)}
    everything.update(dupe_pages() if with_dupes else {})
    if accueil:
        everything["Accueil"] = ACCUEIL
    made = [
        Page(
            page_id=i + 1,
            ns=SITE.split_title(title)[0],
            title=SITE.normalize(title),
            rev_id=1,
            timestamp=STAMP,
            text=text,
            redirect=SITE.redirect_target(text),
        )
        for i, (title, text) in enumerate(everything.items())
    ]
    with store.transaction():
        store.apply(made)
        store.set_state("namespaces", sorted({p.ns for p in made}))
    return store


def expected_gaps(name: str = "expected-gaps.tsv") -> set[tuple[str, str, str]]:
    """Hand-labelled gaps: (page, kind, field or "-")."""
    return {(p, k, f) for p, k, f in cases_of(name, 3)}


def found_gaps(report: GapReport) -> set[tuple[str, str, str]]:
    """A report's gaps as (page, kind, field or "-"): their identities."""
    return {(g.page, str(g.kind), g.field or "-") for g in report.gaps}


# The sample corpus as a wiki that names things its own way: every page template, the stub
# banner and every type category renamed (what a new user meets on an unknown wiki).
RENAMED = {
    "Modèle:Tiers-lieu": "Modèle:Fiche Lieu",
    "Modèle:Tiers lieu": "Modèle:Fiche lieu (ancien nom)",
    "Modèle:Commun": "Modèle:Ressource partagée",
    "Modèle:Document": "Modèle:Fiche pratique",
    "Modèle:Projet": "Modèle:Initiative",
    "Modèle:Evenement": "Modèle:Rencontre",
    "Modèle:Evènement": "Modèle:Rencontre (ancien nom)",
    "Modèle:Ébauche": "Modèle:Page à compléter",
    "Catégorie:Tiers-lieu": "Catégorie:Lieux",
    "Catégorie:Commun": "Catégorie:Ressources partagées",
    "Catégorie:Document": "Catégorie:Fiches pratiques",
    "Catégorie:Projet": "Catégorie:Initiatives",
    "Catégorie:Événement": "Catégorie:Rencontres",
    "Catégorie:Ébauche": "Catégorie:Pages à compléter",
}
_CALL = re.compile(
    r"\{\{(\s*)((?:subst:)?\s*(?:[Mm]odèle|[Tt]emplate)?\s*:?\s*)?([^|{}\n]+?)(\s*)(?=[|}\n])"
)
_LINK = re.compile(r"\[\[(\s*:?\s*)((?:Catégorie|Category|Modèle|Template)\s*:[^|\]]+)")


def renamed_corpus() -> dict[str, str]:
    """The sample corpus with the names of RENAMED changed everywhere: page titles,
    template calls (whatever their spelling), links and category tags."""
    template = SITE.namespace(10).name

    def call(found: re.Match[str]) -> str:
        space, prefix, name, after = found.groups()
        title = SITE.template_title(
            f"{(prefix or '').strip()}{name}" if prefix and ":" in prefix else name
        )
        if title not in RENAMED or (prefix or "").strip().startswith("subst"):
            return found.group(0)
        return "{{" + space + RENAMED[title].removeprefix(f"{template}:") + after

    def link(found: re.Match[str]) -> str:
        lead, target = found.groups()
        title = SITE.normalize(target.split("#")[0])
        return f"[[{lead}{RENAMED.get(title, target)}" if title in RENAMED else found.group(0)

    pages = {}
    for title, text in corpus_pages().items():
        text = _LINK.sub(link, _CALL.sub(call, text))
        pages[RENAMED.get(SITE.normalize(title), title)] = text
    return pages
