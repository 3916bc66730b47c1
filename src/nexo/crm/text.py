"""Text folding for search: what a person types must find what was stored, whatever the accents.

`fold("Rodríguez")` is `"rodriguez"`: lowercased, compatibility-normalised (NFKD) and stripped of
combining marks, so `maria` finds `María` and `MUÑOZ` finds `Muñoz`. The same fold is applied to
stored rows (their `search_text` column) and to the query, so the database compares plain strings
with an ordinary, indexable `LIKE`.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_PHONE_CHARS = re.compile(r"^[\d\s()+.\-]+$")
# `%`, `_` and the escape character itself are LIKE wildcards; a search for "50%" means the text.
LIKE_ESCAPE = "\\"


def fold(value: str) -> str:
    """Lowercase, without accents, with runs of whitespace collapsed to one space."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def digits(value: str) -> str:
    return "".join(char for char in value if char.isdigit())


def search_text(*, first_name: str | None, last_name: str | None, email: str | None, phone: str) -> str:
    """The folded haystack a client is searched by: name, email and the phone's digits."""
    parts = [first_name or "", last_name or "", email or "", digits(phone)]
    return fold(" ".join(part for part in parts if part))


def search_needle(term: str) -> str:
    """The folded form of a search term. A term that looks like a phone fragment (`+57 300-12`)
    is reduced to its digits, as phones are stored as digits in the haystack."""
    if _PHONE_CHARS.match(term) and digits(term):
        return digits(term)
    return fold(term)


def like_pattern(needle: str) -> str:
    """`%needle%` with LIKE's wildcards escaped (use with `escape=LIKE_ESCAPE`)."""
    escaped = (
        needle.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"
