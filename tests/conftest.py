"""Shared fixtures: the live local MediaWiki, fresh throwaway wikis, and cassettes.

The live tier needs Debian's mediawiki and PHP: ``scripts/local-wiki`` installs them when
missing (as root), so these fixtures work on a clean machine.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from movisync.wiki import Wiki, WikiClient

# The tests read movisync's messages in English, whatever the machine's locale (and so do
# the commands they start); tests/test_i18n.py asks for French where it wants it.
for _variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
    os.environ.pop(_variable, None)
os.environ["LANG"] = "C.UTF-8"

ROOT = Path(__file__).resolve().parent.parent
LOCAL_WIKI = ROOT / "scripts" / "local-wiki"
DEFAULT_PORT = 8089
DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class LocalWiki:
    api: str
    folder: Path
    credentials: dict[str, dict[str, str]]

    def client(self, role: str | None = None, **options: float) -> Wiki:
        """This wiki's API, logged in as ``bot``, ``admin`` or ``human``."""
        client = WikiClient(self.api, contact="movisync tests", backoff=0.05, **options)  # type: ignore[arg-type]
        if role:
            creds = self.credentials[role]
            client.login(creds["username"], creds["password"])
        return Wiki(client)


def start_wiki(folder: Path, port: int, *extra: str) -> LocalWiki:
    done = subprocess.run(
        [
            sys.executable,
            str(LOCAL_WIKI),
            "--dir",
            str(folder),
            "--port",
            str(port),
            *extra,
            "start",
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"scripts/local-wiki start failed:\n{done.stdout}\n{done.stderr}")
    api = done.stdout.strip().splitlines()[-1]
    creds = json.loads((folder / "credentials.json").read_text())
    return LocalWiki(api=api, folder=folder, credentials=creds)


def stop_wiki(folder: Path, port: int) -> None:
    subprocess.run(
        [sys.executable, str(LOCAL_WIKI), "--dir", str(folder), "--port", str(port), "stop"],
        capture_output=True,
    )


@pytest.fixture(scope="session")
def local_wiki() -> LocalWiki:
    """The seeded local wiki on the default port; tests must not change it."""
    folder = Path(os.environ.get("MOVISYNC_WIKI_DIR", ROOT / ".local-wiki"))
    return start_wiki(folder, DEFAULT_PORT)


@pytest.fixture(scope="module")
def fresh_wiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWiki]:
    """A throwaway seeded wiki on its own port, for tests that change the wiki."""
    port = 8100 + (os.getpid() % 400)
    folder = tmp_path_factory.mktemp("wiki")
    wiki = start_wiki(folder, port)
    yield wiki
    stop_wiki(folder, port)


def corpus_wiki(tmp_path_factory: pytest.TempPathFactory, corpus: Path, offset: int):
    """A throwaway wiki seeded with another corpus, on a port of its own."""
    port = 8500 + offset + (os.getpid() % 200) * 2
    folder = tmp_path_factory.mktemp("corpus-wiki")
    wiki = start_wiki(folder, port, "--corpus", str(corpus))
    return wiki, folder, port


@pytest.fixture(scope="module")
def smw_wiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWiki]:
    """A wiki seeded with the Semantic MediaWiki + Page Forms corpus (tests/data/smw-corpus)."""
    wiki, folder, port = corpus_wiki(tmp_path_factory, DATA / "smw-corpus", 0)
    yield wiki
    stop_wiki(folder, port)


@pytest.fixture(scope="module")
def renamed_wiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWiki]:
    """A wiki seeded with the sample corpus, every type template and category renamed."""
    from .corpusfile import PAGE_HEADER
    from .helpers import renamed_corpus

    corpus = tmp_path_factory.mktemp("renamed-corpus")
    text = "".join(f"{PAGE_HEADER}{t}\n{x}\n\n" for t, x in renamed_corpus().items())
    (corpus / "renamed.wiki").write_text(text, encoding="utf-8")
    wiki, folder, port = corpus_wiki(tmp_path_factory, corpus, 1)
    yield wiki
    stop_wiki(folder, port)


# --- cassettes (pytest-recording): replayed offline, recorded from the local wiki ---------
SECRET_PARAMS = ["lgpassword", "lgtoken", "token", "password"]
TOKEN_VALUE = re.compile(r'("\w*token"\s*:\s*")[^"]*(")')


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Drop cookies and replace token values before a response is written to a cassette."""
    response["headers"] = {
        k: v for k, v in response["headers"].items() if k.lower() != "set-cookie"
    }
    body = response["body"].get("string", b"")
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    response["body"]["string"] = TOKEN_VALUE.sub(r"\1scrubbed\2", text).encode("utf-8")
    return response


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, object]:
    return {
        "filter_headers": [("cookie", None), ("set-cookie", None), ("authorization", None)],
        "filter_post_data_parameters": SECRET_PARAMS,
        "filter_query_parameters": SECRET_PARAMS,
        "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
        "decode_compressed_response": True,
        "before_record_response": scrub_response,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(ROOT / "cassettes")
