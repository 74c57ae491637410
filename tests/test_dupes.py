"""Near-duplicates: French normalisation, blocking, evidence, clusters, merges, verdicts."""

from __future__ import annotations

import math
import random
import re
from dataclasses import replace

import pytest

from movisync.dupes import (
    DupeSettings,
    block_keys,
    candidates,
    detect_duplicates,
    features_of,
    normalize_title,
    score,
)
from movisync.kinds import distance_m
from movisync.profile import load_profile
from movisync.records import Value, build_record
from movisync.store import Page
from movisync.workspace import Workspace

from .helpers import DATA, SITE, cases_of, corpus_store

PROFILE = load_profile()
SETTINGS = DupeSettings.from_profile(PROFILE)
SET_UP = (PROFILE, SETTINGS)


@pytest.mark.parametrize(("title", "key"), cases_of("dupe-titles.tsv", 2))
def test_titles_normalise_for_french(title: str, key: str) -> None:
    assert normalize_title(title, SETTINGS).key == key


def place(
    title: str, body: str = "Un lieu.", template: str = "Tiers-lieu", **fields: str
) -> object:
    params = "".join(f"|{k}={v}\n" for k, v in fields.items())
    text = f"{{{{{template}\n{params}}}}}\n{body}"
    page = Page(
        page_id=abs(hash(title)) % 10**9, ns=0, title=title, rev_id=1, timestamp="", text=text
    )
    return build_record(page, PROFILE, SITE, {})


def pair_of(a: object, b: object):  # type: ignore[no-untyped-def]
    return score(features_of(a, PROFILE, SETTINGS), features_of(b, PROFILE, SETTINGS), SETTINGS)


def test_a_title_alone_is_not_enough() -> None:
    assert pair_of(place("Le Bocal"), place("Le Bocal")) is not None  # same type, same title
    assert pair_of(place("Le Bocal", body=""), place("Le Bocal", body="")) is not None  # empty
    free_a = replace(place("Le Bocal"), type=None, typed_by=None, values=())
    free_b = replace(place("Le Bocal"), type=None, typed_by=None, values=())
    assert pair_of(free_a, free_b) is None


def test_evidence_is_named_in_the_reasons() -> None:
    a = place(
        "La Ruche",
        url="https://laruche.example.org",
        location="Albi",
        **{"Coordonnées géo": "43.9289, 2.1464"},
    )
    b = place(
        "La Ruhce",
        url="http://www.laruche.example.org/contact",
        location="Albi, Tarn",
        **{"Coordonnées géo": "43.9291, 2.1466"},
    )
    pair = pair_of(a, b)
    assert pair is not None and pair.score >= 90
    assert "same website host" in pair.reasons and "same town (albi)" in pair.reasons
    assert any(r.startswith("coordinates ") and r.endswith(" m apart") for r in pair.reasons)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("La Fabrique (Lyon)", {}), ("La Fabrique (Rennes)", {})),
        (("Le Hangar", {"location": "Nantes"}), ("Le Hangar", {"location": "Marseille"})),
        (
            ("Le Hangar", {"Coordonnées géo": "47.2, -1.55"}),
            ("Le Hangar", {"Coordonnées géo": "43.3, 5.37"}),
        ),
        (("Rencontres des tiers-lieux 2023", {}), ("Rencontres des tiers-lieux 2024", {})),
        (("La Myne", {}), ("La Myne/2", {})),
        (("La Myne/2", {}), ("La Myne/Historique", {})),
    ],
    ids=["qualifiers", "towns", "coordinates", "years", "subpage", "siblings"],
)
def test_hard_negatives_are_never_pairs(a, b) -> None:
    assert pair_of(place(a[0], **a[1]), place(b[0], **b[1])) is None


def test_names_that_differ_in_a_word_are_two_places_but_typos_are_one() -> None:
    for a, b in (
        ("Coworking La Grange", "Coworking Le Garage"),
        ("Fablab Le Bocal", "Fablab Le Local"),
    ):
        assert pair_of(place(a), place(b)) is None
    for a, b in (
        ("Coworking La Grange", "Coworking La Grnage"),
        ("Fablab Le Bocal", "Fablab Le Bocall"),
    ):
        assert pair_of(place(a), place(b)) is not None


