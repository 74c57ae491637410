"""Writing curated blocks back to the wiki, safely.

movisync owns only what lies between ``<!-- movisync:begin ID HASH -->`` and
``<!-- movisync:end ID -->`` on its target pages. Rules, all fail-closed:

- a missing page is created with its markers (``createonly``); on an existing page,
  anything outside the markers is never touched; missing, reversed or repeated markers
  mean the page is skipped and reported;
- the begin marker carries the fingerprint of what movisync wrote in the block, so the
  wiki itself proves ownership: a block whose content no longer matches its marker was
  edited by hand, and is reported, not overwritten, unless forced; a fresh, old or lost
  store changes nothing to that (the column reviewers write in is theirs to edit). A
  marker of an older movisync, without its fingerprint, is checked against the store's
  record of what was written, and skipped when there is none;
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
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from .errors import MarkerError, PlanRejected
from .files import read_file, write_file
from .i18n import _
from .render import Block
from .text import fold
from .wiki.api import EditStatus, PageState, UserInfo, Wiki

BEGIN = "<!-- movisync:begin {} -->"
END = "<!-- movisync:end {} -->"
MARK = 16
"""Hex digits of the fingerprint carried in a begin marker."""
LAST_CELL = re.compile(r"^(\|(?![-}+]).*\|\|)[^|\n]*$", re.MULTILINE)


class SkipReason(StrEnum):
    MARKERS = "markers"
    HAND_EDIT = "hand_edit"
    NOBOTS = "nobots"
    SHRINK = "shrink"
    UNPROVEN = "unproven"
    PROTECTED = "protected"
    CONFLICT = "conflict"
    MISSING = "missing"
    DELETED = "deleted"
    BUDGET = "budget"


LABELS: Mapping[SkipReason, str] = {
    SkipReason.MARKERS: "markers missing, reversed or repeated",
    SkipReason.HAND_EDIT: "edited by hand inside a block",
    SkipReason.NOBOTS: "keeps bots out",
    SkipReason.SHRINK: "a block would shrink too much",
    SkipReason.UNPROVEN: "an older marker, and nothing to prove the block is ours as written",
    SkipReason.PROTECTED: "protected",
    SkipReason.CONFLICT: "kept changing while we wrote",
    SkipReason.MISSING: "deleted since the plan",
    SkipReason.DELETED: "deleted on the wiki: recreated only when asked",
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


def _markers(block_id: str) -> tuple[re.Pattern[str], str]:
    begin = re.compile(rf"<!-- movisync:begin {re.escape(block_id)}(?: ([0-9a-f]{{{MARK}}}))? -->")
    return begin, END.format(block_id)


@dataclass(frozen=True)
class Owned:
    """One block on a page: where its content lies, and the fingerprint its begin marker
    claims (None for a marker of an older movisync)."""

    start: int
    end: int
    content: str
    mark: str | None


def find_block(text: str, block_id: str) -> Owned:
    """The block ``block_id`` on a page. Raises MarkerError unless exactly one begin
    marker comes before exactly one end marker."""
    begin, end = _markers(block_id)
    starts, ends = list(begin.finditer(text)), text.count(end)
    if len(starts) != 1 or ends != 1:
        raise MarkerError(
            _("{begins} begin and {ends} end marker(s) for block {block!r}").format(
                begins=len(starts), ends=ends, block=block_id
            )
        )
    first, last = starts[0], text.index(end)
    if last < first.start():
        raise MarkerError(
            _("the end marker of block {block!r} comes before its begin").format(block=block_id)
        )
    return Owned(first.start(), last, text[first.end() : last].strip("\n"), first.group(1))


def block_content(text: str, block_id: str) -> str:
    """The content between a block's markers (see :func:`find_block`)."""
    return find_block(text, block_id).content


def begin_marker(block: Block) -> str:
    """The begin marker that proves, on the wiki, what movisync wrote in the block."""
    mark = fingerprint(block.text, block.reviewers_write)[:MARK]
    return f"<!-- movisync:begin {block.id} {mark} -->"


def replace_block(text: str, block: Block) -> str:
    """The page text with one block's content (and its begin marker) replaced, every
    other byte kept."""
    owned = find_block(text, block.id)
    return f"{text[: owned.start]}{begin_marker(block)}\n{block.text}\n{text[owned.end :]}"


