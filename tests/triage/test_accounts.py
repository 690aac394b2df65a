"""Staff accounts: the password policy, `qingfeng user …` and the admin page (security item 8).

Every account action is audited, and each that changes who may do what ends the sessions of
the account it changes.
"""
import re
import secrets

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from models.audit import AuditEvent
from tests.factories import submit_api
from tests.triage.conftest import PASSWORD, code, staff_named
from triage.passwords import password_problem

STRONG = "a fresh password for tests"


# --- the password policy ----------------------------------------------------------------------

@pytest.mark.parametrize("password, says", [
    ("aaaaaaaaaaaa", "5 个不同"),
    (" " * 12, "空格"),
    ("short one", "12 个字符"),
    (" leading space passphrase", "空格"),
    ("trailing space passphrase ", "空格"),
    ("abcdefghijkl", "连续或重复"),
    ("mnopqrstuvwx", "连续或重复"),
    ("987654321098", "连续或重复"),
    ("abcdeabcdeab", "连续或重复"),
    ("a1b2c3a1b2c3", "连续或重复"),
    ("ab12cab12cab12c", "连续或重复"),
    ("asdfghjkl;'", "12 个字符"),
    ("mnbvcxz09876", "连续或重复"),
    ("qwertyuiop12", "常见"),
    ("password1234", "常见"),
    ("Password1234", "常见"),
    ("P@ssw0rd2024!", "常见"),
    ("123456789012", "常见"),
    ("woaini1314520", "常见"),
    ("1314520woaini", "常见"),
    ("1qaz2wsx3edc", "常见"),
    ("iloveyou1234", "常见"),
    ("zhangwei.office", "用户名"),
    ("ZhangWei2024!", "用户名"),
])
def test_weak_passwords_are_refused_in_chinese(password, says):
    problem = password_problem(password, "zhangwei")
    assert problem is not None and says in problem, problem


@pytest.mark.parametrize("password", [
    PASSWORD, STRONG, "correct horse battery staple", "清风举报系统的一个长密码", "Tq7#mW2!zR9p",
    secrets.token_urlsafe(12), "我爱你一生一世但不是1314",
])
def test_good_passwords_pass(password):
    assert password_problem(password, "zhangwei") is None


# --- the command line -----------------------------------------------------------------------

