"""Owning only our blocks: markers, hand edits, nobots, shrink guard, stable plans."""

from __future__ import annotations

import pytest

from movisync.errors import MarkerError
from movisync.publish import (
    BEGIN,
    END,
    LABELS,
    Skip,
    SkipReason,
    begin_marker,
    block_content,
    bots_allowed,
    fingerprint,
    make_plan,
    new_page,
    replace_block,
)
from movisync.render import Block
from movisync.wiki import PageState

HUMAN = "Texte écrit à la main, gardé tel quel.\n{{Portail|Tiers-lieux}}\n"


def page(
    block_id: str,
    inside: str,
    before: str = HUMAN,
    after: str = "\n[[Catégorie:X]]",
    *,
    written: str | None = None,
    legacy: bool = False,
) -> str:
    """A page holding a block: ``inside`` is its content now, ``written`` what movisync
    wrote there (its marker's proof; the same by default); ``legacy``: an older marker,
    without proof."""
    marker = (
        BEGIN.format(block_id) if legacy else begin_marker(Block("P", block_id, written or inside))
    )
    return f"{before}{marker}\n{inside}\n{END.format(block_id)}{after}"


def test_replacing_a_block_keeps_every_other_byte() -> None:
    text = page("b", "ancien contenu", after="  \n\nfin sans saut de ligne")
    new = replace_block(text, Block("P", "b", "nouveau\ncontenu"))
    assert new.startswith(HUMAN) and new.endswith("  \n\nfin sans saut de ligne")
    assert block_content(new, "b") == "nouveau\ncontenu"
    assert replace_block(new, Block("P", "b", "ancien contenu")) == text  # byte-identical


@pytest.mark.parametrize(
    "text",
    [
        HUMAN,
        HUMAN + BEGIN.format("b"),
        END.format("b") + BEGIN.format("b"),
        page("b", "x") + page("b", "y"),
        page("autre", "x"),
    ],
    ids=["none", "no-end", "reversed", "twice", "other-block"],
)
def test_broken_markers_fail_closed(text: str) -> None:
    with pytest.raises(MarkerError):
        block_content(text, "b")
    plan = make_plan([Block("P", "b", "contenu")], {"P": PageState("P", True, text, 7, "t")}, {})
    assert plan.edits == () and plan.skipped[0].reason == "markers"


def test_a_missing_page_is_created_with_its_markers() -> None:
    plan = make_plan([Block("P", "a", "un"), Block("P", "b", "deux")], {}, {})
    edit = plan.edits[0]
    assert edit.create and edit.new_text == new_page(
        [Block("P", "a", "un"), Block("P", "b", "deux")]
    )
    assert block_content(edit.new_text, "b") == "deux"


def test_no_null_edits_and_stable_plans() -> None:
    text = page("b", "contenu")
    state = {"P": PageState("P", True, text, 7, "t")}
    assert make_plan([Block("P", "b", "contenu")], state, {}).edits == ()
    blocks = [Block("Q", "b", "x"), Block("P", "b", "autre")]
    first = make_plan(blocks, state, {}, now="2026-01-01T00:00:00Z")
    again = make_plan(list(reversed(blocks)), state, {}, now="2026-01-01T00:00:00Z")
    assert first == again and [e.title for e in first.edits] == ["P", "Q"]


def test_hand_edits_inside_a_block_are_proven_by_the_wiki_whatever_the_store() -> None:
    text = page("b", "retouché à la main", written="ce que movisync a écrit")
    state = {"P": PageState("P", True, text, 7, "t")}
    new = Block("P", "b", "le nouveau contenu rendu")
    old_store = {("P", "b"): fingerprint("une version plus ancienne")}
    for published in ({}, old_store):  # a fresh or lost store, an older copy of it
        plan = make_plan([new], state, published)
        assert plan.edits == () and plan.skipped[0].reason == "hand_edit"
    forced = make_plan([new], state, {}, force=True)
    assert block_content(forced.edits[0].new_text, "b") == "le nouveau contenu rendu"
    ours = {"P": PageState("P", True, page("b", "ce que movisync a écrit"), 7, "t")}
    for published in ({}, old_store):  # movisync's own text: never taken for a hand edit
        assert len(make_plan([new], ours, published).edits) == 1


def test_an_older_marker_needs_the_stores_record() -> None:
    state = {"P": PageState("P", True, page("b", "écrit avant", legacy=True), 7, "t")}
    new = Block("P", "b", "nouveau contenu")
    assert make_plan([new], state, {}).skipped[0].reason == "unproven"
    recorded = {("P", "b"): fingerprint("écrit avant")}
    upgraded = make_plan([new], state, recorded).edits[0].new_text
    assert begin_marker(new) in upgraded  # from now on the wiki carries the proof
    assert make_plan([new], state, {("P", "b"): fingerprint("autre")}).skipped[0].reason == (
        "hand_edit"
    )


