"""Password hashing, rehash-on-login, timing equalisation and the password policy."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from nexo.core.security.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    check_password_policy,
    dummy_verify,
    hash_password,
    verify_password,
)

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def stored_hash() -> str:
    return hash_password(PASSWORD)


def test_hash_is_salted_argon2id(stored_hash: str) -> None:
    assert stored_hash.startswith("$argon2id$")
    assert PASSWORD not in stored_hash
    assert hash_password(PASSWORD) != stored_hash


def test_verify_accepts_the_right_password_without_rehash(stored_hash: str) -> None:
    assert verify_password(PASSWORD, stored_hash) == (True, None)


def test_verify_rejects_a_wrong_password(stored_hash: str) -> None:
    assert verify_password(PASSWORD + "!", stored_hash) == (False, None)


def test_weak_legacy_hash_is_upgraded_on_successful_login() -> None:
    legacy = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8 * 1024),)).hash(PASSWORD)
    ok, upgraded = verify_password(PASSWORD, legacy)
    assert ok is True
    assert upgraded is not None
    assert upgraded != legacy
    assert "m=8192" in legacy
    assert "m=8192" not in upgraded
    assert verify_password(PASSWORD, upgraded) == (True, None)


def test_weak_legacy_hash_is_not_upgraded_for_a_wrong_password() -> None:
    legacy = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8 * 1024),)).hash(PASSWORD)
    assert verify_password("wrong password", legacy) == (False, None)


@pytest.mark.parametrize("corrupt", ["", "plaintext", "$2b$12$notreallybcrypt", "$argon2id$broken"])
def test_unrecognised_stored_hash_is_a_mismatch_not_an_error(corrupt: str) -> None:
    assert verify_password(PASSWORD, corrupt) == (False, None)


def _fastest(action: Callable[[], object], runs: int = 3) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return min(timings)


def test_dummy_verify_costs_about_as_much_as_a_real_verification(stored_hash: str) -> None:
    real = _fastest(lambda: verify_password("wrong password", stored_hash))
    dummy = _fastest(dummy_verify)
    # A generous bound that still fails if the dummy path skips Argon2 (which takes microseconds).
    assert dummy > real * 0.25


@pytest.mark.parametrize(
    ("password", "expected_problems"),
    [
        ("a" * (MIN_LENGTH - 1), 1),
        ("a" * MIN_LENGTH, 0),
        ("a" * MAX_LENGTH, 0),
        ("a" * (MAX_LENGTH + 1), 1),
        ("", 1),
    ],
)
def test_length_bounds(password: str, expected_problems: int) -> None:
    assert len(check_password_policy(password, email="someone@example.com")) == expected_problems


@pytest.mark.parametrize("password", ["Maria.Lopez@Example.com", "maria.lopez@example.com", "MARIA.LOPEZ"])
def test_password_equal_to_email_or_local_part_is_refused(password: str) -> None:
    problems = check_password_policy(password, email="maria.lopez@example.com")
    assert len(problems) == 1
    assert "email" in problems[0]


def test_password_containing_the_email_is_not_equal_to_it() -> None:
    assert check_password_policy("maria.lopez-2024-secure", email="maria.lopez@example.com") == []


def test_several_problems_are_all_reported() -> None:
    problems = check_password_policy("Bob", email="bob@example.com")
    assert len(problems) == 2
    assert any(str(MIN_LENGTH) in problem for problem in problems)
