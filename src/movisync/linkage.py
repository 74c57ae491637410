"""Fellegi–Sunter record linkage, learned from the pages themselves. Pure.

Two pages are compared on several kinds of evidence (title, website, town...). Each
comparison gives a *level*, from the strongest agreement (0) to the plainest disagreement
(the last), or ``NULL`` when one of the pages says nothing (no weight either way). Each
level has two probabilities: **m**, of seeing it when the two pages document one thing, and
**u**, when they document two. A pair's match weight is the log-odds, in bits, that two
random pages match (the prior) plus, for each comparison, log2(m/u); its match probability
is 1 / (1 + 2^-weight). (Fellegi and Sunter 1969; Splink's documentation explains the same
model with pictures.)

- **u** is measured on random pairs of pages (nearly all of them two things): every pair
  when there are few pages, a sample otherwise. A level too rare for the sample to see
  (two titles one letter apart) gets a floor from the candidate pairs themselves: the
  non-matching candidates seen at that level are a part of all the pairs at that level.
  At a level where blocking pairs every two pages (a copied text, a typo), the candidates
  are all the pairs at that level: when the sample does not see it, its u is at most
  their share of all the pairs, rather than floored at half a sampled pair (a floor that
  does not fall as the wiki grows, while the prior does: at 100k pages it refused one
  duplicate in five that 10k pages found).
- **m**, and the share of matches among the candidate pairs, are learned by
  expectation-maximisation on the candidate pairs, with no labels. Pairs a human labelled
  (verdicts) keep their class during EM: they refine m and u, and stay final for
  themselves (the caller's concern).
- **Term frequencies**: agreeing on a common value (a town with hundreds of pages, a
  website many pages link to) says less than on a rare one. When a comparison carries the
  value both pages share (a town, a map cell, a website), the u of its level becomes the
  chance that another page holds that value too (Splink's adjustment). Where a
  comparison's values are *relative*, the value's chance instead scales its level's u, by
  how much more or less common it is than the values pages agree on at that level: a
  title two pages share is held by one page of N - 1 besides, yet two random pages
  almost never share a title, so that chance would cap what the title says however
  little its level's u.

Everything here is numbers; what the comparisons mean lives with their caller.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

NULL = -1
"""The level of a comparison one of the pages has nothing for."""

EM_ROUNDS = 200
EM_TOLERANCE = 1e-7
PSEUDO_COUNT = 0.5
"""Added to every level's count when m is re-estimated (a Jeffreys prior): a level never
seen among the matches is rare, not impossible."""


@dataclass(frozen=True)
class Comparison:
    """One kind of evidence: its name and its levels' names, strongest agreement first."""

    name: str
    levels: tuple[str, ...]
    frequencies: bool = False
    """Whether levels that carry the shared value are adjusted by its frequency."""
    relative: bool = False
    """Whether that frequency scales the level's u (its value's chance against the
    typical one at that level) rather than stands for it."""
    exhaustive: frozenset[int] = frozenset()
    """The levels at which blocking pairs every two pages (a typo, a copied text)."""


@dataclass(frozen=True, slots=True)
class Vector:
    """A pair compared: one level per comparison, and for comparisons adjusted by
    frequency, the value both pages share (or "")."""

    levels: tuple[int, ...]
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Weight:
    """What one comparison says about a pair, in bits (positive: for a match)."""

    comparison: str
    level: str
    bits: float
    m: float
    u: float


