"""Bases for wire schemas. Request bodies are strict (unknown fields are an error, not silently
dropped), so a client's typo in a field name is reported instead of ignored."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """Response shapes in snake_case (crm, tasks, media)."""

    model_config = ConfigDict(from_attributes=True)


class StrictBody(BaseModel):
    """Request bodies in snake_case."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CamelWireModel(BaseModel):
    """Response shapes in camelCase (collections, platform)."""

    model_config = ConfigDict(
        from_attributes=True, alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True
    )


class CamelStrictBody(BaseModel):
    """Request bodies in camelCase; snake_case names are refused, as the wire is camelCase."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, alias_generator=to_camel)
