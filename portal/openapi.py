"""The OpenAPI 3.0 document of the public JSON API (served at /api/v1/openapi.json)."""
from __future__ import annotations

from models.shared.content import CONTACT_FIELDS, CONTENT_FIELDS, FieldSpec
from models.vocabulary import CHANNELS, PUBLIC_STATUSES, WEB_CHANNEL
from portal.json_body import MAX_BYTES, MAX_DEPTH

_text = {"type": "string"}
_ERROR = {
    "description": "错误（中文说明）",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


_SUBMIT_NOTE = (
    f"匿名提交：渠道只能是“{WEB_CHANNEL}”，每个客户端每天的提交次数与网页表单相同（超出返回 429）。"
    "合作单位（其他投诉平台、办公室登记）以 Authorization: Bearer <令牌> 提交，可使用令牌所列渠道，"
    f"不受每日次数限制，但受每分钟次数限制。请求体不超过 {MAX_BYTES // 1024} KB，"
    f"JSON 嵌套不超过 {MAX_DEPTH} 层。"
)


def _limited(maximum: int) -> dict:
    return {"type": "string", "maxLength": maximum}


def _property(spec: FieldSpec) -> dict:
    """A content or contact field as a schema property."""
    if spec.choices:
        return {"type": "string", "enum": ["", *spec.choices], "description": spec.label}
    schema: dict = {"type": "string", "maxLength": spec.max_length, "description": spec.label}
    if spec.min_length:
        schema["minLength"] = spec.min_length
    return schema


def openapi_document() -> dict:
    """The API contract; a schemathesis run in the tests holds the app to it."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "清风 公开接口",
            "version": "1.0.0",
            "description": "供其他投诉平台及办公室电话、信件登记使用：提交举报、凭回执码查询进度。",
        },
        "paths": {
            "/api/v1/reports": {
                "post": {
                    "operationId": "submitReport",
                    "summary": "提交举报",
                    "description": _SUBMIT_NOTE,
                    # Anonymous (citizen channel only) or with a partner token (its channels).
                    "security": [{}, {"partnerToken": []}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewReport"}}},
                    },
                    "responses": {
                        "201": {
                            "description": "已受理提交，返回回执码（仅此一次）",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}},
                        },
                        "400": _ERROR, "401": _ERROR, "403": _ERROR, "413": _ERROR, "415": _ERROR,
                        "429": _ERROR,
                    },
                }
            },
            "/api/v1/status": {
                "post": {
                    "operationId": "readStatus",
                    "summary": "凭回执码查询进度",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StatusQuery"}}},
                    },
                    "responses": {
                        "200": {
                            "description": "进度与工作人员留言",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}},
                        },
                        "400": _ERROR, "404": _ERROR, "413": _ERROR, "415": _ERROR, "429": _ERROR,
                    },
                }
            },
        },
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "partnerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "合作单位令牌（由办公室以 qingfeng token add 签发，只显示一次）。"
                                   "持令牌可使用令牌所列渠道；令牌无效或已吊销时返回 401。",
                },
            },
        },
    }


def _schemas() -> dict:
    return {
        "NewReport": {
            "type": "object",
            "additionalProperties": False,
            "required": ["description"],
            "properties": {
                **{spec.name: _property(spec) for spec in CONTENT_FIELDS},
                "channel": {
                    "type": "string", "enum": list(CHANNELS), "default": WEB_CHANNEL,
                    "description": f"匿名调用只能使用“{WEB_CHANNEL}”（x-anonymous-channels）；"
                                   "其他渠道须携带列有该渠道的合作单位令牌，否则返回 403。",
                    "x-anonymous-channels": [WEB_CHANNEL],
                },
                "contact": {"$ref": "#/components/schemas/Contact"},
            },
        },
        "Contact": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "phone"],
            "description": "实名举报人信息（加密保存，匿名举报请省略）",
            "properties": {spec.name: _property(spec) for spec in CONTACT_FIELDS},
        },
        "Accepted": {
            "type": "object",
            "required": ["receipt", "status", "status_label"],
            "properties": {
                "receipt": {"type": "string", "pattern": "^[0-9]{4}( [0-9]{4}){4}$"},
                "status": {"type": "string", "enum": ["submitted"]},
                "status_label": _text,
            },
        },
        "StatusQuery": {
            "type": "object",
            "additionalProperties": False,
            "required": ["receipt"],
            "properties": {"receipt": _limited(60)},
        },
        "Status": {
            "type": "object",
            "required": ["status", "status_label", "messages"],
            "properties": {
                "status": {"type": "string", "enum": list(PUBLIC_STATUSES)},
                "status_label": {"type": "string", "enum": list(PUBLIC_STATUSES.values())},
                "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
            },
        },
        "Message": {
            "type": "object",
            "required": ["from", "body", "date"],
            "properties": {
                "from": {"type": "string", "enum": ["office", "reporter"]},
                "body": _text,
                "date": {"type": "string", "format": "date"},
            },
        },
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": _text,
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
    }
