"""Writing curated blocks back to the wiki, safely.

movisync owns only what lies between ``<!-- movisync:begin ID -->`` and
``<!-- movisync:end ID -->`` on its target pages. Rules, all fail-closed:

- a missing page is created with its markers (``createonly``); on an existing page,
  anything outside the markers is never touched; missing, reversed or repeated markers
  mean the page is skipped and reported;
- a hash of what movisync last wrote detects hand edits inside a block: reported, not
  overwritten, unless forced (a review block's verdict column is the reviewers' to edit);
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
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from .client import WikiClient
from .errors import ApiError, LoginFailed, MovisyncError
from .render import Block

BEGIN = "<!-- movisync:begin {} -->"
END = "<!-- movisync:end {} -->"
VERDICT_CELL = re.compile(r"^(\| \[\[:.*\|\|)[^|\n]*$", re.MULTILINE)


class MarkerError(MovisyncError):
    """A page's movisync markers are missing, reversed or repeated."""


@dataclass(frozen=True)
class PageState:
    """A target page as the wiki has it now."""

    title: str
    exists: bool
    text: str = ""
    rev_id: int = 0
    timestamp: str = ""
    protected: bool = False


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
    blocks: Mapping[str, str] = field(default_factory=dict)
    """Block id to the content movisync writes there."""

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
    reason: str
    """``markers``, ``hand_edit``, ``nobots``, ``shrink``, ``protected``, ``conflict``,
    ``missing``, ``budget``."""
    detail: str


@dataclass(frozen=True)
class Plan:
    edits: tuple[Edit, ...]
    skipped: tuple[Skip, ...]
    started: str
    """When the plan was made (the ``starttimestamp`` of its edits)."""


def fingerprint(block_id: str, content: str) -> str:
    """What hand-edit detection compares: the block's content, its verdict column
    blanked on review blocks (reviewers write there)."""
    if block_id == "duplicates":
        content = VERDICT_CELL.sub(r"\1", content)
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
        return Skip(title, "protected", "the page is protected against our edits")
    if not bots_allowed(state.text, user):
        return Skip(title, "nobots", "the page keeps bots out ({{nobots}} or {{bots}})")
    text = state.text
    for block in blocks:
        try:
            current = block_content(text, block.id)
        except MarkerError as exc:
            return Skip(title, "markers", str(exc))
        last = published.get((title, block.id))
        if last is not None and fingerprint(block.id, current) != last and not force:
            return Skip(
                title,
                "hand_edit",
                f"block {block.id!r} was edited by hand since "
                "movisync wrote it (use --force to overwrite)",
            )
        if not allow_shrink and current and len(block.text) < (1 - max_shrink) * len(current):
            return Skip(
                title,
                "shrink",
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
    summary: str = "movisync : mise à jour",
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
                    blocks={b.id: b.text for b in by_page[title]},
                )
            )
    started = now or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Plan(tuple(edits), tuple(skipped), started)


# --- talking to the wiki ---------------------------------------------------------------------
def read_pages(client: WikiClient, titles: Sequence[str]) -> dict[str, PageState]:
    """The target pages' current text, revision and edit protection, in batches."""
    states: dict[str, PageState] = {}
    for start in range(0, len(titles), 50):
        batch = titles[start : start + 50]
        result = client.call(
            {
                "action": "query",
                "titles": "|".join(batch),
                "prop": "revisions|info",
                "rvprop": "ids|timestamp|content",
                "rvslots": "main",
                "inprop": "protection",
            }
        )
        query = result.get("query", {})
        aliases = {n["to"]: n["from"] for n in query.get("normalized", [])}
        for page in query.get("pages", []):
            title = aliases.get(page["title"], page["title"])
            if page.get("missing"):
                states[title] = PageState(title, exists=False)
                continue
            rev = page["revisions"][0]
            protected = any(
                p.get("type") == "edit" and p.get("level") not in ("", "autoconfirmed")
                for p in page.get("protection", [])
            )
            states[title] = PageState(
                title,
                exists=True,
                text=rev["slots"]["main"].get("content", ""),
                rev_id=rev["revid"],
                timestamp=rev["timestamp"],
                protected=protected,
            )
    return states


def stop_requested(client: WikiClient, stop_page: str) -> bool:
    """The stop page says "stop": any text containing the word, case-insensitively."""
    if not stop_page:
        return False
    state = read_pages(client, [stop_page]).get(stop_page)
    return bool(state and says_stop(state))


def says_stop(state: PageState) -> bool:
    return state.exists and bool(re.search(r"\bstop\b", state.text, re.IGNORECASE))


@dataclass(frozen=True)
class Applied:
    title: str
    rev_id: int
    blocks: Mapping[str, str]


@dataclass(frozen=True)
class ApplyResult:
    applied: tuple[Applied, ...]
    skipped: tuple[Skip, ...]
    stopped: bool = False


