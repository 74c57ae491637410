"""Identifiers wherever a page gives them, normalised so that two spellings meet."""

from __future__ import annotations

import pytest

from movisync.identifiers import address_key, find_identifiers, read_place, same_address
from movisync.kinds import phone_key

from .helpers import cases_of

CASES = cases_of("identifiers.tsv", 3)


@pytest.mark.parametrize(("text", "expected"), [(t, e) for k, t, e in CASES if k == "address"])
def test_addresses_fold_abbreviations_and_punctuation(text: str, expected: str) -> None:
    assert address_key(text) == expected


@pytest.mark.parametrize(("text", "expected"), [(t, e) for k, t, e in CASES if k == "place"])
def test_a_place_value_reads_as_address_postcode_and_towns(text: str, expected: str) -> None:
    address, postcode, towns = expected.split("|")
    place = read_place(text)
    assert (place.address, place.postcode, place.towns) == (
        address,
        postcode,
        tuple(towns.split(";")) if towns else (),
    )


@pytest.mark.parametrize(("text", "expected"), [(t, e) for k, t, e in CASES if k == "phone"])
def test_phones_become_their_digits_with_the_country_folded(text: str, expected: str) -> None:
    assert phone_key(text) == (expected or None)


def test_one_address_written_with_more_or_fewer_words_is_one_address() -> None:
    assert same_address("747 9th avenue", "747 9th avenue 50th 51st")
    assert not same_address("747 9th avenue", "749 9th avenue")
    assert not same_address("9th avenue", "9th avenue 50th")  # no number: a street only


def test_identifiers_are_found_in_prose() -> None:
    found = find_identifiers(
        "Venez au 12 rue des Lilas à Valence, 26000 Valence. Tél. : 04 75 12 34 56 ou "
        "+33 (0)4 75 12 34 57 ; contact@lilas.example.org, https://www.lilas.example.org/page "
        "et www.autre.example.net. Animé par Damien Guyot. En 2024-2025, 300 adhérents."
    )
    assert found.phones == {"0475123456", "0475123457"}
    assert found.emails == {"contact@lilas.example.org"}
    assert found.hosts == {"lilas.example.org", "autre.example.net"}
    assert found.addresses == {"12 rue lilas"}
    assert found.postcodes == {"26000"} and "valence" in found.places
    assert {"damien", "guyot"} <= found.names and "venez" not in found.names


def test_a_street_type_is_no_name() -> None:
    """Capitalised words are names (people, organisations) unless they are a street's
    type: two restaurants on one Peachtree Road share an address, not a name."""
    found = find_identifiers("Au 181 Peachtree Road, près de la Rue Neuve, avec Lucie Marchal.")
    assert {"lucie", "marchal", "peachtree"} <= found.names
    assert not {"road", "rue"} & found.names