@dataclass(frozen=True)
class Model:
    """The learned parameters, and how they were learned."""

    comparisons: tuple[Comparison, ...]
    m: tuple[tuple[float, ...], ...]
    u: tuple[tuple[float, ...], ...]
    prior: float
    """The probability that two pages drawn at random document one thing."""
    frequencies: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Per comparison adjusted by frequency: for each value held by several pages, the
    chance that another page holds it too (the pages holding it but one, over all the
    pages but one)."""
    candidates: int = 0
    matches: float = 0.0
    """The number of matches EM found among the candidates."""
    rounds: int = 0
    labelled: int = 0
    sampled: int = 0
    conditionals: tuple[Conditional, ...] = ()
    typical: Mapping[tuple[int, int], float] = field(default_factory=dict)
    """Per relative comparison and level: the chance of the value a page agreeing there
    holds, over the candidate pairs (the values' chances, each weighted by the pages
    holding it)."""

    def weights(self, vector: Vector) -> tuple[Weight, ...]:
        """Each non-null comparison's weight for this pair."""
        given = self._given(vector.levels)
        found = []
        for k, (comparison, level) in enumerate(zip(self.comparisons, vector.levels, strict=True)):
            if level == NULL:
                continue
            m, u = self.m[k][level], self._u_of(k, level, vector.values, given)
            found.append(Weight(comparison.name, comparison.levels[level], math.log2(m / u), m, u))
        return tuple(found)

    def _given(self, levels: tuple[int, ...]) -> dict[int, tuple[float, ...]]:
        """The u rows the conditionals whose rule the pair meets set."""
        return {c.comparison: c.u for c in self.conditionals if c.rule(levels)}

    def _u_of(
        self, k: int, level: int, values: tuple[str, ...], given: Mapping[int, tuple[float, ...]]
    ) -> float:
        """A level's u for one pair: the value's frequency where the comparison is
        adjusted by it, or the level's u scaled by it where the comparison is relative
        (never far below the measure), scaled by what a conditional says of the level
        against the random pairs."""
        u = self.u[k][level]
        scale = given[k][level] / u if k in given else 1.0
        comparison = self.comparisons[k]
        if values and values[k] and comparison.frequencies:
            share = self.frequencies.get(comparison.name, {}).get(values[k])
            typical = self.typical.get((k, level)) if comparison.relative else None
            if share is not None and typical:
                u = min(max(u * share / typical, u * 1e-3), 1.0)
            elif share is not None:
                u = max(share, u * 1e-3)
        return u * scale

    @property
    def prior_bits(self) -> float:
        return math.log2(self.prior / (1 - self.prior))

    @cached_property
    def _bits(self) -> tuple[tuple[float, ...], ...]:
        return tuple(
            tuple(math.log2(m / u) for m, u in zip(ms, us, strict=True))
            for ms, us in zip(self.m, self.u, strict=True)
        )

    def probability(self, vector: Vector) -> float:
        """The pair's match probability (what :meth:`weights` add up to, faster)."""
        bits = self.prior_bits
        values = vector.values
        given = self._given(vector.levels) if self.conditionals else {}
        for k, level in enumerate(vector.levels):
            if level == NULL:
                continue
            if k in given or (values and values[k] and self.comparisons[k].frequencies):
                bits += math.log2(self.m[k][level] / self._u_of(k, level, values, given))
            else:
                bits += self._bits[k][level]
        return probability(bits)


def probability(bits: float) -> float:
    """A match weight in bits as a probability."""
    if bits < -60:
        return 0.0
    if bits > 60:
        return 1.0
    return 1 / (1 + 2**-bits)


def value_counts(values: Iterable[Iterable[str]]) -> dict[str, int]:
    """How many pages hold each value (a page counts once per value)."""
    counts: Counter[str] = Counter()
    for page_values in values:
        counts.update(set(page_values))
    return dict(counts)


def _normalised(row: Sequence[float]) -> tuple[float, ...]:
    total = sum(row)
    return tuple(n / total for n in row)


Params = tuple[tuple[float, ...], ...]
Patterns = Mapping[tuple[int, ...], float]


@dataclass(frozen=True)
class Session:
    """One round of EM: on the candidate pairs a rule picks (those agreeing on some
    comparisons), with those comparisons left out (Splink's training sessions). The
    pairs that agree on a title are mostly matches and some homonyms: what they say on
    place, contacts and type teaches those comparisons' m; the pairs in one place teach
    the title's, and so on. Without this, EM on all candidates learns what pages about
    one place have in common, not what duplicates have."""

    name: str
    rule: Callable[[tuple[int, ...]], bool]
    off: frozenset[int]
    given: frozenset[int] = frozenset()
    """Comparisons whose u, for the pairs this session picks, is measured on the
    non-matches among them where they agree less often than random pairs do (see
    :class:`Conditional`)."""


