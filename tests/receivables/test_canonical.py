"""The canonical form the sync checksum is computed over, and the per-invoice content hash."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal

import pytest

from nexo.receivables.calendar import day_number
from nexo.receivables.canonical import canonical_json, checksum_matches, parse_preserving_numbers
from nexo.receivables.sync import invoice_digest


def test_canonical_form_sorts_keys_keeps_numbers_and_utf8() -> None:
    raw = '{"b": [1, 2.50, -0.10, 1e3], "a": {"ñ": "Niño \\"x\\"\\n", "z": null, "t": true}}'
    assert canonical_json(parse_preserving_numbers(raw)) == (
        '{"a":{"t":true,"z":null,"ñ":"Niño \\"x\\"\\n"},"b":[1,2.50,-0.10,1e3]}'
    )


def test_checksum_accepts_prefix_and_case() -> None:
    value = parse_preserving_numbers('{"x": 1.00}')
    digest = hashlib.sha256(b'{"x":1.00}').hexdigest()
    assert checksum_matches(value, digest)
    assert checksum_matches(value, "sha256:" + digest.upper())
    assert not checksum_matches(value, hashlib.sha256(b'{"x":1.0}').hexdigest())


@pytest.mark.parametrize("raw", ["NaN", '{"x": Infinity}'])
def test_non_json_constants_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_preserving_numbers(raw)


def test_numbers_keep_their_text_and_are_exact_for_validation() -> None:
    value = parse_preserving_numbers('{"a": -0, "b": 1.50, "c": 1E+2, "d": 7}')
    assert canonical_json(value) == '{"a":-0,"b":1.50,"c":1E+2,"d":7}'
    assert value["b"] == Decimal("1.5") and isinstance(value["b"], Decimal)
    assert value["d"] == 7 and isinstance(value["d"], int)
    assert not any(isinstance(number, float) for number in value.values())


def test_a_lone_surrogate_has_no_canonical_form() -> None:
    with pytest.raises(ValueError, match="no canonical form"):
        canonical_json(parse_preserving_numbers('{"nombre": "\\ud800"}'))


@pytest.mark.parametrize("clave", ["C001", 'Ñoño "x" \\ \n'])
def test_invoice_digest_is_the_generic_digest_of_its_fields(clave: str) -> None:
    fecha, vencimiento = date(2025, 11, 2), date(2025, 12, 2)
    total, saldo = Decimal("12500.00"), Decimal("0.10")
    fields = {
        "cliente": clave,
        "fecha": str(fecha),
        "vencimiento": str(vencimiento),
        "vencimiento_dia": str(day_number(vencimiento)),
        "total": str(total),
        "saldo": str(saldo),
        "status": "abierta",
    }
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    expected = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert invoice_digest(clave, fecha, vencimiento, total, saldo, "abierta") == expected
