"""Time-based one-time passwords (RFC 6238) for two-factor login, and their backup codes.

Codes are accepted one 30-second step either side of now, to forgive clock drift and slow typing; the
matched step is returned so the caller can store it and refuse that same code (or an older one) again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
import secrets
import time

import pyotp
import qrcode
from qrcode.image.pil import PilImage

VALID_WINDOW = 1
# No 0/o, 1/l/i: backup codes are often printed and typed back in by hand.
BACKUP_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
BACKUP_CODE_GROUP = 4
_SEPARATORS = re.compile(r"[\s-]")


def new_totp_secret() -> str:
    """A random base32 secret of 160 bits, the size RFC 4226 recommends."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, account_name: str, issuer: str) -> str:
    """The `otpauth://` URI authenticator apps import, shown to the user as a QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def qr_png_data_uri(uri: str) -> str:
    """Render `uri` as a PNG QR code inside a `data:` URI, ready for an `<img src>`."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=4)
    code.add_data(uri)
    code.make(fit=True)
    image = code.make_image(image_factory=PilImage)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def verify_totp(
    secret: str, code: str, *, last_used_step: int | None, now: float | None = None
) -> int | None:
    """Return the time step `code` belongs to, or `None` if it is wrong, stale or already used.

    Steps at or before `last_used_step` are refused, so a code observed over a shoulder or in a log
    cannot be replayed within its validity window. `now` (Unix seconds) is for tests.
    """
    totp = pyotp.TOTP(secret)
    candidate = _SEPARATORS.sub("", code)
    if len(candidate) != totp.digits or not candidate.isascii() or not candidate.isdigit():
        return None
    current = totp.timecode(time.time() if now is None else now)
    matched: int | None = None
    # Check every step in the window (no early exit), keeping the latest match that is still unused.
    for step in range(max(0, current - VALID_WINDOW), current + VALID_WINDOW + 1):
        fresh = last_used_step is None or step > last_used_step
        if hmac.compare_digest(candidate, totp.generate_otp(step)) and fresh:
            matched = step
    return matched


def new_backup_codes(n: int = 10) -> list[str]:
    """`n` distinct one-time codes like `k7mq-3xpa` (about 40 random bits each)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    codes: set[str] = set()
    while len(codes) < n:
        codes.add(_new_backup_code())
    return sorted(codes)


def _new_backup_code() -> str:
    chars = "".join(secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(2 * BACKUP_CODE_GROUP))
    return f"{chars[:BACKUP_CODE_GROUP]}-{chars[BACKUP_CODE_GROUP:]}"


def normalize_backup_code(code: str) -> str:
    """Reduce what a person typed to the canonical form: no spaces or dashes, lowercase."""
    return _SEPARATORS.sub("", code).lower()


def hash_backup_code(code: str, *, pepper: bytes) -> str:
    """HMAC-SHA256 hex of the normalised code, keyed with a server-side `pepper`.

    Backup codes carry only ~40 bits, few enough that a plain SHA-256 table stolen from the database
    could be brute-forced offline; keying the hash with a secret that lives outside the database
    (derive one from the instance secret) prevents that, while staying fast and deterministic so a
    code is found by equality.
    """
    if not pepper:
        raise ValueError("pepper must not be empty")
    digest = hmac.new(pepper, normalize_backup_code(code).encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()


def match_backup_code(code: str, stored_hashes: list[str], *, pepper: bytes) -> str | None:
    """Return the stored hash `code` matches (for the caller to delete), or `None`."""
    wanted = hash_backup_code(code, pepper=pepper)
    found: str | None = None
    for stored in stored_hashes:
        if hmac.compare_digest(wanted, stored):
            found = stored
    return found
