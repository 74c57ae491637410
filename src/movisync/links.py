"""Checking external websites (the only module that talks to hosts other than the wiki).

httpx, asynchronously, with few requests at a time per host, short timeouts, and a
polite User-Agent; a HEAD first, a GET when the server refuses HEAD. A site is dead when
it cannot be reached or answers 404, 410 or a server error; other answers (401, 403,
429...) say the site exists.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpx

from .gaps import LinkStatus

DEAD_STATUS = frozenset({404, 410})


async def _check(client: httpx.AsyncClient, url: str, gate: asyncio.Semaphore) -> LinkStatus:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    async with gate:
        try:
            response = await client.head(url)
            if response.status_code in (405, 501) or response.status_code >= 400:
                response = await client.get(url)
        except httpx.TimeoutException:
            return LinkStatus(url, False, "no answer (timeout)", now)
        except httpx.HTTPError as exc:
            return LinkStatus(url, False, f"unreachable ({type(exc).__name__})", now)
    status = response.status_code
    ok = status not in DEAD_STATUS and status < 500
    return LinkStatus(url, ok, f"HTTP {status}", now)


async def _check_all(
    urls: list[str], *, per_host: int, timeout: float, user_agent: str
) -> list[LinkStatus]:
    gates: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_host))
    async with httpx.AsyncClient(
        timeout=timeout, follow_redirects=True, headers={"User-Agent": user_agent}
    ) as client:
        return await asyncio.gather(
            *(_check(client, url, gates[urlsplit(url).netloc]) for url in urls)
        )


def check_urls(
    urls: Iterable[str], *, per_host: int = 2, timeout: float = 10.0, user_agent: str
) -> dict[str, LinkStatus]:
    """Check each distinct URL once; returns URL to status."""
    distinct = sorted(set(urls))
    if not distinct:
        return {}
    results = asyncio.run(
        _check_all(distinct, per_host=per_host, timeout=timeout, user_agent=user_agent)
    )
    return {status.url: status for status in results}