def apply_plan(
    plan: Plan,
    client: WikiClient,
    published: Mapping[tuple[str, str], str],
    *,
    stop_page: str = "",
    throttle: float = 5.0,
    budget: int = 50,
    retries: int = 3,
    force: bool = False,
    allow_shrink: bool = False,
    max_shrink: float = 0.5,
    on_applied: Callable[[Applied], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ApplyResult:
    """Write exactly the plan's edits, re-checking each base revision.

    MediaWiki rules used: ``baserevid``/``basetimestamp`` make the server refuse (or
    merge) an edit on a page changed since; ``starttimestamp`` catches a page deleted
    since; ``createonly``/``nocreate`` make creation explicit; ``assert=bot`` (or
    ``user``) fails when the login was lost; ``md5`` guards the text in transit.
    """
    info = client.call({"action": "query", "meta": "tokens|userinfo", "uiprop": "rights|groups"})
    token = info["query"]["tokens"]["csrftoken"]
    userinfo = info["query"]["userinfo"]
    if userinfo.get("anon"):
        raise LoginFailed(
            "applying needs a login: set MOVISYNC_USERNAME and MOVISYNC_PASSWORD "
            "(a bot password from Special:BotPasswords)"
        )
    is_bot = "bot" in userinfo.get("rights", [])
    user = userinfo.get("name", "")
    applied: list[Applied] = []
    skipped: list[Skip] = []
    for number, edit in enumerate(plan.edits):
        if number >= budget:
            skipped += [
                Skip(e.title, "budget", f"edit budget of {budget} reached")
                for e in plan.edits[number:]
            ]
            break
        if stop_requested(client, stop_page):
            return ApplyResult(tuple(applied), tuple(skipped), stopped=True)
        if applied:
            sleep(throttle)
        outcome = _apply_one(
            client,
            edit,
            token,
            is_bot,
            user,
            published,
            plan.started,
            retries=retries,
            force=force,
            allow_shrink=allow_shrink,
            max_shrink=max_shrink,
        )
        if isinstance(outcome, Skip):
            skipped.append(outcome)
        else:
            applied.append(outcome)
            if on_applied:
                on_applied(outcome)
    return ApplyResult(tuple(applied), tuple(skipped))


def _apply_one(
    client: WikiClient,
    edit: Edit,
    token: str,
    is_bot: bool,
    user: str,
    published: Mapping[tuple[str, str], str],
    started: str,
    *,
    retries: int,
    force: bool,
    allow_shrink: bool,
    max_shrink: float,
) -> Applied | Skip:
    for _ in range(retries + 1):
        state = read_pages(client, [edit.title])[edit.title]
        if (state.exists, state.rev_id) != (not edit.create, edit.base_rev):
            # Changed since the plan: render our blocks into the page as it is now.
            blocks = [Block(edit.title, k, v) for k, v in edit.blocks.items()]
            result = render_into(
                state,
                blocks,
                published,
                force=force,
                allow_shrink=allow_shrink,
                max_shrink=max_shrink,
                user=user,
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
        params: dict[str, str | int] = {
            "action": "edit",
            "title": edit.title,
            "text": edit.new_text,
            "summary": edit.summary,
            "token": token,
            "starttimestamp": started,
            "md5": hashlib.md5(edit.new_text.encode()).hexdigest(),
            "assert": "bot" if is_bot else "user",
            "watchlist": "nochange",
        }
        if is_bot:
            params["bot"] = "1"
        if edit.create:
            params["createonly"] = "1"
        else:
            params.update(nocreate="1", baserevid=edit.base_rev, basetimestamp=edit.base_timestamp)
        try:
            answer = client.call(params, post=True)["edit"]
        except ApiError as exc:
            if exc.code in ("editconflict", "articleexists"):
                continue
            if exc.code in ("protectedpage", "cascadeprotected", "protectednamespace"):
                return Skip(edit.title, "protected", exc.info)
            if exc.code == "missingtitle":
                return Skip(edit.title, "missing", "the page was deleted since the plan")
            if exc.code in ("assertbotfailed", "assertuserfailed"):
                raise LoginFailed(f"the wiki no longer sees us logged in ({exc.code})") from None
            raise
        if answer.get("result") != "Success":
            return Skip(edit.title, "conflict", f"the wiki answered {answer}")
        new_rev = int(answer.get("newrevid") or edit.base_rev)
        if not edit.create and "nochange" not in answer and answer.get("oldrevid") != edit.base_rev:
            # The server merged our edit with someone else's: check that ours is there.
            now = read_pages(client, [edit.title])[edit.title]
            for block_id, content in edit.blocks.items():
                if block_content(now.text, block_id).strip() != content.strip():
                    return Skip(edit.title, "conflict", f"merged edit lost block {block_id!r}")
        return Applied(edit.title, new_rev, edit.blocks)
    return Skip(edit.title, "conflict", f"still changing after {retries} retries")
