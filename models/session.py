"""Engines and sessions. Web: one Session per request; worker and CLI: `with factory.begin()`."""
from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, durable: bool = True, **kwargs: object) -> Engine:
    """An engine for `url`; SQLite gets foreign keys, WAL and a busy timeout.

    `durable=False` (the triage workers' engine): on PostgreSQL a commit returns before its WAL
    reaches the disk. Safe for triage results only: one lost in a crash leaves its report
    `queued` or `pending`, and the sweep triages it again (the job is idempotent). Reports
    themselves are always committed durably, by the apps' engines.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if not durable:
        kwargs.setdefault("connect_args", {"options": "-c synchronous_commit=off"})
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def install_request_sessions(app: "Flask", factory: sessionmaker[Session]) -> None:  # noqa: F821
    """One Session per request, kept on `g` and closed at teardown (flaskr's get_db/close_db)."""
    from flask import g

    app.extensions["qingfeng_sessions"] = factory

    def close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    app.teardown_appcontext(close_session)


def request_session() -> Session:
    """The current request's Session."""
    from flask import current_app, g

    if "db_session" not in g:
        g.db_session = current_app.extensions["qingfeng_sessions"]()
    return g.db_session
