"""Opaque secrets, API keys and link codes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexo.core.security.opaque import (
    LINK_CODE_ALPHABET,
    hash_secret,
    new_api_key,
    new_link_code,
    new_secret,
    normalize_link_code,
    parse_api_key,
    secrets_equal,
)


def test_new_secret_has_prefix_and_enough_randomness() -> None:
    secret = new_secret("nx_rt")
    assert re.fullmatch(r"nx_rt_[A-Za-z0-9_-]{43}", secret)
    assert len({new_secret("nx_rt") for _ in range(200)}) == 200


def test_new_secret_length_follows_nbytes() -> None:
    assert len(new_secret("nx_ct", nbytes=48)) == len("nx_ct_") + 64


@pytest.mark.parametrize("prefix", ["", "NX", "nx_", "_nx", "nx-rt", "1nx"])
def test_new_secret_refuses_odd_prefixes(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        new_secret(prefix)


def test_new_secret_refuses_too_few_bytes() -> None:
    with pytest.raises(ValueError, match="random bytes"):
        new_secret("nx_rt", nbytes=8)


def test_hash_secret_is_sha256_hex() -> None:
    assert hash_secret("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert hash_secret("abc") != hash_secret("abd")


def test_secrets_equal() -> None:
    assert secrets_equal("nx_rt_same", "nx_rt_same")
    assert not secrets_equal("nx_rt_same", "nx_rt_samf")
    assert not secrets_equal("short", "shorter")
    assert secrets_equal("contraseña", "contraseña")


def test_new_api_key_shape_and_stored_parts() -> None:
    material = new_api_key()
    assert re.fullmatch(r"nexo_live_[a-z0-9]{8}_[A-Za-z0-9_-]{43}", material.full)
    assert material.full.split("_")[2] == material.lookup_prefix
    assert material.hash == hash_secret(material.full)
    assert material.lookup_prefix not in material.hash


def test_new_api_key_environment() -> None:
    assert new_api_key("test").full.startswith("nexo_test_")
    with pytest.raises(ValueError, match="environment"):
        new_api_key("Live_1")


def test_api_keys_are_unique() -> None:
    keys = [new_api_key() for _ in range(100)]
    assert len({key.full for key in keys}) == 100
    assert len({key.lookup_prefix for key in keys}) > 90


def test_parse_api_key_round_trip() -> None:
    material = new_api_key()
    assert parse_api_key(material.full) == (material.lookup_prefix, material.full)
    assert parse_api_key(f"  {material.full}\n") == (material.lookup_prefix, material.full)


def test_parse_api_key_allows_separators_inside_the_secret() -> None:
    key = "nexo_live_ab12cd34_" + "x_y-" * 10
    assert parse_api_key(key) == ("ab12cd34", key)


@pytest.mark.parametrize(
    "key",
    [
        "",
        "nexo_live_ab12cd34",
        "nexo_live_ab12cd34_short",
        "nexo_live_AB12CD34_" + "s" * 43,
        "nexo_live_ab12cd3_" + "s" * 43,
        "nx_live_ab12cd34_" + "s" * 43,
        "nexo_live_ab12cd34_" + "s" * 42 + "!",
        "Bearer nexo_live_ab12cd34_" + "s" * 43,
        "nx_rt_" + "s" * 43,
    ],
)
def test_parse_api_key_refuses_malformed_keys(key: str) -> None:
    assert parse_api_key(key) is None


@given(st.text(max_size=200))
def test_parse_api_key_never_raises_and_only_returns_clean_lookups(text: str) -> None:
    parsed = parse_api_key(text)
    assert parsed is None or re.fullmatch(r"[a-z0-9]{8}", parsed[0])


def test_link_code_shape() -> None:
    codes = [new_link_code() for _ in range(500)]
    assert all(re.fullmatch(r"[A-Z2-9]{6}", code) for code in codes)
    used = set("".join(codes))
    assert used <= set(LINK_CODE_ALPHABET)
    assert not used & set("0O1I")
    assert len(set(codes)) > 490


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("ABC234", "ABC234"), ("abc234", "ABC234"), (" abc-234 ", "ABC234"), ("ab c2 34", "ABC234")],
)
def test_normalize_link_code_accepts_what_people_type(typed: str, expected: str) -> None:
    assert normalize_link_code(typed) == expected


@pytest.mark.parametrize("typed", ["", "ABC23", "ABC2345", "A1B2C3", "ABCO23", "ABC_23"])
def test_normalize_link_code_refuses_impossible_codes(typed: str) -> None:
    assert normalize_link_code(typed) is None


@given(st.data())
def test_normalize_link_code_undoes_case_and_separators(data: st.DataObject) -> None:
    code = new_link_code()
    decorated = "".join(
        data.draw(st.sampled_from([char, char.lower()])) + data.draw(st.sampled_from(["", " ", "-"]))
        for char in code
    )
    assert normalize_link_code(decorated) == code
