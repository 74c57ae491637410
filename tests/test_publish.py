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


def page(block_id: str, inside: str, before: str = HUMAN, after: str = "\n[[Catégorie:X]]") -> str:
    return f"{before}{BEGIN.format(block_id)}\n{inside}\n{END.format(block_id)}{after}"


def test_replacing_a_block_keeps_every_other_byte() -> None:
    text = page("b", "ancien contenu", after="  \n\nfin sans saut de ligne")
    new = replace_block(text, "b", "nouveau\ncontenu")
    assert new.startswith(HUMAN) and new.endswith("  \n\nfin sans saut de ligne")
    assert block_content(new, "b") == "nouveau\ncontenu"
    assert replace_block(new, "b", "ancien contenu") == text  # round trip, byte-identical


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


def test_hand_edits_inside_a_block_are_reported_not_overwritten() -> None:
    state = {"P": PageState("P", True, page("b", "retouché à la main"), 7, "t")}
    published = {("P", "b"): fingerprint("ce que movisync a écrit")}
    new = Block("P", "b", "le nouveau contenu rendu")
    plan = make_plan([new], state, published)
    assert plan.edits == () and plan.skipped[0].reason == "hand_edit"
    forced = make_plan([new], state, published, force=True)
    assert block_content(forced.edits[0].new_text, "b") == "le nouveau contenu rendu"


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