def event(title: str, **fields: str) -> object:
    dated = {"Lieu": "La Remise, Die", "Début de l'évènement": "2024-06-01", **fields}
    return place(title, template="Evenement", **dated)


def test_one_event_under_two_names_needs_alike_names_or_one_contact() -> None:
    assert pair_of(event("Nuit blanche des fablabs"), event("Nuit des fablabs")) is not None
    assert (
        pair_of(event("Fête des semences"), event("Atelier vélo")) is None
    )  # same day, same venue
    mail = {"Contact": "contact@remise.example.org"}
    assert pair_of(event("Fête des semences", **mail), event("Troc de graines", **mail)) is not None


def text(seed: int, words: int = 80) -> str:
    """A body of made-up words, different for each seed."""
    return " ".join(f"mot{seed}x{i}" for i in range(words)) + "."


def free(title: str, body: str) -> object:
    return replace(place(title, body=body), type=None, typed_by=None, values=())


def test_a_copied_text_outweighs_the_qualifiers_but_not_the_years() -> None:
    copy = text(7)
    assert pair_of(free("Portrait : Anne Roux (ferme urbaine)", copy), free("Journal (juin)", copy))
    assert pair_of(free("Fête (2023)", copy), free("Fête (2024)", copy)) is None  # yearly editions
    assert pair_of(free("Portrait (ferme urbaine)", text(8)), free("Journal (juin)", copy)) is None


def test_pages_meet_on_their_rarest_text_not_on_boilerplate() -> None:
    boilerplate = text(0)  # the start of every page: its hashes are everywhere
    bodies = [f"{boilerplate} {text(n)}" for n in range(1, 120)]
    bodies += [f"{boilerplate} {text(999)}", f"{boilerplate} {text(999)} {text(1000, 8)}"]
    items = [
        features_of(replace(place(f"Page {n}", body=b), type=None), PROFILE, SETTINGS)
        for n, b in enumerate(bodies)
    ]
    found = set(candidates(items))
    assert (len(bodies) - 2, len(bodies) - 1) in found  # the copy, found by its own text
    assert len(found) < 10  # not every page sharing the boilerplate


@pytest.mark.parametrize("seed", range(50))
def test_coordinates_300_m_apart_always_meet(seed: int) -> None:
    rng = random.Random(seed)
    lat, lon = rng.uniform(41.3, 51.1), rng.uniform(-5.2, 9.6)  # France and Corsica
    bearing, degrees = rng.uniform(0, 2 * math.pi), 299 / 111_195  # 299 m along a meridian
    other = (
        lat + degrees * math.cos(bearing),
        lon + degrees * math.sin(bearing) / math.cos(math.radians(lat)),
    )
    a, b = (
        features_of(
            place(f"Lieu {n}", **{"Coordonnées géo": f"{x:.6f}, {y:.6f}"}), PROFILE, SETTINGS
        )
        for n, (x, y) in enumerate(((lat, lon), other))
    )
    assert a.coordinates and b.coordinates and distance_m(a.coordinates, b.coordinates) <= 300
    assert {k for k in block_keys(a) & block_keys(b) if k.startswith("geo:")}


def test_a_typo_in_common_words_meets_on_the_rest_of_the_title() -> None:
    titles = [
        "Bourse aux plantes des tiers-lieux en Occitanie 2024",
        "Bourse aux plnates des tiers-lieux en Occitanie 2024",
        *(f"Bourse aux plantes de Ville{i}" for i in range(60)),  # every word is common
        *(f"Troc des tiers-lieux en Occitanie {1950 + i}" for i in range(60)),
        *(f"Forum Ville{i} 2024" for i in range(60)),
    ]
    items = [features_of(place(t), PROFILE, SETTINGS) for t in titles]
    assert (0, 1) in set(candidates(items))
    assert detect_duplicates([place(t) for t in titles[:2]], PROFILE).pairs


