"""Numbers, dates and plurals as the wiki's language writes them (French or English). Pure.

The language is the profile's ``[wiki] language`` ("fr" on Movilab): French writes a
decimal comma and a space before the percent sign (« 95,2 % »), dates as « 1er décembre
2026 », and the singular for 0 and 1 (« 0 corrigé »); English "95.2 %", "December 1,
2026", "0 fixed".
"""

from __future__ import annotations

import datetime as dt

MONTHS = {
    "fr": (
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
    ).split(),
    "en": (
        "January February March April May June July August September October November December"
    ).split(),
}


def number(value: float, language: str, digits: int = 1) -> str:
    """A number rounded to ``digits`` decimals, trailing zeros dropped: 95,2 / 95.2 / 100."""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else str(round(value))
    return text.replace(".", ",") if language == "fr" else text


def percent(value: float, language: str) -> str:
    """« 95,2 % » (with a no-break space in French, as French typography asks)."""
    space = "\u00a0" if language == "fr" else " "
    return f"{number(value, language)}{space}%"


def date(moment: str, language: str) -> str:
    """An ISO 8601 date or timestamp as people read it: « 24 novembre 2026 »."""
    day = dt.date.fromisoformat(moment[:10])
    months = MONTHS.get(language, MONTHS["en"])
    month = months[day.month - 1]
    if language == "fr":
        return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"
    return f"{month} {day.day}, {day.year}"


def plural(count: int, forms: tuple[str, str], language: str) -> str:
    """The singular or plural of ``forms`` for ``count`` (French: singular for 0 and 1)."""
    one = count <= 1 if language == "fr" else count == 1
    return forms[0] if one else forms[1]


def counted(count: int, forms: tuple[str, str], language: str) -> str:
    """« 3 corrigés », « 1 nouveau »."""
    return f"{count} {plural(count, forms, language)}"
