"""Answers that survive a reload or a second tap.

* Every form that stores something carries a random `once` token. After it is stored, the token
  is remembered in the reporter's own session cookie (signed, HttpOnly, gone when the browser
  closes); the same token again (reload, back and resend, a double tap) stores nothing twice.
* A receipt code is shown by a GET after the POST (post/redirect/get): reload or back shows the
  same code again instead of filing a second report. The code waits in the session cookie only
  until the reporter ticks 我已记下; the server never stores it.
"""
from __future__ import annotations

import secrets

from flask import session

_SENT = "sent"        # tokens of forms already stored, newest last
_RECEIPT = "receipt"  # the code waiting to be noted: {"kind", "code", "reference"}
_KEEP = 8


def new_token() -> str:
    return secrets.token_urlsafe(16)


def already_sent(token: str | None) -> bool:
    return bool(token) and token in session.get(_SENT, [])


def remember_sent(token: str | None) -> None:
    if token:
        session[_SENT] = [*session.get(_SENT, []), token][-_KEEP:]


def keep_receipt(kind: str, code: str, reference: str = "") -> None:
    session[_RECEIPT] = {"kind": kind, "code": code, "reference": reference}


def waiting_receipt() -> dict | None:
    return session.get(_RECEIPT)


def forget_receipt() -> None:
    session.pop(_RECEIPT, None)
