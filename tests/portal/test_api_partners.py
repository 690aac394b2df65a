"""The API's daily cap per client, the citizen channel for anonymous callers, and partner tokens
(`qingfeng token add|list|revoke`) for the official channels."""
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from models import AuditEvent, PartnerToken, Report
from tests.factories import submit_api
from triage.cli import main

TOKEN = re.compile(r"qfp\.[0-9a-f]+\.[A-Za-z0-9_-]+")


@pytest.fixture
def qingfeng(monkeypatch, portal_settings, triage_settings):
    """Run `qingfeng …` against this test's database and secrets."""
    for name, value in (("DATA_DIR", str(portal_settings.paths.root)),
                        ("DATABASE_URL", portal_settings.database_url),
                        ("PORTAL_SECRET_KEY", portal_settings.secret_key.hex()),
                        ("OFFICE_SECRET_KEY", triage_settings.secret_key.hex()),
                        ("RECEIPT_PEPPER", portal_settings.receipt_pepper.hex())):
        monkeypatch.setenv(f"QINGFENG_{name}", value)
    monkeypatch.delenv("REDIS_URL", raising=False)

    def run(*args: str):
        result = CliRunner().invoke(main, list(args))
        assert result.exit_code == 0, result.output
        return result.output
    return run


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_api_submissions_have_a_daily_cap_per_client(make_portal):
    client = make_portal(submissions_per_day="2 per day").test_client()
    codes = [submit_api(client).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert "操作过于频繁" in submit_api(client).get_json()["error"]
    other = client.post("/api/v1/reports", json={"description": "另一台设备提交的举报内容，足够长。"},
                        environ_overrides={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 201


def test_anonymous_callers_may_use_the_citizen_channel_only(client, db_session):
    for channel in ("上级纪委监委交办", "政法机关移送", "电话"):
        response = submit_api(client, channel=channel)
        assert response.status_code == 403, channel
        assert "令牌" in response.get_json()["error"]
    assert submit_api(client, channel="网络").status_code == 201
    assert submit_api(client).status_code == 201
    assert [r.channel for r in db_session.scalars(select(Report))] == ["网络", "网络"]


def test_a_partner_token_opens_its_channels_and_nothing_else(qingfeng, client, db_session):
    output = qingfeng("token", "add", "--name", "省信访平台", "--channels", "电话,信访举报")
    token = TOKEN.search(output).group(0)
    row = db_session.scalars(select(PartnerToken)).one()
    assert row.name == "省信访平台" and row.channels == ["电话", "信访举报"]
    assert token.encode() not in row.digest and len(row.digest) == 32

    accepted = submit_api(client, channel="电话")  # the token goes in a header, not the body
    assert accepted.status_code == 403
    accepted = client.post("/api/v1/reports", headers=_bearer(token),
                           json={"description": "来电反映某医院药剂科主任收受回扣。", "channel": "电话"})
    assert accepted.status_code == 201
    refused = client.post("/api/v1/reports", headers=_bearer(token),
                          json={"description": "某医院院长收受回扣，上级交办。", "channel": "上级纪委监委交办"})
    assert refused.status_code == 403 and "令牌" in refused.get_json()["error"]
    assert [r.channel for r in db_session.scalars(select(Report))] == ["电话"]

    db_session.expire_all()
    row = db_session.scalars(select(PartnerToken)).one()
    assert row.uses == 2 and row.last_used_at.minute == 0 and row.last_used_at.second == 0
    listing = qingfeng("token", "list")
    assert "省信访平台" in listing and "电话,信访举报" in listing and token not in listing

    for wrong in (token[:-2] + "xx", "qfp.0000.nothing", token + " extra"):
        response = client.post("/api/v1/reports", headers=_bearer(wrong), json={"description": "x" * 20})
        assert response.status_code == 401 and "令牌" in response.get_json()["error"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    basic = client.post("/api/v1/reports", headers={"Authorization": "Basic dXNlcjpwYXNz"},
                        json={"description": "x" * 20})
    assert basic.status_code == 401

    qingfeng("token", "revoke", "--name", "省信访平台")
    revoked = client.post("/api/v1/reports", headers=_bearer(token),
                          json={"description": "来电反映某医院药剂科主任收受回扣。", "channel": "电话"})
    assert revoked.status_code == 401
    actions = [e.action for e in db_session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["partner_token_add", "partner_token_revoke"]
    assert "已吊销" in qingfeng("token", "list") or "revoked" in qingfeng("token", "list")


def test_partners_are_not_held_to_the_citizens_daily_cap(qingfeng, make_portal):
    token = TOKEN.search(qingfeng("token", "add", "--name", "办公室", "--channels", "信件/邮箱")).group(0)
    client = make_portal(submissions_per_day="1 per day").test_client()
    body = {"description": "来信反映某卫生院虚开发票套取医保基金。", "channel": "信件/邮箱"}
    codes = [client.post("/api/v1/reports", headers=_bearer(token), json=body).status_code
             for _ in range(3)]
    assert codes == [201, 201, 201]
    assert [submit_api(client).status_code for _ in range(2)] == [201, 429]


def test_token_add_refuses_unknown_channels_and_names_twice(qingfeng):
    result = CliRunner().invoke(main, ["token", "add", "--name", "x", "--channels", "微信"])
    assert result.exit_code != 0 and "微信" in result.output
    qingfeng("token", "add", "--name", "同名", "--channels", "电话")
    again = CliRunner().invoke(main, ["token", "add", "--name", "同名", "--channels", "电话"])
    assert again.exit_code != 0
