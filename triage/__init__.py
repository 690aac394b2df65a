"""The back office: staff app, classifier, worker jobs."""
from __future__ import annotations

from flask import Flask

from config.checks import validate_data_files
from config.data import load_jurisdiction, load_taxonomy
from config.office_settings import TriageSettings, triage_settings_from_env
from models.shared.content import SUBJECT_LEVELS, SUBJECT_TYPES
from models.shared.sealing import SealError
from triage.history import sentence
from triage.keys import load_office_private_key, private_key_path
from models import vocabulary
from models.session import install_request_sessions, make_engine, make_sessionmaker
from models.shared.handoff import Handoff, default_handoff


def create_app(settings: TriageSettings | None = None, handoff: Handoff | None = None) -> Flask:
    """The back-office app for `settings` (default: from the environment).

    `handoff` receives the id of each report entered by staff (phone, letter, visit); by default
    RQ when Redis is configured, else it waits for the sweep.
    """
    settings = settings or triage_settings_from_env()
    validate_data_files(settings.jurisdiction)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="qf_office",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        QINGFENG=settings,
    )
    app.extensions["qingfeng_jurisdiction"] = load_jurisdiction(settings.jurisdiction)
    app.extensions["qingfeng_taxonomy"] = load_taxonomy()
    app.extensions["qingfeng_office_key"] = _office_key(settings)
    factory = make_sessionmaker(make_engine(settings.database_url))
    install_request_sessions(app, factory)
    app.extensions["qingfeng_handoff"] = handoff or default_handoff(settings.redis_url, factory)

    from triage.auth import bp as auth_bp
    from triage.auth import enforce_login
    from triage.security import install_security
    from triage.views import admin, audit, disclosures, intake, leads, queue, reports, stats

    install_security(app, settings)
    app.before_request(enforce_login)
    for blueprint in (auth_bp, queue.bp, reports.bp, leads.bp, audit.bp, stats.bp, intake.bp,
                      disclosures.bp, admin.bp):
        app.register_blueprint(blueprint)

    taxonomy = app.extensions["qingfeng_taxonomy"]
    app.add_template_filter(lambda event: sentence(event, taxonomy), "history_sentence")

    @app.context_processor
    def data() -> dict:
        return {"taxonomy": app.extensions["qingfeng_taxonomy"],
                "jurisdiction": app.extensions["qingfeng_jurisdiction"], "vocab": vocabulary,
                "choices": {"subject_level": SUBJECT_LEVELS, "subject_type": SUBJECT_TYPES}}

    return app


def _office_key(settings: TriageSettings):  # type: ignore[no-untyped-def]
    """The office private key, or None when no passphrase was given (reports stay closed)."""
    if not settings.office_passphrase or not private_key_path(settings.paths).exists():
        return None
    try:
        return load_office_private_key(private_key_path(settings.paths), settings.office_passphrase)
    except SealError:
        return None
