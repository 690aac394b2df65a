"""`qingfeng worker`: RQ worker on the triage queue, with a periodic sweep (P6).

The worker process loads its context (office key, model, jieba) once and installs it for the
jobs it runs; it sweeps waiting reports at start and every `sweep_every` seconds, and writes
deadline reminders.
"""
from __future__ import annotations

import logging
import threading

from config.office_settings import TriageSettings
from models.session import make_engine, make_sessionmaker
from models.shared.handoff import RqHandoff, rq_queue
from triage import jobs
from triage.sweep import sweep

log = logging.getLogger("qingfeng.worker")


def _sweep_forever(settings: TriageSettings, every: int, stop: threading.Event) -> None:
    """Requeue waiting reports every `every` seconds, and write deadline reminders."""
    from config.deadlines import load_rules
    from models.base import utcnow
    from triage.services.deadlines import send_reminders

    factory = make_sessionmaker(make_engine(settings.database_url))
    handoff = RqHandoff(settings.redis_url or "", factory)
    while not stop.wait(every):
        try:
            handed = sweep(handoff, factory, settings.redis_url)
            if handed:
                log.info("sweep handed %d waiting report(s) to the queue", handed)
            with factory.begin() as session:
                send_reminders(session, utcnow(), load_rules())
        except Exception as exc:  # Redis or the database away: try again next round
            log.warning("sweep failed: %s", type(exc).__name__)


def run_worker(settings: TriageSettings, burst: bool = False, sweep_every: int = 60) -> None:
    """Load the context, requeue what waits, then work the triage queue."""
    from rq import Worker

    factory = make_sessionmaker(make_engine(settings.database_url, durable=False))
    context = jobs.ContextLoader(settings)
    context()  # load once here, before RQ forks: every job inherits it
    jobs.install(jobs.Runtime(factory, context))
    handoff = RqHandoff(settings.redis_url or "", factory)
    handed = sweep(handoff, factory, settings.redis_url, include_awaiting=context() is not None)
    log.info("startup sweep handed %d waiting report(s) to the queue", handed)
    stop = threading.Event()
    if not burst:
        threading.Thread(target=_sweep_forever, args=(settings, sweep_every, stop),
                         daemon=True).start()
    queue = rq_queue(settings.redis_url or "")
    try:
        Worker([queue], connection=queue.connection).work(burst=burst, with_scheduler=not burst)
    finally:
        stop.set()
