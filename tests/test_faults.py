"""Fault injection on the scaled deployment: a private redis-server, PostgreSQL behind a switch
that can refuse connections, and real `qingfeng worker` processes. Every report handed over
must be triaged within a bound after recovery, and the worker must recover by itself."""
from __future__ import annotations

import os
import signal
import time

import pytest
from sqlalchemy import func, select

from models import Report
from models.session import make_engine, make_sessionmaker
from models.shared.content import ReportContent
from models.shared.handoff import RqHandoff, enqueue_rq, job_id, rq_queue
from models.shared.intake import submit_report
from models.shared.sealing import load_office_public_key
from models.shared.vault import Vault
from tests.backends import postgres_reason, require
from tests.faults import RedisServer, Switch, children, install, start, stop, wait_for
from config.settings import KdfParams, Paths

KICKBACK = "某县人民医院骨科主任收受器械公司回扣，每台手术三千元。"


@pytest.fixture
def scaled(tmp_path, pg_databases, small_model):
    """PostgreSQL (direct, and behind a switch for the worker), a private Redis, an
    installation with a model; yields a dict of the parts."""
    require(postgres_reason())
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    direct = pg_databases.create()
    switch = Switch(("127.0.0.1", 5432))
    through_switch = direct.replace("127.0.0.1:5432", f"127.0.0.1:{switch.port}")
    env = install(tmp_path / "var", through_switch, redis.url, small_model)
    engine = make_engine(direct)
    parts = {"redis": redis, "switch": switch, "env": env, "engine": engine,
             "factory": make_sessionmaker(engine), "processes": [],
             "vault": Vault(load_office_public_key(Paths(tmp_path / "var").office_public_key),
                            bytes.fromhex(env["QINGFENG_RECEIPT_PEPPER"]),
                            KdfParams(), tmp_path / "var" / "uploads")}
    yield parts
    for process in parts["processes"]:
        stop(process)
    switch.close()
    redis.kill()
    engine.dispose()


def _submit(parts: dict, count: int) -> list[int]:
    """Reports submitted as the portal does it: commit, then hand the id over to RQ."""
    factory, ids = parts["factory"], []
    handoff = RqHandoff(parts["redis"].url, factory)
    for _ in range(count):
        with factory() as session:
            report_id = submit_report(session, parts["vault"], ReportContent(description=KICKBACK),
                                      None, [], "网络").report_id
        handoff(report_id)
        ids.append(report_id)
    return ids


def _triaged(parts: dict) -> int:
    with parts["factory"]() as session:
        return session.scalar(select(func.count()).select_from(Report)
                              .where(Report.triage_state == "done"))


def _states(parts: dict) -> dict[str, int]:
    """Reports per triage state, for a failure's message."""
    with parts["factory"]() as session:
        return dict(session.execute(select(Report.triage_state, func.count())
                                    .group_by(Report.triage_state)).all())


def _worker(parts: dict) -> int:
    process = start(["worker", "--sweep-every", "2"], parts["env"])
    parts["processes"].append(process)
    wait_for(lambda: children(process.pid), seconds=30)
    return process.pid


def test_a_killed_worker_is_started_again_and_no_report_is_lost(scaled):
    guard = _worker(scaled)
    _submit(scaled, 20)
    wait_for(lambda: _triaged(scaled) >= 5, seconds=60, describe=lambda: _states(scaled))
    for child in children(guard):
        os.kill(child, signal.SIGKILL)  # the OOM killer, a crash
    _submit(scaled, 20)
    wait_for(lambda: _triaged(scaled) == 40, seconds=90, describe=lambda: _states(scaled))
    assert os.waitpid(guard, os.WNOHANG) == (0, 0)  # the guard lives on
    assert children(guard)  # with a new child


def test_a_job_abandoned_by_a_dead_worker_is_swept_within_seconds(scaled):
    from rq.job import Job, JobStatus

    (report_id,) = _submit(scaled, 1)
    queue = rq_queue(scaled["redis"].url)
    job = Job.fetch(job_id(report_id), connection=queue.connection)
    queue.remove(job)  # taken by a worker …
    job.set_status(JobStatus.STARTED)
    job.worker_name = "a-worker-that-was-killed"  # … which then died: no heartbeat key
    job.save()
    started = time.monotonic()
    _worker(scaled)
    wait_for(lambda: _triaged(scaled) == 1, seconds=30, describe=lambda: _states(scaled))
    assert time.monotonic() - started < 30


def test_the_worker_outlives_a_redis_outage_and_restart_empty(scaled):
    guard = _worker(scaled)
    scaled["redis"].kill()
    time.sleep(3)
    assert os.waitpid(guard, os.WNOHANG) == (0, 0) and children(guard)
    _submit(scaled, 10)  # the hand-off fails: the reports stay pending
    with scaled["factory"]() as session:
        assert set(session.scalars(select(Report.triage_state))) == {"pending"}
    scaled["redis"].start()  # back, and empty
    wait_for(lambda: _triaged(scaled) == 10, seconds=60, describe=lambda: _states(scaled))
    assert os.waitpid(guard, os.WNOHANG) == (0, 0)


def test_jobs_that_met_a_database_outage_are_done_after_it(scaled):
    _worker(scaled)
    scaled["switch"].off()  # the worker's database connections are cut and refused
    _submit(scaled, 10)  # (the portal reaches its database directly here)
    time.sleep(5)
    assert _triaged(scaled) == 0
    scaled["switch"].on = True
    wait_for(lambda: _triaged(scaled) == 10, seconds=120, describe=lambda: _states(scaled))


def test_an_old_job_id_is_not_run_twice_into_two_leads(scaled):
    (report_id,) = _submit(scaled, 1)
    enqueue_rq(scaled["redis"].url, report_id)  # a second hand-off of the same report
    _worker(scaled)
    wait_for(lambda: _triaged(scaled) == 1, seconds=30, describe=lambda: _states(scaled))
    from models import Lead

    with scaled["factory"]() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == 1
