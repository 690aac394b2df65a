"""Receipt codes: what a reporter keeps instead of an account.

A code is 20 random decimal digits (66 bits), shown in groups of four so it can be typed on a
phone keypad. The server stores only scrypt(code, salt=pepper): the pepper is a secret of the
data folder's secrets/ (not the database), so a database copy alone allows no guessing at all,
and with the pepper each guess still costs one scrypt. The same scrypt output also yields the
reporter's X25519 key: office messages are sealed to its public half, so only the holder of the
code can read them (P3).
"""
from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from config.settings import KdfParams

DIGITS = 20
GROUP = 4


class MalformedReceipt(ValueError):
    """The text is not a receipt code (wrong length or characters)."""


def new_receipt_code() -> str:
    """A fresh code, grouped: '1234 5678 9012 3456 7890'."""
    return format_receipt(f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}")


def format_receipt(digits: str) -> str:
    """Group 20 digits by four."""
    return " ".join(digits[i : i + GROUP] for i in range(0, DIGITS, GROUP))


def normalise_receipt(text: str) -> str:
    """The 20 digits of a typed code: full-width digits, spaces and dashes are accepted."""
    folded = unicodedata.normalize("NFKC", text or "")
    digits = "".join(ch for ch in folded if ch not in " -\t\r\n")
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit():
        raise MalformedReceipt("a receipt code has 20 digits")
    return digits


@dataclass(frozen=True)
class ReceiptKeys:
    """What one scrypt of a code yields: the database lookup value and the reporter's key."""

    lookup: bytes
    private_key: X25519PrivateKey


def derive_receipt_keys(digits: str, pepper: bytes, kdf: KdfParams) -> ReceiptKeys:
    """One slow keyed hash of the code, split into a lookup value and an X25519 key."""
    out = hashlib.scrypt(
        digits.encode("ascii"), salt=pepper, n=kdf.n, r=kdf.r, p=kdf.p, maxmem=kdf.maxmem, dklen=64
    )
    return ReceiptKeys(lookup=out[:32], private_key=X25519PrivateKey.from_private_bytes(out[32:]))
