"""Sealed boxes open only with the right key, purpose and record; the key file is encrypted."""
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from models.shared.sealing import SealError, load_office_public_key, open_box, seal
from triage.keys import generate_office_keys, load_office_private_key


def test_round_trip_and_binding(tmp_path):
    key = X25519PrivateKey.generate()
    box = seal(key.public_key(), "收红包三千元".encode(), "report", "uid-1")
    assert "收红包".encode() not in box
    assert open_box(key, box, "report", "uid-1").decode() == "收红包三千元"
    with pytest.raises(SealError):
        open_box(key, box, "report", "uid-2")  # copied into another row
    with pytest.raises(SealError):
        open_box(key, box, "contact", "uid-1")  # read as another field
    with pytest.raises(SealError):
        open_box(X25519PrivateKey.generate(), box, "report", "uid-1")
    with pytest.raises(SealError):
        open_box(key, box[:-1] + bytes([box[-1] ^ 1]), "report", "uid-1")


def test_each_box_is_fresh():
    key = X25519PrivateKey.generate()
    assert seal(key.public_key(), b"same", "report", "u") != seal(key.public_key(), b"same", "report", "u")


def test_private_key_file_is_encrypted_under_the_passphrase(tmp_path):
    public, private = tmp_path / "office.pub", tmp_path / "office.key"
    generate_office_keys(public, private, b"a long enough passphrase")
    assert b"ENCRYPTED PRIVATE KEY" in private.read_bytes()
    assert oct(private.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(SealError):
        load_office_private_key(private, b"wrong passphrase!!")
    key = load_office_private_key(private, b"a long enough passphrase")
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    assert raw not in private.read_bytes()
    box = seal(load_office_public_key(public), b"x", "report", "u")
    assert open_box(key, box, "report", "u") == b"x"


def test_keys_are_never_overwritten_and_short_passphrases_refused(tmp_path):
    public, private = tmp_path / "office.pub", tmp_path / "office.key"
    with pytest.raises(ValueError):
        generate_office_keys(public, private, b"short")
    generate_office_keys(public, private, b"a long enough passphrase")
    with pytest.raises(FileExistsError):
        generate_office_keys(public, private, b"a long enough passphrase")