@dataclass(frozen=True)
class Conditional:
    """The u of one comparison for the pairs a session's rule picks: P(level | the
    rule holds, no match), measured on the non-matching candidates the rule picks (each
    pair counted by its chance of not matching, a Jeffreys prior added), and kept where
    it is below the random pairs' u (the chain rule: P(a, b) = P(a) P(b | a), where
    independence would say P(a) P(b)). Pages that bear one name without being one thing
    are in other towns: a wiki's titles are unique, so two places of one name in one
    town are told apart in their titles. Where the measure is above the random pairs'
    u, it holds the matches the model does not yet see as such, and says nothing; the
    random pairs' u stays. The last level (disagreement) takes what the others leave."""

    rule: Callable[[tuple[int, ...]], bool]
    comparison: int
    u: tuple[float, ...]


@dataclass(frozen=True)
class Labels:
    """Pairs whose class a human gave: indexes into the candidate vectors."""

    matches: frozenset[int] = frozenset()
    non_matches: frozenset[int] = frozenset()


def learn(
    comparisons: Sequence[Comparison],
    candidates: Sequence[Vector],
    random_pairs: Sequence[Vector],
    *,
    all_pairs: int,
    sessions: Sequence[Session],
    labels: Labels = Labels(),
    value_counts: Mapping[str, Mapping[str, int]] | None = None,
    pages: int = 0,
) -> Model:
    """Learn the model from the pages alone (and the labels, when there are some).

    1. u from the random pairs.
    2. m by EM in each session (two classes, both free): each comparison's m from the
       matches of the sessions it was on in, and at the exhaustive levels of a session's
       left-out comparison, from the matches there that only that session holds
       (:func:`_count_exhaustive`: a text copied under a new name).
    3. The prior: the expected number of matches among the candidates (each pair's match
       probability under the model, summed, until it settles) over ``all_pairs``
       (blocking is assumed to let nearly every match through).
    4. u again, without the matches the random pairs hold (prior × m at each level: many,
       on a small wiki full of duplicates); a level rarer than the sample can measure is
       floored by the non-matching candidates seen at that level, which are a part of all
       the pairs at that level; when the level is exhaustive, the share of all the
       pairs that the candidates at that level make (matches included: an upper bound,
       which does not feed back on the model) caps it. Then 2 to 4 once more with the
       new u.

    Labelled pairs keep their class wherever they are used. ``value_counts`` give, per
    comparison adjusted by frequency, how many of the ``pages`` hold each value."""
    fixed_indexes = labels.matches | labels.non_matches
    patterns: Counter[tuple[int, ...]] = Counter(
        v.levels for i, v in enumerate(candidates) if i not in fixed_indexes
    )
    fixed = [(candidates[i].levels, 1.0) for i in labels.matches] + [
        (candidates[i].levels, 0.0) for i in labels.non_matches
    ]
    sampled = _level_counts(comparisons, [(v.levels, 1.0) for v in random_pairs])
    u = estimate_u(comparisons, random_pairs)
    rounds = 0
    m: Params = ()
    prior = 0.0
    for _ in range(2):
        m, rounds = _sessions(comparisons, patterns, fixed, u, sessions)
        for _ in range(5):
            prior = _prior(patterns, fixed, Model(tuple(comparisons), m, u, 0.5), all_pairs)
            u = _u(comparisons, sampled, len(random_pairs), patterns, fixed, m, u, prior, all_pairs)
    pages = max(pages, 2)
    model = Model(
        comparisons=tuple(comparisons),
        m=m,
        u=u,
        prior=prior,
        frequencies={
            name: {value: (n - 1) / (pages - 1) for value, n in counts.items() if n > 1}
            for name, counts in (value_counts or {}).items()
        },
        typical=_typical(comparisons, candidates, value_counts or {}, pages),
    )
    if any(session.given for session in sessions):
        unlabelled = Counter(v for i, v in enumerate(candidates) if i not in fixed_indexes)
        model = _with_conditionals(model, unlabelled, patterns, fixed, sessions, all_pairs)
    return replace(
        model,
        candidates=len(candidates),
        matches=model.prior * all_pairs,
        rounds=rounds,
        labelled=len(fixed),
        sampled=len(random_pairs),
    )


