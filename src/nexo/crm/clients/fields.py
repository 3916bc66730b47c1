"""Checking and normalising the fields of a client, shared by the API, the CSV import and updates.

One place decides what a valid client is, so a row imported from a spreadsheet and a client created
through the API obey the same rules and produce the same errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nexo.core.errors import ErrorDetail, ValidationFailed
from nexo.crm.clients.models import LEAD_STATUSES
from nexo.crm.phones import InvalidPhone, to_e164

MAX_TAG_LENGTH = 50
MAX_TAGS = 50
MAX_CUSTOM_FIELDS = 50
NOT_NULL = ("phone_number", "lead_status", "lead_score", "is_blocked", "opt_in")
TEXT_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "email": 254,
    "company": 200,
    "city": 100,
    "country": 100,
    "address": 300,
    "segment": 50,
    "notes": 10_000,
}


class FieldProblem(ValueError):
    """One field is wrong: `field` names it, the message says how."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def as_validation(self) -> ValidationFailed:
        return ValidationFailed(
            f"{self.field}: {self.message}", details=[ErrorDetail(self.field, self.message)]
        )


def normalise_phone(raw: str, *, region: str) -> str:
    try:
        return to_e164(raw, default_region=region)
    except InvalidPhone as error:
        raise FieldProblem("phone_number", str(error)) from error


def normalise_tag(raw: str) -> str:
    """Tags are trimmed and lowercased, so `VIP` and `vip ` are one tag."""
    tag = " ".join(raw.split()).casefold()
    if not tag:
        raise FieldProblem("tag", "A tag cannot be empty.")
    if len(tag) > MAX_TAG_LENGTH:
        raise FieldProblem("tag", f"A tag has at most {MAX_TAG_LENGTH} characters.")
    return tag


def normalise_tags(raw: list[str]) -> list[str]:
    tags = list(dict.fromkeys(normalise_tag(tag) for tag in raw))
    if len(tags) > MAX_TAGS:
        raise FieldProblem("tags", f"A client has at most {MAX_TAGS} tags.")
    return tags


def check_fields(values: Mapping[str, Any], *, region: str) -> dict[str, Any]:
    """The values, normalised: phone in E.164, email lowercased, empty strings as None, segment
    lowercased. Raises `FieldProblem` for the first wrong field."""
    cleaned = dict(values)
    for name in NOT_NULL:
        if name in cleaned and cleaned[name] is None:
            raise FieldProblem(name, "Cannot be null.")
    for name, limit in TEXT_LIMITS.items():
        value = cleaned.get(name)
        if value is None and name in ("first_name", "last_name") and name in cleaned:
            cleaned[name] = ""
        if isinstance(value, str):
            value = value.strip()
            if len(value) > limit:
                raise FieldProblem(name, f"At most {limit} characters.")
            cleaned[name] = value or (None if name not in ("first_name", "last_name") else "")
    if "phone_number" in cleaned:
        cleaned["phone_number"] = normalise_phone(str(cleaned["phone_number"]), region=region)
    if cleaned.get("email"):
        cleaned["email"] = _check_email(str(cleaned["email"]))
    if cleaned.get("segment"):
        cleaned["segment"] = str(cleaned["segment"]).casefold()
    if "lead_status" in cleaned and cleaned["lead_status"] not in LEAD_STATUSES:
        raise FieldProblem("lead_status", f"One of: {', '.join(LEAD_STATUSES)}.")
    score = cleaned.get("lead_score")
    if score is not None and not 0 <= int(score) <= 100:
        raise FieldProblem("lead_score", "Between 0 and 100.")
    if "custom_fields" in cleaned:
        cleaned["custom_fields"] = _check_custom_fields(cleaned["custom_fields"] or {})
    if "tags" in cleaned:
        cleaned["tags"] = normalise_tags(list(cleaned["tags"] or []))
    return cleaned


def _check_email(value: str) -> str:
    address = value.strip().lower()
    local, at, domain = address.partition("@")
    if not at or not local or "." not in domain or " " in address:
        raise FieldProblem("email", f"Not an email address: {value}")
    return address


def _check_custom_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    if len(fields) > MAX_CUSTOM_FIELDS:
        raise FieldProblem("custom_fields", f"At most {MAX_CUSTOM_FIELDS} custom fields.")
    for key, value in fields.items():
        if not key or len(key) > 64:
            raise FieldProblem("custom_fields", "Field names have 1 to 64 characters.")
        if value is not None and not isinstance(value, str | int | float | bool):
            raise FieldProblem(f"custom_fields.{key}", "Values are text, numbers or true/false.")
    return dict(fields)
