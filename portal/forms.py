"""The portal's forms. One set of field rules serves the HTML forms and the JSON API."""
from __future__ import annotations

import re
import unicodedata

from flask_wtf import FlaskForm
from wtforms import BooleanField, MultipleFileField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, ValidationError

from config.data import AREA_CODES

UNKNOWN = "不清楚"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,18}[0-9]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def clean_text(value: object) -> object:
    """Normalise typed text: NFC, no control or bidi characters, no outer whitespace."""
    if not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n"))
    return _CONTROL.sub("", value).strip()


def valid_unicode(_form: object, field: StringField) -> None:
    """Reject text that cannot be stored as UTF-8 (lone surrogates from hostile clients)."""
    if isinstance(field.data, str):
        try:
            field.data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValidationError("包含无法识别的字符，请删除后重试。") from exc


def id_number_ok(number: str) -> bool:
    """A mainland resident ID number with a correct check digit (GB 11643)."""
    number = number.upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17]


def _long_text(label: str, minimum: int, maximum: int) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[
            DataRequired(message=f"请填写{label}。"),
            Length(min=minimum, max=maximum, message=f"{label}应为 {minimum}–{maximum} 个字。"),
            valid_unicode,
        ],
        filters=[clean_text],
    )


def _text(label: str, maximum: int, required: bool = False, minimum: int = 0) -> StringField:
    checks = [DataRequired(message=f"请填写{label}。")] if required else [Optional()]
    checks += [
        Length(min=minimum, max=maximum, message=f"{label}应为 {minimum}–{maximum} 个字。"),
        valid_unicode,
    ]
    return StringField(label, validators=checks, filters=[clean_text])


class ReportFields(FlaskForm):
    """The content of a report: what the web form and the API both accept."""

    subject_name = _text("被反映人姓名", 50)
    subject_unit = _text("被反映人单位", 100)
    subject_post = _text("被反映人职务", 50)
    area = StringField(
        "问题领域", validators=[Optional(), AnyOf(AREA_CODES, message="请选择列出的问题领域。")]
    )
    event_time = _text("发生时间", 100)
    event_place = _text("发生地点", 100)
    description = _long_text("问题描述", 10, 5000)
    amount = _text("涉及金额", 100)
    contact_name = _text("您的姓名", 50)
    contact_phone = _text("联系电话", 30)
    contact_id_number = _text("身份证号", 18)
    contact_address = _text("联系地址或单位", 200)

    def validate_contact_phone(self, field: StringField) -> None:
        if field.data and not _PHONE.match(field.data):
            raise ValidationError("联系电话格式不正确，请填写手机号或带区号的座机号。")

    def validate_contact_id_number(self, field: StringField) -> None:
        if field.data and not id_number_ok(field.data):
            raise ValidationError("身份证号不正确，请核对 18 位号码（最后一位可以是 X）。")

    def validate(self, extra_validators: dict | None = None) -> bool:
        """Field rules, then the real-name block as a whole (name and phone go together)."""
        valid = super().validate(extra_validators)
        others = (self.contact_phone.data, self.contact_id_number.data, self.contact_address.data)
        problem = ""
        if any(others) and not self.contact_name.data:
            problem = "实名举报请填写姓名；若想匿名，请清空实名信息。"
        elif self.contact_name.data and not self.contact_phone.data:
            problem = "实名举报请同时填写联系电话，以便反馈。"
        if problem:
            self.contact_name.errors = [*self.contact_name.errors, problem]
            return False
        return valid

    def contact(self) -> dict[str, str] | None:
        """The real-name block, or None for an anonymous report."""
        if not self.contact_name.data:
            return None
        return {
            "name": self.contact_name.data,
            "phone": self.contact_phone.data or "",
            "id_number": (self.contact_id_number.data or "").upper(),
            "address": self.contact_address.data or "",
        }


class ReportForm(ReportFields):
    """The web report form: the fields plus 不清楚 boxes, evidence and a honeypot."""

    subject_name_unknown = BooleanField(UNKNOWN)
    subject_unit_unknown = BooleanField(UNKNOWN)
    subject_post_unknown = BooleanField(UNKNOWN)
    evidence = MultipleFileField("证据材料")
    # Hidden from people by CSS and aria-hidden; bots fill every field.
    website = StringField("网址")

    def subject(self, field: str) -> str:
        """A subject field as typed, or 不清楚 when that box was ticked and nothing typed."""
        value = getattr(self, field).data or ""
        return value or (UNKNOWN if getattr(self, f"{field}_unknown").data else "")


class ReceiptForm(FlaskForm):
    receipt = StringField(
        "回执码",
        validators=[DataRequired(message="请输入回执码。"), Length(max=60), valid_unicode],
        filters=[clean_text],
    )


class ReplyForm(ReceiptForm):
    body = _long_text("回复内容", 2, 3000)


class EvidenceForm(ReceiptForm):
    evidence = MultipleFileField("补充证据")


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

    def validate_amount_yuan(self, field: StringField) -> None:
        if field.data and not re.fullmatch(r"\d{1,12}(\.\d{1,2})?", field.data.replace(",", "")):
            raise ValidationError("上交金额请填写数字，例如 5000 或 5000.50。")

    def validate_phone(self, field: StringField) -> None:
        if field.data and not _PHONE.match(field.data):
            raise ValidationError("联系电话格式不正确。")