def new_page(blocks: Iterable[Block]) -> str:
    """The text of a page movisync creates: its blocks with their markers."""
    parts = [f"{begin_marker(b)}\n{b.text}\n{END.format(b.id)}" for b in blocks]
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
        return Skip(title, SkipReason.PROTECTED, _("the page is protected against our edits"))
    if not bots_allowed(state.text, user):
        return Skip(title, SkipReason.NOBOTS, _("the page keeps bots out ({{nobots}} or {{bots}})"))
    text = state.text
    for block in blocks:
        try:
            owned = find_block(text, block.id)
        except MarkerError as exc:
            return Skip(title, SkipReason.MARKERS, str(exc))
        current = owned.content
        proof = owned.mark or published.get((title, block.id), "")[:MARK] or None
        # A block written before reviewers could write in it carries the plain fingerprint.
        found = {fingerprint(current, block.reviewers_write)[:MARK], fingerprint(current)[:MARK]}
        if not force and proof is None and current:
            return Skip(
                title,
                SkipReason.UNPROVEN,
                _(
                    "block {block!r} has a marker of an older movisync and this store has no "
                    "record of what was written there: check the page, then use --force"
                ).format(block=block.id),
            )
        if not force and proof is not None and proof not in found:
            return Skip(
                title,
                SkipReason.HAND_EDIT,
                _(
                    "block {block!r} was edited by hand since movisync wrote it (use --force "
                    "to overwrite)"
                ).format(block=block.id),
            )
        shrinks = current and len(block.text) < (1 - max_shrink) * len(current)
        if not allow_shrink and not block.moved and shrinks:
            return Skip(
                title,
                SkipReason.SHRINK,
                _(
                    "block {block!r} would shrink from {before} to {after} characters (use "
                    "--allow-shrink)"
                ).format(block=block.id, before=len(current), after=len(block.text)),
            )
        text = replace_block(text, block)
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
def _checksum(data: Mapping[str, Any]) -> str:
    body = {k: v for k, v in data.items() if k != "checksum"}
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def save_plan(plan: Plan, path: Path, *, api: str, wiki_id: str) -> None:
    """Write a reviewable plan: the wiki it is for, each page's base revision, old and
    new text, and a checksum that :func:`load_plan` checks."""
    data: dict[str, Any] = {
        "api": api,
        "wiki_id": wiki_id,
        "started": plan.started,
        "edits": [asdict(e) for e in plan.edits],
        "skipped": [asdict(s) for s in plan.skipped],
    }
    data["checksum"] = _checksum(data)
    write_file(path, json.dumps(data, ensure_ascii=False, indent=1))


