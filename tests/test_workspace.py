"""The workspace: one load per job, locks, and every job over the offline corpus."""

from __future__ import annotations

import pytest

from movisync import workspace as workspace_module
from movisync.errors import StoreLocked
from movisync.store import Store
from movisync.workspace import Workspace

from .helpers import corpus_store


def test_two_writers_never_overlap(tmp_path):
    with corpus_store(tmp_path / "s.sqlite") as store:
        first, second = Workspace(store), Workspace(store)
        with (
            first.locked(),
            first.locked(),  # re-entrant for one workspace
            pytest.raises(StoreLocked, match="another movisync run"),
            second.locked(),
        ):
            pass
        with second.locked():  # released: the next one goes
            pass


@pytest.mark.live
def test_run_loads_once_parses_what_changed_and_finds_gaps_and_duplicates_once(
    local_wiki, tmp_path, monkeypatch
):
    calls: dict[str, int] = {"load_parsed": 0, "detect_gaps": 0, "detect_duplicates": 0}
    for name in calls:
        real = getattr(workspace_module, name)

        def counted(*args, _real=real, _name=name, **kwargs):  # type: ignore[no-untyped-def]
            calls[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(workspace_module, name, counted)
    with Store(tmp_path / "s.sqlite") as store:
        first = Workspace(store, wiki=local_wiki.client)
        first.run()
        assert len(first.parsed_now) > 150  # the first run parses everything
        calls.update(dict.fromkeys(calls, 0))
        nightly = Workspace(store, wiki=local_wiki.client)  # the next night: nothing changed
        done = nightly.run()
    assert done.pull.kind == "incremental" and nightly.parsed_now == []
    assert calls == {"load_parsed": 1, "detect_gaps": 1, "detect_duplicates": 1}
    assert done.plan.edits and done.applied is None  # planned, nothing written
