"""Accounts, for the administrator only: list, create, disable, enable, unlock, reset TOTP,
change role or password (docs/roles.md). The administrator reads no report: these pages show
account fields and nothing else. Every action is audited by triage.accounts.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from models.session import request_session
from models.staff import ROLES, Staff
from triage import accounts
from triage.accounts import AccountRefused
from triage.auth import actor, current_staff, roles, settings
from triage.forms import NewStaffForm, PasswordForm, RoleForm
from triage.services.audit import record

bp = Blueprint("admin", __name__, url_prefix="/admin")

DONE = {"disable": "账号已停用，其所有会话已结束。", "enable": "账号已启用。",
        "unlock": "账号已解锁，其所有会话已结束。",
        "reset-totp": "动态验证码已重置：该用户下次登录时重新绑定，其所有会话已结束。"}
ACTIONS: dict[str, Callable] = {"disable": accounts.disable, "enable": accounts.enable,
                                "unlock": accounts.unlock, "reset-totp": accounts.reset_totp}


def _account(staff_id: int) -> Staff:
    staff = request_session().get(Staff, staff_id)
    if staff is None:
        abort(404)
    return staff


def _refuse_own(staff: Staff) -> None:
    """An administrator changes other accounts here; their own one another administrator (or
    the command line) changes, so nobody locks themselves out or raises their own rights
    unseen by a second person."""
    if staff.id == current_staff().id:
        raise AccountRefused("不能在此页面修改自己的账号，请由另一位管理员或在命令行操作。")


def _done(staff: Staff, message: str) -> Response:
    request_session().commit()
    flash(message)
    return redirect(url_for("admin.show", staff_id=staff.id))


def _refused(staff: Staff, error: AccountRefused) -> Response:
    request_session().rollback()
    flash(str(error))
    return redirect(url_for("admin.show", staff_id=staff.id))


@bp.get("/")
@roles("admin")
def index() -> str:
    staff = accounts.list_staff(request_session(), actor())
    request_session().commit()
    return render_template("admin/index.html", staff=staff, roles=ROLES, form=NewStaffForm())


@bp.post("/new")
@roles("admin")
def new() -> Response | tuple[str, int]:
    form, db = NewStaffForm(), request_session()
    error = ""
    if form.validate_on_submit():
        try:
            made = accounts.create_staff(db, actor(), form.username.data, form.role.data,
                                         form.agency.data or None, form.password.data,
                                         form.see_contact.data, settings().password_kdf)
            return _done(made, "账号已创建：首次登录时绑定动态验证码。")
        except AccountRefused as refused:
            db.rollback()
            error = str(refused)
    staff = accounts.list_staff(db, actor())
    db.commit()
    return render_template("admin/index.html", staff=staff, roles=ROLES, form=form,
                           error=error), 200


@bp.get("/<int:staff_id>")
@roles("admin")
def show(staff_id: int) -> str:
    staff = _account(staff_id)
    record(request_session(), actor(), "user_show", f"staff:{staff.username}")
    request_session().commit()
    role_form = RoleForm(data={"role": staff.role, "agency": staff.agency or "",
                               "see_contact": staff.can_see_contact})
    return render_template("admin/show.html", account=staff, roles=ROLES, role_form=role_form,
                           password_form=PasswordForm(), own=staff.id == current_staff().id)


@bp.post("/<int:staff_id>/<action>")
@roles("admin")
def act(staff_id: int, action: str) -> Response:
    """disable, enable, unlock or reset-totp."""
    staff = _account(staff_id)
    if action not in ACTIONS:
        abort(404)
    try:
        _refuse_own(staff)
        ACTIONS[action](request_session(), actor(), staff)
    except AccountRefused as refused:
        return _refused(staff, refused)
    return _done(staff, DONE[action])


@bp.post("/<int:staff_id>/role")
@roles("admin")
def role(staff_id: int) -> Response:
    staff, form = _account(staff_id), RoleForm()
    try:
        _refuse_own(staff)
        if not form.validate_on_submit():
            raise AccountRefused("请选择角色。")
        accounts.set_role(request_session(), actor(), staff, form.role.data,
                          form.agency.data or None, form.see_contact.data)
    except AccountRefused as refused:
        return _refused(staff, refused)
    return _done(staff, "角色已更改，其所有会话已结束。")


@bp.post("/<int:staff_id>/password")
@roles("admin")
def password(staff_id: int) -> Response:
    staff, form = _account(staff_id), PasswordForm()
    try:
        _refuse_own(staff)
        if not form.validate_on_submit():
            raise AccountRefused(" ".join(e for errors in form.errors.values() for e in errors))
        accounts.set_password(request_session(), actor(), staff, form.password.data,
                              settings().password_kdf)
    except AccountRefused as refused:
        return _refused(staff, refused)
    return _done(staff, "密码已重置，其所有会话已结束。")
