"""Title and redirect rules, as data files read against the local wiki's own siteinfo."""

from __future__ import annotations

import pytest

from movisync.site import SiteInfo

from .helpers import SITE, cases_of


def cases(name: str) -> list[tuple[str, ...]]:
    return cases_of(name, 2)


@pytest.mark.parametrize(("raw", "expected"), cases("titles.tsv"))
def test_titles_normalise_like_the_wiki(raw: str, expected: str) -> None:
    assert SITE.normalize(raw) == expected


@pytest.mark.parametrize(("text", "expected"), cases("redirects.tsv"))
def test_redirect_targets(text: str, expected: str) -> None:
    assert SITE.redirect_target(text) == (None if expected == "-" else expected)


def test_siteinfo_is_read_from_the_wiki_not_hard_coded() -> None:
    assert SITE.sitename == "Movilab" and SITE.lang == "fr"
    assert SITE.namespace(10).name == "Modèle"
    assert SITE.namespace(100).name == "Portail"
    assert "Image" in SITE.namespace(6).aliases
    assert SITE.content_namespaces() == (0,)
    assert SiteInfo("x", "x").redirect_words == ("#REDIRECT",)
