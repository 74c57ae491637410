"""The curation job: plan the curated pages, apply a plan, and the scheduled run.

Library calls behind ``movisync plan``, ``movisync apply``, ``movisync run`` and
``movisync doctor``. The job reads the store, asks the pure modules for findings and
wikitext, and only then talks to the wiki (through the client) to diff and write.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import render
from .analysis import find_duplicates, find_gaps, snapshots
from .client import WikiClient
from .config import Settings
from .errors import ConfigError, MovisyncError, StoreError
from .history import trend_line
from .profile import Profile
from .publish import (
    Applied,
    ApplyResult,
    Edit,
    MarkerError,
    Plan,
    Skip,
    apply_plan,
    block_content,
    fingerprint,
    make_plan,
    read_pages,
    says_stop,
)
from .records import load_records
from .site import SiteInfo
from .store import Store


class RunLocked(MovisyncError):
    """Another ``movisync run`` holds the lock."""


@dataclass(frozen=True)
class Targets:
    """Titles of the curated pages (configuration, French by default)."""

    prefix: str
    directories: dict[str, str]
    activities: str
    worklists: dict[str, str]
    review: str
    stop_page: str


def targets(site: SiteInfo, profile: Profile, settings: Settings) -> Targets:
    project = site.namespace(4)
    prefix = settings.publish_prefix or f"{project.name if project else 'Project'}:Movisync"

    return Targets(
        prefix=prefix,
        directories={t.key: f"{prefix}/Annuaire/{t.plural}" for t in profile.types},
        activities=f"{prefix}/Activités",
        worklists={t.key: f"{prefix}/À compléter/{t.plural}" for t in profile.types},
        review=f"{prefix}/Doublons",
        stop_page=settings.stop_page or f"{prefix}/Arrêt",
    )


def read_wiki_verdicts(
    store: Store, client: WikiClient, where: Targets
) -> dict[tuple[str, str], str]:
    """Verdicts reviewers wrote on the review page; "pas un doublon" pairs join the
    store's not-a-duplicate list."""
    state = read_pages(client, [where.review]).get(where.review)
    if state is None or not state.exists:
        return {}
    try:
        verdicts = render.read_verdicts(block_content(state.text, "duplicates"))
    except MarkerError:
        return {}
    today = dt.date.today().isoformat()
    for (a, b), verdict in verdicts.items():
        if verdict == render.VERDICT_NO:
            store.set_not_duplicate(a, b, source="wiki", added=today)
    return verdicts


def blocks(
    store: Store, profile: Profile, where: Targets, verdicts: dict[tuple[str, str], str]
) -> list[render.Block]:
    """Every curated block, rendered from the store."""
    records = load_records(store, profile)
    gaps = find_gaps(store, profile, curated=where.prefix)
    dupes = find_duplicates(store, profile)
    made = [render.directory(records, t, where.directories[t.key]) for t in profile.types]
    made.append(render.activities(records, profile, where.activities))
    history = snapshots(store)
    made += [
        render.worklist(gaps, t, where.worklists[t.key], trend_line(history, t.key))
        for t in profile.types
    ]
    made.append(render.review(dupes, where.review, verdicts))
    return made


def plan(
    store: Store,
    client: WikiClient,
    profile: Profile,
    settings: Settings,
    *,
    force: bool = False,
    allow_shrink: bool = False,
) -> Plan:
    """Render every curated block and diff it against the wiki. Nothing is written."""
    site = store.site()
    if site is None:
        raise StoreError(f"{store.path} holds no wiki yet; run `movisync pull` first")
    where = targets(site, profile, settings)
    verdicts = read_wiki_verdicts(store, client, where)
    made = blocks(store, profile, where, verdicts)
    pages = read_pages(client, sorted({b.page for b in made}))
    user = client.call({"action": "query", "meta": "userinfo"})["query"]["userinfo"]
    records = load_records(store, profile)
    counts = {t.plural.lower(): sum(1 for r in records if r.type == t.key) for t in profile.types}
    summary = (
        "movisync : pages de synthèse ("
        + ", ".join(f"{n} {label}" for label, n in counts.items())
        + ")"
    )
    return make_plan(
        made,
        pages,
        store.published(),
        force=force,
        allow_shrink=allow_shrink,
        max_shrink=settings.max_shrink,
        user=user.get("name", ""),
        summary=summary,
    )


def apply(
    plan_: Plan,
    store: Store,
    client: WikiClient,
    profile: Profile,
    settings: Settings,
    *,
    force: bool = False,
    allow_shrink: bool = False,
    on_applied: Callable[[Applied], None] | None = None,
) -> ApplyResult:
    """Write a plan, recording what was written for hand-edit detection."""
    site = store.site()
    where = targets(site, profile, settings) if site else None

    def remember(done: Applied) -> None:
        at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for block_id, content in done.blocks.items():
            store.set_published(
                done.title, block_id, fingerprint(block_id, content), done.rev_id, at
            )
        if on_applied:
            on_applied(done)

    return apply_plan(
        plan_,
        client,
        store.published(),
        stop_page=where.stop_page if where else "",
        throttle=settings.throttle,
        budget=settings.budget,
        force=force,
        allow_shrink=allow_shrink,
        max_shrink=settings.max_shrink,
        on_applied=remember,
    )


