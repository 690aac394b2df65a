"""The server assembly: which app a process serves, and how its reports reach triage.

* `part="portal"`: the public portal alone. It gets no triage code and no private key (P1): its
  reports go to RQ when Redis is configured, otherwise they wait for an office or worker sweep.
* `part="office"`: the back office alone; without Redis it also triages in-process.
* `part="both"` (one machine, `make run`): the portal at / and the office at /office in one
  process, with the in-process runner plugged into both. That process holds the office key.
"""
from __future__ import annotations

import logging
import os
import socket
import sys
import threading
from pathlib import Path

from gunicorn.app.base import BaseApplication
from werkzeug.middleware.dispatcher import DispatcherMiddleware

log = logging.getLogger("qingfeng.server")
SWEEP_SECONDS = 60


def build_wsgi(part: str = "both"):  # type: ignore[no-untyped-def]
    """The WSGI app of one process."""
    import portal

    if part == "portal":
        return portal.create_app()
    import triage
    from config.office_settings import triage_settings_from_env
    from models.session import make_engine, make_sessionmaker
    from triage.jobs import ContextLoader
    from triage.runner import InProcessRunner

    settings = triage_settings_from_env()
    handoff = None
    if not settings.redis_url:
        factory = make_sessionmaker(make_engine(settings.database_url, durable=False))
        handoff = InProcessRunner(factory, ContextLoader(settings))
        start_sweeper(handoff, factory)
    office = triage.create_app(settings, handoff)
    if part == "office":
        return office
    return DispatcherMiddleware(portal.create_app(handoff=handoff), {"/office": office})


def start_sweeper(runner, factory, every: float = SWEEP_SECONDS) -> threading.Event:  # type: ignore[no-untyped-def]
    """Hand waiting reports to the in-process runner now and every `every` seconds; reports
    seen while no model existed are retried once one loads."""
    from triage.sweep import sweep

    stop = threading.Event()

    def loop() -> None:
        while True:
            try:
                ready = runner.context() is not None
                sweep(runner, factory, include_awaiting=ready)
            except Exception as exc:  # the database away: try again next round
                log.warning("sweep failed (%s)", type(exc).__name__)
            if stop.wait(every):
                return

    threading.Thread(target=loop, name="sweeper", daemon=True).start()
    return stop


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


def port_problem(host: str, port: int) -> str | None:
    """Why this address cannot be listened on, or None: checked before gunicorn starts, whose
    own bind errors go to the log file where nobody starting it from a console looks."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def _gunicorn_options(host: str, port: int, workers: int, threads: int, error_log: Path) -> dict:
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "accesslog": None,  # no access log: no client address is ever written (P4)
        "errorlog": str(error_log),
        "loglevel": "warning",
        "timeout": 60,
        "forwarded_allow_ips": "127.0.0.1",
        "logger_class": "models.shared.logs.HourLogger",
    }


def exec_portal(host: str, port: int, workers: int, threads: int, error_log: Path) -> None:
    """Replace this process by gunicorn serving `portal:create_app()` in a fresh interpreter,
    so the portal's processes never load the office's code (P1)."""
    args = [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}",
            "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
            "--error-logfile", str(error_log), "--log-level", "warning", "--timeout", "60",
            "--forwarded-allow-ips", "127.0.0.1", "--logger-class", "models.shared.logs.HourLogger",
            "portal:create_app()"]  # no --access-logfile
    os.execv(sys.executable, args)


def serve(host: str, port: int, workers: int, threads: int, part: str, error_log: Path) -> None:
    """Run gunicorn in the foreground. accesslog stays off: no client address is ever written."""
    _Gunicorn(_gunicorn_options(host, port, workers, threads, error_log), part).run()
