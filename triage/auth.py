"""Staff login: password, then a TOTP code (enrolled at first login); login limits; sessions
that end on logout, on account changes, when idle and after a fixed lifetime.

Every office URL needs a logged-in staff member unless it is on the short allowlist; views
name the roles they admit with `@roles(...)`.
"""
from __future__ import annotations

import io
import secrets
import time
import unicodedata
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from urllib.parse import unquote, urlsplit

import segno
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from flask.blueprints import BlueprintSetupState
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from models.base import utcnow
from models.session import request_session
from models.staff import Staff
from triage.accounts import end_sessions
from triage.forms import CodeForm, LoginForm
from triage.login_throttle import LoginThrottle
from triage.passwords import (
    check_password, hash_password, new_totp_secret, open_totp, provisioning_uri, seal_totp,
    totp_step_accepted,
)
from triage.services.audit import Actor, record

bp = Blueprint("auth", __name__)
OPEN_ENDPOINTS = {"auth.login", "auth.second_factor", "auth.enrol", "static"}
# One answer for a wrong password, an unknown, disabled or locked account and a refused client,
# so that the answer tells an attacker nothing about the account.
REFUSED = "用户名或密码错误，或暂时无法登录。"
HOMES = {"triage": "queue.index", "supervisor": "queue.index", "liaison": "leads.index",
         "auditor": "audit.index", "admin": "admin.index"}


@bp.record_once
def _install(state: BlueprintSetupState) -> None:
    """Per app (so per process): the failure counters, and a hash of a random password that
    unknown, disabled, locked and refused logins are checked against, so that every refusal
    costs the same one scrypt as a wrong password."""
    app_settings = state.app.config["QINGFENG"]
    state.app.extensions["qingfeng_login_throttle"] = LoginThrottle(app_settings)
    state.app.extensions["qingfeng_dummy_hash"] = hash_password(secrets.token_urlsafe(24),
                                                                app_settings.password_kdf)


def settings():  # type: ignore[no-untyped-def]
    return current_app.config["QINGFENG"]


def current_staff() -> Staff | None:
    return g.get("staff")


def actor() -> Actor:
    staff = current_staff()
    return Actor(staff.username, staff.role) if staff else Actor("anonymous", "none")


def _session_staff() -> Staff | None:
    """The staff member of this session if it is still valid: not idle, within its lifetime,
    of an active account whose sessions were not ended since (version)."""
    staff_id, now = session.get("staff_id"), time.time()
    if not staff_id or now - session.get("seen", 0) >= settings().session_idle_minutes * 60:
        return None
    if now - session.get("login_at", 0) >= settings().session_max_hours * 3600:
        return None
    staff = request_session().get(Staff, staff_id)
    if staff is None or not staff.active or session.get("version") != staff.session_version:
        return None
    return staff


def enforce_login() -> Response | None:
    """before_request: the staff member of this session, or off to the login page."""
    g.staff = _session_staff()
    if g.staff is not None:
        session["seen"] = int(time.time())
        return None
    if session.get("staff_id"):
        session.clear()
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    return redirect(url_for("auth.login", next=request.path))


def roles(*allowed: str) -> Callable:
    """Admit only staff with one of these roles (403 for the others)."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            staff = current_staff()
            if staff is None or staff.role not in allowed:
                abort(403)
            return view(*args, **kwargs)
        wrapper.allowed_roles = allowed  # type: ignore[attr-defined]
        return wrapper
    return decorate


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (the caller goes to the start page).

    Browsers drop tabs and newlines from a URL, read a backslash as a slash and percent-decode
    more than once, so `/%09/evil`, `/\\evil` or `/%2F%2Fevil` would leave the site; every
    decoding of the target must be a plain path: one leading slash, no `//`, no backslash, no
    scheme or host, no control, format or space characters."""
    if not target or len(target) > 1000:
        return None
    candidate = target
    for _ in range(3):
        if not _local_path(candidate):
            return None
        decoded = unquote(candidate)
        if decoded == candidate:
            return target
        candidate = decoded
    return None  # still encoded after three decodings: nobody links like that


def _local_path(path: str) -> bool:
    if any(c == "\\" or unicodedata.category(c)[0] in "CZ" for c in path):
        return False
    parts = urlsplit(path)
    return path.startswith("/") and "//" not in path and not parts.scheme and not parts.netloc


def _locked(staff: Staff) -> bool:
    return bool(staff.locked_until and staff.locked_until > utcnow())


def _throttle() -> LoginThrottle:
    return current_app.extensions["qingfeng_login_throttle"]


def _client() -> str:
    return request.remote_addr or ""


def _failed(staff: Staff | None, username: str, step: str, reason: str, count: bool = True) -> None:
    """Audit a refused step and count it; a flood on one account locks that account."""
    db = request_session()
    if count and _throttle().failed(username, _client()) and staff is not None:
        staff.locked_until = utcnow() + timedelta(minutes=settings().account_lock_minutes)
    record(db, Actor(username[:40] or "?", staff.role if staff else "none"), "login", step,
           "refused", detail=reason)
    db.commit()


