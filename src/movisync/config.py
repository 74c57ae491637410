"""Settings, from flags > environment (``MOVISYNC_*``) > ``movisync.toml`` > defaults.

Credentials are read from the environment only (``MOVISYNC_USERNAME``,
``MOVISYNC_PASSWORD``): a configuration file is often committed, a password must not be.
Every value is checked here, once: a wrong one is a :class:`ConfigError` naming the
setting, the value and what it should be.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .i18n import _

DEFAULT_API = "https://movilab.org/api.php"
DEFAULT_STORE = Path("movisync.sqlite")
DEFAULT_CONFIG = Path("movisync.toml")
CONTACT = "https://movilab.org/wiki/Utilisateur:Movisync"


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know; build it with :func:`load_settings`."""

    api: str = DEFAULT_API
    """The wiki's API URL, or any page's URL (the API is then found from the page)."""
    store: Path = DEFAULT_STORE
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    namespaces: tuple[int, ...] | None = None
    """Namespaces to pull; None: every subject namespace but files and messages."""
    contact: str = CONTACT
    """Who runs this copy: goes into the User-Agent, as Wikimedia's policy asks."""
    batch: int | None = None
    """Most pages per request; None: 50, or 500 with the apihighlimits right."""
    links: bool = True
    """Pull the wiki's link and category tables too (orphans, red links, template links)."""
    max_retries: int = 5
    backoff: float = 2.0
    """Seconds before the first retry; doubled at each retry unless the wiki says Retry-After."""
    max_wait: float = 120.0
    """Longest single wait between two tries, whatever Retry-After asks."""
    timeout: float = 30.0
    maxlag: int = 5
    rc_max_age_days: int = 90
    """How far back the wiki keeps recent changes ($wgRCMaxAge, 90 days by default)."""
    publish_prefix: str | None = None
    """Root of the curated pages; None: "<project namespace>:Movisync"."""
    stop_page: str | None = None
    """A page that stops every edit when it says so; None: "<prefix>/Arrêt"."""
    throttle: float = 5.0
    """Seconds between two edits."""
    budget: int = 50
    """Most edits in one run."""
    max_shrink: float = 0.5
    """A block may not lose more than this share of its text without --allow-shrink."""
    page_limit: int = 200_000
    """Bytes of wikitext past which a curated page is split into subpages."""
    lock_file: Path | None = None
    """Keeps two writers of the store apart; None: the store's path + ".lock"."""
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


def _number(kind: type, low: float, high: float | None = None) -> Callable[[Any], Any]:
    """A reader of a number between ``low`` and ``high``: from TOML, or from text."""

    def read(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(_("a number, not {value!r}").format(value=value))
        try:
            number = kind(value)
        except ValueError:
            raise ValueError(_("a number, not {value!r}").format(value=value)) from None
        if kind is int and isinstance(value, float) and number != value:
            raise ValueError(_("a whole number, not {value!r}").format(value=value))
        if number < low or (high is not None and number > high):
            bound = (
                _("from {low:g} to {high:g}").format(low=low, high=high)
                if high is not None
                else _("at least {low:g}").format(low=low)
            )
            raise ValueError(_("a number {bound}, not {value!r}").format(bound=bound, value=value))
        return number

    return read


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(_("some text, not {value!r}").format(value=value))
    return value


def _path(value: Any) -> Path:
    return value if isinstance(value, Path) else Path(_text(value))


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(_("true or false, not {value!r}").format(value=value))
    return value


def _namespaces(value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(_("a list of namespace numbers, not {value!r}").format(value=value))
    return tuple(_number(int, 0)(v) for v in value)


READERS: dict[str, Callable[[Any], Any]] = {
    "api": _text,
    "store": _path,
    "contact": _text,
    "namespaces": _namespaces,
    "batch": _number(int, 1, 500),
    "links": _boolean,
    "max_retries": _number(int, 0, 20),
    "backoff": _number(float, 0, 600),
    "max_wait": _number(float, 0, 3600),
    "timeout": _number(float, 0.1, 3600),
    "maxlag": _number(int, 1, 3600),
    "rc_max_age_days": _number(int, 1),
    "publish_prefix": _text,
    "stop_page": _text,
    "throttle": _number(float, 0, 3600),
    "budget": _number(int, 1),
    "max_shrink": _number(float, 0, 1),
    "page_limit": _number(int, 1000),
    "lock_file": _path,
    "username": _text,
    "password": _text,
}
"""How each setting is read and checked (a test proves every setting has one)."""


def _coerce(name: str, value: Any) -> Any:
    """Turn a value from a file, the environment or a flag into the field's type."""
    try:
        return READERS[name](value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            _("setting {name!r} must be {what}").format(name=name, what=exc)
        ) from None


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a table: UTF-8 (with or without a byte-order mark), or one clear
    error saying what is wrong and where."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            _("cannot read the configuration file {path}: {reason}").format(
                path=path, reason=exc.strerror
            )
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            _("{path} is not UTF-8 text (byte {byte}); save it as UTF-8").format(
                path=path, byte=exc.start
            )
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            _("{path} is not valid TOML: {reason}").format(path=path, reason=exc)
        ) from None


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
        data = read_toml(path)
        section = data.get("movisync", data)
        if not isinstance(section, dict):
            raise ConfigError(_("{path}: [movisync] must be a table of settings").format(path=path))
        unknown = sorted(set(section) - _FILE_KEYS - {"profile"})
        if unknown:
            raise ConfigError(
                _("{path}: unknown setting(s) {names}; known: {known}").format(
                    path=path, names=", ".join(unknown), known=", ".join(sorted(_FILE_KEYS))
                )
            )
        values.update({k: v for k, v in section.items() if k in _FILE_KEYS})
    values.update({name: env[var] for name, var in _ENV.items() if env.get(var)})
    values.update({k: v for k, v in (flags or {}).items() if v is not None})
    settings = replace(Settings(), config=path, **{k: _coerce(k, v) for k, v in values.items()})
    if not settings.api.startswith(("http://", "https://")):
        raise ConfigError(
            _("the API URL must start with http:// or https://, not {api!r}").format(
                api=settings.api
            )
        )
    if bool(settings.username) != bool(settings.password):
        raise ConfigError(_("set both MOVISYNC_USERNAME and MOVISYNC_PASSWORD, or neither"))
    return settings
