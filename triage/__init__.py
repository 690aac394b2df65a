"""The back office: staff app, classifier, worker jobs."""
from __future__ import annotations

from flask import Flask

from config.settings import TriageSettings, triage_settings_from_env


def create_app(settings: TriageSettings | None = None) -> Flask:
    """The back-office app. Until the back-office issue lands it shows one placeholder page."""
    settings = settings or triage_settings_from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="qf_office",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        QINGFENG=settings,
    )
    from triage.security import install_security
    from triage.views.home import bp as home_bp

    install_security(app, settings)
    app.register_blueprint(home_bp)
    return app
