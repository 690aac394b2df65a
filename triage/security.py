"""Back-office security headers and CSRF. Staff login comes with the back-office issue."""
from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from config.settings import TriageSettings
from portal.security import secure_headers

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def install_security(app: Flask, settings: TriageSettings) -> None:
    """CSRF on every form and strict headers on every response."""
    app.config["WTF_CSRF_ENABLED"] = settings.csrf_enabled
    CSRFProtect(app)

    app.after_request(lambda response: secure_headers(response, CSP))
