"""What movisync does when things go wrong: a lost, old or read-only store, a full disk,
two commands at once, a kill at the worst moment. Each case ends in one ``Error:`` line,
or goes on and loses nothing; none overwrites a human's text on the wiki.

The README's "Reliability" table names these tests.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from movisync.cli import main, workspace
from movisync.config import load_settings
from movisync.errors import StoreFull, StoreLocked, StoreReadOnly
from movisync.store import Store
from movisync.workspace import Workspace

from .helpers import corpus_store
from .wikiedit import Editor

PLACES = "Movilab:Movisync/Annuaire/Tiers-lieux"
ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), env=env)


def one_error_line(result, *fragments: str, code: int = 1) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert all(f in lines[0] for f in fragments), lines[0]
    assert "Traceback" not in result.output


# --- ownership: the wiki is the proof -------------------------------------------------------
@pytest.fixture(scope="module")
def published(fresh_wiki, tmp_path_factory):
    """The curated pages written once on a throwaway wiki, and the store that wrote them."""
    folder = tmp_path_factory.mktemp("owner")
    (folder / "movisync.toml").write_text("throttle = 0\n")
    bot = fresh_wiki.credentials["bot"]
    env = {"MOVISYNC_USERNAME": bot["username"], "MOVISYNC_PASSWORD": bot["password"]}

    def settings(store: str):  # type: ignore[no-untyped-def]
        return load_settings(
            flags={"api": fresh_wiki.api, "store": folder / store},
            env=env,
            config_file=folder / "movisync.toml",
        )

    with workspace(settings("first.sqlite"), existing=False) as ws:
        done = ws.run(apply=True)
    assert len(done.applied.applied) == 14
    shutil.copy(folder / "first.sqlite", folder / "older.sqlite")
    return fresh_wiki, settings, Editor(fresh_wiki.client("human")), folder, env


def plan_with(settings, store: str):  # type: ignore[no-untyped-def]
    with workspace(settings(store), existing=False) as ws:
        ws.pull()
        return ws.plan()


@pytest.mark.live
def test_a_fresh_store_never_overwrites_a_hand_edit_nor_mistakes_ours(published):
    wiki, settings, human, _, _ = published
    text = wiki.client().read_pages([PLACES])[PLACES].text
    human.edit(PLACES, text.replace("[[:La Bobine]]", "[[:La Bobine]] (revu à la main)"))
    made = plan_with(settings, "fresh.sqlite")  # a new server, a CI cache miss, a lost file
    assert {s.title: s.reason for s in made.skipped} == {PLACES: "hand_edit"}
    assert made.edits == ()  # every other page is recognised as movisync's own


@pytest.mark.live
def test_an_older_store_still_recognises_movisyncs_own_pages(published):
    _, settings, human, _, _ = published
    human.edit("Le Moulin Neuf", "{{Tiers-lieu|Titre=Le Moulin Neuf|location=Pau}}\nTexte.")
    with workspace(settings("first.sqlite")) as ws:  # movisync writes the new directory
        ws.run(apply=True)
    made = plan_with(settings, "older.sqlite")  # a copy of the store from before that run
    assert all(s.reason != "hand_edit" or s.title == PLACES for s in made.skipped)
    assert {e.title for e in made.edits} <= {PLACES}


@pytest.mark.live
def test_a_kill_right_after_a_save_is_not_taken_for_a_hand_edit(published, tmp_path):
    wiki, settings, human, folder, env = published
    human.edit("La Grange Bleue", "{{Commun|shortDescription=x|Theme=Gestion}}\nTexte.")
    store = folder / "killed.sqlite"
    shutil.copy(folder / "first.sqlite", store)
    before = {
        t: s.rev_id
        for t, s in wiki.client().read_pages(["Movilab:Movisync/Annuaire/Communs"]).items()
    }
    slow = folder / "slow.toml"
    slow.write_text("throttle = 3\n")  # a pause after each edit: the kill falls in one
    command = [sys.executable, "-m", "movisync", "run", "--apply"]
    process = subprocess.Popen(
        command,
        cwd=folder,
        env={
            **os.environ,
            **env,
            "MOVISYNC_API": wiki.api,
            "MOVISYNC_STORE": str(store),
            "MOVISYNC_CONFIG": str(slow),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline, saved = time.monotonic() + 60, False
    while time.monotonic() < deadline and not saved:  # kill -9 once the wiki saved an edit
        now = wiki.client().read_pages(list(before))
        saved = any(s.rev_id != before[t] for t, s in now.items())
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL and saved, "the run was not cut after a save"
    made = plan_with(settings, "killed.sqlite")
    assert all(s.reason != "hand_edit" or s.title == PLACES for s in made.skipped)


# --- the store ---------------------------------------------------------------------------------
def nobody(*args: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """movisync run as an unprivileged user (root may write anything)."""
    return subprocess.run(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            sys.executable,
            "-m",
            "movisync",
            *args,
        ],
        cwd=folder,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("MOVISYNC")},
            "HOME": str(folder),
        },
        capture_output=True,
        text=True,
    )


def reachable_by_others(path: Path) -> bool:
    """Whether another user can reach ``path`` (every directory above it searchable by
    others): the checkout in a private temporary directory is not."""
    return all(p.stat().st_mode & stat.S_IXOTH for p in (path, *path.parents))


@pytest.mark.skipif(shutil.which("setpriv") is None or os.getuid() != 0, reason="needs root")
@pytest.mark.skipif(
    not reachable_by_others(Path(sys.executable).parent) or not reachable_by_others(ROOT),
    reason="the checkout or its Python is not reachable by another user",
)
def test_a_read_only_store_is_read_and_never_lost():
    folder = Path(tempfile.mkdtemp(prefix="movisync-ro-"))
    try:
        store_path = folder / "movisync.sqlite"
        corpus_store(store_path, accueil=True).close()
        with Store(store_path) as store:  # as a nightly run leaves it: parses cached
            Workspace(store).gaps()
        folder.chmod(0o755)
        for path in folder.iterdir():
            path.chmod(0o644)
        original = store_path.read_bytes()
        status = nobody("status", folder=folder)
        assert status.returncode == 0 and "wiki: Movilab" in status.stdout, status.stderr
        for args in (["records"], ["gaps", "--summary"], ["dupes"], ["report"], ["history"]):
            done = nobody(*args, folder=folder)
            assert done.returncode == 0, (args, done.stderr)
            assert "Traceback" not in done.stderr
        gaps = nobody("gaps", "--snapshot", folder=folder)
        assert "snapshot was not kept" in gaps.stderr and "read-only" in gaps.stderr
        refused = nobody("not-duplicate", "La Myne", "LaMyne", folder=folder)
        assert refused.returncode == 1 and refused.stderr.startswith("Error: ")
        assert "read-only" in refused.stderr and "Traceback" not in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
        assert store_path.read_bytes() == original  # nothing changed, nothing lost
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def small_disk(tmp_path):
    """A file system of 4 MB of its own."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode:
        pytest.skip("mounting a small file system needs root")
    yield mount
    subprocess.run(["umount", "--lazy", str(mount)], check=False)