def load_plan(path: Path, *, api: str, wiki_id: str) -> Plan:
    """A plan written by :func:`save_plan` for this wiki, unaltered; PlanRejected
    otherwise (what it edits is checked again when it is applied)."""
    try:
        data: dict[str, Any] = json.loads(read_file(path))
        edits = tuple(
            Edit(**{**e, "blocks": tuple(Block(**b) for b in e["blocks"])}) for e in data["edits"]
        )
        skipped = tuple(
            Skip(s["title"], SkipReason(s["reason"]), s["detail"]) for s in data["skipped"]
        )
        plan_api, plan_wiki, started, checksum = (
            data["api"],
            data["wiki_id"],
            data["started"],
            data["checksum"],
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PlanRejected(
            _("{path} is not a movisync plan ({reason}); nothing was written").format(
                path=path, reason=exc
            )
        ) from None
    if checksum != _checksum(data):
        raise PlanRejected(
            _("{path} was changed since movisync wrote it; plan again").format(path=path)
        )
    if plan_wiki != wiki_id or plan_api.rstrip("/") != api.rstrip("/"):
        raise PlanRejected(
            _("{path} was planned for {api} ({wiki}), not this wiki").format(
                path=path, api=plan_api, wiki=plan_wiki
            )
        )
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
    """Pages movisync saved a new revision of."""
    skipped: tuple[Skip, ...]
    unchanged: tuple[str, ...] = ()
    """Pages that already said what the plan says: nothing was saved."""
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
    recreate: bool = False
    """Create again a curated page someone deleted."""


def deleted_skip(wiki: Wiki, title: str) -> Skip | None:
    """A missing curated page that someone deleted is not created again unasked."""
    found = wiki.deletion(title)
    if found is None:
        return None
    user, when = found
    return Skip(
        title,
        SkipReason.DELETED,
        _("deleted by {user} on {day}: not recreated (use --recreate to create it again)").format(
            user=user, day=when[:10]
        ),
    )


def check_plan(plan: Plan, owned: Mapping[str, frozenset[str]]) -> None:
    """A plan may only write movisync's own blocks on movisync's own pages: ``owned``
    maps each curated page's title to its block ids. Raises PlanRejected otherwise."""
    for edit in plan.edits:
        if edit.title not in owned:
            raise PlanRejected(
                _(
                    "the plan edits {title!r}, which is not one of movisync's curated pages; "
                    "nothing was written"
                ).format(title=edit.title)
            )
        ids = {b.id for b in edit.blocks}
        elsewhere = any(b.page != edit.title for b in edit.blocks)
        if not ids or not ids <= owned[edit.title] or elsewhere:
            raise PlanRejected(
                _(
                    "the plan writes blocks {blocks} on {title!r}, which owns {owned}; nothing "
                    "was written"
                ).format(blocks=sorted(ids), title=edit.title, owned=sorted(owned[edit.title]))
            )


def apply_plan(
    plan: Plan,
    wiki: Wiki,
    published: Mapping[tuple[str, str], str],
    guards: Guards = Guards(),
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> ApplyResult:
    """Write the plan's blocks into the pages as they are now.

    A plan's texts are never written as they are: each page is read again and the
    plan's blocks are rendered into its current text (only inside the markers, under
    the same ownership rules as when planning). A page the plan created that exists
    now, or one it edited that was deleted since, is not written.
    """
    token, user = wiki.edit_token()
    applied: list[Applied] = []
    skipped: list[Skip] = []
    unchanged: list[str] = []
    for number, edit in enumerate(plan.edits):
        if len(applied) >= guards.budget:
            skipped += [
                Skip(
                    e.title,
                    SkipReason.BUDGET,
                    _("edit budget of {budget} reached").format(budget=guards.budget),
                )
                for e in plan.edits[number:]
            ]
            break
        if guards.stop_page:
            stop = wiki.read_pages([guards.stop_page]).get(guards.stop_page)
            if stop is not None and says_stop(stop, guards.stop_words):
                return ApplyResult(tuple(applied), tuple(skipped), tuple(unchanged), stopped=True)
        if applied:
            sleep(guards.throttle)
        outcome = _apply_one(wiki, edit, token, user, published, plan.started, guards)
        if isinstance(outcome, Skip):
            skipped.append(outcome)
        elif outcome is None:
            unchanged.append(edit.title)
        else:
            applied.append(outcome)
    return ApplyResult(tuple(applied), tuple(skipped), tuple(unchanged))


def _apply_one(
    wiki: Wiki,
    edit: Edit,
    token: str,
    user: UserInfo,
    published: Mapping[tuple[str, str], str],
    started: str,
    guards: Guards,
) -> Applied | Skip | None:
    """Write one page; None when it already says what the plan says."""
    for _attempt in range(guards.retries + 1):
        state = wiki.read_pages([edit.title])[edit.title]
        if not edit.create and not state.exists:
            return Skip(edit.title, SkipReason.MISSING, _("the page was deleted since the plan"))
        if not state.exists and not guards.recreate and (gone := deleted_skip(wiki, edit.title)):
            return gone
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
            return None
        saved = wiki.edit(
            title=edit.title,
            text=result,
            summary=edit.summary,
            token=token,
            started=started,
            user=user,
            create=not state.exists,
            base_rev=state.rev_id,
            base_timestamp=state.timestamp,
        )
        if saved.status is EditStatus.CONFLICT:
            continue
        if saved.status is EditStatus.PROTECTED:
            return Skip(edit.title, SkipReason.PROTECTED, saved.detail)
        if saved.status is EditStatus.MISSING:
            return Skip(edit.title, SkipReason.MISSING, _("the page was deleted since the plan"))
        if saved.status is EditStatus.UNCHANGED:
            return None
        if saved.merged:
            # The server merged our edit with someone else's: check that ours is there.
            now = wiki.read_pages([edit.title])[edit.title]
            for block in edit.blocks:
                if block_content(now.text, block.id).strip() != block.text.strip():
                    return Skip(
                        edit.title,
                        SkipReason.CONFLICT,
                        _("merged edit lost block {block!r}").format(block=block.id),
                    )
        return Applied(edit.title, saved.rev_id, edit.blocks)
    return Skip(
        edit.title,
        SkipReason.CONFLICT,
        _("still changing after {retries} retries").format(retries=guards.retries),
    )
