"""Writing curated blocks back to the wiki, safely.

movisync owns only what lies between ``<!-- movisync:begin ID -->`` and
``<!-- movisync:end ID -->`` on its target pages. Rules, all fail-closed:

- a missing page is created with its markers (``createonly``); on an existing page,
  anything outside the markers is never touched; missing, reversed or repeated markers
  mean the page is skipped and reported;
- a hash of what movisync last wrote detects hand edits inside a block: reported, not
  overwritten, unless forced (the column reviewers write in is theirs to edit);
- ``{{nobots}}`` and ``{{bots|deny=...}}`` / ``{{bots|allow=...}}`` are honoured;
- a block may not shrink by more than a share (a partial pull must not blank a list);
- no null edits: a page whose text would not change is not in the plan;
- applying re-checks each base revision; on a conflict the block is rendered again into
  the page's new text (a bounded number of times); a stop page is read before each edit.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from .errors import ConfigError, MarkerError
from .render import Block
from .text import fold
from .wiki.api import EditStatus, PageState, UserInfo, Wiki

BEGIN = "<!-- movisync:begin {} -->"
END = "<!-- movisync:end {} -->"
LAST_CELL = re.compile(r"^(\| \[\[:.*\|\|)[^|\n]*$", re.MULTILINE)


class SkipReason(StrEnum):
    MARKERS = "markers"
    HAND_EDIT = "hand_edit"
    NOBOTS = "nobots"
    SHRINK = "shrink"
    PROTECTED = "protected"
    CONFLICT = "conflict"
    MISSING = "missing"
    BUDGET = "budget"


LABELS: Mapping[SkipReason, str] = {
    SkipReason.MARKERS: "markers missing, reversed or repeated",
    SkipReason.HAND_EDIT: "edited by hand inside a block",
    SkipReason.NOBOTS: "keeps bots out",
    SkipReason.SHRINK: "a block would shrink too much",
    SkipReason.PROTECTED: "protected",
    SkipReason.CONFLICT: "kept changing while we wrote",
    SkipReason.MISSING: "deleted since the plan",
    SkipReason.BUDGET: "over the edit budget",
}
"""Each skip reason in words (a test proves it whole)."""


@dataclass(frozen=True)
class Edit:
    """One planned edit: the page's text before and after, and what it was based on."""

    title: str
    create: bool
    base_rev: int
    base_timestamp: str
    old_text: str
    new_text: str
    summary: str
    blocks: tuple[Block, ...] = ()
    """The blocks movisync writes there."""

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.old_text.splitlines(keepends=True),
                self.new_text.splitlines(keepends=True),
                fromfile=f"{self.title} (rev {self.base_rev})",
                tofile=f"{self.title} (movisync)",
            )
        )


@dataclass(frozen=True)
class Skip:
    title: str
    reason: SkipReason
    detail: str


@dataclass(frozen=True)
class Plan:
    edits: tuple[Edit, ...]
    skipped: tuple[Skip, ...]
    started: str
    """When the plan was made (the ``starttimestamp`` of its edits)."""


def fingerprint(content: str, reviewers_write: bool = False) -> str:
    """What hand-edit detection compares: the block's content, with the column
    reviewers write in (the last cell of each row) blanked where they may."""
    if reviewers_write:
        content = LAST_CELL.sub(r"\1", content)
    return hashlib.sha256(content.strip().encode()).hexdigest()


def block_content(text: str, block_id: str) -> str:
    """The content between a block's markers. Raises MarkerError unless exactly one
    begin marker comes before exactly one end marker."""
    begin, end = BEGIN.format(block_id), END.format(block_id)
    starts, ends = text.count(begin), text.count(end)
    if starts != 1 or ends != 1:
        raise MarkerError(f"{starts} begin and {ends} end marker(s) for block {block_id!r}")
    first, last = text.index(begin), text.index(end)
    if last < first:
        raise MarkerError(f"the end marker of block {block_id!r} comes before its begin")
    return text[first + len(begin) : last].strip("\n")


def replace_block(text: str, block_id: str, content: str) -> str:
    """The page text with one block's content replaced, every other byte kept."""
    block_content(text, block_id)
    begin, end = BEGIN.format(block_id), END.format(block_id)
    first, last = text.index(begin) + len(begin), text.index(end)
    return f"{text[:first]}\n{content}\n{text[last:]}"


def new_page(blocks: Iterable[Block]) -> str:
    """The text of a page movisync creates: its blocks with their markers."""
    parts = [f"{BEGIN.format(b.id)}\n{b.text}\n{END.format(b.id)}" for b in blocks]
    return "\n\n".join(parts) + "\n"


