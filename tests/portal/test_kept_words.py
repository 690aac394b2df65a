"""Nothing a reporter typed or was given is lost: the receipt survives a reload (and a reload
files nothing twice), replies are stored once, and a refusal or an outage shows the form again
with the words in it (issue 11.1–11.2, issue 10.4 and 10.7)."""
import re

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from models import Message, Report
from tests.factories import RECEIPT

TYPED = "心内科主任收受支架企业回扣，每台手术按支架数量提成，去年已收数十万元。"


def _count(db_session, model) -> int:
    db_session.expire_all()
    return db_session.scalar(select(func.count(model.id)))


def _post_report(client, once="token-one", **extra):
    return client.post("/report", data={"description": TYPED, "once": once, **extra},
                       content_type="multipart/form-data")


def test_the_receipt_is_shown_by_a_get_and_a_reload_shows_the_same_code(client, db_session):
    response = _post_report(client)
    assert response.status_code == 303 and response.headers["Location"].endswith("/receipt")
    first = RECEIPT.search(client.get("/receipt").get_data(as_text=True)).group(1)
    again = client.get("/receipt")
    assert RECEIPT.search(again.get_data(as_text=True)).group(1) == first
    assert again.headers["Cache-Control"] == "no-store"
    assert _count(db_session, Report) == 1


def test_resending_the_same_form_files_nothing_twice(client, db_session):
    _post_report(client)
    code = RECEIPT.search(client.get("/receipt").get_data(as_text=True)).group(1)
    resent = _post_report(client)  # back and resend, or a second tap
    assert resent.status_code == 303
    assert RECEIPT.search(client.get("/receipt").get_data(as_text=True)).group(1) == code
    assert _count(db_session, Report) == 1
    _post_report(client, once="token-two")  # a new form is a new report
    assert _count(db_session, Report) == 2


def test_once_noted_the_code_is_gone_from_the_browser(client):
    _post_report(client)
    assert client.post("/receipt/noted", data={"noted": "y"}).status_code == 302
    gone = client.get("/receipt")
    assert gone.status_code == 404 and not RECEIPT.search(gone.get_data(as_text=True))
    assert "回执码不再显示" in gone.get_data(as_text=True)


def test_not_ticking_noted_shows_the_code_again(client):
    _post_report(client)
    code = RECEIPT.search(client.get("/receipt").get_data(as_text=True)).group(1)
    page = client.post("/receipt/noted", data={}).get_data(as_text=True)
    assert code in page


def test_a_reply_resent_by_a_reload_is_stored_once(client, db_session):
    _post_report(client)
    code = RECEIPT.search(client.get("/receipt").get_data(as_text=True)).group(1)
    data = {"receipt": code, "body": "补充：收款账户是他妻子的。", "once": "reply-one"}
    for _ in range(2):
        assert "已发送" in client.post("/status/reply", data=data).get_data(as_text=True)
    assert _count(db_session, Message) == 1


def test_the_daily_limit_keeps_the_words_and_offers_the_phone(make_portal, db_session):
    client = make_portal(submissions_per_day="1/day").test_client()
    _post_report(client)
    refused = _post_report(client, once="token-two")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert TYPED in page and "明天" in page and "网络地址" in page
    assert re.search(r"举报电话 [0-9-]+", page)
    assert "每台设备" not in page
    assert _count(db_session, Report) == 1


def test_a_database_outage_answers_503_with_the_words_kept(client, monkeypatch, db_session):
    def refuse(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr("portal.views.report.submit_report", refuse)
    response = _post_report(client)
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "60"
    assert TYPED in page and "尚未提交" in page


def test_a_failing_hand_off_still_shows_the_receipt(make_portal, db_session):
    app = make_portal()

    def broken(_report_id):
        raise RuntimeError("queue bug")

    app.extensions["qingfeng_handoff"] = broken
    client = app.test_client()
    assert _post_report(client).status_code == 303
    assert RECEIPT.search(client.get("/receipt").get_data(as_text=True))
    assert _count(db_session, Report) == 1


def test_intake_goes_on_when_the_rate_limit_store_is_unreachable(make_portal, db_session):
    client = make_portal(ratelimit_storage="redis://127.0.0.1:9/0").test_client()  # nothing listens
    for once in ("a", "b"):
        assert _post_report(client, once=once).status_code == 303
    assert _count(db_session, Report) == 2


def test_the_empty_form_may_be_kept_for_going_back_but_not_a_filled_one(client):
    assert client.get("/report").headers["Cache-Control"] == "private, no-cache"
    assert client.get("/disclosure").headers["Cache-Control"] == "private, no-cache"
    refused = client.post("/report", data={"description": "短"})
    assert refused.status_code == 400 and refused.headers["Cache-Control"] == "no-store"


def test_a_finished_report_explains_its_status_and_takes_no_more_replies(client, db_session):
    _post_report(client)
    code = RECEIPT.search(client.get("/receipt").get_data(as_text=True)).group(1)
    shown = client.post("/status", data={"receipt": code}).get_data(as_text=True)
    assert "一般在 15 个工作日内决定是否受理" in shown and 'action="/status/reply"' in shown
    report = db_session.scalars(select(Report)).one()
    report.status = "rejected"
    db_session.commit()
    shown = client.post("/status", data={"receipt": code}).get_data(as_text=True)
    assert "此事项已结束" in shown and 'action="/status/reply"' not in shown
    refused = client.post("/status/reply", data={"receipt": code, "body": "还有补充", "once": "late"})
    assert refused.status_code == 409
    assert _count(db_session, Message) == 0
