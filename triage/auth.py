"""Staff login: password, then a TOTP code (enrolled at first login); lockout; idle timeout.

Every office URL needs a logged-in staff member unless it is on the short allowlist; views
name the roles they admit with `@roles(...)`.
"""
from __future__ import annotations

import io
import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

import segno
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from models.base import utcnow
from models.session import request_session
from models.staff import Staff
from triage.forms import CodeForm, LoginForm
from triage.passwords import (
    check_password, new_totp_secret, open_totp, provisioning_uri, seal_totp, totp_step_accepted,
)
from triage.services.audit import Actor, record

bp = Blueprint("auth", __name__)
OPEN_ENDPOINTS = {"auth.login", "auth.second_factor", "auth.enrol", "static"}


def settings():  # type: ignore[no-untyped-def]
    return current_app.config["QINGFENG"]


def current_staff() -> Staff | None:
    return g.get("staff")


def actor() -> Actor:
    staff = current_staff()
    return Actor(staff.username, staff.role) if staff else Actor("anonymous", "none")


def enforce_login() -> Response | None:
    """before_request: the staff member of this session, or off to the login page."""
    g.staff = None
    staff_id, seen = session.get("staff_id"), session.get("seen", 0)
    if staff_id and time.time() - seen < settings().session_idle_minutes * 60:
        staff = request_session().get(Staff, staff_id)
        if staff and staff.active:
            g.staff = staff
            session["seen"] = int(time.time())
            return None
    if staff_id:
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


def _locked(staff: Staff) -> bool:
    return bool(staff.locked_until and staff.locked_until > utcnow())


def _failed(staff: Staff | None, username: str, step: str) -> None:
    db = request_session()
    if staff is not None:
        staff.failed_logins += 1
        if staff.failed_logins >= settings().max_failed_logins:
            staff.locked_until = utcnow() + timedelta(minutes=settings().lockout_minutes)
            staff.failed_logins = 0
    record(db, Actor(username[:40] or "?", staff.role if staff else "none"), "login", step, "refused")
    db.commit()


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form, error="")
    db = request_session()
    staff = db.scalar(select(Staff).where(Staff.username == form.username.data))
    if staff is not None and _locked(staff):
        return render_template("auth/login.html", form=form, error="账号已被暂时锁定，请稍后再试或联系管理员。"), 403
    if staff is None or not staff.active or not check_password(staff.password_hash, form.password.data):
        _failed(staff, form.username.data, "password")
        return render_template("auth/login.html", form=form, error="用户名或密码错误。"), 401
    session.clear()
    session["pending_id"] = staff.id
    return redirect(url_for("auth.second_factor" if staff.totp_enrolled else "auth.enrol"))


def _pending() -> Staff | None:
    staff_id = session.get("pending_id")
    return request_session().get(Staff, staff_id) if staff_id else None


def _code_ok(staff: Staff, secret: bytes, code: str) -> bool:
    step = totp_step_accepted(secret, code, time.time(), staff.last_totp_step)
    if step is None:
        return False
    staff.last_totp_step = step
    return True


def _finish_login(staff: Staff) -> Response:
    staff.failed_logins = 0
    record(request_session(), Actor(staff.username, staff.role), "login", "totp", "ok")
    request_session().commit()
    session.clear()
    session["staff_id"], session["seen"] = staff.id, int(time.time())
    return redirect(request.args.get("next") if _safe_next() else url_for("auth.home"))


HOMES = {"triage": "queue.index", "supervisor": "queue.index", "liaison": "leads.index",
         "auditor": "audit.index"}


@bp.get("/home")
def home() -> Response | str:
    """Each role's start page; the admin manages accounts with `qingfeng user`."""
    staff = current_staff()
    if staff.role in HOMES:
        return redirect(url_for(HOMES[staff.role]))
    return render_template("auth/admin.html")


def _safe_next() -> bool:
    target = request.args.get("next", "")
    return target.startswith("/") and not target.startswith("//")


@bp.route("/totp", methods=["GET", "POST"])
def second_factor() -> Response | str | tuple[str, int]:
    staff, form = _pending(), CodeForm()
    if staff is None or not staff.totp_enrolled:
        return redirect(url_for("auth.login"))
    if _locked(staff):
        session.clear()
        return redirect(url_for("auth.login"))
    if not form.validate_on_submit():
        return render_template("auth/totp.html", form=form, error="")
    secret = open_totp(staff.totp_box, settings().secret_key, staff.username)
    if not _code_ok(staff, secret, form.code.data):
        _failed(staff, staff.username, "totp")
        return render_template("auth/totp.html", form=form, error="动态验证码错误或已使用。"), 401
    return _finish_login(staff)


@bp.route("/enrol", methods=["GET", "POST"])
def enrol() -> Response | str | tuple[str, int]:
    """First login: scan the QR code (rendered here as SVG) and confirm with one code."""
    staff, form = _pending(), CodeForm()
    if staff is None or staff.totp_enrolled:
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
        _failed(staff, staff.username, "enrol")
    svg = io.BytesIO()
    segno.make(uri, error="m").save(svg, kind="svg", scale=5, xmldecl=False, svgns=True)
    return render_template("auth/enrol.html", form=form, qr=Markup(svg.getvalue().decode()),
                           secret_text=uri.split("secret=")[1].split("&")[0])


@bp.post("/logout")
def logout() -> Response:
    if current_staff() is not None:
        record(request_session(), actor(), "logout", current_staff().username)
        request_session().commit()
    session.clear()
    return redirect(url_for("auth.login"))
