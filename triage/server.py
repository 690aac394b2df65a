"""gunicorn serving the portal (and, on one machine, the back office under /office)."""
from __future__ import annotations

from pathlib import Path

from gunicorn.app.base import BaseApplication
from werkzeug.middleware.dispatcher import DispatcherMiddleware


def build_wsgi(part: str = "both"):  # type: ignore[no-untyped-def]
    """The WSGI app of one process (`part`: both, portal or office); in-process triage gets
    the reports still waiting when the process starts."""
    import portal
    import triage
    from triage.dispatch import sweep

    if part == "office":
        return triage.create_app()
    portal_app = portal.create_app()
    settings = portal_app.config["QINGFENG"]
    if settings.triage_mode != "rq":
        sweep(settings, portal_app.extensions["qingfeng_sessions"], include_awaiting=True)
    if part == "portal":
        return portal_app
    return DispatcherMiddleware(portal_app, {"/office": triage.create_app()})


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict, part: str) -> None:
        self.options = options
        self.part = part
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):  # type: ignore[no-untyped-def]
        return build_wsgi(self.part)


def serve(host: str, port: int, workers: int, threads: int, part: str, error_log: Path) -> None:
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
    _Gunicorn(options, part).run()
