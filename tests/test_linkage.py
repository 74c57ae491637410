"""The Fellegi–Sunter model: EM finds m and the matches with no labels, u comes from
random pairs, labels keep their class, frequencies temper common values."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import pytest

from movisync.linkage import (
    NULL,
    Comparison,
    Labels,
    Session,
    Vector,
    estimate_u,
    learn,
    probability,
)

COMPARISONS = (
    Comparison("name", ("same", "close", "different"), frequencies=True),
    Comparison("town", ("same", "different")),
    Comparison("phone", ("same", "different")),
)
TRUE_M = ((0.8, 0.15, 0.05), (0.9, 0.1), (0.7, 0.3))
TRUE_U = ((0.001, 0.01, 0.989), (0.02, 0.98), (0.0005, 0.9995))
SESSIONS = (
    Session("same name", lambda v: v[0] == 0, frozenset({0})),
    Session("same phone", lambda v: v[2] == 0, frozenset({2})),
)


def draw(rng: random.Random, params: tuple[tuple[float, ...], ...], missing: float) -> Vector:
    levels = tuple(
        NULL if rng.random() < missing else rng.choices(range(len(row)), row)[0] for row in params
    )
    return Vector(levels, ("",) * len(levels))


def blocked(v: Vector) -> bool:
    """Blocking: pairs whose names are close or whose phones agree meet."""
    return v.levels[0] in (0, 1) or v.levels[2] == 0


def world(seed: int = 1, pages: int = 700, matches: int = 250):
    """Every pair of a wiki of ``pages`` drawn from the true model, kept as blocking
    would keep them; random pairs drawn from all the pairs. Returns the candidates
    (matches first, the ones blocking keeps), the random pairs, all pairs and the
    matches among the candidates."""
    rng = random.Random(seed)
    all_pairs = pages * (pages - 1) // 2
    true = [v for v in (draw(rng, TRUE_M, 0.1) for _ in range(matches)) if blocked(v)]
    others = [v for v in (draw(rng, TRUE_U, 0.1) for _ in range(all_pairs - matches)) if blocked(v)]
    random_pairs = [draw(rng, TRUE_U, 0.1) for _ in range(20_000)]
    return true + others, random_pairs, all_pairs, len(true)


def test_em_finds_m_and_the_number_of_matches_without_labels() -> None:
    candidates, random_pairs, all_pairs, matches = world()
    model = learn(COMPARISONS, candidates, random_pairs, all_pairs=all_pairs, sessions=SESSIONS)
    assert model.matches == pytest.approx(matches, rel=0.2)
    for k in range(len(COMPARISONS)):
        assert model.m[k][0] == pytest.approx(TRUE_M[k][0], abs=0.15)
    assert model.u[1][0] == pytest.approx(TRUE_U[1][0], rel=0.3)
    found = [model.probability(v) >= 0.5 for v in candidates]
    hits = sum(found[:matches])
    assert hits / matches >= 0.8 and hits / max(sum(found), 1) >= 0.8


def test_u_is_measured_on_random_pairs_and_never_zero() -> None:
    pairs = [Vector((0, 1)), Vector((1, 1)), Vector((1, NULL))]
    u = estimate_u(COMPARISONS[:2], pairs)
    assert u[0] == pytest.approx((1 / 3.5, 2 / 3.5, 0.5 / 3.5))
    assert u[1] == pytest.approx((0.5 / 2.5, 2 / 2.5))


def test_labels_keep_their_class_and_teach_the_model() -> None:
    candidates, random_pairs, all_pairs, _ = world(seed=2)
    plain = learn(COMPARISONS, candidates, random_pairs, all_pairs=all_pairs, sessions=SESSIONS)
    # humans say that every candidate agreeing on the name but not the town is two things
    said = frozenset(i for i, v in enumerate(candidates) if v.levels[:2] == (0, 1))
    taught = learn(
        COMPARISONS,
        candidates,
        random_pairs,
        all_pairs=all_pairs,
        sessions=SESSIONS,
        labels=Labels(non_matches=said),
    )
    assert taught.labelled == len(said) > 0
    assert taught.m[1][1] < plain.m[1][1]  # fewer matches in another town


def test_a_common_value_says_less_than_a_rare_one() -> None:
    candidates, random_pairs, all_pairs, _ = world(seed=3)
    counts = {"name": {"la ruche": 400, "le bocal du faubourg": 2}}
    model = learn(
        COMPARISONS,
        candidates,
        random_pairs,
        all_pairs=all_pairs,
        sessions=SESSIONS,
        value_counts=counts,
        pages=2000,
    )
    common = Vector((0, NULL, NULL), ("la ruche", "", ""))
    rare = Vector((0, NULL, NULL), ("le bocal du faubourg", "", ""))
    assert model.weights(rare)[0].bits > model.weights(common)[0].bits + 5


def test_a_relative_value_scales_its_levels_u_rather_than_standing_for_it() -> None:
    """Among 200 pages, a name only two hold has one chance in 199 to be on a third page,
    five times the name level's u (0.001): standing for u, that chance would say less
    than the level does. Relative, a value as common as those pages agree on weighs what
    its level weighs; one held by 100 pages weighs log2(99) bits less."""
    candidates, random_pairs, all_pairs, _ = world(seed=3)
    named = [
        Vector(v.levels, (f"lieu {i}" if v.levels[0] == 0 else "", "", ""))
        for i, v in enumerate(candidates)
    ]
    counts = {"name": {v.values[0]: 2 for v in named if v.values[0]} | {"la ruche": 100}}
    relative = (replace(COMPARISONS[0], relative=True), *COMPARISONS[1:])
    models = [
        learn(
            comparisons,
            named,
            random_pairs,
            all_pairs=all_pairs,
            sessions=SESSIONS,
            value_counts=counts,
            pages=200,
        )
        for comparisons in (COMPARISONS, relative)
    ]
    rare = Vector((0, NULL, NULL), (next(v.values[0] for v in named if v.values[0]), "", ""))
    common = Vector((0, NULL, NULL), ("la ruche", "", ""))
    standing, scaled = ([m.weights(v)[0].bits for v in (rare, common)] for m in models)
    level = math.log2(models[1].m[0][0] / models[1].u[0][0])
    assert scaled[0] == pytest.approx(level) and scaled[0] > standing[0] + 1
    assert scaled[0] - scaled[1] == pytest.approx(math.log2(99))


def test_weights_and_prior_add_up_to_the_probability() -> None:
    candidates, random_pairs, all_pairs, _ = world(seed=4)
    model = learn(COMPARISONS, candidates, random_pairs, all_pairs=all_pairs, sessions=SESSIONS)
    for vector in candidates[:50]:
        bits = model.prior_bits + sum(w.bits for w in model.weights(vector))
        assert model.probability(vector) == pytest.approx(probability(bits))
    assert probability(0) == 0.5 and probability(-100) == 0 and probability(100) == 1
    assert math.isclose(probability(1), 2 / 3)


def test_a_level_blocking_always_pairs_is_counted_on_the_candidates() -> None:
    """A sample of 1 000 random pairs cannot see a level 150 pairs in ten million have:
    floored at half a sampled pair, its u would stay 5e-4 however big the wiki. Blocking
    pairs every two pages at an exhaustive level, so the candidates count it."""
    shared = (
        [Vector((0, 0))] * 100  # the matches: one name, one phone
        + [Vector((1, 0))] * 50  # two things sharing a phone
        + [Vector((0, 1))] * 2000  # homonyms
    )
    sample = [Vector((1, 1))] * 1000
    for exhaustive, low, high in ((frozenset({0}), 1e-5, 2e-5), (frozenset(), 4e-4, 1e-3)):
        comparisons = (
            Comparison("name", ("same", "different")),
            Comparison("phone", ("same", "different"), exhaustive=exhaustive),
        )
        model = learn(comparisons, shared, sample, all_pairs=10_000_000, sessions=SESSIONS[:1])
        assert low <= model.u[1][0] <= high


def test_a_level_only_its_own_session_holds_counts_the_matches_there() -> None:
    """Pages copied under a new name share their text and little else: no session that
    learns the text holds them, so the text's m would stay at the pseudo-count. The
    session blocked on the copied text holds every such pair; what the other
    comparisons say of them (the same town, here) counts them at that level."""
    comparisons = (
        Comparison("name", ("same", "different")),
        Comparison("text", ("copied", "none"), exhaustive=frozenset({0})),
        Comparison("town", ("same", "different")),
    )
    candidates = (
        [Vector((0, 1, 0))] * 180  # duplicates by name
        + [Vector((0, 1, 1))] * 20
        + [Vector((1, 0, 0))] * 30  # copies under a new name
        + [Vector((0, 1, 1))] * 2000  # homonyms elsewhere
    )
    sample = [Vector((1, 1, 1))] * 5000 + [Vector((1, 1, 0))] * 100
    sessions = (
        Session("same name", lambda v: v[0] == 0, frozenset({0})),
        Session("copied text", lambda v: v[1] == 0, frozenset({1})),
    )
    model = learn(comparisons, candidates, sample, all_pairs=50_000_000, sessions=sessions)
    assert model.m[1][0] >= 0.05
    assert model.probability(Vector((1, 0, 0))) >= 0.5
    assert model.probability(Vector((0, 1, 1))) < 0.5  # the homonyms stay apart


@pytest.mark.parametrize("homonyms_in_one_town", [0, 400])  # none, or 2 % as random pairs
def test_pages_of_one_name_that_are_two_things_are_in_other_towns(
    homonyms_in_one_town: int,
) -> None:
    """20 000 pairs of pages bear one name and are two things; the town is shared by
    2 % of random pairs. Independence says 400 of those homonyms share a town, so a
    name and a town shared say little. When none of them does, the town's u among the
    pairs of one name says so, and a duplicate with no phone in common rises; when
    chance puts them in one town as often as anywhere, the model is unchanged."""
    comparisons = (
        Comparison("name", ("same", "different")),
        Comparison("town", ("same", "different")),
        Comparison("phone", ("same", "different")),
    )
    candidates = (
        [Vector((0, 0, 0))] * 140  # duplicates
        + [Vector((0, 0, 1))] * 60
        + [Vector((0, 1, 1))] * (20_000 - homonyms_in_one_town)  # homonyms
        + [Vector((0, 0, 1))] * homonyms_in_one_town
        + [Vector((1, 0, 1))] * 100  # two things in one town
    )
    sample = [Vector((1, 1, 1))] * 4900 + [Vector((1, 0, 1))] * 100
    contact = Session("same town or phone", lambda v: 0 in (v[1], v[2]), frozenset({1, 2}))
    models = [
        learn(
            comparisons,
            candidates,
            sample,
            all_pairs=500_000_000,
            sessions=(Session("same name", lambda v: v[0] == 0, frozenset({0}), given), contact),
        )
        for given in (frozenset({1}), frozenset())
    ]
    conditional, independent = (model.probability(Vector((0, 0, 1))) for model in models)
    if homonyms_in_one_town:
        assert conditional == pytest.approx(independent)
    else:
        assert conditional > 5 * independent
        assert models[0].conditionals[0].u[0] < models[0].u[1][0] / 5
    assert all(model.probability(Vector((0, 1, 1))) < 0.01 for model in models)
    for vector in (Vector((0, 0, 1)), Vector((0, 1, 1)), Vector((1, 0, 1))):  # --explain
        bits = models[0].prior_bits + sum(w.bits for w in models[0].weights(vector))
        assert models[0].probability(vector) == pytest.approx(probability(bits))