@pytest.fixture
def cli(tmp_path, monkeypatch, database_url, engine):
    """`qingfeng …` on the test database (its schema from the models, as the other tests)."""
    from triage.cli import main

    monkeypatch.setenv("QINGFENG_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("QINGFENG_DATABASE_URL", database_url)
    for name in ("OFFICE_SECRET_KEY", "PORTAL_SECRET_KEY", "RECEIPT_PEPPER"):
        monkeypatch.setenv(f"QINGFENG_{name}", secrets.token_hex(32))
    for name in ("REDIS_URL", "QINGFENG_REDIS_URL", "QINGFENG_OFFICE_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, ["user", *args])


def _actions(factory) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_user_commands_manage_accounts_and_are_audited(cli, factory):
    refused = cli("add", "--username", "li", "--role", "triage", "--password", "aaaaaaaaaaaa")
    assert refused.exit_code == 2 and "5 个不同" in refused.output
    assert cli("add", "--username", "li", "--role", "triage", "--password", STRONG).exit_code == 0
    listed = cli("list")
    assert listed.exit_code == 0 and re.search(r"li\s+triage", listed.output), listed.output

    before = staff_named(factory, "li").session_version
    assert cli("disable", "li").exit_code == 0 and not staff_named(factory, "li").active
    assert cli("enable", "li").exit_code == 0 and staff_named(factory, "li").active
    assert cli("set-role", "li", "--role", "liaison").exit_code == 2  # a liaison needs an agency
    assert cli("set-role", "li", "--role", "liaison", "--agency", "医保局").exit_code == 0
    assert (staff_named(factory, "li").role, staff_named(factory, "li").agency) == ("liaison", "医保局")
    assert cli("set-password", "li", "--password", "password1234").exit_code == 2
    old_hash = staff_named(factory, "li").password_hash
    assert cli("set-password", "li", "--password", "another good password").exit_code == 0
    assert staff_named(factory, "li").password_hash != old_hash
    assert cli("reset-totp", "li").exit_code == 0
    assert not staff_named(factory, "li").totp_enrolled and staff_named(factory, "li").totp_box is None
    assert cli("unlock", "li").exit_code == 0
    assert cli("disable", "nobody").exit_code != 0

    assert staff_named(factory, "li").session_version > before
    assert _actions(factory) == ["user_add", "user_list", "user_disable", "user_enable",
                                 "user_set_role", "user_set_password", "user_reset_totp",
                                 "user_unlock"]


def test_user_add_applies_the_policy_with_the_username(cli):
    refused = cli("add", "--username", "wangfang", "--role", "triage", "--password", "wangfang2024!")
    assert refused.exit_code == 2 and "用户名" in refused.output


# --- the admin page ---------------------------------------------------------------------------

# (the page's action, its form, the audit trail's name for it)
ACTIONS = [("disable", {}, "user_disable"), ("reset-totp", {}, "user_reset_totp"),
           ("unlock", {}, "user_unlock"),
           ("role", {"role": "supervisor", "agency": ""}, "user_set_role"),
           ("password", {"password": STRONG, "confirm": STRONG}, "user_set_password")]


@pytest.mark.parametrize("action, data, audited", ACTIONS)
def test_each_admin_action_ends_the_sessions_of_the_account(login, factory, action, data, audited):
    member = login("triage", username="mei")
    assert member.get("/").status_code == 200
    admin = login("admin")
    target = staff_named(factory, "mei")
    response = admin.post(f"/admin/{target.id}/{action}", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/{target.id}")
    assert staff_named(factory, "mei").session_version != target.session_version
    ended = member.get("/")
    assert ended.status_code == 302 and "/login" in ended.headers["Location"]
    assert _actions(factory)[-1] == audited


def test_the_admin_page_lists_creates_disables_and_enables(login, factory, triage_app):
    admin = login("admin")
    page = admin.get("/admin/").get_data(as_text=True)
    assert "admin-x" in page and "系统管理员" in page
    weak = admin.post("/admin/new", data={"username": "nan", "role": "triage", "agency": "",
                                          "password": "qwertyuiop12", "confirm": "qwertyuiop12"})
    assert weak.status_code == 200 and "常见" in weak.get_data(as_text=True)
    made = admin.post("/admin/new", data={"username": "nan", "role": "liaison", "agency": "医保局",
                                          "password": STRONG, "confirm": STRONG})
    assert made.status_code == 302
    nan = staff_named(factory, "nan")
    assert (nan.role, nan.agency, nan.totp_enrolled) == ("liaison", "医保局", False)
    assert admin.post(f"/admin/{nan.id}/disable").status_code == 302
    assert not staff_named(factory, "nan").active
    refused = triage_app.test_client().post("/login", data={"username": "nan", "password": STRONG})
    assert refused.status_code == 401
    assert admin.post(f"/admin/{nan.id}/enable").status_code == 302
    assert staff_named(factory, "nan").active
    shown = admin.get(f"/admin/{nan.id}").get_data(as_text=True)
    assert "nan" in shown and "医保局" in shown
    assert {"user_list", "user_add", "user_disable", "user_enable", "user_show"} <= set(_actions(factory))


def test_reset_totp_makes_the_next_login_enrol_again(login, factory, triage_app):
    login("triage", username="ping")
    admin = login("admin")
    assert admin.post(f"/admin/{staff_named(factory, 'ping').id}/reset-totp").status_code == 302
    again = triage_app.test_client().post("/login", data={"username": "ping", "password": PASSWORD})
    assert again.status_code == 302 and again.headers["Location"].endswith("/enrol")


def test_an_admin_cannot_change_their_own_account_on_the_page(login, factory):
    admin = login("admin", username="root-admin")
    own = staff_named(factory, "root-admin")
    for action, data, _ in ACTIONS:
        admin.post(f"/admin/{own.id}/{action}", data=data)
    after = staff_named(factory, "root-admin")
    assert after.active and after.role == "admin" and after.totp_enrolled
    assert after.password_hash == own.password_hash
    assert admin.get("/admin/").status_code == 200  # still logged in


def test_only_the_admin_reaches_the_admin_page_and_the_admin_reads_no_report(client, login, factory):
    submit_api(client, description="某医院骨科主任收受器械回扣，每台手术八千元。")
    for role in ("triage", "supervisor", "auditor"):
        assert login(role).get("/admin/").status_code == 403
    admin = login("admin")
    assert admin.get("/reports/1").status_code == 403
    assert admin.get("/home").headers["Location"].endswith("/admin/")
    pages = admin.get("/admin/").get_data(as_text=True)
    pages += admin.get(f"/admin/{staff_named(factory, 'admin-x').id}").get_data(as_text=True)
    assert "骨科" not in pages and "回扣" not in pages


def test_admin_forms_carry_and_need_a_csrf_token(login, factory, triage_app):
    login("triage", username="qiu")
    admin = login("admin")
    target = staff_named(factory, "qiu")
    triage_app.config["WTF_CSRF_ENABLED"] = True
    for url in ("/admin/", f"/admin/{target.id}"):
        page = admin.get(url).get_data(as_text=True)
        forms = page.count("<form")
        assert forms and page.count('name="csrf_token"') == forms, url
    assert admin.post(f"/admin/{target.id}/disable").status_code == 400
    assert staff_named(factory, "qiu").active


def test_an_admin_logs_in_with_two_factors_like_everyone(triage_app, make_staff):
    username, secret = make_staff("admin-two", "admin")
    client = triage_app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    assert client.get("/admin/").status_code == 302  # password alone opens nothing
    assert client.post("/totp", data={"code": code(secret)}).status_code == 302
    assert client.get("/admin/").status_code == 200