# --- plan files --------------------------------------------------------------------------------
def save_plan(plan_: Plan, path: Path, api: str) -> None:
    data = {
        "api": api,
        "started": plan_.started,
        "edits": [asdict(e) | {"blocks": dict(e.blocks)} for e in plan_.edits],
        "skipped": [asdict(s) for s in plan_.skipped],
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def load_plan(path: Path, api: str) -> Plan:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        edits = tuple(Edit(**e) for e in data["edits"])
        skipped = tuple(Skip(**s) for s in data["skipped"])
        plan_api, started = data["api"], data["started"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path} is not a movisync plan ({exc})") from None
    if plan_api != api:
        raise ConfigError(f"{path} was planned for {plan_api}, not {api}")
    return Plan(edits, skipped, started)


@contextmanager
def lock(path: Path) -> Iterator[None]:
    """An exclusive lock file: a second run fails at once instead of overlapping."""
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLocked(f"another movisync run holds {path}; wait for it to finish") from None
        os.ftruncate(handle, 0)
        os.write(handle, str(os.getpid()).encode())
        yield
    finally:
        os.close(handle)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def client_for(settings: Settings) -> WikiClient:
    """A client for the settings' wiki, logged in when credentials are set."""
    client = WikiClient(
        settings.api,
        contact=settings.contact,
        max_retries=settings.max_retries,
        backoff=settings.backoff,
        timeout=settings.timeout,
        maxlag=settings.maxlag,
    )
    if settings.username and settings.password:
        client.login(settings.username, settings.password)
    return client


def doctor(settings: Settings, profile: Profile) -> list[Check]:
    """What would stop a run, each with what to fix. Stops at the first blocking failure."""
    checks: list[Check] = []
    client = WikiClient(
        settings.api,
        contact=settings.contact,
        max_retries=1,
        backoff=settings.backoff,
        timeout=settings.timeout,
        maxlag=settings.maxlag,
    )
    try:
        site = client.siteinfo()
    except MovisyncError as exc:
        return [Check("API", False, str(exc))]
    checks.append(Check("API", True, f"{site.generator} ({site.sitename}) at {settings.api}"))
    if settings.username and settings.password:
        try:
            client.login(settings.username, settings.password)
        except MovisyncError as exc:
            return [*checks, Check("login", False, str(exc))]
        checks.append(Check("login", True, f"logged in as {settings.username.split('@')[0]}"))
    else:
        checks.append(
            Check(
                "login",
                False,
                "anonymous: reading works, but plan --apply, apply "
                "and run --apply need MOVISYNC_USERNAME and MOVISYNC_PASSWORD",
            )
        )
    rights = set(client.siteinfo().rights)
    checks.append(
        Check(
            "edit right",
            "edit" in rights,
            "can edit" if "edit" in rights else "this account cannot edit",
        )
    )
    checks.append(
        Check(
            "bot flag",
            "bot" in rights,
            "edits are flagged as bot edits"
            if "bot" in rights
            else "not in the bot group: edits will show in recent "
            "changes (ask a bureaucrat for the bot flag)",
        )
    )
    checks.append(
        Check(
            "high limits",
            True,
            "apihighlimits: 500 pages a request"
            if "apihighlimits" in rights
            else "50 pages a request (no apihighlimits)",
        )
    )
    where = targets(site, profile, settings)
    titles = sorted(
        {*where.directories.values(), where.activities, *where.worklists.values(), where.review}
    )
    tested = client.call(
        {"action": "query", "titles": titles[0], "prop": "info", "intestactions": "edit"}
    )
    can_edit = all(p.get("actions", {}).get("edit") for p in tested["query"]["pages"])
    checks.append(
        Check(
            "edit the targets",
            can_edit,
            f"pages under {where.prefix}"
            if can_edit
            else f"this account may not edit {titles[0]} (protected namespace?)",
        )
    )
    pages = read_pages(client, titles)
    expected = {
        **{v: f"directory-{k}" for k, v in where.directories.items()},
        **{v: f"worklist-{k}" for k, v in where.worklists.items()},
        where.activities: "activities",
        where.review: "duplicates",
    }
    problems = []
    for title, state in sorted(pages.items()):
        if state.exists:
            try:
                block_content(state.text, expected[title])
            except MarkerError as exc:
                problems.append(f"{title}: {exc}")
    checks.append(
        Check(
            "markers",
            not problems,
            "; ".join(problems)
            or f"{sum(p.exists for p in pages.values())} existing target page(s) sane, "
            f"{sum(not p.exists for p in pages.values())} to create",
        )
    )
    stop = read_pages(client, [where.stop_page]).get(where.stop_page)
    stopped = bool(stop and says_stop(stop))
    checks.append(
        Check(
            "stop page",
            not stopped,
            f"{where.stop_page} says stop: remove it to run"
            if stopped
            else f"{where.stop_page} does not say stop",
        )
    )
    if settings.store.exists():
        try:
            with Store(settings.store) as store:
                store.bind(api=settings.api, wiki_id=site.wiki_id)
            checks.append(Check("store", True, f"{settings.store} belongs to this wiki"))
        except MovisyncError as exc:
            checks.append(Check("store", False, str(exc)))
    return checks
