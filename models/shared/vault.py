"""What the portal needs to write sealed data: the office public key, the receipt pepper and
KDF cost, and the uploads folder. Deliberately no private key (P1)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from config.settings import KdfParams


@dataclass(frozen=True)
class Vault:
    office_key: X25519PublicKey
    pepper: bytes = field(repr=False)
    kdf: KdfParams
    uploads: Path
