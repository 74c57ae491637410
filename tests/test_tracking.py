"""Gaps followed from run to run (new, back, fixed) and exceptions, on the offline corpus."""

from __future__ import annotations

import pytest

from movisync.errors import ConfigError, UnknownPage
from movisync.gaps import Gap, GapKind, GapReport
from movisync.profile import load_profile
from movisync.render import Followed, read_exceptions, worklist
from movisync.store import Waiver
from movisync.tracking import advance, merged, progress, waive
from movisync.workspace import Workspace

from .helpers import corpus_store

PROFILE = load_profile()
T1, T2, T3 = "2026-11-01T03:00:00Z", "2026-11-08T03:00:00Z", "2026-11-15T03:00:00Z"


def gap(page: str, field: str = "url", kind: GapKind = GapKind.MISSING_FIELD) -> Gap:
    return Gap(page, "tiers-lieu", kind, field, "")


def test_a_gap_is_new_then_open_then_fixed_then_back() -> None:
    life = merged({}, advance({}, [gap("A"), gap("B"), gap("B")], T1))
    assert {t.page: t.opened for t in life.values()} == {"A": T1, "B": T1}
    assert progress(life.values(), None).since is None and progress(life.values(), None).new == 0
    step = advance(life, [gap("B"), gap("C")], T2)  # A fixed, B still open (no change), C new
    assert {(t.page, t.fixed) for t in step} == {("A", T2), ("C", None)}
    life = merged(life, step)
    change = progress(life.values(), T1)
    assert (change.new, change.back, change.fixed) == (1, 0, 1)
    life = merged(life, advance(life, [gap("A"), gap("B"), gap("C")], T3))
    assert life[("A", "missing_field", "url")].returns == 1
    change = progress(life.values(), T2)
    assert (change.new, change.back, change.fixed) == (0, 1, 0)
    assert progress(life.values(), T1, "projet").new == 0  # another type's gaps only


def test_an_excepted_gap_is_neither_reported_nor_fixed() -> None:
    report = GapReport((gap("A"), gap("A", "Theme"), gap("B")), (), {}, ())
    waivers = [
        Waiver("tiers-lieu", "A", "url", "sans objet", "wiki", "Anne", T1),
        Waiver("tiers-lieu", "", "Theme", "sans objet", "cli", "cli", T1),
    ]
    waived = waive(report, waivers)
    assert waived.gaps == (gap("B"),)
    assert set(waived.excepted) == {gap("A"), gap("A", "Theme")}
    life = merged({}, advance({}, report.gaps, T1))
    assert advance(life, waived.gaps, T2, waived.excepted) == ()
    orphan = GapReport((Gap("A", "tiers-lieu", GapKind.ORPHAN, None, ""),), (), {}, ())
    assert waive(orphan, waivers).gaps == orphan.gaps  # exceptions are about fields


def test_exceptions_read_back_from_a_rendered_worklist(tmp_path) -> None:
    waivers = [
        Waiver("tiers-lieu", "Le Relais des Possibles", "Tags", "exception : l'été", "w", "A", T1)
    ]
    with corpus_store(tmp_path / "s.sqlite") as store:
        ws = Workspace(store, profile=PROFILE)
        tiers_lieu = ws.profile.type("tiers-lieu")
        more = Followed({}, None, waivers, {}, "Spécial", "")
        text = worklist(waive(ws.all_gaps(), waivers), tiers_lieu, "T", ws.profile.words, more).text
    words = ws.profile.words
    said = read_exceptions(text, tiers_lieu, words)
    assert said[("Le Relais des Possibles", "Tags")] == "exception : l'été"  # unescaped back
    assert said[("La Casa Commune", "Theme")] == ""  # a row with nothing written
    assert said[("", "referent")] == ""  # the completeness table: the whole type
    lines = []
    for line in text.splitlines():
        if line.startswith("| [[:LaMyne]]"):
            line += "Sans Objet"  # case does not matter
        elif line.startswith("| Référent·e"):
            line += "n'importe quoi"  # not an exception word: nothing
        lines.append(line)
    said = read_exceptions("\n".join(lines), tiers_lieu, words)
    assert said[("LaMyne", "url")] == "Sans Objet"
    assert said[("", "referent")] == ""


def test_exceptions_by_the_library_and_titles_as_mediawiki_reads_them(tmp_path) -> None:
    with corpus_store(tmp_path / "s.sqlite") as store:
        ws = Workspace(store, profile=PROFILE)
        before = {(g.page, g.field) for g in ws.all_gaps().gaps}
        assert ("LaMyne", "url") in before
        ws.set_waiver("tiers-lieu", "laMyne", "Site web", "sans objet")  # by label, lower-case
        assert [(w.page, w.field, w.source) for w in ws.waivers()] == [("LaMyne", "url", "cli")]
        assert ("LaMyne", "url") not in {(g.page, g.field) for g in ws.all_gaps().gaps}
        assert ("LaMyne", "url") in {(g.page, g.field) for g in ws.all_gaps().excepted}
        ws.set_waiver("tiers-lieu", "LaMyne", "url", None)
        assert ws.waivers() == [] and ("LaMyne", "url") in {
            (g.page, g.field) for g in ws.all_gaps().gaps
        }
        with pytest.raises(ConfigError, match="no field 'Nope'"):
            ws.set_waiver("tiers-lieu", "", "Nope", "sans objet")
        with pytest.raises(UnknownPage, match="Nowhere"):
            ws.set_waiver("tiers-lieu", "Nowhere", "url", "sans objet")
        assert {g.page for g in ws.gaps(pages=["la_Myne"]).gaps} == {"La Myne"}
        assert ws.gaps(pages=["la_Myne"]).gaps
        with pytest.raises(UnknownPage, match="Nowhere"):
            ws.gaps(pages=["Nowhere"])
        with pytest.raises(UnknownPage, match="itself"):
            ws.set_verdict("LaMyne", "laMyne", False)
        with pytest.raises(UnknownPage, match="Nowhere"):
            ws.set_verdict("LaMyne", "Nowhere", False)


def test_each_run_moves_the_log_forward_and_listings_do_not(tmp_path) -> None:
    with corpus_store(tmp_path / "s.sqlite") as store:
        ws = Workspace(store, profile=PROFILE)
        ws.gaps()
        ws.report()
        assert store.gap_log() == {} and ws.history() == []
        first = ws.snapshot(at=T1)
        assert first.new is None and first.excepted == 0
        assert len(store.gap_log()) == len(ws.all_gaps().gaps)
        ws.set_waiver("tiers-lieu", "LaMyne", "url", "sans objet")
        second = ws.snapshot(at=T2)
        assert (second.new, second.back, second.fixed, second.excepted) == (0, 0, 0, 1)
        assert store.gap_log()[("LaMyne", "missing_field", "url")].fixed is None
