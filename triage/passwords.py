"""Staff passwords (scrypt, per-user salt) and TOTP secrets (sealed under the office secret)."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.twofactor import InvalidToken
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from config.settings import KdfParams

TOTP_STEP = 30
MIN_PASSWORD = 12


def hash_password(password: str, kdf: KdfParams) -> str:
    """'scrypt$n$r$p$salt$hash' for storing."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=kdf.n, r=kdf.r, p=kdf.p,
                            maxmem=kdf.maxmem, dklen=32)
    return f"scrypt${kdf.n}${kdf.r}${kdf.p}${salt.hex()}${digest.hex()}"


def check_password(stored: str, password: str) -> bool:
    """Constant-time check of a password against its stored hash."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        kdf = KdfParams(int(n), int(r), int(p))
        candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=kdf.n, r=kdf.r,
                                   p=kdf.p, maxmem=kdf.maxmem, dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate, bytes.fromhex(digest))


def _totp_key(secret_key: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"qingfeng/v1/totp").derive(secret_key)


def new_totp_secret() -> bytes:
    return os.urandom(20)


def seal_totp(secret: bytes, secret_key: bytes, username: str) -> bytes:
    """The TOTP secret encrypted under a key derived from the office secret key."""
    nonce = os.urandom(12)
    return nonce + AESGCM(_totp_key(secret_key)).encrypt(nonce, secret, username.encode())


def open_totp(box: bytes, secret_key: bytes, username: str) -> bytes:
    return AESGCM(_totp_key(secret_key)).decrypt(box[:12], box[12:], username.encode())


def totp(secret: bytes) -> TOTP:
    return TOTP(secret, 6, SHA1(), TOTP_STEP, enforce_key_length=False)


def provisioning_uri(secret: bytes, username: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return totp(secret).get_provisioning_uri(username, issuer)


def totp_step_accepted(secret: bytes, code: str, now: float, last_step: int) -> int | None:
    """The time step a valid code belongs to (±1 step of clock drift), or None. A step at or
    before `last_step` is refused: a code works only once."""
    code = (code or "").strip()
    if not (len(code) == 6 and code.isdigit()):
        return None
    current = int(now // TOTP_STEP)
    for step in (current, current - 1, current + 1):
        try:
            totp(secret).verify(code.encode(), step * TOTP_STEP)
        except InvalidToken:
            continue
        return step if step > last_step else None
    return None
