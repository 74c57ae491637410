"""Field kinds, in one registry: for each kind, how a value is checked, made comparable,
recognised among many values, and shown in a table. Pure.

A field's kind says what one value is (a URL, a date...). Whether a field holds a list
(and with which separator) and which values it allows are the field's own settings
(:class:`movisync.profile.FieldSpec`), so that any kind can be a list or an enumeration.
Adding a kind is adding one :class:`Kind` to :data:`KINDS`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from .text import SAFE_URL, escape, fold

EMAIL = re.compile(r"^[^@\s<>()\[\],;:]+@[^@\s<>()\[\],;:]+\.[a-z]{2,}$", re.IGNORECASE)
NUMBER = r"[-+]?\d{1,3}(?:[.,]\d+)?"
COORDINATES = re.compile(rf"^\s*({NUMBER})\s*[,;/ ]\s*({NUMBER})\s*$")
DECIMAL = re.compile(r"^[-+]?\d+(?:[.,]\d+)?$")
MONTHS = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre "
    "décembre janv févr fevrier aout decembre sept oct nov déc dec"
).split()
DAYS = "lundi mardi mercredi jeudi vendredi samedi dimanche".split()
DATE_FORMS = (
    re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}[:h]\d{2}(?::\d{2})?Z?)?$"),
    re.compile(r"^\d{1,2}[/.]\d{1,2}[/.]\d{4}(?:,? \d{1,2}[:h]\d{0,2})?$"),
    re.compile(
        rf"^(?:(?:{'|'.join(DAYS)}) )?(?:1er|\d{{1,2}}) (?:{'|'.join(MONTHS)})\.? "
        rf"\d{{4}}(?:,? (?:à )?\d{{1,2}} ?h ?(?:\d{{2}})?)?$"
    ),
    re.compile(rf"^(?:{'|'.join(MONTHS)}) \d{{4}}$"),
    re.compile(r"^\d{4}$"),
)
MONTH_NUMBERS = {
    "janvier": 1,
    "janv": 1,
    "fevrier": 2,
    "fevr": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "septembre": 9,
    "sept": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
}
TRUE_WORDS = frozenset({"oui", "vrai", "yes", "true", "1"})
FALSE_WORDS = frozenset({"non", "faux", "no", "false", "0"})


@dataclass(frozen=True)
class Kind:
    """One kind of field value.

    ``check`` says why a non-empty value is not of the kind (None when it is);
    ``key`` gives the value's comparable form (a website's host, an e-mail in lower
    case, coordinates as numbers...), or None when it has none; ``looks_like`` tells a
    value of the kind among others (to guess a field's kind from its values; None for
    kinds that cannot be recognised, such as free text); ``cell`` shows a value in a
    curated table (escaped wikitext), a link showing the given word.
    """

    name: str
    label: str
    """In French: it is shown on the wiki and in reports."""
    check: Callable[[str], str | None]
    key: Callable[[str], object | None]
    looks_like: Callable[[str], bool] | None = None
    cell: Callable[[str, str], str] = lambda text, _word: escape(text)
    vocabulary: bool = False

    def known(self, text: str, values: Sequence[str]) -> bool:
        """Whether ``text`` is one of ``values``: equal once case and accents are
        folded, or, for a vocabulary kind, starting with one ("CC BY-SA 4.0" is a "CC"
        licence)."""
        folded = fold(text)
        if self.vocabulary:
            return any(folded.startswith(fold(v)) for v in values)
        return any(folded == fold(v) for v in values)


def _check_url(text: str) -> str | None:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or "." not in parts.netloc or " " in text:
        return f"not a web address (http:// or https://): {text!r}"
    return None


def host(text: str) -> str | None:
    """A URL's host without ``www.``: two pages on one website share it."""
    found = urlsplit(text.strip()).netloc.lower().removeprefix("www.")
    return found if "." in found else None


def _url_cell(text: str, word: str) -> str:
    if SAFE_URL.match(text):
        return f"[{text.replace('_', '%5F')} {escape(word)}]"
    return escape(text)


def _check_email(text: str) -> str | None:
    return None if EMAIL.match(text.removeprefix("mailto:")) else f"not an e-mail address: {text!r}"


def email_key(text: str) -> str | None:
    address = text.strip().lower().removeprefix("mailto:")
    return address if EMAIL.match(address) else None


