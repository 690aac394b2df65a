"""Back-office blueprints, one module each."""
from __future__ import annotations

from flask import abort, current_app


def office_key():  # type: ignore[no-untyped-def]
    """The office private key; 503 when the office was started without its passphrase."""
    key = current_app.extensions["qingfeng_office_key"]
    if key is None:
        abort(503)
    return key
