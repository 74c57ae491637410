"""What identifies a place wherever a page gives it: phone numbers, e-mail addresses,
websites, street addresses, postcodes and places named in the text, and a place value
read as an address, a postcode and a town. Pure.

Normalised so that two contributors' spellings meet:
- phones as digits, the international prefix folded (``+33 4 75 …``, ``0033 4 75 …`` and
  ``04.75.…`` are one number; ``310/246-1501`` and ``(310) 246-1501`` too);
- e-mails lower-case, without ``mailto:``; websites as their host without ``www.``;
- street addresses as their number and street words, case, accents and punctuation
  folded and the usual abbreviations spelt out, in French and English (``bd`` /
  ``boulevard``, ``av.`` / ``avenue``, ``St.`` / ``Street``, ``Blv.`` / ``Boulevard``…),
  so that "12 bd Gambetta" and "12, boulevard Gambetta" are one address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .kinds import email_key, host, phone_key
from .text import fold_words

STREET_WORDS = {
    # French
    "rue": "rue",
    "r": "rue",
    "avenue": "avenue",
    "av": "avenue",
    "ave": "avenue",
    "boulevard": "boulevard",
    "bd": "boulevard",
    "bld": "boulevard",
    "blvd": "boulevard",
    "blv": "boulevard",
    "boul": "boulevard",
    "place": "place",
    "pl": "place",
    "chemin": "chemin",
    "ch": "chemin",
    "chem": "chemin",
    "impasse": "impasse",
    "imp": "impasse",
    "allee": "allee",
    "all": "allee",
    "quai": "quai",
    "route": "route",
    "rte": "route",
    "cours": "cours",
    "crs": "cours",
    "square": "square",
    "sq": "square",
    "passage": "passage",
    "pass": "passage",
    "faubourg": "faubourg",
    "fg": "faubourg",
    "fbg": "faubourg",
    "esplanade": "esplanade",
    "parvis": "parvis",
    "lieu dit": "lieudit",
    "lieudit": "lieudit",
    "ld": "lieudit",
    "hameau": "hameau",
    "zone": "zone",
    "za": "zone",
    "zi": "zone",
    "rond point": "rondpoint",
    # English
    "street": "street",
    "st": "street",
    "str": "street",
    "road": "road",
    "rd": "road",
    "drive": "drive",
    "dr": "drive",
    "lane": "lane",
    "ln": "lane",
    "way": "way",
    "highway": "highway",
    "hwy": "highway",
    "plaza": "plaza",
    "plz": "plaza",
    "court": "court",
    "ct": "court",
    "terrace": "terrace",
    "ter": "terrace",
    "parkway": "parkway",
    "pkwy": "parkway",
    "circle": "circle",
    "cir": "circle",
    "broadway": "broadway",
}
"""Street-type words and their abbreviations, spelt out."""
OTHER_WORDS = {
    "n": "north",
    "s": "south",
    "e": "east",
    "w": "west",
    "no": "north",
    "so": "south",
    "ne": "northeast",
    "nw": "northwest",
    "se": "southeast",
    "sw": "southwest",
    "st": "saint",
    "ste": "sainte",
    "gal": "general",
    "gen": "general",
    "mal": "marechal",
    "pdt": "president",
    "prof": "professeur",
}
"""Other abbreviations common in addresses (a street-type word wins over these: "St."
at the end of an English address is Street, inside a French one Saint)."""
ORDINALS = {
    "first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th",
    "sixth": "6th", "seventh": "7th", "eighth": "8th", "ninth": "9th", "tenth": "10th",
    "premier": "1er", "premiere": "1er",
}  # fmt: skip
AFTER_STREET = frozenset("between near at pres entre face".split())
"""Words after which an address says where the street is, not which it is ("747 9th
Ave. between 50th and 51st Sts.")."""
FILLER = frozenset("de du des d la le les l the of and et a au aux".split())

ADDRESS_NUMBER = re.compile(r"^(\d{1,5})(?:\s?(?:bis|ter|quater|[a-d]))?\b\s*,?\s*(.*)$")
NUMBER_COMMA = re.compile(r"(?<![\w,])(\d{1,5}(?:\s?(?:bis|ter))?)\s*,\s*(?=\D)")
POSTCODE = re.compile(r"^\d{5}$")
POSTCODE_TOWN = re.compile(r"^(?:f-?\s?)?(\d{5}|\d{4})\s+(\D.*)$")
PHONE_TEXT = re.compile(
    r"(?<![\w/.-])(?:"
    r"(?:\+|00)\d{1,3}[\s.\-]?(?:\(0\)[\s.\-]?)?\d(?:[\s.\-]?\d){7,10}"  # +33 4 75 …, 0033 …
    r"|0[1-9](?:[\s.\-]?\d{2}){4}"  # 04 75 00 00 00
    r"|\(?\d{3}\)?[\s/.\-]\d{3}[\s.\-]\d{4}"  # 310/246-1501, (310) 246-1501
    r")(?![\w/])"
)
EMAIL_LOCAL = re.compile(r"[\w.+\-]{1,64}$")
EMAIL_DOMAIN = re.compile(r"[\w\-]+(?:\.[\w\-]+)*\.[a-z]{2,}", re.IGNORECASE)
URL_TEXT = re.compile(r"(?:https?:)?//[^\s\[\]<>\"{}|]+|\bwww\.[^\s\[\]<>\"{}|]+", re.IGNORECASE)
STREET_TEXT = re.compile(
    r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:"
    + "|".join(sorted((w for w in STREET_WORDS if " " not in w and len(w) > 2), key=len))
    + r")\.?\s+[^\n,;.()|{}\[\]<>]{2,40}",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Place:
    """A place value read apart: the street address (or ""), the postcode (or "") and
    the places named after them, town first ("12 rue Neuve, 69001 Lyon" → address
    "12 rue neuve", postcode "69001", towns ("lyon",))."""

    address: str
    postcode: str
    towns: tuple[str, ...]


def address_key(text: str) -> str:
    """A street address made comparable: its number first, then its words, street
    types and abbreviations spelt out, filler words dropped; "" when it is no street
    address (no street word)."""
    words = fold_words(text).split()
    if not words:
        return ""
    number = words[0] if words[0].isdigit() else ""
    rest = words[1:] if number else words
    if rest and rest[0] in ("bis", "ter", "quater"):
        rest = rest[1:]
    spelt: list[str] = []
    has_street = False
    for index, word in enumerate(rest):
        street = STREET_WORDS.get(word)
        # "St" is Street at the end (English), Saint before a name (French)
        if street and not (word == "st" and index < len(rest) - 1):
            spelt.append(street)
            has_street = True
        elif word not in FILLER:
            spelt.append(OTHER_WORDS.get(word) or ORDINALS.get(word, word))
    if not has_street and not number:
        return ""
    spelt = spelt[: next((i for i, w in enumerate(spelt) if w in AFTER_STREET), len(spelt))]
    return " ".join([number, *spelt] if number else spelt)


def same_address(x: str, y: str) -> bool:
    """Two address keys name one address: the same number, and the words of one are
    among the other's ("747 9th avenue" / "747 9th avenue 50th 51st")."""
    if x == y:
        return True
    nx, _, rx = x.partition(" ")
    ny, _, ry = y.partition(" ")
    if not (nx.isdigit() and nx == ny and rx and ry):
        return False
    wx, wy = set(rx.split()), set(ry.split())
    return wx <= wy or wy <= wx


def street_of(key: str) -> str:
    """An address key without its number: the street alone."""
    first, _, rest = key.partition(" ")
    return rest if first.isdigit() else key


def _looks_like_street(part: str) -> bool:
    """A number and a street word ("12 rue Neuve", "3570 Las Vegas Blvd. S"), or a
    street word first ("Rue Neuve"); "St" counts only last ("Main St"), since first it
    is a saint ("St-Denis")."""
    words = fold_words(part).split()
    if not words:
        return False
    street = [w in STREET_WORDS and (w != "st" or i == len(words) - 1) for i, w in enumerate(words)]
    if words[0].isdigit():
        return any(street[1:])
    return (street[0] or street[-1]) and len(words) > 1


@lru_cache(maxsize=1 << 16)
def read_place(text: str) -> Place:
    """A place value ("Ferme de la Source, Die", "12 rue Neuve, 69001 Lyon", "435 S. La
    Cienega Blv., Los Angeles", "Grenoble, Isère") read as address, postcode and towns.
    (Cached: towns come back on many pages.)"""
    address, postcode, towns = "", "", []
    text = NUMBER_COMMA.sub(r"\1 ", re.sub(r"\([^)]*\)", " ", text))
    for raw in re.split(r"[,;\n]", text):
        part = raw.strip()
        if not part:
            continue
        if not address and _looks_like_street(part):
            address = address_key(part)
            continue
        if POSTCODE.match(part):
            postcode = postcode or part
            continue
        if found := POSTCODE_TOWN.match(fold_words(part)):
            postcode = postcode or found.group(1)
            part = found.group(2)
        if town := fold_words(part):
            towns.append(town)
    return Place(address, postcode, tuple(towns))


CAPITAL = r"[A-ZÀ-ÖØ-Þ][\w'’\-]+"
LINKS = r"(?:sur|sous|en|lès|les|de|du|des|la|le|am|an|der)"
PLACE_TEXT = re.compile(
    rf"(?:\b(?:à|au|en|in|at|near|bei|près de|pres de)\s+|\b(\d{{5}})\s+)"
    rf"((?:L['’]|La |Le |Les )?{CAPITAL}(?:[ \-](?:{LINKS}[ \-])?{CAPITAL})*)"
)
"""A place named in prose: after "à", "en", "in"... or a postcode ("26000 Valence"),
one or more capitalised words ("à Saint-Jean-de-Luz", "in Strasbourg")."""


@dataclass(frozen=True)
class Found:
    """Identifiers found in a page's text, normalised."""

    phones: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    hosts: frozenset[str] = frozenset()
    addresses: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    """Places the prose names ("à Valence"), folded."""
    postcodes: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    """Capitalised words inside sentences (people, places, organisations: "Damien
    Guyot", "Morvan"), folded; a sentence's first word is not a name for being first,
    nor a street's type ("Rue", "Road": two places on one street share an address,
    which the place comparison weighs, not a name)."""


END_OF_STREET = frozenset("a en in pres near tel telephone phone ouvert open".split())
"""Words after which a street address found in prose has ended ("12 rue Neuve à Lyon")."""


def _street(text: str) -> str:
    words = fold_words(text).split()
    end = next((i for i, w in enumerate(words) if i > 1 and w in END_OF_STREET), len(words))
    return " ".join(words[:end])


NAME_TEXT = re.compile(r"\b(?:[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]{2,}|[A-Z]{3,}\b)")
SENTENCE_START = re.compile(r"(?:^|[.!?:\n*#=|'\[{;])\s*$")
"""What comes before a word that starts a sentence, a list item or a value."""
MAX_NAMES = 24


def find_identifiers(text: str) -> Found:
    """Every phone number, e-mail address, website host and street address in a text."""
    phones = {key for m in PHONE_TEXT.finditer(text) if (key := phone_key(m.group()))}
    emails = set()
    at = text.find("@")
    while at != -1:  # from each "@", the name before and the domain after (fast)
        local = EMAIL_LOCAL.search(text, max(0, at - 64), at)
        domain = EMAIL_DOMAIN.match(text, at + 1)
        if local and domain and (key := email_key(f"{local.group()}@{domain.group()}")):
            emails.add(key)
        at = text.find("@", at + 1)
    hosts = set()
    for m in URL_TEXT.finditer(text) if "//" in text or "www." in text else ():
        url = m.group().rstrip(".,;:)'")
        if url.lower().startswith("www."):
            url = "//" + url
        if (site := host(url if "//" in url else "//" + url)) is not None:
            hosts.add(site)
    addresses = {
        key for m in STREET_TEXT.finditer(text) if (key := address_key(_street(m.group())))
    }
    places, postcodes = set(), set()
    for m in PLACE_TEXT.finditer(text):
        if m.group(1):
            postcodes.add(m.group(1))
        if place := fold_words(m.group(2)):
            places.add(place)
    names: dict[str, None] = {}
    for m in NAME_TEXT.finditer(text):
        if len(names) >= MAX_NAMES:
            break
        if SENTENCE_START.search(text, max(0, m.start() - 4), m.start()):
            continue
        word = fold_words(m.group())
        if word not in FILLER and word not in STREET_WORDS:
            names[word] = None
    return Found(
        frozenset(phones),
        frozenset(emails),
        frozenset(hosts),
        frozenset(addresses),
        frozenset(places),
        frozenset(postcodes),
        frozenset(names),
    )