def test_blocking_finds_typos_and_glued_names_without_comparing_all_pairs() -> None:
    titles = [
        "La Ressourcerie du Plateau",
        "La Ressourcerie du Platau",
        "La Myne",
        "LaMyne",
        *(f"Lieu numéro {i} de Montreuil" for i in range(200)),
    ]
    items = [features_of(place(t), PROFILE, SETTINGS) for t in titles]
    found = set(candidates(items))
    assert (0, 1) in found and (2, 3) in found
    assert len(found) < len(titles) * (len(titles) - 1) // 2 / 10


def test_clusters_merges_and_rejected_pairs() -> None:
    records = [
        place("Le Bocal", url="https://bocal.example.org", Theme="Gestion", location="Pau"),
        place(
            "Le  Bocal",
            url="https://bocal.example.org",
            Theme="Animation",
            location="Pau",
            referent="Lou",
        ),
        place("Le Bocal ", url="https://bocal.example.org", location="Pau"),
        place("Un autre lieu", location="Pau"),
    ]
    records[2] = replace(records[2], title="Bocal (Le)")
    report = detect_duplicates(records, PROFILE)
    assert [c.pages for c in report.clusters] == [("Bocal (Le)", "Le  Bocal", "Le Bocal")]
    merge = next(m for m in report.merges if {m.a, m.b} == {"Le Bocal", "Le  Bocal"})
    fields = {f.field: f for f in merge.fields}
    assert set(fields["Theme"].keep.split(", ")) == {"Gestion", "Animation"}
    assert not fields["Theme"].conflict
    assert fields["referent"].keep == "Lou"
    assert fields["url"].keep == "https://bocal.example.org"
    rejected = detect_duplicates(records, PROFILE, rejected=[("Le Bocal", "Le  Bocal")])
    assert len(rejected.pairs) == len(report.pairs) - 1


def test_conflicting_values_are_left_to_a_human() -> None:
    a = place("La Forge", shortDescription="Un atelier.", location="Agen")
    b = place("La Forge ", shortDescription="Une forge associative.", location="Agen")
    merge = detect_duplicates([a, b], PROFILE).merges[0]
    conflict = next(f for f in merge.fields if f.field == "shortDescription")
    assert conflict.conflict and conflict.keep is None


def test_values_stay_values() -> None:
    assert Value("x", "y").items == ()


def labelled_pairs() -> dict[tuple[str, str], tuple[str, str]]:
    """(a, b) in order to (label, variant): the near-duplicate set's pairs and the
    corpus README's planted pairs and hard negatives."""
    labels = {}
    for a, b, label, variant in cases_of("dupes/pairs.tsv", 4):
        labels[tuple(sorted((a, b)))] = (label, variant)
    readme = (DATA / "corpus" / "README.md").read_text(encoding="utf-8")
    dups = readme.split("## Planted near-duplicate pairs")[1].split("## Hard negatives")[0]
    nots = readme.split("## Hard negatives")[1].split("Redirect pairs")[0]
    for section, label in ((dups, "dup"), (nots, "not")):
        for a, b, variant in re.findall(r"- `([^`]+)` \| `([^`]+)` \| (\w+)", section):
            labels[tuple(sorted((a, b)))] = (label, variant)
    return labels  # type: ignore[return-value]


def test_precision_and_recall_on_the_labelled_set(tmp_path) -> None:
    labels = labelled_pairs()
    with corpus_store(tmp_path / "s.sqlite", with_dupes=True) as store:
        report = Workspace(store, profile=PROFILE).duplicates()
    found = {(p.a, p.b) for p in report.pairs}
    true = {pair for pair, (label, _) in labels.items() if label == "dup"}
    assert len(true) >= 60 and len(labels) - len(true) >= 40
    hits = found & true
    precision = len(hits) / len(found)  # every reported pair counts, labelled or not
    recall = len(hits) / len(true)
    missed = sorted(labels[p][1] for p in true - found)
    print(
        f"\nnear-duplicates: {len(true)} true pairs, {len(labels) - len(true)} hard negatives, "
        f"{report.pages} pages, {report.candidates} candidates scored: precision "
        f"{precision:.3f}, recall {recall:.3f}; missed: {missed}"
    )
    assert precision >= 0.9 and recall >= 0.9
    assert {v for p, (label, v) in labels.items() if label == "not" and p in found} == set()
