"""The portal's forms: the shared report fields plus the web form's own parts, and the forms of
status look-ups, replies, evidence and voluntary disclosure."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, MultipleFileField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from models.shared.content import SUBJECT_FIELDS, UNKNOWN
from models.shared.forms import ReportFields, is_phone, clean_text, text_field, valid_unicode
from portal.once import new_token

__all__ = ["ReportFields", "ReportForm", "ReceiptForm", "ReplyForm", "EvidenceForm",
           "AcknowledgeForm", "DisclosureForm"]


def _once() -> HiddenField:
    """The form's one-time token (portal/once.py): a resend of the same form stores nothing."""
    return HiddenField(default=new_token,
                       validators=[Length(max=40, message="页面已失效，请刷新后重新提交。")])


def _long_text(label: str, minimum: int, maximum: int):  # type: ignore[no-untyped-def]
    return text_field(label, maximum, required=True, minimum=minimum, multiline=True)


def _text(label: str, maximum: int, required: bool = False, minimum: int = 0):  # type: ignore[no-untyped-def]
    return text_field(label, maximum, required, minimum)


class ReportForm(ReportFields):
    """The web report form: the fields plus 不清楚 boxes, evidence and a honeypot."""

    subject_name_unknown = BooleanField(UNKNOWN)
    subject_unit_unknown = BooleanField(UNKNOWN)
    subject_post_unknown = BooleanField(UNKNOWN)
    evidence = MultipleFileField("证据材料")
    once = _once()
    # Hidden from people by CSS and aria-hidden; bots fill every field.
    website = StringField("网址")

    def subject(self, field: str) -> str:
        """A subject field as typed, or 不清楚 when that box was ticked and nothing typed."""
        value = getattr(self, field).data or ""
        return value or (UNKNOWN if getattr(self, f"{field}_unknown").data else "")

    def content(self) -> dict[str, str]:
        """The content fields, with 不清楚 where the reporter ticked it."""
        content = super().content()
        for name, _ in SUBJECT_FIELDS:
            content[name] = self.subject(name)
        return content


class ReceiptForm(FlaskForm):
    receipt = StringField(
        "回执码",
        validators=[DataRequired(message="请输入回执码。"), Length(max=60), valid_unicode],
        filters=[clean_text],
        # Digits and spaces: the phone opens its number pad, not a Chinese keyboard.
        render_kw={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"},
    )


class ReplyForm(ReceiptForm):
    body = _long_text("回复内容", 2, 3000)
    once = _once()


class EvidenceForm(ReceiptForm):
    evidence = MultipleFileField("补充证据")
    once = _once()


class AcknowledgeForm(FlaskForm):
    noted = BooleanField("我已记下回执码", validators=[DataRequired(message="请确认您已记下回执码。")])


class DisclosureForm(FlaskForm):
    """主动说明: a medical worker discloses and hands back improper gains."""

    name = _text("姓名", 50, required=True)
    unit = _text("工作单位", 100, required=True)
    post = _text("科室及职务", 100)
    phone = _text("联系电话", 30)
    description = _long_text("说明的问题", 10, 5000)
    amount_yuan = _text("上交金额（元）", 20)
    goods = _text("上交物品", 200)
    once = _once()

    def validate_amount_yuan(self, field: StringField) -> None:
        if field.data and not re.fullmatch(r"\d{1,12}(\.\d{1,2})?", field.data.replace(",", "")):
            raise ValidationError("上交金额请填写数字，例如 5000 或 5000.50。")

    def validate_phone(self, field: StringField) -> None:
        if field.data and not is_phone(field.data):
            raise ValidationError("联系电话格式不正确，请填写 11 位手机号或带区号的座机号。")