def coordinates(text: str) -> tuple[float, float] | None:
    """(latitude, longitude) in degrees, or None when the text is not coordinates in
    range: the one reading of coordinates, for gaps and duplicates alike."""
    found = COORDINATES.match(text)
    if not found:
        return None
    lat, lon = (float(n.replace(",", ".")) for n in found.groups())
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def _check_coordinates(text: str) -> str | None:
    found = COORDINATES.match(text)
    if not found:
        return f"not coordinates (latitude, longitude in degrees): {text!r}"
    lat, lon = (float(n.replace(",", ".")) for n in found.groups())
    if not -90 <= lat <= 90:
        return f"latitude {lat} out of range (-90 to 90)"
    if not -180 <= lon <= 180:
        return f"longitude {lon} out of range (-180 to 180)"
    return None


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def is_date(text: str) -> bool:
    """ISO (with a time or not), dd/mm/yyyy, written French ("vendredi 11 octobre 2024,
    18h", "octobre 2024") or a year."""
    return any(form.match(fold(text)) or form.match(text.casefold()) for form in DATE_FORMS)


def parse_day(text: str) -> dt.date | None:
    """The day a date value names (ISO, dd/mm/yyyy, or French words such as "vendredi
    11 octobre 2024, 18h"), or None."""
    folded = fold(text)
    found = re.match(r"(\d{4})-(\d{2})-(\d{2})", folded)
    if found:
        year, month, day = map(int, found.groups())
    elif found := re.match(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", folded):
        day, month, year = map(int, found.groups())
    elif found := re.search(r"(1er|\d{1,2}) ([a-z]+)\.? (\d{4})", folded):
        month = MONTH_NUMBERS.get(found.group(2), 0)
        day, year = int(found.group(1).replace("1er", "1")), int(found.group(3))
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _check_number(text: str) -> str | None:
    return None if DECIMAL.match(text.strip()) else f"not a number: {text!r}"


def _number_key(text: str) -> float | None:
    return float(text.strip().replace(",", ".")) if DECIMAL.match(text.strip()) else None


def _check_boolean(text: str) -> str | None:
    folded = fold(text)
    if folded in TRUE_WORDS or folded in FALSE_WORDS:
        return None
    return f"not yes or no (oui, non, vrai, faux...): {text!r}"


def phone_key(text: str) -> str | None:
    """A phone number as digits, the international prefix folded to a national 0
    (+33 4 75..., +33 (0)4 75..., 0033 4 75... and 04.75... are one number); None under 8 digits."""
    digits = re.sub(r"\D", "", text.replace("(0)", ""))
    if text.strip().startswith("+") or digits.startswith("00"):
        digits = digits.removeprefix("00")
        for prefix in ("33", "32", "41", "1"):  # France, Belgium, Switzerland, North America
            if digits.startswith(prefix) and len(digits) - len(prefix) in (9, 10):
                digits = "0" + digits[len(prefix) :] if prefix != "1" else digits[1:]
                break
    return digits if len(digits) >= 8 else None


def _no_check(text: str) -> None:
    return None


def _text_key(text: str) -> str | None:
    return fold(text) or None


def _day_key(text: str) -> dt.date | None:
    return parse_day(text)


def _looks_like_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def _looks_like_email(text: str) -> bool:
    return bool(EMAIL.match(text))


def _looks_like_coordinates(text: str) -> bool:
    return bool(COORDINATES.match(text))


def _looks_like_number(text: str) -> bool:
    return bool(DECIMAL.match(text.strip()))


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("text", "texte", _no_check, _text_key),
        Kind("url", "adresse web", _check_url, host, _looks_like_url, _url_cell),
        Kind("email", "adresse électronique", _check_email, email_key, _looks_like_email),
        Kind(
            "date",
            "date",
            lambda t: None if is_date(t) else f"not a date: {t!r}",
            _day_key,
            is_date,
        ),
        Kind(
            "coordinates",
            "coordonnées",
            _check_coordinates,
            coordinates,
            _looks_like_coordinates,
        ),
        Kind("number", "nombre", _check_number, _number_key, _looks_like_number),
        Kind("boolean", "oui ou non", _check_boolean, _text_key),
        Kind("phone", "téléphone", _no_check, phone_key),
        Kind("page", "page", _no_check, _text_key),
        Kind("licence", "licence", _no_check, _text_key, vocabulary=True),
    )
}
"""Every kind, by name."""
# Profile kinds that name a list or an enumeration of text: (kind, list) they stand for.
LEGACY = {"multi": ("text", True), "enum": ("text", False), "multi-enum": ("text", True)}
# Kinds guessed from values, most specific first.
GUESSED = ("url", "email", "coordinates", "date", "number")


def kind(name: str) -> Kind:
    return KINDS[name]


def guess(values: Sequence[str], share: float = 0.8) -> str | None:
    """The kind most non-empty ``values`` are of (at least ``share`` of them), or None."""
    filled = [v for v in values if v]
    if not filled:
        return None
    for name in GUESSED:
        test = KINDS[name].looks_like
        if test is not None and sum(1 for v in filled if test(v)) >= share * len(filled):
            return name
    return None
