"""Staff login with TOTP, login limits, session ends and lifetimes, the `next` redirect; every
office URL refuses the anonymous and the wrong role."""
import hashlib
import re
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from models.base import utcnow
from models.staff import Staff
from tests.backends import REDIS_TEST_URL, redis_reason, require
from tests.triage.conftest import PASSWORD, client_at, code, staff_named
from triage.passwords import open_totp

REFUSED = "用户名或密码错误，或暂时无法登录。"
WRONG = "not the password at all"


def _attempt(client, username: str, password: str = PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


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


# --- login limits: per (account, client), per client, per account (security item 7) ---------

def test_five_failures_refuse_that_client_on_that_account_only(triage_app, make_staff):
    username, _ = make_staff("alice", "triage")
    make_staff("alice2", "triage")
    attacker = client_at(triage_app, "198.51.100.7")
    for _ in range(5):
        assert _attempt(attacker, username, WRONG).status_code == 401
    refused = _attempt(attacker, username)  # the right password, from the failing client
    assert refused.status_code == 401 and REFUSED in refused.get_data(as_text=True)
    assert _attempt(client_at(triage_app, "198.51.100.8"), username).status_code == 302
    assert _attempt(attacker, "alice2").status_code == 302  # its other accounts stay open
    assert staff_named(triage_app.extensions["qingfeng_sessions"], username).locked_until is None


def test_the_refusal_lasts_fifteen_minutes_from_the_fifth_failure(triage_app, make_staff, monkeypatch):
    username, _ = make_staff("alice", "triage")
    attacker = client_at(triage_app, "198.51.100.7")
    real = time.time
    for minute in (0, 4, 8, 10, 12):  # the fifth failure at minute 12
        monkeypatch.setattr(time, "time", lambda m=minute: real() + m * 60)
        assert _attempt(attacker, username, WRONG).status_code == 401
    monkeypatch.setattr(time, "time", lambda: real() + 26 * 60)
    assert _attempt(attacker, username).status_code == 401
    monkeypatch.setattr(time, "time", lambda: real() + 28 * 60)
    assert _attempt(attacker, username).status_code == 302


def test_a_client_failing_across_accounts_is_refused_on_every_account(triage_app, make_staff):
    username, _ = make_staff("carol", "triage")
    attacker = client_at(triage_app, "198.51.100.9")
    for i in range(20):  # one failure on each of 20 names: no single account reaches five
        assert _attempt(attacker, f"guess{i}", WRONG).status_code == 401
    assert _attempt(attacker, username).status_code == 401
    assert _attempt(client_at(triage_app, "198.51.100.10"), username).status_code == 302


def test_many_clients_lock_the_account_until_an_admin_unlocks_it(triage_app, make_staff, login, factory):
    username, _ = make_staff("dave", "triage")
    for i in range(100):  # 25 clients, four failures each: none is refused on its own
        assert _attempt(client_at(triage_app, f"203.0.113.{i // 4}"), username, WRONG).status_code == 401
    assert staff_named(factory, username).locked_until is not None
    assert _attempt(client_at(triage_app, "192.0.2.1"), username).status_code == 401
    admin = login("admin")
    assert admin.post(f"/admin/{staff_named(factory, username).id}/unlock").status_code == 302
    assert _attempt(client_at(triage_app, "192.0.2.1"), username).status_code == 302


def test_every_refusal_looks_the_same_and_costs_one_scrypt(triage_app, make_staff, factory, monkeypatch):
    username, _ = make_staff("erin", "triage")
    calls, real = [], hashlib.scrypt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: calls.append(1) or real(*a, **k))

    def attempt(address: str, password: str) -> tuple[int, str, int]:
        calls.clear()
        response = _attempt(client_at(triage_app, address), username, password)
        return response.status_code, response.get_data(as_text=True), len(calls)

    def change(**values) -> None:
        with factory.begin() as session:
            session.execute(update(Staff).where(Staff.username == username).values(**values))

    wrong = attempt("192.0.2.10", WRONG)
    change(active=False)
    disabled = attempt("192.0.2.11", PASSWORD)
    change(active=True, locked_until=utcnow() + timedelta(hours=1))
    locked = attempt("192.0.2.12", PASSWORD)
    change(locked_until=None)
    for _ in range(5):
        attempt("192.0.2.13", WRONG)
    refused = attempt("192.0.2.13", PASSWORD)
    with factory.begin() as session:
        session.delete(session.scalars(select(Staff).where(Staff.username == username)).one())
    unknown = attempt("192.0.2.14", WRONG)
    assert wrong[0] == 401 and REFUSED in wrong[1] and wrong[2] == 1
    assert disabled == locked == refused == unknown == wrong


def test_client_keys_in_the_limit_storage_are_not_addresses(triage_app, make_staff):
    username, _ = make_staff("frank", "triage")
    for _ in range(3):
        _attempt(client_at(triage_app, "198.51.100.77"), username, WRONG)
    storage = triage_app.extensions["qingfeng_login_throttle"].storage
    keys = list(storage.storage) + list(storage.expirations)
    assert keys and not any("198.51.100.77" in key or username in key for key in keys)


def test_the_limits_count_in_redis_under_opaque_keys(office_settings):
    require(redis_reason())
    from redis import Redis

    from triage.login_throttle import LoginThrottle

    throttle = LoginThrottle(replace(office_settings, ratelimit_storage=REDIS_TEST_URL))
    redis = Redis.from_url(REDIS_TEST_URL)
    try:
        for _ in range(5):
            assert not throttle.refused("grace", "198.51.100.99")
            throttle.failed("grace", "198.51.100.99")
        assert throttle.refused("grace", "198.51.100.99")
        assert not throttle.refused("grace", "198.51.100.98")
        keys = [key.decode() for key in redis.scan_iter(f"*{throttle.PREFIX}*")]
        assert keys and not any("198.51.100.99" in key or "grace" in key for key in keys)
    finally:
        for key in redis.scan_iter(f"*{throttle.PREFIX}*"):
            redis.delete(key)


