"""`qingfeng worker`: RQ worker on the triage queue, with a periodic sweep (P6)."""
from __future__ import annotations

import logging
import threading

from config.settings import TriageSettings
from models.session import make_engine, make_sessionmaker
from triage.dispatch import rq_queue, sweep

log = logging.getLogger("qingfeng.worker")


def _sweep_forever(settings: TriageSettings, every: int, stop: threading.Event) -> None:
    """Requeue waiting reports every `every` seconds, and write deadline reminders."""
    from models.base import utcnow
    from triage.services.deadlines import load_rules, send_reminders

    factory = make_sessionmaker(make_engine(settings.database_url))
    while not stop.wait(every):
        try:
            handed = sweep(settings, factory)
            if handed:
                log.info("sweep handed %d waiting report(s) to the queue", handed)
            with factory.begin() as session:
                send_reminders(session, utcnow(), load_rules())
        except Exception as exc:  # Redis or the database away: try again next round
            log.warning("sweep failed: %s", type(exc).__name__)


def run_worker(settings: TriageSettings, burst: bool = False, sweep_every: int = 60) -> None:
    """Requeue what waits, then work the triage queue."""
    from rq import Worker

    factory = make_sessionmaker(make_engine(settings.database_url))
    handed = sweep(settings, factory, include_awaiting=True)  # a starting worker has its model
    log.info("startup sweep handed %d waiting report(s) to the queue", handed)
    stop = threading.Event()
    if not burst:
        threading.Thread(target=_sweep_forever, args=(settings, sweep_every, stop), daemon=True).start()
    queue = rq_queue(settings.redis_url or "")
    try:
        Worker([queue], connection=queue.connection, name=None).work(burst=burst, with_scheduler=not burst)
    finally:
        stop.set()
