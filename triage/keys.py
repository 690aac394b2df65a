"""The office key pair: created once, the private half stored encrypted under a passphrase.

Only the back office, the triage workers and the command line import this module; the portal
holds the public half alone (P1), and tests/test_layers.py proves nothing it imports reaches
here.
"""
from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from config.settings import Paths
from models.shared.sealing import SealError

MIN_PASSPHRASE = 12


def private_key_path(paths: Paths) -> Path:
    """Where the encrypted office private key lives."""
    return paths.keys / "office.key"


def generate_office_keys(public_path: Path, private_path: Path, passphrase: bytes) -> None:
    """Create the office key pair; the private key is written encrypted under `passphrase`."""
    if private_path.exists() or public_path.exists():
        raise FileExistsError(f"office keys already exist in {private_path.parent}")
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValueError("the office passphrase must have at least 12 characters")
    private_key = X25519PrivateKey.generate()
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_path.parent.mkdir(parents=True, exist_ok=True)
    _write_private(private_path, private_pem)
    public_path.write_bytes(public_pem)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def load_office_private_key(path: Path, passphrase: bytes) -> X25519PrivateKey:
    """The office private key, decrypted with its passphrase. Never called by the portal."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=passphrase)
    except (ValueError, TypeError) as exc:
        raise SealError("wrong office passphrase or damaged key file") from exc
    if not isinstance(key, X25519PrivateKey):
        raise SealError(f"{path} is not an X25519 private key")
    return key
