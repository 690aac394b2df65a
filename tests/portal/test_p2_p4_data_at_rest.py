"""P2 and P4: after submissions, the database, uploads and logs hold no report text, contact
details, receipt code, client address or user agent."""
import io
import logging

from sqlalchemy import MetaData, select

from models import Attachment, Report

SECRET_TEXT = "宋某某院长在2023年9月收受某器械公司现金八十六万元用于设备采购"
PHONE = "13912345678"
ID_NUMBER = "11010519491231002X"
NAME = "欧阳举报人"
REPLY = "补充：交易地点在某茶楼二楼包间"
CLIENT_IP = "203.0.113.77"
USER_AGENT = "Mozilla/5.0 QingfengLeakCheck/9.9"
PDF = b"%PDF-1.4 ledger page with the words UNIQUE-EVIDENCE-MARKER"


def _variants(text: str) -> list[bytes]:
    return [text.encode("utf-8"), text.encode("utf-16-le"), text.encode("utf-16-be"),
            text.encode("unicode_escape")]


def _rows_as_bytes(engine) -> bytes:
    """Every value of every table, for a database that is not a file (PostgreSQL)."""
    meta = MetaData()
    meta.reflect(engine)
    chunks = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    chunks.append(value if isinstance(value, bytes) else str(value).encode())
    return b"\n".join(chunks)


def test_nothing_identifying_at_rest(client, engine, paths, caplog):
    caplog.set_level(logging.DEBUG)
    environ = {"REMOTE_ADDR": CLIENT_IP, "HTTP_USER_AGENT": USER_AGENT}
    receipts = []
    response = client.post("/report", data={
        "description": SECRET_TEXT, "subject_name": "宋某某", "contact_name": NAME,
        "contact_phone": PHONE, "contact_id_number": ID_NUMBER,
        "evidence": [(io.BytesIO(PDF), "账本第三页.pdf")]},
        content_type="multipart/form-data", environ_overrides=environ, follow_redirects=True)
    assert response.status_code == 200
    receipts.append(response.get_data(as_text=True).split("data-receipt>")[1].split("<")[0])
    api = client.post("/api/v1/reports", json={"description": SECRET_TEXT + "（电话登记）",
                                               "contact": {"name": NAME, "phone": PHONE}},
                      environ_overrides=environ)
    receipts.append(api.get_json()["receipt"])
    for receipt in receipts:
        assert client.post("/status/reply", data={"receipt": receipt, "body": REPLY},
                           environ_overrides=environ).status_code == 200
    client.post("/status", data={"receipt": "0000 1111 2222 3333 4444"}, environ_overrides=environ)

    blobs = {p: p.read_bytes() for p in paths.root.rglob("*")
             if p.is_file() and p.parent not in (paths.keys, paths.secrets)}
    blobs["<database rows>"] = _rows_as_bytes(engine)
    blobs["<log records>"] = "\n".join(r.getMessage() for r in caplog.records).encode()
    with engine.connect() as conn:  # the evidence is there, sealed, in the rows searched
        assert conn.execute(select(Attachment.box)).scalar_one().startswith(b"\x01")

    needles = {"report text": SECRET_TEXT[:12], "reply": REPLY[3:12], "name": NAME, "phone": PHONE,
               "id number": ID_NUMBER, "evidence": "UNIQUE-EVIDENCE-MARKER", "file name": "账本第三页",
               "ip": CLIENT_IP, "user agent": "QingfengLeakCheck"}
    for receipt in receipts:
        needles[f"receipt {receipt}"] = receipt
        needles[f"receipt digits {receipt}"] = receipt.replace(" ", "")
    for where, blob in blobs.items():
        for what, needle in needles.items():
            for variant in _variants(needle):
                assert variant not in blob, f"{what} found in {where}"
    with engine.connect() as conn:
        assert len(list(conn.execute(select(Report.id)))) == 2


def test_nothing_readable_after_triage_and_office_work(client, context, engine, paths):
    """The draft lead, blind index, ledger summary, progress notes and office messages are
    sealed or hashed too: the database still shows no name, unit, text or message."""
    from sqlalchemy import select as sql_select

    from models import Lead
    from models.base import utcnow
    from models.report import Report
    from models.session import make_sessionmaker
    from triage.services.audit import Actor
    from triage.services.leads import accept_lead, record_progress, send_message, transfer_lead

    text = "某县人民医院骨科主任欧阳某某收受器械公司回扣八十万元，在某茶楼交付。"
    receipt = client.post("/api/v1/reports", json={"description": text, "subject_name": "欧阳某某",
                                                   "subject_unit": "某县人民医院"}).get_json()["receipt"]
    officer = Actor("officer", "triage")
    with make_sessionmaker(engine).begin() as session:
        lead = session.scalars(sql_select(Lead)).one()
        accept_lead(session, lead, officer, [31], "纪委监委", ["卫健委"], "欧阳某某收受回扣线索摘要",
                    context.office_key.public_key(), "昌江")
        transfer = transfer_lead(session, lead, officer, utcnow())[0]
        record_progress(session, transfer, officer, None, "已约谈欧阳某某进展笔记", context.office_key.public_key())
        send_message(session, session.get(Report, lead.report_id), officer, "请补充欧阳某某的办公室位置留言")
    assert "请补充" in str(client.post("/api/v1/status", json={"receipt": receipt}).get_json())
    blob = _rows_as_bytes(engine) + b"".join(p.read_bytes() for p in paths.root.rglob("*")
                                             if p.is_file() and p.parent not in (paths.keys, paths.secrets))
    for needle in ("欧阳", "茶楼", "骨科主任", "某县人民医院", "线索摘要", "进展笔记", "办公室位置", "八十万"):
        for variant in _variants(needle):
            assert variant not in blob, needle
