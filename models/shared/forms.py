"""The report form both apps use: the content fields of models/shared/content.py with their
rules, and the real-name block. The portal's web form and JSON API and the office's intake form
all validate through it."""
from __future__ import annotations

import re
import unicodedata

from flask_wtf import FlaskForm
from wtforms import Field, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, ValidationError

from models.shared.content import CONTACT_FIELDS, CONTENT_FIELDS, FieldSpec

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
# A number a caller can be reached on: an 11-digit mobile (1[3-9]…), or a landline with its
# area code (0 + 2–3 digits, then 7–8 digits), with or without +86, spaces and hyphens. Seven
# digits alone reach nobody, and a real-name reporter would lose the promised reply.
PHONE = re.compile(r"^(?:\+?86)?(?:1[3-9][0-9]{9}|0[1-9][0-9]{1,2}[0-9]{7,8})$")


def is_phone(text: str) -> bool:
    return bool(PHONE.match(re.sub(r"[ \-]", "", text)))
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


def text_field(label: str, maximum: int, required: bool = False, minimum: int = 0,
               multiline: bool = False) -> Field:
    """A cleaned text field with its length rule and a Chinese message for each failure."""
    checks = [DataRequired(message=f"请填写{label}。")] if required else [Optional()]
    checks += [
        Length(min=minimum, max=maximum, message=f"{label}应为 {minimum}–{maximum} 个字。"),
        valid_unicode,
    ]
    kind = TextAreaField if multiline else StringField
    return kind(label, validators=checks, filters=[clean_text])


def field_for(spec: FieldSpec, label: str | None = None) -> Field:
    """The form field of one content or contact field."""
    if spec.choices:
        return StringField(label or spec.label, validators=[
            Optional(), AnyOf(spec.choices, message=f"请选择列出的{label or spec.label}。")])
    return text_field(label or spec.label, spec.max_length, spec.required, spec.min_length,
                      spec.multiline)


class ReportFields(FlaskForm):
    """The content of a report: what the web form and the API both accept."""

    def validate_contact_phone(self, field: StringField) -> None:
        if field.data and not is_phone(field.data):
            raise ValidationError("联系电话格式不正确，请填写 11 位手机号或带区号的座机号（如 0798-8335305）。")

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

    def content(self) -> dict[str, str]:
        """The content fields as typed."""
        return {spec.name: getattr(self, spec.name).data or "" for spec in CONTENT_FIELDS}

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


for _spec in CONTENT_FIELDS:
    setattr(ReportFields, _spec.name, field_for(_spec))
for _spec in CONTACT_FIELDS:
    setattr(ReportFields, f"contact_{_spec.name}", field_for(_spec))
