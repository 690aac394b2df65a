"""Fuzzing every public form and the API bodies: whatever arrives, the answer is never a 5xx.

Form bodies are sent raw (url-encoded or multipart), so values can be bytes that are not UTF-8;
API bodies are any JSON value, nested or not, or bytes that are not JSON at all.
"""
import io
import json
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import submit_api

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
FORM = "application/x-www-form-urlencoded"

VALUE = st.one_of(
    st.text(max_size=120),
    st.binary(max_size=40),
    st.sampled_from(["1111 2222 3333 4444 5555", "１２３４５６７８９０１２３４５６７８９０", "0" * 20,
                     "²" * 20, "NaN", "sNaN", "-Infinity", "1e999999999", "9" * 5000, "\x00",
                     "\u202e" * 5, "<script>", "{{7*7}}", " " * 3000, "不清楚"]),
)
MAGIC = st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"%PDF-", b"ID3",
                         b"RIFF\x00\x00\x00\x00WEBP", b"\x00\x00\x00\x20ftypM4A ", b"GIF89a"])
UPLOAD = st.tuples(MAGIC, st.binary(max_size=300), st.text(max_size=60))
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
RAW_JSON = st.one_of(
    st.binary(max_size=200),
    st.integers(min_value=1, max_value=3000).map(lambda n: "[" * n),
    st.integers(min_value=1, max_value=3000).map(lambda n: '{"a":' * n),
    st.sampled_from(['{"description": 1e999999}', '{"receipt": NaN}', '{"description": "' + "9" * 5000,
                     "\ufeff{}", '{"description": "\\ud800 lone surrogate"}']),
)


def _fields(names: tuple[str, ...]):
    return st.dictionaries(st.sampled_from(names), VALUE, max_size=len(names))


def _post_form(client, path: str, fields: dict):
    return client.post(path, data=urlencode(fields), content_type=FORM)


def _uploads(files: list[tuple]) -> list[tuple]:
    return [(io.BytesIO(magic + body), name) for magic, body, name in files]


REPORT_FIELDS = ("description", "subject_name", "subject_unit", "subject_post", "area", "event_time",
                 "event_place", "amount", "contact_name", "contact_phone", "contact_id_number",
                 "contact_address", "subject_name_unknown", "website", "csrf_token")


@FUZZ
@given(fields=_fields(REPORT_FIELDS), files=st.lists(UPLOAD, max_size=3))
def test_report_form(client, fields, files):
    data = {k: (v.decode("latin-1") if isinstance(v, bytes) else v) for k, v in fields.items()}
    data["evidence"] = _uploads(files)
    response = client.post("/report", data=data, content_type="multipart/form-data")
    assert response.status_code < 500


@FUZZ
@given(fields=_fields(("receipt", "csrf_token")))
def test_status_lookup(client, fields):
    assert _post_form(client, "/status", fields).status_code < 500


@FUZZ
@given(fields=_fields(("receipt", "body")), right=st.booleans())
def test_reply(client, fields, right):
    if right:
        fields["receipt"] = _receipt(client)
    assert _post_form(client, "/status/reply", fields).status_code < 500


@FUZZ
@given(receipt=VALUE, right=st.booleans(), files=st.lists(UPLOAD, max_size=3))
def test_evidence(client, receipt, right, files):
    receipt = _receipt(client) if right else receipt
    if isinstance(receipt, bytes):
        receipt = receipt.decode("latin-1")
    response = client.post("/status/evidence", data={"receipt": receipt, "evidence": _uploads(files)},
                           content_type="multipart/form-data")
    assert response.status_code < 500


@FUZZ
@given(fields=_fields(("name", "unit", "post", "phone", "description", "amount_yuan", "goods")))
def test_disclosure(client, fields):
    assert _post_form(client, "/disclosure", fields).status_code < 500


@FUZZ
@given(body=st.one_of(JSON_VALUE, st.dictionaries(
    st.sampled_from(["description", "channel", "contact", "area", "receipt", "subject_name"]),
    JSON_VALUE, max_size=5)), raw=RAW_JSON, path=st.sampled_from(["/api/v1/reports", "/api/v1/status"]))
def test_api_bodies(client, body, raw, path):
    for data in (json.dumps(body), raw):
        response = client.post(path, data=data, content_type="application/json")
        assert response.status_code < 500, (path, response.status_code)
        assert response.is_json


def _receipt(client) -> str:
    """One real receipt per app, so the right-code branches are fuzzed too."""
    extensions = client.application.extensions
    if "fuzz_receipt" not in extensions:
        extensions["fuzz_receipt"] = submit_api(client).get_json()["receipt"]
    return extensions["fuzz_receipt"]
