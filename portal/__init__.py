"""The public portal: report form, receipt, status, channels, voluntary disclosure, JSON API.

It loads the office *public* key only (P1) and writes no access log and no client address
anywhere (P4).
"""
from __future__ import annotations

from flask import Flask

from config.checks import validate_data_files
from config.data import load_jurisdiction, load_taxonomy
from models.shared.content import SUBJECT_LEVELS, SUBJECT_TYPES
from config.settings import PortalSettings, portal_settings_from_env
from models.session import install_request_sessions, make_engine, make_sessionmaker
from models.shared.handoff import Handoff, default_handoff
from models.shared.sealing import load_office_public_key
from models.shared.vault import Vault


def create_app(settings: PortalSettings | None = None, handoff: Handoff | None = None) -> Flask:
    """Build the portal for `settings` (default: from the environment).

    `handoff` receives each committed report's id; by default RQ when Redis is configured,
    else the report waits for a sweep elsewhere. The portal never runs triage itself.
    """
    settings = settings or portal_settings_from_env()
    validate_data_files(settings.jurisdiction)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="qf_portal",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        # Room for the evidence limit plus the form fields; beyond it werkzeug answers 413.
        MAX_CONTENT_LENGTH=settings.max_attachments * settings.max_attachment_bytes + 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=1024 * 1024,
        QINGFENG=settings,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # readable Chinese in the API
    app.extensions["qingfeng_jurisdiction"] = load_jurisdiction(settings.jurisdiction)
    app.extensions["qingfeng_taxonomy"] = load_taxonomy()
    app.extensions["qingfeng_vault"] = Vault(
        office_key=load_office_public_key(settings.paths.office_public_key),
        pepper=settings.receipt_pepper,
        kdf=settings.receipt_kdf,
        uploads=settings.paths.uploads,
    )
    factory = make_sessionmaker(make_engine(settings.database_url))
    install_request_sessions(app, factory)
    app.extensions["qingfeng_handoff"] = handoff or default_handoff(settings.redis_url, factory)

    from portal.security import install_security

    install_security(app, settings)
    _register_blueprints(app)

    @app.context_processor
    def jurisdiction_data() -> dict:
        return {
            "jurisdiction": app.extensions["qingfeng_jurisdiction"],
            "taxonomy": app.extensions["qingfeng_taxonomy"],
            "choices": {"subject_level": SUBJECT_LEVELS, "subject_type": SUBJECT_TYPES},
        }

    return app


def _register_blueprints(app: Flask) -> None:
    from portal.views import api, disclosure, main, report, status

    for module in (main, report, status, disclosure, api):
        app.register_blueprint(module.bp)
