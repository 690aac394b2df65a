"""Back-office forms."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from config.data import AGENCIES
from models.vocabulary import ROLES

# Control characters never belong in a user name, and PostgreSQL refuses a NUL in a query.
NO_CONTROLS = Regexp(r"^[^\x00-\x1f\x7f]*$", message="用户名含有无效字符。")


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(message="请输入用户名。"), Length(max=40),
                                              NO_CONTROLS])
    password = PasswordField("密码", validators=[DataRequired(message="请输入密码。"), Length(max=200)])


class CodeForm(FlaskForm):
    code = StringField("动态验证码", validators=[DataRequired(message="请输入 6 位动态验证码。"), Length(max=10)])


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in ROLES.items()]


def _agency_choices() -> list[SelectChoice]:
    return [SelectChoice("", "（无）")] + [SelectChoice(agency) for agency in AGENCIES]


class RoleForm(FlaskForm):
    """A role, and for a liaison the agency (the account service checks the pair)."""

    role = SelectField("角色", choices=_role_choices())
    agency = SelectField("所属单位（仅联络员）", choices=_agency_choices())
    see_contact = BooleanField("可查看举报人联系方式（仅联络员）")


class PasswordForm(FlaskForm):
    """A new password, typed twice; the policy is applied by the account service."""

    password = PasswordField("新密码", validators=[DataRequired(message="请输入新密码。"),
                                                Length(max=200)])
    confirm = PasswordField("再次输入新密码", validators=[
        EqualTo("password", message="两次输入的密码不一致。")])


class NewStaffForm(RoleForm, PasswordForm):
    username = StringField("用户名", validators=[DataRequired(message="请输入用户名。"),
                                              Length(max=40, message="用户名最多 40 个字符。"),
                                              NO_CONTROLS])


_SMALL_INT = re.compile(r"[0-9]{1,6}")


def small_int(text: str | None) -> int | None:
    """A non-negative number of at most six ASCII digits, else None. Not str.isdigit(), which
    passes "²" and "٣", nor int() on any length, which raises on 5,000 digits."""
    return int(text) if text and _SMALL_INT.fullmatch(text) else None