def test_verdicts_in_the_review_block_are_not_hand_edits() -> None:
    written = "| [[:A]] || [[:B]] || 90 || title 90 || "
    reviewed = "| [[:A]] || [[:B]] || 90 || title 90 || pas un doublon"
    assert fingerprint(written, reviewers_write=True) == fingerprint(reviewed, True)
    assert fingerprint(written) != fingerprint(reviewed)


def test_the_shrink_guard() -> None:
    state = {"P": PageState("P", True, page("b", "ligne\n" * 100), 7, "t")}
    plan = make_plan([Block("P", "b", "ligne\n" * 10)], state, {})
    assert isinstance(plan.skipped[0], Skip) and plan.skipped[0].reason == "shrink"
    allowed = make_plan([Block("P", "b", "ligne\n" * 10)], state, {}, allow_shrink=True)
    assert len(allowed.edits) == 1


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        ("{{nobots}}", False),
        ("{{bots|deny=all}}", False),
        ("{{bots|deny=MovisyncBot}}", False),
        ("{{bots|deny=AutreBot}}", True),
        ("{{bots|allow=none}}", False),
        ("{{bots|allow=MovisyncBot,X}}", True),
        ("{{bots|allow=AutreBot}}", False),
        ("{{Bots | deny = movisyncbot }}", False),
        ("Rien.", True),
    ],
)
def test_bots_conventions(text: str, allowed: bool) -> None:
    assert bots_allowed(text, "MovisyncBot") is allowed


def test_protected_and_nobots_pages_are_skipped() -> None:
    pages = {
        "P": PageState("P", True, page("b", "x"), 7, "t", protected=True),
        "Q": PageState("Q", True, "{{nobots}}" + page("b", "x"), 7, "t"),
    }
    plan = make_plan([Block("P", "b", "y"), Block("Q", "b", "y")], pages, {})
    assert [(s.title, s.reason) for s in plan.skipped] == [("P", "protected"), ("Q", "nobots")]


def test_every_skip_reason_has_its_words() -> None:
    assert set(LABELS) == set(SkipReason)


def test_plans_are_checked_not_trusted(tmp_path) -> None:
    import json

    from movisync.errors import PlanRejected
    from movisync.publish import Edit, Plan, check_plan, load_plan, save_plan

    block = Block("Movilab:Movisync/Doublons", "duplicates", "x")
    edit = Edit("Movilab:Movisync/Doublons", True, 0, "", "", "t", "s", (block,))
    plan = Plan((edit,), (), "2026-11-01T00:00:00Z")
    path = tmp_path / "plan.json"
    save_plan(plan, path, api="http://w/api.php", wiki_id="movilab")
    assert load_plan(path, api="http://w/api.php", wiki_id="movilab") == plan
    with pytest.raises(PlanRejected, match="not this wiki"):
        load_plan(path, api="http://w/api.php", wiki_id="autre")
    data = json.loads(path.read_text())
    data["edits"][0]["title"] = "Accueil"
    path.write_text(json.dumps(data))
    with pytest.raises(PlanRejected, match="changed since movisync wrote it"):
        load_plan(path, api="http://w/api.php", wiki_id="movilab")
    owned = {"Movilab:Movisync/Doublons": frozenset({"duplicates"})}
    check_plan(plan, owned)
    forged = Plan((Edit("Accueil", False, 7, "", "", "tout remplacé", "s", ()),), (), "t")
    with pytest.raises(PlanRejected, match="not one of movisync's curated pages"):
        check_plan(forged, owned)
    other = Plan(
        (Edit(edit.title, True, 0, "", "", "x", "s", (Block(edit.title, "b", "x"),)),), (), "t"
    )
    with pytest.raises(PlanRejected, match="which owns"):
        check_plan(other, owned)
    path.write_text("{}")
    with pytest.raises(PlanRejected, match="not a movisync plan"):
        load_plan(path, api="http://w/api.php", wiki_id="movilab")


def test_the_stop_page_obeys_whole_words_in_both_languages() -> None:
    from movisync.publish import says_stop

    words = ("stop", "arrêt", "arret")
    for text, stops in [
        ("STOP : on vérifie.", True),
        ("Arrêt demandé par l'équipe.", True),
        ("arret", True),
        ("Un festival non-stop.", False),
        ("Ne pas stopper.", False),
        ("Vous pouvez reprendre.", False),
    ]:
        assert says_stop(PageState("S", True, text), words) is stops, text
    assert not says_stop(PageState("S", False, ""), words)
