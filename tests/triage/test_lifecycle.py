"""A report's whole life through the office, with the reporter's view following in public
words; office messages readable only with the receipt; the audit chain breaks when edited."""
import re

from sqlalchemy import select, text

from models import AuditEvent, Lead, Transfer
from tests.factories import submit_api
from triage.services.audit import verify

KICKBACK = "某县人民医院骨科主任张某某长期收受某器械公司回扣，每用一套人工关节拿八千元，去年收了五十多万元。"


def _status(portal_client, receipt):
    return portal_client.post("/api/v1/status", json={"receipt": receipt}).get_json()


def test_report_to_closure(client, context, login, db_session):
    receipt = submit_api(client, description=KICKBACK, contact={"name": "王五", "phone": "13800000000"}).get_json()["receipt"]
    officer = login("triage")
    queue = officer.get("/").get_data(as_text=True)
    assert "#1" in queue and "关键少数" in queue
    page = officer.get("/reports/1").get_data(as_text=True)
    assert "人工关节" in page and "王五" in page
    accepted = officer.post("/reports/1/accept", data={"categories": ["31", "22"], "agency": "纪委监委",
                                                       "co_agencies": ["卫健委"], "summary": "骨科主任收受器械回扣"})
    assert accepted.status_code == 302
    lead = db_session.scalars(select(Lead)).one()
    assert re.fullmatch(r"昌江-\d{4}-0001", lead.ledger_number)
    assert lead.confirmed_categories == [31, 22] and lead.agency == "纪委监委"
    assert _status(client, receipt)["status"] == "accepted"

    officer.post(f"/leads/{lead.id}/transfer")
    db_session.expire_all()
    transfers = db_session.scalars(select(Transfer).order_by(Transfer.id)).all()
    assert [(t.agency, t.role) for t in transfers] == [("纪委监委", "lead"), ("卫健委", "co")]
    assert all(t.handle_due > t.accept_due > t.sent_at for t in transfers)
    assert _status(client, receipt)["status"] == "transferred"

    outsider = login("liaison", "医保局")
    assert outsider.get(f"/leads/{lead.id}").status_code == 404
    assert lead.ledger_number not in outsider.get("/leads/").get_data(as_text=True)
    liaison = login("liaison", "纪委监委")
    assert lead.ledger_number in liaison.get("/leads/").get_data(as_text=True)
    assert "王五" not in liaison.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "王五" in officer.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert liaison.get("/reports/1").status_code == 403
    liaison.post(f"/leads/{lead.id}/acknowledge", data={"transfer_id": transfers[0].id})
    assert _status(client, receipt)["status"] == "in_progress"
    liaison.post(f"/leads/{lead.id}/progress", data={"transfer_id": transfers[0].id, "note": "已约谈当事人"})
    liaison.post(f"/leads/{lead.id}/outcome", data={"transfer_id": transfers[0].id, "disposal": "初步核实",
                                                    "result": "属实", "follow_ups": ["立案"], "discipline_form": "3"})
    co = login("liaison", "卫健委")
    co.post(f"/leads/{lead.id}/outcome", data={"transfer_id": transfers[1].id, "disposal": "予以了结"})
    db_session.expire_all()
    lead = db_session.get(Lead, lead.id)
    assert lead.state == "concluded" and lead.result == "属实" and lead.follow_ups == ["立案"]
    supervisor = login("supervisor")
    supervisor.post(f"/leads/{lead.id}/close", data={"reply": "经核查，您反映的问题基本属实，已依规处理。"})
    status = client.post("/status", data={"receipt": receipt}).get_data(as_text=True)
    assert "已办结" in status and "已依规处理" in status
    assert "初步核实" not in status and "约谈" not in status  # internal ways of disposal stay internal
    assert verify(db_session) == []


def test_office_messages_only_open_with_the_receipt(client, context, login, db_session):
    receipt = submit_api(client, description=KICKBACK).get_json()["receipt"]
    officer = login("triage")
    officer.post("/reports/1/message", data={"text": "请问是哪一年的事情？"})
    assert "请问是哪一年" in str(_status(client, receipt)["messages"])
    wrong = client.post("/api/v1/status", json={"receipt": "1111 2222 3333 4444 5555"})
    assert wrong.status_code == 404
    rows = db_session.execute(text("select body_box from messages")).all()
    assert all("哪一年".encode() not in bytes(r[0]) for r in rows)
    client.post("/status/reply", data={"receipt": receipt, "body": "是2023年的事"})
    assert "是2023年的事" in officer.get("/reports/1").get_data(as_text=True)


def test_opening_a_report_is_audited_and_the_chain_detects_edits(client, context, login, db_session):
    submit_api(client, description=KICKBACK)
    officer = login("triage")
    officer.get("/reports/1")
    events = db_session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert any(e.action == "open_report" and e.target == "report:1" and e.actor == "triage-x" for e in events)
    assert verify(db_session) == []
    db_session.execute(text("update audit_events set outcome = 'edited' where id = 2"))
    db_session.commit()
    problems = verify(db_session)
    assert problems and "event 2" in problems[0]


def test_rejection_reaches_the_reporter_with_reason_and_channel(client, context, login):
    receipt = submit_api(client, description="医院门口停车太难，停车费太贵了，希望管一管收费。").get_json()["receipt"]
    officer = login("triage")
    officer.post("/reports/1/reject", data={"reason": "停车收费不属于本平台受理范围", "channel": "12345 热线",
                                               "confirm": "1"})
    page = client.post("/status", data={"receipt": receipt}).get_data(as_text=True)
    assert "不予受理" in page and "停车收费不属于本平台受理范围" in page and "12345 热线" in page


def test_deadlines_page_with_a_fake_clock(client, context, login, db_session, monkeypatch):
    from datetime import timedelta

    import triage.views.leads as lead_views
    from models.base import utcnow

    submit_api(client, description=KICKBACK)
    officer = login("triage")
    officer.post("/reports/1/accept", data={"categories": ["31"], "agency": "卫健委", "summary": "回扣"})
    lead = db_session.scalars(select(Lead)).one()
    officer.post(f"/leads/{lead.id}/transfer")
    supervisor = login("supervisor")
    assert 'data-due-state="ok"' in supervisor.get("/leads/deadlines").get_data(as_text=True)
    later = utcnow() + timedelta(days=61)
    monkeypatch.setattr(lead_views, "utcnow", lambda: later)
    page = supervisor.get("/leads/deadlines").get_data(as_text=True)
    assert 'data-due-state="overdue"' in page and "已超期" in page
    supervisor.post(f"/leads/{lead.id}/supervise")
    db_session.expire_all()
    assert db_session.get(Lead, lead.id).supervised


def test_outcome_values_are_checked(client, context, login, db_session):
    submit_api(client, description=KICKBACK)
    officer = login("triage")
    officer.post("/reports/1/accept", data={"categories": ["31"], "agency": "卫健委", "summary": "回扣"})
    lead = db_session.scalars(select(Lead)).one()
    officer.post(f"/leads/{lead.id}/transfer")
    transfer = db_session.scalars(select(Transfer)).first()
    liaison = login("liaison", "卫健委")  # only the agency that handles it records an outcome
    page = liaison.post(f"/leads/{lead.id}/outcome", data={"transfer_id": transfer.id, "disposal": "初步核实",
                                                           "discipline_form": "7"}, follow_redirects=True)
    assert "四种形态的取值无效" in page.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Transfer, transfer.id).finished_at is None
