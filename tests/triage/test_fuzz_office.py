"""Fuzzing the office's forms that take free input: whatever staff (or a stolen session) send, the
answer is never a 5xx. Bodies are sent raw, so values can be bytes that are not UTF-8."""
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from models import Disclosure, Lead, Transfer
from tests.factories import submit_api

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
FORM = "application/x-www-form-urlencoded"
KICKBACK = "某县人民医院骨科主任张某某长期收受某器械公司回扣，每用一套人工关节拿八千元，去年收了五十多万元。"

VALUE = st.one_of(
    st.text(max_size=80),
    st.binary(max_size=30),
    st.sampled_from(["1", "32", "0", "33", "-1", "²", "٣", "1" * 400, "NaN", "sNaN", "Infinity",
                     "-Infinity", "1e999999999", "1E-999999999", "9" * 5000, "纪委监委", "卫健委",
                     "网络", "昌江-2025-0001", "//evil.example/", "/leads/", "\x00", "\u202e",
                     " ", "", "初步核实", "属实", "立案"]),
)


def _fields(names: tuple[str, ...], lists: tuple[str, ...] = ()):
    """Form pairs: each name at most once, except `lists`, which may repeat."""
    single = st.dictionaries(st.sampled_from(names), VALUE, max_size=len(names))
    repeated = st.lists(st.tuples(st.sampled_from(lists), VALUE), max_size=4) if lists else st.just([])
    return st.tuples(single, repeated).map(lambda parts: list(parts[0].items()) + parts[1])


def _post(client, path: str, pairs: list[tuple]):
    return client.post(path, data=urlencode(pairs), content_type=FORM)


@pytest.fixture
def officer(login):
    """A logged-in supervisor (hypothesis runs every example of a test with the same one)."""
    return login("supervisor")


@pytest.fixture
def office(client, context, login, db_session):
    """A triage officer, a draft lead (report 1) and a transferred one (report 2)."""
    for _ in range(2):
        assert submit_api(client, description=KICKBACK).status_code == 201
    officer = login("supervisor")
    officer.post("/reports/2/accept", data={"categories": ["31"], "agency": "纪委监委",
                                            "co_agencies": ["卫健委"], "summary": "骨科主任收受回扣"})
    lead = db_session.scalars(select(Lead).where(Lead.report_id == 2)).one()
    officer.post(f"/leads/{lead.id}/transfer")
    transfers = db_session.scalars(select(Transfer).where(Transfer.lead_id == lead.id)).all()
    assert transfers, "the transferred lead the fuzzing needs was not made"
    return officer, lead.id, [str(t.id) for t in transfers]


@FUZZ
@given(pairs=_fields(("username", "password", "csrf_token")))
def test_login(triage_app, pairs):
    assert _post(triage_app.test_client(), "/login", pairs).status_code < 500


@FUZZ
@given(pairs=_fields(("channel", "description", "subject_name", "subject_unit", "subject_post",
                      "area", "event_time", "event_place", "amount", "contact_name",
                      "contact_phone", "contact_id_number", "contact_address", "give_receipt")))
def test_intake(officer, pairs):
    assert _post(officer, "/intake/", pairs).status_code < 500


@FUZZ
@given(action=st.sampled_from(["accept", "reject", "merge", "tags", "message"]),
       pairs=_fields(("agency", "summary", "reason", "channel", "ledger_number", "tags", "text", "back"),
                     ("categories", "co_agencies")))
def test_report_decisions(office, action, pairs):
    officer, _, _ = office
    assert _post(officer, f"/reports/1/{action}", pairs).status_code < 500


@FUZZ
@given(action=st.sampled_from(["progress", "extend", "outcome", "close"]),
       real_transfer=st.booleans(),
       pairs=_fields(("note", "days", "reason", "disposal", "result", "unit_type", "cadre_rank",
                      "discipline_form", "admin_penalty", "publicised", "rules_improved", "reply",
                      "transfer_id"), ("follow_ups",)))
def test_lead_steps(office, action, real_transfer, pairs):
    officer, lead_id, transfers = office
    if real_transfer:
        pairs = [p for p in pairs if p[0] != "transfer_id"] + [("transfer_id", transfers[0])]
    assert _post(officer, f"/leads/{lead_id}/{action}", pairs).status_code < 500


@FUZZ
@given(remark=VALUE, amount=VALUE, real_reference=st.booleans())
def test_disclosure_reconcile(client, officer, db_session, remark, amount, real_reference):
    if real_reference:
        remark = f"医药整治-{_disclosure(client, db_session)}"
    response = _post(officer, "/disclosures/reconcile", [("remark", remark), ("amount", amount)])
    assert response.status_code < 500


@pytest.mark.parametrize("amount", ["sNaN", "NaN", "-nan", "Infinity", "-Inf", "1e999999999",
                                    "1E-999999999", "2e+9999"])
def test_special_amounts_are_refused_with_a_400(client, login, db_session, amount):
    officer = login("supervisor")
    reference = _disclosure(client, db_session)
    response = _post(officer, "/disclosures/reconcile",
                     [("remark", f"医药整治-{reference}"), ("amount", amount)])
    assert response.status_code == 400
    assert "请求无效" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.scalars(select(Disclosure)).one().status == "submitted"


def test_ordinary_amounts_still_reconcile(client, login, db_session):
    officer = login("supervisor")
    reference = _disclosure(client, db_session)
    for amount, status in (("1,500", "submitted"), ("", "submitted"), ("2,000.00", "reconciled")):
        response = _post(officer, "/disclosures/reconcile",
                         [("remark", f"医药整治-{reference}"), ("amount", amount)])
        assert response.status_code == 302
        db_session.expire_all()
        assert db_session.scalars(select(Disclosure)).one().status == status


def _disclosure(client, db_session) -> str:
    existing = db_session.scalars(select(Disclosure)).first()
    if existing is None:
        client.post("/disclosure", data={"name": "李某", "unit": "某医院", "amount_yuan": "2000",
                                         "description": "收受患者家属红包两千元，现主动说明并上交。"})
        existing = db_session.scalars(select(Disclosure)).one()
    return existing.reference
