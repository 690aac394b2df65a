"""Staff accounts: create, list, disable, enable, unlock, reset TOTP, change role or password.

One set of functions for `qingfeng user …` and the admin page, so both apply the same rules:
the password policy, a liaison's agency, never leaving the office without an active
administrator. Each action is audited in the caller's transaction, and each that changes who may
do what ends every session of the account (`end_sessions`), so a copied cookie, a lost phone or
a former role stops working at once.
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.data import AGENCIES
from config.settings import KdfParams
from models.staff import ROLES, Staff
from triage.passwords import hash_password, password_problem
from triage.services.audit import Actor, record

ADMIN = "admin"


class AccountRefused(Exception):
    """An account action the rules do not allow; the message is for the person (Chinese)."""


def end_sessions(staff: Staff) -> None:
    """Every session of `staff` ends: its cookies carry the old version (checked on each
    request by triage.auth.enforce_login). Done in SQL, so two changes at once both count."""
    staff.session_version = Staff.session_version + 1  # type: ignore[assignment]


def find_staff(session: Session, username: str) -> Staff:
    """The account named `username`."""
    staff = session.scalar(select(Staff).where(Staff.username == username))
    if staff is None:
        raise AccountRefused(f"没有用户名为 {username} 的账号。")
    return staff


def list_staff(session: Session, actor: Actor) -> Sequence[Staff]:
    """Every account, by name (audited: who looked at the account list)."""
    record(session, actor, "user_list", "staff")
    return session.scalars(select(Staff).order_by(Staff.username)).all()


def _role_fields(role: str, agency: str | None, see_contact: bool) -> dict:
    """A role's own fields: a liaison is bound to one agency; only a liaison's account may be
    granted the reporters' contact details (docs/roles.md)."""
    if role not in ROLES:
        raise AccountRefused("没有这个角色。")
    if role == "liaison":
        if agency not in AGENCIES:
            raise AccountRefused("成员单位联络员必须指定所属单位。")
        return {"role": role, "agency": agency, "can_see_contact": see_contact}
    if agency:
        raise AccountRefused("只有成员单位联络员才指定所属单位。")
    return {"role": role, "agency": None, "can_see_contact": False}


def _checked_hash(password: str, username: str, kdf: KdfParams) -> str:
    problem = password_problem(password, username)
    if problem:
        raise AccountRefused(problem)
    return hash_password(password, kdf)


def create_staff(session: Session, actor: Actor, username: str, role: str, agency: str | None,
                 password: str, see_contact: bool, kdf: KdfParams) -> Staff:
    """A new account; its TOTP is enrolled at the first login."""
    username = username.strip()
    if not username or len(username) > 40:
        raise AccountRefused("用户名需要 1 到 40 个字符。")
    if any(ord(c) < 32 or ord(c) == 127 for c in username):
        raise AccountRefused("用户名含有无效字符。")
    if session.scalar(select(Staff.id).where(Staff.username == username)):
        raise AccountRefused(f"用户名 {username} 已存在。")
    fields = _role_fields(role, agency, see_contact)
    staff = Staff(username=username, password_hash=_checked_hash(password, username, kdf), **fields)
    session.add(staff)
    record(session, actor, "user_add", f"staff:{username}", detail=role)
    return staff


def _keep_an_admin(session: Session, staff: Staff) -> None:
    """Refuse to disable or demote the last active administrator: nobody could manage
    accounts any more (the command line could, but the office would not know to use it)."""
    if staff.role != ADMIN or not staff.active:
        return
    admins = session.scalar(select(func.count()).select_from(Staff)
                            .where(Staff.role == ADMIN, Staff.active.is_(True)))
    if admins <= 1:
        raise AccountRefused("这是最后一个有效的系统管理员账号，不能停用或更改角色。")


def disable(session: Session, actor: Actor, staff: Staff) -> None:
    """The account can no longer log in; its sessions end now."""
    _keep_an_admin(session, staff)
    staff.active = False
    end_sessions(staff)
    record(session, actor, "user_disable", f"staff:{staff.username}")


def enable(session: Session, actor: Actor, staff: Staff) -> None:
    """A disabled account may log in again (with its password and TOTP)."""
    staff.active = True
    record(session, actor, "user_enable", f"staff:{staff.username}")


def unlock(session: Session, actor: Actor, staff: Staff) -> None:
    """Lift the account-wide lock (set after a flood of failures); its sessions end too, since
    the account was under attack when it was locked."""
    staff.locked_until = None
    staff.failed_logins = 0
    end_sessions(staff)
    record(session, actor, "user_unlock", f"staff:{staff.username}")


def reset_totp(session: Session, actor: Actor, staff: Staff) -> None:
    """The lost-phone case: forget the TOTP secret, so the next login enrols a new one; the
    sessions end, since the phone may be in someone else's hands."""
    staff.totp_box, staff.totp_enrolled, staff.last_totp_step = None, False, 0
    end_sessions(staff)
    record(session, actor, "user_reset_totp", f"staff:{staff.username}")


def set_role(session: Session, actor: Actor, staff: Staff, role: str, agency: str | None,
             see_contact: bool) -> None:
    """A new role (and agency); sessions opened under the old role end."""
    fields = _role_fields(role, agency, see_contact)
    if role != ADMIN:
        _keep_an_admin(session, staff)
    before = f"{staff.role}/{staff.agency or '-'}"
    for name, value in fields.items():
        setattr(staff, name, value)
    end_sessions(staff)
    record(session, actor, "user_set_role", f"staff:{staff.username}",
           detail=f"{before} -> {role}/{fields['agency'] or '-'}")


def set_password(session: Session, actor: Actor, staff: Staff, password: str,
                 kdf: KdfParams) -> None:
    """A new password (the policy applies); every session ends."""
    staff.password_hash = _checked_hash(password, staff.username, kdf)
    end_sessions(staff)
    record(session, actor, "user_set_password", f"staff:{staff.username}")
