"""Password hashing and the password policy.

Argon2id through pwdlib: memory-hard, so a leaked table costs an attacker real hardware per guess.
`verify_password` also reports when a stored hash was made with weaker parameters than today's, so the
caller can upgrade it in place at the one moment the plain password is known.
"""

from __future__ import annotations

from functools import cache

from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher

MIN_LENGTH = 8
MAX_LENGTH = 128

_hasher = PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    """Return an encoded Argon2id hash (salt and parameters included) for storage."""
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> tuple[bool, str | None]:
    """Check `password` against a stored hash.

    Returns `(matches, new_hash)`; `new_hash` is set only when the password matched and the stored hash
    should be replaced (older parameters). A hash this module does not recognise — a corrupt or foreign
    row — counts as a mismatch rather than an error, so a bad row can never turn a login into a 500.
    """
    try:
        return _hasher.verify_and_update(password, password_hash)
    except UnknownHashError:
        dummy_verify()
        return False, None


@cache
def _dummy_hash() -> str:
    # Computed once, lazily: importing this module must stay cheap.
    return _hasher.hash("nexo-dummy-password-for-timing")


def dummy_verify() -> None:
    """Spend the same time as a real verification, for logins with an unknown email.

    Without it, "no such user" answers in microseconds and "wrong password" in tens of milliseconds, and
    that difference tells an attacker which emails have accounts.
    """
    _hasher.verify("not-the-dummy-password", _dummy_hash())


def check_password_policy(password: str, *, email: str) -> list[str]:
    """Return the problems with a proposed password, in words a person can act on; empty means fine.

    Length bounds follow NIST SP 800-63B (long passphrases welcome, no composition rules); the upper
    bound keeps a single request from making Argon2 hash megabytes. The email check catches the most
    guessable choice an attacker who knows the account would try first.
    """
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Password must be at least {MIN_LENGTH} characters long.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Password must be at most {MAX_LENGTH} characters long.")
    if _matches_email(password, email):
        problems.append("Password must not be the same as your email address or its name part.")
    return problems


def _matches_email(password: str, email: str) -> bool:
    candidate = password.strip().casefold()
    address = email.strip().casefold()
    if not address:
        return False
    local_part = address.split("@", 1)[0]
    return candidate in {address, local_part}
