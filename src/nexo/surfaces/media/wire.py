"""Wire conventions of the media surface: money, envelopes, partial updates, CSV.

- Money travels as a string with exactly two decimals (`"1234.50"`), never a float; requests may
  send a string or a JSON number, with at most two decimals. Percentages travel the same way.
- A resource is answered as `{"data": {...}}`; a list as `{"data": [...], "meta": {page, limit,
  total, total_pages}}`.
- `PUT` changes only the fields it sends; sending `null` for a required field is refused.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Path, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, StringConstraints

from nexo.core.db.types import MAX_ID
from nexo.core.http.schemas import WireModel
from nexo.core.pagination import Page, snake_meta

T = TypeVar("T")


def _two_places(value: Decimal) -> str:
    return f"{value:.2f}"


# Responses
MoneyOut = Annotated[Decimal, PlainSerializer(_two_places, return_type=str, when_used="json")]
PctOut = Annotated[
    Decimal | None, PlainSerializer(lambda v: None if v is None else _two_places(v), when_used="json")
]

# Requests
MoneyIn = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2, examples=["1500.00"])]
QuantityIn = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2, examples=["10"])]
PctIn = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=5000)]
Rfc = Annotated[  # Mexican tax id; upper-cased before the pattern is checked
    str,
    StringConstraints(pattern=r"^[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}$"),
    BeforeValidator(lambda value: value.strip().upper() if isinstance(value, str) else value),
]
Phone = Annotated[str, StringConstraints(pattern=r"^\+[1-9]\d{6,14}$")]  # E.164
PartyStatus = Literal["activo", "inactivo"]

# Ids are INTEGER keys (32 bits on PostgreSQL): anything outside is refused as a bad field, not
# sent to the database to fail there.
IdIn = Annotated[int, Field(ge=1, le=MAX_ID)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def _refuse_null(value: T | None) -> T:
    if value is None:
        raise ValueError("no puede ser null; omite el campo para no cambiarlo")
    return value


NOT_NULL = AfterValidator(_refuse_null)


class PageMeta(WireModel):
    page: int
    limit: int
    total: int
    total_pages: int


class Item(WireModel, Generic[T]):
    data: T


class ListOf(WireModel, Generic[T]):
    data: list[T]
    meta: PageMeta


def page_of(page: Page[Any], rows: list[Any]) -> dict[str, Any]:
    return {"data": rows, "meta": snake_meta(page)}


def created(location: str, response: Response) -> None:
    response.headers["Location"] = location


# --- CSV ----------------------------------------------------------------------------------------

ReportFormat = Annotated[
    Literal["json", "csv"], Query(description="`csv` streams the rows as text/csv (UTF-8, comma-separated).")
]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return _two_places(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _csv_lines(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def csv_response(filename: str, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> StreamingResponse:
    """Rows streamed as CSV; a spreadsheet opens it as is (amounts with a dot, two decimals)."""
    return StreamingResponse(
        _csv_lines(columns, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def plain(value: Any) -> Any:
    """JSON-ready rendering of report values: money and percentages as two-decimal strings."""
    if isinstance(value, Decimal):
        return _two_places(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value
