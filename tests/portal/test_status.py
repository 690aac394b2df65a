"""Status by receipt: right code shows status and office messages; wrong code is refused,
costs the same work, and is rate limited."""
from sqlalchemy import select

import models.shared.receipt
import models.shared.sealed
import portal.services.status as status_service
from models import Message, Report
from models.shared.sealing import open_box, public_key_from_bytes, seal
from tests.factories import submit_api, submit_form


def _office_message(db_session, report: Report, text: str) -> None:
    message = Message(sender="office", body_box=b"")
    report.messages.append(message)
    db_session.flush()
    key = public_key_from_bytes(report.receipt.reporter_key)
    message.body_box = seal(key, text.encode(), "office-message", f"{report.uid}/{message.id}")
    db_session.commit()


def test_right_code_shows_status_and_office_messages(client, db_session):
    _, receipt = submit_form(client)
    report = db_session.scalars(select(Report)).one()
    _office_message(db_session, report, "请问具体是哪一天？")
    response = client.post("/status", data={"receipt": receipt.replace(" ", "")})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-status="submitted"' in page and "已提交" in page
    assert "请问具体是哪一天？" in page


def test_wrong_and_malformed_codes_are_refused_in_chinese(client):
    submit_form(client)
    response = client.post("/status", data={"receipt": "1111 2222 3333 4444 5555"})
    assert response.status_code == 404 and "未找到该回执码" in response.get_data(as_text=True)
    response = client.post("/status", data={"receipt": "12345"})
    assert response.status_code == 404 and "20 位数字" in response.get_data(as_text=True)


def test_reply_reaches_the_office_and_the_reporter_sees_it(client, db_session, office_key):
    _, receipt = submit_form(client)
    response = client.post("/status/reply", data={"receipt": receipt, "body": "时间是2023年10月12日上午"})
    assert response.status_code == 200 and "时间是2023年10月12日上午" in response.get_data(as_text=True)
    report = db_session.scalars(select(Report)).one()
    message = report.messages[0]
    assert message.sender == "reporter"
    assert open_box(office_key, message.body_box, "reporter-message", report.uid).decode() == "时间是2023年10月12日上午"
    # a wrong code cannot post
    response = client.post("/status/reply", data={"receipt": "1111 2222 3333 4444 5555", "body": "冒充"})
    assert response.status_code == 404


