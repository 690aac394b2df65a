"""CSRF, rate limits, response headers and error pages of the portal.

Rate-limit keys are an HMAC of the client address under a daily key derived from the portal
secret: they live only in memory or Redis, expire, and say nothing about who the client was (P4).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import UTC, datetime

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from config.settings import PortalSettings
from models.shared.web import secure_headers
from portal import texts

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
log = logging.getLogger("qingfeng.portal")


def client_key() -> str:
    """An opaque, daily-changing key for the client, never its address."""
    day = datetime.now(UTC).strftime("%Y-%m-%d").encode()
    daily = hmac.new(current_app.config["SECRET_KEY"], b"ratelimit:" + day, hashlib.sha256).digest()
    address = (request.remote_addr or "").encode()
    return hmac.new(daily, address, hashlib.sha256).hexdigest()[:32]


def everyone() -> str:
    """One key for all clients: a global ceiling on receipt look-ups."""
    return "global"


def setting(name: str):  # type: ignore[no-untyped-def]
    """A limit read from the app's settings when the request comes in."""
    return lambda: getattr(current_app.config["QINGFENG"], name)


limiter = Limiter(client_key, key_prefix="qf-portal", headers_enabled=False)
csrf = CSRFProtect()


def is_api() -> bool:
    return request.path.startswith("/api/")


def install_security(app: Flask, settings: PortalSettings) -> None:
    """Wire CSRF, limits, headers and error pages into `app`."""
    app.config["WTF_CSRF_ENABLED"] = settings.csrf_enabled
    # A report can take a long time to write on a phone; the default hour would lose it.
    app.config["WTF_CSRF_TIME_LIMIT"] = 6 * 3600
    app.config["RATELIMIT_STORAGE_URI"] = settings.ratelimit_storage
    app.config["RATELIMIT_ENABLED"] = True
    csrf.init_app(app)
    limiter.init_app(app)
    app.after_request(lambda response: secure_headers(response, CSP))
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(RateLimitExceeded, _too_many)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _server_error)


def error_page(message: str, status: int) -> tuple[Response | str, int]:
    """A JSON error under /api/, a Chinese page elsewhere."""
    if is_api():
        return jsonify(error=message), status
    return render_template("error.html", message=message, status=status), status


def _csrf_error(_error: CSRFError) -> tuple[Response | str, int]:
    from flask import session

    session.clear()
    return error_page(texts.CSRF, 400)


def _too_many(_error: RateLimitExceeded) -> tuple[Response | str, int]:
    return error_page(texts.TOO_MANY, 429)


def _http_error(error: HTTPException) -> tuple[Response | str, int]:
    status = error.code or 500
    message = {
        404: texts.NOT_FOUND,
        405: texts.BAD_REQUEST,
        413: texts.TOO_LARGE,
        415: "请以 application/json 提交。",
    }.get(status, texts.BAD_REQUEST if status < 500 else texts.SERVER_ERROR)
    return error_page(message, status)


def _server_error(error: Exception) -> tuple[Response | str, int]:
    if isinstance(error, HTTPException):
        return _http_error(error)
    # Log the type only: an exception message may quote what the reporter typed.
    log.error("unhandled %s in %s", type(error).__name__, request.endpoint)
    return error_page(texts.SERVER_ERROR, 500)
