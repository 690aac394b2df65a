"""The web report form: sealed storage, receipt once, errors in Chinese that keep the input."""
import io
import json

from PIL import Image
from sqlalchemy import func, select

from models import Attachment, Receipt, Report
from models.shared.sealing import open_box, open_json
from tests.factories import SAMPLE_TEXT, submit_form


def test_home_shows_areas_channels_and_notice(client):
    page = client.get("/").get_data(as_text=True)
    for expected in ("行政管理部门以权寻租", "医务人员违反", "0798-8335305", "区卫健委医政医管股",
                     "cjqwjw@163.com", "景德镇市财政局", "中国农业银行", "14-323101040000305", "医药整治",
                     "匿名", "诬告"):
        assert expected in page
    notice = client.get("/notice").get_data(as_text=True)
    assert "实名举报优先" in notice and "奖励" in notice and "追究" in notice


def test_report_is_sealed_and_receipt_shown_once(client, db_session, office_key):
    response, receipt = submit_form(
        client, subject_name="王某", subject_unit_unknown="y", subject_post="主任", area="F",
        amount="三千元", contact_name="李四", contact_phone="13800138000")
    assert response.status_code == 200 and receipt
    assert "我已记下" in response.get_data(as_text=True)
    report = db_session.scalars(select(Report)).one()
    assert report.channel == "网络" and report.status == "submitted" and report.is_real_name
    assert report.received_at.minute == 0 and report.received_at.second == 0
    content = open_json(office_key, report.content_box, "report", report.uid)
    assert content["description"] == SAMPLE_TEXT
    assert (content["subject_name"], content["subject_unit"], content["subject_post"]) == ("王某", "不清楚", "主任")
    assert content["area"] == "F" and content["amount"] == "三千元"
    contact = open_json(office_key, report.contact_box, "contact", report.uid)
    assert contact["name"] == "李四" and contact["phone"] == "13800138000"
    assert db_session.scalar(select(func.count(Receipt.id))) == 1
    assert report.triage_state == "awaiting"  # handed to triage after the commit


def test_anonymous_report_has_no_contact_box(client, db_session):
    _, receipt = submit_form(client)
    report = db_session.scalars(select(Report)).one()
    assert receipt and report.contact_box is None and not report.is_real_name


def test_errors_are_chinese_and_keep_what_was_typed(client, db_session):
    response, receipt = submit_form(client, description="太短", subject_name="赵某某",
                                    contact_phone="13800138000", contact_id_number="110101199003071234")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and receipt is None
    assert "问题描述应为 10–5000 个字" in page
    assert "身份证号不正确" in page
    assert "实名举报请填写姓名" in page
    assert 'value="赵某某"' in page and "太短" in page
    assert db_session.scalar(select(func.count(Report.id))) == 0


def test_valid_id_number_is_accepted(client, db_session, office_key):
    _, receipt = submit_form(client, contact_name="王五", contact_phone="0798-8335305",
                             contact_id_number="11010519491231002X")
    assert receipt
    report = db_session.scalars(select(Report)).one()
    assert open_json(office_key, report.contact_box, "contact", report.uid)["id_number"] == "11010519491231002X"


def test_honeypot_stores_nothing(client, db_session):
    response, receipt = submit_form(client, website="http://spam.example")
    assert response.status_code == 400 and receipt is None
    assert db_session.scalar(select(func.count(Report.id))) == 0


def _photo_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_photo_metadata_is_stripped_and_file_sealed(client, db_session, office_key, paths):
    photo = _photo_with_gps()
    assert b"SecretCameraMaker" in photo
    response, receipt = submit_form(client, evidence=[(io.BytesIO(photo), "IMG_0001.jpg"),
                                                      (io.BytesIO(b"%PDF-1.4 minimal"), "账本.pdf")])
    assert response.status_code == 200 and receipt
    report = db_session.scalars(select(Report)).one()
    assert len(report.attachments) == 2
    first = report.attachments[0]
    assert list(paths.uploads.iterdir()) == []  # sealed into the row, not written to a file
    stored = first.box
    assert b"SecretCameraMaker" not in stored and b"JFIF" not in stored
    clear = open_box(office_key, stored, "attachment", f"{report.uid}/{first.storage_name}")
    assert b"SecretCameraMaker" not in clear
    with Image.open(io.BytesIO(clear)) as image:
        assert image.size == (64, 48) and not image.getexif()
    meta = json.loads(open_box(office_key, first.meta_box, "attachment-meta", f"{report.uid}/{first.storage_name}"))
    assert meta == {"filename": "IMG_0001.jpg", "content_type": "image/jpeg", "stripped": True}
    second = report.attachments[1]
    assert json.loads(open_box(office_key, second.meta_box, "attachment-meta",
                               f"{report.uid}/{second.storage_name}"))["filename"] == "账本.pdf"


def test_bad_files_are_refused_with_reasons_and_nothing_is_stored(client, db_session, paths):
    response, receipt = submit_form(client, evidence=[
        (io.BytesIO(b"MZ\x90\x00 windows program"), "invoice.exe"),
        (io.BytesIO(b"\xff\xd8\xff\xe0 not really a jpeg"), "broken.jpg"),
        (io.BytesIO(b""), "empty.png"),
    ])
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and receipt is None
    assert "invoice.exe”的类型不支持" in page and "broken.jpg”已损坏" in page and "empty.png”是空文件" in page
    assert db_session.scalar(select(func.count(Attachment.id))) == 0
    assert list(paths.uploads.iterdir()) == []


def test_too_many_files(client, db_session):
    files = [(io.BytesIO(b"%PDF-1.4 x"), f"{i}.pdf") for i in range(6)]
    response, receipt = submit_form(client, evidence=files)
    assert response.status_code == 400 and "证据文件最多 5 个" in response.get_data(as_text=True)


def test_oversize_upload_gets_a_chinese_413(make_portal):
    client = make_portal(max_attachment_bytes=1000, max_attachments=1).test_client()
    big = io.BytesIO(b"%PDF-1.4 " + b"0" * 2_000_000)
    response, receipt = submit_form(client, evidence=[(big, "big.pdf")])
    assert response.status_code == 413 and "10 MB" in response.get_data(as_text=True)


def test_a_file_over_the_per_file_limit_is_refused(make_portal, db_session):
    client = make_portal(max_attachment_bytes=5000).test_client()
    response, _ = submit_form(client, evidence=[(io.BytesIO(b"%PDF-1.4 " + b"0" * 6000), "大文件.pdf")])
    assert response.status_code == 400 and "大文件.pdf”超过" in response.get_data(as_text=True)


def test_receipt_acknowledgement(client):
    assert client.post("/receipt/noted", data={}).status_code == 400
    response = client.post("/receipt/noted", data={"noted": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/thanks")


def test_security_headers_and_no_third_party_references(client):
    for path in ("/", "/report", "/status", "/disclosure", "/notice"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        assert response.headers["Referrer-Policy"] == "no-referrer"
        # The empty forms may be kept for going back (issue 11.1); nothing else is kept.
        blank_form = path in ("/report", "/disclosure")
        assert response.headers["Cache-Control"] == ("private, no-cache" if blank_form else "no-store")
        page = response.get_data(as_text=True)
        assert "<script" not in page
        assert "http://" not in page and "https://" not in page
