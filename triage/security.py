"""Back-office security headers and CSRF. Staff login comes with the back-office issue."""
from __future__ import annotations

from flask import Flask, Response
from flask_wtf.csrf import CSRFProtect

from config.settings import TriageSettings

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def install_security(app: Flask, settings: TriageSettings) -> None:
    """CSRF on every form and strict headers on every response."""
    app.config["WTF_CSRF_ENABLED"] = settings.csrf_enabled
    CSRFProtect(app)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cache-Control"] = "no-store"
        return response
