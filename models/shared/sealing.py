"""Sealed boxes: HPKE (RFC 9180) base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM.

Anyone with a public key can seal; only the holder of the private key can open. The portal
seals reports to the office key and opens office messages with a key derived from a receipt
code; it never holds the office private key (P1): loading that key is triage/keys.py's job, and
nothing the portal imports reaches it (tests/test_layers.py). `info` binds each box to its
purpose and its record, so a box copied into another row or field does not open there; the
purposes and bindings are listed once, in models/shared/sealed.py.
"""
from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
FORMAT_VERSION = b"\x01"


class SealError(Exception):
    """A sealed box could not be opened: wrong key, wrong record, or damaged data."""


def _info(purpose: str, binding: str) -> bytes:
    return f"qingfeng/v1/{purpose}/{binding}".encode()


def seal(public_key: X25519PublicKey, plaintext: bytes, purpose: str, binding: str) -> bytes:
    """Encrypt `plaintext` to `public_key` for one purpose and one record."""
    return FORMAT_VERSION + SUITE.encrypt(plaintext, public_key, info=_info(purpose, binding))


def open_box(private_key: X25519PrivateKey, box: bytes, purpose: str, binding: str) -> bytes:
    """Decrypt a box made by `seal` with the same purpose and binding."""
    if not box or box[:1] != FORMAT_VERSION:
        raise SealError("unknown box format")
    try:
        return SUITE.decrypt(box[1:], private_key, info=_info(purpose, binding))
    except Exception as exc:  # cryptography raises InvalidTag or ValueError
        raise SealError("box does not open with this key") from exc


def seal_json(public_key: X25519PublicKey, data: object, purpose: str, binding: str) -> bytes:
    """Seal a JSON-serialisable value."""
    return seal(public_key, json.dumps(data, ensure_ascii=False).encode(), purpose, binding)


def open_json(private_key: X25519PrivateKey, box: bytes, purpose: str, binding: str) -> object:
    """Open a box made by `seal_json`."""
    return json.loads(open_box(private_key, box, purpose, binding))


def public_bytes(public_key: X25519PublicKey) -> bytes:
    """The 32 raw bytes of a public key, as stored in the database."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_from_bytes(raw: bytes) -> X25519PublicKey:
    """The inverse of `public_bytes`."""
    return X25519PublicKey.from_public_bytes(raw)


def load_office_public_key(path: Path) -> X25519PublicKey:
    """The office public key (PEM). This is all the portal loads."""
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, X25519PublicKey):
        raise SealError(f"{path} is not an X25519 public key")
    return key
