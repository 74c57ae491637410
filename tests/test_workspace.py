"""The workspace: one load per job, locks, and every job over the offline corpus."""

from __future__ import annotations

import pytest

from movisync.errors import StoreLocked
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
