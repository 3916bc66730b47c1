"""Phone numbers in E.164 (`+573001234567`), the one form stored and compared.

People type numbers every way (`300 123 4567`, `(300) 123-4567`, `+57 300…`); numbers without a
country code are read as numbers of the tenant's default region. A number that `phonenumbers` does
not consider possible for its region is refused, with a message the person can act on.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

MAX_INPUT_LENGTH = 40


class InvalidPhone(ValueError):
    """The text is not a phone number; the message says why, in words for the person."""


def to_e164(raw: str, *, default_region: str) -> str:
    text = raw.strip()
    if not text:
        raise InvalidPhone("The phone number is required.")
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidPhone("The phone number is too long.")
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else default_region.upper())
    except NumberParseException as error:
        raise InvalidPhone(f"Invalid phone number: {text}") from error
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone(f"Invalid phone number: {text}")
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