def _typical(
    comparisons: Sequence[Comparison],
    candidates: Iterable[Vector],
    value_counts: Mapping[str, Mapping[str, int]],
    pages: int,
) -> dict[tuple[int, int], float]:
    """Per relative comparison and level, over the values candidate pairs agree on
    there (each once): the chance that another page holds the value, weighted by the
    pages that hold it."""
    relative = [k for k, c in enumerate(comparisons) if c.frequencies and c.relative]
    seen: dict[tuple[int, int], set[str]] = {}
    for vector in candidates:
        for k in relative if vector.values else ():
            if (value := vector.values[k]) and (level := vector.levels[k]) != NULL:
                seen.setdefault((k, level), set()).add(value)
    typical = {}
    for (k, level), values in seen.items():
        counts = value_counts.get(comparisons[k].name, {})
        held = [n for n in map(counts.get, values) if n is not None and n > 1]
        if held:
            typical[(k, level)] = sum(n * (n - 1) for n in held) / sum(held) / (pages - 1)
    return typical


def _with_conditionals(
    model: Model,
    candidates: Mapping[Vector, int],
    patterns: Patterns,
    fixed: Sequence[tuple[tuple[int, ...], float]],
    sessions: Sequence[Session],
    all_pairs: int,
) -> Model:
    """The model with each session's conditionals (:class:`Conditional`), and the
    prior they change, until both settle."""
    picked = []  # each session's pairs, once: the rounds only weigh them anew
    for session in (s for s in sessions if s.given):
        chosen = [(v, n) for v, n in candidates.items() if session.rule(v.levels)]
        labelled = [(levels, 1 - w) for levels, w in fixed if session.rule(levels)]
        if chosen or labelled:
            picked.append((session, chosen, labelled))
    for _ in range(EM_ROUNDS):
        found = []
        for session, chosen, labelled in picked:
            non_matches = [(v.levels, n * (1 - model.probability(v))) for v, n in chosen]
            counts = _level_counts(model.comparisons, [*non_matches, *labelled])
            for k in sorted(session.given):
                measured = _normalised([n + PSEUDO_COUNT for n in counts[k]])
                agreeing = [min(a, b) for a, b in zip(measured[:-1], model.u[k][:-1], strict=True)]
                found.append(Conditional(session.rule, k, (*agreeing, 1 - sum(agreeing))))
        new = replace(model, conditionals=tuple(found))
        new = replace(new, prior=_prior(patterns, fixed, new, all_pairs))
        settled = (
            abs(new.prior - model.prior) <= 1e-3 * model.prior
            and len(model.conditionals) == len(new.conditionals)
            and all(
                abs(a - b) <= EM_TOLERANCE + 1e-3 * b
                for old, now in zip(model.conditionals, new.conditionals, strict=True)
                for a, b in zip(old.u, now.u, strict=True)
            )
        )
        model = new
        if settled:
            break
    return model


def _level_counts(
    comparisons: Sequence[Comparison], vectors: Iterable[tuple[tuple[int, ...], float]]
) -> list[list[float]]:
    """Per comparison and level, the (weighted) number of vectors at that level."""
    counts = [[0.0] * len(c.levels) for c in comparisons]
    for levels, weight in vectors:
        for k, level in enumerate(levels):
            if level != NULL:
                counts[k][level] += weight
    return counts


def estimate_u(comparisons: Sequence[Comparison], random_pairs: Sequence[Vector]) -> Params:
    """u from pairs drawn at random: each level's share among the pairs where the
    comparison is not null (half a pair for a level never seen, so that no u is 0)."""
    counts = _level_counts(comparisons, [(v.levels, 1.0) for v in random_pairs])
    return tuple(_normalised([max(n, 0.5) for n in row]) for row in counts)


def _bits(levels: tuple[int, ...], m: Params, u: Params, active: Iterable[int]) -> float:
    """log2 of the likelihood ratio of a pattern over the active comparisons."""
    total = 0.0
    for k in active:
        level = levels[k]
        if level != NULL:
            total += math.log2(m[k][level] / u[k][level])
    return total