def fill(folder: Path) -> None:
    """Fill the file system holding ``folder`` to its last byte."""
    with (folder / "filler").open("ab", buffering=0) as out:
        try:
            while True:
                out.write(b"x" * 4096)
        except OSError:
            pass


def test_a_full_disk_stores_nothing_half_and_gaps_still_answer(small_disk, caplog):
    with corpus_store(small_disk / "s.sqlite") as store:
        fill(small_disk)
        ws = Workspace(store)
        report = ws.gaps()  # the parses cannot be cached: said, and the gaps come anyway
        assert report.gaps and "were not cached" in caplog.text and "full" in caplog.text
        ws.snapshot()
        assert "snapshot was not kept" in caplog.text
        with pytest.raises(StoreFull, match="nothing of this step was stored"):
            ws.set_verdict("La Myne", "LaMyne", False)
        (small_disk / "filler").unlink()
        assert store.verdicts() == [] and len(Workspace(store).gaps().gaps) == len(report.gaps)


def test_a_report_on_a_full_disk_keeps_the_previous_one(tmp_path, small_disk, monkeypatch):
    corpus_store(tmp_path / "movisync.sqlite", accueil=True).close()
    monkeypatch.chdir(tmp_path)
    previous = small_disk / "rapport.html"
    previous.write_text("<p>rapport d'hier</p>")
    fill(small_disk)
    result = cli("report", "--html", str(previous))
    one_error_line(result, "cannot write", "the previous file, if any, is unchanged")
    assert previous.read_text() == "<p>rapport d'hier</p>"
    assert {p.name for p in small_disk.iterdir()} == {"rapport.html", "filler"}  # no leftover


def test_an_unwritable_output_path_is_one_error_line(tmp_path, monkeypatch):
    corpus_store(tmp_path / "movisync.sqlite", accueil=True).close()
    monkeypatch.chdir(tmp_path)
    one_error_line(
        cli("report", "--html", "/nonexistent/r.html"), "cannot write /nonexistent/r.html"
    )


