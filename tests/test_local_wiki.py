"""scripts/local-wiki: the refusals that protect another checkout's wiki."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from .conftest import LOCAL_WIKI


def test_a_port_taken_by_another_program_is_refused_before_installing(tmp_path: Path) -> None:
    with socket.socket() as other:  # another checkout's wiki, or anything else
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        folder = ["--dir", str(tmp_path / "w"), "--port", str(port)]
        command = [sys.executable, str(LOCAL_WIKI), *folder]
        done = subprocess.run([*command, "start"], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert f"127.0.0.1:{port} is taken by another program" in done.stderr
    assert not (tmp_path / "w").exists()  # nothing installed
