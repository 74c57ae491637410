"""The language movisync speaks to people: French when the locale is French, else English.

Messages are written in English in the code and looked up, the gettext way, in the
catalogue of domain ``movisync``: ``movisync/locale/<lang>/LC_MESSAGES/movisync.mo``,
shipped with the package and made from its ``movisync.po`` by ``scripts/i18n``. The
language is gettext's: the first of ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES`` and
``LANG`` that is set (``LANG=fr_FR.UTF-8`` gives French; ``LANGUAGE=fr`` chooses French
for messages only); ``C``, English, or a language with no catalogue give the English
text itself. Only people's messages are translated: errors, progress, summaries, help.
What goes on the wiki comes from the profile's words, and data (tables, JSON) stays as
it is.

It is looked up on every call, never at import (gettext reads each catalogue file only
once), so that one process can speak French then English, as the tests do through
Click's ``CliRunner(env=...)``.

Click reads ``help=`` texts and the commands' docstrings when the commands are defined,
at import, before anyone knows the language. Rather than lazy strings (Click turns them
into plain ``str`` at once), :class:`Command`, :class:`Group` and :class:`Option` keep
those texts untranslated and translate them each time they are read: their ``help`` is a
property over the English text. ``help=`` texts are marked with :func:`N_` so that
``scripts/i18n`` finds them, and command docstrings are found as such. Click's own
messages ("Usage:", "Options", its usage errors) go through gettext's default domain:
:func:`speak_for_click` makes it ``movisync``, whose catalogue translates them too; the
command line calls it when it starts (the library never changes gettext's defaults).
"""

from __future__ import annotations

import gettext
import inspect
from functools import partial
from pathlib import Path

import click

DOMAIN = "movisync"
LOCALE_DIR = Path(__file__).parent / "locale"
"""Where the catalogues are: ``<lang>/LC_MESSAGES/movisync.mo``."""


def N_(message: str) -> str:
    """``message`` unchanged: marks a text translated later, when it is read (help)."""
    return message


HELP_OPTION = N_("Show this message and exit.")
"""Click's text for ``--help``: Click translates it once, when it makes the option."""


def translations() -> gettext.NullTranslations:
    """The catalogue of the current locale, or none (English) when no catalogue matches."""
    return gettext.translation(DOMAIN, LOCALE_DIR, fallback=True)


def _(message: str) -> str:
    """``message`` in the current locale's language (itself, in English, by default)."""
    return translations().gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a message for ``count`` (``"{count} page"``, ``"{count} pages"``) in
    the current locale's language; fill it in with ``.format(count=count)``."""
    return translations().ngettext(singular, plural, count)


def speak_for_click() -> None:
    """Let Click's own messages be translated from movisync's catalogue: make it
    gettext's default domain (the application's choice, made by the command line)."""
    gettext.bindtextdomain(DOMAIN, LOCALE_DIR)
    gettext.textdomain(DOMAIN)


def _read(text: str | None) -> str | None:
    return _(text) if text else text


class Option(click.Option):
    """A Click option whose ``help=`` is kept in English and read translated."""

    @property
    def help(self) -> str | None:
        return _read(self._help)

    @help.setter
    def help(self, text: str | None) -> None:
        self._help = text


option = partial(click.option, cls=Option)
"""``click.option`` for :class:`Option`."""


class Command(click.Command):
    """A Click command whose help (its docstring) and short help are kept in English and
    read translated, and so is its ``--help`` option's."""

    @property
    def help(self) -> str | None:
        return _read(self._help)

    @help.setter
    def help(self, text: str | None) -> None:
        self._help = inspect.cleandoc(text) if text else text

    @property
    def short_help(self) -> str | None:
        return _read(self._short_help)

    @short_help.setter
    def short_help(self, text: str | None) -> None:
        self._short_help = text

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        found = super().get_help_option(ctx)
        if found is not None:  # made once, by Click, in the language of the time
            found.help = _(HELP_OPTION)
        return found


class Group(Command, click.Group):
    """A Click group of :class:`Command` whose help is translated likewise."""

    command_class = Command
