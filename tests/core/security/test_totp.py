"""TOTP enrolment and verification, replay protection, and backup codes."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import time

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from nexo.core.security.totp import (
    BACKUP_CODE_ALPHABET,
    hash_backup_code,
    match_backup_code,
    new_backup_codes,
    new_totp_secret,
    normalize_backup_code,
    provisioning_uri,
    qr_png_data_uri,
    verify_totp,
)

PEPPER = b"test-pepper-of-reasonable-length"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NOW = 1_750_000_005.0  # 5 s into a 30 s step, far from either edge
STEP = int(NOW // 30)


@pytest.fixture
def secret() -> str:
    return new_totp_secret()


def _code_for(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def test_new_secret_is_160_bit_base32() -> None:
    secret = new_totp_secret()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert len(base64.b32decode(secret)) == 20
    assert new_totp_secret() != secret


def test_provisioning_uri_round_trips_through_an_authenticator_parser(secret: str) -> None:
    uri = provisioning_uri(secret, account_name="ana@example.com", issuer="Nexo CRM")
    assert uri.startswith("otpauth://totp/")
    parsed = pyotp.parse_uri(uri)
    assert isinstance(parsed, pyotp.TOTP)
    assert parsed.secret == secret
    assert parsed.issuer == "Nexo CRM"
    assert parsed.name == "ana@example.com"


def test_qr_data_uri_holds_a_png(secret: str) -> None:
    data_uri = qr_png_data_uri(provisioning_uri(secret, account_name="a@b.co", issuer="Nexo"))
    prefix = "data:image/png;base64,"
    assert data_uri.startswith(prefix)
    png = base64.b64decode(data_uri[len(prefix) :], validate=True)
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert image.width == image.height > 100


def test_current_code_returns_its_step(secret: str) -> None:
    assert verify_totp(secret, _code_for(secret, STEP), last_used_step=None, now=NOW) == STEP


@pytest.mark.parametrize("offset", [-1, 1])
def test_neighbouring_steps_are_forgiven(secret: str, offset: int) -> None:
    code = _code_for(secret, STEP + offset)
    assert verify_totp(secret, code, last_used_step=None, now=NOW) == STEP + offset


@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_codes_outside_the_window_are_refused(secret: str, offset: int) -> None:
    code = _code_for(secret, STEP + offset)
    # Guard against the one-in-a-million collision with a code inside the window.
    window = {_code_for(secret, STEP + near) for near in (-1, 0, 1)}
    if code not in window:
        assert verify_totp(secret, code, last_used_step=None, now=NOW) is None


def test_default_clock_is_the_current_time(secret: str) -> None:
    step = verify_totp(secret, pyotp.TOTP(secret).now(), last_used_step=None)
    assert step is not None
    assert abs(step - int(time.time() // 30)) <= 1


def test_replayed_code_is_refused(secret: str) -> None:
    code = _code_for(secret, STEP)
    used = verify_totp(secret, code, last_used_step=None, now=NOW)
    assert used == STEP
    assert verify_totp(secret, code, last_used_step=used, now=NOW + 20) is None


def test_code_older_than_the_last_used_step_is_refused(secret: str) -> None:
    older = _code_for(secret, STEP - 1)
    assert verify_totp(secret, older, last_used_step=STEP, now=NOW) is None
    assert verify_totp(secret, older, last_used_step=STEP - 2, now=NOW) == STEP - 1


def test_code_with_spaces_is_accepted(secret: str) -> None:
    code = _code_for(secret, STEP)
    assert verify_totp(secret, f" {code[:3]} {code[3:]} ", last_used_step=None, now=NOW) == STEP


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"])
def test_malformed_codes_are_refused(secret: str, code: str) -> None:
    assert verify_totp(secret, code, last_used_step=None, now=NOW) is None


def test_wrong_code_is_refused(secret: str) -> None:
    window = {_code_for(secret, STEP + near) for near in (-1, 0, 1)}
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in window)
    assert verify_totp(secret, wrong, last_used_step=None, now=NOW) is None


def test_backup_codes_shape() -> None:
    codes = new_backup_codes()
    assert len(codes) == 10
    assert len(set(codes)) == 10
    pattern = rf"[{BACKUP_CODE_ALPHABET}]{{4}}-[{BACKUP_CODE_ALPHABET}]{{4}}"
    assert all(re.fullmatch(pattern, code) for code in codes)
    assert not set("".join(new_backup_codes(200)).replace("-", "")) & set("0o1li")


def test_backup_code_count_is_configurable_and_positive() -> None:
    assert len(new_backup_codes(3)) == 3
    with pytest.raises(ValueError, match="at least 1"):
        new_backup_codes(0)


@given(
    code=st.sampled_from(new_backup_codes(50)),
    upper=st.lists(st.booleans(), min_size=9, max_size=9),
    spaces=st.lists(st.sampled_from(["", " ", "  ", "\t"]), min_size=10, max_size=10),
)
def test_typed_variants_normalise_and_hash_the_same(code: str, upper: list[bool], spaces: list[str]) -> None:
    typed = (
        "".join(spaces[i] + (char.upper() if upper[i] else char) for i, char in enumerate(code)) + spaces[-1]
    )
    assert normalize_backup_code(typed) == code.replace("-", "")
    assert hash_backup_code(typed, pepper=PEPPER) == hash_backup_code(code, pepper=PEPPER)


def test_backup_hash_depends_on_the_pepper_and_is_not_a_bare_sha256() -> None:
    code = "abcd-efgh"
    peppered = hash_backup_code(code, pepper=PEPPER)
    assert re.fullmatch(r"[0-9a-f]{64}", peppered)
    assert peppered != hash_backup_code(code, pepper=b"another-pepper")
    assert peppered != hashlib.sha256(b"abcdefgh").hexdigest()
    assert peppered != hash_backup_code("abcd-efgj", pepper=PEPPER)
    with pytest.raises(ValueError, match="pepper"):
        hash_backup_code(code, pepper=b"")


def test_match_backup_code_finds_the_hash_to_consume() -> None:
    codes = new_backup_codes(5)
    stored = [hash_backup_code(code, pepper=PEPPER) for code in codes]
    assert match_backup_code(codes[3].upper(), stored, pepper=PEPPER) == stored[3]
    assert match_backup_code("zzzz-zzzz", stored[:0], pepper=PEPPER) is None
    unused = next(c for c in new_backup_codes(20) if c not in codes)
    assert match_backup_code(unused, stored, pepper=PEPPER) is None
