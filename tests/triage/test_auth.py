"""Staff login with TOTP, lockout, timeout; every office URL refuses the anonymous and the
wrong role."""
import re
import time

from sqlalchemy import select

from models.staff import Staff
from tests.triage.conftest import PASSWORD, code
from triage.passwords import open_totp


def test_every_office_url_refuses_anonymous_and_wrong_roles(triage_app, login):
    rules = [r for r in triage_app.url_map.iter_rules() if r.endpoint != "static"]
    open_endpoints = {"auth.login", "auth.second_factor", "auth.enrol"}
    anonymous = triage_app.test_client()
    clients = {role: login(role, "医保局" if role == "liaison" else None)
               for role in ("admin", "auditor", "supervisor", "triage", "liaison")}
    checked = 0
    for rule in rules:
        url = re.sub(r"<(?:int:)?\w+>", "1", rule.rule)
        method = "POST" if "POST" in rule.methods else "GET"
        if rule.endpoint in open_endpoints:
            continue
        response = anonymous.open(url, method=method)
        assert response.status_code == 302 and "/login" in response.headers["Location"], rule.rule
        view = triage_app.view_functions[rule.endpoint]
        allowed = getattr(view, "allowed_roles", None)
        if allowed is None:
            continue  # logout: any logged-in staff
        for role, client in clients.items():
            status = client.open(url, method=method).status_code
            if role not in allowed:
                assert status == 403, (rule.rule, role, status)
        checked += 1
    assert checked >= 10


def test_wrong_password_then_lockout(triage_app, make_staff, factory):
    username, secret = make_staff("alice", "triage")
    client = triage_app.test_client()
    for _ in range(5):
        assert client.post("/login", data={"username": username, "password": "wrong password!"}).status_code == 401
    locked = client.post("/login", data={"username": username, "password": PASSWORD})
    assert locked.status_code == 403 and "锁定" in locked.get_data(as_text=True)
    unknown = client.post("/login", data={"username": "nobody", "password": "whatever it is"})
    assert unknown.status_code == 401 and "用户名或密码错误" in unknown.get_data(as_text=True)


def test_password_alone_is_not_enough_and_codes_work_once(triage_app, make_staff):
    username, secret = make_staff("bob", "triage")
    client = triage_app.test_client()
    client.post("/login", data={"username": username, "password": PASSWORD})
    assert client.get("/").status_code == 302  # not in until the second factor
    assert client.post("/totp", data={"code": "000000"}).status_code == 401
    good = code(secret)
    assert client.post("/totp", data={"code": good}).status_code == 302
    assert client.get("/").status_code == 200
    other = triage_app.test_client()
    other.post("/login", data={"username": username, "password": PASSWORD})
    assert other.post("/totp", data={"code": good}).status_code == 401  # replay refused


def test_first_login_enrols_with_a_server_side_qr_code(triage_app, make_staff, factory, office_settings):
    username, _ = make_staff("carol", "supervisor", enrolled=False)
    client = triage_app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).headers["Location"].endswith("/enrol")
    page = client.get("/enrol").get_data(as_text=True)
    assert "<svg" in page and "<script" not in page
    with factory() as session:
        staff = session.scalar(select(Staff).where(Staff.username == username))
        secret = open_totp(staff.totp_box, office_settings.secret_key, username)
        assert secret not in staff.totp_box
    assert client.post("/enrol", data={"code": code(secret)}).status_code == 302
    assert client.get("/").status_code == 200


def test_idle_session_times_out(triage_app, login, monkeypatch):
    client = login("triage")
    assert client.get("/").status_code == 200
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 16 * 60)
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