def _sessions(
    comparisons: Sequence[Comparison],
    patterns: Patterns,
    fixed: Sequence[tuple[tuple[int, ...], float]],
    u: Params,
    sessions: Sequence[Session],
) -> tuple[Params, int]:
    """m from every session: each comparison's level counts among the matches, summed
    over the sessions it was on in (a comparison no match ever had a value for says
    nothing: m = u)."""
    sums = [[0.0] * len(c.levels) for c in comparisons]
    rounds = 0
    picked = []
    for session in sessions:
        active = [k for k in range(len(comparisons)) if k not in session.off]
        chosen = {levels: n for levels, n in patterns.items() if session.rule(levels)}
        labelled = [(levels, w) for levels, w in fixed if session.rule(levels)]
        if not chosen and not labelled:
            continue
        picked.append((session, chosen, labelled))
        counts, used = _em(comparisons, chosen, labelled, u, active)
        rounds += used
        for k in active:
            for level, n in enumerate(counts[k]):
                sums[k][level] += n
    m_all = _m_of(sums, u)
    for session, chosen, labelled in picked:
        _count_exhaustive(comparisons, chosen, labelled, m_all, u, session, sessions, sums)
    return _m_of(sums, u), rounds


def _m_of(sums: Sequence[Sequence[float]], u: Params) -> Params:
    return tuple(
        _normalised([n + PSEUDO_COUNT for n in row]) if sum(row) >= 1 else u[k]
        for k, row in enumerate(sums)
    )


def _count_exhaustive(
    comparisons: Sequence[Comparison],
    chosen: Patterns,
    labelled: Sequence[tuple[tuple[int, ...], float]],
    m: Params,
    u: Params,
    session: Session,
    sessions: Sequence[Session],
    sums: list[list[float]],
) -> None:
    """A session's left-out comparison is not learned from it (blocking chose its
    level), but where the session holds every pair at its levels (exhaustive levels: a
    copied text) and no session that learns the comparison holds them, its matches are
    counted at those levels: else a kind of duplicate only blocking finds (a page copied
    under a new name, whose title and fields are not the original's) would leave the
    level at the pseudo-count, and less so the bigger the wiki. How many of those pairs
    match is what the other comparisons, under the model the sessions learned, say on
    average: the share of matches among them, until it settles. ``chosen`` and
    ``labelled`` are the session's pairs, as :func:`_sessions` picked them."""
    held = [*chosen, *(pattern for pattern, _ in labelled)]
    counted = [
        k
        for k in sorted(session.off)
        if all(levels[k] in comparisons[k].exhaustive for levels in held)
    ]
    if not counted or not chosen:
        return
    active = [k for k in range(len(comparisons)) if k not in session.off]
    bits = [(levels, n, _bits(levels, m, u, active)) for levels, n in chosen.items()]
    total = sum(n for _, n, _ in bits)
    share = 0.5
    for _ in range(EM_ROUNDS):
        new = sum(n * probability(_log_odds(share) + b) for _, n, b in bits) / total
        new = min(max(new, 1e-9), 1 - 1e-9)
        if abs(new - share) < EM_TOLERANCE:
            break
        share = new
    weighted = [(levels, n * probability(_log_odds(share) + b)) for levels, n, b in bits]
    for k in counted:
        learning = [s for s in sessions if k not in s.off]
        for levels, w in [*weighted, *labelled]:
            if not any(s.rule(levels) for s in learning):
                sums[k][levels[k]] += w


def _start(comparisons: Sequence[Comparison]) -> Params:
    """Where EM starts: matches lean on the strongest levels (each level twice as
    likely as the next)."""
    return tuple(
        _normalised([2.0 ** (len(c.levels) - 1 - level) for level in range(len(c.levels))])
        for c in comparisons
    )


