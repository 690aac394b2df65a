"""`qingfeng worker`: RQ worker on the triage queue that keeps pace and outlives its faults.

* **Loaded once.** The context (office key, model, jieba) is loaded once, before any job; jobs
  get it from the process, never from the environment. By default the jobs run in one
  long-lived child process with RQ's non-forking worker: a forking worker would copy the process
  for every job (bench/soak.py compares the two: `--fork`).
* **A crash guard.** The parent process only supervises, with no thread of its own (a fork
  beside a running thread can copy a held lock): when the child dies (a crash, the kernel's OOM
  killer), it is started again after a pause that grows on repeated deaths.
* **Redis may go away.** When Redis is unreachable the child waits and reconnects with back-off
  instead of exiting; its sweeper thread keeps running meanwhile (reports wait as `pending`).
* **The sweep** hands every waiting report over at start and every `sweep_every` seconds, and
  re-queues a job whose worker stopped sending heartbeats (triage/sweep.py), so a job abandoned
  by a killed worker is picked up within seconds; deadline reminders are written on the same
  round.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable

from config.office_settings import TriageSettings
from models.session import make_engine, make_sessionmaker
from models.shared.handoff import RqHandoff, rq_queue
from triage import jobs
from triage.sweep import sweep

log = logging.getLogger("qingfeng.worker")
# RQ's worker key lives this long without a heartbeat; short, so the sweep can tell a dead
# worker's "started" job from a live one within seconds (README, "Scaled deployment").
WORKER_TTL = 20
BACKOFF = (1, 2, 5, 10, 30)


def _pause(attempt: int, stop: threading.Event | None = None) -> None:
    seconds = BACKOFF[min(attempt, len(BACKOFF) - 1)]
    if stop is not None:
        stop.wait(seconds)
    else:
        time.sleep(seconds)


def sweep_forever(settings: TriageSettings, every: int, stop: threading.Event,
                  context: Callable[[], object]) -> None:
    """Requeue waiting (and abandoned) reports every `every` seconds, write reminders."""
    from config.deadlines import load_rules
    from models.base import utcnow
    from triage.services.audit_anchors import anchor_daily
    from triage.services.deadlines import send_reminders

    factory = make_sessionmaker(make_engine(settings.database_url, durable=False))
    handoff = RqHandoff(settings.redis_url or "", factory)
    failures = 0
    while not stop.wait(every):
        try:
            anchor_daily(factory, settings)  # keys this process's audit rows; anchors once a day
            handed = sweep(handoff, factory, settings.redis_url,
                           include_awaiting=context() is not None)
            if handed:
                log.info("sweep handed %d waiting report(s) to the queue", handed)
            with factory.begin() as session:
                send_reminders(session, utcnow(), load_rules())
            failures = 0
        except Exception as exc:  # Redis or the database away: try again next round
            if not failures:
                log.warning("sweep failed (%s); retrying every round", type(exc).__name__)
            failures += 1


def work_queue(settings: TriageSettings, context: jobs.ContextLoader, burst: bool = False,
               fork: bool = False, stop: threading.Event | None = None) -> None:
    """Take triage jobs until stopped; on a Redis fault wait and reconnect with back-off."""
    from redis.exceptions import RedisError

    jobs.install(jobs.Runtime(
        make_sessionmaker(make_engine(settings.database_url, durable=False)), context))
    kind = worker_class(fork)
    attempt = 0
    while stop is None or not stop.is_set():
        try:
            queue = rq_queue(settings.redis_url or "")
            worker = kind([queue], connection=queue.connection, worker_ttl=WORKER_TTL,
                          job_monitoring_interval=5)
            worker.work(burst=burst, with_scheduler=not burst, logging_level="WARNING")
            return
        except (RedisError, OSError) as exc:
            if burst:
                raise
            if not attempt:
                log.warning("Redis unreachable (%s): waiting and reconnecting", type(exc).__name__)
            _pause(attempt, stop)
            attempt += 1


def worker_class(fork: bool):  # type: ignore[no-untyped-def]
    """RQ's non-forking worker, or its forking one with the database pool of the parent left
    alone in each work-horse (connections must never be shared across a fork)."""
    from rq import SimpleWorker, Worker

    if not fork:
        return SimpleWorker

    class ForkingWorker(Worker):
        def main_work_horse(self, job, queue):  # type: ignore[no-untyped-def]
            runtime = jobs.current_runtime()
            if runtime is not None:
                runtime.factory.kw["bind"].dispose(close=False)
            return super().main_work_horse(job, queue)

    return ForkingWorker


def run_worker(settings: TriageSettings, burst: bool = False, sweep_every: int = 60,
               fork: bool = False) -> None:
    """Load the context once, requeue what waits, then take jobs — guarded: a dead child
    process is restarted, with a growing pause."""
    context = jobs.ContextLoader(settings)
    context()  # load once here: the child inherits it
    factory = make_sessionmaker(make_engine(settings.database_url, durable=False))
    try:
        handed = sweep(RqHandoff(settings.redis_url or "", factory), factory,
                       settings.redis_url, include_awaiting=context() is not None)
        log.info("startup sweep handed %d waiting report(s) to the queue", handed)
    except Exception as exc:  # Redis or the database away at start: the loop retries
        log.warning("startup sweep failed (%s)", type(exc).__name__)
    factory.kw["bind"].dispose()
    if burst:
        work_queue(settings, context, burst=True, fork=fork)
        return
    stop = threading.Event()

    def child() -> None:
        # The sweeper thread lives in the child: a parent with threads could fork while one of
        # them holds a lock (a database pool's, a socket's), and the new child would hang on it.
        threading.Thread(target=sweep_forever, args=(settings, sweep_every, stop, context),
                         name="sweeper", daemon=True).start()
        work_queue(settings, context, fork=fork)

    try:
        _guard(child, stop)
    finally:
        stop.set()


def _guard(body: Callable[[], None], stop: threading.Event) -> None:
    """Run `body` in a child process and start it again whenever it dies; a SIGTERM or SIGINT
    to this process is passed on to the child, which stops after its current job."""
    deaths, child = 0, {"pid": 0}

    def forward(signum: int, _frame: object) -> None:
        stop.set()
        if child["pid"]:
            os.kill(child["pid"], signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    while not stop.is_set():
        child["pid"] = pid = os.fork()
        if pid == 0:  # the child: take jobs until told to stop
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, signal.SIG_DFL)
            code = 0
            try:
                body()
            except BaseException:  # noqa: BLE001 (the parent logs and restarts)
                code = 1
            os._exit(code)
        started = time.monotonic()
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
        child["pid"] = 0
        if stop.is_set() or (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0):
            return
        deaths = 0 if time.monotonic() - started > 60 else deaths + 1
        log.warning("worker process died (%s); starting it again",
                    f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else "error")
        _pause(deaths, stop)
