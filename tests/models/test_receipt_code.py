"""Receipt codes: ≥64 bits, typeable, normalised, and hashed with a secret pepper."""
import math

import pytest
from hypothesis import given, strategies as st

from config.settings import KdfParams
from models.shared.receipt import (
    DIGITS, MalformedReceipt, derive_receipt_keys, format_receipt, new_receipt_code, normalise_receipt,
)
from models.shared.sealing import public_bytes

KDF = KdfParams(n=16, r=1, p=1)


def test_codes_have_at_least_64_bits_and_groups_of_four():
    assert DIGITS * math.log2(10) >= 64
    code = new_receipt_code()
    groups = code.split(" ")
    assert len(groups) == 5 and all(len(g) == 4 and g.isdigit() for g in groups)


def test_codes_do_not_repeat():
    assert len({new_receipt_code() for _ in range(2000)}) == 2000


def test_normalise_accepts_what_people_type():
    assert normalise_receipt("1234 5678 9012 3456 7890") == "12345678901234567890"
    assert normalise_receipt("１２３４-5678-9012-3456-7890") == "12345678901234567890"
    for bad in ("", "1234", "1234 5678 9012 3456 789O", "12345678901234567890123", "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨٩٠"):
        with pytest.raises(MalformedReceipt):
            normalise_receipt(bad)


@given(st.text(max_size=40))
def test_normalise_never_crashes(text):
    try:
        digits = normalise_receipt(text)
    except MalformedReceipt:
        return
    assert len(digits) == DIGITS and digits.isdigit()


def test_derivation_is_deterministic_and_keyed_by_the_pepper():
    digits = normalise_receipt(new_receipt_code())
    a = derive_receipt_keys(digits, b"p" * 32, KDF)
    b = derive_receipt_keys(digits, b"p" * 32, KDF)
    c = derive_receipt_keys(digits, b"q" * 32, KDF)
    assert a.lookup == b.lookup and a.lookup != c.lookup
    assert public_bytes(a.private_key.public_key()) == public_bytes(b.private_key.public_key())
    assert public_bytes(a.private_key.public_key()) != public_bytes(c.private_key.public_key())
    assert digits.encode() not in a.lookup and format_receipt(digits).encode() not in a.lookup