def test_two_writers_at_once_the_second_stops_at_once(tmp_path, monkeypatch):
    corpus_store(tmp_path / "movisync.sqlite").close()
    monkeypatch.chdir(tmp_path)
    with Store(tmp_path / "movisync.sqlite") as store, Workspace(store).locked():
        result = cli("pull", "--api", "http://127.0.0.1:9/api.php")
        one_error_line(result, "another movisync run holds", "wait for it to finish")
        with pytest.raises(StoreLocked), Workspace(store).locked():
            pass


def test_the_first_pull_of_an_unreachable_wiki_leaves_no_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "movisync.toml").write_text("max_retries = 0\n")
    result = cli("pull", "--api", "http://127.0.0.1:9/api.php")
    one_error_line(result, "cannot reach")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["movisync.toml"]


def test_worker_processes_die_with_their_parent(tmp_path):
    script = ROOT / "scripts" / "bench-gaps"
    assert script.exists()
    store = tmp_path / "big.sqlite"
    build = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from importlib.machinery import SourceFileLoader\n"
        f"bench = SourceFileLoader('bench_gaps', {str(script)!r}).load_module()\n"
        "from movisync.profile import load_profile\n"
        "from movisync.store import Store\n"
        "from tests.helpers import SITE\n"
        "pages = bench.synthesise(1500, SITE, load_profile())\n"
        f"with Store({str(store)!r}) as s:\n"
        "    s.bind(api=None, wiki_id='w'); s.save_site(SITE)\n"
        "    with s.transaction(): s.apply(pages)\n"
    )
    subprocess.run([sys.executable, "-c", build], check=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "movisync", "gaps", "--store", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children: list[int] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(children) < 2:
        found = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True)
        children = [int(pid) for pid in found.stdout.split()]
        time.sleep(0.05)
    assert children, "the cold parse started no worker"
    process.send_signal(signal.SIGKILL)
    process.wait()
    time.sleep(1.0)
    alive = [
        pid
        for pid in children
        if Path(f"/proc/{pid}").exists()
        and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    ]
    assert alive == [], "worker processes outlived their parent"


def test_a_store_refuses_writes_when_read_only(tmp_path):
    corpus_store(tmp_path / "s.sqlite").close()
    with Store(tmp_path / "s.sqlite") as store:
        store.writable = False
        with pytest.raises(StoreReadOnly, match="make the file and its folder writable"):
            store.set_verdict("A", "B", False, source="t", added="x")


def test_plan_files_that_are_not_movisyncs_are_refused(tmp_path, monkeypatch):
    corpus_store(tmp_path / "movisync.sqlite", accueil=True).close()
    monkeypatch.chdir(tmp_path)
    forged = {"title": "Accueil", "base_rev": 1, "new_text": "…", "blocks": {}}
    (tmp_path / "plan.json").write_text(json.dumps({"api": "x", "edits": [forged]}))
    one_error_line(cli("apply", "plan.json"), "is not a movisync plan", "nothing was written")


@pytest.mark.live
def test_a_curated_page_deleted_by_an_admin_is_recreated_only_when_asked(published):
    wiki, settings, _, _, _ = published
    title = "Movilab:Movisync/Annuaire/Projets"
    Editor(wiki.client("admin")).delete(title)
    made = plan_with(settings, "first.sqlite")
    gone = {s.title: s for s in made.skipped}[title]
    assert gone.reason == "deleted" and "--recreate" in gone.detail and "Admin" in gone.detail
    assert title not in {e.title for e in made.edits}
    with workspace(settings("first.sqlite")) as ws:
        again = ws.plan(recreate=True)
        assert title in {e.title for e in again.edits if e.create}
        done = ws.apply(again, recreate=True)
    assert title in {a.title for a in done.applied}


@pytest.mark.live
def test_a_store_moves_to_the_same_wiki_at_another_url_and_no_other(local_wiki, tmp_path):
    store_path = tmp_path / "s.sqlite"
    with Store(store_path) as store:
        Workspace(store, wiki=local_wiki.client).pull()
    other = local_wiki.api.replace("127.0.0.1", "localhost")
    refused = cli("pull", "--api", other, "--store", str(store_path))
    one_error_line(refused, "holds pages of", "use another --store")
    moved = cli("status", "--store", str(store_path), "--rebind", other)
    assert moved.exit_code == 0 and f"Rebound {store_path} to {other}" in moved.stderr
    assert cli("pull", "--api", other, "--store", str(store_path)).exit_code == 0
    with Store(store_path) as store:
        assert store.meta("api") == other
        store.db.execute("UPDATE meta SET value = 'autre' WHERE key = 'wiki_id'")
    back = cli("status", "--store", str(store_path), "--rebind", local_wiki.api)
    one_error_line(back, "is the wiki 'movilab', not 'autre'", "not rebound")