def test_evidence_can_be_added_later(client, db_session):
    import io

    _, receipt = submit_form(client)
    response = client.post("/status/evidence", data={"receipt": receipt, "evidence": [(io.BytesIO(b"%PDF-1.4 a"), "补充.pdf")]},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and "已补充 1 个证据文件" in response.get_data(as_text=True)
    assert len(db_session.scalars(select(Report)).one().attachments) == 1


def test_wrong_and_right_codes_do_the_same_work(client, monkeypatch):
    """One scrypt and one box opening either way: the timing tells nothing."""
    _, receipt = submit_form(client)
    calls = {"kdf": 0, "open": 0}
    real_kdf, real_open = models.shared.receipt.derive_receipt_keys, models.shared.sealed.open_box

    def counting_kdf(*args, **kwargs):
        calls["kdf"] += 1
        return real_kdf(*args, **kwargs)

    def counting_open(*args, **kwargs):
        calls["open"] += 1
        return real_open(*args, **kwargs)

    monkeypatch.setattr(status_service, "derive_receipt_keys", counting_kdf)
    monkeypatch.setattr(models.shared.sealed, "open_box", counting_open)
    assert client.post("/api/v1/status", json={"receipt": "9999 8888 7777 6666 5555"}).status_code == 404
    wrong = dict(calls)
    calls.update(kdf=0, open=0)
    assert client.post("/api/v1/status", json={"receipt": receipt}).status_code == 200
    assert wrong == {"kdf": 1, "open": 1}
    assert calls["kdf"] == 1 and calls["open"] <= 1  # no messages yet: nothing more to open


def test_lookups_are_rate_limited_per_client(make_portal):
    client = make_portal(lookups_per_client="3 per minute").test_client()
    codes = [client.post("/status", data={"receipt": "1111 2222 3333 4444 5555"}).status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]
    assert "操作过于频繁" in client.post("/status", data={"receipt": "1"}).get_data(as_text=True)
    # another client is not affected by the first one's limit
    other = client.post("/status", data={"receipt": "1111 2222 3333 4444 5555"},
                        environ_overrides={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 404


def test_lookups_have_a_global_ceiling(make_portal):
    client = make_portal(lookups_global="4 per minute").test_client()
    codes = [
        client.post("/api/v1/status", json={"receipt": "1111 2222 3333 4444 5555"},
                    environ_overrides={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code
        for i in range(6)
    ]
    assert codes[:4] == [404] * 4 and codes[4:] == [429, 429]


def test_submissions_are_rate_limited(make_portal):
    client = make_portal(submissions_per_day="2 per day").test_client()
    assert [submit_form(client)[0].status_code for _ in range(3)] == [200, 200, 429]


def test_api_status_messages(client, db_session):
    receipt = submit_api(client).get_json()["receipt"]
    report = db_session.scalars(select(Report)).one()
    _office_message(db_session, report, "已收到，感谢。")
    body = client.post("/api/v1/status", json={"receipt": receipt}).get_json()
    assert body["status"] == "submitted" and body["status_label"] == "已提交"
    assert [(m["from"], m["body"]) for m in body["messages"]] == [("office", "已收到，感谢。")]


def test_disclosure_receipt_reads_its_status_but_cannot_post(client):
    import re

    page = client.post("/disclosure", data={"name": "李某", "unit": "某医院", "phone": "13800000000",
                                            "description": "收受患者家属红包两千元，现主动说明并上交。",
                                            "amount_yuan": "2,000"}, follow_redirects=True).get_data(as_text=True)
    receipt = re.search(r"data-receipt>([0-9 ]+)<", page).group(1)
    reference = re.search(r"data-reference>([0-9A-Z]+)<", page).group(1)
    assert f"医药整治-{reference}" in page and "14-323101040000305" in page
    shown = client.post("/status", data={"receipt": receipt}).get_data(as_text=True)
    assert reference in shown and "已提交" in shown
    assert client.post("/status/reply", data={"receipt": receipt, "body": "补充说明"}).status_code == 404
    assert client.post("/api/v1/status", json={"receipt": receipt}).status_code == 404


WRONG = "1111 2222 3333 4444 5555"


def test_one_lookup_budget_per_client_across_every_lookup_endpoint(make_portal):
    client = make_portal(lookups_per_client="3 per minute").test_client()
    codes = [
        client.post("/status", data={"receipt": WRONG}).status_code,
        client.post("/status/reply", data={"receipt": WRONG, "body": "补充说明一下"}).status_code,
        client.post("/api/v1/status", json={"receipt": WRONG}).status_code,
        client.post("/status/evidence", data={"receipt": WRONG}).status_code,
    ]
    assert codes == [404, 404, 404, 429]


def test_the_global_budget_counts_wrong_codes_only(make_portal):
    client = make_portal(lookups_global="2 per minute").test_client()
    receipt = submit_api(client).get_json()["receipt"]
    for _ in range(5):  # right codes spend nothing
        assert client.post("/api/v1/status", json={"receipt": receipt}).status_code == 200
    assert client.post("/status", data={"receipt": WRONG}).status_code == 404


def test_a_right_code_is_answered_while_guessers_have_spent_the_global_budget(make_portal, monkeypatch):
    client = make_portal(lookups_global="3 per minute").test_client()
    receipt = submit_api(client).get_json()["receipt"]
    guessers = [{"REMOTE_ADDR": f"10.0.0.{i}"} for i in range(5)]
    codes = [client.post("/api/v1/status", json={"receipt": WRONG}, environ_overrides=who).status_code
             for who in guessers]
    assert codes == [404, 404, 404, 429, 429]
    refused = client.post("/status", data={"receipt": WRONG})
    assert refused.status_code == 429 and "回执码" in refused.get_data(as_text=True)

    calls = {"kdf": 0}
    real_kdf = models.shared.receipt.derive_receipt_keys

    def counting_kdf(*args, **kwargs):
        calls["kdf"] += 1
        return real_kdf(*args, **kwargs)

    monkeypatch.setattr(status_service, "derive_receipt_keys", counting_kdf)
    assert client.post("/api/v1/status", json={"receipt": receipt}).status_code == 200
    assert client.post("/status", data={"receipt": receipt}).status_code == 200
    reply = client.post("/status/reply", data={"receipt": receipt, "body": "还在调查吗？"})
    assert reply.status_code == 200
    assert client.post("/api/v1/status", json={"receipt": WRONG}).status_code == 429
    assert calls["kdf"] == 4  # refused or answered, every look-up costs its one scrypt
