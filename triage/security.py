"""Back-office CSRF, headers and error pages."""
from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from config.office_settings import TriageSettings
from models.shared.web import secure_headers

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
MESSAGES = {400: "请求无效或页面已过期，请重新操作。", 403: "您的角色无权访问此页面。",
            404: "页面不存在。", 405: "请求方式不正确。"}


def install_security(app: Flask, settings: TriageSettings) -> None:
    """CSRF on every form, strict headers on every response, Chinese error pages."""
    app.config["WTF_CSRF_ENABLED"] = settings.csrf_enabled
    CSRFProtect(app)
    app.after_request(lambda response: secure_headers(response, CSP))

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError):  # type: ignore[no-untyped-def]
        return render_template("error.html", message=MESSAGES[400]), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        code = error.code or 500
        return render_template("error.html", message=MESSAGES.get(code, "系统错误。")), code
