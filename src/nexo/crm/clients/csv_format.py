"""The CSV format of client files: columns, encoding and delimiter detection, row → field values.

Import and export share the columns, so an exported file imports back unchanged. Files come from
spreadsheets: UTF-8 (with or without a BOM) or Windows-1252/Latin-1 (Excel's "CSV" on Windows), with
`,` or `;` as the delimiter (`;` in Spanish-speaking locales). Row numbers are the spreadsheet's: the
header is row 1, so the first client is row 2.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from nexo.core.errors import ErrorDetail, ValidationFailed
from nexo.crm.clients.fields import FieldProblem

# Writable columns, in export order. `custom_fields` holds a JSON object; `custom.<name>` columns
# add one custom field each (easier to fill in a spreadsheet).
COLUMNS = (
    "phone_number",
    "first_name",
    "last_name",
    "email",
    "company",
    "city",
    "country",
    "address",
    "lead_status",
    "lead_score",
    "segment",
    "tags",
    "notes",
    "opt_in",
    "is_blocked",
    "custom_fields",
)
# Columns an export has that an import ignores (they are computed, not entered).
READ_ONLY_COLUMNS = ("id", "total_chats", "last_contact_at", "created_at", "updated_at")
ALIASES = {"phone": "phone_number", "telefono": "phone_number", "teléfono": "phone_number"}
CUSTOM_PREFIX = "custom."
SNIFF_BYTES = 64 * 1024
TRUE_WORDS = frozenset({"1", "true", "yes", "si", "sí", "y", "x"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "n"})


@dataclass(frozen=True, slots=True)
class CsvLayout:
    encoding: str
    delimiter: str
    columns: list[str]  # normalised header names, one per cell ("" for ignored columns)


def bad_file(message: str, field: str = "file") -> ValidationFailed:
    return ValidationFailed(message, code="INVALID_CSV", details=[ErrorDetail(field, message)])


def detect_encoding(sample: bytes) -> str:
    """`utf-8-sig` when the sample decodes as UTF-8 (a BOM is dropped), else `cp1252` (a superset of
    Latin-1's printable characters), else `latin-1`, which decodes any byte."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        try:
            sample.decode("cp1252")
        except UnicodeDecodeError:
            return "latin-1"
        return "cp1252"
    return "utf-8-sig"


def open_text(raw: IO[bytes]) -> tuple[io.TextIOWrapper, str]:
    """A text stream over an uploaded file, in the encoding its first 64 KiB show."""
    raw.seek(0)
    sample = raw.read(SNIFF_BYTES)
    if not sample.strip(b" \t\r\n\xef\xbb\xbf"):
        raise bad_file("The file is empty.")
    raw.seek(0)
    encoding = detect_encoding(sample)
    return io.TextIOWrapper(raw, encoding=encoding, newline=""), encoding


def _delimiter(header_line: str) -> str:
    counts = {candidate: header_line.count(candidate) for candidate in (",", ";", "\t")}
    return max(counts, key=lambda candidate: counts[candidate]) if any(counts.values()) else ","


def read_layout(text: io.TextIOWrapper, encoding: str) -> tuple[CsvLayout, Iterator[tuple[int, list[str]]]]:
    """Read and check the header; return the layout and an iterator of `(row_number, cells)`."""
    try:
        header_line = text.readline()
    except UnicodeDecodeError as error:
        raise bad_file("The file is not text (save it as CSV, UTF-8).") from error
    if not header_line.strip():
        raise bad_file("The first line must be the header (phone_number, first_name, …).")
    delimiter = _delimiter(header_line)
    header = next(csv.reader([header_line], delimiter=delimiter))
    layout = CsvLayout(encoding=encoding, delimiter=delimiter, columns=check_header(header))
    return layout, _rows(text, delimiter)


def check_header(header: list[str]) -> list[str]:
    names = [ALIASES.get(name.strip().casefold(), name.strip().casefold()) for name in header]
    unknown = [
        original
        for original, name in zip(header, names, strict=True)
        if name and name not in COLUMNS and name not in READ_ONLY_COLUMNS and not _is_custom(name)
    ]
    if unknown:
        raise bad_file(
            f"Unknown column(s): {', '.join(unknown)}. Columns are: {', '.join(COLUMNS)}, "
            f"and custom.<name> for custom fields."
        )
    if "phone_number" not in names:
        raise bad_file("The header has no phone_number column.")
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise bad_file(f"Repeated column(s): {', '.join(repeated)}.")
    return [name if name not in READ_ONLY_COLUMNS else "" for name in names]


def _is_custom(name: str) -> bool:
    return name.startswith(CUSTOM_PREFIX) and len(name) > len(CUSTOM_PREFIX)


def _rows(text: io.TextIOWrapper, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(text, delimiter=delimiter)
    try:
        # Records, not physical lines, so a cell with a line break does not shift the numbers.
        for number, cells in enumerate(reader, start=2):
            if any(cell.strip() for cell in cells):
                yield number, cells
    except UnicodeDecodeError as error:
        raise bad_file(
            f"The file mixes encodings after line {reader.line_num}; save it again as CSV UTF-8."
        ) from error
    except csv.Error as error:
        raise bad_file(f"Line {reader.line_num} is not valid CSV: {error}.") from error


def row_values(columns: list[str], cells: list[str]) -> dict[str, Any]:
    """The client fields a row gives (blank cells give nothing). Raises `FieldProblem`."""
    if len(cells) > len(columns):
        raise FieldProblem("row", f"The row has {len(cells)} cells; the header has {len(columns)}.")
    values: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for name, cell in zip(columns, cells, strict=False):
        cell = cell.strip()
        if not name or not cell:
            continue
        if _is_custom(name):
            custom[name[len(CUSTOM_PREFIX) :]] = cell
        else:
            values[name] = _typed(name, cell)
    if custom:
        values["custom_fields"] = {**values.get("custom_fields", {}), **custom}
    return values


def _typed(name: str, cell: str) -> Any:
    if name == "tags":
        return [part for part in cell.replace("|", ",").replace(";", ",").split(",") if part.strip()]
    if name in ("opt_in", "is_blocked"):
        word = cell.casefold()
        if word not in TRUE_WORDS | FALSE_WORDS:
            raise FieldProblem(name, f"Write true or false, not {cell!r}.")
        return word in TRUE_WORDS
    if name == "lead_score":
        if not cell.lstrip("-").isdigit():
            raise FieldProblem(name, f"Not a whole number: {cell!r}.")
        return int(cell)
    if name == "custom_fields":
        try:
            parsed = json.loads(cell)
        except ValueError as error:
            raise FieldProblem(name, "Not a JSON object.") from error
        if not isinstance(parsed, dict):
            raise FieldProblem(name, "Not a JSON object.")
        return parsed
    return cell


def render_cell(name: str, value: Any) -> str:
    """A field as the export writes it (and the import reads it back)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if name == "tags":
        return ";".join(value)
    if name == "custom_fields":
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
