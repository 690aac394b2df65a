"""The public JSON API (contract: portal/openapi.py). No cookies, so no CSRF; rate limited per
client, with a daily cap on submissions like the form's; official channels need a partner token
(portal/partners.py); bodies are bounded in size and nesting before parsing (portal/json_body.py)."""
from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from models.shared.receipt import MalformedReceipt
from models.session import request_session
from models.vocabulary import CHANNELS, PUBLIC_STATUSES, WEB_CHANNEL
from portal import texts
from portal.forms import ReportFields
from portal.json_body import BodyRefused, read_json_body
from portal.openapi import openapi_document
from portal.partners import TokenRejected, channel_refusal, count_use, is_partner, partner
from portal.security import api_submissions_per_day, csrf, limiter, lookup_budget, setting
from models.shared.content import CONTACT_NAMES, CONTENT_NAMES, ReportContent
from models.shared.intake import submit_report
from portal.services.status import ReceiptNotFound, read_status
from portal.views import hand_to_triage, unlock_counted, vault

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
limiter.limit(setting("api_per_client"))(bp)

_CONTENT_FIELDS = CONTENT_NAMES
_CONTACT_FIELDS = {name: f"contact_{name}" for name in CONTACT_NAMES}


class BadPayload(BodyRefused):
    """The body is not what the schema asks; the message is for the client (Chinese)."""


def _json_object(allowed: set[str]) -> dict:
    payload = read_json_body()
    if not isinstance(payload, dict):
        raise BadPayload("请求体不是有效的 JSON 对象（须为 UTF-8 编码）。")
    unknown = set(payload) - allowed
    if unknown:
        raise BadPayload(f"不认识的字段：{', '.join(sorted(map(str, unknown)))[:200]}")
    return payload


def _strings(data: dict, names: tuple[str, ...] | set[str], where: str = "") -> None:
    for name in names:
        if name in data and not isinstance(data[name], str):
            raise BadPayload(f"字段 {where}{name} 必须是字符串。")


@lru_cache(maxsize=None)
def _max_lengths(schema: str) -> dict[str, int]:
    """maxLength of each string field of a schema (read once, not per request)."""
    properties = openapi_document()["components"]["schemas"][schema]["properties"]
    return {name: spec["maxLength"] for name, spec in properties.items() if "maxLength" in spec}


def _within_limits(data: dict, schema: str, where: str = "") -> None:
    """Lengths as the schema counts them, on the text as sent (before any clean-up)."""
    limits = _max_lengths(schema)
    for name, value in data.items():
        maximum = limits.get(name)
        if isinstance(value, str) and maximum is not None and len(value) > maximum:
            raise BadPayload(f"字段 {where}{name} 过长：最多 {maximum} 个字。")


def _report_form(payload: dict) -> ReportFields:
    _strings(payload, _CONTENT_FIELDS + ("channel",))
    _within_limits(payload, "NewReport")
    contact = payload.get("contact")
    if contact is not None:
        if not isinstance(contact, dict) or set(contact) - set(_CONTACT_FIELDS):
            raise BadPayload("字段 contact 必须是只含 name、phone、id_number、address 的对象。")
        _strings(contact, set(_CONTACT_FIELDS), "contact.")
        _within_limits(contact, "Contact", "contact.")
        if not contact.get("name") or not contact.get("phone"):
            raise BadPayload("实名信息须同时包含 name 与 phone。")
    formdata = MultiDict({k: payload[k] for k in _CONTENT_FIELDS if k in payload})
    for key, field in _CONTACT_FIELDS.items():
        if contact and key in contact:
            formdata[field] = contact[key]
    return ReportFields(formdata=formdata, meta={"csrf": False})


def _bad(message: str, fields: dict | None = None, status: int = 400) -> ResponseReturnValue:
    body: dict = {"error": message}
    if fields:
        body["fields"] = fields
    return jsonify(body), status


@bp.post("/reports")
@limiter.limit(api_submissions_per_day, override_defaults=False, exempt_when=is_partner)
def submit() -> ResponseReturnValue:
    try:
        caller = partner()
    except TokenRejected:
        return jsonify(error=texts.TOKEN_INVALID), 401, {"WWW-Authenticate": 'Bearer realm="qingfeng"'}
    if caller is not None:
        count_use(caller)
    try:
        payload = _json_object(set(_CONTENT_FIELDS) | {"channel", "contact"})
        form = _report_form(payload)
    except BodyRefused as bad:
        return _bad(str(bad), status=bad.status)
    channel = payload.get("channel", WEB_CHANNEL)
    if channel not in CHANNELS:
        return _bad(f"channel 须为以下之一：{'、'.join(CHANNELS)}")
    refusal = channel_refusal(channel, caller)
    if refusal:
        return _bad(refusal, status=403)
    if not form.validate():
        api_names = {field: f"contact.{key}" for key, field in _CONTACT_FIELDS.items()}
        fields = {api_names.get(name, name): errors[0] for name, errors in form.errors.items()}
        return _bad("提交内容有误，请按提示修改。", fields)
    accepted = submit_report(
        request_session(), vault(),
        ReportContent.from_mapping(form.content()),
        form.contact(), [], channel,
    )
    hand_to_triage(accepted.report_id)
    return jsonify(receipt=accepted.receipt, status="submitted",
                   status_label=PUBLIC_STATUSES["submitted"]), 201


@bp.post("/status")
@lookup_budget
def status() -> ResponseReturnValue:
    try:
        payload = _json_object({"receipt"})
        _strings(payload, ("receipt",))
        _within_limits(payload, "StatusQuery")
        if "receipt" not in payload:
            raise BadPayload("请提供 receipt（回执码）。")
        unlocked = unlock_counted(payload["receipt"])
    except BodyRefused as bad:
        return _bad(str(bad), status=bad.status)
    except MalformedReceipt:
        return _bad(texts.RECEIPT_MALFORMED)
    except ReceiptNotFound:
        return _bad(texts.RECEIPT_NOT_FOUND, status=404)
    view = read_status(unlocked)
    if view.kind != "report":
        return _bad(texts.RECEIPT_NOT_FOUND, status=404)
    return jsonify(
        status=view.status,
        status_label=view.label,
        messages=[{"from": m.sender, "body": m.body, "date": m.day.isoformat()} for m in view.messages],
    )


@bp.get("/openapi.json")
@limiter.exempt
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document())