def _em(
    comparisons: Sequence[Comparison],
    patterns: Patterns,
    fixed: Sequence[tuple[tuple[int, ...], float]],
    u: Params,
    active: Sequence[int],
) -> tuple[list[list[float]], int]:
    """Two classes over some candidate patterns, on the active comparisons: m, the
    non-matches' own distribution (it starts from the random pairs' u, and is free:
    non-matching candidates agree more than random pairs do, since blocking chose them),
    and the share of matches. Returns the matches' level counts per comparison (the
    active ones) and the rounds."""
    m = _start(comparisons)
    total = sum(patterns.values()) + len(fixed)
    share = 0.5
    rounds = 0
    for rounds in range(1, EM_ROUNDS + 1):  # noqa: B007 (the count is returned)
        posteriors = [
            (levels, n, probability(_log_odds(share) + _bits(levels, m, u, active)))
            for levels, n in patterns.items()
        ]
        weighted = [(levels, n * w) for levels, n, w in posteriors] + list(fixed)
        unweighted = [(levels, n * (1 - w)) for levels, n, w in posteriors] + [
            (levels, 1 - w) for levels, w in fixed
        ]
        matches = sum(w for _, w in weighted)
        m_counts = _level_counts(comparisons, weighted)
        u_counts = _level_counts(comparisons, unweighted)
        new_m = tuple(
            _normalised([n + PSEUDO_COUNT for n in m_counts[k]]) if k in active else m[k]
            for k in range(len(comparisons))
        )
        new_u = tuple(
            _normalised([n + PSEUDO_COUNT for n in u_counts[k]]) if k in active else u[k]
            for k in range(len(comparisons))
        )
        new_share = min(max(matches / total, 1e-9), 1 - 1e-9)
        change = abs(new_share - share) + max(
            abs(a - b)
            for old, new in ((m, new_m), (u, new_u))
            for row_old, row_new in zip(old, new, strict=True)
            for a, b in zip(row_old, row_new, strict=True)
        )
        m, u, share = new_m, new_u, new_share
        if change < EM_TOLERANCE:
            break
    return m_counts, rounds


def _log_odds(p: float) -> float:
    return math.log2(p / (1 - p))


def _prior(
    patterns: Patterns,
    fixed: Sequence[tuple[tuple[int, ...], float]],
    model: Model,
    all_pairs: int,
) -> float:
    """The probability that two random pages match: the matches expected among the
    candidates under the model, over all the pairs, until it settles."""
    bits = [
        (n, sum(w.bits for w in model.weights(Vector(levels)))) for levels, n in patterns.items()
    ]
    labelled = sum(w for _, w in fixed)
    prior = min(max(sum(n for n, _ in bits), 1.0) / max(all_pairs, 1) / 10, 0.5)
    for _ in range(EM_ROUNDS):
        expected = labelled + sum(n * probability(_log_odds(prior) + b) for n, b in bits)
        new = min(max(expected, 0.5) / max(all_pairs, 1), 0.5)
        if abs(new - prior) <= 1e-3 * prior:
            return new
        prior = new
    return prior


def _u(
    comparisons: Sequence[Comparison],
    sampled: Sequence[Sequence[float]],
    drawn: int,
    patterns: Patterns,
    fixed: Sequence[tuple[tuple[int, ...], float]],
    m: Params,
    u: Params,
    prior: float,
    all_pairs: int,
) -> Params:
    """u from the random pairs without the matches they hold, floored by the
    non-matching candidates, or counted on the candidates (see :func:`learn`)."""
    active = range(len(m))
    non_matching = _level_counts(
        comparisons,
        [
            (levels, n * (1 - probability(_log_odds(prior) + _bits(levels, m, u, active))))
            for levels, n in patterns.items()
        ]
        + [(levels, 1 - w) for levels, w in fixed],
    )
    every = _level_counts(comparisons, [*patterns.items(), *fixed])
    found = []
    for k, row in enumerate(sampled):
        seen = sum(row)
        if not seen:
            found.append(u[k])
            continue
        non_match_seen = max(seen * (1 - prior), 1.0)
        pairs_k = max(all_pairs * seen / max(drawn, 1), 1.0)  # pairs where k is not null
        agreeing = []
        for level, n in enumerate(row[:-1]):
            floor = non_matching[k][level] * seen / pairs_k
            sampled_u = max(n - seen * prior * m[k][level], 0.5, floor) / non_match_seen
            if n < 1 and level in comparisons[k].exhaustive:  # the candidates bound it
                sampled_u = min(sampled_u, max(every[k][level], 0.5) / pairs_k)
            agreeing.append(sampled_u)
        rest = max(1.0 - sum(agreeing), 0.5 / non_match_seen)
        found.append(_normalised([*agreeing, rest]))
    return tuple(found)
