"""Statistics, exports, phone intake and the disclosure register, through the office app."""
import io
import re

import openpyxl
from sqlalchemy import select

from models import AuditEvent, Disclosure, Report
from triage.services.audit import verify


def test_phone_intake_flows_like_a_web_report_and_can_give_a_receipt(login, client, db_session):
    officer = login("triage")
    page = officer.post("/intake/", data={"channel": "电话", "description": "来电反映某卫生院院长私设小金库，年底私分二十万元。",
                                          "subject_unit": "某卫生院", "give_receipt": "1"}).get_data(as_text=True)
    receipt = re.search(r"data-receipt>([0-9 ]+)<", page).group(1)
    report = db_session.scalars(select(Report)).one()
    assert report.channel == "电话" and report.triage_state in ("awaiting", "done")
    assert client.post("/api/v1/status", json={"receipt": receipt}).get_json()["status"] == "submitted"
    bad = officer.post("/intake/", data={"channel": "网络", "description": "这是一段足够长的举报内容文字"})
    assert bad.status_code == 400


def test_statistics_page_draws_svg_without_script(login, client):
    client.post("/api/v1/reports", json={"description": "某药店用医保卡刷生活用品，串换药品结算。"})
    page = login("supervisor").get("/stats/").get_data(as_text=True)
    assert page.count("<svg") >= 6 and "<script" not in page and 'data-total>1<' in page
    assert "件数每分钟汇总一次" in page  # how old the counts may be (the aggregate's refresh)


def test_export_downloads_and_is_audited(login, db_session):
    supervisor = login("supervisor")
    response = supervisor.get("/exports/download?kind=ledger&format=xlsx&from=2020-01-01&to=2030-12-31")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]][:7] == ["序号", "姓名", "单位职务", "线索摘要", "线索来源", "受理时间", "处置方式及结果"]
    csv = supervisor.get("/exports/download?kind=disclosures&format=csv&from=2020-01-01&to=2030-12-31")
    assert csv.data.startswith(b"\xef\xbb\xbf")
    assert supervisor.get("/exports/download?kind=secrets&format=xlsx").status_code == 400
    exports = [e for e in db_session.scalars(select(AuditEvent)) if e.action == "export"]
    assert len(exports) == 2 and verify(db_session) == []


def test_disclosure_reconciled_against_the_transfer_remark(login, client, db_session):
    page = client.post("/disclosure", data={"name": "李某", "unit": "某医院", "description": "收受患者家属红包两千元，现主动说明并上交。",
                                            "amount_yuan": "2000"}, follow_redirects=True).get_data(as_text=True)
    reference = re.search(r"data-reference>([0-9A-Z]+)<", page).group(1)
    officer = login("supervisor")  # disclosures are the supervisors'
    register = officer.get("/disclosures/").get_data(as_text=True)
    assert reference in register and "李某" in register
    officer.post("/disclosures/reconcile", data={"remark": f"医药整治-{reference}", "amount": "1500"})
    assert db_session.scalars(select(Disclosure)).one().status == "submitted"
    officer.post("/disclosures/reconcile", data={"remark": f"医药整治 {reference.lower()} 李某", "amount": "2000.00"})
    db_session.expire_all()
    assert db_session.scalars(select(Disclosure)).one().status == "reconciled"


def test_the_queue_shows_person_unit_and_excerpt_and_audits_who_saw_them(login, client, db_session):
    long_text = "某县人民医院药剂科主任收受医药代表回扣，按处方量每月结算，" * 4
    client.post("/api/v1/reports", json={"description": long_text, "subject_name": "刘某",
                                         "subject_unit": "某县人民医院"})
    page = login("triage", username="clerk").get("/").get_data(as_text=True)
    assert "刘某" in page and "某县人民医院" in page
    assert long_text[:60] + "…" in page and long_text not in page
    seen = [e for e in db_session.scalars(select(AuditEvent)) if e.action == "view_queue"]
    assert [(e.actor, e.target, e.detail) for e in seen] == [("clerk", "queue:page 1", "reports:1")]


def test_a_damaged_box_does_not_take_the_queue_down(login, client, db_session):
    client.post("/api/v1/reports", json={"description": "某医院院长收受设备供应商回扣五十万元。"})
    report = db_session.scalars(select(Report)).one()
    report.content_box = b"\x00damaged"
    db_session.commit()
    page = login("triage").get("/")
    assert page.status_code == 200 and "内容无法解密" in page.get_data(as_text=True)


def test_a_full_queue_page_is_audited_on_postgresql_too(login, client, db_session):
    """50 ids do not fit the audit target's 80 characters: they go into the detail."""
    for n in range(51):
        client.post("/api/v1/reports", json={"description": f"某医院第{n}号举报：科室主任收受回扣，金额较大。"})
    assert login("triage", username="clerk").get("/").status_code == 200
    seen = [e for e in db_session.scalars(select(AuditEvent)) if e.action == "view_queue"]
    assert len(seen) == 1 and len(seen[0].detail.split(",")) == 50