# --- sessions: revocation, absolute lifetime, Secure cookies (security item 6) --------------

def test_logout_ends_a_copied_cookie(triage_app, login):
    client = login("triage")
    copy = triage_app.test_client()
    copy.set_cookie("qf_office", client.get_cookie("qf_office").value)
    assert copy.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    response = copy.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_session_ends_after_ten_hours_however_active(triage_app, login, monkeypatch):
    client = login("triage")
    real = time.time
    for minute in range(0, 600, 10):  # a request every ten minutes: never idle
        monkeypatch.setattr(time, "time", lambda m=minute: real() + m * 60)
        assert client.get("/").status_code == 200, minute
    monkeypatch.setattr(time, "time", lambda: real() + 601 * 60)
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("secure", [True, False])
def test_the_session_cookie_is_secure_unless_told_otherwise(office_settings, runner, make_staff, secure):
    import triage

    app = triage.create_app(replace(office_settings, cookie_secure=secure), runner)
    username, _ = make_staff("gina", "triage")
    cookie = _attempt(app.test_client(), username).headers["Set-Cookie"]
    assert cookie.startswith("qf_office=") and ("; Secure" in cookie) is secure


def test_cookie_secure_is_read_from_the_environment(tmp_path, monkeypatch, make_portal):
    from config.office_settings import triage_settings_from_env
    from config.settings import portal_settings_from_env

    monkeypatch.setenv("QINGFENG_DATA_DIR", str(tmp_path / "var"))
    for name in ("OFFICE_SECRET_KEY", "PORTAL_SECRET_KEY", "RECEIPT_PEPPER"):
        monkeypatch.setenv(f"QINGFENG_{name}", "ab" * 32)
    monkeypatch.delenv("QINGFENG_COOKIE_SECURE", raising=False)
    assert triage_settings_from_env().cookie_secure and portal_settings_from_env().cookie_secure
    monkeypatch.setenv("QINGFENG_COOKIE_SECURE", "0")
    assert not triage_settings_from_env().cookie_secure
    assert not portal_settings_from_env().cookie_secure
    assert make_portal(cookie_secure=True).config["SESSION_COOKIE_SECURE"] is True
    assert make_portal(cookie_secure=False).config["SESSION_COOKIE_SECURE"] is False


# --- the `next` redirect (security item 9) ----------------------------------------------------

# As an attacker writes them in the query string (percent-encoded or not).
BYPASSES = [
    "//evil.example", "/\\evil.example", "/%09/evil.example/", "/%2F%2Fevil.example",
    "https://evil.example", "%5C%5Cevil.example", "\\\\evil.example", "/%5Cevil.example",
    "javascript:alert(1)", "/leads/%0A/evil.example", "/%0D%0A/evil.example", "%2F%2Fevil.example",
    "/%252F%252Fevil.example", "/%25%30%39/evil.example", "http:/evil.example",
    "/%E3%80%80/evil.example", "/%00/evil.example", "///evil.example", "/ /evil.example",
]


@pytest.mark.parametrize("raw", BYPASSES)
def test_next_never_leaves_the_site(triage_app, make_staff, raw):
    username, secret = make_staff("henry", "triage")
    client = triage_app.test_client()
    assert _attempt(client, username).status_code == 302
    response = client.post(f"/totp?next={raw}", data={"code": code(secret)})
    assert response.status_code == 302 and response.headers["Location"] == "/home"


@pytest.mark.parametrize("raw", ["//evil.example", "/%09/evil.example/", "/%5Cevil.example"])
def test_next_from_the_login_page_is_checked_too(triage_app, make_staff, raw):
    username, secret = make_staff("irene", "triage")
    client = triage_app.test_client()
    to_totp = client.post(f"/login?next={raw}", data={"username": username, "password": PASSWORD})
    assert "evil" not in to_totp.headers["Location"]
    done = client.post(to_totp.headers["Location"], data={"code": code(secret)})
    assert done.headers["Location"] == "/home"


def test_a_path_on_this_site_is_followed_through_both_steps(triage_app, make_staff):
    username, secret = make_staff("jack", "triage")
    client = triage_app.test_client()
    to_totp = client.post("/login?next=/leads/", data={"username": username, "password": PASSWORD})
    assert to_totp.status_code == 302
    done = client.post(to_totp.headers["Location"], data={"code": code(secret)})
    assert done.headers["Location"] == "/leads/"


@pytest.mark.parametrize("target", [
    "//evil", "/\\evil", "/\t/evil", "/%2F%2Fevil", "https://evil", "\\\\evil", "/%5Cevil",
    "javascript:alert(1)", "/leads/\n/evil", "/\r\n/evil", " /evil", "/evil ", "/\x00/evil",
    "/\u3000/evil", "/\u200b/evil", "", None, "evil.example", "/" + "a" * 3000,
])
def test_safe_next_refuses_known_bypasses(target):
    from triage.auth import safe_next

    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/", "/leads/", "/reports/12", "/stats/?from=2025-01-01"])
def test_safe_next_keeps_paths_on_this_site(target):
    from triage.auth import safe_next

    assert safe_next(target) == target


def test_a_nul_in_the_login_form_is_bad_input_not_a_server_error(triage_app):
    client = triage_app.test_client()
    for data in ({"username": "a\x00b", "password": PASSWORD},
                 {"username": "a", "password": "p\x00" * 7}):
        assert client.post("/login", data=data).status_code in (200, 401)
