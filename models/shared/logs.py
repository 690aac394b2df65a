"""Log records that cannot date a reporter's action: times to the hour only, and never the
rate limiter's client keys (P2, P4).

A precise time on a log line written while a report is submitted could be matched against a
network log; the rate limiter's own breach message carries the client key. Both apps' processes
and the worker format every record with an hour-precision timestamp, and the limiter's logger is
kept to errors.
"""
from __future__ import annotations

import logging
from pathlib import Path

from gunicorn.glogging import Logger as GunicornLogger

HOUR_FORMAT = "%Y-%m-%d %H:00"
LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
QUIET = ("flask-limiter", "werkzeug")


def hour_formatter() -> logging.Formatter:
    return logging.Formatter(LINE_FORMAT, HOUR_FORMAT)


def log_to(path: Path) -> None:
    """Send this process's records to `path`, hour-stamped; silence the chatty loggers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(hour_formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    quiet_loggers()


def quiet_loggers() -> None:
    """The rate limiter logs each breach with the client's key: keep it to errors."""
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.ERROR)


class HourLogger(GunicornLogger):
    """gunicorn's error log with hour-precision times; the application's records go there too
    (the portal's gunicorn runs in a fresh interpreter nobody else configures)."""

    datefmt = f"[{HOUR_FORMAT} %z]"

    def setup(self, cfg):  # type: ignore[no-untyped-def]
        super().setup(cfg)
        root = logging.getLogger()
        for handler in self.error_log.handlers:
            if handler not in root.handlers:
                handler.setFormatter(hour_formatter())
                root.addHandler(handler)
        root.setLevel(logging.WARNING)
        quiet_loggers()
