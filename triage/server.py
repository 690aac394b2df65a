"""gunicorn serving the portal (and, on one machine, the back office under /office)."""
from __future__ import annotations

from pathlib import Path

from gunicorn.app.base import BaseApplication
from werkzeug.middleware.dispatcher import DispatcherMiddleware


def build_wsgi(portal_only: bool = False):  # type: ignore[no-untyped-def]
    """The WSGI app of one process; hands waiting reports to in-process triage on start."""
    import portal
    import triage
    from triage.dispatch import sweep

    portal_app = portal.create_app()
    settings = portal_app.config["QINGFENG"]
    if settings.triage_mode != "rq":
        sweep(settings, portal_app.extensions["qingfeng_sessions"])
    if portal_only:
        return portal_app
    return DispatcherMiddleware(portal_app, {"/office": triage.create_app()})


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict, portal_only: bool) -> None:
        self.options = options
        self.portal_only = portal_only
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):  # type: ignore[no-untyped-def]
        return build_wsgi(self.portal_only)


def serve(host: str, port: int, workers: int, threads: int, portal_only: bool, error_log: Path) -> None:
    """Run gunicorn in the foreground. accesslog stays off: no client address is ever written."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "accesslog": None,
        "errorlog": str(error_log),
        "loglevel": "warning",
        "timeout": 60,
        "forwarded_allow_ips": "127.0.0.1",
    }
    _Gunicorn(options, portal_only).run()