def _check_credentials(username: str, password: str) -> Staff | None:
    """The account if the password is right and the account and this client may log in.
    Exactly one scrypt whatever the case: against the account's hash, or a dummy one."""
    staff = request_session().scalar(select(Staff).where(Staff.username == username))
    refused = _throttle().refused(username, _client())
    reason = ("limited" if refused else "unknown" if staff is None
              else "disabled" if not staff.active else "locked" if _locked(staff) else "")
    stored = current_app.extensions["qingfeng_dummy_hash"] if reason else staff.password_hash
    if check_password(stored, password) and not reason:
        return staff
    _failed(staff, username, "password", reason or "password", count=not refused)
    return None


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form, error="")
    staff = _check_credentials(form.username.data, form.password.data)
    if staff is None:
        return render_template("auth/login.html", form=form, error=REFUSED), 401
    session.clear()
    session.update(pending_id=staff.id, pending_version=staff.session_version,
                   pending_at=int(time.time()))
    step = "auth.second_factor" if staff.totp_enrolled else "auth.enrol"
    return redirect(url_for(step, next=safe_next(request.args.get("next"))))


def _pending() -> Staff | None:
    """The account that gave its password in this session, if it still may log in."""
    staff_id, started = session.get("pending_id"), session.get("pending_at", 0)
    if not staff_id or time.time() - started >= settings().session_idle_minutes * 60:
        return None
    staff = request_session().get(Staff, staff_id)
    if staff is None or not staff.active or _locked(staff) \
            or session.get("pending_version") != staff.session_version \
            or _throttle().refused(staff.username, _client()):
        return None
    return staff


def _code_ok(staff: Staff, secret: bytes, code: str) -> bool:
    step = totp_step_accepted(secret, code, time.time(), staff.last_totp_step)
    if step is None:
        return False
    staff.last_totp_step = step
    return True


def _finish_login(staff: Staff) -> Response:
    record(request_session(), Actor(staff.username, staff.role), "login", "totp", "ok")
    request_session().commit()
    session.clear()
    now = int(time.time())
    session.update(staff_id=staff.id, version=staff.session_version, login_at=now, seen=now)
    target = safe_next(request.args.get("next"))
    return redirect(request.script_root + target if target else url_for("auth.home"))


@bp.get("/home")
def home() -> Response:
    """Each role's start page (the admin's is the account list)."""
    staff = current_staff()
    if staff.role not in HOMES:
        abort(403)
    return redirect(url_for(HOMES[staff.role]))


@bp.route("/totp", methods=["GET", "POST"])
def second_factor() -> Response | str | tuple[str, int]:
    staff, form = _pending(), CodeForm()
    if staff is None or not staff.totp_enrolled:
        session.clear()
        return redirect(url_for("auth.login"))
    if not form.validate_on_submit():
        return render_template("auth/totp.html", form=form, error="")
    secret = open_totp(staff.totp_box, settings().secret_key, staff.username)
    if not _code_ok(staff, secret, form.code.data):
        _failed(staff, staff.username, "totp", "code")
        return render_template("auth/totp.html", form=form, error="动态验证码错误或已使用。"), 401
    return _finish_login(staff)


@bp.route("/enrol", methods=["GET", "POST"])
def enrol() -> Response | str | tuple[str, int]:
    """First login: scan the QR code (rendered here as SVG) and confirm with one code."""
    staff, form = _pending(), CodeForm()
    if staff is None or staff.totp_enrolled:
        session.clear()
        return redirect(url_for("auth.login"))
    db = request_session()
    if staff.totp_box is None:
        staff.totp_box = seal_totp(new_totp_secret(), settings().secret_key, staff.username)
        db.commit()
    secret = open_totp(staff.totp_box, settings().secret_key, staff.username)
    uri = provisioning_uri(secret, staff.username, "清风")
    if form.validate_on_submit():
        if _code_ok(staff, secret, form.code.data):
            staff.totp_enrolled = True
            return _finish_login(staff)
        _failed(staff, staff.username, "enrol", "code")
    svg = io.BytesIO()
    segno.make(uri, error="m").save(svg, kind="svg", scale=5, xmldecl=False, svgns=True)
    return render_template("auth/enrol.html", form=form, qr=Markup(svg.getvalue().decode()),
                           secret_text=uri.split("secret=")[1].split("&")[0])


@bp.post("/logout")
def logout() -> Response:
    """Ends every session of this account, not only this browser's: a copied cookie dies too."""
    staff = current_staff()
    if staff is not None:
        end_sessions(staff)
        record(request_session(), actor(), "logout", staff.username)
        request_session().commit()
    session.clear()
    return redirect(url_for("auth.login"))