def bots_allowed(text: str, user: str) -> bool:
    """MediaWiki bot convention: ``{{nobots}}`` and ``{{bots|deny=all}}`` keep every bot
    out; ``{{bots|deny=A,B}}`` keeps those out; ``{{bots|allow=A,B}}`` lets only those in
    (``allow=none`` nobody)."""
    if re.search(r"\{\{\s*nobots\s*\}\}", text, re.IGNORECASE):
        return False
    names = {n.strip().casefold() for n in (user, "movisync") if n}
    for kind, listed in re.findall(
        r"\{\{\s*bots\s*\|\s*(allow|deny)\s*=\s*([^}]*)\}\}", text, re.IGNORECASE
    ):
        who = {w.strip().casefold() for w in listed.split(",")}
        if kind.lower() == "deny" and ("all" in who or who & names):
            return False
        if kind.lower() == "allow" and ("none" in who or not ("all" in who or who & names)):
            return False
    return True


WORDS = re.compile(r"\w+(?:[-'\u2019]\w+)*")


def says_stop(state: PageState, words: Sequence[str]) -> bool:
    """The stop page says stop: one of ``words`` ("stop", « arrêt ») as a whole word,
    case and accents aside; a word inside another ("non-stop", "stopper") is not it."""
    said = set(WORDS.findall(fold(state.text)))
    return state.exists and any(fold(w) in said for w in words)


def render_into(
    state: PageState,
    blocks: Sequence[Block],
    published: Mapping[tuple[str, str], str],
    *,
    force: bool,
    allow_shrink: bool,
    max_shrink: float,
    user: str,
) -> str | Skip:
    """The page's new text with these blocks in it, or why it must be left alone."""
    title = state.title
    if not state.exists:
        return new_page(blocks)
    if state.protected:
        return Skip(title, SkipReason.PROTECTED, "the page is protected against our edits")
    if not bots_allowed(state.text, user):
        return Skip(title, SkipReason.NOBOTS, "the page keeps bots out ({{nobots}} or {{bots}})")
    text = state.text
    for block in blocks:
        try:
            current = block_content(text, block.id)
        except MarkerError as exc:
            return Skip(title, SkipReason.MARKERS, str(exc))
        last = published.get((title, block.id))
        if last is not None and fingerprint(current, block.reviewers_write) != last and not force:
            return Skip(
                title,
                SkipReason.HAND_EDIT,
                f"block {block.id!r} was edited by hand since "
                "movisync wrote it (use --force to overwrite)",
            )
        if not allow_shrink and current and len(block.text) < (1 - max_shrink) * len(current):
            return Skip(
                title,
                SkipReason.SHRINK,
                f"block {block.id!r} would shrink from {len(current)} "
                f"to {len(block.text)} characters (use --allow-shrink)",
            )
        text = replace_block(text, block.id, block.text)
    return text


def make_plan(
    blocks: Sequence[Block],
    pages: Mapping[str, PageState],
    published: Mapping[tuple[str, str], str],
    *,
    force: bool = False,
    allow_shrink: bool = False,
    max_shrink: float = 0.5,
    user: str = "",
    summary: str = "movisync",
    now: str | None = None,
) -> Plan:
    """Diff the owned blocks against the wiki's pages. Pure: pages are given."""
    by_page: dict[str, list[Block]] = {}
    for block in blocks:
        by_page.setdefault(block.page, []).append(block)
    edits, skipped = [], []
    for title in sorted(by_page):
        state = pages.get(title, PageState(title, exists=False))
        result = render_into(
            state,
            by_page[title],
            published,
            force=force,
            allow_shrink=allow_shrink,
            max_shrink=max_shrink,
            user=user,
        )
        if isinstance(result, Skip):
            skipped.append(result)
        elif result != state.text:
            edits.append(
                Edit(
                    title=title,
                    create=not state.exists,
                    base_rev=state.rev_id,
                    base_timestamp=state.timestamp,
                    old_text=state.text,
                    new_text=result,
                    summary=summary,
                    blocks=tuple(by_page[title]),
                )
            )
    started = now or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Plan(tuple(edits), tuple(skipped), started)


