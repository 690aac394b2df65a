"""The in-process triage runner of the one-machine server (no Redis).

Plugged into both apps by the server assembly (triage/server.py), never imported by the portal:
the process that serves the portal this way also holds the office key, which is why a public
deployment runs `serve --part portal` and keeps triage elsewhere (README, "One machine versus a
split deployment"). Jobs run one at a time on a single thread, after the caller's commit.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker

from models.shared.handoff import mark_queued
from triage.jobs import WorkerContext, process_report

log = logging.getLogger("qingfeng.runner")
ContextProvider = Callable[[], "WorkerContext | None"]


class InProcessRunner:
    """A hand-off that triages in this process, on one background thread (or at once)."""

    def __init__(self, factory: sessionmaker[Session], context: ContextProvider,
                 inline: bool = False) -> None:
        self.factory = factory
        self.context = context
        self.inline = inline
        self._pool: ThreadPoolExecutor | None = None

    def __call__(self, report_id: int) -> bool:
        mark_queued(self.factory, report_id)
        if self.inline:
            self._run(report_id)
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="triage")
            self._pool.submit(self._run, report_id)
        return True

    def _run(self, report_id: int) -> None:
        try:
            process_report(self.factory, report_id, self.context())
        except Exception as exc:
            log.error("in-process triage failed (%s); the sweep will retry", type(exc).__name__)
