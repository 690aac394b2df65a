"""Test data builders: plain functions, as few assumptions as possible."""
from __future__ import annotations

import re

from flask.testing import FlaskClient

RECEIPT = re.compile(r'data-receipt>([0-9 ]+)<')

SAMPLE_TEXT = "骨科王主任收红包，不给就不安排手术，病友都知道，去年十月我父亲住院时给了三千元。"


def submit_form(client: FlaskClient, **fields: object):
    """POST the web report form; returns (response, receipt or None)."""
    data = {"description": SAMPLE_TEXT}
    data.update(fields)
    response = client.post("/report", data=data, content_type="multipart/form-data")
    if response.status_code == 303:  # stored: the receipt is shown by the GET it redirects to
        response = client.get(response.headers["Location"])
    match = RECEIPT.search(response.get_data(as_text=True))
    return response, (match.group(1) if match else None)


def submit_api(client: FlaskClient, **fields: object):
    """POST the JSON API; returns the response."""
    body = {"description": SAMPLE_TEXT}
    body.update(fields)
    return client.post("/api/v1/reports", json=body)