# --- plan files ------------------------------------------------------------------------------
def save_plan(plan: Plan, path: Path, api: str) -> None:
    """Write a reviewable plan: each page's base revision, old and new text."""
    data = {
        "api": api,
        "started": plan.started,
        "edits": [asdict(e) for e in plan.edits],
        "skipped": [asdict(s) for s in plan.skipped],
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def load_plan(path: Path, api: str) -> Plan:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        edits = tuple(
            Edit(**{**e, "blocks": tuple(Block(**b) for b in e["blocks"])}) for e in data["edits"]
        )
        skipped = tuple(
            Skip(s["title"], SkipReason(s["reason"]), s["detail"]) for s in data["skipped"]
        )
        plan_api, started = data["api"], data["started"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path} is not a movisync plan ({exc})") from None
    if plan_api != api:
        raise ConfigError(f"{path} was planned for {plan_api}, not {api}")
    return Plan(edits, skipped, started)


# --- writing to the wiki ---------------------------------------------------------------------
@dataclass(frozen=True)
class Applied:
    title: str
    rev_id: int
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class ApplyResult:
    applied: tuple[Applied, ...]
    skipped: tuple[Skip, ...]
    stopped: bool = False


@dataclass(frozen=True)
class Guards:
    """What every edit is checked against."""

    stop_page: str = ""
    stop_words: tuple[str, ...] = ("stop",)
    throttle: float = 5.0
    budget: int = 50
    retries: int = 3
    force: bool = False
    allow_shrink: bool = False
    max_shrink: float = 0.5


def apply_plan(
    plan: Plan,
    wiki: Wiki,
    published: Mapping[tuple[str, str], str],
    guards: Guards = Guards(),
    *,
    on_applied: Callable[[Applied], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ApplyResult:
    """Write exactly the plan's edits, re-checking each base revision."""
    token, user = wiki.edit_token()
    applied: list[Applied] = []
    skipped: list[Skip] = []
    for number, edit in enumerate(plan.edits):
        if number >= guards.budget:
            skipped += [
                Skip(e.title, SkipReason.BUDGET, f"edit budget of {guards.budget} reached")
                for e in plan.edits[number:]
            ]
            break
        if guards.stop_page:
            stop = wiki.read_pages([guards.stop_page]).get(guards.stop_page)
            if stop is not None and says_stop(stop, guards.stop_words):
                return ApplyResult(tuple(applied), tuple(skipped), stopped=True)
        if applied:
            sleep(guards.throttle)
        outcome = _apply_one(wiki, edit, token, user, published, plan.started, guards)
        if isinstance(outcome, Skip):
            skipped.append(outcome)
        else:
            applied.append(outcome)
            if on_applied:
                on_applied(outcome)
    return ApplyResult(tuple(applied), tuple(skipped))


def _apply_one(
    wiki: Wiki,
    edit: Edit,
    token: str,
    user: UserInfo,
    published: Mapping[tuple[str, str], str],
    started: str,
    guards: Guards,
) -> Applied | Skip:
    for _ in range(guards.retries + 1):
        state = wiki.read_pages([edit.title])[edit.title]
        if (state.exists, state.rev_id) != (not edit.create, edit.base_rev):
            # Changed since the plan: render our blocks into the page as it is now.
            result = render_into(
                state,
                edit.blocks,
                published,
                force=guards.force,
                allow_shrink=guards.allow_shrink,
                max_shrink=guards.max_shrink,
                user=user.name,
            )
            if isinstance(result, Skip):
                return result
            if result == state.text:
                return Applied(edit.title, state.rev_id, edit.blocks)
            edit = replace(
                edit,
                create=not state.exists,
                base_rev=state.rev_id,
                base_timestamp=state.timestamp,
                old_text=state.text,
                new_text=result,
            )
        saved = wiki.edit(
            title=edit.title,
            text=edit.new_text,
            summary=edit.summary,
            token=token,
            started=started,
            user=user,
            create=edit.create,
            base_rev=edit.base_rev,
            base_timestamp=edit.base_timestamp,
        )
        if saved.status is EditStatus.CONFLICT:
            continue
        if saved.status is EditStatus.PROTECTED:
            return Skip(edit.title, SkipReason.PROTECTED, saved.detail)
        if saved.status is EditStatus.MISSING:
            return Skip(edit.title, SkipReason.MISSING, "the page was deleted since the plan")
        if saved.merged:
            # The server merged our edit with someone else's: check that ours is there.
            now = wiki.read_pages([edit.title])[edit.title]
            for block in edit.blocks:
                if block_content(now.text, block.id).strip() != block.text.strip():
                    return Skip(
                        edit.title, SkipReason.CONFLICT, f"merged edit lost block {block.id!r}"
                    )
        return Applied(edit.title, saved.rev_id or edit.base_rev, edit.blocks)
    return Skip(edit.title, SkipReason.CONFLICT, f"still changing after {guards.retries} retries")
