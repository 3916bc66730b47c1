"""The canonical form the sync checksum is computed over."""

from __future__ import annotations

import hashlib

import pytest

from nexo.receivables.canonical import canonical_json, checksum_matches, parse_preserving_numbers


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
