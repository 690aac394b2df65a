"""The office downloads evidence under a name and type taken from the content itself, as an
attachment (inline only for re-encoded images), never sniffed by the browser; rows stored before
evidence moved into the database still open from the uploads folder."""
import io
from urllib.parse import quote

from PIL import Image
from sqlalchemy import select

from models import Attachment, Report
from models.shared import sealed
from tests.factories import submit_form
from tests.triage.conftest import login, make_staff, office_settings, triage_app  # noqa: F401


def _download(officer, report_id: int, attachment_id: int, **args):
    return officer.get(f"/reports/{report_id}/attachments/{attachment_id}", query_string=args)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (1, 2, 3)).save(out, "PNG")
    return out.getvalue()


def test_a_pdf_sent_as_html_downloads_as_a_pdf(client, login, db_session):  # noqa: F811
    _, receipt = submit_form(client, evidence=[(io.BytesIO(b"%PDF-1.4 <script>x</script>"), "证据.html")])
    assert receipt
    report = db_session.scalars(select(Report)).one()
    response = _download(login("triage"), report.id, report.attachments[0].id, inline=1)
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and disposition.endswith(quote("证据.pdf"))
    assert ".html" not in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_reencoded_image_may_be_shown_inline(client, login, db_session):  # noqa: F811
    submit_form(client, evidence=[(io.BytesIO(_png()), "photo.exe")])
    report = db_session.scalars(select(Report)).one()
    officer = login("triage")
    shown = _download(officer, report.id, report.attachments[0].id, inline=1)
    assert shown.mimetype == "image/png" and shown.headers["Content-Disposition"].startswith("inline;")
    assert shown.headers["Content-Disposition"].endswith("photo.png")
    saved = _download(officer, report.id, report.attachments[0].id)
    assert saved.headers["Content-Disposition"].startswith("attachment;")


def test_a_row_from_before_opens_from_uploads_under_its_detected_type(client, login, db_session,  # noqa: F811
                                                                     office_key, paths):
    submit_form(client)
    report = db_session.scalars(select(Report)).one()
    name = "b" * 32
    key = office_key.public_key()
    (paths.uploads / name).write_bytes(sealed.ATTACHMENT.seal(key, b"%PDF-1.7 old", report.uid, name))
    meta = {"filename": "x\u202egpj.exe", "content_type": "text/html", "stripped": True}
    report.attachments.append(Attachment(
        storage_name=name, size=1,
        meta_box=sealed.ATTACHMENT_META.seal(key, meta, report.uid, name)))
    db_session.commit()
    response = _download(login("triage"), report.id, report.attachments[0].id, inline=1)
    assert response.status_code == 200 and response.data == b"%PDF-1.7 old"
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and disposition.endswith("xgpj.pdf")
    assert "%E2%80%AE" not in disposition and "\u202e" not in disposition
