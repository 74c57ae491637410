"""Settings, from flags > environment (``MOVISYNC_*``) > ``movisync.toml`` > defaults.

Credentials are read from the environment only (``MOVISYNC_USERNAME``,
``MOVISYNC_PASSWORD``): a configuration file is often committed, a password must not be.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

DEFAULT_API = "https://movilab.org/api.php"
DEFAULT_STORE = Path("movisync.sqlite")
DEFAULT_CONFIG = Path("movisync.toml")
CONTACT = "https://movilab.org/wiki/Utilisateur:Movisync"


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know; build it with :func:`load_settings`."""

    api: str = DEFAULT_API
    store: Path = DEFAULT_STORE
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    namespaces: tuple[int, ...] | None = None
    """Namespaces to pull; None: the wiki's content namespaces, templates and categories."""
    contact: str = CONTACT
    """Who runs this copy: goes into the User-Agent, as Wikimedia's policy asks."""
    batch: int | None = None
    """Most pages per request; None: 50, or 500 with the apihighlimits right."""
    links: bool = True
    """Pull the wiki's link and category tables too (orphans, red links, template links)."""
    max_retries: int = 5
    backoff: float = 2.0
    """Seconds before the first retry; doubled at each retry unless the wiki says Retry-After."""
    timeout: float = 30.0
    maxlag: int = 5
    rc_max_age_days: int = 90
    """How far back the wiki keeps recent changes ($wgRCMaxAge, 90 days by default)."""
    publish_prefix: str | None = None
    """Root of the curated pages; None: "<project namespace>:Movisync"."""
    stop_page: str | None = None
    """A page that stops every edit when it says "stop"; None: "<prefix>/Arrêt"."""
    throttle: float = 5.0
    """Seconds between two edits."""
    budget: int = 50
    """Most edits in one run."""
    max_shrink: float = 0.5
    """A block may not lose more than this share of its text without --allow-shrink."""
    lock_file: Path | None = None
    """Keeps two `movisync run` apart; None: the store's path + ".lock"."""
    config: Path | None = None
    """The movisync.toml read, if any (its [profile] table extends the page types)."""


_ENV = {
    "api": "MOVISYNC_API",
    "store": "MOVISYNC_STORE",
    "username": "MOVISYNC_USERNAME",
    "password": "MOVISYNC_PASSWORD",
    "contact": "MOVISYNC_CONTACT",
    "batch": "MOVISYNC_BATCH",
}
_FILE_KEYS = {f.name for f in fields(Settings)} - {"username", "password", "config"}


def _coerce(name: str, value: Any) -> Any:
    """Turn a value from a file, the environment or a flag into the field's type."""
    try:
        if name == "store":
            return Path(value)
        if name == "namespaces":
            return None if value is None else tuple(int(v) for v in value)
        if name == "links":
            if not isinstance(value, bool):
                raise ValueError("true or false")
            return value
        if name == "batch":
            return None if value is None else int(value)
        if name in {"max_retries", "maxlag", "rc_max_age_days"}:
            return int(value)
        if name in {"publish_prefix", "stop_page"}:
            return str(value)
        if name == "lock_file":
            return Path(value)
        if name == "budget":
            return int(value)
        if name in {"backoff", "timeout", "throttle", "max_shrink"}:
            return float(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r} has a wrong value {value!r}: {exc}") from exc
    if not isinstance(value, str):
        raise ConfigError(f"setting {name!r} must be text, not {value!r}")
    return value


def load_settings(
    *,
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Merge the four sources; flags whose value is None are ignored.

    ``config_file`` defaults to ``$MOVISYNC_CONFIG`` or ``./movisync.toml`` when it exists.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = config_file or (Path(env["MOVISYNC_CONFIG"]) if "MOVISYNC_CONFIG" in env else None)
    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read the configuration file {path}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
        section = data.get("movisync", data)
        unknown = sorted(set(section) - _FILE_KEYS - {"profile"})
        if unknown:
            raise ConfigError(
                f"{path}: unknown setting(s) {', '.join(unknown)}; known: "
                + ", ".join(sorted(_FILE_KEYS))
            )
        values.update({k: v for k, v in section.items() if k in _FILE_KEYS})
    values.update({name: env[var] for name, var in _ENV.items() if env.get(var)})
    values.update({k: v for k, v in (flags or {}).items() if v is not None})
    settings = replace(Settings(), config=path, **{k: _coerce(k, v) for k, v in values.items()})
    if not settings.api.startswith(("http://", "https://")):
        raise ConfigError(f"the API URL must start with http:// or https://, not {settings.api!r}")
    if bool(settings.username) != bool(settings.password):
        raise ConfigError("set both MOVISYNC_USERNAME and MOVISYNC_PASSWORD, or neither")
    return settings
